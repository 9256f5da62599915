/* rootfs.c - in the container's first process, before exec: the root file
 * system from the storage driver, /proc, /sys, /dev, the runtime-supplied
 * /etc files, then pivot_root.  Every target inside the image is resolved
 * with RESOLVE_IN_ROOT, so a symlink in the image cannot redirect a mount
 * onto the host. */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "etcfiles.h"
#include "inroot.h"
#include "pty.h"
#include "spawn.h"
#include "tmpfs.h"

/* Mount onto `path` inside the root (created as `kind` when missing). */
static int mount_in_root(int rootfd, const char *path, enum wb_inroot_kind kind,
                         const char *source, const char *fstype,
                         unsigned long flags, const char *data, wb_error *err)
{
  cleanup_close int fd = wb_inroot_open(rootfd, path, kind, true, err);
  if (fd < 0)
    return fd;
  cleanup_free char *target = wb_fd_path(fd);
  if (mount(source, target, fstype, flags, data) < 0)
    return wb_error_set(err, errno, "mount %s on %s", fstype ? fstype : source,
                        path);
  return 0;
}

/* Bind mount, then set `attrs` (MOUNT_ATTR_*) on the new mount: the
 * flags of a first MS_BIND call would be ignored. */
static int bind_in_root(int rootfd, const char *source, const char *path,
                        enum wb_inroot_kind kind, unsigned attrs, wb_error *err)
{
  cleanup_close int fd = wb_inroot_open(rootfd, path, kind, true, err);
  if (fd < 0)
    return fd;
  cleanup_free char *target = wb_fd_path(fd);
  if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return wb_error_set(err, errno, "bind %s on %s", source, path);
  if (!attrs)
    return 0;
  /* Reopen: fd still refers to the directory under the new mount. */
  cleanup_close int mnt = wb_inroot_open(rootfd, path, kind, false, err);
  if (mnt < 0)
    return mnt;
  struct mount_attr attr = {.attr_set = attrs};
  if (syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
              sizeof attr) < 0)
    return wb_error_set(err, errno, "set mount options of %s", path);
  return 0;
}

struct devnode {
  const char *name;
};

static const struct devnode devnodes[] = {
    {"null"}, {"zero"}, {"full"}, {"random"}, {"urandom"}, {"tty"},
};

/* Mount onto a new file or directory `name` of `dir`, a tmpfs this
 * process has just mounted (nothing of the image's is in it, so no path
 * needs resolving inside the root): three syscalls, not ten. */
static int mount_on_new(int dir, const char *name, bool is_dir,
                        const char *source, const char *fstype,
                        unsigned long flags, const char *data, wb_error *err)
{
  if (is_dir && mkdirat(dir, name, 0755) < 0)
    return wb_error_set(err, errno, "mkdir /dev/%s", name);
  cleanup_close int fd =
      is_dir
          ? openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
          : openat(dir, name,
                   O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0)
    return wb_error_set(err, errno, "create /dev/%s", name);
  cleanup_free char *target = wb_fd_path(fd);
  if (mount(source, target, fstype, flags, data) < 0)
    return wb_error_set(err, errno, "mount %s on /dev/%s",
                        fstype ? fstype : source, name);
  return 0;
}

/* /dev is a nodev tmpfs, like every file system of the container: a node
 * the container creates (it has CAP_MKNOD) cannot be opened, so no host
 * block or memory device is reachable.  The few devices it gets are bind
 * mounts of the host's nodes, which stay usable. */
