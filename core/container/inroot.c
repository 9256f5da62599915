#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"

static int openat2_in_root(int rootfd, const char *path, int flags)
{
  struct open_how how = {
      .flags = (unsigned long long)flags,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

int wb_inroot_open(int rootfd, const char *path, enum wb_inroot_kind kind,
                   bool create, wb_error *err)
{
  while (*path == '/')
    path++;
  int fd = openat2_in_root(rootfd, *path ? path : ".", O_PATH | O_CLOEXEC);
  if (!*path)
    return fd < 0 ? wb_error_set(err, errno, "open the container root") : fd;
  if (fd >= 0 || errno != ENOENT || !create) {
    if (fd < 0)
      return wb_error_set(err, errno, "open /%s in container", path);
    return fd;
  }
  /* Create the parent first, then this component without following it. */
  cleanup_free char *copy = xstrdup(path);
  char *slash = strrchr(copy, '/');
  const char *base = copy;
  cleanup_close int parent = -1;
  if (slash) {
    *slash = '\0';
    base = slash + 1;
    parent = wb_inroot_open(rootfd, copy, WB_INROOT_DIR, true, err);
    if (parent < 0)
      return parent;
    int real = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (real < 0)
      return wb_error_set(err, errno, "open /%s in container", copy);
    close(parent);
    parent = real;
  } else {
    parent = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
      return wb_error_set(err, errno, "open container root");
  }
  if (kind == WB_INROOT_DIR) {
    if (mkdirat(parent, base, 0755) < 0 && errno != EEXIST)
      return wb_error_set(err, errno, "mkdir /%s in container", path);
  } else {
    int f = openat(parent, base,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (f < 0 && errno != EEXIST)
      return wb_error_set(err, errno, "create /%s in container", path);
    if (f >= 0)
      close(f);
  }
  fd = openat2_in_root(rootfd, path, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open /%s in container", path);
  return fd;
}

char *wb_fd_path(int fd)
{
  return xasprintf("/proc/self/fd/%d", fd);
}
