#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "exec_stub.h"
#include "foreground.h"
#include "inroot.h"
#include "pty.h"
#include "spawn.h"
#include "sync.h"

#define JOIN_FLAGS                                                             \
  (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID |   \
   CLONE_NEWCGROUP)

/* The process that runs the command: already in every namespace. */
static int exec_child(const struct wb_container *c,
                      const struct wb_exec_request *req,
                      const struct wb_seccomp_filter *filter, int stub,
                      int sync, const struct winsize *ws, bool have_ws,
                      wb_error *err)
{
  if (setsid() < 0)
    return wb_error_set(err, errno, "setsid");
  /* In a user namespace, be its root before making anything in the
   * container (the pty would belong to an unmapped id: nobody inside);
   * the user switch before exec still applies -u. */
  int r;
  if (wb_userns_enabled(&c->sec) && (r = wb_userns_become_root(err)) < 0)
    return r;
  int master = -1, slave = -1;
  if (req->tty) {
    /* The container's root owns its /dev: resolve ptmx inside the root,
     * no symlinks, and only accept the devpts multiplexer (5:2). */
    cleanup_close int root = open("/", O_PATH | O_CLOEXEC);
    cleanup_close int ptmx =
        root < 0
            ? -1
            : wb_inroot_open(root, "/dev/pts/ptmx", WB_INROOT_FILE, false, err);
    struct stat st;
    if (ptmx < 0 || fstat(ptmx, &st) < 0 || !S_ISCHR(st.st_mode) ||
        major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
      return wb_error_set(err, -ENOTTY,
                          "container %s has no usable /dev/pts/ptmx", c->name);
    cleanup_free char *ptmx_path = wb_fd_path(ptmx);
    r = wb_pty_open(ptmx_path, &master, &slave, err);
    if (r < 0)
      return r;
    r = wb_sync_send(sync, WB_SYNC_PTY, 0, NULL, master);
    close(master);
    if (r < 0)
      return wb_error_set(err, -r, "send pty");
  }
  /* exec -d keeps nothing of the caller's stdio, as Docker. */
  int null_fd = -1;
  if (req->detach && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
    return wb_error_set(err, errno, "open /dev/null");
  struct wb_exec_spec x = {
      .c = c,
      .argv = req->argv,
      .extra_env = req->env,
      .user = req->user,
      .workdir = req->workdir,
      .tty = req->tty,
      .interactive = req->interactive,
      .pty_slave = slave,
      .have_winsize = have_ws,
      .winsize = *ws,
      .stdin_fd = null_fd,
      .stdout_fd = null_fd,
      .stderr_fd = null_fd,
      .filter = filter,
      .stub_fd = stub,
      .sync_fd = sync,
  };
  return wb_exec_in_container(&x, err);
}

/* Forked helper: joins the namespaces, then clones the command's process
 * with CLONE_PARENT so that it is the runtime's own child, inside the
 * container's pid namespace. */
/* How the helper gets into the container's cgroup: born there, moved by
 * the runtime (enter), or moving itself (enter_self, set here). */
struct helper_cgroup {
  int fd; /* born there: the cgroup's directory, closed by the helper */
  int (*enter_self)(void *, const struct wb_cgroup *, wb_error *);
  const struct wb_driver *driver;
  const struct wb_cgroup *cg;
};

static _Noreturn void join_and_fork(int pidfd, const struct helper_cgroup *hc,
                                    const struct wb_container *c,
                                    const struct wb_exec_request *req,
                                    const struct wb_seccomp_filter *filter,
                                    int stub, int sync,
                                    const struct winsize *ws, bool have_ws)
{
  wb_error err = WB_ERROR_INIT;
  /* A host directory has no business inside the container. */
  if (hc->fd >= 0)
    close(hc->fd);
  int type, code, fd;
  char *msg = NULL;
  if (wb_sync_recv(sync, &type, &code, &msg, &fd) <= 0 || type != WB_SYNC_GO)
    _exit(WB_EXIT_FAILURE);
  free(msg);
  if (hc->enter_self && hc->enter_self(hc->driver->data, hc->cg, &err) < 0) {
    wb_sync_send(sync, WB_SYNC_ERROR, WB_EXIT_FAILURE, err.msg, -1);
    _exit(WB_EXIT_FAILURE);
  }
  /* Until it execs, the command's process runs the runtime's binary inside
   * the container's pid namespace: not dumpable, so no container process
   * can open its /proc/PID/exe (CVE-2019-5736).  execve makes it dumpable
   * again. */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    _exit(WB_EXIT_FAILURE);
  /* The user namespace first (setns orders it so): the others belong to
   * it. */
  int flags = JOIN_FLAGS | (wb_userns_enabled(&c->sec) ? CLONE_NEWUSER : 0);
  if (setns(pidfd, flags) < 0) {
    wb_error_set(&err, errno, "join the namespaces of container %s", c->name);
  } else {
    pid_t pid =
        (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
    if (pid == 0) {
      exec_child(c, req, filter, stub, sync, ws, have_ws, &err);
      wb_sync_send(sync, WB_SYNC_ERROR, wb_error_exit_code(&err),
                   err.msg ? err.msg : "exec failed", -1);
      _exit(WB_EXIT_FAILURE);
    }
    if (pid > 0)
      wb_sync_send(sync, WB_SYNC_PID, pid, NULL, -1);
    else
      wb_error_set(&err, errno, "clone");
  }
  if (err.msg)
    wb_sync_send(sync, WB_SYNC_ERROR, WB_EXIT_FAILURE, err.msg, -1);
  _exit(err.msg ? WB_EXIT_FAILURE : 0);
}

/* Collect the PID, an optional PTY and then EOF (exec'd), ERROR, or the
 * exec stub's report that the execve of `cmd` failed. */
static int await_child(int sync, const char *cmd, struct wb_process *p,
                       wb_error *err)
{
  for (;;) {
    int type = 0, code = 0, fd = -1;
    cleanup_free char *msg = NULL;
    int r = wb_sync_recv(sync, &type, &code, &msg, &fd);
    if (r == 0)
      return p->pid > 0 ? 0 : wb_error_set(err, -EIO, "exec helper died");
    if (r < 0)
      return wb_error_set(err, -r, "exec");
    if (type == WB_SYNC_PID)
      p->pid = code;
    else if (type == WB_SYNC_PTY && fd >= 0)
      p->pty_master = fd, fd = -1;
    else if (type == WB_SYNC_ERROR)
      return wb_error_set_exit(err, code ? code : WB_EXIT_FAILURE, -EIO, "%s",
                               msg ? msg : "exec failed");
    else if (type == WB_SYNC_EXEC_FAILED)
      return wb_exec_error(err, cmd, code);
    if (fd >= 0)
      close(fd);
  }
}

int wb_container_exec(struct wb_context *ctx, struct wb_container *c,
                      const struct wb_exec_request *req, wb_error *err)
{
  if (wb_userns_check_state(&c->sec, c->name, err) < 0)
    return -EINVAL;
  struct wb_driver *cgroup;
  int r = wb_container_cgroup(ctx, c, &cgroup, err);
  if (r < 0)
    return r;
  cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
  if (pidfd < 0 || !wb_proc_alive(c->pid, c->start_time))
    return wb_error_set(err, -ESRCH, "container %s is not running", c->name);
  /* Compiled here, before the fork: from the cache, usually. */
  struct wb_seccomp_filter filter
      __attribute__((cleanup(wb_seccomp_filter_clear))) = {0};
  r = wb_seccomp_prepare_cached(ctx->root, &c->sec, &filter, err);
  if (r < 0)
    return r;
  cleanup_close int stub = wb_exec_stub_open(err);
  if (stub < 0)
    return stub;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return wb_error_set(err, errno, "socketpair");
  struct winsize ws = {0};
  bool have_ws = req->tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0;
  /* The helper is born in the container's cgroup when the driver and the
   * kernel allow it (the command's process, its child, then is too);
   * otherwise it joins before it forks.  Either way the command never runs
   * outside the cgroup. */
  struct wb_cgroup cgid = {sizeof cgid, c->cgroup_parent, c->id};
  cleanup_close int cgroup_fd = wb_cgroup_dirfd(cgroup, &cgid);
  bool in_cgroup = false;
  sigset_t old;
  wb_foreground_block_signals(&old);
  fflush(stdout);
  fflush(stderr);
  pid_t helper = -1;
  if (cgroup_fd >= 0)
    helper = wb_clone3(0, NULL, cgroup_fd, &in_cgroup);
  if (cgroup_fd < 0 || (helper < 0 && errno == ENOSYS))
    helper = fork();
  if (helper < 0) {
    r = wb_error_set(err, errno, "fork");
    close(sv[0]);
    close(sv[1]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
  }
  /* Not born there: the helper moves itself when the driver can (cheaper
   * on cgroup v1, see enter_self), before it joins any namespace. */
  struct helper_cgroup hc = {
      .fd = cgroup_fd,
      .enter_self =
          in_cgroup ? NULL
                    : WB_DRIVER_OP(cgroup, struct wb_cgroup_ops, enter_self),
      .driver = cgroup,
      .cg = &cgid,
  };
  if (helper == 0) {
    close(sv[0]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    join_and_fork(pidfd, &hc, c, req, &filter, stub, sv[1], &ws, have_ws);
  }
  close(sv[1]);
  cleanup_close int sync = sv[0];
  const struct wb_cgroup_ops *ops = cgroup->ops;
  struct wb_process p = {
      .pid = 0, .pidfd = -1, .pty_master = -1, .pty_stdin = req->interactive};
  r = in_cgroup || hc.enter_self ? 0
                                 : ops->enter(cgroup->data, &cgid, helper, err);
  if (r == 0 && (r = wb_sync_send(sync, WB_SYNC_GO, 0, NULL, -1)) < 0)
    r = wb_error_set(err, -r, "exec");
  if (r == 0)
    r = await_child(sync, req->argv[0], &p, err);
  int hst;
  if (r < 0)
    kill(helper, SIGKILL);
  while (waitpid(helper, &hst, 0) < 0 && errno == EINTR)
    ;
  if (r < 0 || req->detach) {
    if (r < 0 && p.pid > 0)
      waitpid(p.pid, NULL, 0);
    if (p.pty_master >= 0)
      close(p.pty_master);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r < 0 ? r : 0;
  }
  int status = 0;
  r = wb_foreground_wait(&p, &old, &status, err);
  if (p.pty_master >= 0)
    close(p.pty_master);
  return r < 0 ? r : wb_wait_status_code(status);
}
