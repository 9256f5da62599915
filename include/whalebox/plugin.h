/* whalebox/plugin.h - the public, versioned driver ABI of Whalebox.
 *
 * A Whalebox driver is a shared object that exports exactly one symbol,
 * WB_PLUGIN_ENTRY (see WB_PLUGIN_DEFINE below), returning a descriptor.
 * Build it with:
 *
 *   cc -shared -fPIC -fvisibility=hidden \
 *      $(pkg-config --cflags whalebox-plugin) -o storage-zfs.so zfs.c
 *
 * and drop the .so into the plugin directory (`whalebox info` prints it).
 * The file's name must be <kind>-<name>.so, the kind and name its descriptor
 * declares (storage-zfs.so for the storage driver "zfs"), also when it is
 * given by absolute path: containers record their drivers by that name.
 * Any other file is refused with one line naming it.
 *
 * Compatibility rules (the contract that keeps a driver built today loading
 * next year):
 *   - The first six fields of struct wb_plugin never change, in any ABI.
 *   - The core loads a driver when abi_major equals the core's major and
 *     abi_minor is not newer than the core's minor.
 *   - Every struct passed across the boundary starts with a uint32_t `size`
 *     (the size the producer was compiled with) and only ever grows at its
 *     end; a minor bump accompanies any growth.  Readers must not look past
 *     `size`.  Operations a driver does not support are NULL.
 *   - Drivers never link against symbols of the whalebox binary: everything
 *     the core offers is in struct wb_host, handed to init().
 *
 * Error convention: every fallible call returns 0 on success and a negative
 * errno on failure, after describing the failure once with host->error().
 * A positive value is success too, in every call (the core treats it as 0
 * and reads nothing into it).  A failure without host->error() is reported
 * as "<kind>-<name>: <op>() failed: <strerror of the errno>".  Drivers
 * never call exit(), abort() on user input, or print to stdout/stderr
 * directly; they use host->log().
 *
 * Faults: the core makes every call into a driver (loading it, which runs
 * its constructors, the getter, init, probe, fini and every op) under a
 * guard, in whichever process it runs (the runtime, a container's first
 * process before exec, exec's helper, whalebox-monitor).  A crash
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT), an exit() or a call that
 * outlives its time limit (below) fails that call with one line naming the
 * driver, the op and the signal or the limit; the command then fails with
 * exit code 125 and removes what it had made (in whalebox-monitor a failed
 * write is reported as any other, and the container goes on).  For the rest of
 * that process the driver is not called again, except for the ops that remove
 * state (storage remove and umount, cgroup destroy, kill and thaw, log remove
 * and close), tried once each; what they cannot remove is named in a warning.
 * So a driver must not block, ignore or handle those signals or SIGALRM, nor
 * use alarm() or ITIMER_REAL.  `whalebox plugins` and `info` also run each
 * driver in a child process, so that even _exit() or a blocked signal is one
 * line of their output.
 *
 * Time limits (seconds; whalebox.conf `drivers { timeout; data_timeout; }`
 * changes the second and third):
 *   10    loading (dlopen and the getter), probe, fini; the smaller of 10
 *         and `timeout` when that is set lower;
 *   60    init and every op not listed below (`timeout`);
 *   3600  storage create, remove and diff, log read and remove, which copy
 *         or remove a container's files (`data_timeout`);
 *   none  log read with follow set.
 * Time a driver spends in the core's callbacks (wb_log_reader emit and
 * alive) does not count against it.
 *
 * Threads: the core is single-threaded and calls a driver from one thread at
 * a time.  Calls may block on I/O, within their time limits.
 */
#ifndef WHALEBOX_PLUGIN_H
#define WHALEBOX_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WB_PLUGIN_ABI_MAJOR 1
#define WB_PLUGIN_ABI_MINOR 2

/* Name of the single exported getter. */
#define WB_PLUGIN_ENTRY whalebox_plugin_entry
#define WB_PLUGIN_ENTRY_NAME "whalebox_plugin_entry"

