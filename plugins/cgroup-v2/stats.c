/* stats.c - read a v2 cgroup's usage counters. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cgfs.h"
#include "v2.h"

/* A counter whose controller is not enabled reads as 0 (not applicable);
 * any other failure is an error naming the file. */
static int read_value(const struct wb_host *h, const char *dir,
                      const char *file, const char *key, uint64_t *out,
                      wb_error *err)
{
  cleanup_free char *p = cgfs_join(dir, file);
  if (!p)
    return h->error(h, err, ENOMEM, "stats");
  int r = key ? cgfs_read_key_u64(p, key, out) : cgfs_read_u64(p, out);
  if (r == -ENOENT) {
    *out = 0;
    return 0;
  }
  if (r < 0)
    return h->error(h, err, -r, "read %s%s%s", p, key ? " " : "",
                    key ? key : "");
  return 0;
}

int v2_stats(void *data, const struct wb_cgroup *cg,
             struct wb_cgroup_stats *stats, wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  cleanup_free char *path = NULL;
  int r = cgfs_cgroup_path(h, d->mount, cg, &path, err);
  if (r < 0)
    return r;
  struct stat st;
  if (stat(path, &st) < 0)
    return h->error(h, err, errno, "cgroup %s", path);

  struct {
    const char *file, *key;
    uint64_t value;
  } v[] = {
      {"memory.current", NULL, 0},
      {"memory.max", NULL, 0},
      {"memory.events", "oom_kill", 0},
      {"pids.current", NULL, 0},
      {"pids.max", NULL, 0},
      {"cpu.stat", "usage_usec", 0},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    r = read_value(h, path, v[i].file, v[i].key, &v[i].value, err);
    if (r < 0)
      return r;
  }
  /* "max" reads as UINT64_MAX; the ABI says 0 for unlimited. */
  struct wb_cgroup_stats s = {
      .size = stats->size,
      .memory_usage = v[0].value,
      .memory_limit = v[1].value == UINT64_MAX ? 0 : v[1].value,
      .oom_kills = v[2].value,
      .pids_current = v[3].value,
      .pids_limit = v[4].value == UINT64_MAX ? 0 : v[4].value,
      .cpu_usage_ns = v[5].value * 1000,
  };
  /* Fill only what the caller's struct has room for. */
  size_t n = stats->size < sizeof(s) ? stats->size : sizeof(s);
  memcpy(stats, &s, n);
  return 0;
}
