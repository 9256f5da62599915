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
#include "../util/xalloc.h"

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

int wb_container_force_remove(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err)
{
  cleanup_close int mon = open_verified(c->monitor_pid, c->monitor_start_time);
  /* A foreground run is the user's own whalebox: end its container and
   * let it restore the terminal and record the exit, rather than kill it. */
  if (!c->detach && mon >= 0 && c->monitor_pid != getpid()) {
    cleanup_close int first = open_verified(c->pid, c->start_time);
    if (first >= 0)
      syscall(SYS_pidfd_send_signal, first, SIGKILL, NULL, 0);
    wait_pidfd(mon, now_ms() + 5000);
  }
  /* A detached container's monitor first, so it does not race us
   * recording the exit. */
  if (mon >= 0 && c->monitor_pid != getpid() &&
      wb_proc_alive(c->monitor_pid, c->monitor_start_time)) {
    syscall(SYS_pidfd_send_signal, mon, SIGKILL, NULL, 0);
    wait_pidfd(mon, now_ms() + 5000);
  }
  cleanup_close int proc = open_verified(c->pid, c->start_time);
  if (proc >= 0) {
    syscall(SYS_pidfd_send_signal, proc, SIGKILL, NULL, 0);
    wait_pidfd(proc, now_ms() + 5000);
  }
  /* Logs go with the container; the driver may keep them elsewhere. */
  struct wb_driver *log = NULL;
  if (c->log_driver &&
      wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver, &log, NULL) ==
          0) {
    const struct wb_log_ops *ops = log->ops;
    cleanup_free char *dir = path_join(c->dir, "log");
    struct wb_log_target t = {.size = sizeof t, .id = c->id, .dir = dir};
    if (ops->remove)
      ops->remove(log->data, &t, NULL);
  }
  return wb_container_delete(ctx, c, err);
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
