#include "context.h"

#include <errno.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

int wb_context_init(struct wb_context *ctx, const char *config_path,
                    wb_error *err)
{
  int r = wb_config_load(&ctx->config, config_path, err);
  if (r < 0)
    return r;
  if (!ctx->root)
    ctx->root = xstrdup(ctx->config.root);
  if (!ctx->plugin_dir)
    ctx->plugin_dir = xstrdup(ctx->config.plugin_dir);
  if (ctx->root[0] != '/')
    return wb_error_set(err, -EINVAL, "--root %s: must be an absolute path",
                        ctx->root);
  wb_guard_set_timeouts(ctx->config.driver_timeout,
                        ctx->config.driver_data_timeout);
  const char *conf[] = {
      [WB_PLUGIN_STORAGE] = ctx->config.storage_driver,
      [WB_PLUGIN_CGROUP] = ctx->config.cgroup_driver,
      [WB_PLUGIN_LOG] = ctx->config.log_driver,
  };
  for (uint32_t k = WB_PLUGIN_STORAGE; k <= WB_PLUGIN_LOG; k++) {
    if (ctx->driver_arg[k]) {
      ctx->driver_from[k] = "flag";
      continue;
    }
    ctx->driver_arg[k] = xstrdup(conf[k]);
    cleanup_free char *key = xasprintf("%s.driver", wb_kind_name(k));
    bool in_file =
        ctx->config.loaded && config_lookup(&ctx->config.cfg, key) != NULL;
    ctx->driver_from[k] = in_file ? "config" : "default";
  }
  return 0;
}

void wb_context_free(struct wb_context *ctx)
{
  for (int k = 0; k <= WB_PLUGIN_NETWORK; k++) {
    wb_driver_free(ctx->driver[k]);
    free(ctx->driver_arg[k]);
  }
  for (size_t i = 0; i < sizeof ctx->extra / sizeof *ctx->extra; i++)
    wb_driver_free(ctx->extra[i]);
  wb_config_free(&ctx->config);
  free(ctx->root);
  free(ctx->plugin_dir);
  free(ctx->cgroup_reason);
  memset(ctx, 0, sizeof *ctx);
}

int wb_context_load_driver(struct wb_context *ctx, uint32_t kind,
                           const char *arg, struct wb_driver **out,
                           wb_error *err)
{
  cleanup_free char *path = wb_driver_path(ctx->plugin_dir, kind, arg);
  /* A driver found by name must declare that name: "dup-b" must not load
   * a file that calls itself "dup". */
  const char *want = NULL;
  if (arg[0] != '/') {
    const char *kn = wb_kind_name(kind);
    size_t kl = strlen(kn);
    want = strncmp(arg, kn, kl) == 0 && arg[kl] == '-' ? arg + kl + 1 : arg;
  }
  cleanup_driver struct wb_driver *d = NULL;
  int r = wb_driver_open(path, kind, want, &d, err);
  if (r < 0)
    return r;
  r = wb_driver_init(d, &ctx->config, ctx->root, err);
  if (r < 0)
    return r;
  r = wb_driver_probe(d, err);
  /* A probe that crashed or hung says so itself: the driver is broken,
   * not unsuited to this host. */
  if (r < 0 && d->guard.state == WB_GUARD_OK)
    return wb_error_prefix(err, "%s driver '%s' cannot be used on this host",
                           wb_kind_name(kind), arg);
  if (r < 0)
    return r;
  *out = steal_pointer(&d);
  return 0;
}

static bool is_auto(const char *arg)
{
  return strcmp(arg, "auto") == 0;
}

/* <root>/run/cgroup-auto: the choice of "auto", kept for the boot in the
 * runroot (container/runroot.c).  Only when the runroot is on a tmpfs: a
 * file on disk would outlive the boot. */
static char *auto_choice_path(const struct wb_context *ctx, bool to_write)
{
  cleanup_free char *run = path_join(ctx->root, "run");
  struct statfs fs;
  if (to_write && !(statfs(run, &fs) == 0 && fs.f_type == TMPFS_MAGIC))
    return NULL;
  return path_join(run, "cgroup-auto");
}

/* The choice made earlier in this boot, loaded and probed again (a probe
 * that now fails sends "auto" through the whole order): every command
 * after the first loads one cgroup driver, not both. */
