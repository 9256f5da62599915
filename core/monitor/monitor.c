/* monitor.c - whalebox-monitor: what stays with a detached container.
 *
 * The runtime starts the container as a child of a forked process, which
 * then execs this small program so that the container's parent costs as
 * little memory as possible (it links only libc, dl and the few core files
 * that give the log driver its host services).  It feeds the container's
 * stdout and stderr to the log driver, reaps it (it is a child
 * subreaper), and when the container's first process has ended it execs
 * the runtime's "container-exited" command with the wait status appended,
 * which records the exit code and OOM and removes the cgroup.
 *
 * The log driver gets the same struct wb_host as in whalebox
 * (core/driver_host.c): the state root, its own driver directory, its
 * configuration group, the same size parser; what it logs and every
 * failure of it go to <container>/monitor.log (messages.c).  Every call
 * into it is guarded as in whalebox (driver_guard.h, driver_log.h): a
 * crash, exit() or hang of the driver is one of those failures, and the
 * monitor goes on reaping the container and records its exit.
 *
 * The log is opened before the container starts, and only here: the
 * runtime's starter process (core/container/monitor.c) waits on the
 * control channel for READY, or for the driver's error, which fails the
 * start; then it sends the container's pid (and its pty master with a
 * terminal), and exits, leaving the container to us.
 *
 * Usage (built by the runtime, not by people):
 *   whalebox-monitor --starter PID --control FD --stdout FD --stderr FD
 *     --id ID --log-driver SO --log-dir DIR --state-root DIR
 *     --driver-dir DIR --messages FILE [--log-level N]
 *     [--driver-timeouts CALL,DATA] [--log-config T:K=V]...
 *     [--log-opt K=V]... -- EXIT-COMMAND...
 * With a terminal --stdout and --stderr are -1: the pty comes with the
 * pid. */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <whalebox/plugin.h>

#include "../container/sync.h"
#include "../driver_guard.h"
#include "../driver_host.h"
#include "../driver_log.h"
#include "../log_sink.h"
#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "messages.h"

struct options {
  pid_t starter, pid;
  int control, out, err;
  const char *id, *driver, *dir, *state_root, *driver_dir, *messages;
  int log_level;
  const char **config;   /* NULL-terminated, sized by argc */
  const char **log_opts; /* NULL-terminated, sized by argc */
  char **exit_cmd;
};

/* "CALL,DATA" seconds, as whalebox's own (drivers { ... } in its
 * configuration). */
static void set_timeouts(const char *v)
{
  char *end;
  unsigned long call = strtoul(v, &end, 10);
  unsigned long data = *end == ',' ? strtoul(end + 1, NULL, 10) : 0;
  wb_guard_set_timeouts((unsigned)call, (unsigned)data);
}

static int parse_args(int argc, char **argv, struct options *o)
{
  size_t nconf = 0, nopt = 0;
  o->control = o->out = o->err = -1;
  o->log_level = WB_LOG_WARN;
  o->config = xzalloc(((size_t)argc + 1) * sizeof *o->config);
  o->log_opts = xzalloc(((size_t)argc + 1) * sizeof *o->log_opts);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      o->exit_cmd = argv + i + 1;
      break;
    }
    if (i + 1 >= argc)
      return -1;
    const char *v = argv[++i];
    if (strcmp(a, "--starter") == 0)
      o->starter = atoi(v);
    else if (strcmp(a, "--control") == 0)
      o->control = atoi(v);
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
    else if (strcmp(a, "--state-root") == 0)
      o->state_root = v;
    else if (strcmp(a, "--driver-dir") == 0)
      o->driver_dir = v;
    else if (strcmp(a, "--messages") == 0)
      o->messages = v;
    else if (strcmp(a, "--log-level") == 0)
      o->log_level = atoi(v);
    else if (strcmp(a, "--driver-timeouts") == 0)
      set_timeouts(v);
    else if (strcmp(a, "--log-config") == 0)
      o->config[nconf++] = v;
    else if (strcmp(a, "--log-opt") == 0)
      o->log_opts[nopt++] = v;
    else
      return -1;
  }
  return o->starter > 0 && o->control >= 0 && o->id && o->driver && o->dir &&
                 o->state_root && o->driver_dir && o->messages && o->exit_cmd &&
                 o->exit_cmd[0]
             ? 0
             : -1;
}

