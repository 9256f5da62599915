#include "lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/timefmt.h"
#include "../util/xalloc.h"
#include "../volume/volume.h"
#include "etcfiles.h"
#include "exec_stub.h"
#include "lock.h"
#include "spawn.h"
#include "sync.h"

int wb_wait_status_code(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WB_EXIT_FAILURE;
}

struct wb_rootfs wb_container_rootfs(const char *root,
                                     const struct wb_container *c, char **dir,
                                     char **target)
{
  *dir = c->transient ? wb_container_rw_dir(root, c->id)
                      : path_join(c->dir, "storage");
  *target = wb_container_mount_point(root);
  return (struct wb_rootfs){
      .size = sizeof(struct wb_rootfs),
      .id = c->id,
      .dir = *dir,
      .layers = (const char *const *)c->layers,
      /* A read-only root with volumes (or tmpfs mounts) is made writable
       * by the driver and read-only by the core once the mount points
       * exist (as runc does); without them the driver gives a read-only
       * root directly. */
      .read_only = c->read_only && c->n_binds == 0 && c->n_tmpfs == 0,
      .target = *target,
      .uid_map = c->sec.uid_map,
      .uid_map_len = (uint32_t)c->sec.n_uid_map,
      .gid_map = c->sec.gid_map,
      .gid_map_len = (uint32_t)c->sec.n_gid_map,
      .userns_fd = -1,
  };
}

static struct wb_cgroup cgroup_of(const struct wb_container *c)
{
  return (struct wb_cgroup){
      .size = sizeof(struct wb_cgroup),
      .parent = c->cgroup_parent,
      .id = c->id,
  };
}

int wb_container_cgroup(struct wb_context *ctx, const struct wb_container *c,
                        struct wb_driver **out, wb_error *err)
{
  return wb_context_driver_named(ctx, WB_PLUGIN_CGROUP, c->cgroup_driver, out,
                                 err);
}

int wb_cgroup_dirfd(const struct wb_driver *cgroup, const struct wb_cgroup *cg)
{
  int (*open_op)(void *, const struct wb_cgroup *, int *, wb_error *) =
      WB_DRIVER_OP(cgroup, struct wb_cgroup_ops, open);
  if (!open_op)
    return -1;
  cleanup_error wb_error err = WB_ERROR_INIT;
  int fd = -1;
  if (open_op(cgroup->data, cg, &fd, &err) < 0) {
    wb_log(WB_LOG_DEBUG, "%s; joining the cgroup after clone instead",
           err.msg ? err.msg : "cannot open the cgroup");
    return -1;
  }
  return fd;
}

static int claim_some_name(struct wb_context *ctx, struct wb_container *c,
                           wb_error *err)
{
  if (c->name)
    return wb_container_claim_name(ctx->root, c->name, c->id, err);
  for (int attempt = 0;; attempt++) {
    c->name = wb_container_random_name();
    int r = wb_container_claim_name(ctx->root, c->name, c->id, err);
    if (r != -EEXIST)
      return r;
    free(c->name);
    c->name = NULL;
    if (attempt == 8) {
      /* Unlikely: fall back to a name derived from the id. */
      c->name = xasprintf("wb_%.12s", c->id);
      return wb_container_claim_name(ctx->root, c->name, c->id, err);
    }
  }
}

/* c's state directory, locked by this process, with its sidecar.  Made
 * before the name is claimed, so that a name always points to a
 * directory: a create killed at any instant leaves either nothing, or a
 * directory that `ps -a` lists and `rm -f` removes. */
static int make_state_dir(struct wb_container *c, const char *cdir,
                          wb_error *err)
{
  c->dir = path_join(cdir, c->id);
  int r = 0;
  if (mkdir(c->dir, 0700) < 0)
    r = wb_error_set(err, errno, "mkdir %s", c->dir);
  else if ((r = wb_container_lock(c, err)) == 0)
    r = wb_sidecar_write(c, err);
  if (r < 0) {
    if (r != -EEXIST)
      rm_rf(c->dir, NULL);
    wb_container_unlock_all(c);
    free(c->dir);
    c->dir = NULL;
  }
  return r;
}

