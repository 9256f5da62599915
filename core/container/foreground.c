#include "foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../log_sink.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"

static const int forwarded[] = {SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,
                                SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};

void wb_foreground_block_signals(sigset_t *old)
{
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
    sigaddset(&set, forwarded[i]);
  sigprocmask(SIG_BLOCK, &set, old);
}

/* Bytes read from `in` not yet written to `out`. */
struct relay {
  int in, out;
  char buf[8192];
  size_t off, len;
};

static void forward_signal(const struct wb_process *p, int sig)
{
  if (p->pidfd >= 0 &&
      syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) == 0)
    return;
  kill(p->pid, sig);
}

/* What the loop knows while it stays with the container. */
struct fg {
  struct wb_process *p;
  int sfd; /* the forwarded signals */
  int *status;
  bool exited, have_pty;
};

static void sync_winsize(int master)
{
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

/* Forward what arrived; reap the container on SIGCHLD. */
static void take_signals(struct fg *st)
{
  struct signalfd_siginfo si;
  while (read(st->sfd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      if (!st->exited && waitpid(st->p->pid, st->status, WNOHANG) == st->p->pid)
        st->exited = true;
    } else if (si.ssi_signo == SIGWINCH) {
      if (st->have_pty)
        sync_winsize(st->p->pty_master);
    } else if (!st->exited) {
      forward_signal(st->p, (int)si.ssi_signo);
    }
  }
}

/* Write all of buf to the user's side without ever blocking in write():
 * pieces of at most PIPE_BUF, each once poll() says there is room for one
 * (which a pipe, a terminal and a file keep), taking signals meanwhile, so
 * that a reader of our output that stops reading cannot keep Ctrl-C from
 * the container. */
static int write_out(struct fg *st, int fd, const char *buf, size_t len)
{
  while (len) {
    struct pollfd pfd[2] = {{fd, POLLOUT, 0}, {st->sfd, POLLIN, 0}};
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (pfd[1].revents & POLLIN)
      take_signals(st);
    if (!(pfd[0].revents & (POLLOUT | POLLERR | POLLHUP | POLLNVAL)))
      continue;
    ssize_t w = write(fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN)
        continue;
      return -1;
    }
    buf += w;
    len -= (size_t)w;
  }
  return 0;
}

/* Output of the container to the user, and to its log when it has one
 * (sink NULL: not logged): read what is there, write it all.  False at
 * EOF, EIO on a master whose peer is gone, or when the user's side is
 * closed (then the caller stops reading, so the container gets the EPIPE
 * it got when it wrote to that side itself). */
