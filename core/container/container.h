/* container.h - one container: what it was asked to run and where it is in
 * its life.  Persisted as <root>/containers/<id>/state.json. */
#ifndef WB_CONTAINER_H
#define WB_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <whalebox/plugin.h>

#include "../security/security.h"
#include "../util/error.h"

struct wb_bind {
  char *source; /* absolute host path */
  char *target; /* absolute container path */
  bool read_only;
};

/* A tmpfs of the container's own (container/tmpfs.h). */
struct wb_tmpfs {
  char *target;  /* absolute container path */
  char *options; /* "ro,size=64k,mode=1777" as --tmpfs takes them, checked */
};

struct wb_container {
  char *id;   /* 64 hex */
  char *name; /* unique */
  char *dir;  /* <root>/containers/<id>, <root>/run/containers/<id> if
                 transient */
  char *created;

  /* What to run (image defaults already merged in). */
  char *image_id;
  char *image_ref; /* as the user named it */
  char **layers;   /* layer directories, bottom first */
  char **argv;     /* command and arguments, argv[0] resolved in $PATH */
  char **env;      /* K=V */
  char *workdir;   /* absolute, "/" by default */
  char *user;      /* USER[:GROUP] or NULL */
  char *hostname;
  bool tty, interactive, detach, auto_remove, read_only;
  /* A foreground --rm container cannot outlive its `run`: its state is in
   * the runroot's tmpfs (runroot.c), its writable layer in <root>/rw/<id>.
   * Set where its state is found, not saved. */
  bool transient;
  struct wb_bind *binds;
  size_t n_binds;
  struct wb_tmpfs *tmpfs;
  size_t n_tmpfs;

  struct wb_security sec;

  /* Resources and drivers (names, as the core resolves them). */
  struct wb_limits limits;
  char *storage_driver;
  char *cgroup_driver;
  char *cgroup_parent;
  char *log_driver;
  char **log_opts;

  /* Life. */
  char *status; /* created, running, exited */
  pid_t pid;
  unsigned long long start_time; /* /proc/PID/stat field 22 */
  pid_t monitor_pid;
  unsigned long long monitor_start_time;
  int exit_code;
  bool oom_killed;
  char *started_at, *finished_at;
  /* Why the last start failed, or why its output was not all logged
   * (Docker's State.Error); NULL when nothing went wrong. */
  char *error;

  /* Frozen (pause, or commit's --pause): recorded before the cgroup is
   * frozen.  pause_pid/pause_start_time name the commit that froze it and
   * will thaw it (0 for `pause`, which lasts until `unpause`); a lease
   * whose holder is gone is void (freeze.c). */
  bool paused;
  pid_t pause_pid;
  unsigned long long pause_start_time;

  /* Set when state.json cannot be read (empty, garbage, missing): why.
   * Only id, dir, name and what the sidecar says are known then, and the
   * status is "unknown" (wb_container_load_any). */
  char *unreadable;
};

struct wb_container *wb_container_new(void);
void wb_container_free(struct wb_container *c);
static inline void wb_container_freep(struct wb_container **c)
{
  if (*c)
    wb_container_free(*c);
}
#define cleanup_container __attribute__((cleanup(wb_container_freep)))

/* ---- ids and names (container/naming.c) ---- */
/* A fresh 64-hex id. */
char *wb_container_new_id(void);
/* A readable random name like "brave_turing". */
char *wb_container_random_name(void);
/* [a-zA-Z0-9][a-zA-Z0-9_.-]* , at most 128 chars. */
bool wb_container_name_valid(const char *name);
/* The same, saying what is wrong (-EINVAL): its length or its characters. */
int wb_container_name_check(const char *name, wb_error *err);
/* 64 lower-case hex digits. */
bool wb_container_id_valid(const char *s);

/* ---- the runroot (container/runroot.c) ---- */
/* <root>/run: whalebox's in-memory directory (a symlink into /dev/shm) for
 * the name index and transient state. */
char *wb_runroot(const char *root);
/* Make it if it is not there yet.  1 (and nothing done) when `create` is
 * false and <root> does not exist: then there is nothing to find. */
int wb_runroot_ensure(const char *root, bool create, wb_error *err);
/* <root>/rw/<id>: the storage directory of a transient container. */
char *wb_container_rw_dir(const char *root, const char *id);

/* ---- persistence (container/state.c) ---- */
/* <root>/containers: the state of containers that outlive a reboot. */
char *wb_containers_dir(const char *root);
/* That, or <root>/run/containers when `transient`. */
char *wb_containers_dir_for(const char *root, bool transient);
/* <root>/mnt: every container's root file system is mounted on this one
 * directory, each in its own private mount namespace, so a container
 * needs no mount point of its own.  Empty on the host. */
