/* faultdriver.c - a driver that misbehaves on request, for the tests of the
 * driver guard (tests/integration/driver-faults.bats, unit-loader).
 *
 * tests/plugins/meson.build builds it once per kind (TD_KIND 1 storage, 2
 * cgroup, 3 log) and fault (TD_FAULT): segv, abort, exit, hang, overflow
 * (a runaway recursion), stdout (prints there), positive (returns 7 for
 * success), silent (fails with -EACCES without host->error()), and two the
 * in-process guard cannot catch, for `plugins`' child processes: rawexit
 * (_exit(4)) and blockhang (blocks every signal, then waits forever).  The file
 * <kind>-<fault>.so declares the name <fault>.
 *
 * At run time:
 *   WB_TD_FAULT_OP   the ops that misbehave, comma-separated: "load" (the
 *                    constructor, run by dlopen), "entry" (the getter),
 *                    "init", "probe", "fini", or an op of the kind's table
 *                    ("create", "enter_self"...); "*" is every op.  An op
 *                    name ending in "+" misbehaves after the real work is
 *                    done (a cgroup made, say), else before (positive:
 *                    always after, silent: always before).  Unset: the
 *                    driver behaves.
 *   WB_TD_DELEGATE_STORAGE, _CGROUP, _LOG
 *                    a real driver of the kind (path to its .so) that does
 *                    the work, so that a container can really run and leave
 *                    real state behind; unset: every op does nothing and
 *                    succeeds. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <whalebox/plugin.h>

#ifndef TD_KIND
#error "TD_KIND must be set"
#endif
#ifndef TD_FAULT
#error "TD_FAULT must be set"
#endif

/* ---- faults ---------------------------------------------------------------
 */

/* Whether `op` (with "+" for after the work) is in WB_TD_FAULT_OP. */
static int td_selected(const char *op, int after)
{
  const char *list = getenv("WB_TD_FAULT_OP");
  if (!list)
    return 0;
  size_t n = strlen(op);
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    int plus = len > 0 && p[len - 1] == '+';
    size_t name_len = len - (size_t)plus;
    if (plus == after && ((name_len == 1 && p[0] == '*') ||
                          (name_len == n && strncmp(p, op, n) == 0)))
      return 1;
    p += len;
    if (*p == ',')
      p++;
  }
  return 0;
}

/* The faults are real, not sanitizer reports: an ASan/UBSan build of the
 * tests must see the same crash as any other. */
#define TD_UNSANITIZED                                                         \
  __attribute__((no_sanitize_address, no_sanitize_undefined))

/* Deep enough to overflow any stack; the depth test only keeps the
 * compiler from calling the recursion endless. */
TD_UNSANITIZED static int td_recurse(long depth)
{
  volatile char frame[4096];
  frame[0] = (char)depth;
  if (depth == -1)
    return 0;
  return td_recurse(depth + 1) + frame[0];
}

/* The misbehaviours that never return (or return to nobody). */
TD_UNSANITIZED static void td_crash(void)
{
  const char *what = TD_FAULT;
  if (strcmp(what, "segv") == 0) {
    volatile int *volatile p = NULL;
    *p = 1;
  } else if (strcmp(what, "abort") == 0) {
    abort();
  } else if (strcmp(what, "exit") == 0) {
    exit(3);
  } else if (strcmp(what, "hang") == 0) {
    for (;;)
      pause();
  } else if (strcmp(what, "rawexit") == 0) {
    _exit(4);
  } else if (strcmp(what, "blockhang") == 0) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    for (;;)
      pause();
  } else if (strcmp(what, "overflow") == 0) {
    td_recurse(0);
  } else if (strcmp(what, "stdout") == 0) {
    printf("{\"garbage\": \"printed by the driver with printf\"\n");
    fflush(stdout);
    ssize_t n = write(STDOUT_FILENO, "] not json\n", 11);
    (void)n;
  }
}

/* Call at the start (after = 0) and end (after = 1, with the op's result)
 * of every op: returns the value the op should return. */
