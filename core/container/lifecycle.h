/* lifecycle.h - create, start, record the end of, and delete a container.
 * Every resource (name, directory, storage, cgroup) has exactly one place
 * that removes it: wb_container_delete(), which works on a container left
 * half-made by a crash. */
#ifndef WB_LIFECYCLE_H
#define WB_LIFECYCLE_H

#include <string.h>

#include "../context.h"
#include "container.h"

/* A started container's first process as seen by the runtime. */
struct wb_process {
  pid_t pid;
  int pidfd;      /* -1 when the kernel has no CLONE_PIDFD */
  int pty_master; /* -1 without -t */
  bool pty_stdin; /* -i with -t: our stdin goes to the pty */
  /* stdio for the child when not a tty; -1 keeps the runtime's own. */
  int stdin_fd, stdout_fd, stderr_fd;
  /* Optional: called once the process is ready for GO, before its state
   * says "running"; a failure fails the start (a detached start waits
   * here for whalebox-monitor to open the log, overlapping the process's
   * own preparation). */
  int (*before_go)(void *arg, wb_error *err);
  void *before_go_arg;
};

/* Give c an id, a name and a directory, and prepare its root filesystem.
 * c->layers, argv, env... must be set.  On failure nothing is left.  On
 * success c is left locked by this process (lock.h), so that nothing acts
 * on it before it is started: wb_container_start releases it (a forked
 * monitor holds it till it execs), and wb_container_unlock_all when it is
 * not started. */
int wb_container_create(struct wb_context *ctx, struct wb_container *c,
                        wb_error *err);
/* Cgroup with limits, then the first process, in the cgroup before it
 * runs a single instruction of the user's command.  Returns once the
 * command is exec'd (or with its failure and the 125/126/127 exit code).
 * On failure the cgroup is removed and the process reaped.  Under c's
 * lock, taken if this process does not hold it; returns with this
 * process holding it no more (the container runs unlocked). */
int wb_container_start(struct wb_context *ctx, struct wb_container *c,
                       struct wb_process *p, wb_error *err);
/* The first process ended with wait status `status`: record exit code,
 * OOM and finish time, remove the cgroup.  Under c's lock (-ENOENT when
 * the container was removed meanwhile). */
int wb_container_exited(struct wb_context *ctx, struct wb_container *c,
                        int status, wb_error *err);
/* Remove everything the container has.  Idempotent; under c's lock. */
int wb_container_delete(struct wb_context *ctx, struct wb_container *c,
                        wb_error *err);
/* Delete and take its anonymous volumes along: --rm, and a new container
 * that failed to start. */
int wb_container_discard(struct wb_context *ctx, struct wb_container *c,
                         wb_error *err);
/* What the storage driver is told about c's root file system; *dir and
 * *target are allocated for the caller to free. */
struct wb_rootfs wb_container_rootfs(const char *root,
                                     const struct wb_container *c, char **dir,
                                     char **target);
/* The cgroup driver a container uses (recorded at create). */
int wb_container_cgroup(struct wb_context *ctx, const struct wb_container *c,
                        struct wb_driver **out, wb_error *err);
/* An O_PATH fd of the cgroup `cg` for clone3(CLONE_INTO_CGROUP), through
 * the driver's open() (ABI 1.1), or -1 when the driver has none or it
 * fails (logged): the process then joins through enter(). */
int wb_cgroup_dirfd(const struct wb_driver *cgroup, const struct wb_cgroup *cg);

/* Bring c->status up to date with reality, in memory only.  A "running"
 * container stays running while its process lives, even without its
 * monitor (an orphan), and while its monitor records its end; it is
 * "exited" with an unknown exit code (-1) once both are gone (crash,
 * kill -9, pid reused).  A pause whose commit is gone is void. */
void wb_container_refresh(struct wb_container *c);
/* The state says running, but the process and its monitor (or foreground
 * run) are gone: nobody will ever record its end. */
bool wb_container_end_unrecorded(const struct wb_container *c);
/* Under c's lock, with its state fresh: when its end is unrecorded, record
 * it now (with the exit code its monitor kept in the runroot when it
 * could not write it, else unknown), remove its cgroup, and remove the
 * container if it was started with --rm (then 1).  0 when there was
 * nothing to do or it is recorded; < 0 when it cannot be (the caller says
 * so). */
int wb_container_reconcile(struct wb_context *ctx, struct wb_container *c,
                           wb_error *err);
static inline bool wb_container_running(const struct wb_container *c)
{
  return c->status && strcmp(c->status, "running") == 0;
}

/* Exit code from a wait status: the code, or 128 + signal. */
int wb_wait_status_code(int status);

#endif
