/* wait: block until containers end and print their exit codes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../container/control.h"
#include "../util/cleanup.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox wait CONTAINER [CONTAINER...]\n"
    "\n"
    "Block until each container stops, then print its exit code (-1 when it\n"
    "is unknown, e.g. its monitor was killed).\n";

/* Until c has ended; *code is its exit code. */
static int wait_one(const char *root, const char *ref, int *code, wb_error *err)
{
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load(root, ref, &c, err);
  if (r < 0)
    return r;
  for (;;) {
    /* The status as written, not refreshed: "running" with its monitor
     * alive means the exit code is still to come. */
    if (wb_container_running(c)) {
      wb_container_wait_ended(c, -1);
      r = wb_container_reload(root, &c, err);
      if (r < 0)
        return r;
      /* Its monitor could not write the end (a full disk): its record. */
      if (wb_container_end_unrecorded(c))
        wb_exit_record_apply(root, c);
      wb_container_refresh(c);
      if (!wb_container_running(c))
        break;
      /* Restarted meanwhile (or no pidfds to wait on): look again soon. */
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    if (strcmp(c->status, "created") != 0)
      break;
    /* Not started yet: wait for it to run and end, as docker does. */
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    r = wb_container_reload(root, &c, err);
    if (r < 0)
      return r;
  }
  *code = c->exit_code;
  return 0;
}

WB_COMMAND(wait, "wait", "Block until containers stop, print their exit codes")
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = wb_cli_getopt("wait", argc, argv, "+h", opts, err)) != -1) {
    if (opt == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    return wb_cli_bad_flag("wait", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "wait: requires at least 1 container; see 'whalebox "
                        "wait --help'");
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    int code;
    if (wait_one(ctx->root, argv[i], &code, &e) < 0) {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      ret = WB_EXIT_FAILURE;
      continue;
    }
    printf("%d\n", code);
    fflush(stdout);
  }
  return ret;
}
