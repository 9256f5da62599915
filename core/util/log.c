#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int current_level = WB_LOG_WARN;
static void (*line_writer)(int level, const char *line, size_t len);

void wb_log_set_writer(void (*writer)(int level, const char *line, size_t len))
{
  line_writer = writer;
}

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
  if (line_writer)
    line_writer(level, line, (size_t)n);
  else
    fwrite(line, 1, n, stderr);
}

void wb_log(int level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  wb_logv(level, NULL, fmt, ap);
  va_end(ap);
}

void wb_log_phase(const char *phase)
{
  static struct timespec start;
  if (current_level < WB_LOG_DEBUG)
    return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!start.tv_sec && !start.tv_nsec)
    start = now;
  double ms = (double)(now.tv_sec - start.tv_sec) * 1e3 +
              (double)(now.tv_nsec - start.tv_nsec) / 1e6;
  wb_log(WB_LOG_DEBUG, "%s at %.3f ms", phase, ms);
}
