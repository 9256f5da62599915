/* archive_write.c - layer directories as deterministic tar streams; see
 * archive_write.h for the format rules.
 *
 * A directory is listed in every layer that has it (top first) and the
 * names are merged: the topmost occurrence of a name wins; in a merge, a
 * whiteout there hides the name, and a directory continues into the lower
 * layers that have a directory at the same place, down to the first layer
 * where the directory is opaque or the name is something else.  With a
 * single layer this degenerates into a plain sorted walk. */
#include "archive_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <search.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"

/* ---- the writer and its output ---- */

struct link_key {
  dev_t dev;
  ino_t ino;
  char *path;
};

struct tw {
  struct archive *a;
  EVP_MD_CTX *md;
  uint64_t bytes;
  wb_tar_sink_fn sink;
  void *arg;
  wb_error *err;
  bool sink_failed;
  bool merge;
  void *links; /* tsearch tree of struct link_key */
  char buf[128 * 1024];
};

static la_ssize_t tw_write(struct archive *a, void *data, const void *buf,
                           size_t len)
{
  struct tw *w = data;
  if (!EVP_DigestUpdate(w->md, buf, len)) {
    archive_set_error(a, ENOMEM, "sha256 update failed");
    return -1;
  }
  if (w->sink && w->sink(w->arg, buf, len, w->err) < 0) {
    w->sink_failed = true;
    archive_set_error(a, EIO, "output failed");
    return -1;
  }
  w->bytes += len;
  return (la_ssize_t)len;
}

/* The libarchive error as ours, unless the sink already said what broke. */
static int archive_failed(struct tw *w, const char *path)
{
  if (w->sink_failed)
    return w->err && w->err->code ? -w->err->code : -EIO;
  return wb_error_set(w->err, -EIO, "tar %s: %s", path,
                      archive_error_string(w->a));
}

static int link_cmp(const void *x, const void *y)
{
  const struct link_key *a = x, *b = y;
  if (a->dev != b->dev)
    return a->dev < b->dev ? -1 : 1;
  if (a->ino != b->ino)
    return a->ino < b->ino ? -1 : 1;
  return 0;
}

static void link_free(void *p)
{
  struct link_key *k = p;
  free(k->path);
  free(k);
}

/* ---- entries ---- */

