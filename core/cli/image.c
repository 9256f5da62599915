/* image: "image import|inspect|ls|rm|tag", Docker's management command;
 * all but inspect are the top-level verbs under another name. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox image COMMAND\n"
    "\n"
    "Manage images.\n"
    "\n"
    "Commands:\n"
    "  import    Import a root filesystem tarball as an image\n"
    "  inspect   Show details of one or more images (JSON)\n"
    "  ls        List images\n"
    "  rm        Remove one or more images\n"
    "  tag       Create a tag that refers to an image\n"
    "\n"
    "Run 'whalebox image COMMAND --help' for more about a command.\n";

static const char inspect_usage[] =
    "Usage: whalebox image inspect IMAGE [IMAGE...]\n"
    "\n"
    "Print a JSON array describing each image: Id, RepoTags, Created, Size,\n"
    "Config (Cmd, Entrypoint, Env, WorkingDir, User) and RootFS layers.\n";

/* Go's architecture names, as image configs use them. */
static const char *host_arch(struct utsname *u)
{
  if (uname(u) < 0)
    return "";
  if (strcmp(u->machine, "x86_64") == 0)
    return "amd64";
  if (strcmp(u->machine, "aarch64") == 0)
    return "arm64";
  return u->machine;
}

static json_t *inspect_one(const struct wb_image *img, json_t *doc)
{
  struct utsname u;
  json_t *tags = json_array();
  for (char **t = img->tags; *t; t++)
    json_array_append_new(tags, json_string(*t));
  json_t *layers = json_array();
  for (char **l = img->layers; *l; l++)
    json_array_append_new(layers, json_sprintf("sha256:%s", *l));
  json_t *history = json_object_get(doc, "history");
  json_t *last = json_array_get(history, json_array_size(history) - 1);
  const char *comment = json_string_value(json_object_get(last, "comment"));
  json_t *config = json_object_get(doc, "config");
  json_t *o =
      json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:I, s:O, s:{s:s, s:o}}", "Id",
                json_sprintf("sha256:%s", img->id), "RepoTags", tags, "Created",
                img->created, "Comment", comment ? comment : "", "Os", "linux",
                "Architecture", host_arch(&u), "Size", (json_int_t)img->size,
                "Config", config ? config : json_null(), "RootFS", "Type",
                "layers", "Layers", layers);
  return o;
}

static int image_inspect(struct wb_context *ctx, int argc, char **argv,
                         wb_error *err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  while ((c = wb_cli_getopt("image inspect", argc, argv, "h", opts, err)) !=
         -1) {
    if (c == 'h') {
      fputs(inspect_usage, stdout);
      return 0;
    }
    return wb_cli_bad_flag("image inspect", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "image inspect: requires at least 1 "
                        "argument");
  json_t *out = json_array();
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_image struct wb_image *img = NULL;
    cleanup_error wb_error e = WB_ERROR_INIT;
    json_t *doc = NULL;
    int r = wb_image_lookup(ctx->root, argv[i], &img, &e);
    if (r == 0)
      r = wb_image_load_json(ctx->root, img->id, &doc, &e);
    if (r < 0) {
      if (ret < 0)
        fprintf(stderr, "whalebox: %s\n", err->msg);
      ret = wb_error_set(err, -e.code, "%s", e.msg);
      continue;
    }
    json_array_append_new(out, inspect_one(img, doc));
    json_decref(doc);
  }
  /* Like docker: what was found is printed even when something was not. */
  json_dumpf(out, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
  putchar('\n');
  fflush(stdout);
  json_decref(out);
  return ret;
}

WB_COMMAND_GROUP(image, "image", "Manage images (import, inspect, ls, rm, tag)")
{
  int help = wb_cli_group_help("image", argc, argv, err);
  if (help < 0)
    return help;
  if (help || argc < 2) {
    fputs(usage_text, help ? stdout : stderr);
    return help ? 0 : WB_EXIT_FAILURE;
  }
  static const char *const map[] = {
      "import", "import", "save",    "save",    "load", "load",   "ls",
      "images", "list",   "images",  "rm",      "rmi",  "remove", "rmi",
      "tag",    "tag",    "history", "history", NULL};
  if (strcmp(argv[1], "inspect") == 0) {
    optind = 0; /* the subcommand's getopt starts afresh */
    return image_inspect(ctx, argc - 1, argv + 1, err);
  }
  return wb_cli_dispatch(ctx, "image", map, argc, argv, err);
}
