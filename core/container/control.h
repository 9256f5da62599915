/* control.h - acting on a container's processes from another command:
 * signals, waiting for the end, forced removal.  Processes are reached
 * through pidfds opened after checking pid + start time, so a reused pid is
 * never signalled. */
#ifndef WB_CONTROL_H
#define WB_CONTROL_H

#include "lifecycle.h"

/* Send sig to the container's first process.  -ESRCH with "container X is
 * not running" when it is gone. */
int wb_container_signal(struct wb_container *c, int sig, wb_error *err);
/* Wait until the container's process and its monitor have ended (the exit
 * code is then recorded).  timeout_ms < 0 waits forever.  0, or
 * -ETIMEDOUT. */
int wb_container_wait_ended(const struct wb_container *c, int timeout_ms);
/* Re-read c's state from disk (after its monitor changed it). */
int wb_container_reload(const char *root, struct wb_container **c,
                        wb_error *err);
/* Kill the monitor and every process of the container, then remove all
 * of it, logs included (rm -f). */
int wb_container_force_remove(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err);
/* Signal number from "KILL", "SIGKILL" or "9"; -1 if unknown. */
int wb_signal_parse(const char *text);

#endif
