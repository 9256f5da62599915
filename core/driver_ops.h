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

/* Point d->ops at the trampolines for d's kind and d->data at what they
 * take as first argument; the driver's own table stays in d->driver_ops.
 * Called by the loader once the table is validated. */
void wb_driver_wrap_ops(struct wb_driver *d);

/* Per kind (wb_driver_wrap_ops picks one). */
void wb_storage_wrap_ops(struct wb_driver *d);
void wb_cgroup_wrap_ops(struct wb_driver *d);
void wb_log_wrap_ops(struct wb_driver *d);

#endif
