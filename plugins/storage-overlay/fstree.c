/* fstree.c - copy and remove file trees for the storage drivers.
 *
 * Trees come from images and containers and are hostile: we walk them with
 * *at() calls on directory fds, never follow a symlink in them and never
 * descend into another mount. */
#include "fstree.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

#define COPY_CHUNK (1 << 17)

/* ---- small helpers ------------------------------------------------------ */

char *fst_join(const char *a, const char *b)
{
  char *out;
  if (!a || !*a)
    return strdup(b);
  if (asprintf(&out, "%s/%s", a, b) < 0)
    return NULL;
  return out;
}

size_t fst_count(const char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

int fst_open_dir(int dir_fd, const char *name)
{
  return openat(dir_fd, name,
                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

bool fst_is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

bool fst_excluded(const char *rel)
{
  static const char *const files[] = {"etc/hosts", "etc/hostname",
                                      "etc/resolv.conf"};
  static const char *const dirs[] = {"proc/", "sys/", "dev/"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (strcmp(rel, files[i]) == 0)
      return true;
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    if (strncmp(rel, dirs[i], strlen(dirs[i])) == 0)
      return true;
  return false;
}

/* xattr calls have no *at() form: address the entry through its directory
 * fd in /proc/self/fd, with the l* variants so a final symlink is not
 * followed. */
static char *proc_path(int dir_fd, const char *name)
{
  char *out;
  if (asprintf(&out, "/proc/self/fd/%d/%s", dir_fd, name) < 0)
    return NULL;
  return out;
}

static int nomem(const struct wb_host *host, wb_error *err)
{
  return host->error(host, err, ENOMEM, "out of memory");
}

/* A DIR stream of its own over dir_fd's directory, from the start. */
static DIR *open_stream(int dir_fd)
{
  int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir(fd);
  if (!d) {
    int saved = errno;
    close(fd);
    errno = saved;
    return NULL;
  }
  rewinddir(d);
  return d;
}

static bool dot_or_dotdot(const char *n)
{
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

/* ---- removal --------------------------------------------------------------
 */

int fst_list_names(int dir_fd, char ***out, size_t *count)
{
  DIR *d = open_stream(dir_fd);
  if (!d)
    return -errno;
  char **v = NULL;
  size_t n = 0, cap = 0;
  int r = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      r = -errno;
      break;
    }
    if (dot_or_dotdot(e->d_name))
      continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, cap * sizeof *nv);
      if (!nv) {
        r = -ENOMEM;
        break;
      }
      v = nv;
    }
    v[n] = strdup(e->d_name);
    if (!v[n]) {
      r = -ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  if (r < 0) {
    for (size_t i = 0; i < n; i++)
      free(v[i]);
    free(v);
    return r;
  }
  *out = v;
  *count = n;
  return 0;
}

void fst_free_names(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

int fst_remove_contents(const struct wb_host *host, int dir_fd,
                        const char *label, wb_error *err)
{
  char **names = NULL;
  size_t n = 0;
  int r = fst_list_names(dir_fd, &names, &n);
  if (r < 0)
    return host->error(host, err, -r, "read directory %s", label);
  for (size_t i = 0; i < n && r >= 0; i++)
    r = fst_remove_at(host, dir_fd, names[i], label, err);
  fst_free_names(names, n);
  return r;
}

int fst_remove_at(const struct wb_host *host, int dir_fd, const char *name,
                  const char *label, wb_error *err)
{
  struct statx stx;
  if (statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
            STATX_TYPE | STATX_INO, &stx) < 0) {
    if (errno == ENOENT)
      return 0;
    return host->error(host, err, errno, "stat %s/%s", label, name);
  }
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
      (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
    return host->error(host, err, -EBUSY,
                       "%s/%s is a mount point; refusing to remove it", label,
                       name);
  if (!S_ISDIR(stx.stx_mode)) {
    if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
      return host->error(host, err, errno, "remove %s/%s", label, name);
    return 0;
  }
  struct stat parent;
  if (fstat(dir_fd, &parent) < 0)
    return host->error(host, err, errno, "stat %s", label);
  /* Older kernels lack STATX_ATTR_MOUNT_ROOT: a different device is the
   * other sign of a mount point. */
  if (makedev(stx.stx_dev_major, stx.stx_dev_minor) != parent.st_dev)
    return host->error(host, err, -EBUSY,
                       "%s/%s is a mount point; refusing to remove it", label,
                       name);
  int fd = fst_open_dir(dir_fd, name);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return host->error(host, err, errno, "open %s/%s", label, name);
  }
  struct stat st;
  int r = 0;
  char *path = fst_join(label, name);
  if (!path)
    r = nomem(host, err);
  else if (fstat(fd, &st) < 0)
    r = host->error(host, err, errno, "stat %s", path);
  else if (st.st_ino != stx.stx_ino || st.st_dev != parent.st_dev)
    /* Swapped under us (a rename race): leave it alone. */
    r = host->error(host, err, -EBUSY, "%s changed while being removed", path);
  else
    r = fst_remove_contents(host, fd, path, err);
  close(fd);
  if (r >= 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    r = host->error(host, err, errno, "remove %s", path);
  free(path);
  return r;
}

/* ---- whiteouts and opaque directories -------------------------------------
 */

int fst_make_whiteout(const struct wb_host *host, int dir_fd, const char *name,
                      const char *path, wb_error *err)
{
  if (mknodat(dir_fd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return host->error(host, err, errno, "create whiteout %s", path);
  if (fchownat(dir_fd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
    return host->error(host, err, errno, "chown whiteout %s", path);
  return 0;
}

int fst_is_opaque(const struct wb_host *host, int dir_fd, const char *name,
                  const char *path, wb_error *err)
{
  char *p = proc_path(dir_fd, name);
  if (!p)
    return nomem(host, err);
  char v[2];
  ssize_t n = lgetxattr(p, FST_OPAQUE_XATTR, v, sizeof v);
  int saved = errno;
  free(p);
  if (n < 0) {
    if (saved == ENODATA || saved == ENOTSUP || saved == ERANGE)
      return 0;
    return host->error(host, err, saved, "read %s of %s", FST_OPAQUE_XATTR,
                       path);
  }
  return n == 1 && v[0] == 'y';
}

int fst_set_opaque(const struct wb_host *host, int dir_fd, const char *name,
                   const char *path, wb_error *err)
{
  char *p = proc_path(dir_fd, name);
  if (!p)
    return nomem(host, err);
  int r = lsetxattr(p, FST_OPAQUE_XATTR, "y", 1, 0);
  int saved = errno;
  free(p);
  if (r < 0)
    return host->error(host, err, saved, "set %s on %s", FST_OPAQUE_XATTR,
                       path);
  return 0;
}

/* ---- metadata -------------------------------------------------------------
 */

void fst_copy_init(struct fst_copy *c, const struct wb_host *host,
                   wb_error *err, unsigned flags, int dst_root,
                   const char *src_label, const char *dst_label)
{
  memset(c, 0, sizeof *c);
  c->host = host;
  c->err = err;
  c->flags = flags;
  c->dst_root = dst_root;
  c->src_label = src_label;
  c->dst_label = dst_label;
}

bool fst_userns(const struct wb_rootfs *fs)
{
  return fs->size >= offsetof(struct wb_rootfs, userns_fd) + sizeof(int) &&
         fs->uid_map_len > 0 && fs->gid_map_len > 0;
}

static bool host_mapped(const struct wb_idmap *map, uint32_t n, uint32_t id)
{
  for (uint32_t i = 0; i < n; i++)
    if (id >= map[i].host_id &&
        (uint64_t)id < (uint64_t)map[i].host_id + map[i].count)
      return true;
  return false;
}

uint32_t fst_map_id(const struct wb_idmap *map, uint32_t n, uint32_t id,
                    bool to_host)
{
  for (uint32_t i = 0; i < n; i++) {
    uint32_t from = to_host ? map[i].container_id : map[i].host_id;
    uint32_t to = to_host ? map[i].host_id : map[i].container_id;
    if (id >= from && (uint64_t)id < (uint64_t)from + map[i].count)
      return to + (id - from);
  }
  if (!to_host)
    return id;
  /* An image id the container cannot have becomes a host id outside the
   * mapping, "nobody" inside, as an idmapped layer shows it; kept as it
   * is, it could land on a mapped host id (with 0:100000:65536 an image
   * file of uid 100005 would be uid 5 inside). */
  return host_mapped(map, n, WB_OVERFLOW_ID) ? 4294967294u : WB_OVERFLOW_ID;
}

void fst_copy_set_idmap(struct fst_copy *c, const struct wb_rootfs *fs,
                        bool to_host)
{
  c->idmap = fst_userns(fs) ? fs : NULL;
  c->idmap_to_host = to_host;
}

int fst_chown_to_root(const struct wb_host *host, const struct wb_rootfs *fs,
                      int dir_fd, const char *name, const char *label,
                      wb_error *err)
{
  uid_t uid = fst_map_id(fs->uid_map, fs->uid_map_len, 0, true);
  gid_t gid = fst_map_id(fs->gid_map, fs->gid_map_len, 0, true);
  if (fchownat(dir_fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return host->error(host, err, errno, "chown %s/%s", label, name);
  return 0;
}

int fst_merge_layer(const struct wb_host *host, const struct wb_rootfs *fs,
                    const char *layer, int root_fd, const char *root,
                    wb_error *err)
{
  int src = fst_open_dir(AT_FDCWD, layer);
  if (src < 0)
    return host->error(host, err, errno, "open layer %s", layer);
  struct stat st;
  int r = 0;
  if (fstat(src, &st) < 0)
    r = host->error(host, err, errno, "stat layer %s", layer);
  struct fst_copy c;
  fst_copy_init(&c, host, err, FST_MERGE, root_fd, layer, root);
  /* With a user namespace: the copy belongs to the container's ids. */
  fst_copy_set_idmap(&c, fs, true);
  if (r == 0)
    r = fst_copy_dir(&c, src, root_fd, "");
  if (r >= 0)
    r = fst_copy_meta(&c, src, ".", root_fd, ".", &st, true, "");
  fst_copy_fini(&c);
  close(src);
  return r;
}

struct link_ent {
  dev_t dev;
  ino_t ino;
  char *path; /* relative to dst_root */
};

static int link_cmp(const void *a, const void *b)
{
  const struct link_ent *x = a, *y = b;
  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino)
    return x->ino < y->ino ? -1 : 1;
  return 0;
}

static void link_free(void *p)
{
  struct link_ent *e = p;
  free(e->path);
  free(e);
}

void fst_copy_fini(struct fst_copy *c)
{
  if (c->links)
    tdestroy(c->links, link_free);
  c->links = NULL;
}

static bool keep_xattr(const struct fst_copy *c, const char *name)
{
  if (strncmp(name, FST_OVERLAY_XATTR_PREFIX,
              strlen(FST_OVERLAY_XATTR_PREFIX)) != 0)
    return true;
  return !(c->flags & FST_MERGE) && (c->flags & FST_KEEP_OPAQUE) &&
         strcmp(name, FST_OPAQUE_XATTR) == 0;
}

/* The xattr names of `path` as one buffer of NUL-terminated strings. */
static int xattr_names(const char *path, char **out, ssize_t *len)
{
  *out = NULL;
  *len = 0;
  for (;;) {
    ssize_t n = llistxattr(path, NULL, 0);
    if (n < 0)
      return errno == ENOTSUP ? 0 : -errno;
    if (n == 0)
      return 0;
    char *buf = malloc(n);
    if (!buf)
      return -ENOMEM;
    ssize_t m = llistxattr(path, buf, n);
    if (m < 0) {
      int saved = errno;
      free(buf);
      if (saved == ERANGE)
        continue; /* grew between the two calls */
      return -saved;
    }
    *out = buf;
    *len = m;
    return 0;
  }
}

static int xattr_value(const char *path, const char *name, char **out,
                       ssize_t *len)
{
  for (;;) {
    ssize_t n = lgetxattr(path, name, NULL, 0);
    if (n < 0)
      return -errno;
    char *buf = malloc(n ? n : 1);
    if (!buf)
      return -ENOMEM;
    ssize_t m = lgetxattr(path, name, buf, n);
    if (m < 0) {
      int saved = errno;
      free(buf);
      if (saved == ERANGE)
        continue;
      return -saved;
    }
    *out = buf;
    *len = m;
    return 0;
  }
}

static bool in_list(const char *list, ssize_t len, const char *name)
{
  for (ssize_t i = 0; i < len; i += strlen(list + i) + 1)
    if (strcmp(list + i, name) == 0)
      return true;
  return false;
}

/* A namespaced file capability (v3) names the uid that is root for it as
 * the host sees it: under a user namespace that is the container's root
 * (e.g. 100000).  Copied through the mapping like the owners: a layer gets
 * the container's id, and root's becomes a plain v2 capability that
 * applies anywhere (kept as 100000 it would be ignored outside this
 * mapping, and refused with EOVERFLOW through an idmapped layer).  Returns
 * the new length of val. */
static ssize_t map_file_caps(const struct fst_copy *c, char *val, ssize_t len)
{
  struct vfs_ns_cap_data cap;
  if (len != (ssize_t)XATTR_CAPS_SZ_3)
    return len;
  memcpy(&cap, val, sizeof cap);
  uint32_t magic = le32toh(cap.magic_etc);
  if ((magic & VFS_CAP_REVISION_MASK) != VFS_CAP_REVISION_3)
    return len;
  const struct wb_rootfs *m = c->idmap;
  uint32_t rootid = fst_map_id(m->uid_map, m->uid_map_len, le32toh(cap.rootid),
                               c->idmap_to_host);
  if (rootid == 0) {
    cap.magic_etc =
        htole32(VFS_CAP_REVISION_2 | (magic & VFS_CAP_FLAGS_EFFECTIVE));
    memcpy(val, &cap, XATTR_CAPS_SZ_2);
    return (ssize_t)XATTR_CAPS_SZ_2;
  }
  cap.rootid = htole32(rootid);
  memcpy(val, &cap, sizeof cap);
  return len;
}

static int copy_xattrs(struct fst_copy *c, const char *src, const char *dst,
                       bool sync, const char *rel)
{
  char *names = NULL, *have = NULL;
  ssize_t len, have_len = 0;
  int r = xattr_names(src, &names, &len);
  if (r < 0)
    return c->host->error(c->host, c->err, -r, "list xattrs of %s/%s",
                          c->src_label, rel);
  if (sync) {
    r = xattr_names(dst, &have, &have_len);
    if (r < 0) {
      free(names);
      return c->host->error(c->host, c->err, -r, "list xattrs of %s/%s",
                            c->dst_label, rel);
    }
    for (ssize_t i = 0; i < have_len; i += strlen(have + i) + 1) {
      const char *n = have + i;
      if ((!in_list(names, len, n) || !keep_xattr(c, n)) &&
          lremovexattr(dst, n) < 0 && errno != ENODATA) {
        r = c->host->error(c->host, c->err, errno, "remove xattr %s of %s/%s",
                           n, c->dst_label, rel);
        break;
      }
    }
    free(have);
  }
  for (ssize_t i = 0; r >= 0 && i < len; i += strlen(names + i) + 1) {
    const char *n = names + i;
    if (!keep_xattr(c, n))
      continue;
    char *val = NULL;
    ssize_t vlen = 0;
    r = xattr_value(src, n, &val, &vlen);
    if (r == -ENODATA) {
      r = 0; /* removed since listed */
      continue;
    }
    if (r < 0) {
      r = c->host->error(c->host, c->err, -r, "read xattr %s of %s/%s", n,
                         c->src_label, rel);
      break;
    }
    if (c->idmap && strcmp(n, "security.capability") == 0)
      vlen = map_file_caps(c, val, vlen);
    if (lsetxattr(dst, n, val, vlen, 0) < 0) {
      if (errno == ENOTSUP)
        /* The destination cannot hold this namespace (e.g. user.* on a
         * symlink): not worth failing the whole copy for. */
        c->host->log(c->host, WB_LOG_WARN, "%s/%s: cannot keep xattr %s: %s",
                     c->dst_label, rel, n, strerror(errno));
      else
        r = c->host->error(c->host, c->err, errno, "set xattr %s on %s/%s", n,
                           c->dst_label, rel);
    }
    free(val);
  }
  free(names);
  return r;
}

int fst_copy_meta(struct fst_copy *c, int src_dir, const char *src_name,
                  int dst_dir, const char *dst_name, const struct stat *st,
                  bool sync_xattrs, const char *rel)
{
  const struct wb_host *host = c->host;
  /* chown first: it clears set-id bits and file capabilities, which the
   * xattr copy and chmod below restore. */
  uid_t uid = st->st_uid;
  gid_t gid = st->st_gid;
  if (c->idmap) {
    const struct wb_rootfs *m = c->idmap;
    uid = fst_map_id(m->uid_map, m->uid_map_len, uid, c->idmap_to_host);
    gid = fst_map_id(m->gid_map, m->gid_map_len, gid, c->idmap_to_host);
  }
  if (fchownat(dst_dir, dst_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return host->error(host, c->err, errno, "chown %s/%s", c->dst_label, rel);
  char *src = proc_path(src_dir, src_name);
  char *dst = proc_path(dst_dir, dst_name);
  int r = src && dst ? copy_xattrs(c, src, dst, sync_xattrs, rel)
                     : nomem(host, c->err);
  free(src);
  free(dst);
  if (r < 0)
    return r;
  if (!S_ISLNK(st->st_mode) &&
      fchmodat(dst_dir, dst_name, st->st_mode & 07777, 0) < 0)
    return host->error(host, c->err, errno, "chmod %s/%s", c->dst_label, rel);
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (utimensat(dst_dir, dst_name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return host->error(host, c->err, errno, "set times of %s/%s", c->dst_label,
                       rel);
  return 0;
}

/* ---- data -----------------------------------------------------------------
 */

/* Plain read/write from the current offsets to EOF. */
static int copy_by_hand(int in, int out)
{
  char *buf = malloc(COPY_CHUNK);
  if (!buf)
    return -ENOMEM;
  int r = 0;
  for (;;) {
    ssize_t n = read(in, buf, COPY_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      r = n < 0 ? -errno : 0;
      break;
    }
    for (ssize_t off = 0; off < n && r == 0;) {
      ssize_t w = write(out, buf + off, n - off);
      if (w < 0 && errno != EINTR)
        r = -errno;
      else if (w > 0)
        off += w;
    }
    if (r < 0)
      break;
  }
  free(buf);
  return r;
}

/* Reflink when the filesystem shares extents, else an in-kernel copy, else
 * plain read/write. */
static int copy_data(int in, int out)
{
  if (ioctl(out, FICLONE, in) == 0)
    return 0;
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
    if (n == 0)
      return 0;
    if (n > 0 || errno == EINTR)
      continue;
    if (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
        errno == EOPNOTSUPP)
      /* File offsets are where the kernel stopped: go on by hand. */
      return copy_by_hand(in, out);
    return -errno;
  }
}

static int copy_regular(struct fst_copy *c, int src_dir, int dst_dir,
                        const char *name, const char *rel)
{
  int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (in < 0)
    return c->host->error(c->host, c->err, errno, "open %s/%s", c->src_label,
                          rel);
  int out = openat(dst_dir, name,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) {
    int saved = errno;
    close(in);
    return c->host->error(c->host, c->err, saved, "create %s/%s", c->dst_label,
                          rel);
  }
  int r = copy_data(in, out);
  close(in);
  if (close(out) < 0 && r == 0)
    r = -errno;
  if (r < 0)
    return c->host->error(c->host, c->err, -r, "copy %s/%s to %s/%s",
                          c->src_label, rel, c->dst_label, rel);
  return 0;
}

static int copy_symlink(struct fst_copy *c, int src_dir, int dst_dir,
                        const char *name, const char *rel,
                        const struct stat *st)
{
  size_t size = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
  for (;;) {
    char *target = malloc(size);
    if (!target)
      return nomem(c->host, c->err);
    ssize_t n = readlinkat(src_dir, name, target, size);
    if (n < 0) {
      int saved = errno;
      free(target);
      return c->host->error(c->host, c->err, saved, "readlink %s/%s",
                            c->src_label, rel);
    }
    if ((size_t)n == size) {
      free(target);
      size *= 2;
      continue;
    }
    target[n] = '\0';
    int r = symlinkat(target, dst_dir, name);
    int saved = errno;
    free(target);
    if (r < 0)
      return c->host->error(c->host, c->err, saved, "symlink %s/%s",
                            c->dst_label, rel);
    return 0;
  }
}

/* ---- trees ----------------------------------------------------------------
 */

/* If this inode was already copied in this session, link to that copy:
 * 1 when linked, 0 when not seen yet, < 0 on error. */
static int link_existing(struct fst_copy *c, int dst_dir, const char *name,
                         const char *rel, const struct stat *st)
{
  struct link_ent key = {st->st_dev, st->st_ino, NULL};
  void *found = tfind(&key, &c->links, link_cmp);
  if (!found)
    return 0;
  const struct link_ent *e = *(struct link_ent **)found;
  if (linkat(c->dst_root, e->path, dst_dir, name, 0) < 0)
    return c->host->error(c->host, c->err, errno, "link %s/%s to %s/%s",
                          c->dst_label, rel, c->dst_label, e->path);
  return 1;
}

static int remember_link(struct fst_copy *c, const char *rel,
                         const struct stat *st)
{
  struct link_ent *e = malloc(sizeof *e);
  if (!e)
    return nomem(c->host, c->err);
  e->dev = st->st_dev;
  e->ino = st->st_ino;
  e->path = strdup(rel);
  if (!e->path || !tsearch(e, &c->links, link_cmp)) {
    link_free(e);
    return nomem(c->host, c->err);
  }
  return 0;
}

static int copy_subdir(struct fst_copy *c, int src_dir, int dst_dir,
                       const char *name, const char *rel, bool existed)
{
  int r = 0;
  int s = fst_open_dir(src_dir, name);
  if (s < 0)
    return c->host->error(c->host, c->err, errno, "open %s/%s", c->src_label,
                          rel);
  int d = fst_open_dir(dst_dir, name);
  if (d < 0)
    r = c->host->error(c->host, c->err, errno, "open %s/%s", c->dst_label, rel);
  if (r >= 0)
    r = fst_copy_dir(c, s, d, rel);
  struct stat st;
  if (r >= 0 && fstat(s, &st) < 0)
    r = c->host->error(c->host, c->err, errno, "stat %s/%s", c->src_label, rel);
  if (r >= 0)
    r = fst_copy_meta(c, s, ".", d, ".", &st, existed, rel);
  close(s);
  if (d >= 0)
    close(d);
  return r;
}

int fst_copy_entry(struct fst_copy *c, int src_dir, int dst_dir,
                   const char *name, const char *rel, const struct stat *st)
{
  int r;
  if (S_ISDIR(st->st_mode)) {
    /* Private until its metadata is applied at the end. */
    if (mkdirat(dst_dir, name, 0700) < 0)
      return c->host->error(c->host, c->err, errno, "mkdir %s/%s", c->dst_label,
                            rel);
    return copy_subdir(c, src_dir, dst_dir, name, rel, false);
  }
  if (st->st_nlink > 1) {
    r = link_existing(c, dst_dir, name, rel, st);
    if (r != 0)
      return r < 0 ? r : 0;
  }
  switch (st->st_mode & S_IFMT) {
  case S_IFREG:
    r = copy_regular(c, src_dir, dst_dir, name, rel);
    break;
  case S_IFLNK:
    r = copy_symlink(c, src_dir, dst_dir, name, rel, st);
    break;
  case S_IFCHR:
  case S_IFBLK:
  case S_IFIFO:
  case S_IFSOCK:
    r = mknodat(dst_dir, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev);
    if (r < 0)
      r = c->host->error(c->host, c->err, errno, "mknod %s/%s", c->dst_label,
                         rel);
    break;
  default:
    return c->host->error(c->host, c->err, -EINVAL,
                          "%s/%s: unsupported file type %#o", c->src_label, rel,
                          (unsigned)(st->st_mode & S_IFMT));
  }
  if (r < 0)
    return r;
  r = fst_copy_meta(c, src_dir, name, dst_dir, name, st, false, rel);
  if (r < 0)
    return r;
  if (st->st_nlink > 1)
    return remember_link(c, rel, st);
  return 0;
}

/* One entry of a layer merged onto the flattened tree (FST_MERGE). */
static int merge_entry(struct fst_copy *c, int src_dir, int dst_dir,
                       const char *name, const char *rel, const struct stat *st)
{
  if (fst_is_whiteout(st))
    return fst_remove_at(c->host, dst_dir, name, c->dst_label, c->err);
  struct stat dst;
  bool exists = fstatat(dst_dir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists && errno != ENOENT)
    return c->host->error(c->host, c->err, errno, "stat %s/%s", c->dst_label,
                          rel);
  if (exists && S_ISDIR(st->st_mode) && S_ISDIR(dst.st_mode)) {
    int opaque = fst_is_opaque(c->host, src_dir, name, rel, c->err);
    if (opaque < 0)
      return opaque;
    if (opaque) {
      int d = fst_open_dir(dst_dir, name);
      if (d < 0)
        return c->host->error(c->host, c->err, errno, "open %s/%s",
                              c->dst_label, rel);
      int r = fst_remove_contents(c->host, d, rel, c->err);
      close(d);
      if (r < 0)
        return r;
    }
    return copy_subdir(c, src_dir, dst_dir, name, rel, true);
  }
  if (exists) {
    int r = fst_remove_at(c->host, dst_dir, name, c->dst_label, c->err);
    if (r < 0)
      return r;
  }
  return fst_copy_entry(c, src_dir, dst_dir, name, rel, st);
}

int fst_copy_dir(struct fst_copy *c, int src_fd, int dst_fd, const char *rel)
{
  struct stat self;
  if (fstat(src_fd, &self) < 0)
    return c->host->error(c->host, c->err, errno, "stat %s/%s", c->src_label,
                          rel);
  DIR *d = open_stream(src_fd);
  if (!d)
    return c->host->error(c->host, c->err, errno, "read directory %s/%s",
                          c->src_label, rel);
  int r = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno)
        r = c->host->error(c->host, c->err, errno, "read directory %s/%s",
                           c->src_label, rel);
      break;
    }
    if (dot_or_dotdot(e->d_name))
      continue;
    char *child = fst_join(rel, e->d_name);
    if (!child) {
      r = nomem(c->host, c->err);
      break;
    }
    struct stat st;
    if ((c->flags & FST_EXCLUDE_RUNTIME) && fst_excluded(child)) {
      /* not part of the container's own changes */
    } else if (fstatat(src_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT)
        r = c->host->error(c->host, c->err, errno, "stat %s/%s", c->src_label,
                           child);
    } else if (S_ISDIR(st.st_mode) && st.st_dev != self.st_dev) {
      c->host->log(c->host, WB_LOG_WARN, "%s/%s is a mount point; skipped",
                   c->src_label, child);
    } else if (c->flags & FST_MERGE) {
      r = merge_entry(c, src_fd, dst_fd, e->d_name, child, &st);
    } else {
      r = fst_copy_entry(c, src_fd, dst_fd, e->d_name, child, &st);
    }
    free(child);
    if (r < 0)
      break;
  }
  closedir(d);
  return r;
}