/* The log driver as whalebox loads it (the runtime validated it fully
 * before starting us; what is checked here is what this file relies
 * on). */
struct driver {
  void *dl;
  const struct wb_plugin *desc;
  void *data;
  bool initialised;
  struct wb_driver_services services;
  struct wb_host host;
  struct wb_guard guard;
  struct wb_guarded_log log; /* the ops we call: the guard's trampolines */
  char *left_behind;
  const char *path;
};

#define LOG_OPS_V1_0_SIZE (offsetof(struct wb_log_ops, remove) + sizeof(void *))

/* dlopen and the getter run the driver's code: guarded ("load"). */
static int load_code(void *arg, wb_error *err)
{
  struct driver *d = arg;
  d->dl = dlopen(d->path, RTLD_NOW | RTLD_LOCAL);
  if (!d->dl) {
    const char *why = dlerror();
    return wb_error_set(err, -ENOEXEC, "log driver %s: cannot load: %s",
                        d->path, why ? why : "unknown error");
  }
  wb_plugin_entry_fn entry =
      (wb_plugin_entry_fn)dlsym(d->dl, WB_PLUGIN_ENTRY_NAME);
  const struct wb_plugin *p =
      entry ? entry(WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR) : NULL;
  const uint32_t *ops = p ? p->ops : NULL;
  if (!p || p->abi_major != WB_PLUGIN_ABI_MAJOR || p->kind != WB_PLUGIN_LOG ||
      !p->name || !p->init || !ops || *ops < LOG_OPS_V1_0_SIZE)
    return wb_error_set(err, -EPROTO,
                        "log driver %s: not the log driver whalebox checked",
                        d->path);
  d->desc = p;
  return 0;
}

static int run_init(void *arg, wb_error *err)
{
  struct driver *d = arg;
  return d->desc->init(&d->host, &d->data, err);
}

static int load_driver(const struct options *o, struct driver *d, wb_error *err)
{
  d->path = o->driver;
  cleanup_free char *who = xasprintf("log driver %s", o->driver);
  d->guard.who = who;
  int r = wb_guard_call(&d->guard, "load", WB_LIMIT_QUICK, false, load_code, d,
                        err);
  d->guard.who = NULL;
  if (r < 0)
    return r;
  d->services.label = xasprintf("log-%s", d->desc->name);
  d->guard.who = d->services.label;
  for (const char *const *c = o->config; *c; c++)
    if (wb_driver_setting_parse(&d->services, *c) < 0)
      return wb_error_set(err, -EINVAL, "%s: bad setting %s", d->services.label,
                          *c);
  wb_driver_host_fill(&d->host, &d->services, o->state_root, o->driver_dir);
  r = wb_guard_call(&d->guard, "init", WB_LIMIT_CALL, false, run_init, d, err);
  if (r < 0)
    return r;
  d->initialised = true;
  wb_guarded_log_init(&d->log, &d->guard, d->desc->ops, &d->data,
                      &d->left_behind);
  return 0;
}

static int run_fini(void *arg, wb_error *err)
{
  (void)err;
  struct driver *d = arg;
  d->desc->fini(d->data);
  return 0;
}

static void unload_driver(struct driver *d)
{
  wb_error err = WB_ERROR_INIT;
  if (d->initialised && d->desc->fini && d->guard.state == WB_GUARD_OK &&
      wb_guard_call(&d->guard, "fini", WB_LIMIT_QUICK, false, run_fini, d,
                    &err) < 0)
    wb_log(WB_LOG_WARN, "%s", err.msg);
  wb_error_clear(&err);
  d->initialised = false;
  d->guard.who = NULL;
  wb_guard_clear(&d->guard);
  free(d->left_behind);
  d->left_behind = NULL;
  wb_driver_services_clear(&d->services);
  /* Not dlclose'd: the monitor execs or exits next, and a driver's
   * destructors have no business running before that. */
}

/* Load the log driver and open the container's log; the starter waits
 * for the verdict before it starts anything. */