int wb_container_create(struct wb_context *ctx, struct wb_container *c,
                        wb_error *err)
{
  struct wb_driver *storage, *cgroup;
  int r = wb_context_driver(ctx, WB_PLUGIN_STORAGE, &storage, err);
  if (r < 0)
    return r;
  r = wb_context_driver(ctx, WB_PLUGIN_CGROUP, &cgroup, err);
  if (r < 0)
    return r;
  wb_log_phase("create: drivers loaded");
  if (wb_userns_enabled(&c->sec) &&
      !(wb_driver_features(storage) & WB_FEATURE_USERNS))
    return wb_error_set(err, -ENOTSUP,
                        "storage driver %s does not support user namespaces "
                        "(--userns, --uidmap)",
                        storage->label);
  c->id = wb_container_new_id();
  if (!c->hostname)
    c->hostname = xstrndup(c->id, 12);
  c->storage_driver = xstrdup(wb_driver_ref(ctx, storage));
  c->cgroup_driver = xstrdup(wb_driver_ref(ctx, cgroup));
  if (!c->cgroup_parent)
    c->cgroup_parent = xstrdup(ctx->config.cgroup_parent);
  c->created = wb_now_rfc3339();
  free(c->status);
  c->status = xstrdup("created");

  c->transient = c->auto_remove && !c->detach;
  r = wb_runroot_ensure(ctx->root, true, err);
  if (r < 0)
    return r;
  cleanup_free char *cdir = wb_containers_dir_for(ctx->root, c->transient);
  r = mkdir_p(cdir, 0700, err);
  if (r < 0)
    return r;
  r = make_state_dir(c, cdir, err);
  if (r < 0)
    return r;
  r = claim_some_name(ctx, c, err);
  /* From here on every failure goes through wb_container_delete(), which
   * releases the name only if it is this container's. */
  if (r == 0)
    r = wb_container_save(c, false, err);
  /* A --rm container is never started twice: its first process makes
   * these files in memory (wb_etc_files_in_memory), unless it has a user
   * namespace (its root file system is mounted before it runs). */
  if (r == 0 && !wb_etc_files_in_memory_for(c))
    r = wb_etc_files_write(c, c->dir, err);
  cleanup_free char *sdir = NULL, *target = NULL;
  struct wb_rootfs fs = wb_container_rootfs(ctx->root, c, &sdir, &target);
  if (r == 0 && mkdir(sdir, 0700) < 0)
    r = wb_error_set(err, errno, "mkdir %s", sdir);
  wb_log_phase("create: state written");
  if (r == 0) {
    const struct wb_storage_ops *ops = storage->ops;
    r = ops->create(storage->data, &fs, err);
  }
  wb_log_phase("create: storage ready");
  if (r < 0) {
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    wb_container_delete(ctx, c, &ignored);
    wb_container_unlock_all(c);
  }
  return r;
}

/* Wait for the child to exec: EOF on the channel.  A PTY message may come
 * first; the exec stub reports a failed execve of `cmd`. */
static int await_exec(int sync, const char *cmd, struct wb_process *p,
                      wb_error *err)
{
  for (;;) {
    int type, code, fd;
    cleanup_free char *msg = NULL;
    int r = wb_sync_recv(sync, &type, &code, &msg, &fd);
    if (r == 0)
      return 0;
    if (r < 0)
      return wb_error_set(err, -r, "read from container process");
    if (type == WB_SYNC_PTY && fd >= 0) {
      if (p->pty_master >= 0)
        close(p->pty_master);
      p->pty_master = fd;
      continue;
    }
    if (fd >= 0)
      close(fd);
    if (type == WB_SYNC_ERROR)
      return wb_error_set_exit(err, code ? code : WB_EXIT_FAILURE, -EIO, "%s",
                               msg ? msg : "container setup failed");
    if (type == WB_SYNC_EXEC_FAILED)
      return wb_exec_error(err, cmd, code);
    return wb_error_set(err, -EPROTO, "unexpected message %d from container",
                        type);
  }
}

/* After a failed start: the child may have reported why before it died
 * (it prepares its world before GO, so its error can come before ours). */
