/* inroot.h - open and create paths inside a container's root without ever
 * following a symlink out of it (openat2 RESOLVE_IN_ROOT). */
#ifndef WB_INROOT_H
#define WB_INROOT_H

#include <stdbool.h>

#include "../util/error.h"

enum wb_inroot_kind {
  WB_INROOT_DIR,
  WB_INROOT_FILE,
};

/* An O_PATH fd for `path` (absolute, as seen in the container) under
 * rootfd, creating it and missing parents as `kind` when `create`.  Mount
 * onto it through wb_fd_path(). */
int wb_inroot_open(int rootfd, const char *path, enum wb_inroot_kind kind,
                   bool create, wb_error *err);

/* "/proc/self/fd/N" for mounting onto an O_PATH fd. */
char *wb_fd_path(int fd);

#endif
