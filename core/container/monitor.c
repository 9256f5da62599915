#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "sync.h"

struct log_sink {
  struct wb_driver *driver;
  void *handle; /* NULL: output is drained and dropped */
};

static int open_log(struct wb_context *ctx, struct wb_container *c,
                    struct log_sink *sink, wb_error *err)
{
  int r = wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver,
                                  &sink->driver, err);
  if (r < 0)
    return r;
  cleanup_free char *dir = path_join(c->dir, "log");
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return wb_error_set(err, errno, "mkdir %s", dir);
  struct wb_log_target t = {
      .size = sizeof t,
      .id = c->id,
      .dir = dir,
      .options = (const char *const *)c->log_opts,
  };
  const struct wb_log_ops *ops = sink->driver->ops;
  return ops->open(sink->driver->data, &t, &sink->handle, err);
}

static void log_chunk(struct log_sink *sink, int stream, const char *buf,
                      size_t len)
{
  if (!sink->handle)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  cleanup_error wb_error e = WB_ERROR_INIT;
  const struct wb_log_ops *ops = sink->driver->ops;
  if (ops->write(sink->handle, stream, &ts, buf, len, &e) < 0)
    wb_log(WB_LOG_WARN, "container log: %s", e.msg);
}

/* Read what is there; false at EOF. */
static bool drain(int fd, struct log_sink *sink, int stream)
{
  char buf[16384];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  log_chunk(sink, stream, buf, (size_t)n);
  return true;
}

/* The monitor's life after the command started; never returns. */
static _Noreturn void supervise(struct wb_context *ctx, struct wb_container *c,
                                struct wb_process *p, int out, int errfd,
                                struct log_sink *sink)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int status = 0;
  bool exited = false;
  int fds[2] = {p->pty_master >= 0 ? p->pty_master : out, errfd};
  while (!exited || fds[0] >= 0 || fds[1] >= 0) {
    struct pollfd pfd[3] = {
        {sfd, POLLIN, 0}, {fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    /* After the exit only drain: the pid namespace is gone, so every
     * writer has closed, but a pty master never reports EOF. */
    int r = poll(pfd, 3, exited ? 100 : -1);
    if (r < 0 && errno != EINTR)
      break;
    if (r == 0 && exited)
      break;
    for (int i = 0; i < 2; i++)
      if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
        if (!drain(fds[i], sink,
                   i == 0 ? WB_STREAM_STDOUT : WB_STREAM_STDERR)) {
          close(fds[i]);
          fds[i] = -1;
        }
    if (pfd[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si)
        ;
      /* As subreaper we also collect orphans that escaped the main
       * process; only the main one ends the container. */
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0)
        if (w == p->pid) {
          status = st;
          exited = true;
        }
    }
  }
  if (sink->handle) {
    const struct wb_log_ops *ops = sink->driver->ops;
    ops->close(sink->handle);
  }
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (wb_container_exited(ctx, c, status, &e) < 0)
    wb_log(WB_LOG_WARN, "container %.12s: %s", c->id, e.msg);
  if (c->auto_remove) {
    if (sink->driver &&
        ((const struct wb_log_ops *)sink->driver->ops)->remove) {
      cleanup_free char *dir = path_join(c->dir, "log");
      struct wb_log_target t = {.size = sizeof t, .id = c->id, .dir = dir};
      ((const struct wb_log_ops *)sink->driver->ops)
          ->remove(sink->driver->data, &t, NULL);
    }
    if (wb_container_delete(ctx, c, &e) < 0)
      wb_log(WB_LOG_WARN, "container %.12s: %s", c->id, e.msg);
  }
  _exit(0);
}

/* In the monitor: start the container and tell the runtime how it went. */
static _Noreturn void monitor_main(struct wb_context *ctx,
                                   struct wb_container *c,
                                   bool remove_on_failure, int report)
{
  wb_error err = WB_ERROR_INIT;
  /* Keep nothing of the user's terminal. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (null > 2)
      close(null);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, NULL);

  struct log_sink sink = {0};
  int out[2] = {-1, -1}, errp[2] = {-1, -1};
  int r = open_log(ctx, c, &sink, &err);
  if (r == 0 && (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0))
    r = wb_error_set(&err, errno, "pipe");
  struct wb_process p = {.pidfd = -1,
                         .pty_master = -1,
                         .stdin_fd = -1,
                         .stdout_fd = out[1],
                         .stderr_fd = errp[1]};
  if (r == 0)
    r = wb_container_start(ctx, c, &p, &err);
  if (r == 0) {
    close(out[1]);
    close(errp[1]);
    c->monitor_pid = getpid();
    c->monitor_start_time = wb_proc_start_time(c->monitor_pid);
    r = wb_container_save(c, true, &err);
  }
  if (r < 0) {
    wb_sync_send(report, WB_SYNC_ERROR, wb_error_exit_code(&err),
                 err.msg ? err.msg : "start failed", -1);
    if (sink.handle)
      ((const struct wb_log_ops *)sink.driver->ops)->close(sink.handle);
    if (p.pid > 0) {
      kill(p.pid, SIGKILL);
      waitpid(p.pid, NULL, 0);
    }
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (remove_on_failure)
      wb_container_delete(ctx, c, &ignored);
    else if (wb_container_save(c, true, &ignored) < 0)
      wb_log(WB_LOG_WARN, "%s", ignored.msg);
    _exit(1);
  }
  wb_sync_send(report, WB_SYNC_READY, 0, NULL, -1);
  close(report);
  if (p.pidfd >= 0)
    close(p.pidfd);
  supervise(ctx, c, &p, out[0], errp[0], &sink);
}

int wb_monitor_start(struct wb_context *ctx, struct wb_container *c,
                     bool remove_on_failure, wb_error *err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return wb_error_set(err, errno, "socketpair");
  fflush(stdout);
  fflush(stderr);
  pid_t mid = fork();
  if (mid < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return wb_error_set(err, e, "fork monitor");
  }
  if (mid == 0) {
    close(sv[0]);
    /* Double fork: the monitor is re-parented away from us and has its own
     * session, so it survives this command and the user's terminal. */
    if (setsid() < 0)
      _exit(1);
    pid_t m = fork();
    if (m < 0)
      _exit(1);
    if (m > 0)
      _exit(0);
    monitor_main(ctx, c, remove_on_failure, sv[1]);
  }
  close(sv[1]);
  cleanup_close int report = sv[0];
  int st;
  while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
    ;
  int type = 0, code = 0, fd = -1;
  cleanup_free char *msg = NULL;
  int r = wb_sync_recv(report, &type, &code, &msg, &fd);
  if (fd >= 0)
    close(fd);
  if (r == 1 && type == WB_SYNC_READY)
    return 0;
  if (r == 1 && type == WB_SYNC_ERROR)
    return wb_error_set_exit(err, code ? code : WB_EXIT_FAILURE, -EIO, "%s",
                             msg ? msg : "start failed");
  return wb_error_set(err, -EIO, "container monitor failed to start");
}
