/* overlay.c - storage-overlay: image layers as overlayfs lowerdirs, one
 * upper and work directory per container.  See README.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <whalebox/plugin.h>

#include "fstree.h"
#include "rootmount.h"

#define UPPER "upper"
#define WORK "work"
/* mount(2) passes options in one page. */
#define OPTIONS_MAX 4095

/* Returned inside this file when the kernel or the layers' file system
 * cannot give idmapped layers (then the container gets an owned copy). */
#define NO_IDMAP 2
#define OWNED_LOWER "lower"

struct overlay {
  const struct wb_host *host;
  int idmapped_layers; /* config: try idmapped layers for user namespaces */
};

static int overlay_init(const struct wb_host *host, void **driver,
                        wb_error *err)
{
  struct overlay *o = calloc(1, sizeof *o);
  if (!o)
    return host->error(host, err, ENOMEM, "out of memory");
  o->host = host;
  o->idmapped_layers = 1;
  int v;
  if (host->config_bool(host, "idmapped_layers", &v) == 0)
    o->idmapped_layers = v;
  *driver = o;
  return 0;
}

static void overlay_fini(void *driver)
{
  free(driver);
}

/* ---- probe ----------------------------------------------------------------
 */

static int kernel_has_overlay(const struct wb_host *host, wb_error *err)
{
  FILE *f = fopen("/proc/filesystems", "re");
  if (!f)
    return host->error(host, err, errno, "read /proc/filesystems");
  char *line = NULL;
  size_t cap = 0;
  bool found = false;
  while (!found && getline(&line, &cap, f) > 0) {
    char *name = strrchr(line, '\t');
    name = name ? name + 1 : line;
    found = strcmp(name, "overlay\n") == 0 || strcmp(name, "overlay") == 0;
  }
  free(line);
  fclose(f);
  if (!found)
    return host->error(host, err, -ENODEV,
                       "the kernel has no overlay filesystem (not listed in "
                       "/proc/filesystems; try 'modprobe overlay', or use "
                       "storage-bind)");
  return 0;
}

/* statfs of `path` or, when it does not exist yet, of its nearest existing
 * parent: probe() must not create anything. */
static int statfs_nearest(const char *path, struct statfs *sfs)
{
  char *p = strdup(path);
  if (!p)
    return -ENOMEM;
  int r;
  for (;;) {
    if (statfs(p, sfs) == 0) {
      r = 0;
      break;
    }
    r = -errno;
    char *slash = strrchr(p, '/');
    if (r != -ENOENT || !slash)
      break;
    if (slash == p)
      slash[1] = '\0'; /* up to "/" */
    else
      *slash = '\0';
  }
  free(p);
  return r;
}

/* Overlay needs d_type from the upper filesystem (xfs with ftype=0 gives
 * DT_UNKNOWN for everything). */
static int has_d_type(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return -errno;
  int r = 1;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_type == DT_UNKNOWN) {
      r = 0;
      break;
    }
  closedir(d);
  return r;
}

static int overlay_probe(void *driver, wb_error *err)
{
  struct overlay *o = driver;
  const struct wb_host *host = o->host;
  int r = kernel_has_overlay(host, err);
  if (r < 0)
    return r;
  struct statfs sfs;
  r = statfs_nearest(host->state_root, &sfs);
  if (r < 0)
    return host->error(host, err, -r, "cannot check the filesystem of %s",
                       host->state_root);
  if (sfs.f_type == OVERLAYFS_SUPER_MAGIC)
    return host->error(host, err, -EINVAL,
                       "%s is on overlayfs, which cannot hold an overlay "
                       "upper layer; use storage-bind",
                       host->state_root);
  r = has_d_type(host->driver_dir);
  if (r < 0)
    return host->error(host, err, -r, "cannot read %s", host->driver_dir);
  if (r == 0)
    return host->error(host, err, -EINVAL,
                       "%s is on a filesystem without d_type support (e.g. "
                       "xfs formatted with ftype=0), which cannot hold an "
                       "overlay upper layer; use storage-bind",
                       host->state_root);
  return 0;
}

/* ---- create / remove ------------------------------------------------------
 */

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

