/* v1.h - the cgroup-v1 driver's state and its files' entry points. */
#ifndef CGROUP_V1_H
#define CGROUP_V1_H

#include <stdbool.h>
#include <whalebox/plugin.h>

/* The controllers the driver uses.  cpu and cpuacct may share one
 * hierarchy ("cpu,cpuacct"): then both point at the same mount. */
enum v1_controller {
  V1_MEMORY,
  V1_CPU,
  V1_CPUACCT,
  V1_CPUSET,
  V1_PIDS,
  V1_FREEZER,
  V1_NCONTROLLERS
};

struct v1_driver {
  const struct wb_host *host;
  char *mount[V1_NCONTROLLERS]; /* hierarchy mount point, NULL if absent */
};

extern const char *const v1_controller_name[V1_NCONTROLLERS];

/* mount.c */
int v1_find_mounts(struct v1_driver *d, wb_error *err);
/* Whether controller c's hierarchy is the first one listed with its mount
 * point: iterate over hierarchies, not controllers, with it. */
bool v1_first_of_hierarchy(const struct v1_driver *d, int c);
/* <mount of c>/<parent>/<id>. */
int v1_path(const struct v1_driver *d, int c, const struct wb_cgroup *cg,
            char **out, wb_error *err);
/* Fail naming the controller when its hierarchy is not mounted. */
int v1_require(const struct v1_driver *d, int c, const char *what,
               wb_error *err);

/* lifecycle.c */
int v1_create(void *data, const struct wb_cgroup *cg, wb_error *err);
int v1_enter(void *data, const struct wb_cgroup *cg, pid_t pid, wb_error *err);
int v1_enter_self(void *data, const struct wb_cgroup *cg, wb_error *err);
int v1_kill(void *data, const struct wb_cgroup *cg, int sig, wb_error *err);
int v1_destroy(void *data, const struct wb_cgroup *cg, wb_error *err);
int v1_freeze(void *data, const struct wb_cgroup *cg, int frozen,
              wb_error *err);

/* limits.c */
int v1_apply(void *data, const struct wb_cgroup *cg,
             const struct wb_limits *limits, wb_error *err);

/* stats.c */
int v1_stats(void *data, const struct wb_cgroup *cg,
             struct wb_cgroup_stats *stats, wb_error *err);

#endif