static int load_remembered_cgroup(struct wb_context *ctx,
                                  struct wb_driver **out)
{
  cleanup_free char *path = auto_choice_path(ctx, false);
  cleanup_free char *name = NULL;
  if (read_file(path, &name, NULL, NULL) < 0)
    return -ENOENT;
  name[strcspn(name, "\n")] = '\0';
  if (strcmp(name, "v1") != 0 && strcmp(name, "v2") != 0)
    return -EINVAL;
  cleanup_error wb_error ignored = WB_ERROR_INIT;
  int r = wb_context_load_driver(ctx, WB_PLUGIN_CGROUP, name, out, &ignored);
  if (r == 0)
    ctx->cgroup_reason =
        xasprintf("auto: cgroup-%s usable (chosen earlier in this boot)", name);
  return r;
}

/* cgroup "auto": the first of v2, v1 whose probe passes; the reason
 * records why the ones before it were passed over. */
static int load_auto_cgroup(struct wb_context *ctx, struct wb_driver **out,
                            wb_error *err)
{
  if (load_remembered_cgroup(ctx, out) == 0)
    return 0;
  static const char *const order[] = {"v2", "v1"};
  wb_error skipped[2] = {WB_ERROR_INIT, WB_ERROR_INIT};
  int r = -ENODEV;
  size_t i;
  for (i = 0; i < 2 && r < 0; i++)
    r = wb_context_load_driver(ctx, WB_PLUGIN_CGROUP, order[i], out,
                               &skipped[i]);
  if (r == 0 && i == 1)
    ctx->cgroup_reason = xasprintf("auto: cgroup-v2 usable");
  else if (r == 0)
    ctx->cgroup_reason =
        xasprintf("auto: cgroup-v1 usable; skipped %s", skipped[0].msg);
  else
    wb_error_set(err, -ENODEV, "no usable cgroup driver: %s; %s",
                 skipped[0].msg, skipped[1].msg);
  wb_error_clear(&skipped[0]);
  wb_error_clear(&skipped[1]);
  cleanup_free char *remember = r == 0 ? auto_choice_path(ctx, true) : NULL;
  if (remember)
    write_file_atomic(remember, order[i - 1], strlen(order[i - 1]), 0, NULL);
  return r;
}

int wb_context_driver(struct wb_context *ctx, uint32_t kind,
                      struct wb_driver **out, wb_error *err)
{
  if (ctx->driver[kind]) {
    *out = ctx->driver[kind];
    return 0;
  }
  int r;
  const char *arg = ctx->driver_arg[kind];
  if (kind == WB_PLUGIN_CGROUP && is_auto(arg))
    r = load_auto_cgroup(ctx, &ctx->driver[kind], err);
  else {
    r = wb_context_load_driver(ctx, kind, arg, &ctx->driver[kind], err);
    if (r == 0 && kind == WB_PLUGIN_CGROUP)
      ctx->cgroup_reason =
          xasprintf("%s: cgroup.driver = %s", ctx->driver_from[kind], arg);
  }
  if (r < 0)
    return r;
  *out = ctx->driver[kind];
  return 0;
}

const char *wb_driver_ref(const struct wb_context *ctx,
                          const struct wb_driver *d)
{
  /* Drivers from the plugin directory are found again by name, so an
   * upgrade of the .so applies; others by their path. */
  cleanup_free char *by_name =
      wb_driver_path(ctx->plugin_dir, d->desc->kind, d->desc->name);
  return strcmp(by_name, d->path) == 0 ? d->desc->name : d->path;
}

static bool driver_matches(const struct wb_context *ctx,
                           const struct wb_driver *d, const char *name)
{
  return d && (strcmp(wb_driver_ref(ctx, d), name) == 0 ||
               strcmp(d->path, name) == 0);
}

int wb_context_driver_named(struct wb_context *ctx, uint32_t kind,
                            const char *name, struct wb_driver **out,
                            wb_error *err)
{
  if (driver_matches(ctx, ctx->driver[kind], name)) {
    *out = ctx->driver[kind];
    return 0;
  }
  size_t n = sizeof ctx->extra / sizeof *ctx->extra, i;
  for (i = 0; i < n && ctx->extra[i]; i++)
    if (ctx->extra[i]->desc->kind == kind &&
        driver_matches(ctx, ctx->extra[i], name)) {
      *out = ctx->extra[i];
      return 0;
    }
  if (i == n)
    return wb_error_set(err, -ENOSPC, "too many drivers in one command");
  int r = wb_context_load_driver(ctx, kind, name, &ctx->extra[i], err);
  if (r < 0)
    return r;
  *out = ctx->extra[i];
  return 0;
}
