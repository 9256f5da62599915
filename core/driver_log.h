/* driver_log.h - the trampolines in front of a log driver's ops (see
 * driver_ops.h), in whalebox and in whalebox-monitor alike: libc only, no
 * struct wb_driver.  The caller keeps a struct wb_guarded_log, uses its
 * `ops` as the driver's table and passes the struct itself as the first
 * argument of open, read and remove; write and close get the handle open
 * gave, a small core handle that carries the driver's. */
#ifndef WB_DRIVER_LOG_H
#define WB_DRIVER_LOG_H

#include <whalebox/plugin.h>

#include "driver_guard.h"

struct wb_guarded_log {
  struct wb_log_ops ops; /* the trampolines */
  struct wb_guard *guard;
  const struct wb_log_ops *theirs; /* the driver's own table */
  void *const *state;              /* where init() put the driver's state */
  char **left_behind;              /* see wb_guard_left_behind */
};

/* Fill g->ops: as long as `theirs`, NULL where it has NULL. */
void wb_guarded_log_init(struct wb_guarded_log *g, struct wb_guard *guard,
                         const struct wb_log_ops *theirs, void *const *state,
                         char **left_behind);

#endif
