/* mount.c - where cgroup2 is mounted and which controllers it offers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgfs.h"
#include "v2.h"

/* The controllers every container needs; cpuset only for cpuset limits. */
static const char *const required[] = {"memory", "cpu", "pids"};

static int scan_mount(void *arg, const char *mountpoint, const char *fstype,
                      const char *superopts)
{
  struct v2_driver *d = arg;
  (void)superopts;
  if (strcmp(fstype, "cgroup") == 0)
    d->hybrid = true;
  else if (strcmp(fstype, "cgroup2") == 0 && !d->mount) {
    d->mount = strdup(mountpoint);
    if (!d->mount)
      return -ENOMEM;
  }
  return 0;
}

int v2_find_mount(struct v2_driver *d, wb_error *err)
{
  int r = cgfs_mountinfo_each(scan_mount, d);
  if (r < 0)
    return d->host->error(d->host, err, -r, "read /proc/self/mountinfo");
  return 0;
}

int v2_missing_controllers(struct v2_driver *d, const char *dir, char **missing,
                           bool *cpuset, wb_error *err)
{
  cleanup_free char *path = cgfs_join(dir, "cgroup.controllers");
  cleanup_free char *have = NULL;
  if (!path)
    return d->host->error(d->host, err, ENOMEM, "probe");
  int r = cgfs_read(d->host, path, &have, err);
  if (r < 0)
    return r;
  char *list = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&list, &len);
  if (!f)
    return d->host->error(d->host, err, errno, "open_memstream");
  bool first = true;
  for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
    if (cgfs_has_word(have, required[i]))
      continue;
    fprintf(f, "%s%s", first ? "" : ", ", required[i]);
    first = false;
  }
  if (fclose(f) != 0) {
    free(list);
    return d->host->error(d->host, err, ENOMEM, "probe");
  }
  *missing = list;
  *cpuset = cgfs_has_word(have, "cpuset");
  return 0;
}

int v2_require_controller(struct v2_driver *d, const char *dir,
                          const char *controller, const char *what,
                          wb_error *err)
{
  cleanup_free char *path = cgfs_join(dir, "cgroup.controllers");
  cleanup_free char *have = NULL;
  if (!path)
    return d->host->error(d->host, err, ENOMEM, "apply");
  int r = cgfs_read(d->host, path, &have, err);
  if (r < 0)
    return r;
  if (!cgfs_has_word(have, controller))
    return d->host->error(d->host, err, -ENOTSUP,
                          "cannot apply %s: controller %s is not enabled "
                          "(not listed in %s)",
                          what, controller, path);
  return 0;
}
