/* human.c - sizes and ages the way `docker images` prints them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/xalloc.h"
#include "store.h"

/* Decimal units, three significant digits: "4.27MB", "745B", "1.2GB". */
char *wb_human_size(uint64_t size)
{
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = (double)size;
  size_t u = 0;
  while (v >= 1000.0 && u + 1 < sizeof units / sizeof *units) {
    v /= 1000.0;
    u++;
  }
  return xasprintf("%.3g%s", v, units[u]);
}

/* Seconds since the epoch of an RFC 3339 UTC time ("...Z"); -1 if bad. */
static time_t parse_rfc3339(const char *s)
{
  struct tm tm = {0};
  const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end)
    return -1;
  return timegm(&tm);
}

char *wb_human_since(const char *rfc3339)
{
  time_t t = parse_rfc3339(rfc3339);
  if (t < 0)
    return xstrdup("N/A");
  double secs = difftime(time(NULL), t);
  if (secs < 1)
    return xstrdup("Less than a second ago");
  if (secs < 2)
    return xstrdup("1 second ago");
  if (secs < 60)
    return xasprintf("%d seconds ago", (int)secs);
  int minutes = (int)(secs / 60);
  if (minutes == 1)
    return xstrdup("About a minute ago");
  if (minutes < 60)
    return xasprintf("%d minutes ago", minutes);
  int hours = (int)((secs + 1800) / 3600); /* rounded, as docker */
  if (hours == 1)
    return xstrdup("About an hour ago");
  if (hours < 48)
    return xasprintf("%d hours ago", hours);
  if (hours < 24 * 7 * 2)
    return xasprintf("%d days ago", hours / 24);
  if (hours < 24 * 30 * 2)
    return xasprintf("%d weeks ago", hours / 24 / 7);
  if (hours < 24 * 365 * 2)
    return xasprintf("%d months ago", hours / 24 / 30);
  return xasprintf("%d years ago", hours / 24 / 365);
}
