/* plugins: every driver in the plugin directory, with its probe result;
 * files that fail to load, crash or hang are listed with the reason.  Each
 * file is looked at in a child process with a time limit: a broken driver
 * is a line of the listing, never the end of it. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../driver_scan.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox plugins [--format json]\n"
    "\n"
    "List the drivers (*.so) in the plugin directory with kind, name,\n"
    "version, ABI, path and whether they can work on this host.\n";

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* In a child (driver_scan.h): load, init and probe one file. */
struct look {
  struct wb_context *ctx;
  char *path;
};

static json_t *describe(void *arg)
{
  const struct look *l = arg;
  cleanup_error wb_error e = WB_ERROR_INIT;
  cleanup_driver struct wb_driver *d = NULL;
  json_t *o = json_pack("{s:s}", "path", l->path);
  if (wb_driver_open(l->path, 0, NULL, &d, &e) < 0) {
    json_object_set_new(o, "status", json_string("error"));
    json_object_set_new(o, "error", json_string(e.msg));
    return o;
  }
  json_object_set_new(o, "kind", json_string(wb_kind_name(d->desc->kind)));
  json_object_set_new(o, "name", json_string(d->desc->name));
  json_object_set_new(o, "version", json_string(d->desc->version));
  cleanup_free char *abi =
      xasprintf("%u.%u", d->desc->abi_major, d->desc->abi_minor);
  json_object_set_new(o, "abi", json_string(abi));
  json_t *features = json_array();
  if (wb_driver_features(d) & WB_FEATURE_USERNS)
    json_array_append_new(features, json_string("userns"));
  json_object_set_new(o, "features", features);
  if (d->desc->summary)
    json_object_set_new(o, "summary", json_string(d->desc->summary));
  int r = wb_driver_init(d, &l->ctx->config, l->ctx->root, &e);
  if (r == 0)
    r = wb_driver_probe(d, &e);
  /* Crashed or hung: the driver is broken, not merely unusable here. */
  const char *status = r == 0                          ? "usable"
                       : d->guard.state != WB_GUARD_OK ? "error"
                                                       : "unusable";
  json_object_set_new(o, "status", json_string(status));
  if (r < 0)
    json_object_set_new(o, "error", json_string(e.msg));
  return o;
}

/* What the child said, or the one line saying how it ended. */
static json_t *listing_entry(struct wb_scan *s, const char *path)
{
  if (s->result && json_is_object(s->result) &&
      json_object_get(s->result, "path"))
    return json_incref(s->result);
  cleanup_free char *msg =
      xasprintf("driver %s: %s", path, s->failure ? s->failure : "no answer");
  return json_pack("{s:s, s:s, s:s}", "path", path, "status", "error", "error",
                   msg);
}

/* Each file is looked at in its own child, all at once (driver_scan.h). */
static json_t *list_drivers(struct wb_context *ctx, char **names, size_t count)
{
  cleanup_free struct wb_scan *scans = xzalloc((count + 1) * sizeof *scans);
  cleanup_free struct look *looks = xzalloc((count + 1) * sizeof *looks);
  for (size_t i = 0; i < count; i++) {
    looks[i] = (struct look){ctx, path_join(ctx->plugin_dir, names[i])};
    scans[i] = (struct wb_scan){.fn = describe, .arg = &looks[i]};
  }
  wb_scan_run(scans, count, wb_guard_scan_seconds(1));
  json_t *list = json_array();
  for (size_t i = 0; i < count; i++) {
    json_array_append_new(list, listing_entry(&scans[i], looks[i].path));
    wb_scan_clear(&scans[i]);
    free(looks[i].path);
  }
  return list;
}

WB_COMMAND(
    plugins, "plugins",
    "List the drivers in the plugin directory and whether they work here")
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool json = false;
  int c;
  while ((c = wb_cli_getopt("plugins", argc, argv, "+hf:", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'f' &&
        (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0))
      json = strcmp(optarg, "json") == 0;
    else if (c == 'f')
      return wb_error_set(
          err, -EINVAL, "plugins: --format %s: must be json or table", optarg);
    else
      return wb_cli_bad_flag("plugins", argv, err);
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL, "plugins: unexpected argument '%s'",
                        argv[optind]);

  cleanup_dir DIR *dir = opendir(ctx->plugin_dir);
  if (!dir)
    return wb_error_set(err, errno, "plugin directory %s", ctx->plugin_dir);
  cleanup_strv char **names = NULL;
  struct dirent *de;
  while ((de = readdir(dir))) {
    size_t n = strlen(de->d_name);
    if (n > 3 && strcmp(de->d_name + n - 3, ".so") == 0)
      strv_push(&names, de->d_name);
  }
  size_t count = strv_len(names);
  if (count)
    qsort(names, count, sizeof *names, cmp_str);

  json_t *list = list_drivers(ctx, names, count);
  if (json) {
    json_dumpf(list, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
  } else {
    printf("%-8s %-10s %-8s %-4s %-9s %s\n", "KIND", "NAME", "VERSION", "ABI",
           "STATUS", "PATH");
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
      const char *kind = json_string_value(json_object_get(o, "kind"));
      const char *name = json_string_value(json_object_get(o, "name"));
      const char *ver = json_string_value(json_object_get(o, "version"));
      const char *abi = json_string_value(json_object_get(o, "abi"));
      const char *error = json_string_value(json_object_get(o, "error"));
      printf("%-8s %-10s %-8s %-4s %-9s %s\n", kind ? kind : "-",
             name ? name : "-", ver ? ver : "-", abi ? abi : "-",
             json_string_value(json_object_get(o, "status")),
             json_string_value(json_object_get(o, "path")));
      if (error)
        printf("         %s\n", error);
    }
  }
  json_decref(list);
  return 0;
}
