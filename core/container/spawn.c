/* spawn.c - clone the container's first process into new namespaces and
 * run its setup.  The child is a fork of the runtime (no re-exec of the
 * runtime's binary) that ends by exec'ing the user's command through the
 * exec stub, a sealed copy in a memfd, so that the command's exec never
 * happens in a process backed by the host's binary (the runc
 * CVE-2019-5736 class; core/exec_stub/exec_stub.c). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../plugin_loader.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "spawn.h"
#include "sync.h"

#define NS_FLAGS                                                               \
  (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)

static pid_t clone3_args(struct clone_args *args)
{
  return (pid_t)syscall(SYS_clone3, args, sizeof *args);
}

pid_t wb_clone3(unsigned long long flags, int *pidfd, int cgroup_fd,
                bool *in_cgroup)
{
  struct clone_args args = {
      .flags = flags | (pidfd ? CLONE_PIDFD : 0),
      .pidfd = (unsigned long long)(uintptr_t)pidfd,
      .exit_signal = SIGCHLD,
  };
  *in_cgroup = false;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (unsigned long long)cgroup_fd;
    pid_t pid = clone3_args(&args);
    if (pid >= 0) {
      *in_cgroup = true;
      return pid;
    }
    /* 5.3-5.6 refuse the larger struct (E2BIG) or the flag (EINVAL); any
     * other error would be the same without it. */
    if (errno != E2BIG && errno != EINVAL)
      return -1;
    args.flags &= ~(unsigned long long)CLONE_INTO_CGROUP;
    args.cgroup = 0;
  }
  pid_t pid = clone3_args(&args);
  if (pid < 0 && errno == E2BIG)
    errno = ENOSYS;
  return pid;
}

/* Fork-like: returns 0 in the child.  With CLONE_NEWUSER every other new
 * namespace belongs to the new user namespace. */
static pid_t clone_child(int *pidfd, bool userns, int cgroup_fd,
                         bool *in_cgroup)
{
  unsigned long long flags = NS_FLAGS | (userns ? CLONE_NEWUSER : 0);
  pid_t pid = wb_clone3(flags, pidfd, cgroup_fd, in_cgroup);
  if (pid < 0 && errno == ENOSYS) {
    *pidfd = -1;
    pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
  }
  return pid;
}

