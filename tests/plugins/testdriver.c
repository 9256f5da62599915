/* testdriver.c - one small source for every test driver, good or broken.
 *
 * tests/plugins/meson.build builds it many times; each build sets TD_KIND
 * (1 storage, 2 cgroup, 3 log), TD_NAME and at most one TD_BREAK_* macro
 * that breaks one rule of the ABI, so every loader check gets a driver that
 * violates exactly that rule and nothing else. */
#include <errno.h>
#include <stddef.h>
#include <whalebox/plugin.h>

#ifndef TD_KIND
#error "TD_KIND must be set"
#endif
#ifndef TD_NAME
#error "TD_NAME must be set"
#endif

#ifdef TD_BREAK_MAJOR
#define TD_ABI_MAJOR (WB_PLUGIN_ABI_MAJOR + 1)
#else
#define TD_ABI_MAJOR WB_PLUGIN_ABI_MAJOR
#endif
#ifdef TD_BREAK_MINOR
#define TD_ABI_MINOR (WB_PLUGIN_ABI_MINOR + 1)
#elif defined(TD_BREAK_MAJOR)
#define TD_ABI_MINOR 0 /* a driver for the first release of the next ABI */
#elif defined(TD_ABI_1_0)
/* Built as a driver of ABI 1.0 was: minor 0, a descriptor that ends at
 * ops.  Not broken: it must keep loading. */
#define TD_ABI_MINOR 0
#else
#define TD_ABI_MINOR WB_PLUGIN_ABI_MINOR
#endif

/* Options the good drivers accept, to test config group validation. */
static const struct wb_option td_options[] = {
    {"flavour", WB_OPTION_STRING, "a string option"},
    {"count", WB_OPTION_INT, "an integer option"},
    {"verbose", WB_OPTION_BOOL, "a boolean option"},
    {"limit", WB_OPTION_SIZE, "a size option such as \"10m\""},
    {NULL, 0, NULL},
};

/* The driver state is the host table itself: tests reach it through
 * struct wb_driver anyway, and keeping no heap state keeps fini trivial. */
static int td_init(const struct wb_host *host, void **driver, wb_error *err)
{
#ifdef TD_BREAK_INIT
  return host->error(host, err, -EINVAL, "init refused: test driver");
#else
  /* A size option that does not parse is the driver's to report. */
  int64_t limit;
  int r = host->config_int(host, "limit", &limit);
  if (r < 0 && r != -ENOENT)
    return host->error(host, err, -EINVAL, "bad limit");
  *driver = (void *)host;
  return 0;
#endif
}

static void td_fini(void *driver)
{
  (void)driver;
}

__attribute__((unused)) static int td_probe(void *driver, wb_error *err)
{
#ifdef TD_BREAK_PROBE
  const struct wb_host *host = driver;
  return host->error(host, err, -ENODEV, "%s", TD_BREAK_PROBE);
#else
  (void)driver;
  (void)err;
  return 0;
#endif
}

#if TD_KIND == 1
static int td_storage_op(void *driver, const struct wb_rootfs *fs,
                         wb_error *err)
{
  (void)driver;
  (void)fs;
  (void)err;
  return 0;
}

static const struct wb_storage_ops td_ops = {
#ifdef TD_BREAK_OPS_SIZE
    .size = sizeof(uint32_t),
#else
    .size = sizeof(struct wb_storage_ops),
#endif
    .create = td_storage_op,
#ifndef TD_BREAK_NULL_OP
    .mount = td_storage_op,
#endif
    .umount = td_storage_op,
    .remove = td_storage_op,
};
#elif TD_KIND == 2
static int td_cgroup_op(void *driver, const struct wb_cgroup *cg, wb_error *err)
{
  (void)driver;
  (void)cg;
  (void)err;
  return 0;
}

static int td_cgroup_apply(void *driver, const struct wb_cgroup *cg,
                           const struct wb_limits *limits, wb_error *err)
{
  (void)driver;
  (void)cg;
  (void)limits;
  (void)err;
  return 0;
}

static int td_cgroup_enter(void *driver, const struct wb_cgroup *cg, pid_t pid,
                           wb_error *err)
{
  (void)driver;
  (void)cg;
  (void)pid;
  (void)err;
  return 0;
}

/* Gives no fd: the loader tests only look at whether the op is seen. */
static int td_cgroup_open(void *driver, const struct wb_cgroup *cg, int *dirfd,
                          wb_error *err)
{
  (void)driver;
  (void)cg;
  (void)err;
  *dirfd = -1;
  return -ENOTSUP;
}

static const struct wb_cgroup_ops td_ops = {
#ifdef TD_ABI_1_0
    /* The table of ABI 1.0 ends at freeze.  open is filled in all the same,
     * standing for whatever follows a 1.0 driver's table in its memory: the
     * core must not read it. */
    .size = offsetof(struct wb_cgroup_ops, open),
#else
    .size = sizeof(struct wb_cgroup_ops),
#endif
    .create = td_cgroup_op,
    .apply = td_cgroup_apply,
    .enter = td_cgroup_enter,
    .destroy = td_cgroup_op,
    .open = td_cgroup_open,
};
#elif TD_KIND == 3
static int td_log_open(void *driver, const struct wb_log_target *t,
                       void **handle, wb_error *err)
{
  (void)t;
  (void)err;
  *handle = driver;
  return 0;
}

static int td_log_write(void *handle, int stream, const struct timespec *ts,
                        const void *buf, size_t len, wb_error *err)
{
  (void)handle;
  (void)stream;
  (void)ts;
  (void)buf;
  (void)err;
  return (int)len;
}

static void td_log_close(void *handle)
{
  (void)handle;
}

static const struct wb_log_ops td_ops = {
    .size = sizeof(struct wb_log_ops),
    .open = td_log_open,
    .write = td_log_write,
    .close = td_log_close,
};
#else
#error "TD_KIND must be 1, 2 or 3"
#endif

static const struct wb_plugin td_plugin = {
    .abi_major = TD_ABI_MAJOR,
    .abi_minor = TD_ABI_MINOR,
#ifdef TD_BREAK_DESC_SIZE
    .size = 16,
#elif defined(TD_ABI_1_0)
    .size = offsetof(struct wb_plugin, features),
#else
    .size = sizeof(struct wb_plugin),
#endif
    .kind = TD_KIND,
    .name = TD_NAME,
    .version = "0.0-test",
    .summary = "test driver (tests/plugins/testdriver.c)",
    .options = td_options,
    .init = td_init,
    .fini = td_fini,
#ifndef TD_BREAK_NO_PROBE
    .probe = td_probe,
#endif
    .ops = &td_ops,
};

#if defined(TD_BREAK_NO_GETTER)
/* Exports a symbol, just not the one the core looks for. */
WB_PLUGIN_EXPORT const struct wb_plugin *whalebox_plugin_entry_v0(void);
WB_PLUGIN_EXPORT const struct wb_plugin *whalebox_plugin_entry_v0(void)
{
  return &td_plugin;
}
#elif defined(TD_BREAK_NULL_ENTRY)
WB_PLUGIN_EXPORT const struct wb_plugin *WB_PLUGIN_ENTRY(uint32_t core_major,
                                                         uint32_t core_minor);
WB_PLUGIN_EXPORT const struct wb_plugin *WB_PLUGIN_ENTRY(uint32_t core_major,
                                                         uint32_t core_minor)
{
  (void)core_major;
  (void)core_minor;
  (void)&td_plugin; /* defined but deliberately not handed out */
  return NULL;
}
#else
WB_PLUGIN_DEFINE(td_plugin)
#endif
