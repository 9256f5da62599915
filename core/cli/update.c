/* update: change the resource limits of containers.  A running container
 * gets them through its cgroup driver at once; every container records
 * them in its state, so a later start applies them too.  Values are parsed
 * (with run's messages) before any container is touched. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../container/control.h"
#include "../container/lock.h"
#include "../limits_parse.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox update [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Change the resource limits of containers: applied at once to a running\n"
    "container's cgroup, and recorded for its next start.\n"
    "\n"
    "Options:\n"
    "  -m, --memory SIZE        memory limit (b, k, m, g; at least 6m)\n"
    "      --memory-swap SIZE   memory + swap limit, or -1 for unlimited "
    "swap\n"
    "      --cpu-shares N       relative CPU weight (2-262144; alias "
    "-cpushare)\n"
    "      --cpus X             CPUs' worth of time (CFS quota)\n"
    "      --cpuset-cpus LIST   CPUs allowed, e.g. 0-2,4 (alias --cpuset)\n"
    "      --cpuset-mems LIST   memory nodes allowed\n"
    "      --pids-limit N       process limit, -1 for unlimited\n"
    "  -h, --help               print this help\n";

enum {
  O_MEMORY_SWAP = 256,
  O_CPU_SHARES,
  O_CPUS,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_PIDS_LIMIT,
};

/* The same spellings as run (-cpushare and -cpuset work). */
static const struct option options[] = {
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, O_MEMORY_SWAP},
    {"cpu-shares", required_argument, NULL, O_CPU_SHARES},
    {"cpushare", required_argument, NULL, O_CPU_SHARES},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS},
    {"cpuset", required_argument, NULL, O_CPUSET_CPUS},
    {"cpuset-mems", required_argument, NULL, O_CPUSET_MEMS},
    {"pids-limit", required_argument, NULL, O_PIDS_LIMIT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The limits asked for; a zero field is not being changed.  The cpuset
 * strings point into argv. */
static int parse_limits(int argc, char **argv, struct wb_limits *l,
                        const char **memory_text, bool *help, wb_error *err)
{
  int opt, r;
  while ((opt = wb_cli_getopt_single_dash("update", argc, argv, "+m:h", options,
                                          err)) != -1) {
    switch (opt) {
    case 'm':
      r = wb_parse_memory("--memory", optarg, &l->memory, err);
      *memory_text = optarg;
      break;
    case O_MEMORY_SWAP:
      r = wb_parse_memory_swap(optarg, &l->memory_swap, err);
      break;
    case O_CPU_SHARES:
      r = wb_parse_cpu_shares(optarg, &l->cpu_shares, err);
      break;
    case O_CPUS:
      r = wb_parse_cpus(optarg, &l->cpu_quota_us, &l->cpu_period_us, err);
      break;
    case O_CPUSET_CPUS:
      r = wb_parse_cpuset("--cpuset-cpus", optarg, wb_host_max_cpu(), err);
      l->cpuset_cpus = optarg;
      break;
    case O_CPUSET_MEMS:
      r = wb_parse_cpuset("--cpuset-mems", optarg, wb_host_max_mem_node(), err);
      l->cpuset_mems = optarg;
      break;
    case O_PIDS_LIMIT:
      r = wb_parse_pids_limit(optarg, &l->pids_limit, err);
      break;
    case 'h':
      *help = true;
      return 0;
    default:
      return wb_cli_bad_flag("update", argv, err);
    }
    if (r < 0)
      return r;
  }
  return 0;
}

static bool limits_empty(const struct wb_limits *l)
{
  return !l->memory && !l->memory_swap && !l->cpu_shares && !l->cpu_quota_us &&
         !l->cpu_period_us && !l->cpuset_cpus && !l->cpuset_mems &&
         !l->pids_limit;
}

/* `old` with the fields set in `change` replaced.  Borrows the strings. */
static struct wb_limits limits_merge(const struct wb_limits *old,
                                     const struct wb_limits *change)
{
  struct wb_limits m = *old;
  m.size = sizeof m;
  if (change->memory)
    m.memory = change->memory;
  if (change->memory_swap)
    m.memory_swap = change->memory_swap;
  if (change->cpu_shares)
    m.cpu_shares = change->cpu_shares;
  if (change->cpu_quota_us) {
    m.cpu_quota_us = change->cpu_quota_us;
    m.cpu_period_us = change->cpu_period_us;
  }
  if (change->cpuset_cpus)
    m.cpuset_cpus = change->cpuset_cpus;
  if (change->cpuset_mems)
    m.cpuset_mems = change->cpuset_mems;
  if (change->pids_limit)
    m.pids_limit = change->pids_limit;
  return m;
}

/* What to write for a change: the changed fields, and the memory+swap
 * limit again with a new memory limit, since both drivers derive the swap
 * setting from the pair. */
static struct wb_limits limits_to_apply(const struct wb_limits *change,
                                        const struct wb_limits *merged)
{
  struct wb_limits a = *change;
  a.size = sizeof a;
  if (a.memory && !a.memory_swap)
    a.memory_swap = merged->memory_swap;
  return a;
}

/* After a failed apply, put back what the container had for the fields
 * the change touched (unset ones as the kernel's defaults).  Best effort:
 * cpusets have no default to go back to and stay as they are. */
static void limits_restore(const struct wb_cgroup_ops *ops, void *data,
                           const struct wb_cgroup *cg,
                           const struct wb_limits *change,
                           const struct wb_limits *old)
{
  struct wb_limits back = {.size = sizeof back};
  if (change->memory || change->memory_swap) {
    back.memory = old->memory ? old->memory : -1;
    back.memory_swap = old->memory_swap ? old->memory_swap : -1;
  }
  if (change->cpu_shares)
    back.cpu_shares = old->cpu_shares ? old->cpu_shares : 1024;
  if (change->cpu_quota_us) {
    back.cpu_quota_us = old->cpu_quota_us ? old->cpu_quota_us : -1;
    back.cpu_period_us = old->cpu_period_us ? old->cpu_period_us : 100000;
  }
  if (change->cpuset_cpus && old->cpuset_cpus)
    back.cpuset_cpus = old->cpuset_cpus;
  if (change->cpuset_mems && old->cpuset_mems)
    back.cpuset_mems = old->cpuset_mems;
  if (change->pids_limit)
    back.pids_limit = old->pids_limit ? old->pids_limit : -1;
  cleanup_error wb_error ignored = WB_ERROR_INIT;
  ops->apply(data, cg, &back, &ignored);
}

static void set_string(const char **field, const char *value)
{
  if (!value)
    return;
  free((char *)*field);
  *field = xstrdup(value);
}

static int update_locked(struct wb_context *ctx, const char *ref,
                         struct wb_container *c, const struct wb_limits *change,
                         const char *memory_text, wb_error *err)
{
  wb_container_refresh(c);
  struct wb_limits merged = limits_merge(&c->limits, change);
  if (change->memory && !change->memory_swap && merged.memory_swap > 0 &&
      merged.memory > merged.memory_swap)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --memory: above the "
                        "memory+swap limit of container %s (%lld bytes); "
                        "update --memory-swap at the same time",
                        memory_text, ref, (long long)merged.memory_swap);
  int r = wb_limits_check(&merged, err);
  if (r < 0)
    return r;
  if (wb_container_running(c)) {
    struct wb_driver *drv;
    r = wb_container_cgroup(ctx, c, &drv, err);
    if (r < 0)
      return r;
    const struct wb_cgroup_ops *ops = drv->ops;
    struct wb_cgroup cg = {
        .size = sizeof cg, .parent = c->cgroup_parent, .id = c->id};
    struct wb_limits apply = limits_to_apply(change, &merged);
    r = ops->apply(drv->data, &cg, &apply, err);
    if (r < 0) {
      limits_restore(ops, drv->data, &cg, change, &c->limits);
      return wb_error_prefix(err, "cannot update container %s", ref);
    }
  }
  /* c->limits owns its strings: copy the new ones in. */
  const char *cpus = c->limits.cpuset_cpus, *mems = c->limits.cpuset_mems;
  c->limits = merged;
  c->limits.cpuset_cpus = cpus;
  c->limits.cpuset_mems = mems;
  set_string(&c->limits.cpuset_cpus, change->cpuset_cpus);
  set_string(&c->limits.cpuset_mems, change->cpuset_mems);
  return wb_container_save(c, true, err);
}

/* Under the container's lock: its monitor does not record the end
 * meanwhile, so the state saved is the freshest. */
static int update_one(struct wb_context *ctx, const char *ref,
                      const struct wb_limits *change, const char *memory_text,
                      wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, ref, &c, err);
  if (r < 0)
    return r;
  r = update_locked(ctx, ref, c, change, memory_text, err);
  wb_container_unlock(c);
  return r;
}

WB_COMMAND(update, "update", "Update the resource limits of containers")
{
  struct wb_limits change = {.size = sizeof change};
  const char *memory_text = NULL;
  bool help = false;
  int r = parse_limits(argc, argv, &change, &memory_text, &help, err);
  if (r < 0)
    return r;
  if (help) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"update\" requires at least 1 argument: "
                        "CONTAINER...; see 'whalebox update --help'");
  if (limits_empty(&change))
    return wb_error_set(err, -EINVAL,
                        "update: you must provide one or more flags; see "
                        "'whalebox update --help'");
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (update_one(ctx, argv[i], &change, memory_text, &e) < 0) {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      ret = WB_EXIT_FAILURE;
      continue;
    }
    puts(argv[i]);
  }
  return ret;
}
