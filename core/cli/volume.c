/* volume: create, list, inspect and remove named volumes. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "../volume/volume.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox volume COMMAND\n"
    "\n"
    "Manage volumes: directories under the state root that containers mount\n"
    "with -v NAME:/path (created on first use) and that outlive them.\n"
    "\n"
    "Commands:\n"
    "  create [NAME]        Create a volume (a random name without NAME)\n"
    "  ls [-q]              List volumes\n"
    "  inspect NAME...      Show volumes as JSON\n"
    "  rm [-f] NAME...      Remove volumes no container uses\n"
    "  prune [-a] [-f]      Remove unused anonymous volumes (-a: all unused)\n"
    "\n"
    "Options of the commands:\n"
    "  ls -q, --quiet       only the names\n"
    "  rm -f, --force       a missing volume is no error\n"
    "  prune -a, --all      every unused volume, not only anonymous ones\n"
    "  prune -f, --force    do not ask for confirmation\n"
    "  -h, --help           print this help\n";

/* Only -h/--help, then positional arguments. */
static int plain_args(const char *verb, int argc, char **argv, bool *help,
                      wb_error *err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  *help = false;
  while ((c = wb_cli_getopt(verb, argc, argv, "+h", opts, err)) != -1) {
    if (c != 'h')
      return wb_cli_bad_flag(verb, argv, err);
    *help = true;
  }
  return 0;
}

static int vol_create(struct wb_context *ctx, int argc, char **argv,
                      wb_error *err)
{
  bool help;
  int r = plain_args("volume create", argc, argv, &help, err);
  if (r < 0 || help) {
    if (help)
      fputs(usage_text, stdout);
    return r;
  }
  if (argc - optind > 1)
    return wb_error_set(err, -EINVAL,
                        "volume create: at most 1 argument: "
                        "[NAME]");
  cleanup_free char *name = NULL;
  r = wb_volume_create(ctx->root, optind < argc ? argv[optind] : NULL, false,
                       &name, NULL, err);
  if (r < 0)
    return r;
  printf("%s\n", name);
  return 0;
}

static int vol_ls(struct wb_context *ctx, int argc, char **argv, wb_error *err)
{
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool quiet = false;
  int c;
  while ((c = wb_cli_getopt("volume ls", argc, argv, "+qh", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c != 'q')
      return wb_cli_bad_flag("volume ls", argv, err);
    quiet = true;
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL, "volume ls: unexpected argument '%s'",
                        argv[optind]);
  cleanup_strv char **names = NULL;
  int r = wb_volume_list(ctx->root, &names, err);
  if (r < 0)
    return r;
  if (!quiet)
    printf("DRIVER    VOLUME NAME\n");
  for (char **n = names; *n; n++)
    if (quiet)
      printf("%s\n", *n);
    else
      printf("local     %s\n", *n);
  return 0;
}

static int vol_inspect(struct wb_context *ctx, int argc, char **argv,
                       wb_error *err)
{
  bool help;
  int r = plain_args("volume inspect", argc, argv, &help, err);
  if (r < 0 || help) {
    if (help)
      fputs(usage_text, stdout);
    return r;
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"volume inspect\" requires at least "
                        "1 argument: NAME...");
  json_t *out = json_array();
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    json_t *doc = NULL;
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (wb_volume_inspect(ctx->root, argv[i], &doc, &e) < 0) {
      if (ret < 0)
        fprintf(stderr, "whalebox: %s\n", err->msg);
      ret = wb_error_set(err, -e.code, "%s", e.msg);
      continue;
    }
    json_array_append_new(out, doc);
  }
  /* Like docker: what was found is printed even when something was not. */
  json_dumpf(out, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
  putchar('\n');
  fflush(stdout);
  json_decref(out);
  return ret;
}

static int vol_rm(struct wb_context *ctx, int argc, char **argv, wb_error *err)
{
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool force = false;
  int c;
  while ((c = wb_cli_getopt("volume rm", argc, argv, "+fh", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c != 'f')
      return wb_cli_bad_flag("volume rm", argv, err);
    force = true;
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"volume rm\" requires at least 1 "
                        "argument: NAME...");
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    int r = wb_volume_remove(ctx->root, argv[i], NULL, &e);
    /* -f: a missing volume is not an error; one in use still is. */
    if (r == -ENOENT && force)
      continue;
    if (r < 0) {
      if (ret < 0)
        fprintf(stderr, "whalebox: %s\n", err->msg);
      ret = wb_error_set(err, -e.code, "%s", e.msg);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  fflush(stdout);
  return ret;
}

static bool confirm(const char *question)
{
  fprintf(stderr, "%s [y/N] ", question);
  fflush(stderr);
  char line[16];
  if (!fgets(line, sizeof line, stdin))
    return false;
  return line[0] == 'y' || line[0] == 'Y';
}

static int vol_prune(struct wb_context *ctx, int argc, char **argv,
                     wb_error *err)
{
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool all = false, force = false;
  int c;
  while ((c = wb_cli_getopt("volume prune", argc, argv, "+afh", opts, err)) !=
         -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'a')
      all = true;
    else if (c == 'f')
      force = true;
    else
      return wb_cli_bad_flag("volume prune", argv, err);
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL, "volume prune: unexpected argument '%s'",
                        argv[optind]);
  if (!force &&
      !confirm(all ? "WARNING! This will remove all volumes not used by at "
                     "least one container.\nAre you sure you want to "
                     "continue?"
                   : "WARNING! This will remove anonymous volumes not used "
                     "by at least one container.\nAre you sure you want to "
                     "continue?"))
    return 0;
  cleanup_strv char **removed = NULL;
  uint64_t freed = 0;
  int r = wb_volume_prune(ctx->root, all, &removed, &freed, err);
  if (r < 0)
    return r;
  if (removed[0]) {
    printf("Deleted Volumes:\n");
    for (char **n = removed; *n; n++)
      printf("%s\n", *n);
    printf("\n");
  }
  cleanup_free char *size = wb_human_size(freed);
  printf("Total reclaimed space: %s\n", size);
  return 0;
}

WB_COMMAND_GROUP(volume, "volume",
                 "Manage volumes (create, ls, inspect, rm, prune)")
{
  int help = wb_cli_group_help("volume", argc, argv, err);
  if (help < 0)
    return help;
  if (help || argc < 2) {
    fputs(usage_text, help ? stdout : stderr);
    return help ? 0 : WB_EXIT_FAILURE;
  }
  static const struct {
    const char *name;
    int (*fn)(struct wb_context *, int, char **, wb_error *);
  } subs[] = {{"create", vol_create},   {"ls", vol_ls}, {"list", vol_ls},
              {"inspect", vol_inspect}, {"rm", vol_rm}, {"remove", vol_rm},
              {"prune", vol_prune}};
  optind = 0; /* the subcommand's getopt starts afresh */
  for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
    if (strcmp(argv[1], subs[i].name) == 0)
      return subs[i].fn(ctx, argc - 1, argv + 1, err);
  return wb_error_set(err, -EINVAL,
                      "volume: unknown command '%s'; see 'whalebox volume "
                      "--help'",
                      argv[1]);
}
