/* exec.h - run another process in a running container: join all of its
 * namespaces through a pidfd, its cgroup, and exec like its first
 * process. */
#ifndef WB_EXEC_H
#define WB_EXEC_H

#include "lifecycle.h"

struct wb_exec_request {
  char **argv;
  char **env; /* -e K=V */
  const char *user, *workdir;
  bool tty, interactive, detach;
};

/* The command's exit code (0 with detach once it runs), or < 0 with
 * 125/126/127 in err. */
int wb_container_exec(struct wb_context *ctx, struct wb_container *c,
                      const struct wb_exec_request *req, wb_error *err);

#endif
