/* monitor.c - whalebox-monitor: what stays with a detached container.
 *
 * The runtime starts the container as a child of a forked process, which
 * then execs this small program so that the container's parent costs as
 * little memory as possible (it links only libc and the log driver).  It
 * feeds the container's stdout and stderr to the log driver, reaps it (it
 * is a child subreaper), and when the container's first process has ended
 * it execs the runtime's "container-exited" command with the wait status
 * appended, which records the exit code and OOM and removes the cgroup.
 *
 * Usage (built by the runtime, not by people):
 *   whalebox-monitor --pid PID --stdout FD --stderr FD --id ID
 *     --log-driver SO --log-dir DIR [--log-config K=V]... [--log-opt K=V]...
 *     -- EXIT-COMMAND... */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <whalebox/plugin.h>

#include "../util/size.h"

struct options {
  pid_t pid;
  int out, err;
  const char *id, *driver, *dir;
  const char **config;   /* NULL-terminated, sized by argc */
  const char **log_opts; /* NULL-terminated, sized by argc */
  char **exit_cmd;
};

/* The driver's errors have nowhere to go but the kernel log of the
 * monitor's own stderr (/dev/null); they are kept short. */
struct wb_error {
  char msg[256];
};

static void host_log(const struct wb_host *h, int level, const char *fmt, ...)
{
  (void)h, (void)level, (void)fmt;
}

static int host_error(const struct wb_host *h, wb_error *err, int errnum,
                      const char *fmt, ...)
{
  (void)h;
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return errnum > 0 ? -errnum : errnum < 0 ? errnum : -EIO;
}

static const struct options *opts_of(const struct wb_host *h)
{
  return h->priv;
}

static const char *config_value(const struct wb_host *h, const char *key)
{
  size_t n = strlen(key);
  for (const char *const *c = opts_of(h)->config; *c; c++)
    if (strncmp(*c, key, n) == 0 && (*c)[n] == '=')
      return *c + n + 1;
  return NULL;
}

/* The runtime's own parser (core/util/size.c), so that a size the runtime
 * accepted is read here the same way. */
static int parse_size_text(const char *text, int64_t *out)
{
  return parse_size(text, out) < 0 ? -EINVAL : 0;
}

static int host_config_string(const struct wb_host *h, const char *key,
                              const char **out)
{
  const char *v = config_value(h, key);
  if (!v)
    return -ENOENT;
  *out = v;
  return 0;
}

static int host_config_int(const struct wb_host *h, const char *key,
                           int64_t *out)
{
  const char *v = config_value(h, key);
  return v ? parse_size_text(v, out) : -ENOENT;
}

static int host_config_bool(const struct wb_host *h, const char *key, int *out)
{
  const char *v = config_value(h, key);
  if (!v)
    return -ENOENT;
  *out = strcmp(v, "true") == 0;
  return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
  size_t nconf = 0, nopt = 0;
  o->out = o->err = -1;
  o->config = calloc((size_t)argc + 1, sizeof *o->config);
  o->log_opts = calloc((size_t)argc + 1, sizeof *o->log_opts);
  if (!o->config || !o->log_opts)
    return -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      o->exit_cmd = argv + i + 1;
      break;
    }
    if (i + 1 >= argc)
      return -1;
    const char *v = argv[++i];
    if (strcmp(a, "--pid") == 0)
      o->pid = atoi(v);
    else if (strcmp(a, "--stdout") == 0)
      o->out = atoi(v);
    else if (strcmp(a, "--stderr") == 0)
      o->err = atoi(v);
    else if (strcmp(a, "--id") == 0)
      o->id = v;
    else if (strcmp(a, "--log-driver") == 0)
      o->driver = v;
    else if (strcmp(a, "--log-dir") == 0)
      o->dir = v;
    else if (strcmp(a, "--log-config") == 0)
      o->config[nconf++] = v;
    else if (strcmp(a, "--log-opt") == 0)
      o->log_opts[nopt++] = v;
    else
      return -1;
  }
  /* With a terminal there is one stream: --stderr -1. */
  return o->pid > 0 && o->out >= 0 && o->err >= -1 && o->id && o->driver &&
                 o->dir && o->exit_cmd && o->exit_cmd[0]
             ? 0
             : -1;
}

struct sink {
  const struct wb_log_ops *ops;
  void *handle;
};

