/* stats.c - read a v1 cgroup's usage counters from its controllers. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cgfs.h"
#include "v1.h"

/* v1 reports "no limit" as a huge page-aligned number (PAGE_COUNTER_MAX
 * pages); anything this large is unlimited. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

/* A controller that is not mounted reads as 0 (not applicable); any other
 * failure is an error naming the file. */
static int read_value(struct v1_driver *d, int c, const struct wb_cgroup *cg,
                      const char *file, const char *key, uint64_t *out,
                      wb_error *err)
{
  const struct wb_host *h = d->host;
  *out = 0;
  if (!d->mount[c])
    return 0;
  cleanup_free char *dir = NULL;
  int r = cgfs_cgroup_path(h, d->mount[c], cg, &dir, err);
  if (r < 0)
    return r;
  cleanup_free char *p = cgfs_join(dir, file);
  if (!p)
    return h->error(h, err, ENOMEM, "stats");
  r = key ? cgfs_read_key_u64(p, key, out) : cgfs_read_u64(p, out);
  if (r < 0)
    return h->error(h, err, -r, "read %s%s%s", p, key ? " " : "",
                    key ? key : "");
  return 0;
}

int v1_stats(void *data, const struct wb_cgroup *cg,
             struct wb_cgroup_stats *stats, wb_error *err)
{
  struct v1_driver *d = data;
  struct {
    int controller;
    const char *file, *key;
    uint64_t value;
  } v[] = {
      {V1_MEMORY, "memory.usage_in_bytes", NULL, 0},
      {V1_MEMORY, "memory.limit_in_bytes", NULL, 0},
      {V1_MEMORY, "memory.oom_control", "oom_kill", 0},
      {V1_PIDS, "pids.current", NULL, 0},
      {V1_PIDS, "pids.max", NULL, 0},
      {V1_CPUACCT, "cpuacct.usage", NULL, 0},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    int r = read_value(d, v[i].controller, cg, v[i].file, v[i].key, &v[i].value,
                       err);
    if (r < 0)
      return r;
  }
  struct wb_cgroup_stats s = {
      .size = stats->size,
      .memory_usage = v[0].value,
      .memory_limit = v[1].value >= V1_UNLIMITED_FLOOR ? 0 : v[1].value,
      .oom_kills = v[2].value,
      .pids_current = v[3].value,
      .pids_limit = v[4].value == UINT64_MAX ? 0 : v[4].value,
      .cpu_usage_ns = v[5].value,
  };
  /* Fill only what the caller's struct has room for. */
  size_t n = stats->size < sizeof(s) ? stats->size : sizeof(s);
  memcpy(stats, &s, n);
  return 0;
}
