/* plugin.c - the cgroup-v2 driver's descriptor, init and probe. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgfs.h"
#include "v2.h"

static int v2_init(const struct wb_host *host, void **data, wb_error *err)
{
  struct v2_driver *d = calloc(1, sizeof(*d));
  if (!d)
    return host->error(host, err, ENOMEM, "init");
  d->host = host;
  /* A host without cgroup2 still loads the driver: probe() says why it
   * cannot be used. */
  int r = v2_find_mount(d, err);
  if (r < 0) {
    free(d);
    return r;
  }
  *data = d;
  return 0;
}

static void v2_fini(void *data)
{
  struct v2_driver *d = data;
  if (!d)
    return;
  free(d->mount);
  free(d);
}

static int v2_probe(void *data, wb_error *err)
{
  struct v2_driver *d = data;
  const struct wb_host *h = d->host;
  if (!d->mount)
    return h->error(h, err, -ENOTSUP,
                    "no cgroup2 filesystem mounted (none in "
                    "/proc/self/mountinfo)");
  cleanup_free char *missing = NULL;
  bool cpuset = false;
  int r = v2_missing_controllers(d, d->mount, &missing, &cpuset, err);
  if (r < 0)
    return r;
  if (*missing)
    return h->error(h, err, -ENOTSUP, "controllers %s not available in %s%s%s",
                    missing, d->mount, d->hybrid ? " (hybrid host)" : "",
                    cpuset ? ""
                           : "; cpuset is missing too (needed only for "
                             "cpuset limits)");
  if (access(d->mount, W_OK) < 0)
    return h->error(h, err, errno, "cannot write to %s", d->mount);
  if (!cpuset)
    h->log(h, WB_LOG_INFO,
           "cpuset controller not available in %s: cpuset limits will fail",
           d->mount);
  return 0;
}

static const struct wb_cgroup_ops v2_ops = {
    .size = sizeof(struct wb_cgroup_ops),
    .create = v2_create,
    .apply = v2_apply,
    .enter = v2_enter,
    .stats = v2_stats,
    .kill = v2_kill,
    .destroy = v2_destroy,
    .freeze = v2_freeze,
    .open = v2_open,
};

static const struct wb_plugin v2_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_CGROUP,
    .name = "v2",
    .version = "0.1.0",
    .summary = "cgroup v2 (unified hierarchy): memory, cpu, cpuset, pids",
    .options = NULL,
    .init = v2_init,
    .fini = v2_fini,
    .probe = v2_probe,
    .ops = &v2_ops,
};

WB_PLUGIN_DEFINE(v2_plugin)
