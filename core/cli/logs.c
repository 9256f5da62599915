/* logs: a container's output read back through the log driver it was
 * created with; stdout entries to our stdout, stderr entries to stderr. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../container/lifecycle.h"
#include "../container/monitor.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox logs [OPTIONS] CONTAINER\n"
    "\n"
    "Print the output of a container (running or exited).\n"
    "\n"
    "Options:\n"
    "  -f, --follow          keep printing new output until the container "
    "exits\n"
    "  -n, --tail N          only the last N lines (\"all\" for every line)\n"
    "  -t, --timestamps      prefix each line with its RFC 3339 time\n"
    "      --since TIME      only lines since TIME: RFC 3339 "
    "(2026-01-02T15:04:05Z),\n"
    "                        a Unix time (1700000000[.5]) or a duration ago\n"
    "                        (10s, 5m, 2h, 1h30m)\n"
    "  -h, --help            print this help\n";

struct logs_out {
  struct wb_container *c;
  bool timestamps;
  bool follow;
};

static int emit(void *arg, int stream, const struct timespec *ts,
                const char *buf, size_t len)
{
  struct logs_out *o = arg;
  FILE *f = stream == WB_STREAM_STDERR ? stderr : stdout;
  if (o->timestamps) {
    cleanup_free char *t = wb_time_rfc3339(ts);
    fputs(t, f);
    fputc(' ', f);
  }
  if (fwrite(buf, 1, len, f) != len)
    return -EPIPE; /* the reader went away: stop reading */
  return 0;
}

/* The container still runs while its monitor does: the monitor feeds the
 * log and ends after the last output is written.  Also the moment to flush,
 * since the reader calls this before waiting for more. */
static int alive(void *arg)
{
  struct logs_out *o = arg;
  fflush(stdout);
  fflush(stderr);
  if (!wb_container_running(o->c))
    return 0;
  return wb_proc_alive(o->c->monitor_pid, o->c->monitor_start_time) ? 1 : 0;
}

/* Go-style duration: "10s", "5m", "2h", "1h30m", "1.5h", "300ms". */
static int parse_duration_ns(const char *text, int64_t *out)
{
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1},  {"us", 1e3}, {"\u00b5s", 1e3}, {"ms", 1e6},
               {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  const char *p = text;
  double total = 0;
  if (!*p)
    return -EINVAL;
  while (*p) {
    char *end;
    if (!isdigit((unsigned char)*p) && *p != '.')
      return -EINVAL;
    double v = strtod(p, &end);
    if (end == p)
      return -EINVAL;
    p = end;
    size_t best = 0;
    int found = -1;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
      size_t n = strlen(units[i].unit);
      /* Longest match, so "ms" is not read as "m" then "s". */
      if (strncmp(p, units[i].unit, n) == 0 && n > best) {
        best = n;
        found = (int)i;
      }
    }
    if (found < 0)
      return -EINVAL;
    total += v * units[found].ns;
    p += best;
  }
  *out = (int64_t)total;
  return 0;
}

/* --since: a time, a Unix timestamp or a duration before now. */
static int parse_since(const char *text, int64_t *since_ns, wb_error *err)
{
  struct timespec ts;
  int64_t d;
  char *end;
  errno = 0;
  double unix_time = strtod(text, &end);
  if (*text && isdigit((unsigned char)*text) && !*end && errno == 0) {
    *since_ns = (int64_t)(unix_time * 1e9);
    return 0;
  }
  if (parse_duration_ns(text, &d) == 0) {
    clock_gettime(CLOCK_REALTIME, &ts);
    *since_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - d;
    if (*since_ns <= 0)
      *since_ns = 1;
    return 0;
  }
  if (wb_time_parse(text, &ts) == 0) {
    *since_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (*since_ns <= 0)
      *since_ns = 1;
    return 0;
  }
  /* A date alone means its midnight, UTC. */
  cleanup_free char *midnight = xasprintf("%sT00:00:00Z", text);
  if (strlen(text) == 10 && wb_time_parse(midnight, &ts) == 0) {
    *since_ns = (int64_t)ts.tv_sec * 1000000000;
    return 0;
  }
  return wb_error_set(err, -EINVAL,
                      "logs: --since %s: expected an RFC 3339 time, a Unix "
                      "timestamp or a duration such as 10m",
                      text);
}