static void prefer_child_error(int sync, const char *cmd, wb_error *err)
{
  for (;;) {
    int type, code, fd;
    cleanup_free char *msg = NULL;
    if (wb_sync_recv(sync, &type, &code, &msg, &fd) <= 0)
      return;
    if (fd >= 0)
      close(fd);
    if (type == WB_SYNC_ERROR && msg) {
      wb_error_clear(err);
      wb_error_set_exit(err, code ? code : WB_EXIT_FAILURE, -EIO, "%s", msg);
      return;
    }
    if (type == WB_SYNC_EXEC_FAILED) {
      wb_error_clear(err);
      wb_exec_error(err, cmd, code);
      return;
    }
  }
}

static void reap(struct wb_process *p)
{
  if (p->pid <= 0)
    return;
  kill(p->pid, SIGKILL);
  while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  p->pid = 0;
}

/* Create the container's cgroup and write its limits; nothing is left on
 * failure. */
static int make_cgroup(const struct wb_driver *cgroup,
                       const struct wb_cgroup *cgid,
                       const struct wb_container *c, wb_error *err)
{
  const struct wb_cgroup_ops *cg = cgroup->ops;
  int r = cg->create(cgroup->data, cgid, err);
  if (r == -EEXIST) {
    /* Left by a start or a monitor that was killed: the container is not
     * running (we hold its lock), so nothing in it is of this start. */
    wb_error_clear(err);
    r = cg->destroy(cgroup->data, cgid, err);
    if (r == 0)
      r = cg->create(cgroup->data, cgid, err);
  }
  if (r < 0)
    return r;
  r = cg->apply(cgroup->data, cgid, &c->limits, err);
  wb_log_phase("start: cgroup ready");
  if (r < 0) {
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    cg->destroy(cgroup->data, cgid, &ignored);
  }
  return r;
}

static int start_locked(struct wb_context *ctx, struct wb_container *c,
                        struct wb_process *p, wb_error *err)
{
  if (wb_userns_check_state(&c->sec, c->name, err) < 0)
    return -EINVAL;
  struct wb_driver *storage, *cgroup;
  int r = wb_context_driver_named(ctx, WB_PLUGIN_STORAGE, c->storage_driver,
                                  &storage, err);
  if (r < 0)
    return r;
  r = wb_container_cgroup(ctx, c, &cgroup, err);
  if (r < 0)
    return r;
  cleanup_free char *sdir = NULL, *target = NULL;
  struct wb_rootfs rootfs = wb_container_rootfs(ctx->root, c, &sdir, &target);
  /* Made once per state root (EEXIST is the common case), here rather
   * than in create so containers created by older versions start too. */
  if (mkdir(target, 0755) < 0 && errno != EEXIST)
    return wb_error_set(err, errno, "mkdir %s", target);
  struct wb_seccomp_filter filter
      __attribute__((cleanup(wb_seccomp_filter_clear))) = {0};
  r = wb_seccomp_prepare_cached(ctx->root, &c->sec, &filter, err);
  if (r < 0)
    return r;
  cleanup_close int stub = wb_exec_stub_open(err);
  if (stub < 0)
    return stub;
  const struct wb_cgroup_ops *cg = cgroup->ops;
  struct wb_cgroup cgid = cgroup_of(c);
  /* A process can be born in its cgroup only if the cgroup exists before
   * the clone (a driver with open(), cgroup v2).  Otherwise the cgroup is
   * made while the new process prepares its mounts: the mkdirs and limits
   * (0.5-2 ms on cgroup v1) overlap them, and the process joins it after
   * GO, before anything of the user's runs. */
  bool made = false;
  if (WB_DRIVER_OP(cgroup, struct wb_cgroup_ops, open)) {
    r = make_cgroup(cgroup, &cgid, c, err);
    if (r < 0)
      return r;
    made = true;
  }

