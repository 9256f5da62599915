/* limits.c - write wb_limits into a v2 cgroup's interface files. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "v2.h"

/* runc's linear mapping of the v1 shares range [2, 262144] onto the v2
 * weight range [1, 10000]: 1 + ((shares - 2) * 9999) / 262142 (runc
 * libcontainer/cgroups ConvertCPUSharesToCgroupV2Value; crun and newer
 * runc use a quadratic fit in log space instead).  We keep the linear one:
 * integer only, and what Docker on runc has written for years. */
uint64_t v2_shares_to_weight(uint64_t shares)
{
  return 1 + ((shares - 2) * 9999) / 262142;
}

struct target {
  struct v2_driver *d;
  const char *path; /* the cgroup's directory */
};

static int write_file(const struct target *t, const char *file,
                      const char *value, wb_error *err)
{
  cleanup_free char *p = cgfs_join(t->path, file);
  if (!p)
    return t->d->host->error(t->d->host, err, ENOMEM, "apply");
  return cgfs_write(t->d->host, p, value, err);
}

static int need(const struct target *t, const char *controller,
                const char *what, wb_error *err)
{
  return v2_require_controller(t->d, t->path, controller, what, err);
}

static int apply_memory(const struct target *t, int64_t memory, int64_t swap,
                        wb_error *err)
{
  const struct wb_host *h = t->d->host;
  char value[32];
  int r;
  if (memory == 0 && swap == 0)
    return 0;
  r = need(t, "memory", memory ? "memory limit" : "memory+swap limit", err);
  if (r < 0)
    return r;
  if (memory != 0) {
    if (memory < 0)
      snprintf(value, sizeof(value), "max");
    else
      snprintf(value, sizeof(value), "%" PRId64, memory);
    r = write_file(t, "memory.max", value, err);
    if (r < 0)
      return r;
  }
  if (swap == 0)
    return 0;
  cleanup_free char *swap_path = cgfs_join(t->path, "memory.swap.max");
  if (!swap_path)
    return h->error(h, err, ENOMEM, "apply");
  if (access(swap_path, F_OK) < 0) {
    if (swap == -1)
      return 0; /* unlimited is what a kernel without swap control does */
    return h->error(h, err, -ENOTSUP,
                    "swap limit not supported: %s does not exist (swap "
                    "accounting is off)",
                    swap_path);
  }
  if (swap == -1)
    return cgfs_write(h, swap_path, "max", err);
  if (swap < -1)
    return h->error(h, err, -EINVAL, "invalid memory+swap limit %" PRId64,
                    swap);
  /* Docker's memory_swap is memory + swap; v2 limits swap alone. */
  int64_t mem = memory;
  if (mem == 0) {
    cleanup_free char *max_path = cgfs_join(t->path, "memory.max");
    uint64_t cur = UINT64_MAX;
    if (!max_path)
      return h->error(h, err, ENOMEM, "apply");
    r = cgfs_read_u64(max_path, &cur);
    if (r < 0)
      return h->error(h, err, -r, "read %s", max_path);
    mem = cur == UINT64_MAX ? -1 : (int64_t)cur;
  }
  if (mem < 0)
    return h->error(h, err, -EINVAL,
                    "a memory+swap limit (%" PRId64 ") needs a memory limit",
                    swap);
  if (swap < mem)
    return h->error(h, err, -EINVAL,
                    "memory+swap limit %" PRId64
                    " is smaller than the memory limit %" PRId64,
                    swap, mem);
  snprintf(value, sizeof(value), "%" PRId64, swap - mem);
  return cgfs_write(h, swap_path, value, err);
}