static int loopback_up(wb_error *err)
{
  cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return wb_error_set(err, errno, "socket");
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
    return wb_error_set(err, errno, "get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
    return wb_error_set(err, errno, "bring lo up");
  return 0;
}

static int wait_for(int sync, int want, wb_error *err)
{
  int type, code, passed;
  cleanup_free char *msg = NULL;
  int r = wb_sync_recv(sync, &type, &code, &msg, &passed);
  if (passed >= 0)
    close(passed);
  if (r <= 0 || type != want)
    return wb_error_set(err, -EPIPE, "runtime went away before start");
  return 0;
}

static int wait_go(int sync, wb_error *err)
{
  return wait_for(sync, WB_SYNC_GO, err);
}

int wb_spawn_join_cgroup(const struct wb_spawn *s, wb_error *err)
{
  int r = wait_for(s->child_sync, WB_SYNC_CGROUP, err);
  if (r < 0)
    return r;
  int (*enter_self)(void *, const struct wb_cgroup *, wb_error *) =
      WB_DRIVER_OP(s->cgroup, struct wb_cgroup_ops, enter_self);
  return enter_self(s->cgroup->data, s->cgid, err);
}

/* The container's world: session, host name, loopback, root file system,
 * working directory, console. */
static int prepare(const struct wb_spawn *s, int sync, int *slave,
                   wb_error *err)
{
  const struct wb_container *c = s->c;
  if (setsid() < 0)
    return wb_error_set(err, errno, "setsid");
  if (sethostname(c->hostname, strlen(c->hostname)) < 0)
    return wb_error_set(err, errno, "sethostname");
  int r = loopback_up(err);
  if (r < 0)
    return r;
  int master = -1;
  r = wb_rootfs_setup(s, &master, slave, err);
  if (r < 0)
    return r;
  /* As Docker, a missing working directory is created (by root, before
   * the user switch); after pivot_root the path resolves inside the root. */
  if (c->workdir && *c->workdir && (r = mkdir_p(c->workdir, 0755, err)) < 0)
    return wb_error_prefix(err, "working directory %s", c->workdir);
  if (master >= 0) {
    r = wb_sync_send(sync, WB_SYNC_PTY, 0, NULL, master);
    close(master);
    if (r < 0)
      return wb_error_set(err, -r, "send pty");
  }
  return 0;
}

/* Everything until exec.  Returns only on failure.  Without a user
 * namespace the container's world is prepared while the runtime makes the
 * cgroup (unless the process was born in it) and saves its state.  The
 * process is in its cgroup before GO: born there, moved by the runtime,
 * or moving itself (enter_self, cheaper than the runtime's move on cgroup
 * v1) when the runtime says the cgroup exists, just before pivot_root
 * hides the host's /sys/fs/cgroup (wb_spawn_join_cgroup).
 * With one, GO also means the maps are written and the root file system is
 * mounted, so everything waits for it. */
static int child_setup(const struct wb_spawn *s, int sync, wb_error *err)
{
  const struct wb_container *c = s->c;
  /* A host directory has no business inside the container. */
  if (s->cgroup_fd >= 0)
    close(s->cgroup_fd);
  bool early = !wb_userns_enabled(&c->sec);
  int slave = -1;
  int r = early ? 0 : wait_go(sync, err);
  if (r == 0)
    r = prepare(s, sync, &slave, err);
  if (r == 0 && early)
    r = wait_go(sync, err);
  if (r < 0)
    return r;
  /* Now that we are in our cgroup, make it our cgroup namespace root. */
  if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL)
    return wb_error_set(err, errno, "unshare cgroup namespace");
  struct wb_exec_spec x = {
      .c = c,
      .argv = c->argv,
      .tty = c->tty,
      .interactive = c->interactive,
      .pty_slave = slave,
      .have_winsize = s->have_winsize,
      .winsize = s->winsize,
      .stdin_fd = s->stdin_fd,
      .stdout_fd = s->stdout_fd,
      .stderr_fd = s->stderr_fd,
      .filter = s->filter,
      .stub_fd = s->stub_fd,
      .sync_fd = sync,
  };
  return wb_exec_in_container(&x, err);
}

int wb_spawn(struct wb_spawn *s, pid_t *pid, int *pidfd, int *sync,
             wb_error *err)
{
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return wb_error_set(err, errno, "socketpair");
  fflush(stdout);
  fflush(stderr);
  *pidfd = -1;
  s->child_sync = sv[1];
  bool userns = wb_userns_enabled(&s->c->sec);
  pid_t child = clone_child(pidfd, userns, s->cgroup_fd, &s->in_cgroup);
  /* Decided alike in both processes. */
  s->enters_self = child >= 0 && !userns && !s->in_cgroup && s->cgroup &&
                   WB_DRIVER_OP(s->cgroup, struct wb_cgroup_ops, enter_self);
  if (child < 0) {
    int e = errno;
    close(sv[0]);
    close(sv[1]);
    return wb_error_set(err, e, "clone container process%s",
                        userns ? " in a new user namespace" : "");
  }
  if (child == 0) {
    close(sv[0]);
    wb_error cerr = WB_ERROR_INIT;
    child_setup(s, sv[1], &cerr);
    wb_sync_send(sv[1], WB_SYNC_ERROR, wb_error_exit_code(&cerr),
                 cerr.msg ? cerr.msg : "container setup failed", -1);
    _exit(WB_EXIT_FAILURE);
  }
  close(sv[1]);
  if (userns) {
    int r = wb_userns_prepare(s, child, err);
    if (r < 0) {
      kill(child, SIGKILL);
      while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
      close(sv[0]);
      if (*pidfd >= 0)
        close(*pidfd);
      *pidfd = -1;
      return r;
    }
  }
  *pid = child;
  *sync = sv[0];
  return 0;
}
