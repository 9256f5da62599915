/* monitor.h - the small process that owns a detached container: it reaps
 * it, records its exit code, OOM and finish time, feeds its stdout and
 * stderr to the log driver and removes its cgroup when it ends. */
#ifndef WB_MONITOR_H
#define WB_MONITOR_H

#include "lifecycle.h"

/* Start the created container c under a new monitor (double-forked, own
 * session, child subreaper).  Returns once the command is running, or with
 * the failure and its 125/126/127 exit code; then the container is removed
 * when remove_on_failure (a new one), else kept stopped.  The monitor
 * survives us. */
int wb_monitor_start(struct wb_context *ctx, struct wb_container *c,
                     bool remove_on_failure, wb_error *err);

/* <container>/monitor.log: what the monitor and the log driver running in
 * it had to say (whalebox-monitor's messages.c); made only when there is
 * something, removed when the container starts again. */
char *wb_monitor_messages_path(const struct wb_container *c);
/* The last error in it (what went wrong with the container's log while it
 * ran), or NULL. */
char *wb_monitor_last_error(const struct wb_container *c);

#endif
