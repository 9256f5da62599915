/* limits.c - write wb_limits into a v1 cgroup's controller directories. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "v1.h"

/* Write <controller dir>/<file>; the controller must be mounted. */
static int write_file(struct v1_driver *d, int c, const struct wb_cgroup *cg,
                      const char *file, const char *value, wb_error *err)
{
  cleanup_free char *dir = NULL;
  int r = v1_path(d, c, cg, &dir, err);
  if (r < 0)
    return r;
  cleanup_free char *p = cgfs_join(dir, file);
  if (!p)
    return d->host->error(d->host, err, ENOMEM, "apply");
  return cgfs_write(d->host, p, value, err);
}

static void format_limit(char *buf, size_t len, int64_t v)
{
  if (v < 0)
    snprintf(buf, len, "-1"); /* v1 spells "unlimited" as -1 */
  else
    snprintf(buf, len, "%" PRId64, v);
}

/* The kernel keeps memory.memsw.limit_in_bytes >= memory.limit_in_bytes at
 * every moment, so the order of the two writes depends on the direction:
 * memsw first when the new memsw is at least the current limit (raising),
 * the limit first otherwise (lowering). */
static int apply_memory(struct v1_driver *d, const struct wb_cgroup *cg,
                        int64_t memory, int64_t swap, wb_error *err)
{
  const struct wb_host *h = d->host;
  if (memory == 0 && swap == 0)
    return 0;
  int r = v1_require(d, V1_MEMORY, "memory limit", err);
  if (r < 0)
    return r;
  cleanup_free char *dir = NULL;
  r = v1_path(d, V1_MEMORY, cg, &dir, err);
  if (r < 0)
    return r;
  cleanup_free char *limit_path = cgfs_join(dir, "memory.limit_in_bytes");
  cleanup_free char *memsw_path = cgfs_join(dir, "memory.memsw.limit_in_bytes");
  if (!limit_path || !memsw_path)
    return h->error(h, err, ENOMEM, "apply");
  char mem_value[32], swap_value[32];
  format_limit(mem_value, sizeof(mem_value), memory);
  format_limit(swap_value, sizeof(swap_value), swap);

  bool has_memsw = access(memsw_path, F_OK) == 0;
  if (swap < -1)
    return h->error(h, err, -EINVAL, "invalid memory+swap limit %" PRId64,
                    swap);
  if (swap > 0 && !has_memsw)
    return h->error(h, err, -ENOTSUP,
                    "swap limit not supported: %s does not exist (swap "
                    "accounting is off)",
                    memsw_path);
  if (swap == 0 || !has_memsw) {
    /* Only the memory limit (swap -1 without swap accounting is what the
     * kernel does anyway). */
    r = cgfs_write_raw(limit_path, mem_value);
    if (r == -EINVAL)
      return h->error(h, err, -EINVAL,
                      "write '%s' to %s: Invalid argument (above the "
                      "memory+swap limit in %s?)",
                      mem_value, limit_path, memsw_path);
    if (r < 0)
      return h->error(h, err, -r, "write '%s' to %s", mem_value, limit_path);
    return 0;
  }

  uint64_t cur_limit;
  r = cgfs_read_u64(limit_path, &cur_limit);
  if (r < 0)
    return h->error(h, err, -r, "read %s", limit_path);
  uint64_t new_limit = memory > 0   ? (uint64_t)memory
                       : memory < 0 ? UINT64_MAX
                                    : cur_limit;
  uint64_t new_memsw = swap < 0 ? UINT64_MAX : (uint64_t)swap;
  if (swap > 0 && memory < 0)
    return h->error(h, err, -EINVAL,
                    "a memory+swap limit (%" PRId64 ") needs a memory limit",
                    swap);
  if (new_memsw < new_limit)
    return h->error(h, err, -EINVAL,
                    "memory+swap limit %" PRId64
                    " is smaller than the memory limit %" PRIu64,
                    swap, new_limit);
  if (new_memsw >= cur_limit) {
    r = cgfs_write(h, memsw_path, swap_value, err);
    if (r == 0 && memory != 0)
      r = cgfs_write(h, limit_path, mem_value, err);
  } else {
    r = memory != 0 ? cgfs_write(h, limit_path, mem_value, err) : 0;
    if (r == 0)
      r = cgfs_write(h, memsw_path, swap_value, err);
  }
  return r;
}

