/* v2.h - the cgroup-v2 driver's state and its files' entry points. */
#ifndef CGROUP_V2_H
#define CGROUP_V2_H

#include <stdbool.h>
#include <whalebox/plugin.h>

struct v2_driver {
  const struct wb_host *host;
  char *mount; /* the cgroup2 mount point, NULL when there is none */
  bool hybrid; /* cgroup v1 hierarchies are mounted too */
};

/* mount.c */
int v2_find_mount(struct v2_driver *d, wb_error *err);
/* Which of memory, cpu, pids are missing from <dir>/cgroup.controllers, as
 * "memory, cpu" (empty when none); *cpuset says whether cpuset is there. */
int v2_missing_controllers(struct v2_driver *d, const char *dir, char **missing,
                           bool *cpuset, wb_error *err);
/* Fail naming the controller when it is not in <dir>/cgroup.controllers
 * (i.e. not enabled by the parent) and a limit (`what`) needs it. */
int v2_require_controller(struct v2_driver *d, const char *dir,
                          const char *controller, const char *what,
                          wb_error *err);

/* lifecycle.c */
int v2_create(void *data, const struct wb_cgroup *cg, wb_error *err);
int v2_enter(void *data, const struct wb_cgroup *cg, pid_t pid, wb_error *err);
int v2_open(void *data, const struct wb_cgroup *cg, int *dirfd, wb_error *err);
int v2_kill(void *data, const struct wb_cgroup *cg, int sig, wb_error *err);
int v2_destroy(void *data, const struct wb_cgroup *cg, wb_error *err);
int v2_freeze(void *data, const struct wb_cgroup *cg, int frozen,
              wb_error *err);

/* limits.c */
int v2_apply(void *data, const struct wb_cgroup *cg,
             const struct wb_limits *limits, wb_error *err);
/* cpu.weight for a v1 cpu.shares value (2..262144). */
uint64_t v2_shares_to_weight(uint64_t shares);

/* stats.c */
int v2_stats(void *data, const struct wb_cgroup *cg,
             struct wb_cgroup_stats *stats, wb_error *err);

#endif