#define WB_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Driver kinds.  Values are frozen; new kinds are appended. */
enum wb_plugin_kind {
  WB_PLUGIN_STORAGE = 1,
  WB_PLUGIN_CGROUP = 2,
  WB_PLUGIN_LOG = 3,
  WB_PLUGIN_NETWORK = 4, /* reserved: no ops table defined yet */
};

/* Log levels for wb_host.log. */
enum wb_log_level {
  WB_LOG_ERROR = 0,
  WB_LOG_WARN = 1,
  WB_LOG_INFO = 2,
  WB_LOG_DEBUG = 3,
};

/* Opaque error object owned by the core.  Drivers fill it only through
 * wb_host.error(). */
typedef struct wb_error wb_error;

/* Types of driver options (struct wb_option). */
enum wb_option_type {
  WB_OPTION_STRING = 1,
  WB_OPTION_INT = 2, /* 64-bit integer */
  WB_OPTION_BOOL = 3,
  WB_OPTION_SIZE =
      4, /* integer or string such as "10m"; read with config_int */
};

/* One option a driver accepts in its configuration group, e.g. `max_size`
 * in `log: { file: { max_size = "10m"; }; };`.  The core rejects unknown keys
 * and wrong types before init() runs.  Arrays end with a {NULL} entry. */
struct wb_option {
  const char *name;
  int type; /* enum wb_option_type */
  const char *help;
};

/* Services the core offers to one driver.  Each loaded driver gets its own
 * table (priv identifies it), valid from init() until fini() returns. */
struct wb_host {
  uint32_t size; /* sizeof(struct wb_host) as the core was built */
  uint32_t abi_major;
  uint32_t abi_minor;

  /* Absolute path of the state root (e.g. /var/lib/whalebox).  Borrowed. */
  const char *state_root;
  /* A directory reserved for this driver's own data,
   * <state_root>/drivers/<kind>-<name>.  Borrowed; created by the core
   * before init(). */
  const char *driver_dir;

  /* Log a message at `level`, prefixed with the driver's name.  Lines at a
   * level above --log-level are dropped.  Never blocks for long. */
  void (*log)(const struct wb_host *host, int level, const char *fmt, ...)
      __attribute__((format(printf, 3, 4)));

  /* Describe a failure: sets *err to "<driver>: <message>[: strerror]"
   * (strerror appended when errnum > 0) and returns -errnum, or -EIO when
   * errnum is 0.  The typical use is `return host->error(host, err, errno,
   * "open %s", path);`.  Calling it on an already set error replaces it. */
  int (*error)(const struct wb_host *host, wb_error *err, int errnum,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

  /* Read this driver's own configuration group.  Return 0 and set *out, or
   * -ENOENT when the key is not set (use your default).  Strings are
   * borrowed for the driver's lifetime.  WB_OPTION_SIZE values are read with
   * config_int, already converted to bytes. */
  int (*config_string)(const struct wb_host *host, const char *key,
                       const char **out);
  int (*config_int)(const struct wb_host *host, const char *key, int64_t *out);
  int (*config_bool)(const struct wb_host *host, const char *key, int *out);

  /* Parse a size such as "512", "64k", "10m", "2g" (binary units). 0 or
   * -EINVAL. */
  int (*parse_size)(const char *text, int64_t *out);

  const void *priv; /* core-private; do not touch */
};

/* ---- storage drivers ------------------------------------------------- */

/* ABI 1.1: one line of a user namespace mapping, as in /proc/PID/uid_map:
 * container ids [container_id, container_id + count) are host ids
 * [host_id, host_id + count). */
struct wb_idmap {
  uint32_t container_id;
  uint32_t host_id;
  uint32_t count;
};

/* A container's root filesystem.  All strings are borrowed for the call. */
struct wb_rootfs {
  uint32_t size;
  const char *id;  /* 64-hex container id */
  const char *dir; /* per-container directory for this driver's files;
                      exists and belongs to the driver */
  /* The image's read-only layers, bottom first, NULL-terminated.  Each is a
   * directory tree in overlayfs format: a whiteout is a 0:0 character
   * device, an opaque directory carries the trusted.overlay.opaque="y"
   * xattr. */
  const char *const *layers;
  int read_only; /* --read-only: no writable layer at all */
  /* mount(): the existing directory to mount the root filesystem on. */
  const char *target;

