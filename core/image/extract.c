/* extract.c - tar entries into a layer directory, confined to it.
 *
 * Every path is resolved by hand from the layer's root fd, one component at
 * a time with O_NOFOLLOW, so no entry can be written through a symlink (the
 * symlinks an image carries are stored verbatim and resolved only inside a
 * container, never while extracting).  Names are checked before anything
 * is created: absolute paths and ".." components are refused rather than
 * rewritten, so a hostile tarball fails loudly. */
#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "store_internal.h"

struct wb_extract_dirtime {
  char *path; /* relative, "" = root */
  struct timespec ts[2];
};

void wb_extract_init(struct wb_extract *x, int root_fd)
{
  memset(x, 0, sizeof *x);
  x->root_fd = root_fd;
  x->dir_fd = -1;
  x->umask = umask(0);
  umask(x->umask);
  x->euid = geteuid();
  x->egid = getegid();
}

static void forget_dir(struct wb_extract *x)
{
  if (x->dir_fd >= 0)
    close(x->dir_fd);
  x->dir_fd = -1;
  free(x->dir_path);
  x->dir_path = NULL;
}

void wb_extract_free(struct wb_extract *x)
{
  forget_dir(x);
  for (size_t i = 0; i < x->ndirs; i++)
    free(x->dirs[i].path);
  free(x->dirs);
  x->dirs = NULL;
  x->ndirs = x->capdirs = 0;
}

static bool is_whiteout_prefix(const char *name)
{
  return strncmp(name, ".wh.", 4) == 0;
}

/* Open directory comps[0..n) below root_fd, never following a symlink;
 * missing directories are created (0755, root) when `create`. */
