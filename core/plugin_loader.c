#include "plugin_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver_host.h"
#include "driver_ops.h"
#include "elf_check.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/size.h"
#include "util/xalloc.h"

/* Smallest descriptor and ops tables ABI 1.0 defines. */
#define DESC_V1_0_SIZE (offsetof(struct wb_plugin, ops) + sizeof(void *))
#define STORAGE_V1_0_SIZE                                                      \
  (offsetof(struct wb_storage_ops, diff) + sizeof(void *))
#define CGROUP_V1_0_SIZE                                                       \
  (offsetof(struct wb_cgroup_ops, freeze) + sizeof(void *))
#define LOG_V1_0_SIZE (offsetof(struct wb_log_ops, remove) + sizeof(void *))

static const char *const kind_names[] = {NULL, "storage", "cgroup", "log",
                                         "network"};

const char *wb_kind_name(uint32_t kind)
{
  if (kind >= 1 && kind <= WB_PLUGIN_NETWORK)
    return kind_names[kind];
  return "unknown";
}

uint32_t wb_kind_from_name(const char *name)
{
  for (uint32_t k = 1; k <= WB_PLUGIN_NETWORK; k++)
    if (strcmp(name, kind_names[k]) == 0)
      return k;
  return 0;
}

char *wb_driver_path(const char *plugin_dir, uint32_t kind, const char *arg)
{
  if (arg[0] == '/')
    return xstrdup(arg);
  const char *kn = wb_kind_name(kind);
  size_t kl = strlen(kn);
  /* Accept both "overlay" and "storage-overlay". */
  if (strncmp(arg, kn, kl) == 0 && arg[kl] == '-')
    arg += kl + 1;
  return xasprintf("%s/%s-%s.so", plugin_dir, kn, arg);
}

static bool valid_name(const char *s)
{
  if (!s || !*s || strlen(s) > 64)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
          *s == '_'))
      return false;
  return true;
}

/* A readable, printable string of bounded length: a descriptor from a
 * broken driver must not make us print garbage. */
static bool valid_text(const char *s)
{
  if (!s)
    return false;
  for (size_t i = 0; i < 256; i++) {
    if (s[i] == '\0')
      return true;
    if ((unsigned char)s[i] < 0x20)
      return false;
  }
  return false;
}

static size_t ops_min_size(uint32_t kind)
{
  switch (kind) {
  case WB_PLUGIN_STORAGE:
    return STORAGE_V1_0_SIZE;
  case WB_PLUGIN_CGROUP:
    return CGROUP_V1_0_SIZE;
  case WB_PLUGIN_LOG:
    return LOG_V1_0_SIZE;
  default:
    return 0;
  }
}

/* Required ops per kind; the rest may be NULL. */
static const char *missing_op(uint32_t kind, const void *ops)
{
  if (kind == WB_PLUGIN_STORAGE) {
    const struct wb_storage_ops *o = ops;
    if (!o->create)
      return "create";
    if (!o->mount)
      return "mount";
    if (!o->remove)
      return "remove";
  } else if (kind == WB_PLUGIN_CGROUP) {
    const struct wb_cgroup_ops *o = ops;
    if (!o->create)
      return "create";
    if (!o->apply)
      return "apply";
    if (!o->enter)
      return "enter";
    if (!o->destroy)
      return "destroy";
  } else if (kind == WB_PLUGIN_LOG) {
    const struct wb_log_ops *o = ops;
    if (!o->open)
      return "open";
    if (!o->write)
      return "write";
    if (!o->close)
      return "close";
  }
  return NULL;
}

/* Cheap checks before dlopen, for clear messages: exists, regular, ELF. */
static int precheck_file(const char *path, wb_error *err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT)
      return wb_error_set(err, -ENOENT, "driver %s not found", path);
    return wb_error_set(err, errno, "driver %s", path);
  }
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wb_error_set(err, errno, "driver %s", path);
  if (!S_ISREG(st.st_mode))
    return wb_error_set(err, -EINVAL, "driver %s: not a regular file", path);
  return wb_elf_check(fd, path, err);
}

/* A driver is found by its file name, recorded by it in containers and
 * listed by it: the name must say what the driver is, <kind>-<name>.so,
 * whether it is found in the plugin directory or given by path. */
