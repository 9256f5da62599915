#include "log.h"

#include <stdio.h>
#include <string.h>

static int current_level = WB_LOG_WARN;

void wb_log_set_level(int level)
{
  current_level = level;
}

int wb_log_get_level(void)
{
  return current_level;
}

int wb_log_parse_level(const char *name)
{
  static const char *const names[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++)
    if (strcmp(name, names[i]) == 0)
      return i;
  if (strcmp(name, "warning") == 0)
    return WB_LOG_WARN;
  return -1;
}

void wb_logv(int level, const char *prefix, const char *fmt, va_list ap)
{
  static const char *const tags[] = {"error", "warning", "info", "debug"};
  if (level > current_level)
    return;
  /* One write per line so lines from concurrent processes do not mix. */
  char line[1024];
  int n = snprintf(line, sizeof line, "whalebox: %s: %s%s", tags[level],
                   prefix ? prefix : "", prefix ? ": " : "");
  if (n < 0)
    return;
  if ((size_t)n < sizeof line)
    n += vsnprintf(line + n, sizeof line - n, fmt, ap);
  if ((size_t)n >= sizeof line - 1)
    n = sizeof line - 2;
  line[n++] = '\n';
  fwrite(line, 1, n, stderr);
}

void wb_log(int level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  wb_logv(level, NULL, fmt, ap);
  va_end(ap);
}
