/* freeze.c - pause, unpause and commit's freeze lease (freeze.h). */
#include "freeze.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "control.h"
#include "lock.h"

static int set_frozen(struct wb_context *ctx, const struct wb_container *c,
                      int frozen, wb_error *err)
{
  struct wb_driver *d;
  int r = wb_container_cgroup(ctx, c, &d, err);
  if (r < 0)
    return r;
  const struct wb_cgroup_ops *ops = d->ops;
  if (!ops->freeze)
    return wb_error_set(err, -ENOTSUP, "the cgroup driver %s has no freezer",
                        d->label);
  struct wb_cgroup cg = {
      .size = sizeof cg, .parent = c->cgroup_parent, .id = c->id};
  return ops->freeze(d->data, &cg, frozen, err);
}

static void clear_pause(struct wb_container *c)
{
  c->paused = false;
  c->pause_pid = 0;
  c->pause_start_time = 0;
}

void wb_container_end_stale_freeze(struct wb_context *ctx,
                                   struct wb_container *c)
{
  if (!c->paused || c->pause_pid <= 0 ||
      wb_proc_alive(c->pause_pid, c->pause_start_time))
    return;
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (wb_container_running(c) && set_frozen(ctx, c, 0, &e) < 0)
    wb_log(WB_LOG_WARN, "thaw container %s: %s", c->name, e.msg);
  clear_pause(c);
  wb_error_clear(&e);
  if (wb_container_save(c, false, &e) < 0)
    wb_log(WB_LOG_WARN, "%s", e.msg);
}

void wb_container_thaw_any(struct wb_context *ctx, struct wb_container *c)
{
  cleanup_error wb_error e = WB_ERROR_INIT;
  /* Whether or not the state says so: a freeze that was never recorded
   * (an older version's commit, killed) must not keep stop, kill or rm -f
   * from working.  Writing THAWED to a cgroup that is not frozen costs a
   * write and a read. */
  if (wb_container_running(c) && set_frozen(ctx, c, 0, &e) < 0 &&
      e.code != ENOTSUP && e.code != ENOENT)
    wb_log(WB_LOG_DEBUG, "thaw container %s: %s", c->name, e.msg);
  if (!c->paused)
    return;
  clear_pause(c);
  wb_error_clear(&e);
  if (wb_container_save(c, false, &e) < 0)
    wb_log(WB_LOG_WARN, "%s", e.msg);
}

int wb_container_exec_ready(struct wb_context *ctx, struct wb_container *c,
                            wb_error *err)
{
  if (!c->paused)
    return 0;
  if (c->pause_pid > 0 && !wb_proc_alive(c->pause_pid, c->pause_start_time)) {
    cleanup_container struct wb_container *fresh = NULL;
    if (wb_container_load_locked(ctx->root, c->id, &fresh, NULL) == 0) {
      wb_container_end_stale_freeze(ctx, fresh);
      c->paused = fresh->paused;
      wb_container_unlock(fresh);
    }
  }
  if (c->paused && wb_container_running(c))
    return wb_error_set(err, -EBUSY,
                        "container %s is paused, unpause the container "
                        "before exec",
                        c->name);
  return 0;
}

int wb_container_pause(struct wb_context *ctx, const char *ref, wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, ref, &c, err);
  if (r < 0)
    return r;
  wb_container_end_stale_freeze(ctx, c);
  wb_container_refresh(c);
  if (!wb_container_running(c)) {
    r = wb_error_set(err, -EINVAL, "container %s is not running", ref);
  } else if (c->paused && c->pause_pid == 0) {
    r = wb_error_set(err, -EINVAL, "container %s is already paused", ref);
  } else if (c->paused) {
    /* Frozen by a commit: paused now until unpause, not thawed when the
     * commit is done. */
    c->pause_pid = 0;
    c->pause_start_time = 0;
    r = wb_container_save(c, false, err);
  } else {
    /* Recorded first: killed between the two, the state says paused and
     * unpause thaws it; the other way round nobody would know. */
    c->paused = true;
    r = wb_container_save(c, false, err);
    if (r == 0 && (r = set_frozen(ctx, c, 1, err)) < 0) {
      cleanup_error wb_error ignored = WB_ERROR_INIT;
      set_frozen(ctx, c, 0, &ignored);
      clear_pause(c);
      wb_container_save(c, false, &ignored);
    }
  }
  wb_container_unlock(c);
  return r;
}

int wb_container_unpause(struct wb_context *ctx, const char *ref, wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, ref, &c, err);
  if (r < 0)
    return r;
  wb_container_end_stale_freeze(ctx, c);
  wb_container_refresh(c);
  if (!wb_container_running(c) || !c->paused) {
    r = wb_error_set(err, -EINVAL, "container %s is not paused", ref);
  } else if ((r = set_frozen(ctx, c, 0, err)) == 0) {
    clear_pause(c);
    r = wb_container_save(c, false, err);
  }
  wb_container_unlock(c);
  return r;
}