char *wb_container_mount_point(const char *root);
/* Claim `name` for `id` atomically; -EEXIST names the holder in err. */
int wb_container_claim_name(const char *root, const char *name, const char *id,
                            wb_error *err);
void wb_container_release_name(const char *root, const char *name,
                               const char *id);
/* Write state.json; readers never see a torn file.  Durable (fsync and
 * rename) when `durable`, else rewritten in place when it can be. */
int wb_container_save(const struct wb_container *c, bool durable,
                      wb_error *err);
/* Read a state.json whole (NUL-terminated; *len may be NULL) under the
 * shared lock that in-place saves exclude.  Every reader of another
 * container's state.json goes through this. */
int wb_container_read_state(const char *path, char **text, size_t *len,
                            wb_error *err);
/* The same, parsed; NULL when missing or unreadable. */
json_t *wb_container_state_json(const char *path);
/* Find by full id, unique id prefix or name. -ENOENT: "no such container";
 * -EBADMSG when its state cannot be read (the message says rm -f removes
 * it). */
int wb_container_load(const char *root, const char *ref,
                      struct wb_container **out, wb_error *err);
/* The same, but a container whose state cannot be read is still found:
 * then (*out)->unreadable says why, status is "unknown", and only what
 * does not need the state is filled in (id, dir, transient, name from the
 * name index, drivers and cgroup parent from the sidecar). */
int wb_container_load_any(const char *root, const char *ref,
                          struct wb_container **out, wb_error *err);
/* A container known only by its state directory, as load_any fills it. */
struct wb_container *wb_container_unreadable(const char *root, const char *dir,
                                             const char *why);
/* For listings, the container of state directory `dir` whose state the
 * caller could not read: as wb_container_unreadable fills it, or loaded
 * after all (it was being written), or NULL when it is no container (gone
 * meanwhile, or being created: its creator holds its lock). */
struct wb_container *wb_container_unreadable_at(const char *root,
                                                const char *dir);
/* Which container `ref` (name, full id, unique id prefix) is, without
 * reading its state: its id and state directory. */
int wb_container_resolve(const char *root, const char *ref, char **id,
                         char **dir, wb_error *err);
/* The name that the name index gives container `id`, or NULL. */
char *wb_container_indexed_name(const char *root, const char *id);
/* Load by full 64-hex id (no name or prefix lookup). */
int wb_container_load_id(const char *root, const char *id,
                         struct wb_container **out, wb_error *err);
/* Ids of all containers (NULL-terminated, maybe empty). */
int wb_container_list_ids(const char *root, char ***ids, wb_error *err);
/* The same as their state directories, on disk and in the runroot.  What
 * a removal cut short left (trash_path) is finished on the way. */
int wb_container_list_dirs(const char *root, char ***dirs, wb_error *err);
/* Where c's state directory goes to be removed: <parent>/.trash-<id>,
 * beside it, so one rename takes the whole container out of sight. */
char *wb_container_trash_path(const struct wb_container *c);

/* ---- exit records (container/exit_record.c) ---- */
/* <root>/run/exits/<id>: the end of a container whose state.json could
 * not be written (a full disk that left no room even in place, a file
 * that cannot be written), kept in the runroot's memory until a command
 * can write it into the state (wb_container_reconcile). */
int wb_exit_record_write(const char *root, const struct wb_container *c,
                         wb_error *err);
/* A "running" c whose end was recorded so: exited, with its code, OOM and
 * finish time.  False when there is no record of this run. */
bool wb_exit_record_apply(const char *root, struct wb_container *c);
void wb_exit_record_remove(const char *root, const char *id);

/* ---- the sidecar (container/sidecar.c) ---- */
/* <dir>/sidecar, written once at create before the name is claimed:
 * what removing the container needs when state.json cannot be read (its
 * drivers and cgroup parent), in a fixed line format. */
int wb_sidecar_write(const struct wb_container *c, wb_error *err);
/* Fill c's drivers and cgroup parent from it; -ENOENT or -EBADMSG when it
 * is missing or incomplete (creation stopped before it was written). */
int wb_sidecar_read(const char *dir, struct wb_container *c);

/* ---- process identity (container/proc.c) ---- */
/* Start time of pid (field 22 of /proc/PID/stat), 0 if gone. */
unsigned long long wb_proc_start_time(pid_t pid);
/* Is pid still the process that had start_time? */
bool wb_proc_alive(pid_t pid, unsigned long long start_time);

#endif
