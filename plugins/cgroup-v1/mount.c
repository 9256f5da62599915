/* mount.c - where each v1 controller's hierarchy is mounted. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgfs.h"
#include "v1.h"

const char *const v1_controller_name[V1_NCONTROLLERS] = {
    [V1_MEMORY] = "memory", [V1_CPU] = "cpu",   [V1_CPUACCT] = "cpuacct",
    [V1_CPUSET] = "cpuset", [V1_PIDS] = "pids", [V1_FREEZER] = "freezer",
};

/* Whether the comma-separated super options name `word` exactly ("cpu"
 * must not match "cpuacct" or "cpuset"). */
static bool has_option(const char *opts, const char *word)
{
  size_t wlen = strlen(word);
  for (const char *s = opts; *s;) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len == wlen && strncmp(s, word, wlen) == 0)
      return true;
    if (!e)
      break;
    s = e + 1;
  }
  return false;
}

static int scan_mount(void *arg, const char *mountpoint, const char *fstype,
                      const char *superopts)
{
  struct v1_driver *d = arg;
  if (strcmp(fstype, "cgroup") != 0)
    return 0;
  /* The first mount of a hierarchy wins; later ones are bind mounts. */
  for (int c = 0; c < V1_NCONTROLLERS; c++) {
    if (d->mount[c] || !has_option(superopts, v1_controller_name[c]))
      continue;
    d->mount[c] = strdup(mountpoint);
    if (!d->mount[c])
      return -ENOMEM;
  }
  return 0;
}

int v1_find_mounts(struct v1_driver *d, wb_error *err)
{
  int r = cgfs_mountinfo_each(scan_mount, d);
  if (r < 0)
    return d->host->error(d->host, err, -r, "read /proc/self/mountinfo");
  return 0;
}

bool v1_first_of_hierarchy(const struct v1_driver *d, int c)
{
  if (!d->mount[c])
    return false;
  for (int i = 0; i < c; i++)
    if (d->mount[i] && strcmp(d->mount[i], d->mount[c]) == 0)
      return false;
  return true;
}

int v1_require(const struct v1_driver *d, int c, const char *what,
               wb_error *err)
{
  if (d->mount[c])
    return 0;
  return d->host->error(d->host, err, -ENOTSUP,
                        "cannot apply %s: cgroup v1 controller %s is not "
                        "mounted",
                        what, v1_controller_name[c]);
}

int v1_path(const struct v1_driver *d, int c, const struct wb_cgroup *cg,
            char **out, wb_error *err)
{
  int r = v1_require(d, c, v1_controller_name[c], err);
  if (r < 0)
    return r;
  return cgfs_cgroup_path(d->host, d->mount[c], cg, out, err);
}
