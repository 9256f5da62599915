#include "driver_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver_guard.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

static int64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void write_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

/* The child: the look itself, its progress (the guard writes "op WHO OP"
 * before each driver call) and its result ("result {json}") on fd. */
static _Noreturn void scan_child(struct wb_scan *s, int fd, pid_t parent)
{
  /* A driver that blocks every signal and waits must not outlive us if we
   * die before killing it. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
    _exit(1);
  /* Our stdout is the command's output: what a driver prints goes to
   * stderr, where a user still sees it. */
  if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
    _exit(1);
  wb_guard_set_progress_fd(fd);
  json_t *o = s->fn(s->arg);
  fflush(stdout);
  wb_guard_set_progress_fd(-1);
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  if (text) {
    write_all(fd, "result ", 7);
    write_all(fd, text, strlen(text));
    write_all(fd, "\n", 1);
  }
  _exit(text ? 0 : 1);
}

static void scan_start(struct wb_scan *s)
{
  s->pid = -1;
  s->fd = -1;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) {
    s->failure = xasprintf("pipe: %s", strerror(errno));
    return;
  }
  pid_t parent = getpid();
  s->pid = fork();
  if (s->pid == 0) {
    close(p[0]);
    scan_child(s, p[1], parent);
  }
  close(p[1]);
  if (s->pid < 0) {
    s->failure = xasprintf("fork: %s", strerror(errno));
    close(p[0]);
    return;
  }
  s->fd = p[0];
}

/* Read what is there; close on EOF. */
static void scan_read(struct wb_scan *s)
{
  char chunk[4096];
  ssize_t n = read(s->fd, chunk, sizeof chunk);
  if (n < 0 && errno == EINTR)
    return;
  if (n <= 0) {
    close(s->fd);
    s->fd = -1;
    return;
  }
  s->buf = xrealloc(s->buf, s->len + (size_t)n + 1);
  memcpy(s->buf + s->len, chunk, (size_t)n);
  s->len += (size_t)n;
  s->buf[s->len] = '\0';
}

/* Read every child's pipe until EOF or the deadline; true if some did not
 * finish in time. */
static bool read_until(struct wb_scan *scans, size_t n, int64_t deadline)
{
  cleanup_free struct pollfd *pfd = xzalloc((n + 1) * sizeof *pfd);
  cleanup_free size_t *which = xzalloc((n + 1) * sizeof *which);
  for (;;) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (scans[i].fd >= 0) {
        pfd[k] = (struct pollfd){.fd = scans[i].fd, .events = POLLIN};
        which[k++] = i;
      }
    int64_t left = deadline - now_ms();
    if (k == 0)
      return false;
    if (left <= 0)
      return true;
    int r = poll(pfd, k, (int)left);
    if (r < 0 && errno != EINTR)
      return true;
    for (size_t j = 0; r > 0 && j < k; j++)
      if (pfd[j].revents)
        scan_read(&scans[which[j]]);
  }
}

/* Wait for one child until the deadline, then kill it.  A pidfd waits
 * without polling; without one (Linux < 5.3), a short sleep loop. */
static void reap_until(struct wb_scan *s, int64_t deadline)
{
  if (s->pid <= 0)
    return;
  cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
  for (;;) {
    pid_t r = waitpid(s->pid, &s->status, WNOHANG);
    if (r == s->pid || (r < 0 && errno != EINTR))
      return;
    int64_t left = deadline - now_ms();
    if (left <= 0)
      break;
    if (pidfd >= 0) {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      poll(&p, 1, (int)left);
    } else {
      struct timespec t = {0, 2 * 1000 * 1000};
      nanosleep(&t, NULL);
    }
  }
  kill(s->pid, SIGKILL);
  while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR)
    ;
}

/* The rest of the last line of buf that starts with `prefix`. */
static const char *last_line(const char *buf, const char *prefix)
{
  const char *found = NULL;
  size_t n = strlen(prefix);
  for (const char *line = buf; line && *line;) {
    if (strncmp(line, prefix, n) == 0)
      found = line + n;
    line = strchr(line, '\n');
    if (line)
      line++;
  }
  return found;
}

/* The last "op WHO OP" line: where the child was. */
static void last_op(const char *buf, char **who, char **op)
{
  *who = *op = NULL;
  const char *found = last_line(buf, "op ");
  if (!found)
    return;
  size_t len = strcspn(found, "\n");
  const char *space = memrchr(found, ' ', len);
  if (!space)
    return;
  *who = xstrndup(found, (size_t)(space - found));
  *op = xstrndup(space + 1, len - (size_t)(space + 1 - found));
}

static char *describe_failure(const struct wb_scan *s, bool timed_out,
                              unsigned limit_s)
{
  cleanup_free char *who = NULL, *op = NULL;
  last_op(s->buf ? s->buf : "", &who, &op);
  cleanup_free char *where = !op ? xstrdup("")
                             : strcmp(op, "load") == 0
                                 ? xstrdup(" while loading")
                                 : xasprintf(" in %s()", op);
  cleanup_free char *prefix = who ? xasprintf("%s: ", who) : xstrdup("");
  if (timed_out)
    return xasprintf("%sdid not answer within %u s%s", prefix, limit_s, where);
  if (WIFSIGNALED(s->status))
    return xasprintf("%scrashed%s with signal %d (%s)", prefix, where,
                     WTERMSIG(s->status), strsignal(WTERMSIG(s->status)));
  return xasprintf("%sexited with status %d%s", prefix,
                   WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1, where);
}

static void scan_finish(struct wb_scan *s, bool timed_out, unsigned limit_s)
{
  if (s->failure)
    return;
  const char *result = s->buf ? last_line(s->buf, "result ") : NULL;
  if (result)
    s->result = json_loads(result, 0, NULL);
  if (!s->result)
    s->failure = describe_failure(s, timed_out, limit_s);
}

void wb_scan_run(struct wb_scan *scans, size_t n, unsigned limit_s)
{
  /* Children must not write out what we have buffered. */
  fflush(stdout);
  fflush(stderr);
  for (size_t i = 0; i < n; i++)
    scan_start(&scans[i]);
  int64_t deadline = now_ms() + (int64_t)limit_s * 1000;
  bool late = read_until(scans, n, deadline);
  if (late)
    for (size_t i = 0; i < n; i++)
      if (scans[i].fd >= 0 && scans[i].pid > 0)
        kill(scans[i].pid, SIGKILL);
  for (size_t i = 0; i < n; i++)
    reap_until(&scans[i], deadline);
  for (size_t i = 0; i < n; i++) {
    bool timed_out = late && scans[i].fd >= 0;
    if (scans[i].fd >= 0)
      close(scans[i].fd);
    scans[i].fd = -1;
    scan_finish(&scans[i], timed_out, limit_s);
  }
}

void wb_scan_clear(struct wb_scan *s)
{
  json_decref(s->result);
  free(s->failure);
  free(s->buf);
  s->result = NULL;
  s->failure = NULL;
  s->buf = NULL;
}
