#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "sync.h"

/* whalebox-monitor: next to this binary (a build tree), else installed. */
static char *monitor_path(wb_error *err)
{
  char *sibling = sibling_of_self("whalebox-monitor", X_OK);
  if (sibling)
    return sibling;
  char *installed = xstrdup(WB_LIBEXECDIR "/whalebox-monitor");
  if (access(installed, X_OK) == 0)
    return installed;
  wb_error_set(err, errno, "container monitor %s", installed);
  free(installed);
  return NULL;
}

/* The monitor runs in "/": paths it is given must be absolute. */
static void push_abs(char ***argv, const char *path)
{
  cleanup_free char *abs = realpath(path, NULL);
  strv_push(argv, abs ? abs : path);
}

/* The driver's configuration as --log-config words (driver_host.h): the
 * monitor has no config parser of its own, and gets the settings typed as
 * whalebox read them. */
static void push_log_config(char ***argv, const struct wb_driver *log)
{
  for (size_t i = 0; i < log->services.n_settings; i++) {
    cleanup_free char *word =
        wb_driver_setting_format(&log->services.settings[i]);
    strv_push(argv, "--log-config");
    strv_push(argv, word);
  }
}

/* Open and close the container's log once here, where a failure (a bad
 * --log-opt, say) still reaches the user: whalebox-monitor has nowhere to
 * report it. */
static int check_log_open(const struct wb_driver *log,
                          const struct wb_container *c, const char *dir,
                          wb_error *err)
{
  const struct wb_log_ops *ops = log->ops;
  struct wb_log_target t = {
      .size = sizeof t,
      .id = c->id,
      .dir = dir,
      .options = (const char *const *)c->log_opts,
  };
  void *handle = NULL;
  int r = ops->open(log->data, &t, &handle, err);
  if (r < 0)
    return r;
  ops->close(handle);
  return 0;
}

/* The monitor's command line; it ends with the runtime command that does
 * the bookkeeping when the container has ended. */
static char **monitor_argv(struct wb_context *ctx, struct wb_container *c,
                           const char *monitor, const struct wb_driver *log,
                           const struct wb_process *p, int out, int errfd)
{
  char **argv = NULL;
  char num[32];
  strv_push(&argv, monitor);
  strv_push(&argv, "--pid");
  snprintf(num, sizeof num, "%d", (int)p->pid);
  strv_push(&argv, num);
  strv_push(&argv, "--stdout");
  snprintf(num, sizeof num, "%d", out);
  strv_push(&argv, num);
  strv_push(&argv, "--stderr");
  snprintf(num, sizeof num, "%d", errfd);
  strv_push(&argv, num);
  strv_push(&argv, "--id");
  strv_push(&argv, c->id);
  strv_push(&argv, "--log-driver");
  push_abs(&argv, log->path);
  cleanup_free char *dir = path_join(c->dir, "log");
  strv_push(&argv, "--log-dir");
  strv_push(&argv, dir);
  strv_push(&argv, "--state-root");
  strv_push(&argv, log->host.state_root);
  strv_push(&argv, "--driver-dir");
  strv_push(&argv, log->driver_dir);
  cleanup_free char *messages = wb_monitor_messages_path(c);
  strv_push(&argv, "--messages");
  strv_push(&argv, messages);
  snprintf(num, sizeof num, "%d", wb_log_get_level());
  strv_push(&argv, "--log-level");
  strv_push(&argv, num);
  push_log_config(&argv, log);
  for (char **o = c->log_opts; o && *o; o++) {
    strv_push(&argv, "--log-opt");
    strv_push(&argv, *o);
  }
  strv_push(&argv, "--");
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  self[n > 0 ? n : 0] = '\0';
  strv_push(&argv, self);
  if (ctx->config.path) {
    strv_push(&argv, "--config");
    push_abs(&argv, ctx->config.path);
  }
  strv_push(&argv, "--root");
  strv_push(&argv, ctx->root);
  strv_push(&argv, "--plugin-dir");
  push_abs(&argv, ctx->plugin_dir);
  strv_push(&argv, "container-exited");
  strv_push(&argv, c->id);
  return argv;
}

