/* lock.h - one lock per container, held by every command that changes its
 * state (create, start, the record of its end, stop, kill, pause, unpause,
 * commit's freeze, update, rm), so two of them never interleave: ten
 * concurrent `start`s start it once.  The lock is flock() on the
 * container's state directory: no file of its own, and released by the
 * kernel when its holder dies, however it dies.  Other containers' locks
 * are independent.  Readers (ps, inspect) never take it.
 *
 * A process keeps track of the locks it holds, so that taking one it
 * already holds nests, and a child forked while it is held holds it too
 * (the same open file description) until it closes it or execs. */
#ifndef WB_CONTAINER_LOCK_H
#define WB_CONTAINER_LOCK_H

#include <stdbool.h>

#include "container.h"

/* Take the lock of container c (c->id, c->dir), waiting for another holder
 * to let go (at most a minute, then -EBUSY).  -ENOENT "no such container"
 * when the container was removed meanwhile: whoever waited must not act on
 * a container that is gone. */
int wb_container_lock(const struct wb_container *c, wb_error *err);
/* The same without waiting: -EBUSY when another command holds it. */
int wb_container_trylock(const struct wb_container *c, wb_error *err);
/* Undo one wb_container_lock(); the lock goes with the last. */
void wb_container_unlock(const struct wb_container *c);
/* Let go of it however many times it was taken: the container runs
 * unlocked (a foreground run holds no lock while its container runs). */
void wb_container_unlock_all(const struct wb_container *c);
/* Does this process hold the lock of container `id`? */
bool wb_container_lock_held(const char *id);

/* For sweepers of what a killed command left: the lock of directory `dir`
 * when nobody holds it (fd >= 0, closed by the caller), else -1.  An fd,
 * not registered: the directory is no container's any more. */
int wb_dir_trylock(const char *dir);

#endif
