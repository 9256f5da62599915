/* driver_log.c - the trampolines in front of a log driver's ops (see
 * driver_log.h).  write() and close() get a handle, not the driver: open()
 * hands out a small core handle that carries both. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "driver_log.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

struct log_handle {
  struct wb_guarded_log *g;
  void *handle; /* the driver's */
};

/* The arguments of one op, for the guard's callback. */
struct log_call {
  const struct wb_log_ops *ops; /* the driver's own */
  void *state;
  const struct wb_log_target *t;
  void **handle;
  int stream;
  const struct timespec *ts;
  const void *buf;
  size_t len;
  const struct wb_log_reader *reader;
};

static struct log_call call_of(const struct wb_guarded_log *g)
{
  return (struct log_call){.ops = g->theirs, .state = *g->state};
}

static int run_open(void *arg, wb_error *err)
{
  const struct log_call *c = arg;
  return c->ops->open(c->state, c->t, c->handle, err);
}

static int run_write(void *arg, wb_error *err)
{
  const struct log_call *c = arg;
  return c->ops->write(*c->handle, c->stream, c->ts, c->buf, c->len, err);
}

static int run_close(void *arg, wb_error *err)
{
  (void)err;
  const struct log_call *c = arg;
  c->ops->close(*c->handle);
  return 0;
}

static int run_read(void *arg, wb_error *err)
{
  const struct log_call *c = arg;
  return c->ops->read(c->state, c->t, c->reader, err);
}

static int run_remove(void *arg, wb_error *err)
{
  const struct log_call *c = arg;
  return c->ops->remove(c->state, c->t, err);
}

static int log_open(void *data, const struct wb_log_target *t, void **handle,
                    wb_error *err)
{
  struct wb_guarded_log *g = data;
  void *theirs = NULL;
  struct log_call c = call_of(g);
  c.t = t;
  c.handle = &theirs;
  *handle = NULL;
  int r =
      wb_guard_call(g->guard, "open", WB_LIMIT_CALL, false, run_open, &c, err);
  if (r < 0)
    return r;
  struct log_handle *h = xzalloc(sizeof *h);
  h->g = g;
  h->handle = theirs;
  *handle = h;
  return 0;
}

static int log_write(void *handle, int stream, const struct timespec *ts,
                     const void *buf, size_t len, wb_error *err)
{
  struct log_handle *h = handle;
  struct log_call c = call_of(h->g);
  c.handle = &h->handle;
  c.stream = stream;
  c.ts = ts;
  c.buf = buf;
  c.len = len;
  return wb_guard_call(h->g->guard, "write", WB_LIMIT_CALL, false, run_write,
                       &c, err);
}

/* close() returns nothing: a fault in it is a warning. */
static void log_close(void *handle)
{
  struct log_handle *h = handle;
  if (!h)
    return;
  struct log_call c = call_of(h->g);
  c.handle = &h->handle;
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (wb_guard_call(h->g->guard, "close", WB_LIMIT_CALL, true, run_close, &c,
                    &e) < 0 &&
      e.code != ENOTRECOVERABLE)
    wb_log(WB_LOG_WARN, "%s", e.msg);
  free(h);
}

/* While the driver is in the core's callbacks, its clock stops and a fault
 * is the core's (driver_guard.h). */
static int guarded_emit(void *arg, int stream, const struct timespec *ts,
                        const char *buf, size_t len)
{
  const struct wb_log_reader *theirs = arg;
  wb_guard_pause();
  int r = theirs->emit(theirs->arg, stream, ts, buf, len);
  wb_guard_resume();
  return r;
}

static int guarded_alive(void *arg)
{
  const struct wb_log_reader *theirs = arg;
  wb_guard_pause();
  int r = theirs->alive(theirs->arg);
  wb_guard_resume();
  return r;
}

/* Without follow, read() is limited like a copy of data (its time in emit,
 * writing to a pipe that may be slow, is not counted); with follow it runs
 * as long as the container does. */
static int log_read(void *data, const struct wb_log_target *t,
                    const struct wb_log_reader *reader, wb_error *err)
{
  struct wb_guarded_log *g = data;
  struct wb_log_reader mine = {0};
  memcpy(&mine, reader,
         reader->size < sizeof mine ? reader->size : sizeof mine);
  mine.size = sizeof mine;
  mine.emit = guarded_emit;
  mine.alive = reader->alive ? guarded_alive : NULL;
  mine.arg = (void *)reader;
  struct log_call c = call_of(g);
  c.t = t;
  c.reader = &mine;
  return wb_guard_call(g->guard, "read",
                       reader->follow ? WB_LIMIT_NONE : WB_LIMIT_DATA, false,
                       run_read, &c, err);
}

static int log_remove(void *data, const struct wb_log_target *t, wb_error *err)
{
  struct wb_guarded_log *g = data;
  struct log_call c = call_of(g);
  c.t = t;
  wb_error local = WB_ERROR_INIT;
  int r = wb_guard_call(g->guard, "remove", WB_LIMIT_DATA, true, run_remove, &c,
                        &local);
  cleanup_free char *what =
      xasprintf("logs of container %.12s outside %s", t->id, t->dir);
  return wb_guard_left_behind(g->left_behind, r, &local, err, what);
}

#define HAS(op) wb_guard_table_has(theirs, offsetof(struct wb_log_ops, op))

void wb_guarded_log_init(struct wb_guarded_log *g, struct wb_guard *guard,
                         const struct wb_log_ops *theirs, void *const *state,
                         char **left_behind)
{
  *g = (struct wb_guarded_log){
      .ops =
          {
              .size = wb_guard_table_size(theirs, sizeof g->ops),
              .open = HAS(open) ? log_open : NULL,
              .write = HAS(write) ? log_write : NULL,
              .close = HAS(close) ? log_close : NULL,
              .read = HAS(read) ? log_read : NULL,
              .remove = HAS(remove) ? log_remove : NULL,
          },
      .guard = guard,
      .theirs = theirs,
      .state = state,
      .left_behind = left_behind,
  };
}
