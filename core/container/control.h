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
/* Load `ref` and take its lock (lock.h), its state read again under the
 * lock: what a command that changes a container starts with.  Release
 * with wb_container_unlock(*c). */
int wb_container_load_locked(const char *root, const char *ref,
                             struct wb_container **c, wb_error *err);
/* Kill the monitor and every process of the container (thawed first),
 * then remove all of it, logs included (rm -f).  Works on a container
 * whose state cannot be read (c->unreadable): its cgroup and storage are
 * found through its sidecar. */
int wb_container_force_remove(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err);
/* prune: remove c if, under its lock, it is still stopped (exited): 1
 * when removed, 0 when it is not stopped any more.  Never signals a live
 * process. */
int wb_container_remove_stopped(struct wb_context *ctx,
                                const struct wb_container *c, wb_error *err);
/* For listings: a --rm container that ended with nobody to record it
 * (its monitor or foreground run was killed) is removed by the first
 * command that sees it ended.  1 when it was removed; 0 when it was not
 * (still running, or another command holds its lock). */
int wb_container_collect_ended(struct wb_context *ctx, const char *id);
/* Signal number from "KILL", "SIGKILL" or "9"; -1 if unknown. */
int wb_signal_parse(const char *text);

#endif