  struct wb_spawn s = {
      .c = c,
      .cgroup_fd = -1,
      .storage = storage,
      .rootfs = rootfs,
      .stdin_fd = p->stdin_fd,
      .stdout_fd = p->stdout_fd,
      .stderr_fd = p->stderr_fd,
      .filter = &filter,
      .cgroup = cgroup,
      .cgid = &cgid,
      .stub_fd = stub,
  };
  if (c->tty && ioctl(STDIN_FILENO, TIOCGWINSZ, &s.winsize) == 0)
    s.have_winsize = true;
  p->pty_master = -1;
  cleanup_close int sync = -1;
  /* Born in its cgroup where the driver and kernel allow it: the process
   * never runs (or allocates) outside it, and there is no migration. */
  cleanup_close int cgroup_fd = made ? wb_cgroup_dirfd(cgroup, &cgid) : -1;
  s.cgroup_fd = cgroup_fd;
  r = wb_spawn(&s, &p->pid, &p->pidfd, &sync, err);
  wb_log_phase(s.in_cgroup ? "start: cloned into cgroup" : "start: cloned");
  if (r == 0 && !made) {
    r = make_cgroup(cgroup, &cgid, c, err);
    made = r == 0;
  }
  if (r == 0 && s.enters_self &&
      (r = wb_sync_send(sync, WB_SYNC_CGROUP, 0, NULL, -1)) < 0)
    r = wb_error_set(err, -r, "start container process");
  if (r == 0 && !s.in_cgroup && !s.enters_self) {
    r = cg->enter(cgroup->data, &cgid, p->pid, err);
    wb_log_phase("start: entered cgroup");
  }
  if (r == 0 && p->before_go)
    r = p->before_go(p->before_go_arg, err);
  if (r == 0) {
    c->pid = p->pid;
    c->start_time = wb_proc_start_time(p->pid);
    free(c->status);
    c->status = xstrdup("running");
    free(c->started_at);
    c->started_at = wb_now_rfc3339();
    c->exit_code = -1;
    c->oom_killed = false;
    c->paused = false;
    free(c->finished_at);
    c->finished_at = NULL;
    r = wb_container_save(c, c->detach, err);
  }
  if (r == 0) {
    r = wb_sync_send(sync, WB_SYNC_GO, 0, NULL, -1);
    if (r < 0)
      r = wb_error_set(err, -r, "start container process");
  }
  wb_log_phase("start: state saved, GO sent");
  if (r == 0)
    r = await_exec(sync, c->argv[0], p, err);
  wb_log_phase("start: command exec'd");
  if (r < 0) {
    reap(p);
    /* Killed and reaped: whatever it sent is queued, then EOF. */
    if (sync >= 0)
      prefer_child_error(sync, c->argv[0], err);
    if (p->pidfd >= 0)
      close(p->pidfd);
    p->pidfd = -1;
    if (p->pty_master >= 0)
      close(p->pty_master);
    p->pty_master = -1;
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (made)
      cg->destroy(cgroup->data, &cgid, &ignored);
    c->pid = 0;
    free(c->status);
    c->status = xstrdup("created");
  }
  return r;
}

int wb_container_start(struct wb_context *ctx, struct wb_container *c,
                       struct wb_process *p, wb_error *err)
{
  int r = wb_container_lock(c, err);
  if (r < 0)
    return r;
  r = start_locked(ctx, c, p, err);
  /* The container runs unlocked: its monitor (or foreground run) takes
   * the lock again to record its end, and stop, kill, rm... must get it
   * meanwhile. */
  wb_container_unlock_all(c);
  return r;
}

static int exited_locked(struct wb_context *ctx, struct wb_container *c,
                         int status, wb_error *err)
{
  struct wb_driver *cgroup;
  int r = wb_container_cgroup(ctx, c, &cgroup, err);
  if (r < 0)
    return r;
  const struct wb_cgroup_ops *cg = cgroup->ops;
  struct wb_cgroup cgid = cgroup_of(c);
  c->exit_code = wb_wait_status_code(status);
  /* OOM is read before the cgroup goes; a plain kill -9 has no oom_kill
   * event and is not reported as OOM. */
  c->oom_killed = false;
  if (cg->stats && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    struct wb_cgroup_stats st = {.size = sizeof st};
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (cg->stats(cgroup->data, &cgid, &st, &ignored) == 0)
      c->oom_killed = st.oom_kills > 0;
  }
  wb_log_phase("exited: reaped");
  r = cg->destroy(cgroup->data, &cgid, err);
  wb_log_phase("exited: cgroup removed");
  free(c->status);
  c->status = xstrdup("exited");
  free(c->finished_at);
  c->finished_at = wb_now_rfc3339();
  c->pid = 0;
  c->paused = false;
  if (c->auto_remove)
    return r;
  /* `update` may have recorded new limits while the container ran (in a
   * foreground run this process holds the old ones): keep those. */
  cleanup_container struct wb_container *disk = NULL;
  if (wb_container_load_id(ctx->root, c->id, &disk, NULL) == 0) {
    /* Started again meanwhile: that run owns the state now. */
    if (disk->start_time != c->start_time)
      return r;
    struct wb_limits l = c->limits;
    c->limits = disk->limits;
    disk->limits = l; /* freed with disk */
  }
  cleanup_error wb_error serr = WB_ERROR_INIT;
  if (wb_container_save(c, c->detach, &serr) < 0) {
    /* Not lost: kept in memory until a command can write it into the
     * state (wb_container_reconcile), and shown meanwhile. */
    wb_exit_record_write(ctx->root, c, NULL);
    if (r == 0)
      r = wb_error_set(err, -serr.code, "%s", serr.msg);
  }
  return r;
}

