#include "limits_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/size.h"

#define MIN_MEMORY (6 * 1024 * 1024)

int wb_parse_memory(const char *flag, const char *text, int64_t *out,
                    wb_error *err)
{
  int64_t v;
  if (parse_size(text, &v) < 0)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for %s: expected a size such "
                        "as 64m or 1g",
                        text, flag);
  if (v < MIN_MEMORY)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for %s: minimum memory limit "
                        "allowed is 6MB",
                        text, flag);
  *out = v;
  return 0;
}

int wb_parse_memory_swap(const char *text, int64_t *out, wb_error *err)
{
  if (strcmp(text, "-1") == 0) {
    *out = -1;
    return 0;
  }
  int64_t v;
  if (parse_size(text, &v) < 0)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --memory-swap: expected a "
                        "size or -1",
                        text);
  *out = v;
  return 0;
}

static int parse_int(const char *text, long long min, long long max,
                     long long *out)
{
  if (!*text || isspace((unsigned char)*text))
    return -EINVAL;
  char *end;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || *end || v < min || v > max)
    return -EINVAL;
  *out = v;
  return 0;
}

int wb_parse_cpu_shares(const char *text, uint64_t *out, wb_error *err)
{
  long long v;
  if (parse_int(text, 2, 262144, &v) < 0)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --cpu-shares: expected an "
                        "integer from 2 to 262144",
                        text);
  *out = (uint64_t)v;
  return 0;
}

long wb_host_max_cpu(void)
{
  long n = sysconf(_SC_NPROCESSORS_CONF);
  return n > 0 ? n - 1 : 0;
}

long wb_host_max_mem_node(void)
{
  /* "0" or "0-1": the last number is the highest node. */
  cleanup_free char *text = NULL;
  if (read_file("/sys/devices/system/node/online", &text, NULL, NULL) < 0)
    return 0;
  char *p = text + strlen(text);
  while (p > text && !isdigit((unsigned char)p[-1]))
    p--;
  while (p > text && isdigit((unsigned char)p[-1]))
    p--;
  return strtol(p, NULL, 10);
}

int wb_parse_cpus(const char *text, int64_t *quota, uint64_t *period,
                  wb_error *err)
{
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  long ncpu = wb_host_max_cpu() + 1;
  if (errno || *end || end == text || !isfinite(v) || v <= 0)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --cpus: expected a number "
                        "of CPUs greater than 0",
                        text);
  if (v < 0.01 || v > (double)ncpu)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --cpus: range of CPUs is "
                        "from 0.01 to %ld.00, as there are only %ld CPUs "
                        "available",
                        text, ncpu, ncpu);
  *period = 100000;
  /* v > 0: rounding by hand keeps libm out of every whalebox process. */
  *quota = (int64_t)(v * 100000.0 + 0.5);
  return 0;
}

int wb_parse_cpuset(const char *flag, const char *text, long max_id,
                    wb_error *err)
{
  const char *p = text;
  if (!*p)
    goto bad;
  while (*p) {
    if (!isdigit((unsigned char)*p))
      goto bad;
    char *end;
    long a = strtol(p, &end, 10), b = a;
    p = end;
    if (*p == '-') {
      p++;
      if (!isdigit((unsigned char)*p))
        goto bad;
      b = strtol(p, &end, 10);
      p = end;
      if (b < a)
        goto bad;
    }
    if (b > max_id)
      return wb_error_set(err, -EINVAL,
                          "invalid value \"%s\" for %s: %s %ld does not "
                          "exist on this host (0-%ld available)",
                          text, flag,
                          strcmp(flag, "--cpuset-mems") == 0 ? "memory node"
                                                             : "CPU",
                          b, max_id);
    if (*p == ',') {
      p++;
      if (!*p)
        goto bad;
    } else if (*p) {
      goto bad;
    }
  }
  return 0;
bad:
  return wb_error_set(err, -EINVAL,
                      "invalid value \"%s\" for %s: expected a list such as "
                      "0-2,4",
                      text, flag);
}

int wb_parse_pids_limit(const char *text, int64_t *out, wb_error *err)
{
  long long v;
  if (parse_int(text, -1, INT64_MAX, &v) < 0 || v == 0)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --pids-limit: expected a "
                        "positive integer or -1",
                        text);
  *out = v;
  return 0;
}

int wb_limits_check(const struct wb_limits *l, wb_error *err)
{
  if (l->memory_swap > 0 && l->memory == 0)
    return wb_error_set(err, -EINVAL,
                        "--memory-swap needs --memory: you should always set "
                        "the memory limit when using the memory-swap limit");
  if (l->memory_swap > 0 && l->memory_swap < l->memory)
    return wb_error_set(err, -EINVAL,
                        "invalid value for --memory-swap: it must be larger "
                        "than or equal to --memory");
  return 0;
}
