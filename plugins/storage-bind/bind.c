/* bind.c - storage-bind: a private, flattened copy of the image per
 * container, bind-mounted as its root.  Works on any filesystem.  See
 * README.md for how diff() decides what changed. */
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <whalebox/plugin.h>

#include "../storage-overlay/fstree.h"
#include "../storage-overlay/rootmount.h"

#define ROOTFS "rootfs"

struct bind {
  const struct wb_host *host;
};

static int bind_init(const struct wb_host *host, void **driver, wb_error *err)
{
  struct bind *b = calloc(1, sizeof *b);
  if (!b)
    return host->error(host, err, ENOMEM, "out of memory");
  b->host = host;
  *driver = b;
  return 0;
}

static void bind_fini(void *driver)
{
  free(driver);
}

static int bind_probe(void *driver, wb_error *err)
{
  struct bind *b = driver;
  struct stat st;
  if (stat(b->host->state_root, &st) < 0)
    return b->host->error(b->host, err, errno,
                          "the state root %s cannot be examined",
                          b->host->state_root);
  return 0;
}

static int check_layers(const struct wb_host *host, const struct wb_rootfs *fs,
                        wb_error *err)
{
  if (fst_count(fs->layers) == 0)
    return host->error(host, err, -EINVAL, "container %s has no image layers",
                       fs->id);
  for (size_t i = 0; fs->layers[i]; i++)
    if (fs->layers[i][0] != '/')
      return host->error(host, err, -EINVAL, "layer %s is not an absolute path",
                         fs->layers[i]);
  return 0;
}

/* A read-only container on a one-layer image uses the layer itself;
 * with a user namespace it needs a copy owned by its ids. */
static bool uses_layer_directly(const struct wb_rootfs *fs)
{
  return fs->read_only && fst_count(fs->layers) == 1 && !fst_userns(fs);
}

/* ---- create / remove ------------------------------------------------------
 */

static int bind_create(void *driver, const struct wb_rootfs *fs, wb_error *err)
{
  struct bind *b = driver;
  const struct wb_host *host = b->host;
  int r = check_layers(host, fs, err);
  if (r < 0 || uses_layer_directly(fs))
    return r;
  char *root = fst_join(fs->dir, ROOTFS);
  if (!root)
    return host->error(host, err, ENOMEM, "out of memory");
  int dir = -1, root_fd = -1;
  if ((dir = fst_open_dir(AT_FDCWD, fs->dir)) < 0)
    r = host->error(host, err, errno, "open %s", fs->dir);
  /* Private until the top layer's root metadata is applied. */
  else if (mkdirat(dir, ROOTFS, 0700) < 0 && errno != EEXIST)
    r = host->error(host, err, errno, "mkdir %s", root);
  else if ((root_fd = fst_open_dir(dir, ROOTFS)) < 0)
    r = host->error(host, err, errno, "open %s", root);
  else
    /* Left over from an interrupted create(): start again. */
    r = fst_remove_contents(host, root_fd, root, err);
  for (size_t i = 0; r >= 0 && fs->layers[i]; i++)
    r = fst_merge_layer(host, fs, fs->layers[i], root_fd, root, err);
  if (root_fd >= 0)
    close(root_fd);
  if (dir >= 0)
    close(dir);
  free(root);
  return r < 0 ? r : 0;
}

static int bind_remove(void *driver, const struct wb_rootfs *fs, wb_error *err)
{
  struct bind *b = driver;
  int dir = fst_open_dir(AT_FDCWD, fs->dir);
  if (dir < 0) {
    if (errno == ENOENT)
      return 0;
    return b->host->error(b->host, err, errno, "open %s", fs->dir);
  }
  int r = fst_remove_contents(b->host, dir, fs->dir, err);
  close(dir);
  return r;
}

/* ---- mount ----------------------------------------------------------------
 */