int wb_container_exited(struct wb_context *ctx, struct wb_container *c,
                        int status, wb_error *err)
{
  int r = wb_container_lock(c, err);
  if (r < 0)
    return r;
  r = exited_locked(ctx, c, status, err);
  wb_container_unlock(c);
  return r;
}

/* The state directory out of sight in one rename, then its name, then the
 * files: a removal cut short leaves either a container that is still
 * listed (and rm -f finishes), or a .trash- directory that the next
 * listing removes (wb_container_list_dirs). */
static int remove_state_dir(struct wb_context *ctx, struct wb_container *c,
                            wb_error *err)
{
  cleanup_free char *trash = wb_container_trash_path(c);
  if (rename(c->dir, trash) < 0)
    return errno == ENOENT
               ? 0
               : wb_error_set(err, errno, "rename %s to %s", c->dir, trash);
  if (c->name)
    wb_container_release_name(ctx->root, c->name, c->id);
  cleanup_error wb_error left = WB_ERROR_INIT;
  if (rm_rf(trash, &left) < 0)
    wb_log(WB_LOG_WARN, "container %.12s is removed, but not all of %s: %s",
           c->id, trash, left.msg);
  return 0;
}

/* A driver that is missing or fails to remove what it made must not make
 * the container undeletable: the warning names what may be left, and the
 * removal goes on.  Only live processes stop it (destroy's EBUSY):
 * forgetting the container would hide them. */
static int driver_left_behind(wb_error *e, const char *what, wb_error *err)
{
  if (e->code == EBUSY) {
    if (err) {
      wb_error_clear(err);
      *err = *e;
      *e = (wb_error)WB_ERROR_INIT;
    }
    return -1;
  }
  if (what)
    wb_log(WB_LOG_WARN, "%s; %s may be left", e->msg, what);
  else
    wb_log(WB_LOG_WARN, "%s", e->msg);
  wb_error_clear(e);
  return 0;
}

static int delete_locked(struct wb_context *ctx, struct wb_container *c,
                         wb_error *err)
{
  int ret = 0;
  struct wb_driver *cgroup = NULL, *storage = NULL;
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (c->cgroup_driver && wb_container_cgroup(ctx, c, &cgroup, &e) < 0) {
    cleanup_free char *what =
        xasprintf("cgroup %s/%s", c->cgroup_parent, c->id);
    driver_left_behind(&e, what, err);
  } else if (c->cgroup_driver) {
    const struct wb_cgroup_ops *cg = cgroup->ops;
    struct wb_cgroup cgid = cgroup_of(c);
    if (cg->destroy(cgroup->data, &cgid, &e) < 0)
      ret = driver_left_behind(&e, NULL, err);
  }
  cleanup_free char *storage_dir = NULL, *target = NULL;
  struct wb_rootfs fs =
      wb_container_rootfs(ctx->root, c, &storage_dir, &target);
  if (c->storage_driver &&
      wb_context_driver_named(ctx, WB_PLUGIN_STORAGE, c->storage_driver,
                              &storage, &e) < 0) {
    cleanup_free char *what =
        xasprintf("what it keeps on disk for container %.12s outside %s", c->id,
                  storage_dir);
    driver_left_behind(&e, what, err);
  } else if (c->storage_driver && access(storage_dir, F_OK) == 0) {
    const struct wb_storage_ops *ops = storage->ops;
    if (ops->remove(storage->data, &fs, &e) < 0)
      driver_left_behind(&e, NULL, err);
  }
  wb_log_phase("delete: storage removed");
  if (c->transient && ret == 0) {
    cleanup_free char *sdir = wb_container_rw_dir(ctx->root, c->id);
    if (rm_rf(sdir, err) < 0)
      ret = -1;
  }
  if (ret == 0 && remove_state_dir(ctx, c, err) < 0)
    ret = -1;
  wb_log_phase("delete: state removed");
  return ret < 0 ? (err && err->code ? -err->code : -EIO) : 0;
}

