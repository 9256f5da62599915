/* driver_ops.h - the core's side of every driver op.
 *
 * The loader gives the core, in place of a driver's ops table, a table of
 * trampolines of the same type (one file per kind: driver_storage.c,
 * driver_cgroup.c, driver_log.c).  Each trampoline runs the driver's op
 * under the guard (driver_guard.h: a crash, exit() or hang is an error of
 * the call), holds the driver to the header's error convention (a positive
 * return is success; a failure without host->error() still names the
 * driver, the op and the errno) and, for ops that remove state, says what
 * may be left when they fail.  Every caller of an op, in every process,
 * goes through them without knowing: `d->ops` is the trampolines' table
 * and `d->data` the driver, which they unwrap.
 *
 * These files are where the per-kind facades of the core grow from: the
 * only code that calls a driver's table. */
#ifndef WB_DRIVER_OPS_H
#define WB_DRIVER_OPS_H

#include "plugin_loader.h"

/* Point d->ops at the trampolines for d's kind and d->data at d; the
 * driver's own table stays in d->driver_ops.  Called by the loader once the
 * table is validated. */
void wb_driver_wrap_ops(struct wb_driver *d);

/* Per kind (wb_driver_wrap_ops picks one). */
void wb_storage_wrap_ops(struct wb_driver *d);
void wb_cgroup_wrap_ops(struct wb_driver *d);
void wb_log_wrap_ops(struct wb_driver *d);

/* The size the trampolines' table has: the driver's, never more than the
 * core's struct. */
uint32_t wb_driver_ops_size(const struct wb_driver *d, size_t core_size);
/* Whether the driver's own table has op at `offset` (within its size and
 * not NULL). */
bool wb_driver_has_op(const struct wb_driver *d, size_t offset);

/* A cleanup op (remove, destroy) of d failed with r < 0 and the message in
 * *local: add that `what` may be left, and hand the error to err, or, when
 * the caller passed none (it removes on a best-effort basis), log it as a
 * warning.  Returns r; 0 when the call was refused because of a fault that
 * was already reported with this same `what`. */
int wb_driver_left_behind(struct wb_driver *d, int r, wb_error *local,
                          wb_error *err, const char *what);

#endif