static int parse_tail(const char *text, int64_t *tail, wb_error *err)
{
  if (strcmp(text, "all") == 0) {
    *tail = -1;
    return 0;
  }
  char *end;
  errno = 0;
  long long n = strtoll(text, &end, 10);
  if (!*text || *end || errno || n < -1)
    return wb_error_set(err, -EINVAL,
                        "logs: --tail %s: expected a number of lines or "
                        "\"all\"",
                        text);
  *tail = n;
  return 0;
}

/* What the container's monitor and the log driver in it had to say
 * (monitor.log: failures, lost output, the driver's own warnings), to
 * stderr before the log, so that a log with a gap or nothing in it says
 * why.  Each line as whalebox prints its own, without the file's time. */
static void print_monitor_messages(const struct wb_container *c)
{
  cleanup_free char *path = wb_monitor_messages_path(c);
  cleanup_free char *text = NULL;
  if (read_file(path, &text, NULL, NULL) < 0)
    return;
  for (char *line = text; *line;) {
    char *nl = strchrnul(line, '\n');
    char *msg = memchr(line, ' ', (size_t)(nl - line));
    msg = msg ? msg + 1 : line;
    fprintf(stderr, "%.*s\n", (int)(nl - msg), msg);
    line = *nl ? nl + 1 : nl;
  }
}

WB_COMMAND(logs, "logs", "Print the output of a container")
{
  static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                       {"tail", required_argument, NULL, 'n'},
                                       {"timestamps", no_argument, NULL, 't'},
                                       {"since", required_argument, NULL, 'S'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  struct logs_out out = {NULL, false, false};
  int64_t tail = -1, since_ns = 0;
  int r, opt;
  while ((opt = wb_cli_getopt("logs", argc, argv, "+fn:th", opts, err)) != -1) {
    switch (opt) {
    case 'f':
      out.follow = true;
      break;
    case 'n':
      if ((r = parse_tail(optarg, &tail, err)) < 0)
        return r;
      break;
    case 't':
      out.timestamps = true;
      break;
    case 'S':
      if ((r = parse_since(optarg, &since_ns, err)) < 0)
        return r;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      return wb_cli_bad_flag("logs", argv, err);
    }
  }
  if (argc - optind != 1)
    return wb_error_set(err, -EINVAL,
                        "logs: requires exactly 1 container; see 'whalebox "
                        "logs --help'");
  cleanup_container struct wb_container *c = NULL;
  r = wb_container_load(ctx->root, argv[optind], &c, err);
  if (r < 0)
    return r;
  wb_container_refresh(c);
  if (!c->log_driver)
    return wb_error_set(err, -EINVAL,
                        "container %s has no logs: it ran in the foreground, "
                        "where its output went to the terminal",
                        argv[optind]);
  struct wb_driver *d;
  r = wb_context_driver_named(ctx, WB_PLUGIN_LOG, c->log_driver, &d, err);
  if (r < 0)
    return r;
  const struct wb_log_ops *ops = d->ops;
  if (!ops->read)
    return wb_error_set(err, -EINVAL,
                        "logging is disabled for this container (log driver "
                        "%s)",
                        d->desc->name);
  cleanup_free char *dir = path_join(c->dir, "log");
  /* Created but never started: nothing was ever written. */
  if (access(dir, F_OK) < 0 && errno == ENOENT)
    return 0;
  print_monitor_messages(c);
  struct wb_log_target t = {.size = sizeof t,
                            .id = c->id,
                            .dir = dir,
                            .options = (const char *const *)c->log_opts};
  out.c = c;
  struct wb_log_reader reader = {.size = sizeof reader,
                                 .follow = out.follow,
                                 .tail = tail,
                                 .since_ns = since_ns,
                                 .emit = emit,
                                 .alive = alive,
                                 .arg = &out};
  r = ops->read(d->data, &t, &reader, err);
  fflush(stdout);
  fflush(stderr);
  if (r == -EPIPE) {
    /* Our reader closed the pipe (logs | head): not an error. */
    wb_error_clear(err);
    return 0;
  }
  return r < 0 ? r : 0;
}
