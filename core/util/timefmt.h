/* timefmt.h - timestamps as Docker prints them. */
#ifndef WB_TIMEFMT_H
#define WB_TIMEFMT_H

#include <stdint.h>
#include <time.h>

/* "2026-11-29T02:45:48.123456789Z" for now / for ts. */
char *wb_time_rfc3339(const struct timespec *ts);
char *wb_now_rfc3339(void);
/* Parse the above (fraction optional, "Z" or +hh:mm); 0 or -EINVAL. */
int wb_time_parse(const char *text, struct timespec *out);
/* "5 seconds", "2 minutes", "About an hour"... for the time since then. */
char *wb_time_ago(const char *rfc3339);

#endif
