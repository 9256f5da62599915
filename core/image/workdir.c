/* workdir.c - flocked work directories in R/tmp for commit, save, load and
 * export. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "store_internal.h"
#include "transfer.h"

int wb_workdir_make(const char *root, const char *prefix, char **path,
                    int *lock_fd, wb_error *err)
{
  int r = wb_store_mkdirs(root, err);
  if (r < 0)
    return r;
  cleanup_free char *tmp = xasprintf("%s/tmp/%s-XXXXXX", root, prefix);
  if (!mkdtemp(tmp))
    return wb_error_set(err, errno, "mkdtemp %s", tmp);
  cleanup_close int fd =
      open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || flock(fd, LOCK_EX) < 0) {
    r = wb_error_set(err, errno, "lock %s", tmp);
    rmdir(tmp);
    return r;
  }
  *lock_fd = steal_fd(&fd);
  *path = steal_pointer(&tmp);
  return 0;
}
