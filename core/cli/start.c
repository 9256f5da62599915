/* start: run a stopped container again on the same root file system (its
 * changes kept), detached under a new monitor or attached with -a. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../container/control.h"
#include "../container/foreground.h"
#include "../container/monitor.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static int start_one(struct wb_context *ctx, const char *ref, bool attach,
                     bool interactive, wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load(ctx->root, ref, &c, err);
  if (r < 0)
    return r;
  wb_container_refresh(c);
  if (wb_container_running(c))
    return 0;
  /* The last run's monitor may still be recording its end (and removing
   * its cgroup): let it finish, then start from what it wrote. */
  if (wb_container_wait_ended(c, 10000) < 0)
    return wb_error_set(err, -EBUSY,
                        "container %s is still stopping; try again", ref);
  r = wb_container_reload(ctx->root, &c, err);
  if (r < 0)
    return r;
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