static bool pump_out(struct fg *st, struct relay *r, struct wb_log_sink *sink,
                     int stream)
{
  ssize_t n = read(r->in, r->buf, sizeof r->buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  bool ok = write_out(st, r->out, r->buf, (size_t)n) == 0;
  if (sink)
    wb_log_sink_write(sink, stream, r->buf, (size_t)n);
  return ok;
}

/* Input of the user to the container: the pty master is non-blocking, so
 * a container that stops reading its terminal cannot block us (we must
 * still reap it and forward signals); what does not fit waits in buf. */
static bool pump_in(struct relay *r, bool readable)
{
  if (r->len == 0 && readable) {
    ssize_t n = read(r->in, r->buf, sizeof r->buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
      return true;
    if (n <= 0)
      return false;
    r->off = 0;
    r->len = (size_t)n;
  }
  while (r->len) {
    ssize_t w = write(r->out, r->buf + r->off, r->len);
    if (w < 0)
      return errno == EAGAIN || errno == EINTR;
    r->off += (size_t)w;
    r->len -= (size_t)w;
  }
  return true;
}

/* A foreground container's output on its way to its log: without -t, the
 * read ends of its stdout and stderr pipes (-1 when not logged: then it
 * writes to our stdout and stderr itself); with -t the pty carries both.
 * sink NULL: not logged. */
struct fg_log {
  struct wb_log_sink *sink;
  int out, err;
};

static int foreground_loop(struct wb_process *p, const sigset_t *old,
                           int *status, struct fg_log *log, wb_error *err)
{
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
    sigaddset(&set, forwarded[i]);
  cleanup_close int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0)
    return wb_error_set(err, errno, "signalfd");

  /* With -t the user's terminal goes raw so keys reach the container's
   * line discipline; it is restored on every way out of this function. */
  struct termios saved;
  bool raw = false;
  if (p->pty_master >= 0 && isatty(STDIN_FILENO) &&
      tcgetattr(STDIN_FILENO, &saved) == 0) {
    struct termios t = saved;
    /* Fully raw, output too: the container's pty already turns \n into
     * \r\n. */
    cfmakeraw(&t);
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) == 0)
      raw = true;
  }
  struct relay to_ctr = {.in = STDIN_FILENO, .out = p->pty_master};
  if (p->pty_master >= 0) {
    int fl = fcntl(p->pty_master, F_GETFL);
    if (fl < 0 || fcntl(p->pty_master, F_SETFL, fl | O_NONBLOCK) < 0)
      return wb_error_set(err, errno, "set the pty non-blocking");
  }
  struct relay from_ctr = {.in = p->pty_master, .out = STDOUT_FILENO};
  /* Static: 16 KiB each would be a lot of stack for a loop that only
   * ever runs once per process. */
  static struct relay pipe_out, pipe_err;
  pipe_out = (struct relay){.in = log->out, .out = STDOUT_FILENO};
  pipe_err = (struct relay){.in = log->err, .out = STDERR_FILENO};
  struct fg st = {
      .p = p, .sfd = sfd, .status = status, .have_pty = p->pty_master >= 0};
  /* As Docker: without -i, what is typed does not reach the container. */
  bool in_open = st.have_pty && p->pty_stdin, out_open = st.have_pty;
  int ret = 0;
  while (!st.exited || out_open || pipe_out.in >= 0 || pipe_err.in >= 0) {
    /* After the exit, input has nowhere to go. */
    if (st.exited) {
      in_open = false;
      to_ctr.len = 0;
    }
    /* Read more input only when the last is written.  A pty master polls
     * writable even when the terminal's input queue is full, so pending
     * input is retried on a short timer rather than on POLLOUT. */
    bool pending = in_open && to_ctr.len > 0;
    struct pollfd fds[5] = {
        {sfd, POLLIN, 0},
        {in_open && !pending ? STDIN_FILENO : -1, POLLIN, 0},
        {out_open ? p->pty_master : -1, POLLIN, 0},
        {pipe_out.in, POLLIN, 0},
        {pipe_err.in, POLLIN, 0}};
    /* After exit, drain what the pty and the pipes still hold without
     * blocking: the pid namespace is gone, so the pipes' writers are. */
    int r = poll(fds, 5, st.exited ? 0 : pending ? 20 : -1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      ret = wb_error_set(err, errno, "poll");
      break;
    }
    if (r == 0 && st.exited)
      break;
    if (pending)
      in_open = pump_in(&to_ctr, false);
    if (out_open && fds[2].revents & (POLLIN | POLLHUP | POLLERR))
      out_open = pump_out(&st, &from_ctr, log->sink, WB_STREAM_STDOUT);
    struct relay *pipes[2] = {&pipe_out, &pipe_err};
    for (int i = 0; i < 2; i++)
      if (fds[3 + i].revents & (POLLIN | POLLHUP | POLLERR) &&
          !pump_out(&st, pipes[i], log->sink,
                    i ? WB_STREAM_STDERR : WB_STREAM_STDOUT)) {
        close(pipes[i]->in);
        pipes[i]->in = -1;
      }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
      in_open = pump_in(&to_ctr, true);
    if (fds[0].revents & POLLIN)
      take_signals(&st);
  }
  for (int i = 0; i < 2; i++) {
    struct relay *rl = i ? &pipe_err : &pipe_out;
    if (rl->in >= 0)
      close(rl->in);
  }
  if (raw)
    tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
  sigprocmask(SIG_SETMASK, old, NULL);
  return ret;
}

int wb_foreground_wait(struct wb_process *p, const sigset_t *old, int *status,
                       wb_error *err)
{
  struct fg_log none = {NULL, -1, -1};
  return foreground_loop(p, old, status, &none, err);
}

/* The container's log, opened before anything of it runs (a failure
 * fails the run, as Docker's).  `none` keeps nothing: then the container
 * writes to the terminal itself, as fast as before. */
