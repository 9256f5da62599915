#include "log_sink.h"

#include <stdlib.h>
#include <time.h>

#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

int wb_log_sink_open(struct wb_log_sink *sink, const struct wb_log_ops *ops,
                     void *driver, const char *label,
                     const struct wb_log_target *t, wb_error *err)
{
  *sink = (struct wb_log_sink){.ops = ops, .label = label};
  void *handle = NULL;
  wb_error_clear(err);
  int r = ops->open(driver, t, &handle, err);
  if (r < 0) {
    if (err && !err->msg)
      wb_error_set(err, -r, "%s: open the log of container %.12s", label,
                   t->id);
    return r;
  }
  sink->handle = handle;
  return 0;
}

void wb_log_sink_write(struct wb_log_sink *sink, int stream, const void *buf,
                       size_t len)
{
  if (!sink->handle || len == 0)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  wb_error err = WB_ERROR_INIT;
  int r = sink->ops->write(sink->handle, stream, &ts, buf, len, &err);
  if (r < 0) {
    sink->failed_writes++;
    if (!sink->failing) {
      if (!err.msg)
        wb_error_set(&err, -r, "%s: write", sink->label);
      free(sink->error);
      sink->error = xasprintf("%s; container output is being lost", err.msg);
      wb_log(WB_LOG_ERROR, "%s", sink->error);
    }
    sink->failing = true;
  } else if (sink->failing) {
    sink->failing = false;
    wb_log(WB_LOG_WARN, "%s: writing again after %llu failed writes",
           sink->label, (unsigned long long)sink->failed_writes);
  }
  wb_error_clear(&err);
}

void wb_log_sink_close(struct wb_log_sink *sink)
{
  if (sink->handle)
    sink->ops->close(sink->handle);
  sink->handle = NULL;
}

void wb_log_sink_clear(struct wb_log_sink *sink)
{
  wb_log_sink_close(sink);
  free(sink->error);
  sink->error = NULL;
}