static int bind_mount(void *driver, const struct wb_rootfs *fs, wb_error *err)
{
  struct bind *b = driver;
  int r = check_layers(b->host, fs, err);
  if (r < 0)
    return r;
  if (uses_layer_directly(fs))
    return rootmount_bind(b->host, fs->layers[0], fs->target, 1, err);
  char *root = fst_join(fs->dir, ROOTFS);
  if (!root)
    return b->host->error(b->host, err, ENOMEM, "out of memory");
  r = rootmount_bind(b->host, root, fs->target, fs->read_only, err);
  free(root);
  return r;
}

static int bind_umount(void *driver, const struct wb_rootfs *fs, wb_error *err)
{
  struct bind *b = driver;
  return rootmount_detach(b->host, fs->target, err);
}

/* ---- diff -----------------------------------------------------------------
 */

/* The image's merged view, looked up on demand from the layers without
 * flattening them again. */
struct diff {
  const struct wb_host *host;
  wb_error *err;
  const struct wb_rootfs *fs;
  int *layer_fds; /* bottom first, as fs->layers */
  size_t n;
  struct fst_copy copy; /* rootfs -> layer_dir */
};

/* Layers contributing to one merged directory, top-most first.  A layer
 * lower than an opaque directory, or than a non-directory, is hidden. */
struct view {
  size_t *idx;
  size_t count;
};

static int layer_stat(struct diff *d, size_t i, const char *rel,
                      struct stat *st)
{
  if (fstatat(d->layer_fds[i], *rel ? rel : ".", st, AT_SYMLINK_NOFOLLOW) == 0)
    return 1;
  if (errno == ENOENT || errno == ENOTDIR)
    return 0;
  return d->host->error(d->host, d->err, errno, "stat %s/%s", d->fs->layers[i],
                        rel);
}

/* What the image has at `rel` inside the directory seen through `parent`:
 * 1 with *st set (and *child filled for a directory), 0 when absent. */
static int base_lookup(struct diff *d, const struct view *parent,
                       const char *rel, struct stat *st, struct view *child)
{
  child->count = 0;
  bool found = false;
  for (size_t k = 0; k < parent->count; k++) {
    size_t i = parent->idx[k];
    struct stat ls;
    int r = layer_stat(d, i, rel, &ls);
    if (r < 0)
      return r;
    if (r == 0)
      continue;
    if (!found) {
      if (fst_is_whiteout(&ls))
        return 0;
      *st = ls;
      found = true;
      if (!S_ISDIR(ls.st_mode))
        return 1;
    } else if (!S_ISDIR(ls.st_mode)) {
      break; /* a whiteout or file below a directory hides what is lower */
    }
    child->idx[child->count++] = i;
    int opaque = fst_is_opaque(d->host, d->layer_fds[i], rel, rel, d->err);
    if (opaque < 0)
      return opaque;
    if (opaque)
      break;
  }
  return found;
}

static bool same_symlink(int a_dir, const char *a, int b_dir, const char *b,
                         size_t size)
{
  char *x = malloc(size + 1), *y = malloc(size + 1);
  bool same = false;
  if (x && y) {
    ssize_t n = readlinkat(a_dir, a, x, size + 1);
    ssize_t m = readlinkat(b_dir, b, y, size + 1);
    same = n >= 0 && n == m && memcmp(x, y, n) == 0;
  }
  free(x);
  free(y);
  return same;
}

/* The change test (README.md): type, permissions, owner, and per type
 * size + mtime, symlink target or device number.  File contents are not
 * compared. */
static bool entry_changed(struct diff *d, int new_dir, const char *name,
                          const struct stat *st, size_t layer, const char *rel,
                          const struct stat *base)
{
  if ((st->st_mode & S_IFMT) != (base->st_mode & S_IFMT) ||
      (st->st_mode & 07777) != (base->st_mode & 07777) ||
      st->st_uid != base->st_uid || st->st_gid != base->st_gid)
    return true;
  switch (st->st_mode & S_IFMT) {
  case S_IFREG:
    return st->st_size != base->st_size ||
           st->st_mtim.tv_sec != base->st_mtim.tv_sec ||
           st->st_mtim.tv_nsec != base->st_mtim.tv_nsec;
  case S_IFLNK:
    return st->st_size != base->st_size ||
           !same_symlink(new_dir, name, d->layer_fds[layer], rel, st->st_size);
  case S_IFCHR:
  case S_IFBLK:
    return st->st_rdev != base->st_rdev;
  default:
    return false;
  }
}