/* Load and open the log driver; without it output is drained and lost. */
static void open_sink(struct options *o, struct wb_host *host,
                      struct sink *sink)
{
  void *dl = dlopen(o->driver, RTLD_NOW | RTLD_LOCAL);
  wb_plugin_entry_fn entry =
      dl ? (wb_plugin_entry_fn)dlsym(dl, WB_PLUGIN_ENTRY_NAME) : NULL;
  const struct wb_plugin *p =
      entry ? entry(WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR) : NULL;
  /* The runtime validated this driver fully before starting us. */
  if (!p || p->abi_major != WB_PLUGIN_ABI_MAJOR || p->kind != WB_PLUGIN_LOG)
    return;
  wb_error err = {""};
  void *drv = NULL;
  if (p->init(host, &drv, &err) < 0)
    return;
  struct wb_log_target t = {
      .size = sizeof t,
      .id = o->id,
      .dir = o->dir,
      .options = o->log_opts,
  };
  const struct wb_log_ops *ops = p->ops;
  if (ops->open(drv, &t, &sink->handle, &err) == 0)
    sink->ops = ops;
}

/* Read what is there into the log; false at EOF. */
static bool drain(int fd, struct sink *sink, int stream)
{
  static char buf[16384];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  if (sink->ops) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    wb_error err = {""};
    sink->ops->write(sink->handle, stream, &ts, buf, (size_t)n, &err);
  }
  return true;
}

int main(int argc, char **argv)
{
  struct options o = {0};
  if (parse_args(argc, argv, &o) < 0) {
    fputs("whalebox-monitor: started by whalebox only\n", stderr);
    return 125;
  }
  struct wb_host host = {
      .size = sizeof host,
      .abi_major = WB_PLUGIN_ABI_MAJOR,
      .abi_minor = WB_PLUGIN_ABI_MINOR,
      .state_root = "",
      .driver_dir = o.dir,
      .log = host_log,
      .error = host_error,
      .config_string = host_config_string,
      .config_int = host_config_int,
      .config_bool = host_config_bool,
      .parse_size = parse_size_text,
      .priv = &o,
  };
  struct sink sink = {0};
  open_sink(&o, &host, &sink);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  /* Without a signalfd the loop only drains; the blocking wait below
   * still reaps the container. */
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int status = 0;
  bool exited = false;
  int fds[2] = {o.out, o.err};
  /* The child may have ended before we blocked SIGCHLD: check once. */
  if (waitpid(o.pid, &status, WNOHANG) == o.pid)
    exited = true;
  while (!exited || fds[0] >= 0 || fds[1] >= 0) {
    if (sfd < 0 && fds[0] < 0 && fds[1] < 0)
      break; /* nothing left to poll: the blocking wait below reaps */
    struct pollfd pfd[3] = {
        {sfd, POLLIN, 0}, {fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    /* After the exit only drain: the pid namespace is gone, so every
     * writer has closed, but a pty never reports EOF. */
    int r = poll(pfd, 3, exited ? 100 : -1);
    if (r < 0 && errno != EINTR)
      break;
    if (r == 0 && exited)
      break;
    for (int i = 0; i < 2; i++)
      if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR) &&
          !drain(fds[i], &sink, i ? WB_STREAM_STDERR : WB_STREAM_STDOUT)) {
        close(fds[i]);
        fds[i] = -1;
      }
    if (pfd[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si)
        ;
      /* As subreaper we also collect orphans; only the first process
       * ends the container. */
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0)
        if (w == o.pid) {
          status = st;
          exited = true;
        }
    }
  }
  /* Whatever ended the loop, the exit code recorded is the real one. */
  while (!exited) {
    pid_t w = waitpid(o.pid, &status, 0);
    if (w == o.pid || (w < 0 && errno != EINTR))
      exited = true;
  }
  if (sink.ops)
    sink.ops->close(sink.handle);

  /* Hand over to the runtime for the bookkeeping; same pid, so whoever
   * waits for the monitor waits for that too. */
  size_t n = 0;
  while (o.exit_cmd[n])
    n++;
  char **cmd = calloc(n + 2, sizeof *cmd);
  char code[16];
  snprintf(code, sizeof code, "%d", status);
  if (!cmd)
    return 1;
  memcpy(cmd, o.exit_cmd, n * sizeof *cmd);
  cmd[n] = code;
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  execv(cmd[0], cmd);
  return 1;
}
