/* lifecycle.c - create, enter, kill, freeze and destroy the per-controller
 * directories of a v1 cgroup. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cgfs.h"
#include "v1.h"

static bool is_cpuset_hierarchy(const struct v1_driver *d, int c)
{
  return d->mount[V1_CPUSET] && strcmp(d->mount[c], d->mount[V1_CPUSET]) == 0;
}

/* A new v1 cpuset directory starts with empty cpuset.cpus and cpuset.mems,
 * and no process can join it (nor a child be initialised from it) until
 * they are set: copy its parent's values. */
static int init_cpuset(const struct wb_host *h, const char *dir,
                       const char *parent, wb_error *err)
{
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  for (size_t i = 0; i < 2; i++) {
    cleanup_free char *own = cgfs_join(dir, files[i]);
    cleanup_free char *up = cgfs_join(parent, files[i]);
    cleanup_free char *value = NULL;
    if (!own || !up)
      return h->error(h, err, ENOMEM, "create");
    int r = cgfs_read(h, own, &value, err);
    if (r < 0)
      return r;
    if (value[strspn(value, " \n")] != '\0')
      continue; /* already set (an existing parent level) */
    free(value);
    value = NULL;
    r = cgfs_read(h, up, &value, err);
    if (r < 0)
      return r;
    value[strcspn(value, "\n")] = '\0';
    if (!*value)
      return h->error(h, err, -EINVAL, "%s is empty: cannot initialise %s", up,
                      own);
    r = cgfs_write(h, own, value, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* mkdir <mount>/<parent...>/<id> in controller c's hierarchy; parent
 * levels may exist, the last one must not. */
static int create_in(struct v1_driver *d, int c, const struct wb_cgroup *cg,
                     wb_error *err)
{
  const struct wb_host *h = d->host;
  bool cpuset = is_cpuset_hierarchy(d, c);
  cleanup_free char *cur = strdup(d->mount[c]);
  cleanup_free char *parents = strdup(cg->parent ? cg->parent : "");
  if (!cur || !parents)
    return h->error(h, err, ENOMEM, "create");
  char *save = NULL;
  for (char *comp = strtok_r(parents, "/", &save); comp;
       comp = strtok_r(NULL, "/", &save)) {
    char *next = cgfs_join(cur, comp);
    if (!next)
      return h->error(h, err, ENOMEM, "create");
    if (mkdir(next, 0755) < 0 && errno != EEXIST) {
      int r = h->error(h, err, errno, "mkdir %s", next);
      free(next);
      return r;
    }
    /* Before creating the child: it copies nothing from an empty parent. */
    int r = cpuset ? init_cpuset(h, next, cur, err) : 0;
    free(cur);
    cur = next;
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
  if (cpuset) {
    int r = init_cpuset(h, path, cur, err);
    if (r < 0) {
      rmdir(path);
      return r;
    }
  }
  return 0;
}

int v1_create(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  struct v1_driver *d = data;
  int r = cgfs_check_cgroup(d->host, cg, err);
  if (r < 0)
    return r;
  for (int c = 0; c < V1_NCONTROLLERS; c++) {
    if (!v1_first_of_hierarchy(d, c))
      continue;
    r = create_in(d, c, cg, err);
    if (r == 0)
      continue;
    /* Undo the hierarchies done so far; never the one that already had
     * the directory (it is not ours). */
    for (int u = 0; u < c; u++) {
      if (!v1_first_of_hierarchy(d, u))
        continue;
      cleanup_free char *p = cgfs_cgroup_path_raw(d->mount[u], cg);
      if (p)
        rmdir(p);
    }
    return r;
  }
  return 0;
}

/* Write `value` to `file` of the cgroup in every hierarchy. */
static int write_each_hierarchy(struct v1_driver *d, const struct wb_cgroup *cg,
                                const char *file, const char *value,
                                wb_error *err)
{
  for (int c = 0; c < V1_NCONTROLLERS; c++) {
    if (!v1_first_of_hierarchy(d, c))
      continue;
    cleanup_free char *path = NULL;
    int r = cgfs_cgroup_path(d->host, d->mount[c], cg, &path, err);
    if (r < 0)
      return r;
    cleanup_free char *target = cgfs_join(path, file);
    if (!target)
      return d->host->error(d->host, err, ENOMEM, "enter");
    r = cgfs_write(d->host, target, value, err);
    if (r < 0)
      return r;
  }
  return 0;
}

int v1_enter(void *data, const struct wb_cgroup *cg, pid_t pid, wb_error *err)
{
  char value[32];
  snprintf(value, sizeof(value), "%d", (int)pid);
  return write_each_hierarchy(data, cg, "cgroup.procs", value, err);
}

/* The caller is one thread (the core promises it): moving that thread,
 * named as 0 in `tasks`, is moving the process, and the kernel then skips
 * cgroup_threadgroup_rwsem, whose writers wait for an RCU grace period. */
int v1_enter_self(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  return write_each_hierarchy(data, cg, "tasks", "0", err);
}

int v1_kill(void *data, const struct wb_cgroup *cg, int sig, wb_error *err)
{
  struct v1_driver *d = data;
  /* Every process is in every hierarchy; pids is the one a fork bomb
   * cannot outgrow. */
  int c = d->mount[V1_PIDS] ? V1_PIDS : V1_MEMORY;
  cleanup_free char *path = NULL;
  int r = v1_path(d, c, cg, &path, err);
  if (r < 0)
    return r;
  unsigned listed;
  r = cgfs_kill_procs(path, sig, &listed);
  if (r < 0)
    return d->host->error(d->host, err, -r, "kill processes of %s", path);
  return 0;
}

int v1_destroy(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  struct v1_driver *d = data;
  const struct wb_host *h = d->host;
  int r = cgfs_check_cgroup(h, cg, err);
  if (r < 0)
    return r;
  char *paths[V1_NCONTROLLERS] = {0};
  int n = 0;
  for (int c = 0; c < V1_NCONTROLLERS; c++) {
    if (!v1_first_of_hierarchy(d, c))
      continue;
    r = cgfs_cgroup_path(h, d->mount[c], cg, &paths[n], err);
    if (r < 0)
      goto out;
    n++;
  }
  /* rmdir everywhere; where that is refused (EBUSY), kill what is listed
   * and try again, with growing sleeps, about 1 s in all.  The first pass
   * lists nothing: usually every process is gone and reaped by then (a
   * container that exited).  ENOTDIR: a parent level is not a directory,
   * so this cgroup was never made (its create failed). */
  for (unsigned delay = 0;; delay = delay ? delay * 2 : 1) {
    unsigned alive = 0;
    bool busy = false;
    for (int i = 0; delay && i < n; i++) {
      unsigned listed = 0;
      r = cgfs_kill_procs(paths[i], SIGKILL, &listed);
      if (r < 0 && r != -ENOENT) {
        r = h->error(h, err, -r, "kill processes of %s", paths[i]);
        goto out;
      }
      alive += listed;
    }
    for (int i = 0; i < n; i++) {
      if (rmdir(paths[i]) == 0 || errno == ENOENT || errno == ENOTDIR)
        continue;
      if (errno != EBUSY) {
        r = h->error(h, err, errno, "rmdir %s", paths[i]);
        goto out;
      }
      busy = true;
    }
    if (!busy) {
      r = 0;
      goto out;
    }
    if (delay && (alive == 0 || delay > 512)) {
      for (int i = 0; i < n; i++)
        if (rmdir(paths[i]) < 0 && errno == EBUSY) {
          r = h->error(h, err, EBUSY, "rmdir %s%s", paths[i],
                       alive ? ": processes still running after SIGKILL"
                             : " (it has child cgroups or is in use)");
          break;
        }
      if (r >= 0)
        r = 0;
      goto out;
    }
    if (delay)
      cgfs_sleep_ms(delay);
  }
out:
  for (int i = 0; i < n; i++)
    free(paths[i]);
  return r;
}

int v1_freeze(void *data, const struct wb_cgroup *cg, int frozen, wb_error *err)
{
  struct v1_driver *d = data;
  const struct wb_host *h = d->host;
  cleanup_free char *path = NULL;
  int r = v1_path(d, V1_FREEZER, cg, &path, err);
  if (r < 0)
    return r;
  cleanup_free char *state = cgfs_join(path, "freezer.state");
  if (!state)
    return h->error(h, err, ENOMEM, "freeze");
  const char *want = frozen ? "FROZEN" : "THAWED";
  r = cgfs_write(h, state, want, err);
  if (r < 0)
    return r;
  /* FREEZING may last a moment: report success once it reads FROZEN. */
  for (unsigned delay = 1;; delay *= 2) {
    cleanup_free char *now = NULL;
    r = cgfs_read(h, state, &now, err);
    if (r < 0)
      return r;
    now[strcspn(now, "\n")] = '\0';
    if (strcmp(now, want) == 0)
      return 0;
    if (delay > 512)
      return h->error(h, err, ETIMEDOUT, "%s reads %s, not %s", state, now,
                      want);
    cgfs_sleep_ms(delay);
  }
}
