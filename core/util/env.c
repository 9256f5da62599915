#include "env.h"

#include <stdbool.h>
#include <string.h>

#include "xalloc.h"

static bool same_name(const char *a, const char *b)
{
  size_t na = strcspn(a, "="), nb = strcspn(b, "=");
  return na == nb && strncmp(a, b, na) == 0;
}

char **wb_env_merge(char **const *lists, size_t n)
{
  char **all = NULL, **out = xzalloc(sizeof(char *));
  for (size_t l = 0; l < n; l++)
    for (char **e = lists[l]; e && *e; e++)
      strv_push(&all, *e);
  for (char **e = all; e && *e; e++) {
    bool replaced = false;
    for (char **later = e + 1; *later && !replaced; later++)
      replaced = same_name(*e, *later);
    if (!replaced)
      strv_push(&out, *e);
  }
  strv_free(all);
  return out;
}
