/* container: "container ls|inspect|logs|rm|prune|...", Docker's management
 * command.  All but prune are the top-level verbs under another name. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../container/control.h"
#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox container COMMAND\n"
    "\n"
    "Manage containers.\n"
    "\n"
    "Commands:\n"
    "  exec      Run a command in a running container\n"
    "  inspect   Show details of one or more containers (JSON)\n"
    "  kill      Send a signal to running containers\n"
    "  logs      Print the output of a container\n"
    "  ls        List containers (also: ps, list)\n"
    "  pause     Pause all processes within containers\n"
    "  prune     Remove all stopped containers\n"
    "  restart   Stop and start containers again\n"
    "  rm        Remove one or more containers\n"
    "  run       Create and run a new container from an image\n"
    "  start     Start stopped containers\n"
    "  stop      Stop running containers\n"
    "  top       Show the processes of a running container\n"
    "  unpause   Unpause all processes within containers\n"
    "  wait      Block until containers stop, print their exit codes\n"
    "\n"
    "Run 'whalebox container COMMAND --help' for more about a command.\n";

static const char prune_usage[] =
    "Usage: whalebox container prune [-f]\n"
    "\n"
    "Remove every exited container, with its file system and logs.\n"
    "\n"
    "Options:\n"
    "  -f, --force   do not ask for confirmation\n"
    "  -h, --help    print this help\n";

/* Disk used under a container's directory (prune's "reclaimed space"),
 * without crossing into mounts. */
static uint64_t dir_usage;
static int add_usage(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw)
{
  (void)path, (void)flag, (void)ftw;
  dir_usage += (uint64_t)st->st_blocks * 512;
  return 0;
}

static bool confirm(void)
{
  fputs("WARNING! This will remove all stopped containers.\n"
        "Are you sure you want to continue? [y/N] ",
        stdout);
  fflush(stdout);
  char line[16];
  if (!fgets(line, sizeof line, stdin))
    return false;
  return line[0] == 'y' || line[0] == 'Y';
}

static int container_prune(struct wb_context *ctx, int argc, char **argv,
                           wb_error *err)
{
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool force = false;
  int opt;
  while ((opt = wb_cli_getopt("container prune", argc, argv, "+fh", opts,
                              err)) != -1) {
    if (opt == 'f') {
      force = true;
      continue;
    }
    if (opt == 'h') {
      fputs(prune_usage, stdout);
      return 0;
    }
    return wb_cli_bad_flag("container prune", argv, err);
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL,
                        "container prune: unexpected argument '%s'",
                        argv[optind]);
  if (!force && !confirm())
    return 0;
  cleanup_strv char **ids = NULL;
  int r = wb_container_list_ids(ctx->root, &ids, err);
  if (r < 0)
    return r;
  uint64_t total = 0;
  int ret = 0;
  bool header = false;
  for (char **id = ids; *id; id++) {
    cleanup_container struct wb_container *c = NULL;
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (wb_container_load(ctx->root, *id, &c, &e) < 0)
      continue; /* removed meanwhile, or unreadable: rm -f's to judge */
    wb_container_refresh(c);
    /* Only exited: a "created" one may be a `run` in progress. */
    if (strcmp(c->status, "exited") != 0)
      continue;
    dir_usage = 0;
    nftw(c->dir, add_usage, 16, FTW_PHYS | FTW_MOUNT);
    if (c->transient) {
      cleanup_free char *rw = wb_container_rw_dir(ctx->root, c->id);
      nftw(rw, add_usage, 16, FTW_PHYS | FTW_MOUNT);
    }
    int removed = wb_container_remove_stopped(ctx, c, &e);
    if (removed < 0) {
      fprintf(stderr, "whalebox: container %.12s: %s\n", c->id, e.msg);
      ret = WB_EXIT_FAILURE;
      continue;
    }
    if (removed == 0)
      continue; /* started meanwhile */
    if (!header)
      puts("Deleted Containers:");
    header = true;
    puts(c->id);
    total += dir_usage;
  }
  if (header)
    putchar('\n');
  cleanup_free char *human = wb_human_size(total);
  printf("Total reclaimed space: %s\n", human);
  return ret;
}

WB_COMMAND_GROUP(container, "container",
                 "Manage containers (ls, inspect, logs, rm, prune...)")
{
  int help = wb_cli_group_help("container", argc, argv, err);
  if (help < 0)
    return help;
  if (help || argc < 2) {
    fputs(usage_text, help ? stdout : stderr);
    return help ? 0 : WB_EXIT_FAILURE;
  }
  static const char *const map[] = {
      "ls",      "ps",    "list",   "ps",      "ps",      "ps",     "inspect",
      "inspect", "logs",  "logs",   "wait",    "wait",    "top",    "top",
      "rm",      "rm",    "remove", "rm",      "stop",    "stop",   "kill",
      "kill",    "start", "start",  "restart", "restart", "exec",   "exec",
      "run",     "run",   "create", "create",  "attach",  "attach", "commit",
      "commit",  "pause", "pause",  "unpause", "unpause", NULL};
  if (strcmp(argv[1], "prune") == 0) {
    optind = 0; /* the subcommand's getopt starts afresh */
    return container_prune(ctx, argc - 1, argv + 1, err);
  }
  return wb_cli_dispatch(ctx, "container", map, argc, argv, err);
}
