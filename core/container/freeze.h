/* freeze.h - frozen containers: pause and unpause, and the freeze of a
 * running container while commit captures its changes.  A frozen
 * container is recorded as such (State.Paused) before its cgroup is
 * frozen, so that every command knows: stop, kill and rm -f thaw it
 * first, exec refuses it instead of hanging.
 *
 * commit's freeze is a lease: the state names the commit process, and a
 * watcher forked before the freeze, in a session of its own, thaws the
 * container as soon as that process is gone, however it ends (SIGKILL
 * cannot be caught).  Should the watcher die too, the lease of a dead
 * process is void for every reader (wb_container_refresh) and the next
 * command that acts on the container thaws it. */
#ifndef WB_FREEZE_H
#define WB_FREEZE_H

#include "lifecycle.h"

/* pause / unpause `ref`, with Docker's errors ("is not running", "is
 * already paused", "is not paused"). */
int wb_container_pause(struct wb_context *ctx, const char *ref, wb_error *err);
int wb_container_unpause(struct wb_context *ctx, const char *ref,
                         wb_error *err);

/* Under c's lock, c fresh and refreshed: thaw whatever froze it and record
 * it as not paused.  Best effort (logged): stop, kill and rm -f go on. */
void wb_container_thaw_any(struct wb_context *ctx, struct wb_container *c);

/* Under c's lock, c fresh: a lease whose commit is gone (and whose watcher
 * did not thaw it) is ended now, the cgroup thawed. */
void wb_container_end_stale_freeze(struct wb_context *ctx,
                                   struct wb_container *c);

/* Before exec joins c (as loaded, not refreshed): a paused container is
 * refused with Docker's message (a process entering its cgroup would
 * freeze, and exec with it); a lease whose commit is gone is ended first. */
int wb_container_exec_ready(struct wb_context *ctx, struct wb_container *c,
                            wb_error *err);

/* commit --pause: the container of `c` frozen for as long as this process
 * lives at most. */
struct wb_freeze_lease {
  bool frozen;   /* by us: end it */
  int done;      /* closed to tell the watcher it is over; -1 when none */
  pid_t watcher; /* reaped when it is over; -1 when none */
};
/* 0 with lease->frozen when we froze it; 0 with !frozen when there is
 * nothing to freeze (not running, or paused already: not ours to thaw). */
int wb_freeze_lease_take(struct wb_context *ctx, const struct wb_container *c,
                         struct wb_freeze_lease *lease, wb_error *err);
/* Thaw it, unless someone took it over meanwhile (unpause, stop...). */
int wb_freeze_lease_end(struct wb_context *ctx, const struct wb_container *c,
                        struct wb_freeze_lease *lease, wb_error *err);

#endif