static bool xattr_kept(const char *name)
{
  return strncmp(name, "trusted.overlay.", 16) != 0 &&
         strcmp(name, "security.selinux") != 0 &&
         strncmp(name, "system.", 7) != 0;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xattrs of the entry, through fd when there is one, else by the path in
 * /proc/self/fd (no *at() xattr calls; l* so a symlink is not followed). */
static int add_xattrs(struct tw *w, struct archive_entry *e, int fd, int dfd,
                      const char *name, const char *path)
{
  cleanup_free char *proc =
      fd < 0 ? xasprintf("/proc/self/fd/%d/%s", dfd, name) : NULL;
  ssize_t len = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(proc, NULL, 0);
  if (len < 0 && (errno == ENOTSUP || errno == EPERM))
    return 0;
  if (len < 0)
    return wb_error_set(w->err, errno, "list xattrs of %s", path);
  if (len == 0)
    return 0;
  cleanup_free char *names = xmalloc(len);
  len = fd >= 0 ? flistxattr(fd, names, len) : llistxattr(proc, names, len);
  if (len < 0)
    return wb_error_set(w->err, errno, "list xattrs of %s", path);
  cleanup_free char **v = xzalloc(sizeof *v);
  size_t n = 0;
  for (char *p = names; p < names + len; p += strlen(p) + 1)
    if (*p && xattr_kept(p)) {
      v = xrealloc(v, (n + 2) * sizeof *v);
      v[n++] = p;
      v[n] = NULL;
    }
  qsort(v, n, sizeof *v, cmp_str);
  for (size_t i = 0; i < n; i++) {
    ssize_t vlen =
        fd >= 0 ? fgetxattr(fd, v[i], NULL, 0) : lgetxattr(proc, v[i], NULL, 0);
    if (vlen < 0)
      return wb_error_set(w->err, errno, "read xattr %s of %s", v[i], path);
    cleanup_free char *val = xmalloc(vlen ? vlen : 1);
    vlen = fd >= 0 ? fgetxattr(fd, v[i], val, vlen)
                   : lgetxattr(proc, v[i], val, vlen);
    if (vlen < 0)
      return wb_error_set(w->err, errno, "read xattr %s of %s", v[i], path);
    archive_entry_xattr_add_entry(e, v[i], val, vlen);
  }
  return 0;
}

static void entry_free(struct archive_entry **e)
{
  if (*e)
    archive_entry_free(*e);
}
#define cleanup_entry __attribute__((cleanup(entry_free)))

/* Regular file data: exactly st_size bytes (libarchive pads a file that
 * shrank meanwhile with zeros; growth is cut off). */
static int write_data(struct tw *w, int fd, uint64_t size, const char *path)
{
  while (size > 0) {
    ssize_t n = read(fd, w->buf, size < sizeof w->buf ? size : sizeof w->buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return wb_error_set(w->err, errno, "read %s", path);
    if (n == 0)
      break;
    if (archive_write_data(w->a, w->buf, n) < 0)
      return archive_failed(w, path);
    size -= n;
  }
  return 0;
}

/* A fixed-content entry: whiteouts and the opaque marker carry nothing of
 * the tree, so they are written the same everywhere. */
static int write_marker(struct tw *w, const char *path)
{
  cleanup_entry struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, path);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0);
  archive_entry_set_size(e, 0);
  archive_entry_set_mtime(e, 0, 0);
  if (archive_write_header(w->a, e) != ARCHIVE_OK)
    return archive_failed(w, path);
  return 0;
}

/* Write the entry `name` of directory dfd as `path`.  *dir_fd gets an open
 * fd when it is a directory (for the caller to descend into). */
static int write_entry(struct tw *w, int dfd, const char *name,
                       const char *path, const struct stat *st, int *dir_fd)
{
  *dir_fd = -1;
  mode_t type = st->st_mode & S_IFMT;
  if (type == S_IFSOCK)
    return 0; /* sockets are not kept, as with tar(1) */
  cleanup_entry struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, path);
  archive_entry_set_uid(e, st->st_uid);
  archive_entry_set_gid(e, st->st_gid);
  archive_entry_set_perm(e, st->st_mode & 07777);
  archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
  cleanup_close int fd = -1;
  cleanup_free char *target = NULL;
  bool data = false;
  switch (type) {
  case S_IFDIR:
    archive_entry_set_filetype(e, AE_IFDIR);
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return wb_error_set(w->err, errno, "open %s", path);
    break;
  case S_IFREG:
    archive_entry_set_filetype(e, AE_IFREG);
    if (st->st_nlink > 1) {
      struct link_key key = {st->st_dev, st->st_ino, NULL};
      struct link_key **found = tfind(&key, &w->links, link_cmp);
      if (found) {
        archive_entry_set_hardlink(e, (*found)->path);
        archive_entry_set_size(e, 0);
        break;
      }
      struct link_key *k = xmalloc(sizeof *k);
      *k = (struct link_key){st->st_dev, st->st_ino, xstrdup(path)};
      if (!tsearch(k, &w->links, link_cmp))
        abort(); /* out of memory */
    }
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
      return wb_error_set(w->err, errno, "open %s", path);
    archive_entry_set_size(e, st->st_size);
    data = true;
    break;
  case S_IFLNK: {
    size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
    for (;;) {
      target = xmalloc(cap);
      ssize_t n = readlinkat(dfd, name, target, cap);
      if (n < 0)
        return wb_error_set(w->err, errno, "readlink %s", path);
      if ((size_t)n < cap) {
        target[n] = '\0';
        break;
      }
      free(target);
      cap *= 2;
    }
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_symlink(e, target);
    break;
  }
  case S_IFCHR:
  case S_IFBLK:
    archive_entry_set_filetype(e, type == S_IFCHR ? AE_IFCHR : AE_IFBLK);
    archive_entry_set_rdev(e, st->st_rdev);
    break;
  case S_IFIFO:
    archive_entry_set_filetype(e, AE_IFIFO);
    break;
  default:
    return wb_error_set(w->err, -EINVAL, "%s: unknown file type 0%o", path,
                        (unsigned)type);
  }
  if (!archive_entry_hardlink(e)) {
    int r = add_xattrs(w, e, fd, dfd, name, path);
    if (r < 0)
      return r;
  }
  if (archive_write_header(w->a, e) != ARCHIVE_OK)
    return archive_failed(w, path);
  if (data) {
    int r = write_data(w, fd, st->st_size, path);
    if (r < 0)
      return r;
  }
  if (type == S_IFDIR)
    *dir_fd = steal_fd(&fd);
  return 0;
}

