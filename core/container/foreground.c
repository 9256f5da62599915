#include "foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/log.h"

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

static int write_all(int fd, const char *buf, size_t len)
{
  while (len) {
    ssize_t w = write(fd, buf, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    buf += w;
    len -= w;
  }
  return 0;
}

/* Output of the container to the user: read what is there, write it
 * all.  False at EOF, or EIO on a master whose peer is gone. */
static bool pump_out(struct relay *r)
{
  ssize_t n = read(r->in, r->buf, sizeof r->buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  return write_all(r->out, r->buf, (size_t)n) == 0;
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

static void sync_winsize(int master)
{
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

int wb_foreground_wait(struct wb_process *p, const sigset_t *old, int *status,
                       wb_error *err)
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
  bool have_pty = p->pty_master >= 0;
  /* As Docker: without -i, what is typed does not reach the container. */
  bool in_open = have_pty && p->pty_stdin, out_open = have_pty;
  bool exited = false;
  int ret = 0;
  while (!exited || out_open) {
    /* After the exit, input has nowhere to go. */
    if (exited) {
      in_open = false;
      to_ctr.len = 0;
    }
    /* Read more input only when the last is written.  A pty master polls
     * writable even when the terminal's input queue is full, so pending
     * input is retried on a short timer rather than on POLLOUT. */
    bool pending = in_open && to_ctr.len > 0;
    struct pollfd fds[3] = {
        {sfd, POLLIN, 0},
        {in_open && !pending ? STDIN_FILENO : -1, POLLIN, 0},
        {out_open ? p->pty_master : -1, POLLIN, 0}};
    /* After exit, drain what the pty still holds without blocking. */
    int r = poll(fds, 3, exited ? 0 : pending ? 20 : -1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      ret = wb_error_set(err, errno, "poll");
      break;
    }
    if (r == 0 && exited)
      break;
    if (pending)
      in_open = pump_in(&to_ctr, false);
    if (out_open && fds[2].revents & (POLLIN | POLLHUP | POLLERR))
      out_open = pump_out(&from_ctr);
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
      in_open = pump_in(&to_ctr, true);
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          pid_t w = waitpid(p->pid, status, WNOHANG);
          if (w == p->pid)
            exited = true;
        } else if (si.ssi_signo == SIGWINCH) {
          if (have_pty)
            sync_winsize(p->pty_master);
        } else if (!exited) {
          forward_signal(p, (int)si.ssi_signo);
        }
      }
    }
  }
  if (raw)
    tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
  sigprocmask(SIG_SETMASK, old, NULL);
  return ret;
}

int wb_container_run_attached(struct wb_context *ctx, struct wb_container *c,
                              wb_error *err)
{
  sigset_t old;
  wb_foreground_block_signals(&old);
  struct wb_process p = {.pidfd = -1,
                         .pty_master = -1,
                         .pty_stdin = c->interactive,
                         .stdin_fd = -1,
                         .stdout_fd = -1,
                         .stderr_fd = -1};
  /* In the foreground this process is the container's monitor. */
  c->monitor_pid = getpid();
  c->monitor_start_time = wb_proc_start_time(c->monitor_pid);
  int r = wb_container_start(ctx, c, &p, err);
  if (r < 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
  }
  int status = 0;
  r = wb_foreground_wait(&p, &old, &status, err);
  if (p.pty_master >= 0)
    close(p.pty_master);
  if (p.pidfd >= 0)
    close(p.pidfd);
  if (r < 0)
    return r;
  cleanup_error wb_error cleanup_err = WB_ERROR_INIT;
  if (wb_container_exited(ctx, c, status, &cleanup_err) < 0)
    wb_log(WB_LOG_WARN, "%s", cleanup_err.msg);
  /* --rm takes the anonymous volumes along, as Docker does. */
  if (c->auto_remove && wb_container_discard(ctx, c, &cleanup_err) < 0)
    wb_log(WB_LOG_WARN, "%s", cleanup_err.msg);
  return wb_wait_status_code(status);
}