int wb_container_delete(struct wb_context *ctx, struct wb_container *c,
                        wb_error *err)
{
  /* Never got as far as its directory (e.g. the name was taken): nothing
   * of it exists, and nothing of another container may be touched. */
  if (!c->dir)
    return 0;
  cleanup_error wb_error lerr = WB_ERROR_INIT;
  int r = wb_container_lock(c, &lerr);
  if (r == -ENOENT)
    return 0; /* removed meanwhile */
  if (r < 0)
    return wb_error_set(err, -lerr.code, "%s", lerr.msg);
  r = delete_locked(ctx, c, err);
  wb_container_unlock(c);
  return r;
}

static bool monitor_alive(const struct wb_container *c)
{
  return wb_proc_alive(c->monitor_pid, c->monitor_start_time);
}

bool wb_container_end_unrecorded(const struct wb_container *c)
{
  return wb_container_running(c) && !wb_proc_alive(c->pid, c->start_time) &&
         !monitor_alive(c);
}

void wb_container_refresh(struct wb_container *c)
{
  if (!wb_container_running(c))
    return;
  /* A commit that died holding its freeze: its watcher thaws the cgroup
   * (freeze.c), and the lease means nothing any more. */
  if (c->paused && c->pause_pid > 0 &&
      !wb_proc_alive(c->pause_pid, c->pause_start_time))
    c->paused = false;
  /* Alive is running, with or without its monitor: a container whose
   * monitor (or foreground run) was killed keeps running, and stop, kill
   * and rm reach it by its pid. */
  if (wb_proc_alive(c->pid, c->start_time))
    return;
  /* Ended, and its monitor is recording that: running until the exit code
   * is written, so the state goes from running to exited with its code,
   * never through an unknown one. */
  if (monitor_alive(c))
    return;
  /* Ended with nobody left to record it: the exit code is lost. */
  free(c->status);
  c->status = xstrdup("exited");
  c->exit_code = -1;
  c->paused = false;
}

/* The container's cgroup thawed (whatever froze it) and removed, best
 * effort: what is left of an orphan's processes dies with it. */
static int remove_cgroup(struct wb_context *ctx, const struct wb_container *c,
                         wb_error *err)
{
  struct wb_driver *cgroup;
  int r = wb_container_cgroup(ctx, c, &cgroup, err);
  if (r < 0)
    return r;
  const struct wb_cgroup_ops *cg = cgroup->ops;
  struct wb_cgroup cgid = cgroup_of(c);
  if (cg->freeze) {
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    cg->freeze(cgroup->data, &cgid, 0, &ignored);
  }
  return cg->destroy(cgroup->data, &cgid, err);
}

int wb_container_reconcile(struct wb_context *ctx, struct wb_container *c,
                           wb_error *err)
{
  if (!wb_container_end_unrecorded(c))
    return 0;
  int r = remove_cgroup(ctx, c, err);
  if (r < 0)
    return r;
  if (c->auto_remove) {
    r = wb_container_discard(ctx, c, err);
    if (r == 0)
      wb_exit_record_remove(ctx->root, c->id);
    return r < 0 ? r : 1;
  }
  /* Its monitor may have recorded the end where it could (a full disk);
   * else nobody reaped it for us and its exit code is lost. */
  if (!wb_exit_record_apply(ctx->root, c)) {
    free(c->status);
    c->status = xstrdup("exited");
    c->exit_code = -1;
    c->pid = 0;
    c->paused = false;
    free(c->finished_at);
    c->finished_at = wb_now_rfc3339();
  }
  r = wb_container_save(c, true, err);
  if (r == 0)
    wb_exit_record_remove(ctx->root, c->id);
  return r;
}

int wb_container_discard(struct wb_context *ctx, struct wb_container *c,
                         wb_error *err)
{
  int r = wb_container_delete(ctx, c, err);
  if (r < 0)
    return r;
  return wb_volume_remove_anonymous(ctx->root, c, err);
}
