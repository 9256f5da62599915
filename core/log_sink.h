/* log_sink.h - feeding a container's output to its log driver, in
 * whalebox-monitor (detached containers) and in whalebox itself (foreground
 * ones) alike; libc only.
 *
 * A write the driver refuses is never silent: the first failure of a
 * streak is logged at error level with the driver's message (in the
 * monitor that lands in the container's monitor.log, which inspect shows
 * as .State.Error), and the first success after it at warning level. */
#ifndef WB_LOG_SINK_H
#define WB_LOG_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <whalebox/plugin.h>

struct wb_log_sink {
  const struct wb_log_ops *ops;
  void *handle;      /* from open(); NULL when the log is not open */
  const char *label; /* "<kind>-<name>", borrowed */
  bool failing;      /* the last write failed */
  uint64_t failed_writes;
  char *error; /* the latest failure, as logged (State.Error), or NULL */
};

/* Open the container's log: ops->open(driver, t).  On failure the sink
 * stays closed and err says why (the driver's message). */
int wb_log_sink_open(struct wb_log_sink *sink, const struct wb_log_ops *ops,
                     void *driver, const char *label,
                     const struct wb_log_target *t, wb_error *err);
/* Append a chunk of `stream`, time-stamped now.  Nothing when closed. */
void wb_log_sink_write(struct wb_log_sink *sink, int stream, const void *buf,
                       size_t len);
/* Close the log (the driver flushes what it holds).  Keeps `error`. */
void wb_log_sink_close(struct wb_log_sink *sink);
/* Free `error` too. */
void wb_log_sink_clear(struct wb_log_sink *sink);

#endif
