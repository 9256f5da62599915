/* commands.h - the CLI verbs, one file each in core/cli/. */
#ifndef WB_COMMANDS_H
#define WB_COMMANDS_H

#include "../context.h"

/* A verb returns the process exit code (>= 0), or < 0 with err set (main
 * prints it and exits with wb_error_exit_code()). argv[0] is the verb. */
typedef int (*wb_command_fn)(struct wb_context *ctx, int argc, char **argv,
                             wb_error *err);

struct wb_command {
  const char *name;
  wb_command_fn fn;
  const char *summary;
};

/* NULL-terminated table, in the order `whalebox --help` lists them. */
extern const struct wb_command wb_commands[];
const struct wb_command *wb_command_find(const char *name);


#define WB_CMD(name)                                                         \
  int wb_cmd_##name(struct wb_context *ctx, int argc, char **argv,           \
                    wb_error *err)

WB_CMD(version);
WB_CMD(info);
WB_CMD(plugins);

#endif
