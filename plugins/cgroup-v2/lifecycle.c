/* lifecycle.c - create, enter, open, kill, freeze and destroy a v2 cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgfs.h"
#include "v2.h"

/* Controllers a container's cgroup gets, in the order they are enabled.
 * cpuset is best effort: without it only cpuset limits fail (in apply). */
static const char *const wanted[] = {"memory", "cpu", "pids", "cpuset"};

/* Enable in <dir>/cgroup.subtree_control the wanted controllers that <dir>
 * has but does not yet pass down.  Nothing is written when all are already
 * enabled, so a host's own cgroups are left alone. */
static int enable_controllers(struct v2_driver *d, const char *dir,
                              wb_error *err)
{
  const struct wb_host *h = d->host;
  cleanup_free char *avail_path = cgfs_join(dir, "cgroup.controllers");
  cleanup_free char *ctl_path = cgfs_join(dir, "cgroup.subtree_control");
  cleanup_free char *avail = NULL;
  cleanup_free char *enabled = NULL;
  if (!avail_path || !ctl_path)
    return h->error(h, err, ENOMEM, "create");
  int r = cgfs_read(h, avail_path, &avail, err);
  if (r < 0)
    return r;
  r = cgfs_read(h, ctl_path, &enabled, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
    if (!cgfs_has_word(avail, wanted[i]) || cgfs_has_word(enabled, wanted[i]))
      continue;
    char value[32];
    snprintf(value, sizeof(value), "+%s", wanted[i]);
    r = cgfs_write_raw(ctl_path, value);
    if (r < 0 && strcmp(wanted[i], "cpuset") == 0) {
      h->log(h, WB_LOG_WARN, "cannot enable cpuset in %s: %s", ctl_path,
             strerror(-r));
      continue;
    }
    if (r < 0)
      return h->error(h, err, -r, "write '%s' to %s", value, ctl_path);
  }
  return 0;
}

int v2_create(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  int r = cgfs_check_cgroup(h, cg, err);
  if (r < 0)
    return r;
  if (!d->mount)
    return h->error(h, err, -ENOTSUP, "no cgroup2 filesystem mounted");

  cleanup_free char *cur = strdup(d->mount);
  cleanup_free char *parents = strdup(cg->parent ? cg->parent : "");
  if (!cur || !parents)
    return h->error(h, err, ENOMEM, "create");
  r = enable_controllers(d, cur, err);
  if (r < 0)
    return r;
  /* Each level must pass the controllers down before its child exists, or
   * the child would not offer them. */
  char *save = NULL;
  for (char *comp = strtok_r(parents, "/", &save); comp;
       comp = strtok_r(NULL, "/", &save)) {
    char *next = cgfs_join(cur, comp);
    if (!next)
      return h->error(h, err, ENOMEM, "create");
    free(cur);
    cur = next;
    if (mkdir(cur, 0755) < 0 && errno != EEXIST)
      return h->error(h, err, errno, "mkdir %s", cur);
    r = enable_controllers(d, cur, err);
    if (r < 0)
      return r;
  }
  cleanup_free char *path = cgfs_join(cur, cg->id);
  if (!path)
    return h->error(h, err, ENOMEM, "create");
  if (mkdir(path, 0755) < 0) {
    if (errno == EEXIST)
      return h->error(h, err, -EEXIST, "cgroup %s already exists", path);
    return h->error(h, err, errno, "mkdir %s", path);
  }
  return 0;
}

