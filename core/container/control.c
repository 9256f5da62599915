#include "control.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "freeze.h"
#include "lock.h"

/* A pidfd for pid if it is still the process that started at start_time. */
static int open_verified(pid_t pid, unsigned long long start_time)
{
  if (pid <= 0)
    return -1;
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0)
    return -1;
  /* Checked after opening: the pidfd pins the process, so if the start
   * time still matches it is the right one. */
  if (!wb_proc_alive(pid, start_time)) {
    close(fd);
    return -1;
  }
  return fd;
}

int wb_container_signal(struct wb_container *c, int sig, wb_error *err)
{
  cleanup_close int fd = open_verified(c->pid, c->start_time);
  if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
    return wb_error_set(err, -ESRCH, "container %s is not running", c->name);
  return 0;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int wait_pidfd(int fd, long long deadline)
{
  if (fd < 0)
    return 0;
  for (;;) {
    int left = deadline < 0 ? -1 : (int)(deadline - now_ms());
    if (deadline >= 0 && left < 0)
      left = 0;
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, left);
    if (r > 0)
      return 0;
    if (r == 0)
      return -ETIMEDOUT;
    if (errno != EINTR)
      return -errno;
  }
}

int wb_container_wait_ended(const struct wb_container *c, int timeout_ms)
{
  long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
  cleanup_close int proc = open_verified(c->pid, c->start_time);
  cleanup_close int mon = open_verified(c->monitor_pid, c->monitor_start_time);
  int r = wait_pidfd(proc, deadline);
  if (r < 0)
    return r;
  return wait_pidfd(mon, deadline);
}

int wb_container_reload(const char *root, struct wb_container **c,
                        wb_error *err)
{
  struct wb_container *fresh = NULL;
  int r = wb_container_load(root, (*c)->id, &fresh, err);
  if (r < 0)
    return r;
  wb_container_free(*c);
  *c = fresh;
  return 0;
}

int wb_container_load_locked(const char *root, const char *ref,
                             struct wb_container **c, wb_error *err)
{
  cleanup_container struct wb_container *found = NULL;
  int r = wb_container_load(root, ref, &found, err);
  if (r < 0)
    return r;
  r = wb_container_lock(found, err);
  if (r < 0)
    return r;
  /* What another command wrote before we got the lock. */
  r = wb_container_load_id(root, found->id, c, err);
  if (r < 0)
    wb_container_unlock(found);
  return r;
}

/* A foreground run is the user's own whalebox: end its container and let
 * it restore the terminal and record the exit (it needs the lock for
 * that, so we wait without it), rather than kill it. */
static void end_foreground_run(const struct wb_container *c)
{
  if (c->detach || c->monitor_pid == getpid())
    return;
  cleanup_close int mon = open_verified(c->monitor_pid, c->monitor_start_time);
  if (mon < 0)
    return;
  cleanup_close int first = open_verified(c->pid, c->start_time);
  if (first >= 0)
    syscall(SYS_pidfd_send_signal, first, SIGKILL, NULL, 0);
  wait_pidfd(mon, now_ms() + 5000);
}

/* The container's logs go with it; the driver may keep them elsewhere. */
static void remove_logs(struct wb_context *ctx, const struct wb_container *c)
{
  struct wb_driver *log = NULL;
  if (!c->log_driver)
    return;
  cleanup_free char *dir = path_join(c->dir, "log");
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver, &log, &e) <
      0) {
    wb_log(WB_LOG_WARN, "%s; logs of container %.12s outside %s may be left",
           e.msg, c->id, dir);
    return;
  }
  const struct wb_log_ops *ops = log->ops;
  struct wb_log_target t = {.size = sizeof t, .id = c->id, .dir = dir};
  if (ops->remove)
    ops->remove(log->data, &t, NULL);
}

/* Under the lock, c fresh. */
static int remove_locked(struct wb_context *ctx, struct wb_container *c,
                         wb_error *err)
{
  /* A detached container's monitor first, so it does not race us
   * recording the exit. */
  cleanup_close int mon = open_verified(c->monitor_pid, c->monitor_start_time);
  if (mon >= 0 && c->monitor_pid != getpid()) {
    syscall(SYS_pidfd_send_signal, mon, SIGKILL, NULL, 0);
    wait_pidfd(mon, now_ms() + 5000);
  }
  /* A frozen process does not die of SIGKILL until it is thawed. */
  wb_container_refresh(c);
  wb_container_thaw_any(ctx, c);
  cleanup_close int proc = open_verified(c->pid, c->start_time);
  if (proc >= 0) {
    syscall(SYS_pidfd_send_signal, proc, SIGKILL, NULL, 0);
    wait_pidfd(proc, now_ms() + 5000);
  }
  remove_logs(ctx, c);
  wb_exit_record_remove(ctx->root, c->id);
  return wb_container_delete(ctx, c, err);
}

