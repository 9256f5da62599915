/* driver_guard.h - call into a driver so that its crash, exit() or hang
 * ends the call with an error instead of ending whalebox.
 *
 * A driver is code we did not write running in our address space: a NULL
 * dereference, an abort(), an exit() or an endless wait in it used to take
 * the whole command down with no message (rc 139, 134, 3, or no return),
 * half-way through making a container.  wb_guard_call() runs one driver
 * call with:
 *   - handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT, on an
 *     alternate stack (a runaway recursion has no stack left), that jump
 *     back out of the driver;
 *   - an exit hook that does the same when the driver calls exit();
 *   - a timer (SIGALRM) for calls that do not come back.
 * The call then fails with one line naming the driver, the op and the
 * signal (or the time limit), and the driver counts as faulted for the rest
 * of the process (struct wb_guard).  Handlers stay installed once made;
 * outside a guarded call they hand the signal to whoever had it before, so
 * a crash of the core itself still dumps core as it did.
 *
 * Works in every process that runs a driver: the runtime, the container's
 * first process before exec (storage mount, cgroup enter_self), exec's
 * helper.  What it cannot catch: _exit(), a driver that blocks or takes
 * over these signals, a wait in the kernel that signals cannot interrupt.
 * `plugins` and `info` also run drivers in a child process
 * (driver_scan.h) for those. */
#ifndef WB_DRIVER_GUARD_H
#define WB_DRIVER_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* How long a call may take (see "Time limits" in plugin.h). */
enum wb_guard_limit {
  WB_LIMIT_NONE,  /* no limit: log read with follow */
  WB_LIMIT_QUICK, /* load, probe, fini: cheap by contract */
  WB_LIMIT_CALL,  /* init and every op not listed elsewhere */
  WB_LIMIT_DATA,  /* ops that copy or remove data: storage create, remove,
                     diff; log read and remove */
};

/* Defaults, in seconds; whalebox.conf `drivers { timeout; data_timeout; }`
 * changes them (wb_guard_set_timeouts). */
#define WB_GUARD_QUICK_S 10
#define WB_GUARD_CALL_S 60
#define WB_GUARD_DATA_S 3600

/* What one driver's calls have come to in this process. */
enum wb_guard_state {
  WB_GUARD_OK,
  /* Crashed, exited or hung in an op: not called again, except for the
   * ops that remove what it made (cleanup), once each. */
  WB_GUARD_FAULTED,
  /* Failed that way in a cleanup op too: not called at all. */
  WB_GUARD_DEAD,
};

struct wb_guard {
  const char *who; /* "storage-overlay", or "driver PATH" while loading */
  enum wb_guard_state state;
  char *fault; /* why, e.g. "crashed in create() with signal 11 (...)" */
};

typedef int (*wb_guard_fn)(void *arg, wb_error *err);

/* Run fn(arg, err) as the driver call `op` of g.  Returns what fn returned
 * (a positive value becomes 0: every op's success), or < 0 with err naming
 * the driver: its own message, else "<who>: <op>() failed: <errno text>",
 * else the fault.  `cleanup` marks ops that remove state (storage remove,
 * cgroup destroy, log remove and close): they are still tried once after
 * a fault, under at most the CALL limit, since leaving a cgroup or a
 * directory behind is worse than a second fault, which the guard contains
 * like the first.  err may be NULL. */
int wb_guard_call(struct wb_guard *g, const char *op, enum wb_guard_limit limit,
                  bool cleanup, wb_guard_fn fn, void *arg, wb_error *err);
/* A call of g that is not made: the driver is dead, or faulted and op is
 * not a cleanup op.  Sets err and returns < 0; 0 when the call may go on. */
int wb_guard_refuse(const struct wb_guard *g, const char *op, bool cleanup,
                    wb_error *err);
void wb_guard_clear(struct wb_guard *g);

/* While the driver calls back into the core (log read's emit and alive):
 * a fault there is the core's, and the time spent there does not count
 * against the driver's limit.  Cheap: no system call. */
void wb_guard_pause(void);
void wb_guard_resume(void);

/* Seconds for WB_LIMIT_CALL and WB_LIMIT_DATA (> 0); QUICK is the smaller
 * of WB_GUARD_QUICK_S and `call_s`. */
void wb_guard_set_timeouts(unsigned call_s, unsigned data_s);
unsigned wb_guard_limit_seconds(enum wb_guard_limit limit);
/* A time limit for a child that loads, inits, probes and frees n drivers:
 * their limits added up, and 2 s more.  The guard in the child normally
 * ends a hang sooner; this is for one it cannot. */
unsigned wb_guard_scan_seconds(unsigned n);

/* For trampolines over a driver's ops table (driver_storage.c...): the
 * size their own table gets (the driver's, never more than the core's
 * struct, `core_size`), and whether the driver's table has the op at
 * `offset` (within its size, and not NULL). */
uint32_t wb_guard_table_size(const void *table, size_t core_size);
bool wb_guard_table_has(const void *table, size_t offset);

/* A cleanup op (remove, destroy) failed with r < 0 and the message in
 * *local: add that `what` may be left, and hand the error to err, or, when
 * the caller passed none (it removes on a best-effort basis), log it as a
 * warning.  *noted keeps the last `what` said: a call refused because of
 * a fault that already said so returns 0 quietly (destroy at the
 * container's exit, then again as it is removed).  Returns r. */
int wb_guard_left_behind(char **noted, int r, wb_error *local, wb_error *err,
                         const char *what);

/* In a child of driver_scan.c: before each guarded call, write
 * "op <who> <op>\n" to fd, so that the parent can say where a child it had
 * to kill was.  -1 (the default) writes nothing. */
void wb_guard_set_progress_fd(int fd);

#endif