/* ---- directories across layers ---- */

/* One name as seen in one layer's copy of the directory. */
struct item {
  char *name;
  size_t src; /* index into the directory's sources, 0 = topmost */
  struct stat st;
};

static int item_cmp(const void *x, const void *y)
{
  const struct item *a = x, *b = y;
  int c = strcmp(a->name, b->name);
  if (c)
    return c;
  return a->src < b->src ? -1 : a->src > b->src;
}

static bool is_whiteout(const struct stat *st)
{
  return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

static bool is_opaque(int fd)
{
  char v[2];
  ssize_t n = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

struct items {
  struct item *v;
  size_t n, cap;
};

static void items_free(struct items *it)
{
  for (size_t i = 0; i < it->n; i++)
    free(it->v[i].name);
  free(it->v);
}

static int list_source(struct tw *w, int fd, size_t src, const char *prefix,
                       struct items *it)
{
  int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0)
    return wb_error_set(w->err, errno, "dup");
  cleanup_dir DIR *d = fdopendir(dup);
  if (!d) {
    int e = errno;
    close(dup);
    return wb_error_set(w->err, e, "read directory /%s", prefix);
  }
  rewinddir(d);
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    const char *n = de->d_name;
    if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(fd, n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue; /* removed meanwhile (export of a running container) */
      return wb_error_set(w->err, errno, "stat /%s%s", prefix, n);
    }
    if (it->n == it->cap) {
      it->cap = it->cap ? 2 * it->cap : 32;
      it->v = xrealloc(it->v, it->cap * sizeof *it->v);
    }
    it->v[it->n++] = (struct item){xstrdup(n), src, st};
  }
  if (errno)
    return wb_error_set(w->err, errno, "read directory /%s", prefix);
  return 0;
}

