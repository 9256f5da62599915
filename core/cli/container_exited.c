/* container-exited: the bookkeeping at the end of a detached container,
 * run by whalebox-monitor (same process, via exec) with the wait status
 * of the container's first process.  Hidden from help. */
#include <errno.h>
#include <stdlib.h>

#include "../container/control.h"
#include "../container/lock.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "commands.h"

static void remove_logs(struct wb_context *ctx, struct wb_container *c)
{
  struct wb_driver *log = NULL;
  if (!c->log_driver || wb_context_driver_named(ctx, WB_PLUGIN_LOG,
                                                c->log_driver, &log, NULL) < 0)
    return;
  const struct wb_log_ops *ops = log->ops;
  cleanup_free char *dir = path_join(c->dir, "log");
  struct wb_log_target t = {.size = sizeof t, .id = c->id, .dir = dir};
  if (ops->remove)
    ops->remove(log->data, &t, NULL);
}

static int container_exited(struct wb_context *ctx, int argc, char **argv,
                            wb_error *err)
{
  if (argc != 3)
    return wb_error_set(err, -EINVAL,
                        "container-exited is run by whalebox-monitor only");
  char *end;
  long status = strtol(argv[2], &end, 10);
  if (*end)
    return wb_error_set(err, -EINVAL, "container-exited: bad status %s",
                        argv[2]);
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load_id(ctx->root, argv[1], &c, err);
  if (r < 0)
    return r;
  /* One hold of the lock for the record and, with --rm, the removal: no
   * start comes in between. */
  r = wb_container_lock(c, err);
  if (r < 0)
    return r;
  cleanup_container struct wb_container *fresh = NULL;
  r = wb_container_load_id(ctx->root, argv[1], &fresh, err);
  if (r == 0)
    r = wb_container_exited(ctx, fresh, (int)status, err);
  if (fresh && fresh->auto_remove) {
    remove_logs(ctx, fresh);
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (wb_container_discard(ctx, fresh, &e) < 0)
      wb_log(WB_LOG_WARN, "container %.12s: %s", fresh->id, e.msg);
  }
  wb_container_unlock(c);
  return r < 0 ? r : 0;
}

static const struct wb_command exited_cmd = {"container-exited",
                                             container_exited, NULL, 1, 0};
__attribute__((used, section("wb_commands"))) static const struct wb_command
    *const exited_cmd_ptr = &exited_cmd;
