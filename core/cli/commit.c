/* commit: a container's changes become a new image. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../container/container.h"
#include "../image/transfer.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n"
    "\n"
    "Create a new image from a container's changes: one new layer over the\n"
    "image's layers, and the container's command, environment, working\n"
    "directory and user as the image's configuration.  Prints the id.\n"
    "\n"
    "Options:\n"
    "  -a, --author TEXT     author (e.g. \"Jane Doe <jane@example.com>\")\n"
    "  -c, --change INSTR    apply a Dockerfile instruction: CMD, ENTRYPOINT,\n"
    "                        ENV, WORKDIR or USER (repeatable)\n"
    "  -m, --message TEXT    commit message, shown by `history`\n"
    "  -p, --pause[=BOOL]    freeze a running container while its changes are\n"
    "                        captured (default true; -p=false to not)\n"
    "  -h, --help            print this help\n";

/* "-p=false" reaches us as "=false". */
static int parse_bool(const char *arg, bool *out, wb_error *err)
{
  if (!arg) {
    *out = true;
    return 0;
  }
  if (*arg == '=')
    arg++;
  if (strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
    *out = true;
    return 0;
  }
  if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
    *out = false;
    return 0;
  }
  return wb_error_set(err, -EINVAL,
                      "commit: invalid value \"%s\" for --pause: true or "
                      "false",
                      arg);
}

WB_COMMAND(commit, "commit", "Create a new image from a container's changes")
{
  static const struct option opts[] = {
      {"author", required_argument, NULL, 'a'},
      {"change", required_argument, NULL, 'c'},
      {"message", required_argument, NULL, 'm'},
      {"pause", optional_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cleanup_strv char **changes = xzalloc(sizeof(char *));
  struct wb_commit_opts o = {.pause = true};
  int c, r;
  while ((c = wb_cli_getopt("commit", argc, argv, "+a:c:m:p::h", opts, err)) !=
         -1) {
    switch (c) {
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'a':
      o.author = optarg;
      break;
    case 'c':
      strv_push(&changes, optarg);
      break;
    case 'm':
      o.message = optarg;
      break;
    case 'p':
      if ((r = parse_bool(optarg, &o.pause, err)) < 0)
        return r;
      break;
    default:
      return wb_cli_bad_flag("commit", argv, err);
    }
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"commit\" requires at least 1 argument: CONTAINER "
                        "[REPOSITORY[:TAG]]");
  if (argc - optind > 2)
    return wb_error_set(err, -EINVAL, "commit: unexpected argument '%s'",
                        argv[optind + 2]);
  o.changes = (const char *const *)changes;
  o.tag = argc - optind == 2 ? argv[optind + 1] : NULL;
  cleanup_container struct wb_container *ct = NULL;
  r = wb_container_load(ctx->root, argv[optind], &ct, err);
  if (r < 0)
    return r;
  cleanup_free char *id = NULL;
  r = wb_image_commit(ctx, ct, &o, &id, err);
  if (r < 0)
    return wb_error_prefix(err, "commit %s", argv[optind]);
  printf("sha256:%s\n", id);
  return 0;
}