static int check_file_name(const char *path, const struct wb_plugin *p,
                           wb_error *err)
{
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *kind = wb_kind_name(p->kind);
  cleanup_free char *want = xasprintf("%s-%s.so", kind, p->name);
  if (strcmp(base, want) == 0)
    return 0;
  size_t len = strlen(base);
  const char *dash = strchr(base, '-');
  cleanup_free char *file_kind =
      dash ? xstrndup(base, (size_t)(dash - base)) : NULL;
  bool named = dash && len > 3 && strcmp(base + len - 3, ".so") == 0 &&
               wb_kind_from_name(file_kind) != 0;
  if (named && strcmp(file_kind, kind) != 0)
    return wb_error_set(err, -EPROTO,
                        "driver %s: is a %s driver, but its file name says %s",
                        path, kind, file_kind);
  if (named) {
    cleanup_free char *file_name =
        xstrndup(dash + 1, len - 3 - (size_t)(dash + 1 - base));
    return wb_error_set(
        err, -EPROTO,
        "driver %s: declares name '%s', but its file name says '%s'", path,
        p->name, file_name);
  }
  return wb_error_set(err, -EPROTO,
                      "driver %s: file name must be <kind>-<name>.so (%s for "
                      "this driver)",
                      path, want);
}

static int validate(struct wb_driver *d, uint32_t want_kind,
                    const char *want_name, wb_error *err)
{
  const struct wb_plugin *p = d->desc;
  const char *path = d->path;
  if (!p)
    return wb_error_set(err, -EINVAL, "driver %s: %s() returned NULL", path,
                        WB_PLUGIN_ENTRY_NAME);
  if (p->abi_major != WB_PLUGIN_ABI_MAJOR)
    return wb_error_set(
        err, -EPROTO,
        "driver %s: built for plugin ABI %u.%u, this whalebox speaks %u.%u "
        "(major versions differ); rebuild the driver",
        path, p->abi_major, p->abi_minor, WB_PLUGIN_ABI_MAJOR,
        WB_PLUGIN_ABI_MINOR);
  if (p->abi_minor > WB_PLUGIN_ABI_MINOR)
    return wb_error_set(err, -EPROTO,
                        "driver %s: needs plugin ABI %u.%u, newer than this "
                        "whalebox's %u.%u; upgrade whalebox",
                        path, p->abi_major, p->abi_minor, WB_PLUGIN_ABI_MAJOR,
                        WB_PLUGIN_ABI_MINOR);
  if (p->size < DESC_V1_0_SIZE)
    return wb_error_set(err, -EPROTO,
                        "driver %s: descriptor is %u bytes, ABI 1.0 needs %zu",
                        path, p->size, (size_t)DESC_V1_0_SIZE);
  if (p->kind < WB_PLUGIN_STORAGE || p->kind > WB_PLUGIN_LOG)
    return wb_error_set(err, -EPROTO, "driver %s: unsupported kind %u", path,
                        p->kind);
  if (want_kind && p->kind != want_kind)
    return wb_error_set(err, -EPROTO,
                        "driver %s: is a %s driver, not a %s driver", path,
                        wb_kind_name(p->kind), wb_kind_name(want_kind));
  if (!valid_name(p->name))
    return wb_error_set(err, -EPROTO,
                        "driver %s: invalid name (want [a-z0-9_-], 1-64 chars)",
                        path);
  if (!valid_text(p->version))
    return wb_error_set(err, -EPROTO, "driver %s: invalid version string",
                        path);
  if (p->summary && !valid_text(p->summary))
    return wb_error_set(err, -EPROTO, "driver %s: invalid summary", path);
  if (want_name && strcmp(p->name, want_name) != 0)
    return wb_error_set(err, -EPROTO,
                        "driver %s: declares name '%s', expected '%s'", path,
                        p->name, want_name);
  int r = check_file_name(path, p, err);
  if (r < 0)
    return r;
  if (!p->init || !p->probe)
    return wb_error_set(err, -EPROTO, "driver %s: has no %s()", path,
                        p->init ? "probe" : "init");
  const uint32_t *ops = p->ops;
  if (!ops)
    return wb_error_set(err, -EPROTO, "driver %s: has no ops table", path);
  if (*ops < ops_min_size(p->kind))
    return wb_error_set(
        err, -EPROTO, "driver %s: %s ops table is %u bytes, ABI 1.0 needs %zu",
        path, wb_kind_name(p->kind), *ops, ops_min_size(p->kind));
  const char *op = missing_op(p->kind, ops);
  if (op)
    return wb_error_set(err, -EPROTO, "driver %s: required op %s() is missing",
                        path, op);
  d->driver_ops = ops;
  return 0;
}