static int apply_cpu(const struct target *t, uint64_t shares, int64_t quota,
                     uint64_t period, wb_error *err)
{
  const struct wb_host *h = t->d->host;
  char value[64];
  int r;
  if (shares != 0) {
    if (shares < 2 || shares > 262144)
      return h->error(h, err, -EINVAL,
                      "cpu shares %" PRIu64 " out of range 2..262144", shares);
    r = need(t, "cpu", "cpu shares", err);
    if (r < 0)
      return r;
    snprintf(value, sizeof(value), "%" PRIu64, v2_shares_to_weight(shares));
    r = write_file(t, "cpu.weight", value, err);
    if (r < 0)
      return r;
  }
  if (quota == 0 && period == 0)
    return 0;
  if (period == 0)
    period = 100000;
  if (period < 1000 || period > 1000000)
    return h->error(h, err, -EINVAL,
                    "cpu period %" PRIu64 " us out of range 1000..1000000",
                    period);
  if (quota > 0 && quota < 1000)
    return h->error(h, err, -EINVAL,
                    "cpu quota %" PRId64 " us is below the minimum 1000",
                    quota);
  r = need(t, "cpu", "cpu quota", err);
  if (r < 0)
    return r;
  cleanup_free char *max_path = cgfs_join(t->path, "cpu.max");
  if (!max_path)
    return h->error(h, err, ENOMEM, "apply");
  if (quota == 0) {
    /* Only the period changes: keep the quota already there. */
    cleanup_free char *cur = NULL;
    r = cgfs_read(h, max_path, &cur, err);
    if (r < 0)
      return r;
    cur[strcspn(cur, " \n")] = '\0';
    snprintf(value, sizeof(value), "%s %" PRIu64, cur, period);
  } else if (quota < 0) {
    snprintf(value, sizeof(value), "max %" PRIu64, period);
  } else {
    snprintf(value, sizeof(value), "%" PRId64 " %" PRIu64, quota, period);
  }
  return cgfs_write(h, max_path, value, err);
}

static int apply_cpuset(const struct target *t, const char *file,
                        const char *list, wb_error *err)
{
  const struct wb_host *h = t->d->host;
  if (!list || !*list)
    return 0;
  if (!cgfs_valid_list(list))
    return h->error(h, err, -EINVAL,
                    "invalid %s value '%s': expected a list such as 0-2,4",
                    file, list);
  int r = need(t, "cpuset", file, err);
  if (r < 0)
    return r;
  return write_file(t, file, list, err);
}

static int apply_pids(const struct target *t, int64_t limit, wb_error *err)
{
  const struct wb_host *h = t->d->host;
  char value[32];
  if (limit == 0)
    return 0;
  if (limit < -1)
    return h->error(h, err, -EINVAL, "invalid pids limit %" PRId64, limit);
  int r = need(t, "pids", "pids limit", err);
  if (r < 0)
    return r;
  if (limit < 0)
    snprintf(value, sizeof(value), "max");
  else
    snprintf(value, sizeof(value), "%" PRId64, limit);
  return write_file(t, "pids.max", value, err);
}

int v2_apply(void *data, const struct wb_cgroup *cg, const struct wb_limits *l,
             wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(h, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  if (!l || l->size < sizeof(uint32_t))
    return h->error(h, err, -EINVAL, "invalid struct wb_limits");
  if (access(path, F_OK) < 0)
    return h->error(h, err, errno, "cgroup %s", path);
  struct target t = {d, path};
  r = apply_memory(&t, CGFS_FIELD(l, memory), CGFS_FIELD(l, memory_swap), err);
  if (r < 0)
    return r;
  r = apply_cpu(&t, CGFS_FIELD(l, cpu_shares), CGFS_FIELD(l, cpu_quota_us),
                CGFS_FIELD(l, cpu_period_us), err);
  if (r < 0)
    return r;
  r = apply_cpuset(&t, "cpuset.cpus", CGFS_FIELD(l, cpuset_cpus), err);
  if (r < 0)
    return r;
  r = apply_cpuset(&t, "cpuset.mems", CGFS_FIELD(l, cpuset_mems), err);
  if (r < 0)
    return r;
  return apply_pids(&t, CGFS_FIELD(l, pids_limit), err);
}