static int setup_dev(int rootfd, wb_error *err)
{
  int r = mount_in_root(rootfd, "/dev", WB_INROOT_DIR, "tmpfs", "tmpfs",
                        MS_NOSUID | MS_NODEV | MS_STRICTATIME,
                        "mode=755,size=65536k", err);
  if (r < 0)
    return r;
  cleanup_close int dev =
      wb_inroot_open(rootfd, "/dev", WB_INROOT_DIR, false, err);
  if (dev < 0)
    return dev;
  cleanup_close int devdir =
      openat(dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (devdir < 0)
    return wb_error_set(err, errno, "open /dev");
  for (size_t i = 0; i < sizeof devnodes / sizeof *devnodes; i++) {
    cleanup_free char *host = xasprintf("/dev/%s", devnodes[i].name);
    r = mount_on_new(devdir, devnodes[i].name, false, host, NULL,
                     MS_BIND | MS_REC, NULL, err);
    if (r < 0)
      return r;
  }
  static const char *const links[][2] = {
      {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
      {"pts/ptmx", "ptmx"},
  };
  for (size_t i = 0; i < sizeof links / sizeof *links; i++)
    if (symlinkat(links[i][0], devdir, links[i][1]) < 0)
      return wb_error_set(err, errno, "symlink /dev/%s", links[i][1]);
  r = mount_on_new(devdir, "pts", true, "devpts", "devpts",
                   MS_NOSUID | MS_NOEXEC,
                   "newinstance,ptmxmode=0666,mode=0620,gid=5", err);
  if (r < 0)
    return r;
  r = mount_on_new(devdir, "shm", true, "shm", "tmpfs",
                   MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
                   err);
  if (r < 0)
    return r;
  return mount_on_new(devdir, "mqueue", true, "mqueue", "mqueue",
                      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
}

/* What the container's mounts come from on the host, opened before the
 * process gives up its host identity (under a user namespace it then can
 * no longer reach the runtime's private directories, as with runc's mount
 * source fds). */
struct sources {
  int etc[WB_ETC_FILES_COUNT];
  int *binds;
  size_t n_binds;
};

static void sources_close(struct sources *src)
{
  for (size_t i = 0; i < WB_ETC_FILES_COUNT; i++)
    if (src->etc[i] >= 0)
      close(src->etc[i]);
  for (size_t i = 0; i < src->n_binds; i++)
    if (src->binds[i] >= 0)
      close(src->binds[i]);
  free(src->binds);
}

static int sources_open(const struct wb_container *c, int etc_dir,
                        struct sources *src, wb_error *err)
{
  for (size_t i = 0; i < WB_ETC_FILES_COUNT; i++)
    src->etc[i] = -1;
  src->binds = xzalloc((c->n_binds + 1) * sizeof *src->binds);
  src->n_binds = c->n_binds;
  for (size_t i = 0; i < c->n_binds; i++)
    src->binds[i] = -1;
  for (size_t i = 0; i < WB_ETC_FILES_COUNT; i++) {
    cleanup_free char *path = path_join(c->dir, wb_etc_files[i]);
    src->etc[i] = etc_dir >= 0
                      ? openat(etc_dir, wb_etc_files[i], O_PATH | O_CLOEXEC)
                      : open(path, O_PATH | O_CLOEXEC);
    if (src->etc[i] < 0)
      return wb_error_set(err, errno, "open %s",
                          etc_dir >= 0 ? wb_etc_files[i] : path);
  }
  for (size_t i = 0; i < c->n_binds; i++) {
    src->binds[i] = open(c->binds[i].source, O_PATH | O_CLOEXEC);
    if (src->binds[i] < 0)
      return wb_error_set(err, errno, "volume source %s", c->binds[i].source);
  }
  return 0;
}

/* The runtime writes hostname, hosts and resolv.conf into the container
 * directory, or for --rm containers into a tmpfs (etc_dir >= 0); they are
 * bind-mounted so the image is not modified. */
static int setup_etc_files(int rootfd, const struct wb_container *c,
                           const struct sources *src, wb_error *err)
{
  for (size_t i = 0; i < WB_ETC_FILES_COUNT; i++) {
    cleanup_free char *from = wb_fd_path(src->etc[i]);
    cleanup_free char *dst = xasprintf("/etc/%s", wb_etc_files[i]);
    /* A read-only root cannot get new mount points: skip missing files. */
    int r = bind_in_root(rootfd, from, dst, WB_INROOT_FILE,
                         MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID, err);
    if (r < 0 && !(c->read_only && (err->code == EROFS || err->code == ENOENT)))
      return r;
    wb_error_clear(err);
  }
  return 0;
}

static int setup_bind(int rootfd, const struct wb_bind *b, int source,
                      wb_error *err)
{
  struct stat st;
  if (fstat(source, &st) < 0)
    return wb_error_set(err, errno, "volume source %s", b->source);
  cleanup_free char *from = wb_fd_path(source);
  int r = bind_in_root(
      rootfd, from, b->target,
      S_ISDIR(st.st_mode) ? WB_INROOT_DIR : WB_INROOT_FILE,
      MOUNT_ATTR_NODEV | (b->read_only ? MOUNT_ATTR_RDONLY : 0), err);
  if (r < 0)
    return wb_error_prefix(err, "volume %s", b->source);
  return 0;
}

/* A tmpfs of the container's own, on a target resolved in the root like
 * every other (a symlink in the image cannot send it out). */
static int setup_tmpfs(int rootfd, const struct wb_tmpfs *t, wb_error *err)
{
  unsigned long flags;
  cleanup_free char *data = NULL;
  int r = wb_tmpfs_mount_args(t->options, &flags, &data, err);
  if (r < 0)
    return wb_error_prefix(err, "tmpfs %s", t->target);
  return mount_in_root(rootfd, t->target, WB_INROOT_DIR, "tmpfs", "tmpfs",
                       flags, data, err);
}

/* Components of a container path: "/a//b/" has 2. */
static size_t path_depth(const char *path)
{
  size_t n = 0;
  for (const char *p = path; *p; p++)
    n += *p != '/' && (p == path || p[-1] == '/');
  return n;
}

struct mount_ref {
  size_t depth, index; /* index in binds, or in tmpfs after them */
};

static int shallow_first(const void *a, const void *b)
{
  const struct mount_ref *x = a, *y = b;
  if (x->depth != y->depth)
    return x->depth < y->depth ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* Volumes and tmpfs mounts, a parent before what is mounted inside it
 * ("-v /h:/data --tmpfs /data/tmp" in either order), as Docker sorts them. */
static int setup_mounts(int rootfd, const struct wb_container *c,
                        const struct sources *src, wb_error *err)
{
  size_t n = c->n_binds + c->n_tmpfs;
  if (n == 0)
    return 0;
  cleanup_free struct mount_ref *order = xzalloc((n + 1) * sizeof *order);
  for (size_t i = 0; i < n; i++) {
    const char *target =
        i < c->n_binds ? c->binds[i].target : c->tmpfs[i - c->n_binds].target;
    order[i] = (struct mount_ref){.depth = path_depth(target), .index = i};
  }
  qsort(order, n, sizeof *order, shallow_first);
  for (size_t k = 0; k < n; k++) {
    size_t i = order[k].index;
    int r = i < c->n_binds
                ? setup_bind(rootfd, &c->binds[i], src->binds[i], err)
                : setup_tmpfs(rootfd, &c->tmpfs[i - c->n_binds], err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int setup_console(int rootfd, int *master, int *slave, wb_error *err)
{
  cleanup_close int ptmx =
      wb_inroot_open(rootfd, "/dev/pts/ptmx", WB_INROOT_FILE, false, err);
  if (ptmx < 0)
    return ptmx;
  cleanup_free char *ptmx_path = wb_fd_path(ptmx);
  cleanup_close int m = -1;
  int s = -1;
  int r = wb_pty_open(ptmx_path, &m, &s, err);
  if (r < 0)
    return r;
  cleanup_free char *slave_path = wb_fd_path(s);
  r = bind_in_root(rootfd, slave_path, "/dev/console", WB_INROOT_FILE, 0, err);
  if (r < 0) {
    close(s);
    return r;
  }
  *master = steal_fd(&m);
  *slave = s;
  return 0;
}

/* Hide what would leak host information or control: /dev/null over
 * files, an empty read-only tmpfs over directories. */
static int mask_paths(int rootfd, wb_error *err)
{
  for (const char *const *p = wb_masked_paths; *p; p++) {
    cleanup_close int fd =
        wb_inroot_open(rootfd, *p, WB_INROOT_FILE, false, err);
    if (fd < 0) {
      if (err->code == ENOENT) {
        wb_error_clear(err);
        continue;
      }
      return fd;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
      return wb_error_set(err, errno, "stat %s", *p);
    cleanup_free char *target = wb_fd_path(fd);
    int r = S_ISDIR(st.st_mode)
                ? mount("tmpfs", target, "tmpfs",
                        MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                        "size=0,mode=555")
                : mount("/dev/null", target, NULL, MS_BIND, NULL);
    if (r < 0)
      return wb_error_set(err, errno, "mask %s", *p);
  }
  for (const char *const *p = wb_readonly_paths; *p; p++) {
    cleanup_close int fd =
        wb_inroot_open(rootfd, *p, WB_INROOT_FILE, false, err);
    if (fd < 0) {
      if (err->code == ENOENT) {
        wb_error_clear(err);
        continue;
      }
      return fd;
    }
    /* Bind the path onto itself to get a mount we can make read-only. */
    cleanup_free char *self = wb_fd_path(fd);
    int r = bind_in_root(rootfd, self, *p, WB_INROOT_FILE,
                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                             MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                         err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int pivot(int rootfd, wb_error *err)
{
  if (fchdir(rootfd) < 0)
    return wb_error_set(err, errno, "chdir to the root file system");
  /* pivot_root(".", ".") stacks the old root under the new one; detaching
   * it leaves nothing of the host visible. */
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return wb_error_set(err, errno, "pivot_root");
  if (umount2(".", MNT_DETACH) < 0)
    return wb_error_set(err, errno, "detach old root");
  if (chdir("/") < 0)
    return wb_error_set(err, errno, "chdir /");
  return 0;
}

int wb_rootfs_setup(const struct wb_spawn *s, int *pty_master, int *pty_slave,
                    wb_error *err)
{
  const struct wb_container *c = s->c;
  bool userns = wb_userns_enabled(&c->sec);
  int r;
  /* Under the root file system's mount, on the same mount point. */
  cleanup_close int etc_dir = -1;
  /* With a user namespace the runtime has mounted the root file system
   * already (storage drivers need the host's privileges for that). */
  if (!userns) {
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
      return wb_error_set(err, errno, "make / private");
    if (wb_etc_files_in_memory_for(c) &&
        (r = wb_etc_files_in_memory(c, s->rootfs.target, &etc_dir, err)) < 0)
      return r;
    const struct wb_storage_ops *ops = s->storage->ops;
    r = ops->mount(s->storage->data, &s->rootfs, err);
    if (r < 0)
      return r;
  }
  cleanup_close int rootfd =
      open(s->rootfs.target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wb_error_set(err, errno, "open %s", s->rootfs.target);
  struct sources src __attribute__((cleanup(sources_close))) = {0};
  r = sources_open(c, etc_dir, &src, err);
  if (r < 0)
    return r;
  /* From here on files we create belong to the container's root. */
  if (userns && (r = wb_userns_become_root(err)) < 0)
    return r;
  /* No device node on the root file system (or below it) can be opened. */
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_NODEV};
  if (syscall(SYS_mount_setattr, rootfd, "", AT_EMPTY_PATH | AT_RECURSIVE,
              &attr, sizeof attr) < 0)
    return wb_error_set(err, errno, "make the root file system nodev");
  r = mount_in_root(rootfd, "/proc", WB_INROOT_DIR, "proc", "proc",
                    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
  if (r < 0)
    return r;
  r = mount_in_root(rootfd, "/sys", WB_INROOT_DIR, "sysfs", "sysfs",
                    MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL, err);
  if (r < 0)
    return r;
  r = setup_dev(rootfd, err);
  if (r < 0)
    return r;
  r = setup_etc_files(rootfd, c, &src, err);
  if (r < 0)
    return r;
  r = setup_mounts(rootfd, c, &src, err);
  if (r < 0)
    return r;
  if (c->read_only && (c->n_binds > 0 || c->n_tmpfs > 0)) {
    /* Only the root mount: volumes, /dev, /proc keep their own flags. */
    struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, rootfd, "", AT_EMPTY_PATH, &ro, sizeof ro) <
        0)
      return wb_error_set(err, errno, "make the root file system read-only");
  }
  if (!c->sec.privileged) {
    r = mask_paths(rootfd, err);
    if (r < 0)
      return r;
  }
  if (c->tty) {
    r = setup_console(rootfd, pty_master, pty_slave, err);
    if (r < 0)
      return r;
  }
  /* The host's cgroup files are out of reach after the pivot. */
  if (s->enters_self && (r = wb_spawn_join_cgroup(s, err)) < 0)
    return r;
  return pivot(rootfd, err);
}
