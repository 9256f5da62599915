/* registry.c - the verbs registered with WB_COMMAND() live in the
 * "wb_commands" section; the linker gives us its bounds. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

extern const struct wb_command *const __start_wb_commands[];
extern const struct wb_command *const __stop_wb_commands[];

static int by_name(const void *a, const void *b)
{
  const struct wb_command *const *x = a, *const *y = b;
  return strcmp((*x)->name, (*y)->name);
}

const struct wb_command *const *wb_command_list(size_t *n)
{
  static const struct wb_command **sorted;
  size_t count = __stop_wb_commands - __start_wb_commands;
  if (!sorted) {
    sorted = malloc(count * sizeof *sorted);
    if (!sorted)
      abort();
    memcpy(sorted, __start_wb_commands, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, by_name);
  }
  *n = count;
  return sorted;
}

const struct wb_command *wb_command_find(const char *name)
{
  for (const struct wb_command *const *c = __start_wb_commands;
       c < __stop_wb_commands; c++)
    if (strcmp((*c)->name, name) == 0)
      return *c;
  return NULL;
}

int wb_cli_dispatch(struct wb_context *ctx, const char *group,
                    const char *const *map, int argc, char **argv,
                    wb_error *err)
{
  for (const char *const *m = map; m[0]; m += 2) {
    if (strcmp(argv[1], m[0]) != 0)
      continue;
    const struct wb_command *cmd = wb_command_find(m[1]);
    if (!cmd)
      break;
    optind = 0; /* the subcommand's getopt starts afresh */
    return cmd->fn(ctx, argc - 1, argv + 1, err);
  }
  return wb_error_set(err, -EINVAL,
                      "%s: unknown command '%s'; see 'whalebox %s --help'",
                      group, argv[1], group);
}

int wb_cli_group_help(const char *group, int argc, char **argv, wb_error *err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  bool help = false;
  while ((c = wb_cli_getopt(group, argc, argv, "+h", opts, err)) != -1) {
    if (c != 'h')
      return wb_cli_bad_flag(group, argv, err);
    help = true;
  }
  return help;
}
