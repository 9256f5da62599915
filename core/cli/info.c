/* info: host facts, configuration and the driver chosen per kind, and why.
 * Drivers are loaded and probed in child processes (driver_scan.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../driver_scan.h"
#include "../host_info.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox info [--format json]\n"
    "\n"
    "Show the version, kernel, cgroup mode, state root, plugin directory and\n"
    "the driver chosen for each kind, with the reason for the choice.\n";

/* Every cgroup candidate's probe result, for "auto". */
static json_t *cgroup_probes(struct wb_context *ctx)
{
  json_t *arr = json_array();
  static const char *const cand[] = {"v2", "v1"};
  for (size_t i = 0; i < 2; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    cleanup_driver struct wb_driver *d = NULL;
    int r = wb_context_load_driver(ctx, WB_PLUGIN_CGROUP, cand[i], &d, &e);
    cleanup_free char *name = xasprintf("cgroup-%s", cand[i]);
    json_array_append_new(arr, json_pack("{s:s, s:b, s:s?}", "driver", name,
                                         "usable", r == 0, "reason",
                                         r == 0 ? NULL : e.msg));
  }
  return arr;
}

static json_t *driver_entry(struct wb_context *ctx, uint32_t kind)
{
  cleanup_error wb_error e = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  int r = wb_context_driver(ctx, kind, &d, &e);
  json_t *o = json_pack("{s:s, s:s}", "requested", ctx->driver_arg[kind],
                        "from", ctx->driver_from[kind]);
  if (r == 0) {
    json_object_set_new(o, "driver", json_string(d->label));
    json_object_set_new(o, "version", json_string(d->desc->version));
    json_object_set_new(o, "path", json_string(d->path));
  } else {
    json_object_set_new(o, "error", json_string(e.msg));
  }
  if (kind == WB_PLUGIN_CGROUP) {
    if (r == 0 && ctx->cgroup_reason)
      json_object_set_new(o, "reason", json_string(ctx->cgroup_reason));
    if (strcmp(ctx->driver_arg[kind], "auto") == 0)
      json_object_set_new(o, "probes", cgroup_probes(ctx));
  }
  return o;
}

/* In a child (driver_scan.h): the choice for one kind. */
struct look {
  struct wb_context *ctx;
  uint32_t kind;
};

static json_t *look_at_kind(void *arg)
{
  const struct look *l = arg;
  return driver_entry(l->ctx, l->kind);
}

/* The drivers of every kind, each chosen in its own child, all at once:
 * a driver that crashes, hangs or prints to stdout is an error of its own
 * entry, never the end of `info` or a break in its JSON. */
static json_t *driver_entries(struct wb_context *ctx)
{
  struct wb_scan scans[WB_PLUGIN_LOG + 1] = {0};
  struct look looks[WB_PLUGIN_LOG + 1];
  for (uint32_t k = WB_PLUGIN_STORAGE; k <= WB_PLUGIN_LOG; k++) {
    looks[k] = (struct look){ctx, k};
    scans[k] = (struct wb_scan){.fn = look_at_kind, .arg = &looks[k]};
  }
  /* cgroup "auto" may load five: the remembered one, v2, v1 and the two
   * probes. */
  wb_scan_run(&scans[WB_PLUGIN_STORAGE], WB_PLUGIN_LOG,
              wb_guard_scan_seconds(5));
  json_t *drivers = json_object();
  for (uint32_t k = WB_PLUGIN_STORAGE; k <= WB_PLUGIN_LOG; k++) {
    json_t *o =
        json_is_object(scans[k].result) ? json_incref(scans[k].result) : NULL;
    if (!o) {
      cleanup_free char *msg =
          xasprintf("%s driver '%s': %s", wb_kind_name(k), ctx->driver_arg[k],
                    scans[k].failure ? scans[k].failure : "no answer");
      o = json_pack("{s:s, s:s, s:s}", "requested", ctx->driver_arg[k], "from",
                    ctx->driver_from[k], "error", msg);
    }
    json_object_set_new(drivers, wb_kind_name(k), o);
    wb_scan_clear(&scans[k]);
  }
  return drivers;
}

static void print_text(json_t *info)
{
  printf("Version:          %s\n",
         json_string_value(json_object_get(info, "version")));
  printf("Kernel:           %s\n",
         json_string_value(json_object_get(info, "kernel")));
  printf("Cgroup mode:      %s\n",
         json_string_value(json_object_get(info, "cgroup_mode")));
  printf("Config:           %s\n",
         json_string_value(json_object_get(info, "config")));
  printf("State root:       %s\n",
         json_string_value(json_object_get(info, "root")));
  printf("Plugin directory: %s\n",
         json_string_value(json_object_get(info, "plugin_dir")));
  printf("Cgroup parent:    %s\n",
         json_string_value(json_object_get(info, "cgroup_parent")));
  printf("Drivers:\n");
  json_t *drivers = json_object_get(info, "drivers");
  const char *kind;
  json_t *d;
  json_object_foreach(drivers, kind, d)
  {
    const char *name = json_string_value(json_object_get(d, "driver"));
    const char *error = json_string_value(json_object_get(d, "error"));
    printf("  %-8s %s (%s: %s)\n", kind, name ? name : "UNAVAILABLE",
           json_string_value(json_object_get(d, "from")),
           json_string_value(json_object_get(d, "requested")));
    if (error)
      printf("           error: %s\n", error);
    const char *reason = json_string_value(json_object_get(d, "reason"));
    if (reason)
      printf("           chosen: %s\n", reason);
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(d, "probes"), i, p)
    {
      const char *why = json_string_value(json_object_get(p, "reason"));
      printf("           probe %s: %s\n",
             json_string_value(json_object_get(p, "driver")), why ? why : "ok");
    }
  }
}

WB_COMMAND(info, "info",
           "Show the host, the configuration and the drivers chosen")
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool json = false;
  int c;
  while ((c = wb_cli_getopt("info", argc, argv, "+hf:", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'f' && strcmp(optarg, "json") == 0)
      json = true;
    else if (c == 'f' && strcmp(optarg, "table") == 0)
      json = false;
    else if (c == 'f')
      return wb_error_set(err, -EINVAL,
                          "info: --format %s: must be json or table", optarg);
    else
      return wb_cli_bad_flag("info", argv, err);
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL, "info: unexpected argument '%s'",
                        argv[optind]);
  struct utsname u;
  uname(&u);
  json_t *info = json_pack(
      "{s:s, s:i, s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "version", WB_VERSION,
      "abi_major", WB_PLUGIN_ABI_MAJOR, "abi_minor", WB_PLUGIN_ABI_MINOR,
      "kernel", u.release, "cgroup_mode", wb_host_cgroup_mode(), "config",
      ctx->config.path ? ctx->config.path : "(built-in defaults)", "root",
      ctx->root, "plugin_dir", ctx->plugin_dir, "cgroup_parent",
      ctx->config.cgroup_parent);
  json_object_set_new(info, "drivers", driver_entries(ctx));
  if (json) {
    json_dumpf(info, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
  } else {
    print_text(info);
  }
  json_decref(info);
  return 0;
}