  /* ABI 1.1 (read only when `size` covers them, and only given to drivers
   * that declare WB_FEATURE_USERNS): the container's user namespace.
   * uid_map_len == 0 means none, and everything below is unset.  Otherwise
   * files in the container must appear owned by the container ids:
   *   - create() makes the writable layer (or copy) owned by the mapped
   *     host ids (container root is uid_map's host id for 0);
   *   - mount() then runs with the host's root credentials inside the
   *     container's mount namespace, before the container's process does
   *     anything, and gets userns_fd, an fd of the container's user
   *     namespace, for idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP) of
   *     read-only layers;
   *   - diff() writes the layer with container ids (as if there were no
   *     mapping), so an image committed here runs anywhere. */
  const struct wb_idmap *uid_map;
  uint32_t uid_map_len;
  const struct wb_idmap *gid_map;
  uint32_t gid_map_len;
  int userns_fd; /* mount() only; -1 otherwise */
};

struct wb_storage_ops {
  uint32_t size; /* sizeof(struct wb_storage_ops) as the driver was built */
  /* Prepare the container's writable layer (or copy) in fs->dir.  Called
   * once per container, before the first mount. */
  int (*create)(void *driver, const struct wb_rootfs *fs, wb_error *err);
  /* Mount the root filesystem on fs->target.  Called inside the
   * container's private mount namespace (so it disappears with it), in a
   * process that may not return to the core's main loop: keep no state. */
  int (*mount)(void *driver, const struct wb_rootfs *fs, wb_error *err);
  /* Undo mount() when the core mounted in its own namespace. */
  int (*umount)(void *driver, const struct wb_rootfs *fs, wb_error *err);
  /* Remove everything create() made.  Must succeed on a half-created
   * container (a crash may have interrupted create()). */
  int (*remove)(void *driver, const struct wb_rootfs *fs, wb_error *err);
  /* Optional (NULL = unsupported): write the container's changes, relative
   * to its layers, into the empty directory layer_dir, in the layer format
   * described above. */
  int (*diff)(void *driver, const struct wb_rootfs *fs, const char *layer_dir,
              wb_error *err);
};

/* ---- cgroup drivers --------------------------------------------------- */

/* Identifies one container's cgroup: <parent>/<id>.  Borrowed. */
struct wb_cgroup {
  uint32_t size;
  const char *parent; /* relative to the hierarchy root, e.g. "whalebox" */
  const char *id;     /* container id */
};

/* Resource limits.  A zero field is unset (leave the kernel default). */
struct wb_limits {
  uint32_t size;
  int64_t memory;         /* bytes */
  int64_t memory_swap;    /* memory+swap bytes; -1 unlimited */
  uint64_t cpu_shares;    /* v1 cpu.shares scale, 2..262144 */
  int64_t cpu_quota_us;   /* CFS quota per period */
  uint64_t cpu_period_us; /* CFS period; 0 means 100000 */
  const char *cpuset_cpus;
  const char *cpuset_mems;
  int64_t pids_limit; /* -1 unlimited */
};

struct wb_cgroup_stats {
  uint32_t size;
  uint64_t memory_usage; /* bytes */
  uint64_t memory_limit; /* bytes, 0 when unlimited */
  uint64_t oom_kills;    /* OOM kills inside the cgroup */
  uint64_t pids_current;
  uint64_t pids_limit; /* 0 when unlimited */
  uint64_t cpu_usage_ns;
};

struct wb_cgroup_ops {
  uint32_t size;
  /* Create the cgroup (and its parents).  Fails with -EEXIST if present. */
  int (*create)(void *driver, const struct wb_cgroup *cg, wb_error *err);
  /* Write limits.  A limit the driver cannot enforce on this host is an
   * error, never silently skipped. */
  int (*apply)(void *driver, const struct wb_cgroup *cg,
               const struct wb_limits *limits, wb_error *err);
  /* Move process `pid` into the cgroup. */
  int (*enter)(void *driver, const struct wb_cgroup *cg, pid_t pid,
               wb_error *err);
  /* Fill `stats` (stats->size is set by the caller). */
  int (*stats)(void *driver, const struct wb_cgroup *cg,
               struct wb_cgroup_stats *stats, wb_error *err);
  /* Send `sig` to every process in the cgroup. */
  int (*kill)(void *driver, const struct wb_cgroup *cg, int sig, wb_error *err);
  /* Kill what is left and remove the cgroup.  Succeeds when it is already
   * gone. */
  int (*destroy)(void *driver, const struct wb_cgroup *cg, wb_error *err);
  /* Optional: freeze (1) or thaw (0) every process in the cgroup. */
  int (*freeze)(void *driver, const struct wb_cgroup *cg, int frozen,
                wb_error *err);

