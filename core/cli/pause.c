/* pause, unpause: freeze and thaw every process of running containers
 * (the cgroup freezer), as Docker's verbs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "../container/freeze.h"
#include "../util/cleanup.h"
#include "commands.h"

typedef int (*freeze_fn)(struct wb_context *, const char *, wb_error *);

static int for_each_ref(struct wb_context *ctx, int argc, char **argv,
                        const char *usage, freeze_fn fn, wb_error *err)
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int opt;
  while ((opt = wb_cli_getopt(argv[0], argc, argv, "+h", opts, err)) != -1) {
    if (opt == 'h') {
      fputs(usage, stdout);
      return 0;
    }
    return wb_cli_bad_flag(argv[0], argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"%s\" requires at least 1 argument: CONTAINER...",
                        argv[0]);
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (fn(ctx, argv[i], &e) < 0) {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      failed = 1;
      continue;
    }
    puts(argv[i]);
  }
  return failed ? WB_EXIT_FAILURE : 0;
}

WB_COMMAND(pause, "pause", "Pause all processes within containers")
{
  return for_each_ref(ctx, argc, argv,
                      "Usage: whalebox pause CONTAINER...\n\n"
                      "Freeze every process of running containers until "
                      "unpause.\n",
                      wb_container_pause, err);
}

WB_COMMAND(unpause, "unpause", "Unpause all processes within containers")
{
  return for_each_ref(ctx, argc, argv,
                      "Usage: whalebox unpause CONTAINER...\n\n"
                      "Thaw every process of paused containers.\n",
                      wb_container_unpause, err);
}
