/* plugins: every driver in the plugin directory, with its probe result;
 * files that fail to load are listed with the reason. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *describe(struct wb_context *ctx, const char *path, json_t *seen)
{
  cleanup_error wb_error e = WB_ERROR_INIT;
  cleanup_driver struct wb_driver *d = NULL;
  json_t *o = json_pack("{s:s}", "path", path);
  if (wb_driver_open(path, 0, NULL, &d, &e) < 0) {
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
  json_t *first = json_object_get(seen, d->label);
  if (first) {
    cleanup_free char *msg = xasprintf(
        "driver %s: duplicates %s driver '%s' of %s", path,
        wb_kind_name(d->desc->kind), d->desc->name, json_string_value(first));
    json_object_set_new(o, "status", json_string("error"));
    json_object_set_new(o, "error", json_string(msg));
    return o;
  }
  json_object_set_new(seen, d->label, json_string(path));
  int r = wb_driver_init(d, &ctx->config, ctx->root, &e);
  if (r == 0)
    r = wb_driver_probe(d, &e);
  json_object_set_new(o, "status", json_string(r == 0 ? "usable" : "unusable"));
  if (r < 0)
    json_object_set_new(o, "error", json_string(e.msg));
  return o;
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

  json_t *list = json_array();
  json_t *seen = json_object();
  for (size_t i = 0; i < count; i++) {
    cleanup_free char *path = path_join(ctx->plugin_dir, names[i]);
    json_array_append_new(list, describe(ctx, path, seen));
  }
  json_decref(seen);
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
