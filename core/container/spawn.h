/* spawn.h - creating a container's first process: clone into new
 * namespaces, wait for the runtime's GO, set up the root filesystem and
 * exec the user's command (no re-exec of the runtime binary). */
#ifndef WB_SPAWN_H
#define WB_SPAWN_H

#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <whalebox/plugin.h>

#include "../plugin_loader.h"
#include "container.h"

struct wb_spawn {
  const struct wb_container *c;
  struct wb_driver *storage;
  struct wb_rootfs rootfs; /* target = <root>/mnt */
  bool have_winsize;
  struct winsize winsize;
  /* stdio for the child when not a tty: -1 keeps ours. */
  int stdin_fd, stdout_fd, stderr_fd;
  /* Compiled by the runtime (the child is a copy of it). */
  const struct wb_seccomp_filter *filter;
  /* The container's cgroup directory (wb_cgroup_dirfd), or -1.  Borrowed;
   * the child closes its copy first thing. */
  int cgroup_fd;
  /* Set by wb_spawn: the child was born in that cgroup (no enter()). */
  bool in_cgroup;
  /* The cgroup driver and the container's cgroup: when the driver has
   * enter_self (ABI 1.2) and the child was not born in its cgroup, the
   * child moves itself there once the runtime says it exists (no user
   * namespace only). */
  const struct wb_driver *cgroup;
  const struct wb_cgroup *cgid;
  /* Set by wb_spawn: the child enters its cgroup itself (no enter()):
   * the runtime sends WB_SYNC_CGROUP once it has made the cgroup. */
  bool enters_self;
  /* Set by wb_spawn: the child's end of the channel. */
  int child_sync;
  /* The sealed exec stub (wb_exec_stub_open), inherited by the child. */
  int stub_fd;
};

/* In the child, with enters_self, before pivot_root: wait for the
 * runtime's WB_SYNC_CGROUP, then move into the cgroup. */
int wb_spawn_join_cgroup(const struct wb_spawn *s, wb_error *err);

/* clone3() like fork(), with `flags` (namespaces; CLONE_PIDFD is added
 * when pidfd is not NULL) and, when cgroup_fd >= 0, CLONE_INTO_CGROUP so
 * that the child starts in that cgroup; *in_cgroup says whether it did.  A
 * kernel that knows clone3 but not that flag (5.3-5.6: E2BIG or EINVAL) gets
 * a second clone3 without it.  Returns the child's pid, 0 in the child, or
 * -1 with errno; ENOSYS means no usable clone3 at all (use clone(2) or
 * fork()). */
pid_t wb_clone3(unsigned long long flags, int *pidfd, int cgroup_fd,
                bool *in_cgroup);

/* Clone the child.  On success *pid, *pidfd and *sync (the runtime's end
 * of the channel) are set; the child waits for WB_SYNC_GO. */
int wb_spawn(struct wb_spawn *s, pid_t *pid, int *pidfd, int *sync,
             wb_error *err);

/* In the runtime, for a container with a user namespace, while its new
 * process waits for GO: write its id maps and mount its root file system
 * into its mount namespace (userns_mount.c). */
int wb_userns_prepare(const struct wb_spawn *s, pid_t child, wb_error *err);

/* In the child: mount the root filesystem and everything the container
 * sees, then pivot into it (rootfs.c).  *pty_master is set with -t. */
int wb_rootfs_setup(const struct wb_spawn *s, int *pty_master, int *pty_slave,
                    wb_error *err);

/* In the child, after pivot_root: resolve USER[:GROUP] through the image's
 * /etc/passwd and /etc/group (never the host's NSS) and switch to it. */
int wb_user_switch(const char *spec, char **home, wb_error *err);

/* What to exec in a set-up container: shared by run's first process and
 * exec'd processes. */
struct wb_exec_spec {
  const struct wb_container *c;
  char *const *argv;
  char *const *extra_env; /* exec -e, after the container's */
  const char *user;       /* NULL: c->user */
  const char *workdir;    /* NULL: c->workdir */
  bool tty, interactive;
  int pty_slave; /* -1 unless tty */
  bool have_winsize;
  struct winsize winsize;
  int stdin_fd, stdout_fd, stderr_fd; /* -1 keeps ours */
  /* Compiled ahead (wb_seccomp_prepare), or NULL to compile here. */
  const struct wb_seccomp_filter *filter;
  /* The exec goes through the stub in stub_fd (wb_exec_stub_open), which
   * reports a failed execve on sync_fd, the runtime's channel. */
  int stub_fd, sync_fd;
};

/* Switch user, build the environment, change directory, set up stdio and
 * exec through the stub.  Returns only on failure (with 125/126/127 in
 * err); a failure of the command's own execve is reported by the stub
 * (WB_SYNC_EXEC_FAILED). */
int wb_exec_in_container(const struct wb_exec_spec *x, wb_error *err);

/* Find cmd in $PATH of env (no PATH: the default) like execvp.  126/127
 * exit codes are set on err. */
int wb_exec_lookup(const char *cmd, char *const *env, char **path,
                   wb_error *err);

/* strerror(e) with a lower-case first letter, as Docker prints it. */
const char *wb_errno_text(int e, char *buf, size_t len);

#endif