static int open_sink(const struct options *o, struct driver *d,
                     struct wb_log_sink *sink, wb_error *err)
{
  int r = load_driver(o, d, err);
  if (r < 0)
    return r;
  struct wb_log_target t = {
      .size = sizeof t,
      .id = o->id,
      .dir = o->dir,
      .options = o->log_opts,
  };
  return wb_log_sink_open(sink, &d->log.ops, &d->log, d->services.label, &t,
                          err);
}

/* The starter's answer: the container's pid, and with a terminal its pty
 * master, which then carries both streams.  false when there is no
 * container (its start failed, and the starter told the runtime why). */
static bool receive_container(struct options *o)
{
  int type = 0, code = 0, fd = -1;
  char *msg = NULL;
  int r = wb_sync_recv(o->control, &type, &code, &msg, &fd);
  free(msg);
  if (r != 1 || type != WB_SYNC_PID || code <= 0) {
    if (fd >= 0)
      close(fd);
    return false;
  }
  o->pid = code;
  if (fd >= 0) {
    o->out = fd;
    o->err = -1;
  }
  /* The container is ours once the starter, its parent, has gone: wait
   * for that, so that every wait below is on our own child. */
  while (waitpid(o->starter, NULL, 0) < 0 && errno == EINTR)
    ;
  return o->out >= 0;
}

/* Read what is there into the log; false at EOF. */
static bool drain(int fd, struct wb_log_sink *sink, int stream)
{
  static char buf[16384];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  wb_log_sink_write(sink, stream, buf, (size_t)n);
  if (!sink->failing)
    wb_messages_flush(); /* room again, maybe, for what waited */
  return true;
}

/* Feed the log until the container has exited and its streams are
 * drained; returns its wait status. */
static int relay(const struct options *o, struct wb_log_sink *sink)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, NULL);
  /* Without a signalfd the loop only drains; the blocking wait below
   * still reaps the container. */
  int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  int status = 0;
  bool exited = false;
  int fds[2] = {o->out, o->err};
  /* The child may have ended before we blocked SIGCHLD: check once. */
  if (waitpid(o->pid, &status, WNOHANG) == o->pid)
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
          !drain(fds[i], sink, i ? WB_STREAM_STDERR : WB_STREAM_STDOUT)) {
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
        if (w == o->pid) {
          status = st;
          exited = true;
        }
    }
  }
  /* Whatever ended the loop, the exit code recorded is the real one. */
  while (!exited) {
    pid_t w = waitpid(o->pid, &status, 0);
    if (w == o->pid || (w < 0 && errno != EINTR))
      exited = true;
  }
  sigprocmask(SIG_UNBLOCK, &set, NULL);
  return status;
}

/* Hand over to the runtime for the bookkeeping; same pid, so whoever
 * waits for the monitor waits for that too. */
static int exec_exit_command(const struct options *o, int status)
{
  size_t n = strv_len(o->exit_cmd);
  char **cmd = xzalloc((n + 2) * sizeof *cmd);
  memcpy(cmd, o->exit_cmd, n * sizeof *cmd);
  cmd[n] = xasprintf("%d", status);
  execv(cmd[0], cmd);
  wb_log(WB_LOG_ERROR, "whalebox-monitor: exec %s: %s", cmd[0],
         strerror(errno));
  return 1;
}

int main(int argc, char **argv)
{
  struct options o = {0};
  if (parse_args(argc, argv, &o) < 0) {
    fputs("whalebox-monitor: started by whalebox only\n", stderr);
    return 125;
  }
  wb_log_set_level(o.log_level);
  wb_messages_init(o.messages);
  struct driver d = {0};
  struct wb_log_sink sink = {0};
  wb_error err = WB_ERROR_INIT;
  if (open_sink(&o, &d, &sink, &err) < 0) {
    /* Reported by the start that fails on it: nothing to keep here. */
    wb_sync_send(o.control, WB_SYNC_ERROR, WB_EXIT_FAILURE,
                 err.msg ? err.msg : "the log driver failed", -1);
    unload_driver(&d);
    return 1;
  }
  bool started = wb_sync_send(o.control, WB_SYNC_READY, 0, NULL, -1) == 0 &&
                 receive_container(&o);
  close(o.control);
  int status = started ? relay(&o, &sink) : 0;
  wb_log_sink_clear(&sink);
  unload_driver(&d);
  wb_messages_finish();
  return started ? exec_exit_command(&o, status) : 0;
}
