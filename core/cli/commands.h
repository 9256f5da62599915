/* commands.h - the CLI verbs, one file each in core/cli/.  A verb file
 * registers itself with WB_COMMAND(); nothing else needs to change to add
 * one. */
#ifndef WB_COMMANDS_H
#define WB_COMMANDS_H

#include <stdio.h>

#include "../context.h"

/* A verb returns the process exit code (>= 0), or < 0 with err set (main
 * prints it and exits with wb_error_exit_code()). argv[0] is the verb;
 * getopt state is reset before the call. */
typedef int (*wb_command_fn)(struct wb_context *ctx, int argc, char **argv,
                             wb_error *err);

struct wb_command {
  const char *name;
  wb_command_fn fn;
  const char *summary;
  /* Hidden from `whalebox --help` (aliases such as "image import"). */
  int hidden;
  /* Its first argument names a subcommand ("image ls"). */
  int group;
};

/* `whalebox --help`: the global flags and the commands. */
void wb_cli_usage(FILE *out);

/* Commands sorted by name, for help; count in *n. */
const struct wb_command *const *wb_command_list(size_t *n);
const struct wb_command *wb_command_find(const char *name);

struct option;

/* The next flag, as getopt_long() returns it, for every verb (verb names
 * it in messages: "volume create") and for the global flags (verb NULL).
 * Unlike glibc, and like Docker and podman, a long option is taken only
 * when spelled out in full: "--pids-limit 5" and "--pids-limit=5", never
 * "--pid 5".  Every bad flag (unknown, abbreviated, a value missing or
 * unwanted) returns '?' with Docker's message in err ("unknown flag:
 * --pid; see 'whalebox run --help'"), which wb_cli_bad_flag() passes on.
 * Reset with optind = 0 as for getopt; opterr is ours. */
int wb_cli_getopt(const char *verb, int argc, char **argv,
                  const char *shortopts, const struct option *longopts,
                  wb_error *err);
/* The same, also taking the full name of a long option after one dash
 * ("-name x", "-cpushare=512": the seed tool's spellings) and "-X=value"
 * for a short option X; other single-dash words are short options ("-ti").
 * shortopts must start with '+' (no permutation). */
int wb_cli_getopt_single_dash(const char *verb, int argc, char **argv,
                              const char *shortopts,
                              const struct option *longopts, wb_error *err);
/* The error of a '?' from wb_cli_getopt(), or of an option the verb lists
 * but does not handle (argv[optind - 1]). */
int wb_cli_bad_flag(const char *verb, char **argv, wb_error *err);

/* The flags of a group before its subcommand ("image --help"): 1 when
 * help was asked for, 0 when there is none, < 0 for a bad flag. */
int wb_cli_group_help(const char *group, int argc, char **argv, wb_error *err);

/* Run `argv[1]` as one of a group's subcommands (e.g. "image ls" is
 * "images"): map pairs subcommand names with verb names, NULL-terminated
 * as {sub0, verb0, sub1, verb1, ..., NULL}. */
int wb_cli_dispatch(struct wb_context *ctx, const char *group,
                    const char *const *map, int argc, char **argv,
                    wb_error *err);

/* Define and register verb `name` (the C identifier) as "<cli_name>". */
#define WB_COMMAND(ident, cli_name, text)                                      \
  WB_COMMAND_KIND(ident, cli_name, text, 0)
/* The same for a group of subcommands ("image"). */
#define WB_COMMAND_GROUP(ident, cli_name, text)                                \
  WB_COMMAND_KIND(ident, cli_name, text, 1)
#define WB_COMMAND_KIND(ident, cli_name, text, is_group)                       \
  static int wb_cmd_##ident(struct wb_context *ctx, int argc, char **argv,     \
                            wb_error *err);                                    \
  static const struct wb_command wb_cmd_desc_##ident = {                       \
      cli_name, wb_cmd_##ident, text, 0, is_group};                            \
  __attribute__((used, section("wb_commands"))) static const struct wb_command \
      *const wb_cmd_ptr_##ident = &wb_cmd_desc_##ident;                        \
  static int wb_cmd_##ident(struct wb_context *ctx, int argc, char **argv,     \
                            wb_error *err)

/* Register another name for an existing verb, hidden from help. */
#define WB_COMMAND_ALIAS(ident, cli_name, target_ident)                        \
  static const struct wb_command wb_cmd_desc_##ident = {                       \
      cli_name, wb_cmd_##target_ident, NULL, 1, 0};                            \
  __attribute__((used, section("wb_commands"))) static const struct wb_command \
      *const wb_cmd_ptr_##ident = &wb_cmd_desc_##ident

#endif