/* Close the fds of a NULL-free array. */
static void close_all(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

/* Write the children of the directory whose copies are srcs[0..n) (top
 * first, already cut at the first opaque one), named prefix ("" or
 * "a/b/"). */
static int walk_dir(struct tw *w, const int *srcs, size_t n, const char *prefix)
{
  struct items it = {0};
  int r = 0;
  for (size_t s = 0; s < n && r == 0; s++)
    r = list_source(w, srcs[s], s, prefix, &it);
  if (r == 0 && it.n > 1)
    qsort(it.v, it.n, sizeof *it.v, item_cmp);
  for (size_t i = 0; i < it.n && r == 0;) {
    /* The group of one name, topmost first. */
    size_t j = i + 1;
    while (j < it.n && strcmp(it.v[j].name, it.v[i].name) == 0)
      j++;
    struct item *top = &it.v[i];
    cleanup_free char *path = xasprintf("%s%s", prefix, top->name);
    if (is_whiteout(&top->st)) {
      if (!w->merge) {
        cleanup_free char *wh = xasprintf("%s.wh.%s", prefix, top->name);
        r = write_marker(w, wh);
      }
      i = j;
      continue;
    }
    int dfd = -1;
    r = write_entry(w, srcs[top->src], top->name, path, &top->st, &dfd);
    if (r < 0 || dfd < 0) {
      i = j;
      continue;
    }
    /* A directory: its copies in lower layers, down to an opaque one or
     * to anything that is not a directory. */
    int *child = xmalloc((j - i) * sizeof *child);
    size_t nchild = 0;
    child[nchild++] = dfd;
    bool opaque = is_opaque(dfd);
    if (opaque && !w->merge) {
      cleanup_free char *opq = xasprintf("%s/.wh..wh..opq", path);
      r = write_marker(w, opq);
    }
    for (size_t k = i + 1; k < j && !opaque && w->merge && r == 0; k++) {
      if (!S_ISDIR(it.v[k].st.st_mode))
        break;
      int fd = openat(srcs[it.v[k].src], it.v[k].name,
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0) {
        r = wb_error_set(w->err, errno, "open %s", path);
        break;
      }
      child[nchild++] = fd;
      opaque = is_opaque(fd);
    }
    if (r == 0) {
      cleanup_free char *sub = xasprintf("%s/", path);
      r = walk_dir(w, child, nchild, sub);
    }
    close_all(child, nchild);
    free(child);
    i = j;
  }
  items_free(&it);
  return r;
}

static void md_freep(EVP_MD_CTX **m)
{
  if (*m)
    EVP_MD_CTX_free(*m);
}

static void tw_freep(struct tw **w)
{
  if (!*w)
    return;
  if ((*w)->a)
    archive_write_free((*w)->a);
  tdestroy((*w)->links, link_free);
  free(*w);
}

int wb_tar_dirs(const char *const *dirs, size_t n, enum wb_tar_mode mode,
                wb_tar_sink_fn sink, void *arg, char **digest_hex,
                uint64_t *size, wb_error *err)
{
  if (n == 0 || (mode == WB_TAR_LAYER && n != 1))
    return wb_error_set(err, -EINVAL, "tar: bad layer list");
  __attribute__((cleanup(md_freep))) EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
    return wb_error_set(err, ENOMEM, "sha256");
  __attribute__((cleanup(tw_freep))) struct tw *w = xzalloc(sizeof *w);
  w->md = md;
  w->sink = sink;
  w->arg = arg;
  w->err = err;
  w->merge = mode == WB_TAR_MERGE;
  w->a = archive_write_new();
  if (!w->a)
    return wb_error_set(err, ENOMEM, "libarchive");
  /* Restricted pax: plain ustar headers unless a field needs more;
   * unblocked: the stream ends right after the end-of-archive blocks. */
  if (archive_write_set_format_pax_restricted(w->a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(w->a, 0) != ARCHIVE_OK ||
      archive_write_open(w->a, w, NULL, tw_write, NULL) != ARCHIVE_OK)
    return wb_error_set(err, -EIO, "tar: %s", archive_error_string(w->a));

  int *fds = xmalloc(n * sizeof *fds);
  size_t nfds = 0;
  int r = 0;
  /* Top first; a merge stops at the first opaque root. */
  for (size_t i = n; i-- > 0;) {
    int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      r = wb_error_set(err, errno, "open %s", dirs[i]);
      break;
    }
    fds[nfds++] = fd;
    if (mode == WB_TAR_MERGE && is_opaque(fd))
      break;
  }
  if (r == 0 && mode == WB_TAR_LAYER && is_opaque(fds[0]))
    r = write_marker(w, ".wh..wh..opq");
  if (r == 0)
    r = walk_dir(w, fds, nfds, "");
  close_all(fds, nfds);
  free(fds);
  if (r < 0)
    return r;
  if (archive_write_close(w->a) != ARCHIVE_OK)
    return archive_failed(w, "end of archive");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  if (!EVP_DigestFinal_ex(md, digest, &dlen))
    return wb_error_set(err, ENOMEM, "sha256");
  if (digest_hex) {
    char *hex = xmalloc(2 * dlen + 1);
    for (unsigned i = 0; i < dlen; i++)
      snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    *digest_hex = hex;
  }
  if (size)
    *size = w->bytes;
  return 0;
}
