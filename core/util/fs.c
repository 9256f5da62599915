#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

char *path_join(const char *a, const char *b)
{
  size_t la = strlen(a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  if (la == 1 && a[0] == '/')
    return xasprintf("/%s", b);
  return xasprintf("%.*s/%s", (int)la, a, b);
}

int mark_spread_subdirs(const char *path)
{
  cleanup_close int fd =
      open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int flags = 0;
  if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
      (flags & FS_TOPDIR_FL))
    return 0;
  flags |= FS_TOPDIR_FL;
  return ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0 ? 1 : 0;
}

int mkdir_p(const char *path, mode_t mode, wb_error *err)
{
  cleanup_free char *copy = xstrdup(path);
  size_t n = strlen(copy);
  if (n == 0)
    return wb_error_set(err, EINVAL, "mkdir: empty path");
  /* Usually all of it or all but the last level exists: one mkdir, not
   * one per level. */
  if (mkdir(path, mode) == 0)
    return 0;
  if (errno == EEXIST)
    goto check;
  if (errno != ENOENT)
    return wb_error_set(err, errno, "mkdir %s", path);
  for (char *p = copy + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return wb_error_set(err, errno, "mkdir %s", copy);
      *p = saved;
      if (saved == '\0')
        break;
    }
  }
check:;
  struct stat st;
  if (stat(path, &st) < 0)
    return wb_error_set(err, errno, "stat %s", path);
  if (!S_ISDIR(st.st_mode))
    return wb_error_set(err, ENOTDIR, "mkdir %s", path);
  return 0;
}

static int rm_rf_children(int dfd, dev_t dev, wb_error *err)
{
  cleanup_dir DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    return wb_error_set(err, e, "fdopendir");
  }
  struct dirent *de;
  int ret = 0;
  while ((errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue;
      return wb_error_set(err, errno, "stat %s", de->d_name);
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev)
        return wb_error_set(err, EBUSY, "refusing to remove mount point %s",
                            de->d_name);
      int cfd = openat(dirfd(d), de->d_name,
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (cfd < 0)
        return wb_error_set(err, errno, "open %s", de->d_name);
      ret = rm_rf_children(cfd, dev, err);
      if (ret < 0)
        return ret;
      if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return wb_error_set(err, errno, "rmdir %s", de->d_name);
    } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
      return wb_error_set(err, errno, "unlink %s", de->d_name);
    }
  }
  if (errno)
    return wb_error_set(err, errno, "readdir");
  return 0;
}

int rm_rf_at(int dirfd, const char *name, wb_error *err)
{
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return wb_error_set(err, errno, "stat %s", name);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
      return wb_error_set(err, errno, "unlink %s", name);
    return 0;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", name);
  int ret = rm_rf_children(fd, st.st_dev, err);
  if (ret < 0)
    return wb_error_prefix(err, "remove %s", name);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return wb_error_set(err, errno, "rmdir %s", name);
  return 0;
}

int rm_rf(const char *path, wb_error *err)
{
  return rm_rf_at(AT_FDCWD, path, err);
}

int read_fd(int fd, const char *label, char **out, size_t *len, wb_error *err)
{
  size_t cap = 4096, n = 0;
  cleanup_free char *buf = xmalloc(cap);
  for (;;) {
    if (n + 1 >= cap) {
      cap *= 2;
      buf = xrealloc(buf, cap);
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return wb_error_set(err, errno, "read %s", label);
    }
    if (r == 0)
      break;
    n += r;
  }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = steal_pointer(&buf);
  return 0;
}

int read_file(const char *path, char **out, size_t *len, wb_error *err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  return read_fd(fd, path, out, len, err);
}

char *sibling_of_self(const char *name, int mode)
{
  /* /proc/self/exe names this binary; its length is unknown: grow. */
  for (size_t cap = 256; cap <= 65536; cap *= 2) {
    cleanup_free char *self = xmalloc(cap);
    ssize_t n = readlink("/proc/self/exe", self, cap);
    if (n < 0)
      return NULL;
    if ((size_t)n == cap)
      continue; /* maybe truncated */
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
      return NULL;
    *slash = '\0';
    char *sibling = path_join(self, name);
    if (access(sibling, mode) == 0)
      return sibling;
    free(sibling);
    return NULL;
  }
  return NULL;
}

static int write_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= w;
  }
  return 0;
}

int write_file(const char *path, const void *data, size_t len, wb_error *err)
{
  cleanup_close int fd =
      open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  if (write_all(fd, data, len) < 0)
    return wb_error_set(err, errno, "write %s", path);
  return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len,
                      int do_sync, wb_error *err)
{
  cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, getpid());
  cleanup_close int fd =
      open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", tmp);
  if (write_all(fd, data, len) < 0 || (do_sync && fsync(fd) < 0)) {
    int e = errno;
    unlink(tmp);
    return wb_error_set(err, e, "write %s", tmp);
  }
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    return wb_error_set(err, e, "rename %s", path);
  }
  return 0;
}