/* In the monitor-to-be: start the container, tell the runtime how it went,
 * then become whalebox-monitor. */
static _Noreturn void monitor_main(struct wb_context *ctx,
                                   struct wb_container *c,
                                   bool remove_on_failure, const char *monitor,
                                   int report)
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

  struct wb_driver *log = NULL;
  int out[2] = {-1, -1}, errp[2] = {-1, -1};
  int r =
      wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver, &log, &err);
  cleanup_free char *logdir = path_join(c->dir, "log");
  if (r == 0 && mkdir(logdir, 0700) < 0 && errno != EEXIST)
    r = wb_error_set(&err, errno, "mkdir %s", logdir);
  /* What the last run's monitor had to say is not this run's. */
  cleanup_free char *messages = wb_monitor_messages_path(c);
  if (r == 0 && unlink(messages) < 0 && errno != ENOENT)
    r = wb_error_set(&err, errno, "remove %s", messages);
  if (r == 0)
    r = check_log_open(log, c, logdir, &err);
  if (r == 0 && (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0))
    r = wb_error_set(&err, errno, "pipe");
  struct wb_process p = {.pidfd = -1,
                         .pty_master = -1,
                         .stdin_fd = -1,
                         .stdout_fd = out[1],
                         .stderr_fd = errp[1]};
  /* Recorded before the start, so the one state write that says
   * "running" already names the monitor (the pid stays across exec). */
  c->monitor_pid = getpid();
  c->monitor_start_time = wb_proc_start_time(c->monitor_pid);
  if (r == 0)
    r = wb_container_start(ctx, c, &p, &err);
  if (r == 0) {
    close(out[1]);
    close(errp[1]);
  }
  if (r < 0) {
    wb_sync_send(report, WB_SYNC_ERROR, wb_error_exit_code(&err),
                 err.msg ? err.msg : "start failed", -1);
    if (p.pid > 0) {
      kill(p.pid, SIGKILL);
      waitpid(p.pid, NULL, 0);
    }
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (remove_on_failure)
      wb_container_discard(ctx, c, &ignored);
    else if (wb_container_save(c, true, &ignored) < 0)
      wb_log(WB_LOG_WARN, "%s", ignored.msg);
    _exit(1);
  }
  /* With a terminal the pty carries both streams. */
  int stream_out = p.pty_master >= 0 ? p.pty_master : out[0];
  int stream_err = p.pty_master >= 0 ? -1 : errp[0];
  if (p.pty_master >= 0) {
    close(out[0]);
    close(errp[0]);
  }
  char **argv = monitor_argv(ctx, c, monitor, log, &p, stream_out, stream_err);
  /* Only the streams cross the exec. */
  /* Nothing of the caller crosses into the long-lived monitor: no fd of
   * theirs (a pipe they wait on), no working directory pinned. */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (chdir("/") < 0)
    _exit(1);
  fcntl(stream_out, F_SETFD, 0);
  if (stream_err >= 0)
    fcntl(stream_err, F_SETFD, 0);
  if (p.pidfd >= 0)
    close(p.pidfd);
  wb_sync_send(report, WB_SYNC_READY, 0, NULL, -1);
  close(report);
  /* The signals stay blocked across exec: the monitor must not die of a
   * stray SIGTERM or SIGHUP while the container runs. */
  execv(argv[0], argv);
  /* Not reached unless the monitor vanished since we checked it: the
   * container must not run unwatched. */
  kill(p.pid, SIGKILL);
  _exit(1);
}

char *wb_monitor_messages_path(const struct wb_container *c)
{
  return path_join(c->dir, "monitor.log");
}

int wb_monitor_start(struct wb_context *ctx, struct wb_container *c,
                     bool remove_on_failure, wb_error *err)
{
  cleanup_free char *monitor = monitor_path(err);
  if (!monitor) {
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (remove_on_failure)
      wb_container_discard(ctx, c, &ignored);
    return -ENOENT;
  }
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
    monitor_main(ctx, c, remove_on_failure, monitor, sv[1]);
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
