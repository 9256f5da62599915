/* foreground.h - stay with a started container until it ends: forward
 * signals, relay the pty, restore the terminal. */
#ifndef WB_FOREGROUND_H
#define WB_FOREGROUND_H

#include <signal.h>

#include "lifecycle.h"

/* Block the signals that wb_foreground_wait() forwards; call before
 * wb_container_start() so none is lost in between.  *old receives the
 * previous mask. */
void wb_foreground_block_signals(sigset_t *old);

/* Wait for p to exit; *status is its wait status. */
int wb_foreground_wait(struct wb_process *p, const sigset_t *old, int *status,
                       wb_error *err);

/* Start the created container c and stay attached until it ends: the
 * runtime is its monitor.  Returns the container's exit code, or < 0 when
 * it could not start (then, for --rm, nothing is left). */
int wb_container_run_attached(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err);

#endif