bool wb_driver_ops_cover(const struct wb_driver *d, size_t end)
{
  const uint32_t *size = d->ops;
  return size && *size >= end;
}

uint64_t wb_driver_features(const struct wb_driver *d)
{
  const struct wb_plugin *p = d->desc;
  if (p->abi_minor < 1 ||
      p->size < offsetof(struct wb_plugin, features) + sizeof p->features)
    return 0;
  return p->features;
}

/* dlopen, the getter and validate(): everything that runs the driver's
 * code (constructors, getter) or reads its memory (descriptor strings)
 * before it is known to be sound. */
struct load_call {
  struct wb_driver *d;
  uint32_t want_kind;
  const char *want_name;
};

static int load_and_validate(void *arg, wb_error *err)
{
  struct load_call *l = arg;
  struct wb_driver *d = l->d;
  d->dl = dlopen(d->path, RTLD_NOW | RTLD_LOCAL);
  if (!d->dl) {
    const char *why = dlerror();
    return wb_error_set(err, -ENOEXEC, "driver %s: cannot load: %s", d->path,
                        why ? why : "unknown error");
  }
  dlerror();
  wb_plugin_entry_fn entry =
      (wb_plugin_entry_fn)dlsym(d->dl, WB_PLUGIN_ENTRY_NAME);
  if (!entry)
    return wb_error_set(err, -ENOEXEC,
                        "driver %s: not a whalebox driver (no %s symbol)",
                        d->path, WB_PLUGIN_ENTRY_NAME);
  d->desc = entry(WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR);
  return validate(d, l->want_kind, l->want_name, err);
}

int wb_driver_open(const char *path, uint32_t want_kind, const char *want_name,
                   struct wb_driver **out, wb_error *err)
{
  int r = precheck_file(path, err);
  if (r < 0)
    return r;
  struct wb_driver *d = xzalloc(sizeof *d);
  d->path = xstrdup(path);
  cleanup_free char *who = xasprintf("driver %s", path);
  d->guard.who = who;
  struct load_call l = {d, want_kind, want_name};
  r = wb_guard_call(&d->guard, "load", WB_LIMIT_QUICK, false, load_and_validate,
                    &l, err);
  if (r < 0) {
    wb_driver_free(d);
    return r;
  }
  d->label = xasprintf("%s-%s", wb_kind_name(d->desc->kind), d->desc->name);
  d->guard.who = d->label;
  wb_driver_wrap_ops(d);
  *out = d;
  return 0;
}

/* ---- host services ------------------------------------------------------ */

/* The driver's config group as the typed settings of driver_host.c (after
 * check_options, so every setting is of a type its option allows). */
static void load_settings(struct wb_driver *d)
{
  d->services.label = xstrdup(d->label);
  int n = d->group ? config_setting_length(d->group) : 0;
  for (int i = 0; i < n; i++) {
    config_setting_t *s = config_setting_get_elem(d->group, i);
    const char *key = config_setting_name(s);
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
      wb_driver_services_add(&d->services, WB_OPTION_STRING, key,
                             config_setting_get_string(s), 0);
      break;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
      wb_driver_services_add(&d->services, WB_OPTION_INT, key, NULL,
                             config_setting_get_int64(s));
      break;
    case CONFIG_TYPE_BOOL:
      wb_driver_services_add(&d->services, WB_OPTION_BOOL, key, NULL,
                             config_setting_get_bool(s));
      break;
    default:
      break;
    }
  }
}

static const struct wb_option *find_option(const struct wb_option *opts,
                                           const char *name)
{
  for (; opts && opts->name; opts++)
    if (strcmp(opts->name, name) == 0)
      return opts;
  return NULL;
}

