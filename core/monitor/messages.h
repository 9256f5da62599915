/* messages.h - where whalebox-monitor's messages go: its own and those of
 * the log driver it runs (host->log), one time-stamped line each, in a
 * file of the container's (<container>/monitor.log) that `inspect` and
 * `logs` read.  The monitor's stderr is /dev/null: without this a driver
 * failure here was lost without a trace (issue 13). */
#ifndef WB_MONITOR_MESSAGES_H
#define WB_MONITOR_MESSAGES_H

/* Send every wb_log line to `path` from now on.  The file is made with
 * the first line, so a container with nothing to report costs no inode. */
void wb_messages_init(const char *path);
/* Write what could not be written yet (a full disk); call when there may
 * be room again.  Cheap when there is nothing pending. */
void wb_messages_flush(void);
/* At exit: a last try, then the system log for what still did not fit. */
void wb_messages_finish(void);

#endif
