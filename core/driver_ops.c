#include "driver_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/xalloc.h"

void wb_driver_wrap_ops(struct wb_driver *d)
{
  d->data = d;
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

uint32_t wb_driver_ops_size(const struct wb_driver *d, size_t core_size)
{
  uint32_t size = *(const uint32_t *)d->driver_ops;
  return size < core_size ? size : (uint32_t)core_size;
}

bool wb_driver_has_op(const struct wb_driver *d, size_t offset)
{
  if (*(const uint32_t *)d->driver_ops < offset + sizeof(void (*)(void)))
    return false;
  void (*op)(void);
  memcpy(&op, (const char *)d->driver_ops + offset, sizeof op);
  return op != NULL;
}

int wb_driver_left_behind(struct wb_driver *d, int r, wb_error *local,
                          wb_error *err, const char *what)
{
  if (r >= 0)
    return r;
  /* A call refused after this very leftover was reported (destroy at the
   * container's exit, then again as it is removed): nothing new to say. */
  if (r == -ENOTRECOVERABLE && d->left_behind &&
      strcmp(d->left_behind, what) == 0) {
    wb_error_clear(local);
    return 0;
  }
  free(d->left_behind);
  d->left_behind = xstrdup(what);
  const char *msg = local->msg ? local->msg : "failed";
  if (err)
    wb_error_set(err, -(local->code ? local->code : EIO), "%s; %s may be left",
                 msg, what);
  else
    wb_log(WB_LOG_WARN, "%s; %s may be left", msg, what);
  wb_error_clear(local);
  return r;
}
