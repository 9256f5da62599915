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
#include "lock.h"
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

/* The monitor's command line; it ends with the runtime command that does
 * the bookkeeping when the container has ended. */
static char **monitor_argv(struct wb_context *ctx, struct wb_container *c,
                           const char *monitor, const struct wb_driver *log,
                           pid_t starter, int control, int out, int errfd)
{
  char **argv = NULL;
  char num[32];
  strv_push(&argv, monitor);
  strv_push(&argv, "--starter");
  snprintf(num, sizeof num, "%d", (int)starter);
  strv_push(&argv, num);
  strv_push(&argv, "--control");
  snprintf(num, sizeof num, "%d", control);
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
  snprintf(num, sizeof num, "%u,%u", wb_guard_limit_seconds(WB_LIMIT_CALL),
           wb_guard_limit_seconds(WB_LIMIT_DATA));
  strv_push(&argv, "--driver-timeouts");
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

/* A start that failed: tell the runtime why, then leave nothing (a new
 * container) or the container as it was, stopped. */
static _Noreturn void fail_start(struct wb_context *ctx, struct wb_container *c,
                                 bool remove_on_failure, int report,
                                 wb_error *err)
{
  wb_sync_send(report, WB_SYNC_ERROR, wb_error_exit_code(err),
               err->msg ? err->msg : "start failed", -1);
  cleanup_error wb_error ignored = WB_ERROR_INIT;
  free(c->error);
  c->error = xstrdup(err->msg ? err->msg : "start failed");
  if (remove_on_failure)
    wb_container_discard(ctx, c, &ignored);
  else if (wb_container_save(c, true, &ignored) < 0)
    wb_log(WB_LOG_WARN, "%s", ignored.msg);
  _exit(1);
}

/* The starter's end of the channel to whalebox-monitor. */
struct monitor_channel {
  int fd;
  bool answered; /* the monitor said whether it opened the log */
};

/* The monitor's verdict on the log: it opened it (READY) or why not.
 * Called by wb_container_start before GO, so that the container's
 * preparation overlaps the monitor's exec and the driver's open. */
static int await_log_open(void *arg, wb_error *err)
{
  struct monitor_channel *ch = arg;
  int type = 0, code = 0, fd = -1;
  cleanup_free char *msg = NULL;
  int r = wb_sync_recv(ch->fd, &type, &code, &msg, &fd);
  ch->answered = true;
  if (fd >= 0)
    close(fd);
  if (r == 1 && type == WB_SYNC_READY)
    return 0;
  if (r == 1 && type == WB_SYNC_ERROR)
    return wb_error_set_exit(err, code ? code : WB_EXIT_FAILURE, -EIO, "%s",
                             msg ? msg : "the log driver failed");
  return wb_error_set(err, -EPIPE,
                      "container monitor exited before opening the log");
}

/* The starter, a child of the monitor-to-be: once whalebox-monitor has
 * opened the log, start the container, hand its pid (and pty) to the
 * monitor and tell the runtime.  The container is the starter's child
 * until the starter exits; then the monitor, a child subreaper, inherits
 * it. */
static _Noreturn void starter_main(struct wb_context *ctx,
                                   struct wb_container *c,
                                   bool remove_on_failure, int control,
                                   int report, int out, int errfd)
{
  wb_error err = WB_ERROR_INIT;
  /* Nothing of the user's runs before its output has somewhere to go. */
  struct monitor_channel ch = {.fd = control};
  struct wb_process p = {.pidfd = -1,
                         .pty_master = -1,
                         .stdin_fd = -1,
                         .stdout_fd = out,
                         .stderr_fd = errfd,
                         .before_go = await_log_open,
                         .before_go_arg = &ch};
  /* The last start's failure is not this one's. */
  free(c->error);
  c->error = NULL;
  int r = wb_container_start(ctx, c, &p, &err);
  if (out >= 0)
    close(out);
  if (errfd >= 0)
    close(errfd);
  if (r == 0 &&
      (r = wb_sync_send(control, WB_SYNC_PID, p.pid, NULL, p.pty_master)) < 0) {
    r = wb_error_set(&err, -r, "hand the container to its monitor");
    kill(p.pid, SIGKILL);
    while (waitpid(p.pid, NULL, 0) < 0 && errno == EINTR)
      ;
    c->pid = 0;
    free(c->status);
    c->status = xstrdup("created");
  }
  if (r < 0) {
    /* Failed before the monitor answered: let it finish with the log
     * directory before the container's is removed. */
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (!ch.answered)
      await_log_open(&ch, &ignored);
    close(control); /* the monitor then ends without a container */
    fail_start(ctx, c, remove_on_failure, report, &err);
  }
  wb_sync_send(report, WB_SYNC_READY, 0, NULL, -1);
  _exit(0);
}

/* In the monitor-to-be: fork the starter, then become whalebox-monitor,
 * which opens the log first of all: the log driver's open() runs once per
 * start, in the process that writes the log, and a failure of it fails
 * the start with the driver's message. */
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
  int out[2] = {-1, -1}, errp[2] = {-1, -1}, control[2] = {-1, -1};
  int r =
      wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver, &log, &err);
  cleanup_free char *logdir = path_join(c->dir, "log");
  if (r == 0 && mkdir(logdir, 0700) < 0 && errno != EEXIST)
    r = wb_error_set(&err, errno, "mkdir %s", logdir);
  /* What the last run's monitor had to say is not this run's. */
  cleanup_free char *messages = wb_monitor_messages_path(c);
  if (r == 0 && unlink(messages) < 0 && errno != ENOENT)
    r = wb_error_set(&err, errno, "remove %s", messages);
  /* With a terminal the pty carries both streams; the starter sends it. */
  if (r == 0 && !c->tty &&
      (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0))
    r = wb_error_set(&err, errno, "pipe");
  if (r == 0 &&
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) < 0)
    r = wb_error_set(&err, errno, "socketpair");
  if (r < 0)
    fail_start(ctx, c, remove_on_failure, report, &err);
  /* Recorded before the start, so the one state write that says
   * "running" already names the monitor (the pid stays across exec). */
  c->monitor_pid = getpid();
  c->monitor_start_time = wb_proc_start_time(c->monitor_pid);
  fflush(NULL);
  pid_t starter = fork();
  if (starter < 0) {
    wb_error_set(&err, errno, "fork");
    fail_start(ctx, c, remove_on_failure, report, &err);
  }
  if (starter == 0) {
    close(control[0]);
    if (!c->tty) {
      close(out[0]);
      close(errp[0]);
    }
    starter_main(ctx, c, remove_on_failure, control[1], report, out[1],
                 errp[1]);
  }
  close(control[1]);
  close(report);
  if (!c->tty) {
    close(out[1]);
    close(errp[1]);
  }
  char **argv =
      monitor_argv(ctx, c, monitor, log, starter, control[0], out[0], errp[0]);
  /* Nothing of the caller crosses into the long-lived monitor: no fd of
   * theirs (a pipe they wait on), no working directory pinned.  Only the
   * streams and the channel to the starter cross the exec. */
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (chdir("/") < 0)
    _exit(1);
  fcntl(control[0], F_SETFD, 0);
  if (!c->tty) {
    fcntl(out[0], F_SETFD, 0);
    fcntl(errp[0], F_SETFD, 0);
  }
  /* The signals stay blocked across exec: the monitor must not die of a
   * stray SIGTERM or SIGHUP while the container runs. */
  execv(argv[0], argv);
  /* The starter sees the channel close and starts nothing. */
  _exit(1);
}

char *wb_monitor_messages_path(const struct wb_container *c)
{
  return path_join(c->dir, "monitor.log");
}

char *wb_monitor_last_error(const struct wb_container *c)
{
  static const char tag[] = " whalebox: error: ";
  cleanup_free char *path = wb_monitor_messages_path(c);
  cleanup_free char *text = NULL;
  if (read_file(path, &text, NULL, NULL) < 0)
    return NULL;
  /* Lines are "<time> whalebox: <level>: <message>". */
  char *last = NULL;
  for (char *p = strstr(text, tag); p; p = strstr(p + 1, tag))
    last = p + sizeof tag - 1;
  return last ? xstrndup(last, strcspn(last, "\n")) : NULL;
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
  /* The monitor-to-be shares the container's lock (lock.h) and keeps it
   * until it execs: let go of ours, so that whatever we do next on a
   * failure waits until it has cleaned up. */
  wb_container_unlock_all(c);
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
