/* rm: remove containers; a running one only with -f. */
#include <errno.h>
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
    "  -f, --force     kill and remove a running container, or one whose\n"
    "                  state cannot be read\n"
    "  -v, --volumes   also remove the container's anonymous volumes\n";

static int rm_one(struct wb_context *ctx, const char *ref, bool force,
                  bool volumes, wb_error *err)
{
  cleanup_container struct wb_container *ct = NULL;
  int r = wb_container_load_any(ctx->root, ref, &ct, err);
  if (r < 0)
    return r;
  if (ct->unreadable && !force)
    /* Its processes may be running: nothing says they are not. */
    return wb_error_set(err, -EBADMSG,
                        "cannot remove container %s: its state cannot be "
                        "read (%s); use rm -f",
                        ref, ct->unreadable);
  wb_container_refresh(ct);
  if (wb_container_running(ct) && !force)
    return wb_error_set(err, -EBUSY,
                        "cannot remove container %s: it is running; stop "
                        "it first or use rm -f",
                        ref);
  /* A stopped container's monitor may still be recording its end. */
  if (!force)
    wb_container_wait_ended(ct, 10000);
  r = wb_container_force_remove(ctx, ct, err);
  if (r == 0 && volumes && !ct->unreadable)
    r = wb_volume_remove_anonymous(ctx->root, ct, err);
  return r;
}

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
    if (rm_one(ctx, argv[i], force, volumes, &e) < 0) {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      failed = 1;
      continue;
    }
    puts(argv[i]);
  }
  return failed ? WB_EXIT_FAILURE : 0;
}