static int walk_dirs(int root_fd, char **comps, int n, bool create,
                     const char *entry, int *out, wb_error *err)
{
  cleanup_close int cur = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
  if (cur < 0)
    return wb_error_set(err, errno, "dup");
  for (int i = 0; i < n; i++) {
    int fd =
        openat(cur, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (mkdirat(cur, comps[i], 0755) < 0 && errno != EEXIST)
        return wb_error_set(err, errno, "entry '%s': mkdir %s", entry,
                            comps[i]);
      fd = openat(cur, comps[i],
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      int e = errno;
      struct stat st;
      if ((e == ELOOP || e == ENOTDIR) &&
          fstatat(cur, comps[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISLNK(st.st_mode))
          return wb_error_set(err, -EINVAL,
                              "entry '%s': refusing to write through the "
                              "symbolic link '%s'",
                              entry, comps[i]);
        return wb_error_set(err, -EINVAL, "entry '%s': '%s' is not a directory",
                            entry, comps[i]);
      }
      if (e == ENOENT)
        return wb_error_set(err, -EINVAL, "entry '%s': '%s' does not exist",
                            entry, comps[i]);
      return wb_error_set(err, e, "entry '%s': open %s", entry, comps[i]);
    }
    close(cur);
    cur = fd;
  }
  *out = steal_fd(&cur);
  return 0;
}

/* The directory comps[0..n) (created when missing), as a descriptor the
 * extract keeps (the caller must not close it).  Reused while entries stay
 * in one directory: an entry can replace only what is below its parent,
 * never the parent itself, so the descriptor stays the directory that
 * path names; the root entry, which can change the root's mode, forgets
 * it. */
static int parent_dir(struct wb_extract *x, char **comps, int n,
                      const char *entry, int *out, wb_error *err)
{
  size_t len = 1;
  for (int i = 0; i < n; i++)
    len += strlen(comps[i]) + 1;
  cleanup_free char *path = xzalloc(len);
  for (int i = 0; i < n; i++) {
    if (i)
      strcat(path, "/");
    strcat(path, comps[i]);
  }
  if (x->dir_fd >= 0 && strcmp(x->dir_path, path) == 0) {
    *out = x->dir_fd;
    return 0;
  }
  forget_dir(x);
  int fd = -1;
  int r = walk_dirs(x->root_fd, comps, n, true, entry, &fd, err);
  if (r < 0)
    return r;
  struct stat st;
  if (fstat(fd, &st) < 0) {
    r = wb_error_set(err, errno, "entry '%s': stat its directory", entry);
    close(fd);
    return r;
  }
  x->dir_fd = fd;
  x->dir_path = steal_pointer(&path);
  x->dir_gid = st.st_gid;
  x->dir_acl = fgetxattr(fd, "system.posix_acl_default", NULL, 0) > 0;
  *out = fd;
  return 0;
}

/* Split and check an entry name (or hard link target). */
static int entry_components(const char *path, const char *what, char ***out,
                            wb_error *err)
{
  if (!path || !*path)
    return wb_error_set(err, -EINVAL, "%s with an empty name", what);
  if (path[0] == '/')
    return wb_error_set(err, -EINVAL,
                        "%s '%s': absolute paths are not allowed in an image",
                        what, path);
  int n = wb_entry_components(path, out);
  if (n < 0)
    return wb_error_set(
        err, -EINVAL, "%s '%s': '..' would escape the image root", what, path);
  return n;
}

/* Make room for a new entry `name`: replace what is there, except that a
 * directory over a directory merges. */
static int clear_target(int pfd, const char *name, bool new_is_dir,
                        const char *entry, wb_error *err)
{
  struct stat st;
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return wb_error_set(err, errno, "entry '%s': stat", entry);
  }
  if (S_ISDIR(st.st_mode)) {
    if (new_is_dir)
      return 0;
    return rm_rf_at(pfd, name, err);
  }
  if (unlinkat(pfd, name, 0) < 0)
    return wb_error_set(err, errno, "entry '%s': unlink", entry);
  return 0;
}

/* xattrs of the entry.  overlayfs' own trusted.overlay.* attributes other
 * than "opaque" (redirect, metacopy, origin...) are dropped: they would
 * make the kernel look elsewhere in the layer stack. */
static int apply_xattrs(int pfd, const char *name, int fd,
                        struct archive_entry *e, const char *entry,
                        wb_error *err)
{
  const char *key;
  const void *value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &key, &value, &size) == ARCHIVE_OK) {
    if (strncmp(key, "trusted.overlay.", 16) == 0 &&
        strcmp(key, "trusted.overlay.opaque") != 0)
      continue;
    int r;
    if (fd >= 0) {
      r = fsetxattr(fd, key, value, size, 0);
    } else {
      /* No setxattrat in glibc: go through the parent's fd, so the name
       * is looked up (without following it) in a directory we hold. */
      cleanup_free char *p = xasprintf("/proc/self/fd/%d/%s", pfd, name);
      r = lsetxattr(p, key, value, size, 0);
    }
    if (r < 0) {
      /* user.* is not allowed on symlinks and devices: nothing to keep. */
      if (fd < 0 && (errno == EPERM || errno == ENOTSUP)) {
        wb_debug("import: entry '%s': xattr %s not kept: %s", entry, key,
                 strerror(errno));
        continue;
      }
      return wb_error_set(err, errno, "entry '%s': set xattr %s", entry, key);
    }
  }
  return 0;
}

static int apply_owner(int pfd, const char *name, int fd,
                       struct archive_entry *e, const char *entry,
                       wb_error *err)
{
  uid_t uid = archive_entry_uid(e);
  gid_t gid = archive_entry_gid(e);
  int r = fd >= 0 ? fchown(fd, uid, gid)
                  : fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
  if (r < 0 && !(errno == EPERM && geteuid() != 0))
    return wb_error_set(err, errno, "entry '%s': chown %u:%u", entry, uid, gid);
  return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
  ts[0].tv_sec = archive_entry_atime_is_set(e) ? archive_entry_atime(e)
                                               : archive_entry_mtime(e);
  ts[0].tv_nsec = archive_entry_atime_is_set(e) ? archive_entry_atime_nsec(e)
                                                : archive_entry_mtime_nsec(e);
  ts[1].tv_sec = archive_entry_mtime(e);
  ts[1].tv_nsec = archive_entry_mtime_nsec(e);
}

