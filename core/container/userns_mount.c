/* userns_mount.c - the runtime's part of starting a container in its own
 * user namespace: write the id maps, then mount the root file system into
 * the container's mount namespace with the host's privileges (idmapped
 * layers and overlayfs' trusted xattrs need them), before the container's
 * process goes on. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "spawn.h"
#include "sync.h"

static int open_ns(pid_t pid, const char *ns, wb_error *err)
{
  cleanup_free char *path = xasprintf("/proc/%d/ns/%s", (int)pid, ns);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  return fd;
}

/* In a forked helper: join the container's mount namespace and let the
 * storage driver mount there. */
static _Noreturn void mount_helper(const struct wb_spawn *s, int mnt_ns,
                                   int user_ns, int sock)
{
  wb_error err = WB_ERROR_INIT;
  int r = 0;
  if (setns(mnt_ns, CLONE_NEWNS) < 0)
    r = wb_error_set(&err, errno, "join the container's mount namespace");
  /* Nothing mounted here may propagate back to the host. */
  else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    r = wb_error_set(&err, errno, "make / private");
  if (r == 0) {
    struct wb_rootfs fs = s->rootfs;
    fs.userns_fd = user_ns;
    const struct wb_storage_ops *ops = s->storage->ops;
    r = ops->mount(s->storage->data, &fs, &err);
  }
  if (r < 0)
    wb_sync_send(sock, WB_SYNC_ERROR, WB_EXIT_FAILURE,
                 err.msg ? err.msg : "mount the root file system", -1);
  _exit(r < 0 ? WB_EXIT_FAILURE : 0);
}

int wb_userns_prepare(const struct wb_spawn *s, pid_t child, wb_error *err)
{
  int r = wb_userns_write_maps(child, &s->c->sec, err);
  if (r < 0)
    return r;
  cleanup_close int mnt_ns = open_ns(child, "mnt", err);
  if (mnt_ns < 0)
    return mnt_ns;
  cleanup_close int user_ns = open_ns(child, "user", err);
  if (user_ns < 0)
    return user_ns;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return wb_error_set(err, errno, "socketpair");
  pid_t helper = fork();
  if (helper < 0) {
    r = wb_error_set(err, errno, "fork");
    close(sv[0]);
    close(sv[1]);
    return r;
  }
  if (helper == 0) {
    close(sv[0]);
    mount_helper(s, mnt_ns, user_ns, sv[1]);
  }
  close(sv[1]);
  cleanup_close int sock = sv[0];
  int status;
  while (waitpid(helper, &status, 0) < 0)
    if (errno != EINTR)
      return wb_error_set(err, errno, "wait for the mount helper");
  int type, code, fd;
  cleanup_free char *msg = NULL;
  r = wb_sync_recv(sock, &type, &code, &msg, &fd);
  if (fd >= 0)
    close(fd);
  if (r > 0 && type == WB_SYNC_ERROR)
    return wb_error_set(err, -EIO, "%s", msg ? msg : "mount failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return wb_error_set(
        err, -EIO, "mounting the root file system failed (status %d)", status);
  return 0;
}