int v2_enter(void *data, const struct wb_cgroup *cg, pid_t pid, wb_error *err)
{
  struct v2_driver *d = data;
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(d->host, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  cleanup_free char *procs = cgfs_join(path, "cgroup.procs");
  if (!procs)
    return d->host->error(d->host, err, ENOMEM, "enter");
  char value[32];
  snprintf(value, sizeof(value), "%d", (int)pid);
  return cgfs_write(d->host, procs, value, err);
}

/* O_PATH is enough for CLONE_INTO_CGROUP (the kernel checks write access
 * to cgroup.procs, as for enter(), not the descriptor's mode). */
int v2_open(void *data, const struct wb_cgroup *cg, int *dirfd, wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  if (!d->mount)
    return h->error(h, err, -ENOTSUP, "no cgroup2 filesystem mounted");
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(h, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return h->error(h, err, errno, "open %s", path);
  *dirfd = fd;
  return 0;
}

/* SIGKILL through cgroup.kill (Linux 5.14+) reaches processes forked while
 * we would be reading cgroup.procs; other signals and older kernels go
 * through the list.  *listed: processes seen (0 with cgroup.kill). */
static int kill_all(const char *path, int sig, unsigned *listed)
{
  *listed = 0;
  if (sig == SIGKILL) {
    cleanup_free char *killf = cgfs_join(path, "cgroup.kill");
    if (!killf)
      return -ENOMEM;
    int r = cgfs_write_raw(killf, "1");
    if (r != -ENOENT)
      return r;
  }
  return cgfs_kill_procs(path, sig, listed);
}

int v2_kill(void *data, const struct wb_cgroup *cg, int sig, wb_error *err)
{
  struct v2_driver *d = data;
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(d->host, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  unsigned listed;
  r = kill_all(path, sig, &listed);
  if (r < 0)
    return d->host->error(d->host, err, -r, "kill processes of %s", path);
  return 0;
}

/* populated 1 in cgroup.events: a process still lives in it or below. */
static bool populated(const char *path)
{
  cleanup_free char *events = cgfs_join(path, "cgroup.events");
  uint64_t v = 0;
  if (!events || cgfs_read_key_u64(events, "populated", &v) < 0)
    return false;
  return v != 0;
}

int v2_destroy(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(h, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  struct stat st;
  if (stat(path, &st) < 0) {
    /* ENOTDIR: a parent level is not a directory; it was never made. */
    if (errno == ENOENT || errno == ENOTDIR)
      return 0;
    return h->error(h, err, errno, "stat %s", path);
  }
  /* Usually every process is gone and reaped: rmdir at once. */
  if (rmdir(path) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY)
    return h->error(h, err, errno, "rmdir %s", path);
  /* Kill, then rmdir; EBUSY while killed processes are still exiting is
   * retried with growing sleeps, about 1 s in all. */
  unsigned delay = 1;
  for (;;) {
    unsigned listed;
    r = kill_all(path, SIGKILL, &listed);
    if (r < 0 && r != -ENOENT)
      return h->error(h, err, -r, "kill processes of %s", path);
    if (rmdir(path) == 0 || errno == ENOENT)
      return 0;
    if (errno != EBUSY)
      return h->error(h, err, errno, "rmdir %s", path);
    /* The last process may have left between rmdir and this check. */
    if (!populated(path)) {
      if (rmdir(path) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || !populated(path))
        return h->error(h, err, errno,
                        "rmdir %s (it has child cgroups or is in use)", path);
    }
    if (delay > 512)
      return h->error(h, err, EBUSY,
                      "rmdir %s: processes still running after SIGKILL", path);
    cgfs_sleep_ms(delay);
    delay *= 2;
  }
}

int v2_freeze(void *data, const struct wb_cgroup *cg, int frozen, wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(h, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  cleanup_free char *freeze = cgfs_join(path, "cgroup.freeze");
  cleanup_free char *events = cgfs_join(path, "cgroup.events");
  if (!freeze || !events)
    return h->error(h, err, ENOMEM, "freeze");
  r = cgfs_write(h, freeze, frozen ? "1" : "0", err);
  if (r < 0)
    return r;
  /* Freezing is asynchronous: report success once "frozen" says so. */
  for (unsigned delay = 1;; delay *= 2) {
    uint64_t state = 0;
    r = cgfs_read_key_u64(events, "frozen", &state);
    if (r < 0)
      return h->error(h, err, -r, "read %s", events);
    if ((state != 0) == (frozen != 0))
      return 0;
    if (delay > 512)
      return h->error(h, err, ETIMEDOUT, "%s did not become %s", path,
                      frozen ? "frozen" : "thawed");
    cgfs_sleep_ms(delay);
  }
}
