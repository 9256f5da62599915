/* run: create a container from an image and run it, in the foreground
 * (stdio or a pty) or detached (container/monitor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../container/foreground.h"
#include "../container/lifecycle.h"
#include "../container/monitor.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "../volume/volume.h"
#include "commands.h"
#include "run_options.h"

static const char usage_text[] =
    "Usage: whalebox run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
    "\n"
    "Create and run a new container from an image.\n"
    "\n"
    "Options:\n"
    "  -d, --detach             run in the background and print its id\n"
    "  -i, --interactive        keep stdin open\n"
    "  -t, --tty                allocate a pseudo-terminal\n"
    "      --rm                 remove the container when it exits\n"
    "      --name NAME          name the container "
    "([a-zA-Z0-9][a-zA-Z0-9_.-]*)\n"
    "  -e, --env K=V            set an environment variable (repeatable)\n"
    "      --env-file FILE      read K=V lines from FILE\n"
    "  -w, --workdir DIR        working directory inside the container\n"
    "  -u, --user USER[:GROUP]  user (from the image's /etc/passwd) or uid\n"
    "  -h, --hostname NAME      container host name\n"
    "      --read-only          mount the root file system read-only\n"
    "      --entrypoint CMD     override the image's entrypoint\n"
    "  -v, --volume H:C[:ro]    bind mount host path H (or volume H) at C\n"
    "                           (repeatable; C alone: an anonymous volume)\n"
    "      --mount type=bind,source=H,target=C[,readonly]\n"
    "      --mount type=volume[,source=NAME],target=C[,readonly]\n"
    "                           [,volume-nocopy] (no source: anonymous)\n"
    "      --mount type=tmpfs,target=C[,tmpfs-size=BYTES]"
    "[,tmpfs-mode=OCTAL]\n"
    "                           [,readonly]\n"
    "      --tmpfs C[:OPTIONS]  a tmpfs at C; OPTIONS as mount(8)'s: ro,\n"
    "                           exec, size=64m, mode=1777, uid=, gid=...\n"
    "                           (always nosuid, nodev; noexec unless exec)\n"
    "  -m, --memory SIZE        memory limit (b, k, m, g; at least 6m)\n"
    "      --memory-swap SIZE   memory plus swap limit, -1 for unlimited\n"
    "  -c, --cpu-shares N       relative CPU weight (alias -cpushare)\n"
    "      --cpus X             number of CPUs (CFS quota)\n"
    "      --cpuset-cpus LIST   CPUs allowed, e.g. 0-1 (alias --cpuset)\n"
    "      --cpuset-mems LIST   memory nodes allowed\n"
    "      --pids-limit N       maximum number of processes (-1 unlimited)\n"
    "      --log-driver NAME    log driver for this container (none: no "
    "log)\n"
    "      --log-opt K=V        log driver option (max-size, max-file)\n"
    "      --cgroup-parent P    cgroup parent (default from the config)\n"
    "      --cap-add CAP        add a capability (or ALL)\n"
    "      --cap-drop CAP       drop a capability (or ALL)\n"
    "      --privileged         all capabilities, no seccomp, no masked paths\n"
    "      --security-opt OPT   seccomp=FILE|unconfined, "
    "no-new-privileges=false\n"
    "      --userns MODE        host (default) or remap: a user namespace\n"
    "                           with the mapping of userns.remap in the "
    "config\n"
    "      --uidmap C:H:N       map container uids C.. to host uids H.. "
    "(N ids;\n"
    "                           repeatable; also the gid map unless --gidmap)\n"
    "      --gidmap C:H:N       map container gids (repeatable)\n"
    "\n"
    "Exit status: the command's own; 128+N when killed by signal N; 125 when\n"
    "whalebox fails; 126 when the command cannot be executed; 127 when it is\n"
    "not found.\n";

/* The log driver the container records and uses, loaded now so that a bad
 * one fails before anything exists.  As Docker, a foreground container is
 * logged too (its output goes to the terminal and to the driver), unless
 * the driver is `none`. */
static int choose_log_driver(struct wb_context *ctx, struct wb_container *c,
                             wb_error *err)
{
  const char *arg =
      c->log_driver ? c->log_driver : ctx->driver_arg[WB_PLUGIN_LOG];
  struct wb_driver *log;
  int r = wb_context_driver_named(ctx, WB_PLUGIN_LOG, arg, &log, err);
  if (r < 0)
    return r;
  free(c->log_driver);
  c->log_driver = xstrdup(wb_driver_ref(ctx, log));
  return 0;
}

WB_COMMAND(run, "run", "Create and run a new container from an image")
{
  cleanup_container struct wb_container *c = NULL;
  bool help;
  int r = wb_run_parse(ctx, argc, argv, &c, &help, err);
  if (r < 0)
    return r;
  if (help) {
    fputs(usage_text, stdout);
    return 0;
  }
  r = choose_log_driver(ctx, c, err);
  if (r < 0)
    return r;
  /* Named and anonymous volumes and missing host paths are created only
   * now that every flag has been checked. */
  r = wb_volume_resolve_binds(ctx->root, c, err);
  if (r < 0)
    return r;
  r = wb_container_create(ctx, c, err);
  if (r == 0 && c->detach)
    r = wb_monitor_start(ctx, c, true, err);
  else if (r == 0)
    r = wb_container_run_attached(ctx, c, err);
  if (r < 0) {
    /* Every failure path leaves nothing behind (discard is idempotent). */
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    wb_container_discard(ctx, c, &ignored);
    return r;
  }
  if (c->detach)
    printf("%s\n", c->id);
  return r;
}