static int write_data(struct archive *a, int fd, struct archive_entry *e,
                      const char *entry, wb_error *err)
{
  la_int64_t end = 0;
  for (;;) {
    const void *buf;
    size_t len;
    la_int64_t off;
    int r = archive_read_data_block(a, &buf, &len, &off);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_OK)
      return wb_error_set(err, -EIO, "entry '%s': %s", entry,
                          archive_error_string(a));
    const char *p = buf;
    while (len) {
      ssize_t w = pwrite(fd, p, len, off);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        return wb_error_set(err, errno, "entry '%s': write", entry);
      }
      p += w;
      off += w;
      len -= w;
    }
    if (off > end)
      end = off;
  }
  /* Sparse files may end in a hole. */
  if (archive_entry_size_is_set(e) && archive_entry_size(e) != end &&
      ftruncate(fd, archive_entry_size(e)) < 0)
    return wb_error_set(err, errno, "entry '%s': truncate", entry);
  return 0;
}

static int make_whiteout(int pfd, const char *name, const char *entry,
                         wb_error *err)
{
  int r = clear_target(pfd, name, false, entry, err);
  if (r < 0)
    return r;
  if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return wb_error_set(err, errno, "entry '%s': whiteout", entry);
  return 0;
}

static int record_dirtime(struct wb_extract *x, char **comps, int n,
                          struct archive_entry *e)
{
  if (x->ndirs == x->capdirs) {
    x->capdirs = x->capdirs ? 2 * x->capdirs : 64;
    x->dirs = xrealloc(x->dirs, x->capdirs * sizeof *x->dirs);
  }
  char *path = xstrdup("");
  for (int i = 0; i < n; i++) {
    char *p = *path ? xasprintf("%s/%s", path, comps[i]) : xstrdup(comps[i]);
    free(path);
    path = p;
  }
  x->dirs[x->ndirs].path = path;
  entry_times(e, x->dirs[x->ndirs].ts);
  x->ndirs++;
  return 0;
}

/* A directory entry: created or merged with the one there. */
static int extract_dir(struct wb_extract *x, int pfd, const char *name,
                       struct archive_entry *e, const char *entry,
                       wb_error *err)
{
  cleanup_close int fd = -1;
  if (name) {
    int r = clear_target(pfd, name, true, entry, err);
    if (r < 0)
      return r;
    if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
      return wb_error_set(err, errno, "entry '%s': mkdir", entry);
    fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  } else {
    fd = fcntl(x->root_fd, F_DUPFD_CLOEXEC, 3);
  }
  if (fd < 0)
    return wb_error_set(err, errno, "entry '%s': open", entry);
  int r = apply_owner(pfd, name, fd, e, entry, err);
  if (r == 0 && fchmod(fd, archive_entry_perm(e) & 07777) < 0)
    r = wb_error_set(err, errno, "entry '%s': chmod", entry);
  if (r == 0)
    r = apply_xattrs(pfd, name, fd, e, entry, err);
  return r;
}