static int td_fault(const char *op, int after, int r)
{
  /* These two misbehave in one place whatever the "+" says: a positive
   * value once the work is done, a failure before it. */
  if (strcmp(TD_FAULT, "positive") == 0)
    return after && (td_selected(op, 0) || td_selected(op, 1)) && r == 0 ? 7
                                                                         : r;
  if (strcmp(TD_FAULT, "silent") == 0)
    return !after && (td_selected(op, 0) || td_selected(op, 1)) ? -EACCES : r;
  if (td_selected(op, after))
    td_crash();
  return r;
}

/* An op's prologue: the "before" fault; returns when the op must fail at
 * once. */
#define TD_BEFORE(op)                                                          \
  do {                                                                         \
    int before_ = td_fault(op, 0, 0);                                          \
    if (before_ != 0)                                                          \
      return before_;                                                          \
  } while (0)
#define TD_AFTER(op, r) td_fault(op, 1, (r))

__attribute__((constructor)) static void td_loaded(void)
{
  td_fault("load", 0, 0);
}

/* ---- the real driver behind -------------------------------------------- */

static const struct wb_plugin *real;
static void *real_state;

static const struct wb_plugin *td_real(void)
{
  if (real)
    return real;
  static const char *const vars[] = {NULL, "WB_TD_DELEGATE_STORAGE",
                                     "WB_TD_DELEGATE_CGROUP",
                                     "WB_TD_DELEGATE_LOG"};
  const char *path = getenv(vars[TD_KIND]);
  if (!path)
    return NULL;
  void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  wb_plugin_entry_fn entry =
      dl ? (wb_plugin_entry_fn)dlsym(dl, WB_PLUGIN_ENTRY_NAME) : NULL;
  const struct wb_plugin *p =
      entry ? entry(WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR) : NULL;
  if (p && p->kind == TD_KIND)
    real = p;
  return real;
}

static int td_init(const struct wb_host *host, void **driver, wb_error *err)
{
  TD_BEFORE("init");
  *driver = NULL;
  int r = 0;
  if (td_real())
    r = real->init(host, &real_state, err);
  return TD_AFTER("init", r);
}

static void td_fini(void *driver)
{
  (void)driver;
  td_fault("fini", 0, 0);
  if (real && real->fini)
    real->fini(real_state);
}

static int td_probe(void *driver, wb_error *err)
{
  (void)driver;
  TD_BEFORE("probe");
  int r = real ? real->probe(real_state, err) : 0;
  return TD_AFTER("probe", r);
}