/* The layer whose entry base_lookup() found: the first in `parent` that
 * has `rel` (only used for non-directories). */
static size_t found_layer(struct diff *d, const struct view *parent,
                          const char *rel)
{
  struct stat st;
  for (size_t k = 0; k < parent->count; k++)
    if (layer_stat(d, parent->idx[k], rel, &st) == 1)
      return parent->idx[k];
  return parent->idx[0];
}

static int name_cmp(const void *a, const void *b)
{
  return strcmp(a, b);
}

static int diff_dir(struct diff *d, const char *rel, int new_fd, int out_fd,
                    const struct view *v);

/* The container's copy holds host ids under a user namespace; the layers
 * hold container ids: compare in container ids. */
static struct stat as_container(const struct diff *d, const struct stat *st)
{
  struct stat c = *st;
  const struct wb_rootfs *m = d->copy.idmap;
  if (m) {
    c.st_uid = fst_map_id(m->uid_map, m->uid_map_len, st->st_uid, false);
    c.st_gid = fst_map_id(m->gid_map, m->gid_map_len, st->st_gid, false);
  }
  return c;
}

/* A directory present in both: recurse, and keep its copy in the layer
 * only when something below changed or its own permissions did.  Returns
 * the number of entries written (0 or 1). */
static int diff_subdir(struct diff *d, int new_dir, int out_dir,
                       const char *name, const char *rel, const struct stat *st,
                       const struct stat *base, const struct view *child)
{
  const struct wb_host *host = d->host;
  if (mkdirat(out_dir, name, 0700) < 0)
    return host->error(host, d->err, errno, "mkdir %s/%s", d->copy.dst_label,
                       rel);
  int r = 0, s = -1, o = -1;
  if ((s = fst_open_dir(new_dir, name)) < 0)
    r = host->error(host, d->err, errno, "open %s/%s", d->copy.src_label, rel);
  else if ((o = fst_open_dir(out_dir, name)) < 0)
    r = host->error(host, d->err, errno, "open %s/%s", d->copy.dst_label, rel);
  else
    r = diff_dir(d, rel, s, o, child);
  int written = r;
  if (r >= 0)
    r = fst_copy_meta(&d->copy, new_dir, name, out_dir, name, st, false, rel);
  if (s >= 0)
    close(s);
  if (o >= 0)
    close(o);
  if (r < 0)
    return r;
  struct stat cst = as_container(d, st);
  if (written == 0 && (st->st_mode & 07777) == (base->st_mode & 07777) &&
      cst.st_uid == base->st_uid && cst.st_gid == base->st_gid) {
    if (unlinkat(out_dir, name, AT_REMOVEDIR) < 0)
      return host->error(host, d->err, errno, "remove %s/%s", d->copy.dst_label,
                         rel);
    return 0;
  }
  return 1;
}