static int extract_file(struct wb_extract *x, struct archive *a, int pfd,
                        const char *name, struct archive_entry *e,
                        const char *entry, wb_error *err)
{
  /* Created with its final permission bits where the umask allows: the
   * layer is private until it is complete, and the descriptor is open for
   * writing whatever the mode.  Most files then need no chmod, and as
   * whalebox's own files no chown (both are a syscall per file). */
  mode_t perm = archive_entry_perm(e) & 07777;
  /* A default ACL, not the umask, masks a new file's mode: unknown. */
  mode_t made = x->dir_acl ? 0 : perm & 0777 & ~x->umask;
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  cleanup_close int fd = openat(pfd, name, flags, made);
  if (fd < 0 && errno == EEXIST) {
    int r = clear_target(pfd, name, false, entry, err);
    if (r < 0)
      return r;
    fd = openat(pfd, name, flags, made);
  }
  if (fd < 0)
    return wb_error_set(err, errno, "entry '%s': create", entry);
  if (x->owner_seen == 0) {
    struct stat st;
    if (fstat(fd, &st) < 0)
      return wb_error_set(err, errno, "entry '%s': stat", entry);
    x->owner_seen = st.st_uid == x->euid ? 1 : -1;
  }
  int r = write_data(a, fd, e, entry, err);
  if (r < 0)
    return r;
  x->size += archive_entry_size(e);
  /* chown clears set-id bits and file capabilities: mode and xattrs come
   * after it.  A new file is ours (checked on the first one: not so on a
   * root-squashed NFS), with our group or its directory's (a set-gid
   * directory, a grpid mount): when all three agree with the entry, it
   * already has the owner the entry asks for. */
  gid_t gid = archive_entry_gid(e);
  bool chowned = x->owner_seen < 0 || archive_entry_uid(e) != x->euid ||
                 gid != x->egid || gid != x->dir_gid;
  if (chowned)
    r = apply_owner(pfd, name, fd, e, entry, err);
  if (r == 0 && (chowned || made != perm) && fchmod(fd, perm) < 0)
    r = wb_error_set(err, errno, "entry '%s': chmod", entry);
  if (r == 0)
    r = apply_xattrs(pfd, name, fd, e, entry, err);
  struct timespec ts[2];
  entry_times(e, ts);
  if (r == 0 && futimens(fd, ts) < 0)
    r = wb_error_set(err, errno, "entry '%s': set times", entry);
  return r;
}

