#include "timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *wb_time_rfc3339(const struct timespec *ts)
{
  struct tm tm;
  gmtime_r(&ts->tv_sec, &tm);
  return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ts->tv_nsec);
}

char *wb_now_rfc3339(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return wb_time_rfc3339(&ts);
}

int wb_time_parse(const char *text, struct timespec *out)
{
  struct tm tm = {0};
  const char *p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
  if (!p)
    return -EINVAL;
  long nsec = 0;
  if (*p == '.') {
    long scale = 100000000;
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
      nsec += (*p - '0') * scale;
  }
  time_t t = timegm(&tm);
  if (*p == 'Z')
    p++;
  else if ((*p == '+' || *p == '-') && strlen(p) == 6) {
    int h = atoi(p + 1), m = atoi(p + 4);
    long off = (h * 60 + m) * 60;
    t -= *p == '+' ? off : -off;
    p += 6;
  }
  if (*p)
    return -EINVAL;
  out->tv_sec = t;
  out->tv_nsec = nsec;
  return 0;
}

char *wb_time_ago(const char *rfc3339)
{
  struct timespec then;
  if (!rfc3339 || wb_time_parse(rfc3339, &then) < 0)
    return xstrdup("unknown time");
  time_t d = time(NULL) - then.tv_sec;
  if (d < 1)
    return xstrdup("Less than a second");
  if (d < 60)
    return d == 1 ? xstrdup("1 second") : xasprintf("%ld seconds", (long)d);
  if (d < 3600)
    return d < 120 ? xstrdup("About a minute")
                   : xasprintf("%ld minutes", (long)(d / 60));
  if (d < 86400)
    return d < 7200 ? xstrdup("About an hour")
                    : xasprintf("%ld hours", (long)(d / 3600));
  if (d < 86400 * 14)
    return xasprintf("%ld days", (long)(d / 86400));
  if (d < 86400 * 60)
    return xasprintf("%ld weeks", (long)(d / (86400 * 7)));
  if (d < 86400 * 365 * 2)
    return xasprintf("%ld months", (long)(d / (86400 * 30)));
  return xasprintf("%ld years", (long)(d / (86400 * 365)));
}