  /* ABI 1.1, optional (NULL = unsupported; read only when `size` covers
   * it): set *dirfd to an O_PATH|O_DIRECTORY|O_CLOEXEC descriptor of the
   * cgroup's directory (made by create()), which the caller owns and
   * closes.  The core hands it to clone3(CLONE_INTO_CGROUP, Linux 5.7) so
   * that a container's processes are born in their cgroup, and then does
   * not call enter() for them; enter() stays required, for kernels without
   * that flag and for failures here (which are not fatal: the core logs
   * them and falls back).  Only a cgroup2 directory works: v1 drivers
   * leave it NULL. */
  int (*open)(void *driver, const struct wb_cgroup *cg, int *dirfd,
              wb_error *err);

  /* ABI 1.2, optional (NULL = unsupported; read only when `size` covers
   * it): move the calling process into the cgroup.  When open() gave no
   * descriptor, the core calls this instead of enter() from the runtime in
   * a container's first process once its mounts are prepared and the
   * cgroup made (one thread, nothing of the user's exec'd yet; not for a
   * container with a user namespace, which enter() still moves), and in
   * exec's helper before it joins the container's namespaces.  A failure
   * fails the start or the exec with the driver's message.  Why: on cgroup v1 a
   * thread that moves itself by writing 0 to a hierarchy's `tasks` file skips
   * the global lock that a write to cgroup.procs takes, whose every taker waits
   * for an RCU grace period (1-3 ms per container start). */
  int (*enter_self)(void *driver, const struct wb_cgroup *cg, wb_error *err);
};

/* ---- log drivers ------------------------------------------------------ */

enum wb_log_stream {
  WB_STREAM_STDOUT = 1,
  WB_STREAM_STDERR = 2,
};

/* One container's log.  Borrowed. */
struct wb_log_target {
  uint32_t size;
  const char *id;
  const char *dir; /* per-container directory for this driver's files */
  /* `--log-opt` values as "key=value", NULL-terminated; the driver rejects
   * keys it does not know in open(). */
  const char *const *options;
};

/* How to read a log back.  Callbacks return 0 to go on, < 0 to stop (the
 * value is returned by read()). */
struct wb_log_reader {
  uint32_t size;
  int follow;       /* keep reading until alive() returns 0 */
  int64_t tail;     /* last N entries only; -1 for all */
  int64_t since_ns; /* skip entries before this CLOCK_REALTIME time; 0 all */
  int (*emit)(void *arg, int stream, const struct timespec *ts, const char *buf,
              size_t len);
  int (*alive)(void *arg); /* 1 while the container runs */
  void *arg;
};

/* Where a log driver runs: the writing ops (open, write, close) run in
 * the process that stays with the container, whalebox-monitor for a
 * detached one, whalebox itself for a foreground one; read and remove run
 * in whalebox.  Both give the driver the same struct wb_host (in the
 * monitor, host->log lines go to the container's monitor.log, which
 * `logs` prints).  A failed write is never silent: the core logs the
 * driver's message at error level, and `inspect` shows the last one as
 * .State.Error.
 * init() and fini() run in each process that loads the driver. */
struct wb_log_ops {
  uint32_t size;
  /* Open (create) the container's log for writing: once per start of the
   * container, before anything of its command runs; a failure fails the
   * start with the driver's message.  *handle belongs to the driver until
   * close(). */
  int (*open)(void *driver, const struct wb_log_target *t, void **handle,
              wb_error *err);
  /* Append one chunk of a stream (all of it); chunks need not end at line
   * ends.  0 or a positive count on success; < 0 when any of it could not
   * be kept (a full disk): the core logs the message once per streak of
   * failures and goes on writing.  A driver whose log is read back says in
   * it how much was lost once it can write again (log-file: a marker entry
   * on stderr). */
  int (*write)(void *handle, int stream, const struct timespec *ts,
               const void *buf, size_t len, wb_error *err);
  void (*close)(void *handle);
  /* Read entries back through reader->emit.  NULL: the driver keeps nothing
   * readable (the `logs` command says so). */
  int (*read)(void *driver, const struct wb_log_target *t,
              const struct wb_log_reader *reader, wb_error *err);
  /* Delete the container's log files. */
  int (*remove)(void *driver, const struct wb_log_target *t, wb_error *err);
};

/* ---- the descriptor ----------------------------------------------------- */

struct wb_plugin {
  /* Frozen in every ABI version: */
  uint32_t abi_major;  /* WB_PLUGIN_ABI_MAJOR the driver was built with */
  uint32_t abi_minor;  /* WB_PLUGIN_ABI_MINOR the driver was built with */
  uint32_t size;       /* sizeof(struct wb_plugin) as built */
  uint32_t kind;       /* enum wb_plugin_kind */
  const char *name;    /* [a-z0-9_-]+, e.g. "overlay"; the file is
                          <kind>-<name>.so */
  const char *version; /* the driver's own version, free-form */

