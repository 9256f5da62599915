/* stop, kill, restart: signals to running containers. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "../container/control.h"
#include "../container/freeze.h"
#include "../container/lock.h"
#include "../util/cleanup.h"
#include "commands.h"

/* Under the lock, c fresh: thawed first (a frozen process handles no
 * signal, not even SIGKILL on cgroup v1), then signalled. */
static int signal_locked(struct wb_context *ctx, struct wb_container *c,
                         int sig, wb_error *err)
{
  wb_container_thaw_any(ctx, c);
  return wb_container_signal(c, sig, err);
}

/* After the container ended: its end is recorded, by its monitor or, when
 * its monitor is gone (an orphan), by us; a --rm container is removed.
 * An end that cannot be recorded (a full disk) is an error, not a
 * success that leaves the state saying "running". */
static int settle_end(struct wb_context *ctx, const char *ref, wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, ref, &c, err);
  if (r == -ENOENT)
    return 0; /* a --rm container that removed itself */
  if (r < 0)
    return r;
  r = wb_container_reconcile(ctx, c, err);
  wb_container_unlock(c);
  if (r < 0)
    return wb_error_prefix(err,
                           "container %s stopped, but its end could not "
                           "be recorded",
                           ref);
  return 0;
}

/* SIGTERM, then SIGKILL after `grace` seconds; returns when the exit is
 * recorded. */
static int stop_one(struct wb_context *ctx, const char *ref, int grace,
                    wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, ref, &c, err);
  if (r < 0)
    return r;
  wb_container_refresh(c);
  bool running = wb_container_running(c);
  int sent = running ? signal_locked(ctx, c, SIGTERM, NULL) : -ESRCH;
  /* Not held while waiting: the monitor takes it to record the end. */
  wb_container_unlock(c);
  if (!running)
    return settle_end(ctx, ref, err); /* as Docker: stopping a stopped
                                         container succeeds */
  if (sent < 0 || wb_container_wait_ended(c, grace * 1000) < 0) {
    wb_container_signal(c, SIGKILL, NULL);
    if (wb_container_wait_ended(c, 10000) < 0)
      return wb_error_set(err, -ETIMEDOUT, "container %s did not stop", ref);
  }
  return settle_end(ctx, ref, err);
}

static int parse_grace(const char *text, int *out, wb_error *err)
{
  char *end;
  long v = strtol(text, &end, 10);
  if (!*text || *end || v < 0 || v > 86400)
    return wb_error_set(err, -EINVAL,
                        "invalid value \"%s\" for --time: expected seconds",
                        text);
  *out = (int)v;
  return 0;
}

static int for_each(struct wb_context *ctx, int argc, char **argv,
                    int (*fn)(struct wb_context *, const char *, void *),
                    void *arg)
{
  int failed = 0;
  for (int i = optind; i < argc; i++)
    if (fn(ctx, argv[i], arg) < 0)
      failed = 1;
  return failed ? WB_EXIT_FAILURE : 0;
}

struct stop_args {
  int grace;
  bool restart;
};

static int do_stop(struct wb_context *ctx, const char *ref, void *arg)
{
  const struct stop_args *a = arg;
  cleanup_error wb_error e = WB_ERROR_INIT;
  int r = stop_one(ctx, ref, a->grace, &e);
  if (r == 0 && a->restart) {
    const struct wb_command *start = wb_command_find("start");
    char *sargv[] = {(char *)"start", (char *)ref, NULL};
    optind = 0;
    int rc = start->fn(ctx, 2, sargv, &e);
    if (rc < 0)
      r = rc;
    else if (rc > 0)
      return -1; /* start printed its own error */
    else
      return 0;
  }
  if (r < 0) {
    fprintf(stderr, "whalebox: %s\n", e.msg);
    return r;
  }
  if (!a->restart)
    puts(ref);
  return 0;
}

static int stop_main(struct wb_context *ctx, int argc, char **argv,
                     wb_error *err, bool restart)
{
  static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  struct stop_args a = {.grace = 10, .restart = restart};
  int c;
  while ((c = wb_cli_getopt(argv[0], argc, argv, "+t:h", opts, err)) != -1) {
    if (c == 'h') {
      printf("Usage: whalebox %s [-t SECONDS] CONTAINER...\n\n"
             "%s: SIGTERM, then SIGKILL after the grace period (default "
             "10 s)%s.\n  -t, --time SECONDS   the grace period\n",
             argv[0], restart ? "Restart containers" : "Stop containers",
             restart ? ", then start again" : "");
      return 0;
    }
    if (c == 't') {
      int r = parse_grace(optarg, &a.grace, err);
      if (r < 0)
        return r;
    } else {
      return wb_cli_bad_flag(argv[0], argv, err);
    }
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"%s\" requires at least 1 argument: CONTAINER...",
                        argv[0]);
  return for_each(ctx, argc, argv, do_stop, &a);
}

WB_COMMAND(stop, "stop", "Stop running containers (SIGTERM, then SIGKILL)")
{
  return stop_main(ctx, argc, argv, err, false);
}

WB_COMMAND(restart, "restart", "Stop and start containers again")
{
  return stop_main(ctx, argc, argv, err, true);
}

static int kill_one(struct wb_context *ctx, const char *ref, int sig,
                    wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_locked(ctx->root, ref, &c, err);
  if (r < 0)
    return r;
  wb_container_refresh(c);
  if (!wb_container_running(c))
    r = wb_error_set(err, -ESRCH, "cannot kill container %s: it is not running",
                     ref);
  else
    r = signal_locked(ctx, c, sig, err);
  wb_container_unlock(c);
  return r;
}

static int do_kill(struct wb_context *ctx, const char *ref, void *arg)
{
  cleanup_error wb_error e = WB_ERROR_INIT;
  int r = kill_one(ctx, ref, *(int *)arg, &e);
  if (r < 0) {
    fprintf(stderr, "whalebox: %s\n", e.msg);
    return r;
  }
  puts(ref);
  return 0;
}

WB_COMMAND(kill, "kill", "Send a signal to running containers")
{
  static const struct option opts[] = {{"signal", required_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int sig = SIGKILL;
  int c;
  while ((c = wb_cli_getopt("kill", argc, argv, "+s:h", opts, err)) != -1) {
    if (c == 'h') {
      puts("Usage: whalebox kill [-s SIGNAL] CONTAINER...\n\n"
           "Send SIGNAL (name or number, default KILL) to the containers' "
           "first process.\n  -s, --signal SIGNAL");
      return 0;
    }
    if (c != 's')
      return wb_cli_bad_flag("kill", argv, err);
    sig = wb_signal_parse(optarg);
    if (sig < 0)
      return wb_error_set(err, -EINVAL, "invalid signal: %s", optarg);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"kill\" requires at least 1 argument: CONTAINER...");
  return for_each(ctx, argc, argv, do_kill, &sig);
}