/* Forward an op to the real driver when there is one and it has the op. */
#define TD_FORWARD(type, op, ...)                                              \
  do {                                                                         \
    TD_BEFORE(#op);                                                            \
    const type *ops_ = real ? real->ops : NULL;                                \
    int r_ = ops_ && ops_->op ? ops_->op(__VA_ARGS__) : 0;                     \
    return TD_AFTER(#op, r_);                                                  \
  } while (0)

#if TD_KIND == 1
#define TD_STORAGE(op, ...)                                                    \
  TD_FORWARD(struct wb_storage_ops, op, real_state, __VA_ARGS__)

static int td_create(void *d, const struct wb_rootfs *fs, wb_error *err)
{
  TD_STORAGE(create, fs, err);
}

static int td_mount(void *d, const struct wb_rootfs *fs, wb_error *err)
{
  TD_STORAGE(mount, fs, err);
}

static int td_umount(void *d, const struct wb_rootfs *fs, wb_error *err)
{
  TD_STORAGE(umount, fs, err);
}

static int td_remove(void *d, const struct wb_rootfs *fs, wb_error *err)
{
  TD_STORAGE(remove, fs, err);
}

static int td_diff(void *d, const struct wb_rootfs *fs, const char *layer,
                   wb_error *err)
{
  TD_STORAGE(diff, fs, layer, err);
}

static const struct wb_storage_ops td_ops = {
    .size = sizeof(struct wb_storage_ops),
    .create = td_create,
    .mount = td_mount,
    .umount = td_umount,
    .remove = td_remove,
    .diff = td_diff,
};
#elif TD_KIND == 2
#define TD_CGROUP(op, ...)                                                     \
  TD_FORWARD(struct wb_cgroup_ops, op, real_state, __VA_ARGS__)

static int td_create(void *d, const struct wb_cgroup *cg, wb_error *err)
{
  TD_CGROUP(create, cg, err);
}

static int td_apply(void *d, const struct wb_cgroup *cg,
                    const struct wb_limits *l, wb_error *err)
{
  TD_CGROUP(apply, cg, l, err);
}

static int td_enter(void *d, const struct wb_cgroup *cg, pid_t pid,
                    wb_error *err)
{
  TD_CGROUP(enter, cg, pid, err);
}

static int td_stats(void *d, const struct wb_cgroup *cg,
                    struct wb_cgroup_stats *st, wb_error *err)
{
  TD_CGROUP(stats, cg, st, err);
}

static int td_kill(void *d, const struct wb_cgroup *cg, int sig, wb_error *err)
{
  TD_CGROUP(kill, cg, sig, err);
}

static int td_destroy(void *d, const struct wb_cgroup *cg, wb_error *err)
{
  TD_CGROUP(destroy, cg, err);
}

static int td_freeze(void *d, const struct wb_cgroup *cg, int frozen,
                     wb_error *err)
{
  TD_CGROUP(freeze, cg, frozen, err);
}

/* No descriptor, like a v1 driver: the core falls back to enter_self. */
static int td_open(void *d, const struct wb_cgroup *cg, int *dirfd,
                   wb_error *err)
{
  (void)d;
  (void)cg;
  (void)err;
  *dirfd = -1;
  TD_BEFORE("open");
  return TD_AFTER("open", -ENOTSUP);
}

static int td_enter_self(void *d, const struct wb_cgroup *cg, wb_error *err)
{
  TD_BEFORE("enter_self");
  const struct wb_cgroup_ops *ops = real ? real->ops : NULL;
  int r = 0;
  if (ops && ops->size > offsetof(struct wb_cgroup_ops, enter_self) &&
      ops->enter_self)
    r = ops->enter_self(real_state, cg, err);
  else if (ops)
    r = ops->enter(real_state, cg, getpid(), err);
  return TD_AFTER("enter_self", r);
}

static const struct wb_cgroup_ops td_ops = {
    .size = sizeof(struct wb_cgroup_ops),
    .create = td_create,
    .apply = td_apply,
    .enter = td_enter,
    .stats = td_stats,
    .kill = td_kill,
    .destroy = td_destroy,
    .freeze = td_freeze,
    .open = td_open,
    .enter_self = td_enter_self,
};
#elif TD_KIND == 3
#define TD_LOG(op, ...) TD_FORWARD(struct wb_log_ops, op, __VA_ARGS__)

static int td_open(void *d, const struct wb_log_target *t, void **handle,
                   wb_error *err)
{
  *handle = NULL;
  TD_LOG(open, real_state, t, handle, err);
}

static int td_write(void *handle, int stream, const struct timespec *ts,
                    const void *buf, size_t len, wb_error *err)
{
  TD_LOG(write, handle, stream, ts, buf, len, err);
}

static void td_close(void *handle)
{
  const struct wb_log_ops *ops = real ? real->ops : NULL;
  td_fault("close", 0, 0);
  if (ops)
    ops->close(handle);
}

static int td_read(void *d, const struct wb_log_target *t,
                   const struct wb_log_reader *reader, wb_error *err)
{
  TD_LOG(read, real_state, t, reader, err);
}

static int td_remove(void *d, const struct wb_log_target *t, wb_error *err)
{
  TD_LOG(remove, real_state, t, err);
}

static const struct wb_log_ops td_ops = {
    .size = sizeof(struct wb_log_ops),
    .open = td_open,
    .write = td_write,
    .close = td_close,
    .read = td_read,
    .remove = td_remove,
};
#else
#error "TD_KIND must be 1, 2 or 3"
#endif

static const struct wb_plugin td_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = TD_KIND,
    .name = TD_FAULT,
    .version = "0.0-fault",
    .summary = "misbehaves on request (tests/plugins/faultdriver.c)",
    .init = td_init,
    .fini = td_fini,
    .probe = td_probe,
    .ops = &td_ops,
};

WB_PLUGIN_EXPORT const struct wb_plugin *WB_PLUGIN_ENTRY(uint32_t core_major,
                                                         uint32_t core_minor);
WB_PLUGIN_EXPORT const struct wb_plugin *WB_PLUGIN_ENTRY(uint32_t core_major,
                                                         uint32_t core_minor)
{
  (void)core_major;
  (void)core_minor;
  td_fault("entry", 0, 0);
  return &td_plugin;
}