static int extract_hardlink(struct wb_extract *x, int pfd, const char *name,
                            const char *target, const char *entry,
                            wb_error *err)
{
  cleanup_strv char **tcomps = NULL;
  int n = entry_components(target, "hard link target", &tcomps, err);
  if (n < 0)
    return wb_error_prefix(err, "entry '%s'", entry);
  if (n == 0)
    return wb_error_set(err, -EINVAL, "entry '%s': hard link to the image root",
                        entry);
  cleanup_close int tfd = -1;
  int r = walk_dirs(x->root_fd, tcomps, n - 1, false, entry, &tfd, err);
  if (r < 0)
    return r;
  struct stat st;
  if (fstatat(tfd, tcomps[n - 1], &st, AT_SYMLINK_NOFOLLOW) < 0)
    return wb_error_set(err, -EINVAL,
                        "entry '%s': hard link target '%s' is not in the "
                        "image (yet)",
                        entry, target);
  if (S_ISDIR(st.st_mode))
    return wb_error_set(err, -EINVAL,
                        "entry '%s': hard link to the directory '%s'", entry,
                        target);
  /* Linking an entry to itself: nothing to do. */
  struct stat cur;
  if (fstatat(pfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
      cur.st_dev == st.st_dev && cur.st_ino == st.st_ino)
    return 0;
  r = clear_target(pfd, name, false, entry, err);
  if (r < 0)
    return r;
  /* flags 0: a link to a symlink links the symlink itself. */
  if (linkat(tfd, tcomps[n - 1], pfd, name, 0) < 0)
    return wb_error_set(err, errno, "entry '%s': link to %s", entry, target);
  return 0;
}

static int extract_special(struct wb_extract *x, int pfd, const char *name,
                           struct archive_entry *e, const char *entry,
                           wb_error *err)
{
  mode_t type = archive_entry_filetype(e);
  int r = clear_target(pfd, name, false, entry, err);
  if (r < 0)
    return r;
  if (type == AE_IFLNK) {
    const char *target = archive_entry_symlink(e);
    if (!target)
      return wb_error_set(err, -EINVAL, "entry '%s': symlink without a target",
                          entry);
    if (symlinkat(target, pfd, name) < 0)
      return wb_error_set(err, errno, "entry '%s': symlink", entry);
    x->size += strlen(target);
  } else {
    dev_t dev = type == AE_IFIFO ? 0 : archive_entry_rdev(e);
    if (mknodat(pfd, name, type | 0600, dev) < 0)
      return wb_error_set(err, errno, "entry '%s': mknod", entry);
  }
  r = apply_owner(pfd, name, -1, e, entry, err);
  if (r == 0 && type != AE_IFLNK &&
      fchmodat(pfd, name, archive_entry_perm(e) & 07777, 0) < 0)
    r = wb_error_set(err, errno, "entry '%s': chmod", entry);
  if (r == 0)
    r = apply_xattrs(pfd, name, -1, e, entry, err);
  struct timespec ts[2];
  entry_times(e, ts);
  if (r == 0 && utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    r = wb_error_set(err, errno, "entry '%s': set times", entry);
  return r;
}

int wb_extract_entry(struct wb_extract *x, struct archive *a,
                     struct archive_entry *e, wb_error *err)
{
  const char *entry = archive_entry_pathname(e);
  cleanup_strv char **comps = NULL;
  int n = entry_components(entry, "entry", &comps, err);
  if (n < 0)
    return n;
  const char *hardlink = archive_entry_hardlink(e);
  mode_t type = archive_entry_filetype(e);
  if (n == 0) {
    if (hardlink || type != AE_IFDIR)
      return wb_error_set(err, -EINVAL,
                          "entry '%s': the image root must be a directory",
                          entry);
    /* It may make the root set-gid: what new files get is read again. */
    forget_dir(x);
    int r = extract_dir(x, x->root_fd, NULL, e, entry, err);
    return r < 0 ? r : record_dirtime(x, comps, 0, e);
  }
  const char *name = comps[n - 1];
  int pfd = -1; /* the extract's; not closed here */
  int r = parent_dir(x, comps, n - 1, entry, &pfd, err);
  if (r < 0)
    return r;

  if (is_whiteout_prefix(name)) {
    const char *target = name + 4;
    if (strcmp(name, ".wh..wh..opq") == 0) {
      if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
        return wb_error_set(err, errno, "entry '%s': mark directory opaque",
                            entry);
      return 0;
    }
    if (is_whiteout_prefix(target))
      return 0; /* AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs) */
    if (!*target || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
      return wb_error_set(err, -EINVAL, "entry '%s': bad whiteout name", entry);
    return make_whiteout(pfd, target, entry, err);
  }

  if (hardlink)
    return extract_hardlink(x, pfd, name, hardlink, entry, err);
  switch (type) {
  case AE_IFDIR:
    r = extract_dir(x, pfd, name, e, entry, err);
    return r < 0 ? r : record_dirtime(x, comps, n, e);
  case AE_IFREG:
    return extract_file(x, a, pfd, name, e, entry, err);
  case AE_IFLNK:
  case AE_IFCHR:
  case AE_IFBLK:
  case AE_IFIFO:
    return extract_special(x, pfd, name, e, entry, err);
  case AE_IFSOCK:
    return 0; /* sockets are not kept, as with tar(1) */
  default:
    return wb_error_set(err, -EINVAL, "entry '%s': unknown file type 0%o",
                        entry, (unsigned)type);
  }
}

int wb_extract_finish(struct wb_extract *x, wb_error *err)
{
  for (size_t i = 0; i < x->ndirs; i++) {
    cleanup_strv char **comps = NULL;
    int n = wb_entry_components(x->dirs[i].path, &comps);
    if (n < 0)
      continue;
    cleanup_close int fd = -1;
    int r = walk_dirs(x->root_fd, comps, n, false, x->dirs[i].path, &fd, err);
    if (r == -EINVAL)
      continue; /* replaced by a later entry */
    if (r < 0)
      return r;
    if (futimens(fd, x->dirs[i].ts) < 0)
      return wb_error_set(err, errno, "set times of %s", x->dirs[i].path);
  }
  return 0;
}
