/* rm: remove containers; a running one only with -f. */
#include <getopt.h>
#include <stdio.h>

#include "../container/control.h"
#include "../util/cleanup.h"
#include "../volume/volume.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox rm [-f] [-v] CONTAINER...\n"
    "\n"
    "Remove containers: their root file system, logs, cgroup and state.\n"
    "\n"
    "  -f, --force     kill and remove a running container\n"
    "  -v, --volumes   also remove the container's anonymous volumes\n";

WB_COMMAND(rm, "rm", "Remove one or more containers")
{
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"volumes", no_argument, NULL, 'v'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool force = false, volumes = false;
  int c;
  while ((c = wb_cli_getopt("rm", argc, argv, "+fvh", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'f')
      force = true;
    else if (c == 'v')
      volumes = true;
    else
      return wb_cli_bad_flag("rm", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"rm\" requires at least 1 argument: CONTAINER...");
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    cleanup_container struct wb_container *ct = NULL;
    int r = wb_container_load(ctx->root, argv[i], &ct, &e);
    if (r == 0) {
      wb_container_refresh(ct);
      if (wb_container_running(ct) && !force)
        r = wb_error_set(&e, -EBUSY,
                         "cannot remove container %s: it is running; stop "
                         "it first or use rm -f",
                         argv[i]);
    }
    /* A stopped container's monitor may still be recording its end. */
    if (r == 0 && !force)
      wb_container_wait_ended(ct, 10000);
    if (r == 0)
      r = wb_container_force_remove(ctx, ct, &e);
    if (r == 0 && volumes)
      r = wb_volume_remove_anonymous(ctx->root, ct, &e);
    if (r < 0) {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      failed = 1;
      continue;
    }
    puts(argv[i]);
  }
  return failed ? WB_EXIT_FAILURE : 0;
}
