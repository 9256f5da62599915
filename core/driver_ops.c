#include "driver_ops.h"

#include "driver_log.h"

void wb_driver_wrap_ops(struct wb_driver *d)
{
  switch (d->desc->kind) {
  case WB_PLUGIN_STORAGE:
    wb_storage_wrap_ops(d);
    break;
  case WB_PLUGIN_CGROUP:
    wb_cgroup_wrap_ops(d);
    break;
  case WB_PLUGIN_LOG:
    wb_log_wrap_ops(d);
    break;
  default:
    break; /* refused by the loader */
  }
}

/* A log driver's trampolines are shared with whalebox-monitor, which has
 * no struct wb_driver (driver_log.h): they take the guarded table. */
void wb_log_wrap_ops(struct wb_driver *d)
{
  struct wb_guarded_log *g = &d->guarded.log;
  wb_guarded_log_init(g, &d->guard, d->driver_ops, &d->state, &d->left_behind);
  d->ops = &g->ops;
  d->data = g;
}
