/* plugin.c - the cgroup-v1 driver's descriptor, init and probe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "v1.h"

static int v1_init(const struct wb_host *host, void **data, wb_error *err)
{
  struct v1_driver *d = calloc(1, sizeof(*d));
  if (!d)
    return host->error(host, err, ENOMEM, "init");
  d->host = host;
  int r = v1_find_mounts(d, err);
  if (r < 0) {
    for (int c = 0; c < V1_NCONTROLLERS; c++)
      free(d->mount[c]);
    free(d);
    return r;
  }
  *data = d;
  return 0;
}

static void v1_fini(void *data)
{
  struct v1_driver *d = data;
  if (!d)
    return;
  for (int c = 0; c < V1_NCONTROLLERS; c++)
    free(d->mount[c]);
  free(d);
}

static int v1_probe(void *data, wb_error *err)
{
  struct v1_driver *d = data;
  const struct wb_host *h = d->host;
  /* cpuacct only feeds the cpu usage statistic: optional. */
  static const int required[] = {V1_MEMORY, V1_CPU, V1_CPUSET, V1_PIDS,
                                 V1_FREEZER};
  char missing[128] = "";
  size_t n = 0, count = 0;
  for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
    if (d->mount[required[i]])
      continue;
    int w = snprintf(missing + n, sizeof(missing) - n, "%s%s",
                     count ? ", " : "", v1_controller_name[required[i]]);
    if (w > 0 && (size_t)w < sizeof(missing) - n)
      n += (size_t)w;
    count++;
  }
  if (count)
    return h->error(h, err, -ENOTSUP,
                    "%s %s not mounted as cgroup v1 hierarchies (none in "
                    "/proc/self/mountinfo)",
                    count > 1 ? "controllers" : "controller", missing);
  for (int c = 0; c < V1_NCONTROLLERS; c++)
    if (v1_first_of_hierarchy(d, c) && access(d->mount[c], W_OK) < 0)
      return h->error(h, err, errno, "cannot write to %s", d->mount[c]);
  if (!d->mount[V1_CPUACCT])
    h->log(h, WB_LOG_INFO, "cpuacct is not mounted: cpu usage reads as 0");
  return 0;
}

static const struct wb_cgroup_ops v1_ops = {
    .size = sizeof(struct wb_cgroup_ops),
    .create = v1_create,
    .apply = v1_apply,
    .enter = v1_enter,
    .stats = v1_stats,
    .kill = v1_kill,
    .destroy = v1_destroy,
    .freeze = v1_freeze,
    .enter_self = v1_enter_self,
};

static const struct wb_plugin v1_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_CGROUP,
    .name = "v1",
    .version = "0.1.0",
    .summary = "cgroup v1 hierarchies: memory, cpu, cpuacct, cpuset, pids, "
               "freezer",
    .options = NULL,
    .init = v1_init,
    .fini = v1_fini,
    .probe = v1_probe,
    .ops = &v1_ops,
};

WB_PLUGIN_DEFINE(v1_plugin)