/* One entry of the container's tree: 1 when something was written. */
static int diff_entry(struct diff *d, int new_fd, int out_fd,
                      const struct stat *dir_st, const char *name,
                      const char *rel, const struct view *v)
{
  struct stat st, base = {0};
  if (fstatat(new_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return d->host->error(d->host, d->err, errno, "stat %s/%s",
                          d->copy.src_label, rel);
  }
  if (S_ISDIR(st.st_mode) && st.st_dev != dir_st->st_dev)
    return 0; /* a mount point: not the container's own files */
  struct view child = {.idx = calloc(d->n, sizeof(size_t)), .count = 0};
  if (!child.idx)
    return d->host->error(d->host, d->err, ENOMEM, "out of memory");
  int r = base_lookup(d, v, rel, &base, &child);
  if (r < 0) {
    free(child.idx);
    return r;
  }
  bool in_base = r == 1;
  struct stat cst = as_container(d, &st);
  if (S_ISDIR(st.st_mode) && in_base && S_ISDIR(base.st_mode)) {
    r = diff_subdir(d, new_fd, out_fd, name, rel, &st, &base, &child);
  } else if (!in_base || entry_changed(d, new_fd, name, &cst,
                                       found_layer(d, v, rel), rel, &base)) {
    r = fst_copy_entry(&d->copy, new_fd, out_fd, name, rel, &st);
    /* A directory where the image has something else must hide it. */
    if (r >= 0 && S_ISDIR(st.st_mode) && in_base)
      r = fst_set_opaque(d->host, out_fd, name, rel, d->err);
    if (r >= 0)
      r = 1;
  } else {
    r = 0;
  }
  free(child.idx);
  return r;
}

/* Whiteouts for what the image has in this directory and the container
 * no longer does.  Returns how many were written. */
static int diff_deleted(struct diff *d, const char *rel, int new_fd, int out_fd,
                        const struct view *v)
{
  void *seen = NULL;
  int r = 0, written = 0;
  for (size_t k = 0; r >= 0 && k < v->count; k++) {
    size_t i = v->idx[k];
    int fd = *rel ? fst_open_dir(d->layer_fds[i], rel)
                  : fcntl(d->layer_fds[i], F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      r = d->host->error(d->host, d->err, errno, "open %s/%s", d->fs->layers[i],
                         rel);
      break;
    }
    char **names = NULL;
    size_t count = 0;
    r = fst_list_names(fd, &names, &count);
    if (r < 0)
      r = d->host->error(d->host, d->err, -r, "read directory %s/%s",
                         d->fs->layers[i], rel);
    for (size_t j = 0; r >= 0 && j < count; j++) {
      /* The top-most layer that has a name decides whether it exists. */
      if (tfind(names[j], &seen, name_cmp))
        continue;
      if (!tsearch(names[j], &seen, name_cmp)) {
        r = d->host->error(d->host, d->err, ENOMEM, "out of memory");
        break;
      }
      const char *name = names[j];
      names[j] = NULL; /* now owned by `seen` */
      char *child = fst_join(rel, name);
      struct stat ls, st;
      if (!child) {
        r = d->host->error(d->host, d->err, ENOMEM, "out of memory");
      } else if (fst_excluded(child)) {
        /* never part of a diff */
      } else if (fstatat(fd, name, &ls, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
          r = d->host->error(d->host, d->err, errno, "stat %s/%s",
                             d->fs->layers[i], child);
      } else if (fst_is_whiteout(&ls)) {
        /* already deleted in the image */
      } else if (fstatat(new_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        /* still there */
      } else if (errno != ENOENT) {
        r = d->host->error(d->host, d->err, errno, "stat %s/%s",
                           d->copy.src_label, child);
      } else {
        r = fst_make_whiteout(d->host, out_fd, name, child, d->err);
        written++;
      }
      free(child);
    }
    fst_free_names(names, count);
    close(fd);
  }
  tdestroy(seen, free);
  return r < 0 ? r : written;
}

/* Changes of the directory `rel`: new_fd in the container's tree, out_fd
 * in the layer being written, v the image's layers there.  Returns the
 * number of entries written into out_fd. */
static int diff_dir(struct diff *d, const char *rel, int new_fd, int out_fd,
                    const struct view *v)
{
  struct stat self;
  if (fstat(new_fd, &self) < 0)
    return d->host->error(d->host, d->err, errno, "stat %s/%s",
                          d->copy.src_label, rel);
  char **names = NULL;
  size_t count = 0;
  int r = fst_list_names(new_fd, &names, &count);
  if (r < 0)
    return d->host->error(d->host, d->err, -r, "read directory %s/%s",
                          d->copy.src_label, rel);
  int written = 0;
  for (size_t j = 0; r >= 0 && j < count; j++) {
    char *child = fst_join(rel, names[j]);
    if (!child)
      r = d->host->error(d->host, d->err, ENOMEM, "out of memory");
    else if (!fst_excluded(child))
      r = diff_entry(d, new_fd, out_fd, &self, names[j], child, v);
    if (r > 0)
      written += r;
    free(child);
  }
  fst_free_names(names, count);
  if (r >= 0)
    r = diff_deleted(d, rel, new_fd, out_fd, v);
  return r < 0 ? r : written + r;
}

static int bind_diff(void *driver, const struct wb_rootfs *fs,
                     const char *layer_dir, wb_error *err)
{
  struct bind *b = driver;
  const struct wb_host *host = b->host;
  int r = check_layers(host, fs, err);
  if (r < 0 || fs->read_only)
    return r; /* a read-only root cannot have changed */
  struct diff d = {
      .host = host, .err = err, .fs = fs, .n = fst_count(fs->layers)};
  char *root = fst_join(fs->dir, ROOTFS);
  struct view top = {.idx = calloc(d.n, sizeof(size_t)), .count = d.n};
  d.layer_fds = malloc(d.n * sizeof(int));
  if (!root || !top.idx || !d.layer_fds) {
    free(root);
    free(top.idx);
    free(d.layer_fds);
    return host->error(host, err, ENOMEM, "out of memory");
  }
  size_t opened = 0;
  for (; opened < d.n; opened++) {
    d.layer_fds[opened] = fst_open_dir(AT_FDCWD, fs->layers[opened]);
    if (d.layer_fds[opened] < 0) {
      r = host->error(host, err, errno, "open layer %s", fs->layers[opened]);
      break;
    }
    top.idx[d.n - 1 - opened] = opened;
  }
  int new_fd = -1, out_fd = -1;
  struct stat st;
  if (r == 0 && (new_fd = fst_open_dir(AT_FDCWD, root)) < 0)
    r = host->error(host, err, errno, "open %s", root);
  if (r == 0 && (out_fd = fst_open_dir(AT_FDCWD, layer_dir)) < 0)
    r = host->error(host, err, errno, "open %s", layer_dir);
  if (r == 0 && fstat(new_fd, &st) < 0)
    r = host->error(host, err, errno, "stat %s", root);
  if (r == 0) {
    fst_copy_init(&d.copy, host, err, FST_EXCLUDE_RUNTIME, out_fd, root,
                  layer_dir);
    fst_copy_set_idmap(&d.copy, fs, false);
    r = diff_dir(&d, "", new_fd, out_fd, &top);
    if (r >= 0)
      r = fst_copy_meta(&d.copy, new_fd, ".", out_fd, ".", &st, false, "");
    fst_copy_fini(&d.copy);
  }
  if (new_fd >= 0)
    close(new_fd);
  if (out_fd >= 0)
    close(out_fd);
  for (size_t i = 0; i < opened; i++)
    close(d.layer_fds[i]);
  free(d.layer_fds);
  free(top.idx);
  free(root);
  return r < 0 ? r : 0;
}

/* ---- descriptor -----------------------------------------------------------
 */

static const struct wb_storage_ops bind_ops = {
    .size = sizeof(struct wb_storage_ops),
    .create = bind_create,
    .mount = bind_mount,
    .umount = bind_umount,
    .remove = bind_remove,
    .diff = bind_diff,
};

static const struct wb_plugin bind_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_STORAGE,
    .name = "bind",
    .version = "0.1.0",
    .summary = "a private copy of the image per container, bind-mounted; "
               "works on any filesystem",
    .options = NULL,
    .init = bind_init,
    .fini = bind_fini,
    .probe = bind_probe,
    .ops = &bind_ops,
    .features = WB_FEATURE_USERNS,
};

WB_PLUGIN_DEFINE(bind_plugin)