/* Its state cannot be read: neither its pid nor its monitor's is known.
 * The cgroup driver kills what is in its cgroup (thawed first) as it
 * removes it, and the monitor then finds no container to record. */
static int remove_unreadable(struct wb_context *ctx, struct wb_container *c,
                             wb_error *err)
{
  /* No sidecar (a create cut short before it, or a container made before
   * there were sidecars): the configured drivers, which are what such a
   * container was made with unless flags said otherwise. */
  struct wb_driver *d;
  if (!c->cgroup_driver &&
      wb_context_driver(ctx, WB_PLUGIN_CGROUP, &d, NULL) == 0)
    c->cgroup_driver = xstrdup(wb_driver_ref(ctx, d));
  if (!c->cgroup_parent)
    c->cgroup_parent = xstrdup(ctx->config.cgroup_parent);
  if (!c->storage_driver &&
      wb_context_driver(ctx, WB_PLUGIN_STORAGE, &d, NULL) == 0)
    c->storage_driver = xstrdup(wb_driver_ref(ctx, d));
  cleanup_error wb_error lerr = WB_ERROR_INIT;
  int r = wb_container_lock(c, &lerr);
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return wb_error_set(err, -lerr.code, "%s", lerr.msg);
  free(c->status);
  c->status = xstrdup("running"); /* maybe: thaw it */
  wb_container_thaw_any(ctx, c);
  remove_logs(ctx, c);
  r = wb_container_delete(ctx, c, err);
  wb_container_unlock(c);
  return r;
}

int wb_container_force_remove(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err)
{
  if (c->unreadable)
    return remove_unreadable(ctx, c, err);
  end_foreground_run(c);
  cleanup_error wb_error lerr = WB_ERROR_INIT;
  int r = wb_container_lock(c, &lerr);
  if (r == -ENOENT)
    return 0; /* removed meanwhile: a --rm run that ended, say */
  if (r < 0)
    return wb_error_set(err, -lerr.code, "%s", lerr.msg);
  cleanup_container struct wb_container *fresh = NULL;
  r = wb_container_load_id(ctx->root, c->id, &fresh, &lerr);
  if (r == -EBADMSG) {
    fresh = wb_container_unreadable(ctx->root, c->dir, lerr.msg);
    r = remove_unreadable(ctx, fresh, err);
  } else if (r < 0) {
    r = wb_error_set(err, -lerr.code, "%s", lerr.msg);
  } else {
    r = remove_locked(ctx, fresh, err);
  }
  wb_container_unlock(c);
  return r;
}

int wb_container_remove_stopped(struct wb_context *ctx,
                                const struct wb_container *c, wb_error *err)
{
  cleanup_container struct wb_container *fresh = NULL;
  int r = wb_container_load_locked(ctx->root, c->id, &fresh, err);
  if (r == -ENOENT) {
    wb_error_clear(err);
    return 0;
  }
  if (r < 0)
    return r;
  wb_container_refresh(fresh);
  bool stopped = strcmp(fresh->status, "exited") == 0;
  if (stopped)
    r = remove_locked(ctx, fresh, err);
  wb_container_unlock(fresh);
  return r < 0 ? r : stopped;
}

int wb_container_collect_ended(struct wb_context *ctx, const char *id)
{
  cleanup_container struct wb_container *c = NULL;
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (wb_container_load_id(ctx->root, id, &c, NULL) < 0 || !c->auto_remove ||
      !wb_container_end_unrecorded(c) || wb_container_trylock(c, NULL) < 0)
    return 0;
  cleanup_container struct wb_container *fresh = NULL;
  int r = wb_container_load_id(ctx->root, id, &fresh, NULL);
  if (r == 0 && (r = wb_container_reconcile(ctx, fresh, &e)) < 0)
    wb_log(WB_LOG_WARN, "container %.12s: %s", id, e.msg);
  wb_container_unlock(c);
  return r == 1;
}

int wb_signal_parse(const char *text)
{
  if (!*text)
    return -1;
  char *end;
  long n = strtol(text, &end, 10);
  if (!*end)
    return n > 0 && n < NSIG ? (int)n : -1;
  if (strncasecmp(text, "SIG", 3) == 0)
    text += 3;
  for (int sig = 1; sig < NSIG; sig++) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev && strcasecmp(abbrev, text) == 0)
      return sig;
  }
  return -1;
}