static int open_log(struct wb_context *ctx, struct wb_container *c,
                    struct wb_driver **log, struct wb_log_sink *sink,
                    wb_error *err)
{
  *log = NULL;
  /* Created before containers were logged in the foreground. */
  if (!c->log_driver)
    return 0;
  int r = wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver, log, err);
  if (r < 0)
    return r;
  if (strcmp((*log)->desc->name, "none") == 0) {
    *log = NULL;
    return 0;
  }
  cleanup_free char *dir = path_join(c->dir, "log");
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return wb_error_set(err, errno, "mkdir %s", dir);
  struct wb_log_target t = {
      .size = sizeof t,
      .id = c->id,
      .dir = dir,
      .options = (const char *const *)c->log_opts,
  };
  return wb_log_sink_open(sink, (*log)->ops, (*log)->data, (*log)->label, &t,
                          err);
}

/* --rm: the log goes with the container (its directory is removed with
 * it; a driver may keep more elsewhere). */
static void remove_log(const struct wb_driver *log,
                       const struct wb_container *c)
{
  const struct wb_log_ops *ops = log->ops;
  if (!ops->remove)
    return;
  cleanup_free char *dir = path_join(c->dir, "log");
  struct wb_log_target t = {.size = sizeof t, .id = c->id, .dir = dir};
  cleanup_error wb_error ignored = WB_ERROR_INIT;
  ops->remove(log->data, &t, &ignored);
}

static void close_pipe(int fds[2])
{
  for (int i = 0; i < 2; i++)
    if (fds[i] >= 0) {
      close(fds[i]);
      fds[i] = -1;
    }
}

int wb_container_run_attached(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err)
{
  struct wb_driver *log;
  struct wb_log_sink sink = {0};
  int out[2] = {-1, -1}, errp[2] = {-1, -1};
  /* The last start's failure is not this one's. */
  free(c->error);
  c->error = NULL;
  int r = open_log(ctx, c, &log, &sink, err);
  wb_log_phase("start: log opened");
  /* Without a terminal the output comes through pipes, to be logged. */
  if (r == 0 && log && !c->tty &&
      (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0))
    r = wb_error_set(err, errno, "pipe");
  if (r < 0) {
    close_pipe(out);
    close_pipe(errp);
    wb_log_sink_clear(&sink);
    return r;
  }
  sigset_t old;
  wb_foreground_block_signals(&old);
  struct wb_process p = {.pidfd = -1,
                         .pty_master = -1,
                         .pty_stdin = c->interactive,
                         .stdin_fd = -1,
                         .stdout_fd = out[1],
                         .stderr_fd = errp[1]};
  /* In the foreground this process is the container's monitor. */
  c->monitor_pid = getpid();
  c->monitor_start_time = wb_proc_start_time(c->monitor_pid);
  r = wb_container_start(ctx, c, &p, err);
  /* Ours are the read ends only: EOF once the container's side closes. */
  if (out[1] >= 0)
    close(out[1]);
  if (errp[1] >= 0)
    close(errp[1]);
  if (r < 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    close(out[0]);
    close(errp[0]);
    wb_log_sink_clear(&sink);
    return r;
  }
  /* A closed stdout of ours is the container's EPIPE (pump_out), not our
   * death: SIGPIPE is ignored while we relay (the command is exec'd
   * already, with its own dispositions). */
  struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
  sigaction(SIGPIPE, &ign, &old_pipe);
  int status = 0;
  struct fg_log fl = {log ? &sink : NULL, out[0], errp[0]};
  r = foreground_loop(&p, &old, &status, &fl, err);
  sigaction(SIGPIPE, &old_pipe, NULL);
  if (p.pty_master >= 0)
    close(p.pty_master);
  if (p.pidfd >= 0)
    close(p.pidfd);
  wb_log_sink_close(&sink);
  wb_log_phase("exited: output drained, log closed");
  if (sink.error)
    c->error = xstrdup(sink.error);
  wb_log_sink_clear(&sink);
  if (r < 0)
    return r;
  cleanup_error wb_error cleanup_err = WB_ERROR_INIT;
  if (wb_container_exited(ctx, c, status, &cleanup_err) < 0)
    wb_log(WB_LOG_WARN, "%s", cleanup_err.msg);
  /* --rm takes the anonymous volumes along, as Docker does. */
  if (c->auto_remove) {
    if (log)
      remove_log(log, c);
    if (wb_container_discard(ctx, c, &cleanup_err) < 0)
      wb_log(WB_LOG_WARN, "%s", cleanup_err.msg);
  }
  return wb_wait_status_code(status);
}
