/* caps.c - capabilities with libcap: Docker's default set in the bounding,
 * permitted and effective sets; inheritable and ambient empty. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "security.h"

const char *const wb_default_caps[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
    NULL,
};

/* "SYS_ADMIN", "sys_admin" or "CAP_SYS_ADMIN" -> value; -1 if unknown. */
static int cap_from(const char *name)
{
  if (strncasecmp(name, "CAP_", 4) == 0)
    name += 4;
  cleanup_free char *full = xasprintf("cap_%s", name);
  for (char *p = full; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  cap_value_t v;
  if (cap_from_name(full, &v) < 0)
    return -1;
  return (int)v;
}

int wb_caps_validate(char *const *names, const char *flag, wb_error *err)
{
  for (; names && *names; names++)
    if (strcasecmp(*names, "ALL") != 0 && cap_from(*names) < 0)
      return wb_error_set(err, -EINVAL,
                          "invalid value \"%s\" for %s: unknown "
                          "capability",
                          *names, flag);
  return 0;
}

static bool listed(char *const *names, int cap)
{
  for (; names && *names; names++)
    if (strcasecmp(*names, "ALL") == 0 || cap_from(*names) == cap)
      return true;
  return false;
}

/* The set as a bitmask over cap numbers (last_cap < 64 on every kernel). */
static unsigned long long cap_mask(const struct wb_security *s)
{
  int last = (int)cap_max_bits() - 1;
  unsigned long long m = 0;
  if (s->privileged) {
    for (int c = 0; c <= last; c++)
      m |= 1ULL << c;
    return m;
  }
  for (const char *const *d = wb_default_caps; *d; d++) {
    int c = cap_from(*d);
    if (c >= 0)
      m |= 1ULL << c;
  }
  /* Docker: drop first, then add, so "--cap-drop ALL --cap-add X" = X. */
  for (int c = 0; c <= last; c++) {
    if (listed(s->cap_drop, c))
      m &= ~(1ULL << c);
    if (listed(s->cap_add, c))
      m |= 1ULL << c;
  }
  return m;
}

char **wb_caps_effective(const struct wb_security *s)
{
  unsigned long long m = cap_mask(s);
  char **out = xzalloc(sizeof(char *));
  for (int c = 0; c < (int)cap_max_bits(); c++) {
    if (!(m & (1ULL << c)))
      continue;
    char *name = cap_to_name((cap_value_t)c);
    if (!name)
      continue;
    cleanup_free char *up = xasprintf("CAP_%s", name + 4);
    cap_free(name);
    for (char *p = up; *p; p++)
      if (*p >= 'a' && *p <= 'z')
        *p = (char)(*p - 'a' + 'A');
    strv_push(&out, up);
  }
  return out;
}

int wb_caps_limit_bounding(const struct wb_security *s, wb_error *err)
{
  unsigned long long m = cap_mask(s);
  for (int c = 0; c < (int)cap_max_bits(); c++)
    if (!(m & (1ULL << c)) && cap_drop_bound((cap_value_t)c) < 0 &&
        errno != EINVAL)
      return wb_error_set(err, errno,
                          "drop capability %d from the bounding "
                          "set",
                          c);
  /* Ambient capabilities would survive exec for non-root users. */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
      errno != EINVAL)
    return wb_error_set(err, errno, "clear ambient capabilities");
  return 0;
}

int wb_caps_finish(const struct wb_security *s, bool root, wb_error *err)
{
  unsigned long long m = root ? cap_mask(s) : 0;
  /* We can only keep what we have: the runtime itself may run with a
   * reduced set (e.g. inside another container). */
  cap_t have = cap_get_proc();
  if (!have)
    return wb_error_set(err, errno, "cap_get_proc");
  cap_t caps = cap_init(); /* all sets empty */
  if (!caps) {
    cap_free(have);
    return wb_error_set(err, errno, "cap_init");
  }
  for (int c = 0; c < (int)cap_max_bits(); c++) {
    cap_value_t v = (cap_value_t)c;
    cap_flag_value_t held = CAP_CLEAR;
    if (!(m & (1ULL << c)) || cap_get_flag(have, v, CAP_PERMITTED, &held) < 0 ||
        held != CAP_SET)
      continue;
    cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
    cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
  }
  int r = cap_set_proc(caps);
  int e = errno;
  cap_free(caps);
  cap_free(have);
  if (r < 0)
    return wb_error_set(err, e, "set capabilities");
  return 0;
}
