/* exec_process.c - the last steps before the user's command runs, the same
 * for a container's first process and for `exec`: user, environment,
 * working directory, stdio, then execve. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/env.h"
#include "../util/xalloc.h"
#include "exec_stub.h"
#include "spawn.h"

/* Defaults, then the container's variables, then exec's -e; the last
 * value of a name wins. */
static char **build_env(const struct wb_exec_spec *x, const char *home)
{
  const struct wb_container *c = x->c;
  char **defaults = NULL;
  strv_push(
      &defaults,
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  cleanup_free char *hn = xasprintf("HOSTNAME=%s", c->hostname);
  strv_push(&defaults, hn);
  cleanup_free char *h = xasprintf("HOME=%s", home);
  strv_push(&defaults, h);
  if (x->tty)
    strv_push(&defaults, "TERM=xterm");
  char **const lists[] = {defaults, c->env, (char **)x->extra_env};
  char **env = wb_env_merge(lists, 3);
  strv_free(defaults);
  return env;
}

static int redirect_stdio(const struct wb_exec_spec *x, wb_error *err)
{
  if (x->pty_slave >= 0) {
    if (ioctl(x->pty_slave, TIOCSCTTY, 0) < 0)
      return wb_error_set(err, errno, "set controlling terminal");
    if (x->have_winsize)
      ioctl(x->pty_slave, TIOCSWINSZ, &x->winsize);
    for (int fd = 0; fd < 3; fd++)
      if (dup2(x->pty_slave, fd) < 0)
        return wb_error_set(err, errno, "dup2 pty");
    if (x->pty_slave > 2)
      close(x->pty_slave);
    return 0;
  }
  int fds[3] = {x->stdin_fd, x->stdout_fd, x->stderr_fd};
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0 && fds[i] != i && dup2(fds[i], i) < 0)
      return wb_error_set(err, errno, "dup2 stdio");
  if (!x->interactive) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0)
      return wb_error_set(err, errno, "open /dev/null");
    if (dup2(null, 0) < 0)
      return wb_error_set(err, errno, "dup2 /dev/null");
    close(null);
  }
  return 0;
}

/* Nothing the runtime's caller ignored or blocked reaches the command. */
static void reset_signals(void)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal(sig, SIG_DFL);
}

int wb_exec_in_container(const struct wb_exec_spec *x, wb_error *err)
{
  reset_signals();
  const struct wb_container *c = x->c;
  const struct wb_security *sec = &c->sec;
  /* Order matters: the bounding set shrinks while we still hold
   * CAP_SETPCAP; without no_new_privs the filter must be loaded while we
   * still hold CAP_SYS_ADMIN; the user switch clears a non-root user's
   * capabilities; with no_new_privs the filter comes last, right before
   * execve, so it needs to allow nothing of our own setup. */
  struct wb_seccomp_filter own
      __attribute__((cleanup(wb_seccomp_filter_clear))) = {0};
  const struct wb_seccomp_filter *filter = x->filter;
  int r;
  if (!filter) {
    if ((r = wb_seccomp_prepare(sec, &own, err)) < 0)
      return r;
    filter = &own;
  }
  r = wb_caps_limit_bounding(sec, err);
  if (r < 0)
    return r;
  if (sec->no_new_privs_off && (r = wb_seccomp_apply(filter, err)) < 0)
    return r;
  cleanup_free char *home = NULL;
  r = wb_user_switch(x->user ? x->user : c->user, &home, err);
  if (r < 0)
    return r;
  r = wb_caps_finish(sec, geteuid() == 0, err);
  if (r < 0)
    return r;
  if (!sec->no_new_privs_off && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return wb_error_set(err, errno, "set no_new_privs");
  cleanup_strv char **env = build_env(x, home);
  const char *wd = x->workdir ? x->workdir : c->workdir;
  if (!wd || !*wd)
    wd = "/";
  /* chdir after pivot_root/setns: the working directory is inside the
   * container's root before exec (the CVE-2024-21626 class). */
  if (chdir(wd) < 0)
    return wb_error_set(err, errno, "chdir to working directory %s", wd);
  /* A path through /proc/self/fd/N could land on a directory outside the
   * root (an fd the runtime inherited or holds): getcwd() fails then. */
  cleanup_free char *cwd = getcwd(NULL, 0);
  if (!cwd)
    return wb_error_set(err, -EPERM,
                        "working directory %s is outside the container", wd);
  r = redirect_stdio(x, err);
  if (r < 0)
    return r;
  cleanup_free char *path = NULL;
  r = wb_exec_lookup(x->argv[0], env, &path, err);
  if (r < 0)
    return r;
  cleanup_strv char **stub_argv = wb_exec_stub_argv(x->sync_fd, path, x->argv);
  /* Only stdio reaches the command; the sync socket closes when it is
   * exec'd, which tells the runtime the command is running. */
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return wb_error_set(err, errno, "close_range");
  if (!sec->no_new_privs_off && (r = wb_seccomp_apply(filter, err)) < 0)
    return r;
  return wb_exec_stub_exec(x->stub_fd, x->sync_fd, stub_argv, env, err);
}