/* ---- commit's lease ---------------------------------------------------- */

/* Is the lease in c's state the one of process owner (pid, start time)? */
static bool lease_of(const struct wb_container *c, pid_t pid,
                     unsigned long long start)
{
  return c->paused && c->pause_pid == pid && c->pause_start_time == start;
}

/* End the lease of owner if it is still in the state: thaw, record. */
static int end_lease(struct wb_context *ctx, const char *id, pid_t owner,
                     unsigned long long owner_start, wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, id, &c, err);
  if (r < 0)
    return r == -ENOENT ? 0 : r;
  if (lease_of(c, owner, owner_start)) {
    r = set_frozen(ctx, c, 0, err);
    if (r == 0) {
      clear_pause(c);
      r = wb_container_save(c, false, err);
    }
  }
  wb_container_unlock(c);
  return r;
}

/* The watcher: until the commit (pidfd) is gone or says it is done (EOF on
 * `done`), then ends its lease if it is still there.  In a session of its
 * own, deaf to the signals that end a command (Ctrl-C reaches the
 * terminal's foreground process group, not it), and holding none of the
 * caller's stdio, so nobody waits on it. */
static _Noreturn void watch(struct wb_context *ctx, const char *id, pid_t owner,
                            unsigned long long owner_start, int pidfd, int done)
{
  setsid();
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  struct pollfd p[2] = {{pidfd, POLLIN, 0}, {done, POLLIN, 0}};
  while (poll(p, 2, -1) < 0 && errno == EINTR)
    ;
  cleanup_error wb_error err = WB_ERROR_INIT;
  end_lease(ctx, id, owner, owner_start, &err);
  _exit(0);
}

/* Fork the watcher; lease->done is our end of its pipe. */
static int start_watcher(struct wb_context *ctx, const struct wb_container *c,
                         pid_t self, unsigned long long self_start,
                         struct wb_freeze_lease *lease, wb_error *err)
{
  /* Readable when we are gone, even if something inherited the pipe. */
  cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, self, 0);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return wb_error_set(err, errno, "pipe");
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    return wb_error_set(err, e, "fork");
  }
  if (pid == 0) {
    close(pipefd[1]);
    watch(ctx, c->id, self, self_start, pidfd, pipefd[0]);
  }
  close(pipefd[0]);
  lease->done = pipefd[1];
  lease->watcher = pid;
  return 0;
}

int wb_freeze_lease_take(struct wb_context *ctx, const struct wb_container *c,
                         struct wb_freeze_lease *lease, wb_error *err)
{
  lease->frozen = false;
  lease->done = -1;
  lease->watcher = -1;
  /* Loaded before the fork, so the watcher needs nothing it has not got. */
  struct wb_driver *d;
  int r = wb_container_cgroup(ctx, c, &d, err);
  if (r < 0)
    return r;
  const struct wb_cgroup_ops *ops = d->ops;
  if (!ops->freeze)
    return wb_error_set(err, -ENOTSUP,
                        "cannot pause: the cgroup driver has no freezer "
                        "(commit with --pause=false to capture it running)");
  pid_t self = getpid();
  unsigned long long self_start = wb_proc_start_time(self);
  /* Forked before the lock is taken: it must not share it. */
  r = start_watcher(ctx, c, self, self_start, lease, err);
  if (r < 0)
    return r;
  cleanup_container struct wb_container *fresh = NULL;
  r = wb_container_load_locked(ctx->root, c->id, &fresh, err);
  if (r < 0)
    return r;
  wb_container_end_stale_freeze(ctx, fresh);
  wb_container_refresh(fresh);
  if (wb_container_running(fresh) && !fresh->paused) {
    fresh->paused = true;
    fresh->pause_pid = self;
    fresh->pause_start_time = self_start;
    r = wb_container_save(fresh, false, err);
    if (r == 0)
      r = set_frozen(ctx, fresh, 1, err);
    lease->frozen = r == 0;
    if (r < 0) {
      cleanup_error wb_error ignored = WB_ERROR_INIT;
      set_frozen(ctx, fresh, 0, &ignored);
      clear_pause(fresh);
      wb_container_save(fresh, false, &ignored);
    }
  }
  wb_container_unlock(fresh);
  return r;
}

int wb_freeze_lease_end(struct wb_context *ctx, const struct wb_container *c,
                        struct wb_freeze_lease *lease, wb_error *err)
{
  int r = 0;
  if (lease->frozen) {
    pid_t self = getpid();
    r = end_lease(ctx, c->id, self, wb_proc_start_time(self), err);
    lease->frozen = false;
  }
  if (lease->done >= 0)
    close(lease->done);
  lease->done = -1;
  /* It ends at once now (the lease is over, the lock free): reaped here
   * rather than left to whoever adopts it. */
  if (lease->watcher > 0)
    while (waitpid(lease->watcher, NULL, 0) < 0 && errno == EINTR)
      ;
  lease->watcher = -1;
  return r;
}
