#include <string.h>

#include "commands.h"

const struct wb_command wb_commands[] = {
    {"info", wb_cmd_info, "Show the host, the configuration and the drivers chosen"},
    {"plugins", wb_cmd_plugins, "List the drivers in the plugin directory"},
    {"version", wb_cmd_version, "Show the version"},
    {NULL, NULL, NULL},
};

const struct wb_command *wb_command_find(const char *name)
{
  for (const struct wb_command *c = wb_commands; c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}