  /* ABI 1.0: */
  const char *summary;             /* one line for `whalebox plugins` */
  const struct wb_option *options; /* accepted config keys, or NULL */
  /* Set up driver state; must not change the host (no mounts, no cgroups).
   * *driver is passed back to every other call. */
  int (*init)(const struct wb_host *host, void **driver, wb_error *err);
  void (*fini)(void *driver);
  /* Can this driver work on this host?  0, or < 0 with one human sentence
   * saying why not, e.g. "controllers memory, cpu not available in
   * /sys/fs/cgroup/unified (hybrid host)".  Must be cheap and side-effect
   * free. */
  int (*probe)(void *driver, wb_error *err);
  /* struct wb_storage_ops, wb_cgroup_ops or wb_log_ops per `kind`. */
  const void *ops;

  /* ABI 1.1: optional behaviour the driver implements (WB_FEATURE_*).  A
   * 1.0 driver has none; the core refuses a container that needs a feature
   * its driver lacks, with a message naming both. */
  uint64_t features;
};

/* Storage: honours the user namespace fields of struct wb_rootfs. */
#define WB_FEATURE_USERNS (UINT64_C(1) << 0)

/* The getter.  The core passes its own ABI version so that a driver can
 * return a descriptor it knows the core understands; most drivers ignore
 * the arguments.  Must not have side effects; may be called more than once.
 */
typedef const struct wb_plugin *(*wb_plugin_entry_fn)(uint32_t core_major,
                                                      uint32_t core_minor);

/* Convenience: defines the exported getter returning `descriptor`. */
#define WB_PLUGIN_DEFINE(descriptor)                                           \
  WB_PLUGIN_EXPORT const struct wb_plugin *WB_PLUGIN_ENTRY(                    \
      uint32_t core_major, uint32_t core_minor);                               \
  WB_PLUGIN_EXPORT const struct wb_plugin *WB_PLUGIN_ENTRY(                    \
      uint32_t core_major, uint32_t core_minor)                                \
  {                                                                            \
    (void)core_major;                                                          \
    (void)core_minor;                                                          \
    return &(descriptor);                                                      \
  }

#ifdef __cplusplus
}
#endif

#endif /* WHALEBOX_PLUGIN_H */
