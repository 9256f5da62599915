/* start: run a stopped container again on the same root file system (its
 * changes kept), detached under a new monitor or attached with -a. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../container/control.h"
#include "../container/foreground.h"
#include "../container/freeze.h"
#include "../container/lock.h"
#include "../container/monitor.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

/* Under the container's lock, so that of concurrent starts one starts it
 * and the others find it running (and succeed, as Docker's do). */
static int start_locked(struct wb_context *ctx, struct wb_container *c,
                        bool attach, bool interactive, wb_error *err)
{
  wb_container_end_stale_freeze(ctx, c);
  /* Ended with nobody to record it (its monitor was killed): record it,
   * and remove its cgroup, before starting afresh. */
  int r = wb_container_reconcile(ctx, c, err);
  if (r != 0)
    return r < 0 ? r
                 : wb_error_set(err, -ENOENT, "no such container: %s", c->name);
  wb_container_refresh(c);
  if (wb_container_running(c))
    return 0;
  c->interactive = interactive || (attach && c->interactive);
  if (attach) {
    c->detach = false;
    return wb_container_run_attached(ctx, c, err);
  }
  c->detach = true;
  if (!c->log_driver)
    c->log_driver = xstrdup(ctx->driver_arg[WB_PLUGIN_LOG]);
  return wb_monitor_start(ctx, c, false, err);
}

static int start_one(struct wb_context *ctx, const char *ref, bool attach,
                     bool interactive, wb_error *err)
{
  for (;;) {
    cleanup_container struct wb_container *c = NULL;
    int r = wb_container_load_locked(ctx->root, ref, &c, err);
    if (r < 0)
      return r;
    /* The last run's monitor may still be recording its end (and removing
     * its cgroup): let it finish, without the lock it needs for that,
     * then start from what it wrote. */
    bool recording = wb_container_running(c) &&
                     !wb_proc_alive(c->pid, c->start_time) &&
                     wb_proc_alive(c->monitor_pid, c->monitor_start_time);
    if (recording) {
      wb_container_unlock(c);
      if (wb_container_wait_ended(c, 10000) < 0)
        return wb_error_set(err, -EBUSY,
                            "container %s is still stopping; try again", ref);
      continue;
    }
    r = start_locked(ctx, c, attach, interactive, err);
    wb_container_unlock(c);
    return r;
  }
}

WB_COMMAND(start, "start", "Start stopped containers")
{
  static const struct option opts[] = {{"attach", no_argument, NULL, 'a'},
                                       {"interactive", no_argument, NULL, 'i'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool attach = false, interactive = false;
  int c;
  while ((c = wb_cli_getopt("start", argc, argv, "+aih", opts, err)) != -1) {
    if (c == 'h') {
      puts("Usage: whalebox start [-a] [-i] CONTAINER...\n\n"
           "Start stopped containers again, on the same root file system.\n"
           "  -a, --attach        stay attached; exit with the container's "
           "code\n"
           "  -i, --interactive   attach stdin");
      return 0;
    }
    if (c == 'a')
      attach = true;
    else if (c == 'i')
      interactive = attach = true;
    else
      return wb_cli_bad_flag("start", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"start\" requires at least 1 argument: CONTAINER...");
  if (attach && argc - optind > 1)
    return wb_error_set(err, -EINVAL,
                        "you cannot start and attach multiple containers at "
                        "once");
  if (attach)
    return start_one(ctx, argv[optind], true, interactive, err);
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (start_one(ctx, argv[i], false, false, &e) < 0) {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      failed = 1;
      continue;
    }
    puts(argv[i]);
  }
  return failed ? WB_EXIT_FAILURE : 0;
}