/* Unknown keys and wrong types in the driver's group are errors. */
static int check_options(struct wb_driver *d, const struct wb_config *cfg,
                         wb_error *err)
{
  if (!d->group)
    return 0;
  const char *file = cfg && cfg->path ? cfg->path : "<config>";
  int n = config_setting_length(d->group);
  for (int i = 0; i < n; i++) {
    config_setting_t *s = config_setting_get_elem(d->group, i);
    const char *key = config_setting_name(s);
    unsigned line = config_setting_source_line(s);
    const struct wb_option *o = find_option(d->desc->options, key);
    if (!o)
      return wb_error_set(err, -EINVAL, "%s:%u: unknown setting '%s.%s.%s'",
                          file, line, wb_kind_name(d->desc->kind),
                          d->desc->name, key);
    int t = config_setting_type(s);
    bool ok;
    int64_t v;
    switch (o->type) {
    case WB_OPTION_STRING:
      ok = t == CONFIG_TYPE_STRING;
      break;
    case WB_OPTION_INT:
      ok = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
      break;
    case WB_OPTION_BOOL:
      ok = t == CONFIG_TYPE_BOOL;
      break;
    case WB_OPTION_SIZE:
      ok = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
           (t == CONFIG_TYPE_STRING &&
            parse_size(config_setting_get_string(s), &v) == 0);
      break;
    default:
      ok = false;
    }
    if (!ok) {
      static const char *const tn[] = {"?", "a string", "an integer",
                                       "a boolean", "a size (e.g. \"10m\")"};
      return wb_error_set(err, -EINVAL, "%s:%u: '%s.%s.%s' must be %s", file,
                          line, wb_kind_name(d->desc->kind), d->desc->name, key,
                          o->type >= 1 && o->type <= 4 ? tn[o->type] : "?");
    }
  }
  return 0;
}

static int run_init(void *arg, wb_error *err)
{
  struct wb_driver *d = arg;
  return d->desc->init(&d->host, &d->state, err);
}

int wb_driver_init(struct wb_driver *d, const struct wb_config *cfg,
                   const char *state_root, wb_error *err)
{
  d->group = cfg ? wb_config_driver_group(cfg, wb_kind_name(d->desc->kind),
                                          d->desc->name)
                 : NULL;
  int r = check_options(d, cfg, err);
  if (r < 0)
    return r;
  cleanup_free char *drivers = path_join(state_root, "drivers");
  d->driver_dir = path_join(drivers, d->label);
  r = mkdir_p(d->driver_dir, 0700, err);
  if (r < 0)
    return r;
  load_settings(d);
  wb_driver_host_fill(&d->host, &d->services, state_root, d->driver_dir);
  r = wb_guard_call(&d->guard, "init", WB_LIMIT_CALL, false, run_init, d, err);
  if (r < 0)
    return r;
  d->initialised = true;
  return 0;
}

static int run_probe(void *arg, wb_error *err)
{
  struct wb_driver *d = arg;
  return d->desc->probe(d->state, err);
}

int wb_driver_probe(struct wb_driver *d, wb_error *err)
{
  return wb_guard_call(&d->guard, "probe", WB_LIMIT_QUICK, false, run_probe, d,
                       err);
}

static int run_fini(void *arg, wb_error *err)
{
  (void)err;
  struct wb_driver *d = arg;
  d->desc->fini(d->state);
  return 0;
}

/* dlclose runs the driver's destructors. */
static int run_unload(void *arg, wb_error *err)
{
  (void)err;
  struct wb_driver *d = arg;
  dlclose(d->dl);
  return 0;
}

void wb_driver_free(struct wb_driver *d)
{
  if (!d)
    return;
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (d->guard.state == WB_GUARD_OK && d->initialised && d->desc->fini &&
      wb_guard_call(&d->guard, "fini", WB_LIMIT_QUICK, false, run_fini, d, &e) <
          0)
    wb_log(WB_LOG_WARN, "%s", e.msg);
  /* A driver that faulted keeps its code mapped: its destructors would run
   * the broken code again, and a pointer into it may still be about. */
  if (d->dl && d->guard.state == WB_GUARD_OK &&
      wb_guard_call(&d->guard, "unload", WB_LIMIT_QUICK, false, run_unload, d,
                    &e) < 0)
    wb_log(WB_LOG_WARN, "%s", e.msg);
  wb_guard_clear(&d->guard);
  free(d->left_behind);
  free(d->path);
  free(d->label);
  free(d->driver_dir);
  wb_driver_services_clear(&d->services);
  free(d);
}