static int apply_cpu(struct v1_driver *d, const struct wb_cgroup *cg,
                     uint64_t shares, int64_t quota, uint64_t period,
                     wb_error *err)
{
  const struct wb_host *h = d->host;
  char value[32];
  int r;
  if (shares != 0) {
    if (shares < 2 || shares > 262144)
      return h->error(h, err, -EINVAL,
                      "cpu shares %" PRIu64 " out of range 2..262144", shares);
    r = v1_require(d, V1_CPU, "cpu shares", err);
    if (r < 0)
      return r;
    snprintf(value, sizeof(value), "%" PRIu64, shares);
    r = write_file(d, V1_CPU, cg, "cpu.shares", value, err);
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
  r = v1_require(d, V1_CPU, "cpu quota", err);
  if (r < 0)
    return r;
  snprintf(value, sizeof(value), "%" PRIu64, period);
  r = write_file(d, V1_CPU, cg, "cpu.cfs_period_us", value, err);
  if (r < 0 || quota == 0)
    return r;
  format_limit(value, sizeof(value), quota);
  return write_file(d, V1_CPU, cg, "cpu.cfs_quota_us", value, err);
}

static int apply_cpuset(struct v1_driver *d, const struct wb_cgroup *cg,
                        const char *file, const char *list, wb_error *err)
{
  if (!list || !*list)
    return 0;
  if (!cgfs_valid_list(list))
    return d->host->error(d->host, err, -EINVAL,
                          "invalid %s value '%s': expected a list such as "
                          "0-2,4",
                          file, list);
  int r = v1_require(d, V1_CPUSET, file, err);
  if (r < 0)
    return r;
  return write_file(d, V1_CPUSET, cg, file, list, err);
}

static int apply_pids(struct v1_driver *d, const struct wb_cgroup *cg,
                      int64_t limit, wb_error *err)
{
  char value[32];
  if (limit == 0)
    return 0;
  if (limit < -1)
    return d->host->error(d->host, err, -EINVAL, "invalid pids limit %" PRId64,
                          limit);
  int r = v1_require(d, V1_PIDS, "pids limit", err);
  if (r < 0)
    return r;
  if (limit < 0)
    snprintf(value, sizeof(value), "max");
  else
    snprintf(value, sizeof(value), "%" PRId64, limit);
  return write_file(d, V1_PIDS, cg, "pids.max", value, err);
}

int v1_apply(void *data, const struct wb_cgroup *cg, const struct wb_limits *l,
             wb_error *err)
{
  struct v1_driver *d = data;
  int r = cgfs_check_cgroup(d->host, cg, err);
  if (r < 0)
    return r;
  if (!l || l->size < sizeof(uint32_t))
    return d->host->error(d->host, err, -EINVAL, "invalid struct wb_limits");
  r = apply_memory(d, cg, CGFS_FIELD(l, memory), CGFS_FIELD(l, memory_swap),
                   err);
  if (r < 0)
    return r;
  r = apply_cpu(d, cg, CGFS_FIELD(l, cpu_shares), CGFS_FIELD(l, cpu_quota_us),
                CGFS_FIELD(l, cpu_period_us), err);
  if (r < 0)
    return r;
  r = apply_cpuset(d, cg, "cpuset.cpus", CGFS_FIELD(l, cpuset_cpus), err);
  if (r < 0)
    return r;
  r = apply_cpuset(d, cg, "cpuset.mems", CGFS_FIELD(l, cpuset_mems), err);
  if (r < 0)
    return r;
  return apply_pids(d, cg, CGFS_FIELD(l, pids_limit), err);
}
