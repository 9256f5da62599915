#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Shift of the unit letter c, or -1 when it is not one. */
static int unit_shift(char c)
{
  static const char units[] = "kmgtp";
  const char *u = c ? strchr(units, tolower((unsigned char)c)) : NULL;
  return u ? 10 * (int)(u - units + 1) : -1;
}

/* After a unit letter: nothing, "b" or "ib". */
static int valid_unit_tail(const char *s)
{
  if (s[0] == 'i' || s[0] == 'I')
    s++;
  else if (s[0] == '\0')
    return 1;
  return (s[0] == 'b' || s[0] == 'B') && s[1] == '\0';
}

int parse_size(const char *text, int64_t *out)
{
  if (!text || !isdigit((unsigned char)*text))
    return -EINVAL;
  /* Digits by hand rather than strtoull, which would take a sign or
   * leading spaces and saturates silently. */
  uint64_t v = 0;
  bool too_big = false;
  const char *p = text;
  for (; isdigit((unsigned char)*p); p++) {
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      too_big = true;
    else
      v = v * 10 + d;
  }
  int shift = 0;
  if ((*p == 'b' || *p == 'B') && p[1] == '\0') {
    /* bytes */
  } else if (*p) {
    shift = unit_shift(*p);
    if (shift < 0 || !valid_unit_tail(p + 1))
      return -EINVAL;
  }
  if (too_big || v > ((uint64_t)INT64_MAX >> shift))
    return -ERANGE;
  *out = (int64_t)(v << shift);
  return 0;
}
