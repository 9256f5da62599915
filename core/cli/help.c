/* help: `whalebox help [COMMAND [SUBCOMMAND]]` is `whalebox COMMAND
 * [SUBCOMMAND] --help`, and without a command the global usage, as Docker
 * has it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

void wb_cli_usage(FILE *out)
{
  fputs("Usage: whalebox [OPTIONS] COMMAND [ARG...]\n"
        "\n"
        "A container runtime with pluggable storage, cgroup and log drivers.\n"
        "\n"
        "Options:\n"
        "  --config PATH          configuration file (default: "
        "$WHALEBOX_CONFIG,\n"
        "                         else " WB_SYSCONFDIR
        "/whalebox/whalebox.conf)\n"
        "  --root DIR             state root (images, containers)\n"
        "  --plugin-dir DIR       where drivers are looked up\n"
        "  --storage-driver NAME  storage driver (name or absolute .so path)\n"
        "  --cgroup-driver NAME   cgroup driver (v1, v2, auto, or a path)\n"
        "  --log-driver NAME      log driver (name or absolute .so path)\n"
        "  --log-level LEVEL      debug, info, warn or error (default warn)\n"
        "  -v, --version          print the version and exit\n"
        "  -h, --help             print this help and exit\n"
        "\n"
        "Commands:\n",
        out);
  size_t n;
  const struct wb_command *const *cmds = wb_command_list(&n);
  for (size_t i = 0; i < n; i++)
    if (!cmds[i]->hidden)
      fprintf(out, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
  fputs("\nRun 'whalebox COMMAND --help' (or 'whalebox help COMMAND') for "
        "more\nabout a command.\n",
        out);
}

static const char usage_text[] =
    "Usage: whalebox help [COMMAND [SUBCOMMAND]]\n"
    "\n"
    "Print the help of a command, as 'whalebox COMMAND --help' does;\n"
    "without a command, whalebox's own.\n"
    "\n"
    "Options:\n"
    "  -h, --help   print this help\n";

WB_COMMAND(help, "help", "Show the help of a command")
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  while ((c = wb_cli_getopt("help", argc, argv, "+h", opts, err)) != -1) {
    if (c != 'h')
      return wb_cli_bad_flag("help", argv, err);
    fputs(usage_text, stdout);
    return 0;
  }
  if (optind >= argc) {
    wb_cli_usage(stdout);
    return 0;
  }
  const char *name = argv[optind];
  const struct wb_command *cmd = wb_command_find(name);
  if (!cmd)
    return wb_error_set(err, -EINVAL,
                        "help: unknown command '%s'; see 'whalebox --help'",
                        name);
  /* A group's next word is its subcommand; any other word would be an
   * argument of the command, which help does not run. */
  bool sub = cmd->group && optind + 1 < argc;
  char *args[] = {argv[optind], sub ? argv[optind + 1] : (char *)"--help",
                  sub ? (char *)"--help" : NULL, NULL};
  optind = 0; /* the command's getopt starts afresh */
  return cmd->fn(ctx, sub ? 3 : 2, args, err);
}