static int mkdir_existing_ok(const struct wb_host *host, int dir_fd,
                             const char *dir, const char *name, mode_t mode,
                             wb_error *err)
{
  if (mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
    return host->error(host, err, errno, "mkdir %s/%s", dir, name);
  return 0;
}

static int overlay_create(void *driver, const struct wb_rootfs *fs,
                          wb_error *err)
{
  struct overlay *o = driver;
  const struct wb_host *host = o->host;
  int r = check_layers(host, fs, err);
  if (r < 0 || fs->read_only)
    return r; /* read-only: lowerdirs only, nothing to prepare */
  int dir = fst_open_dir(AT_FDCWD, fs->dir);
  if (dir < 0)
    return host->error(host, err, errno, "open %s", fs->dir);
  r = mkdir_existing_ok(host, dir, fs->dir, UPPER, 0755, err);
  if (r >= 0)
    r = mkdir_existing_ok(host, dir, fs->dir, WORK, 0700, err);
  /* The merged root takes its owner, mode and times from the upper
   * directory's root: make it look like the image's. */
  const char *top = fs->layers[fst_count(fs->layers) - 1];
  int top_fd = -1, upper_fd = -1;
  struct stat st;
  if (r >= 0 && (top_fd = fst_open_dir(AT_FDCWD, top)) < 0)
    r = host->error(host, err, errno, "open layer %s", top);
  if (r >= 0 && fstat(top_fd, &st) < 0)
    r = host->error(host, err, errno, "stat layer %s", top);
  if (r >= 0 && (upper_fd = fst_open_dir(dir, UPPER)) < 0)
    r = host->error(host, err, errno, "open %s/%s", fs->dir, UPPER);
  if (r >= 0) {
    struct fst_copy c;
    fst_copy_init(&c, host, err, 0, upper_fd, top, fs->dir);
    /* With a user namespace the upper layer belongs to the container's
     * root as the host sees it: what it creates lands there as that. */
    fst_copy_set_idmap(&c, fs, true);
    r = fst_copy_meta(&c, top_fd, ".", upper_fd, ".", &st, false, "");
    fst_copy_fini(&c);
  }
  if (r >= 0 && fst_userns(fs))
    r = fst_chown_to_root(host, fs, dir, WORK, fs->dir, err);
  if (top_fd >= 0)
    close(top_fd);
  if (upper_fd >= 0)
    close(upper_fd);
  close(dir);
  return r;
}

static int overlay_remove(void *driver, const struct wb_rootfs *fs,
                          wb_error *err)
{
  struct overlay *o = driver;
  int dir = fst_open_dir(AT_FDCWD, fs->dir);
  if (dir < 0) {
    if (errno == ENOENT)
      return 0;
    return o->host->error(o->host, err, errno, "open %s", fs->dir);
  }
  int r = fst_remove_contents(o->host, dir, fs->dir, err);
  close(dir);
  return r;
}

/* ---- mount ----------------------------------------------------------------
 */

struct mount_plan {
  const struct wb_rootfs *fs;
  size_t n;       /* layers */
  int *layer_fds; /* idmapped layers: open until the overlay exists, or
                     the kernel unmounts them under it */
  char *upper;    /* NULL when read-only */
  char *work;
};

/* The newest message the kernel left in an fs context, "" if none. */
static void fs_context_message(int fsfd, char *buf, size_t size)
{
  buf[0] = '\0';
  for (;;) {
    char tmp[512];
    ssize_t n = read(fsfd, tmp, sizeof tmp - 1);
    if (n <= 0)
      break;
    tmp[n] = '\0';
    if (tmp[n - 1] == '\n')
      tmp[n - 1] = '\0';
    /* Messages start with "e ", "w " or "i ". */
    snprintf(buf, size, "%s", n > 2 && tmp[1] == ' ' ? tmp + 2 : tmp);
  }
}

static int fs_error(const struct wb_host *host, wb_error *err, int fsfd,
                    int errnum, const char *what, const char *target)
{
  char msg[512];
  fs_context_message(fsfd, msg, sizeof msg);
  if (msg[0])
    return host->error(host, err, errnum, "mount overlay on %s: %s (%s)",
                       target, what, msg);
  return host->error(host, err, errnum, "mount overlay on %s: %s", target,
                     what);
}

/* Options that keep the upper directory a plain layer: no redirect or
 * metacopy xattrs that only this mount would understand.  Old kernels
 * that do not know them never write such xattrs either. */
static const char *const plain_upper_options[][2] = {
    {"redirect_dir", "off"},
    {"metacopy", "off"},
};

/* A detached copy of `layer` seen through the container's user namespace:
 * a file the host sees as owned by id X appears owned by the container's
 * id for X (mount_setattr MOUNT_ATTR_IDMAP).  An fd, or < 0 with err set. */
static int idmapped_layer(const struct wb_host *host,
                          const struct wb_rootfs *fs, const char *layer,
                          uint64_t attrs, wb_error *err)
{
  int fd = open_tree(AT_FDCWD, layer, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return host->error(host, err, errno, "open layer %s", layer);
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP | attrs,
                         .userns_fd = (uint64_t)fs->userns_fd};
  if (mount_setattr(fd, "", AT_EMPTY_PATH, &a, sizeof a) < 0) {
    int e = errno;
    close(fd);
    /* EINVAL: the file system cannot be idmapped; ENOSYS: no
     * mount_setattr (before Linux 5.12). */
    if (e == EINVAL || e == ENOSYS) {
      host->log(host, WB_LOG_INFO,
                "layer %s cannot be idmapped (%s): using an owned copy", layer,
                strerror(e));
      return -NO_IDMAP;
    }
    return host->error(host, err, e,
                       "map layer %s into the container's user namespace "
                       "(idmapped mount)",
                       layer);
  }
  return fd;
}

/* Give a lower layer to the fs context: by path, or with a user namespace
 * as an idmapped mount passed by fd (Linux 6.13). */
static int add_lower(const struct wb_host *host, const struct mount_plan *p,
                     int fsfd, size_t i, wb_error *err)
{
  const struct wb_rootfs *fs = p->fs;
  if (!fst_userns(fs)) {
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", fs->layers[i], 0) == 0)
      return 0;
    if (errno == EINVAL && i == p->n - 1)
      return 1; /* no lowerdir+ before Linux 6.8 */
    return fs_error(host, err, fsfd, errno, fs->layers[i], fs->target);
  }
  int fd = idmapped_layer(host, fs, fs->layers[i], 0, err);
  if (fd < 0)
    return fd == -NO_IDMAP ? NO_IDMAP : fd;
  p->layer_fds[i] = fd;
  int r = fsconfig(fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, fd);
  int e = errno;
  if (r == 0)
    return 0;
  if (e == EINVAL && i == p->n - 1) {
    host->log(host, WB_LOG_INFO,
              "overlayfs takes no layers as file descriptors before Linux "
              "6.13: using an owned copy of the layers");
    return NO_IDMAP;
  }
  return fs_error(host, err, fsfd, e, fs->layers[i], fs->target);
}

/* New mount API with lowerdir+ (Linux 6.8): any character is fine in a
 * path.  1 when the kernel lacks it and mount(2) must be used. */
static int mount_fsapi(const struct wb_host *host, const struct mount_plan *p,
                       wb_error *err)
{
  const struct wb_rootfs *fs = p->fs;
  int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fsfd < 0) {
    if (errno == ENOSYS)
      return 1;
    return host->error(host, err, errno, "fsopen overlay");
  }
  /* Before Linux 6.5 overlayfs has no fs_context of its own: the generic
   * legacy one accepts any key here and only the final create fails.  A
   * key no file system knows tells the two apart. */
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "whalebox-probe", "1", 0) == 0) {
    close(fsfd);
    return 1;
  }
  int r = 0;
  for (size_t i = p->n; i-- > 0 && r == 0;)
    r = add_lower(host, p, fsfd, i, err);
  if (r == 0 && p->upper) {
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", p->upper, 0) < 0)
      r = fs_error(host, err, fsfd, errno, p->upper, fs->target);
    else if (fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", p->work, 0) < 0)
      r = fs_error(host, err, fsfd, errno, p->work, fs->target);
    else if (fsconfig(fsfd, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
      host->log(host, WB_LOG_INFO,
                "kernel refuses the overlay 'volatile' option (%s); "
                "mounting without it",
                strerror(errno));
  }
  for (size_t i = 0;
       r == 0 && i < sizeof plain_upper_options / sizeof plain_upper_options[0];
       i++)
    if (fsconfig(fsfd, FSCONFIG_SET_STRING, plain_upper_options[i][0],
                 plain_upper_options[i][1], 0) < 0)
      host->log(host, WB_LOG_DEBUG, "overlay option %s=%s refused: %s",
                plain_upper_options[i][0], plain_upper_options[i][1],
                strerror(errno));
  if (r == 0 && fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    r = fs_error(host, err, fsfd, errno, "create", fs->target);
  int mfd = -1;
  if (r == 0) {
    mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, p->upper ? 0 : MOUNT_ATTR_RDONLY);
    if (mfd < 0)
      r = fs_error(host, err, fsfd, errno, "fsmount", fs->target);
  }
  if (r == 0 &&
      move_mount(mfd, "", AT_FDCWD, fs->target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    r = host->error(host, err, errno, "move overlay mount to %s", fs->target);
  if (mfd >= 0)
    close(mfd);
  close(fsfd);
  return r;
}

static bool has_separator(const char *path)
{
  return strpbrk(path, ":,") != NULL;
}

/* Build "lowerdir=top:...:bottom[,upperdir=U,workdir=W][,volatile]...". */
static char *legacy_options(const struct mount_plan *p, bool with_volatile)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    return NULL;
  fputs("lowerdir=", f);
  for (size_t i = p->n; i-- > 0;)
    fprintf(f, "%s%s", p->fs->layers[i], i ? ":" : "");
  if (p->upper)
    fprintf(f, ",upperdir=%s,workdir=%s%s", p->upper, p->work,
            with_volatile ? ",volatile" : "");
  for (size_t i = 0;
       i < sizeof plain_upper_options / sizeof plain_upper_options[0]; i++)
    fprintf(f, ",%s=%s", plain_upper_options[i][0], plain_upper_options[i][1]);
  if (fclose(f) != 0) {
    free(out);
    return NULL;
  }
  return out;
}

/* mount(2) with an option string, for kernels before 6.8: ':' separates
 * lowerdirs and ',' options, so paths holding them are refused. */
static int mount_legacy(const struct wb_host *host, const struct mount_plan *p,
                        wb_error *err)
{
  const struct wb_rootfs *fs = p->fs;
  for (size_t i = 0; i < p->n; i++)
    if (has_separator(fs->layers[i]))
      return host->error(host, err, -EINVAL,
                         "layer path %s contains ':' or ',', which this "
                         "kernel's overlay options cannot carry",
                         fs->layers[i]);
  if (p->upper && (has_separator(p->upper) || has_separator(p->work)))
    return host->error(host, err, -EINVAL,
                       "container directory %s contains ':' or ',', which "
                       "this kernel's overlay options cannot carry",
                       fs->dir);
  unsigned long flags = p->upper ? 0 : MS_RDONLY;
  for (int with_volatile = p->upper != NULL; with_volatile >= 0;
       with_volatile--) {
    char *opts = legacy_options(p, with_volatile);
    if (!opts)
      return host->error(host, err, ENOMEM, "out of memory");
    if (strlen(opts) > OPTIONS_MAX) {
      free(opts);
      return host->error(host, err, -E2BIG,
                         "%zu layers do not fit in one overlay option string "
                         "on this kernel (Linux 6.8 lifts the limit)",
                         p->n);
    }
    int r = mount("overlay", fs->target, "overlay", flags, opts);
    int saved = errno;
    free(opts);
    if (r == 0)
      return 0;
    if (saved == EINVAL && with_volatile) {
      host->log(host, WB_LOG_INFO,
                "kernel refuses the overlay 'volatile' "
                "option; mounting without it");
      continue;
    }
    return host->error(host, err, saved, "mount overlay on %s", fs->target);
  }
  return host->error(host, err, EINVAL, "mount overlay on %s", fs->target);
}

/* A volatile mount leaves work/work/incompat/volatile behind and the kernel
 * then refuses to mount the same upper again.  Nothing in the work
 * directory outlives a mount, so start each mount with it empty. */
static int reset_work_dir(const struct wb_host *host, const char *work,
                          wb_error *err)
{
  int fd = fst_open_dir(AT_FDCWD, work);
  if (fd < 0)
    return host->error(host, err, errno, "open %s", work);
  int r = fst_remove_contents(host, fd, work, err);
  close(fd);
  return r;
}

/* Mount fs's layers (idmapped with a user namespace), upper and work on
 * fs->target.  NO_IDMAP when idmapped layers are not available. */
static int mount_layers(const struct wb_host *host, const struct wb_rootfs *fs,
                        wb_error *err)
{
  int r = 0;
  struct mount_plan p = {.fs = fs, .n = fst_count(fs->layers)};
  /* Overlay needs two lowerdirs without an upper: one layer is simply
   * bind-mounted read-only. */
  if (fs->read_only && p.n == 1 && !fst_userns(fs))
    return rootmount_bind(host, fs->layers[0], fs->target, 1, err);
  if (fs->read_only && p.n == 1) {
    int fd = idmapped_layer(host, fs, fs->layers[0], MOUNT_ATTR_RDONLY, err);
    if (fd < 0)
      return fd == -NO_IDMAP ? NO_IDMAP : fd;
    r = move_mount(fd, "", AT_FDCWD, fs->target, MOVE_MOUNT_F_EMPTY_PATH);
    int e = errno;
    close(fd);
    return r < 0 ? host->error(host, err, e, "mount layer on %s", fs->target)
                 : 0;
  }
  if (fst_userns(fs)) {
    p.layer_fds = malloc(p.n * sizeof *p.layer_fds);
    if (!p.layer_fds)
      return host->error(host, err, ENOMEM, "out of memory");
    for (size_t i = 0; i < p.n; i++)
      p.layer_fds[i] = -1;
  }
  if (!fs->read_only) {
    p.upper = fst_join(fs->dir, UPPER);
    p.work = fst_join(fs->dir, WORK);
    if (!p.upper || !p.work)
      r = host->error(host, err, ENOMEM, "out of memory");
    else
      r = reset_work_dir(host, p.work, err);
  }
  if (r == 0)
    r = mount_fsapi(host, &p, err);
  if (r == 1 && fst_userns(fs))
    r = NO_IDMAP; /* no new mount API for overlayfs (before Linux 6.5) */
  if (r == 1)
    r = mount_legacy(host, &p, err);
  for (size_t i = 0; p.layer_fds && i < p.n; i++)
    if (p.layer_fds[i] >= 0)
      close(p.layer_fds[i]);
  free(p.layer_fds);
  free(p.upper);
  free(p.work);
  return r;
}

/* <dir>/lower: the container's layers merged into one tree owned by its
 * mapped ids, made once (under a temporary name, so a crash leaves no
 * half copy in use).  *path is malloc'd. */
static int owned_lower(const struct wb_host *host, const struct wb_rootfs *fs,
                       char **path, wb_error *err)
{
  *path = fst_join(fs->dir, OWNED_LOWER);
  if (!*path)
    return host->error(host, err, ENOMEM, "out of memory");
  int dir = fst_open_dir(AT_FDCWD, fs->dir);
  if (dir < 0)
    return host->error(host, err, errno, "open %s", fs->dir);
  struct stat st;
  int r = 0;
  if (fstatat(dir, OWNED_LOWER, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    close(dir);
    return 0;
  }
  const char *tmp = OWNED_LOWER ".new";
  r = fst_remove_at(host, dir, tmp, fs->dir, err);
  if (r == 0 && mkdirat(dir, tmp, 0700) < 0)
    r = host->error(host, err, errno, "mkdir %s/%s", fs->dir, tmp);
  int root = r == 0 ? fst_open_dir(dir, tmp) : -1;
  if (r == 0 && root < 0)
    r = host->error(host, err, errno, "open %s/%s", fs->dir, tmp);
  for (size_t i = 0; r >= 0 && fs->layers[i]; i++)
    r = fst_merge_layer(host, fs, fs->layers[i], root, *path, err);
  if (r >= 0 && renameat(dir, tmp, dir, OWNED_LOWER) < 0)
    r = host->error(host, err, errno, "rename %s/%s", fs->dir, tmp);
  if (root >= 0)
    close(root);
  close(dir);
  return r < 0 ? r : 0;
}

static int overlay_mount(void *driver, const struct wb_rootfs *fs,
                         wb_error *err)
{
  struct overlay *o = driver;
  const struct wb_host *host = o->host;
  int r = check_layers(host, fs, err);
  if (r < 0)
    return r;
  if (!fst_userns(fs) || o->idmapped_layers) {
    r = mount_layers(host, fs, err);
    if (r != NO_IDMAP)
      return r;
  }
  /* A user namespace without idmapped layers: overlay over a private
   * copy that already has the container's owners. */
  char *lower = NULL;
  r = owned_lower(host, fs, &lower, err);
  if (r == 0) {
    const char *layers[] = {lower, NULL};
    struct wb_rootfs plain = *fs;
    plain.layers = layers;
    plain.uid_map_len = plain.gid_map_len = 0;
    r = mount_layers(host, &plain, err);
  }
  free(lower);
  return r;
}

static int overlay_umount(void *driver, const struct wb_rootfs *fs,
                          wb_error *err)
{
  struct overlay *o = driver;
  return rootmount_detach(o->host, fs->target, err);
}

/* ---- diff -----------------------------------------------------------------
 */

/* The upper directory already is the change in layer format: copy it,
 * minus what the runtime supplied. */
static int overlay_diff(void *driver, const struct wb_rootfs *fs,
                        const char *layer_dir, wb_error *err)
{
  struct overlay *o = driver;
  const struct wb_host *host = o->host;
  if (fs->read_only)
    return 0; /* no upper: the container cannot have changed anything */
  char *upper = fst_join(fs->dir, UPPER);
  if (!upper)
    return host->error(host, err, ENOMEM, "out of memory");
  int r = 0, src = -1, dst = -1;
  struct stat st;
  if ((src = fst_open_dir(AT_FDCWD, upper)) < 0)
    r = host->error(host, err, errno, "open %s", upper);
  else if ((dst = fst_open_dir(AT_FDCWD, layer_dir)) < 0)
    r = host->error(host, err, errno, "open %s", layer_dir);
  else if (fstat(src, &st) < 0)
    r = host->error(host, err, errno, "stat %s", upper);
  if (r == 0) {
    struct fst_copy c;
    fst_copy_init(&c, host, err, FST_KEEP_OPAQUE | FST_EXCLUDE_RUNTIME, dst,
                  upper, layer_dir);
    /* A layer holds container ids, whatever namespace made it. */
    fst_copy_set_idmap(&c, fs, false);
    r = fst_copy_dir(&c, src, dst, "");
    if (r >= 0)
      r = fst_copy_meta(&c, src, ".", dst, ".", &st, false, "");
    fst_copy_fini(&c);
  }
  if (src >= 0)
    close(src);
  if (dst >= 0)
    close(dst);
  free(upper);
  return r < 0 ? r : 0;
}

/* ---- descriptor -----------------------------------------------------------
 */

static const struct wb_storage_ops overlay_ops = {
    .size = sizeof(struct wb_storage_ops),
    .create = overlay_create,
    .mount = overlay_mount,
    .umount = overlay_umount,
    .remove = overlay_remove,
    .diff = overlay_diff,
};

static const struct wb_option overlay_options[] = {
    {"idmapped_layers", WB_OPTION_BOOL,
     "user namespaces: share the image's layers through idmapped mounts "
     "(true, the default, when the kernel and file system allow) or always "
     "give each such container a private copy (false)"},
    {NULL, 0, NULL},
};

static const struct wb_plugin overlay_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_STORAGE,
    .name = "overlay",
    .version = "0.1.0",
    .summary = "image layers as overlayfs lowerdirs, a private upper layer "
               "per container",
    .options = overlay_options,
    .init = overlay_init,
    .fini = overlay_fini,
    .probe = overlay_probe,
    .ops = &overlay_ops,
    .features = WB_FEATURE_USERNS,
};

WB_PLUGIN_DEFINE(overlay_plugin)
