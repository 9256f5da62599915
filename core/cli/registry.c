/* registry.c - the verbs registered with WB_COMMAND() live in the
 * "wb_commands" section; the linker gives us its bounds. */
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
