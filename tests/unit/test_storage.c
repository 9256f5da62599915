/* test_storage.c - both storage drivers (storage-overlay.so, storage-bind.so)
 * loaded through the core loader, against two hand-built layers with a
 * whiteout and an opaque directory: the merged view, writes, diff() into a
 * new layer (and that layer stacked again), read-only roots and remove().
 *
 * Mounting happens in a forked child inside its own private mount
 * namespace, so nothing can leak onto the host; the child reports the first
 * failed check through a pipe and the parent asserts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin_loader.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct fixture {
  const char *driver; /* "overlay" or "bind" */
  const char *skip;   /* why the cases cannot run here, or NULL */
  char *tmp;
  char *state;
  char *l1, *l2;
  struct wb_driver *d;
  const struct wb_storage_ops *ops;
};

/* ---- helpers usable in the parent and in the child ------------------------
 */

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s;
  if (vasprintf(&s, fmt, ap) < 0)
    abort();
  va_end(ap);
  return s;
}

static int write_str(const char *path, const char *s)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, s, strlen(s));
  int saved = errno;
  close(fd);
  return n == (ssize_t)strlen(s) ? 0 : -(n < 0 ? saved : EIO);
}

/* 1 when `path` holds exactly `want`. */
static bool has_content(const char *path, const char *want)
{
  char buf[256];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return strcmp(buf, want) == 0;
}

static bool is_absent(const char *path)
{
  struct stat st;
  return lstat(path, &st) < 0 && errno == ENOENT;
}

static bool is_whiteout(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
         st.st_rdev == makedev(0, 0);
}

static bool is_opaque(const char *path)
{
  char v[4];
  ssize_t n = lgetxattr(path, "trusted.overlay.opaque", v, sizeof v);
  return n == 1 && v[0] == 'y';
}

static bool dir_is_empty(const char *path)
{
  DIR *d = opendir(path);
  if (!d)
    return false;
  struct dirent *de;
  bool empty = true;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      empty = false;
  closedir(d);
  return empty;
}

/* ---- fixture --------------------------------------------------------------
 */

static void must(int r, const char *what)
{
  if (r < 0)
    fail_msg("%s: %s", what, strerror(errno));
}

/* l1 (bottom): a small tree with hard links, a symlink, an xattr.
 * l2 (top): overrides bin/sh, whites out `gone`, makes opq/ opaque. */
static void build_layers(struct fixture *f)
{
  char *p;
  f->l1 = pathf("%s/layers/l1", f->tmp);
  f->l2 = pathf("%s/layers/l2", f->tmp);
  p = pathf("%s/layers", f->tmp);
  must(mkdir(p, 0755), p);
  free(p);
  must(mkdir(f->l1, 0755), f->l1);
  must(mkdir(f->l2, 0755), f->l2);
  static const char *const l1_dirs[] = {"bin",  "etc", "opq", "keep",
                                        "proc", "dev", NULL};
  for (size_t i = 0; l1_dirs[i]; i++) {
    p = pathf("%s/%s", f->l1, l1_dirs[i]);
    must(mkdir(p, 0755), p);
    free(p);
  }
  static const char *const l1_files[][2] = {
      {"bin/sh", "lower sh"},
      {"etc/passwd", "root:x:0:0::/:/bin/sh\n"},
      {"etc/hosts", "image hosts"},
      {"gone", "gone"},
      {"opq/old", "old"},
      {"keep/x", "x"},
      {"keep/y", "y"},
      {"link1", "hl"},
      {"top", "top"},
      {"xfile", "xattr"},
      {NULL, NULL}};
  for (size_t i = 0; l1_files[i][0]; i++) {
    p = pathf("%s/%s", f->l1, l1_files[i][0]);
    must(write_str(p, l1_files[i][1]), p);
    free(p);
  }
  char *a = pathf("%s/link1", f->l1), *b = pathf("%s/link2", f->l1);
  must(link(a, b), b);
  free(a);
  free(b);
  p = pathf("%s/sym", f->l1);
  must(symlink("bin/sh", p), p);
  free(p);
  p = pathf("%s/xfile", f->l1);
  must(setxattr(p, "user.test", "v1", 2, 0), p);
  free(p);

  static const char *const l2_dirs[] = {"bin", "opq", NULL};
  for (size_t i = 0; l2_dirs[i]; i++) {
    p = pathf("%s/%s", f->l2, l2_dirs[i]);
    must(mkdir(p, 0755), p);
    free(p);
  }
  p = pathf("%s/bin/sh", f->l2);
  must(write_str(p, "upper sh"), p);
  free(p);
  p = pathf("%s/opq/new", f->l2);
  must(write_str(p, "new"), p);
  free(p);
  p = pathf("%s/opq", f->l2);
  must(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), p);
  free(p);
  p = pathf("%s/gone", f->l2);
  must(mknod(p, S_IFCHR | 0, makedev(0, 0)), p);
  free(p);
}

static int setup(void **state, const char *driver)
{
  struct fixture *f = xzalloc(sizeof *f);
  f->driver = driver;
  *state = f;
  if (geteuid() != 0) {
    f->skip = "mounting needs root (CAP_SYS_ADMIN)";
    return 0;
  }
  const char *plugins = getenv("WB_PLUGIN_DIR");
  if (!plugins)
    fail_msg("WB_PLUGIN_DIR is not set (run through meson test)");
  /* /var/tmp can hold an upper layer and trusted.* xattrs (main() made it
   * a tmpfs of this process's own where it cannot: ensure_layer_fs). */
  char tmpl[] = "/var/tmp/wb-unit-storage-XXXXXX";
  if (!mkdtemp(tmpl))
    fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
  f->tmp = xstrdup(tmpl);
  f->state = pathf("%s/state", f->tmp);
  must(mkdir(f->state, 0700), f->state);
  build_layers(f);

  wb_error err = WB_ERROR_INIT;
  char *so = pathf("%s/storage-%s.so", plugins, driver);
  if (wb_driver_open(so, WB_PLUGIN_STORAGE, driver, &f->d, &err) < 0 ||
      wb_driver_init(f->d, NULL, f->state, &err) < 0)
    fail_msg("load %s: %s", so, err.msg);
  free(so);
  f->ops = f->d->ops;
  return 0;
}

static int setup_overlay(void **state)
{
  return setup(state, "overlay");
}

static int setup_bind(void **state)
{
  return setup(state, "bind");
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  if (f->d)
    wb_driver_free(f->d);
  wb_error err = WB_ERROR_INIT;
  int r = f->tmp ? rm_rf(f->tmp, &err) : 0;
  if (r < 0)
    print_message("# cleanup of %s failed: %s\n", f->tmp, err.msg);
  wb_error_clear(&err);
  free(f->tmp);
  free(f->state);
  free(f->l1);
  free(f->l2);
  free(f);
  return r;
}

/* ---- the child ------------------------------------------------------------
 */

static int report_fd = -1;

/* First failed check, sent to the parent. */
static int report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int report(const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0 && write(report_fd, buf, strlen(buf)) < 0)
    return -1;
  return -1;
}

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      return report(__VA_ARGS__);                                              \
  } while (0)

#define OP(f, op, fs, ...)                                                     \
  do {                                                                         \
    wb_error e_ = WB_ERROR_INIT;                                               \
    if ((f)->ops->op((f)->d->data, fs, ##__VA_ARGS__, &e_) < 0)                \
      return report(#op " failed: %s", e_.msg ? e_.msg : "(no message)");      \
    wb_error_clear(&e_);                                                       \
  } while (0)

/* The image as layers l1+l2 must look merged on `m`. */
static int check_merged(const char *m)
{
  char *p;
  CHECK(has_content(p = pathf("%s/keep/x", m), "x"),
        "%s: file of the lower layer not visible", p);
  free(p);
  CHECK(has_content(p = pathf("%s/bin/sh", m), "upper sh"),
        "%s: upper layer does not override the lower one", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/gone", m)), "%s: whited-out file visible", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/opq/old", m)),
        "%s: opaque directory shows lower content", p);
  free(p);
  CHECK(has_content(p = pathf("%s/opq/new", m), "new"),
        "%s: content of the opaque directory missing", p);
  free(p);
  char v[8] = {0};
  p = pathf("%s/xfile", m);
  CHECK(getxattr(p, "user.test", v, sizeof v - 1) == 2 && strcmp(v, "v1") == 0,
        "%s: xattr user.test lost", p);
  free(p);
  struct stat a, b;
  char *p1 = pathf("%s/link1", m), *p2 = pathf("%s/link2", m);
  CHECK(stat(p1, &a) == 0 && stat(p2, &b) == 0 && a.st_ino == b.st_ino,
        "%s and %s: hard link lost", p1, p2);
  free(p1);
  free(p2);
  char t[32] = {0};
  p = pathf("%s/sym", m);
  CHECK(readlink(p, t, sizeof t - 1) == 6 && strcmp(t, "bin/sh") == 0,
        "%s: symlink lost", p);
  free(p);
  return 0;
}

/* Changes a container makes; check_diff() expects exactly these. */
static int change_root(const char *m)
{
  char *p, *q;
  CHECK(write_str(p = pathf("%s/newfile", m), "hello") == 0, "write %s: %s", p,
        strerror(errno));
  free(p);
  CHECK(unlink(p = pathf("%s/keep/x", m)) == 0, "unlink %s: %s", p,
        strerror(errno));
  free(p);
  /* Runtime-supplied and pseudo-filesystem paths: never in a diff. */
  CHECK(write_str(p = pathf("%s/etc/hosts", m), "runtime hosts") == 0,
        "write %s: %s", p, strerror(errno));
  free(p);
  CHECK(write_str(p = pathf("%s/proc/junk", m), "junk") == 0, "write %s: %s", p,
        strerror(errno));
  free(p);
  /* A file replaced by a directory. */
  CHECK(unlink(p = pathf("%s/top", m)) == 0 && mkdir(p, 0755) == 0,
        "replace %s: %s", p, strerror(errno));
  free(p);
  CHECK(write_str(p = pathf("%s/top/inside", m), "in") == 0, "write %s: %s", p,
        strerror(errno));
  free(p);
  CHECK(chmod(p = pathf("%s/etc/passwd", m), 0600) == 0, "chmod %s: %s", p,
        strerror(errno));
  free(p);
  CHECK(write_str(p = pathf("%s/hlA", m), "pair") == 0 &&
            link(p, q = pathf("%s/hlB", m)) == 0,
        "hard link %s: %s", p, strerror(errno));
  free(p);
  free(q);
  return 0;
}

static int check_diff(const char *o)
{
  char *p;
  struct stat st, st2;
  CHECK(has_content(p = pathf("%s/newfile", o), "hello"),
        "%s: new file not in the diff", p);
  free(p);
  CHECK(is_whiteout(p = pathf("%s/keep/x", o)),
        "%s: deletion is not a whiteout", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/keep/y", o)), "%s: unchanged file in diff", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/bin/sh", o)), "%s: unchanged file in diff", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/gone", o)),
        "%s: image's own whiteout repeated in diff", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/etc/hosts", o)),
        "%s: runtime-supplied file in diff", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/proc/junk", o)), "%s: /proc content in diff",
        p);
  free(p);
  p = pathf("%s/top", o);
  CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && is_opaque(p),
        "%s: file replaced by a directory is not an opaque directory", p);
  free(p);
  CHECK(has_content(p = pathf("%s/top/inside", o), "in"),
        "%s: content of a new directory missing", p);
  free(p);
  p = pathf("%s/etc/passwd", o);
  CHECK(lstat(p, &st) == 0 && (st.st_mode & 07777) == 0600,
        "%s: mode change not in diff", p);
  free(p);
  char *a = pathf("%s/hlA", o), *b = pathf("%s/hlB", o);
  CHECK(lstat(a, &st) == 0 && lstat(b, &st2) == 0 && st.st_ino == st2.st_ino,
        "%s, %s: hard link not kept in diff", a, b);
  free(a);
  free(b);
  return 0;
}

/* The diff stacked on the image gives the container's view back. */
static int check_stacked(const char *m)
{
  char *p;
  struct stat st;
  CHECK(has_content(p = pathf("%s/newfile", m), "hello"),
        "%s: new file missing from the committed layer", p);
  free(p);
  CHECK(is_absent(p = pathf("%s/keep/x", m)),
        "%s: deleted file back after stacking the diff", p);
  free(p);
  CHECK(has_content(p = pathf("%s/keep/y", m), "y"), "%s: lower file lost", p);
  free(p);
  p = pathf("%s/top", m);
  CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode), "%s: not a directory", p);
  free(p);
  CHECK(has_content(p = pathf("%s/etc/hosts", m), "image hosts"),
        "%s: runtime's file leaked into the layer", p);
  free(p);
  return 0;
}

static int mkdir_fresh(const char *p)
{
  CHECK(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
  return 0;
}

/* create, mount, check, write, diff, stack the diff, remove. */
static int child_writable(struct fixture *f)
{
  char *dir = pathf("%s/c1", f->tmp), *mnt = pathf("%s/mnt1", f->tmp);
  char *out = pathf("%s/layers/diff", f->tmp);
  if (mkdir_fresh(dir) < 0 || mkdir_fresh(mnt) < 0 || mkdir_fresh(out) < 0)
    return -1;
  const char *layers[] = {f->l1, f->l2, NULL};
  struct wb_rootfs fs = {.size = sizeof fs,
                         .id = ID,
                         .dir = dir,
                         .layers = layers,
                         .read_only = 0,
                         .target = mnt,
                         .userns_fd = -1};
  OP(f, create, &fs);
  OP(f, mount, &fs);
  if (check_merged(mnt) < 0 || change_root(mnt) < 0)
    return -1;
  OP(f, umount, &fs);
  CHECK(is_absent(pathf("%s/newfile", mnt)), "%s still mounted after umount",
        mnt);
  OP(f, diff, &fs, out);
  if (check_diff(out) < 0)
    return -1;
  OP(f, remove, &fs);
  CHECK(dir_is_empty(dir), "remove left files in %s", dir);

  const char *stacked[] = {f->l1, f->l2, out, NULL};
  fs.layers = stacked;
  OP(f, create, &fs);
  OP(f, mount, &fs);
  if (check_stacked(mnt) < 0)
    return -1;
  OP(f, umount, &fs);
  OP(f, remove, &fs);
  CHECK(dir_is_empty(dir), "remove left files in %s", dir);
  free(dir);
  free(mnt);
  free(out);
  return 0;
}

/* --read-only over `nlayers` layers: writes fail with EROFS. */
static int child_read_only(struct fixture *f, int nlayers)
{
  char *dir = pathf("%s/ro%d", f->tmp, nlayers);
  char *mnt = pathf("%s/mnt-ro%d", f->tmp, nlayers);
  if (mkdir_fresh(dir) < 0 || mkdir_fresh(mnt) < 0)
    return -1;
  const char *layers[] = {f->l1, nlayers > 1 ? f->l2 : NULL, NULL};
  struct wb_rootfs fs = {.size = sizeof fs,
                         .id = ID,
                         .dir = dir,
                         .layers = layers,
                         .read_only = 1,
                         .target = mnt,
                         .userns_fd = -1};
  OP(f, create, &fs);
  OP(f, mount, &fs);
  char *p = pathf("%s/keep/x", mnt);
  CHECK(has_content(p, "x"), "%s: not visible on a read-only root", p);
  free(p);
  if (nlayers > 1 && check_merged(mnt) < 0)
    return -1;
  p = pathf("%s/newfile", mnt);
  CHECK(write_str(p, "no") == -EROFS,
        "%s: writing to a read-only root did not fail with EROFS", p);
  free(p);
  p = pathf("%s/keep/y", mnt);
  CHECK(unlink(p) < 0 && errno == EROFS,
        "%s: deleting on a read-only root did not fail with EROFS", p);
  free(p);
  OP(f, umount, &fs);
  char *out = pathf("%s/layers/ro-diff%d", f->tmp, nlayers);
  if (mkdir_fresh(out) < 0)
    return -1;
  OP(f, diff, &fs, out);
  CHECK(dir_is_empty(out), "%s: diff of a read-only root is not empty", out);
  OP(f, remove, &fs);
  CHECK(dir_is_empty(dir), "remove left files in %s", dir);
  CHECK(has_content(pathf("%s/keep/x", f->l1), "x"),
        "remove touched the image layer %s", f->l1);
  free(dir);
  free(mnt);
  free(out);
  return 0;
}

/* Make this process look like a kernel before the new mount API (Linux
 * 5.2) and mount_setattr (5.12): the drivers must fall back to mount(2). */
static int pretend_old_kernel(void)
{
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx)
    return report("seccomp_init failed");
  int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(fsopen), 0);
  if (r == 0)
    r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(mount_setattr),
                         0);
  if (r == 0)
    r = seccomp_load(ctx);
  seccomp_release(ctx);
  if (r < 0)
    return report("seccomp: %s", strerror(-r));
  return 0;
}

static int run_old_kernel(struct fixture *f, int arg)
{
  (void)arg;
  if (pretend_old_kernel() < 0 || child_writable(f) < 0 ||
      child_read_only(f, 1) < 0 || child_read_only(f, 2) < 0)
    return -1;
  return 0;
}

/* A layer whose path holds ':' and ',' (separators of overlay's option
 * string).  Fine with lowerdir+; refused with a clear message by the
 * mount(2) fallback of storage-overlay; storage-bind does not care. */
static int run_separator_layer(struct fixture *f, int old_kernel)
{
  char *l3 = pathf("%s/layers/l:3,x", f->tmp);
  char *dir = pathf("%s/csep", f->tmp), *mnt = pathf("%s/mnt-sep", f->tmp);
  if (mkdir_fresh(l3) < 0 || mkdir_fresh(dir) < 0 || mkdir_fresh(mnt) < 0)
    return -1;
  char *p = pathf("%s/sep", l3);
  CHECK(write_str(p, "sep") == 0, "write %s", p);
  free(p);
  if (old_kernel && pretend_old_kernel() < 0)
    return -1;
  const char *layers[] = {f->l1, l3, NULL};
  struct wb_rootfs fs = {.size = sizeof fs,
                         .id = ID,
                         .dir = dir,
                         .layers = layers,
                         .read_only = 1,
                         .target = mnt,
                         .userns_fd = -1};
  OP(f, create, &fs);
  wb_error e = WB_ERROR_INIT;
  int r = f->ops->mount(f->d->data, &fs, &e);
  if (old_kernel && strcmp(f->driver, "overlay") == 0) {
    CHECK(r < 0 && e.msg && strstr(e.msg, "contains ':' or ','"),
          "layer path with ':' not refused clearly: %s",
          e.msg ? e.msg : "mount succeeded");
  } else {
    CHECK(r == 0, "mount with layer %s: %s", l3, e.msg);
    CHECK(has_content(p = pathf("%s/sep", mnt), "sep"),
          "%s: layer with ':' in its path not mounted", p);
    OP(f, umount, &fs);
  }
  wb_error_clear(&e);
  OP(f, remove, &fs);
  CHECK(dir_is_empty(dir), "remove left files in %s", dir);
  return 0;
}

/* A state root on overlayfs: storage-overlay's probe refuses with the
 * reason, storage-bind's accepts. */
static int run_probe_on_overlayfs(struct fixture *f, int arg)
{
  (void)arg;
  char *lower = pathf("%s/po-lower", f->tmp),
       *upper = pathf("%s/po-up", f->tmp);
  char *work = pathf("%s/po-work", f->tmp), *mnt = pathf("%s/po-mnt", f->tmp);
  if (mkdir_fresh(lower) < 0 || mkdir_fresh(upper) < 0 ||
      mkdir_fresh(work) < 0 || mkdir_fresh(mnt) < 0)
    return -1;
  char *opts = pathf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
  CHECK(mount("overlay", mnt, "overlay", 0, opts) == 0, "mount overlay: %s",
        strerror(errno));
  char *root = pathf("%s/state", mnt);
  CHECK(mkdir(root, 0700) == 0, "mkdir %s: %s", root, strerror(errno));
  const char *plugins = getenv("WB_PLUGIN_DIR");
  char *so = pathf("%s/storage-%s.so", plugins, f->driver);
  struct wb_driver *d = NULL;
  wb_error e = WB_ERROR_INIT;
  CHECK(wb_driver_open(so, WB_PLUGIN_STORAGE, f->driver, &d, &e) == 0 &&
            wb_driver_init(d, NULL, root, &e) == 0,
        "load %s: %s", so, e.msg);
  int r = wb_driver_probe(d, &e);
  if (strcmp(f->driver, "overlay") == 0) {
    char *want = pathf("storage-overlay: %s is on overlayfs, which cannot "
                       "hold an overlay upper layer; use storage-bind",
                       root);
    CHECK(r < 0 && e.msg && strstr(e.msg, want),
          "probe on overlayfs: expected \"%s\", got \"%s\"", want,
          r < 0 ? e.msg : "success");
  } else {
    CHECK(r == 0, "probe on overlayfs refused: %s", e.msg);
  }
  wb_error_clear(&e);
  wb_driver_free(d);
  return 0;
}

typedef int (*child_fn)(struct fixture *f, int arg);

static int run_writable(struct fixture *f, int arg)
{
  (void)arg;
  return child_writable(f);
}

/* Run fn in a child with a private mount namespace; fail with its report. */
static void in_child(struct fixture *f, child_fn fn, int arg)
{
  int fds[2];
  must(pipe2(fds, O_CLOEXEC), "pipe");
  pid_t pid = fork();
  must(pid, "fork");
  if (pid == 0) {
    close(fds[0]);
    report_fd = fds[1];
    if (unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
      report("private mount namespace: %s", strerror(errno));
      _exit(1);
    }
    _exit(fn(f, arg) < 0 ? 1 : 0);
  }
  close(fds[1]);
  char msg[1024];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof msg - 1 &&
         (n = read(fds[0], msg + len, sizeof msg - 1 - len)) > 0)
    len += n;
  msg[len] = '\0';
  close(fds[0]);
  int status;
  must(waitpid(pid, &status, 0), "waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("storage-%s: %s", f->driver,
             len ? msg : "child died without a report");
}

/* ---- tests ----------------------------------------------------------------
 */

static struct fixture *ready(void **state)
{
  struct fixture *f = *state;
  if (f->skip) {
    print_message("# skip: %s\n", f->skip);
    skip();
  }
  return f;
}

static void test_probe(void **state)
{
  struct fixture *f = ready(state);
  wb_error err = WB_ERROR_INIT;
  if (wb_driver_probe(f->d, &err) < 0)
    fail_msg("storage-%s probe refuses %s: %s", f->driver, f->tmp, err.msg);
  wb_error_clear(&err);
}

static void test_descriptor(void **state)
{
  struct fixture *f = ready(state);
  const struct wb_plugin *p = f->d->desc;
  assert_int_equal(p->abi_major, WB_PLUGIN_ABI_MAJOR);
  assert_int_equal(p->abi_minor, WB_PLUGIN_ABI_MINOR);
  assert_int_equal(p->size, sizeof(struct wb_plugin));
  assert_int_equal(p->kind, WB_PLUGIN_STORAGE);
  assert_string_equal(p->name, f->driver);
  assert_string_equal(p->version, "0.1.0");
  assert_non_null(p->summary);
  assert_int_equal(f->ops->size, sizeof(struct wb_storage_ops));
  assert_non_null(f->ops->diff);
}

static void test_writable(void **state)
{
  in_child(ready(state), run_writable, 0);
}

static void test_read_only_one_layer(void **state)
{
  in_child(ready(state), child_read_only, 1);
}

static void test_read_only_two_layers(void **state)
{
  in_child(ready(state), child_read_only, 2);
}

static void test_old_kernel(void **state)
{
  in_child(ready(state), run_old_kernel, 0);
}

static void test_separator_layer(void **state)
{
  in_child(ready(state), run_separator_layer, 0);
}

static void test_separator_layer_old_kernel(void **state)
{
  in_child(ready(state), run_separator_layer, 1);
}

static void test_probe_on_overlayfs(void **state)
{
  in_child(ready(state), run_probe_on_overlayfs, 0);
}

/* remove() on a half-created directory, with a nested read-only tree and
 * a symlink pointing out of it: removes the tree, not the symlink's target. */
static void test_remove_half_created(void **state)
{
  struct fixture *f = ready(state);
  char *dir = pathf("%s/half", f->tmp);
  must(mkdir(dir, 0755), dir);
  char *p = pathf("%s/upper", dir);
  must(mkdir(p, 0555), p);
  free(p);
  p = pathf("%s/upper/escape", dir);
  must(symlink(f->l1, p), p);
  free(p);
  p = pathf("%s/rootfs", dir);
  must(mkdir(p, 0755), p);
  free(p);
  const char *layers[] = {f->l1, NULL};
  struct wb_rootfs fs = {.size = sizeof fs,
                         .id = ID,
                         .dir = dir,
                         .layers = layers,
                         .read_only = 0,
                         .target = "/nonexistent",
                         .userns_fd = -1};
  wb_error err = WB_ERROR_INIT;
  if (f->ops->remove(f->d->data, &fs, &err) < 0)
    fail_msg("remove: %s", err.msg);
  assert_true(dir_is_empty(dir));
  p = pathf("%s/keep/x", f->l1);
  assert_true(has_content(p, "x"));
  free(p);
  /* Twice is fine, and so is a missing directory. */
  assert_int_equal(f->ops->remove(f->d->data, &fs, &err), 0);
  must(rmdir(dir), dir);
  assert_int_equal(f->ops->remove(f->d->data, &fs, &err), 0);
  free(dir);
}

static void test_no_layers(void **state)
{
  struct fixture *f = ready(state);
  const char *layers[] = {NULL};
  struct wb_rootfs fs = {.size = sizeof fs,
                         .id = ID,
                         .dir = f->tmp,
                         .layers = layers,
                         .read_only = 0,
                         .target = "/nonexistent",
                         .userns_fd = -1};
  wb_error err = WB_ERROR_INIT;
  assert_true(f->ops->create(f->d->data, &fs, &err) < 0);
  assert_non_null(err.msg);
  assert_non_null(strstr(err.msg, "no image layers"));
  wb_error_clear(&err);
}

/* Every case against both drivers, named "<driver>: <case>". */
#define CASE(drv, fn)                                                          \
  {                                                                            \
#drv ": " #fn, fn, setup_##drv, teardown, NULL                             \
  }
#define DRIVER_CASES(drv)                                                      \
  CASE(drv, test_descriptor), CASE(drv, test_probe),                           \
      CASE(drv, test_probe_on_overlayfs), CASE(drv, test_writable),            \
      CASE(drv, test_read_only_one_layer),                                     \
      CASE(drv, test_read_only_two_layers), CASE(drv, test_old_kernel),        \
      CASE(drv, test_separator_layer),                                         \
      CASE(drv, test_separator_layer_old_kernel),                              \
      CASE(drv, test_remove_half_created), CASE(drv, test_no_layers)

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

/* Why directory `dir` cannot hold what the cases build (an overlay upper
 * dir, trusted.* and user.* xattrs, whiteout nodes), or NULL. */
static char *cannot_hold_layers(const char *dir)
{
  struct statfs sfs;
  if (statfs(dir, &sfs) < 0)
    return xasprintf("statfs %s: %s", dir, strerror(errno));
  if (sfs.f_type == OVERLAYFS_SUPER_MAGIC)
    return xasprintf("%s is on overlayfs, which cannot hold an overlay "
                     "upper dir",
                     dir);
  char *probe = pathf("%s/wb-unit-storage-probe-XXXXXX", dir);
  if (!mkdtemp(probe)) {
    char *why = xasprintf("mkdtemp %s: %s", probe, strerror(errno));
    free(probe);
    return why;
  }
  char *file = pathf("%s/f", probe), *node = pathf("%s/wh", probe);
  const char *what = NULL;
  if (setxattr(probe, "trusted.overlay.opaque", "y", 1, 0) < 0)
    what = "trusted.* xattrs";
  else if (write_str(file, "x") < 0 ||
           setxattr(file, "user.test", "v1", 2, 0) < 0)
    what = "user.* xattrs";
  else if (mknod(node, S_IFCHR | 0, makedev(0, 0)) < 0)
    what = "whiteout nodes (0:0)";
  char *why = what ? xasprintf("%s (f_type 0x%lx) takes no %s: %s", dir,
                               (unsigned long)sfs.f_type, what, strerror(errno))
                   : NULL;
  wb_error err = WB_ERROR_INIT;
  rm_rf(probe, &err);
  wb_error_clear(&err);
  free(node);
  free(file);
  free(probe);
  return why;
}

/* The cases work under /var/tmp.  Where that cannot hold layers (an
 * overlayfs root in a container or VM, NFS...), this process gets a mount
 * namespace of its own with a tmpfs on /var/tmp, seen by nothing else and
 * gone when the test ends; a tmpfs takes user.* xattrs from Linux 6.6 on.
 * Returns why the cases cannot run at all, or NULL. */
static char *layer_fs(void)
{
  char *why = cannot_hold_layers("/var/tmp");
  if (!why || geteuid() != 0)
    return NULL; /* without root the cases skip for that reason */
  printf("# %s: trying a tmpfs on /var/tmp in a mount namespace of this "
         "test's own\n",
         why);
  if (unshare(CLONE_NEWNS) < 0 ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("wb-unit-storage", "/var/tmp", "tmpfs", MS_NOSUID, "mode=1777") <
          0) {
    char *all = xasprintf("%s; no tmpfs of its own: %s", why, strerror(errno));
    free(why);
    return all;
  }
  char *tmpfs_why = cannot_hold_layers("/var/tmp");
  if (!tmpfs_why) {
    free(why);
    return NULL;
  }
  char *all = xasprintf("%s; a tmpfs of its own neither: %s", why, tmpfs_why);
  free(tmpfs_why);
  free(why);
  return all;
}

/* Stands in for a case that cannot run here: its name carries the skip. */
static void skipped(void **state)
{
  (void)state;
}

int main(void)
{
  struct CMUnitTest tests[] = {DRIVER_CASES(overlay), DRIVER_CASES(bind)};
  size_t n = sizeof tests / sizeof *tests;
  char *names[sizeof tests / sizeof *tests] = {NULL};
  /* Where no file system can hold the layers every case is reported as
   * "ok N - NAME # SKIP why", inside the plan (cmocka 1.1.5's own skip()
   * prints "not ok"). */
  char *why = layer_fs();
  for (size_t i = 0; why && i < n; i++) {
    names[i] = xasprintf("%s # SKIP %s", tests[i].name, why);
    tests[i] = (struct CMUnitTest)cmocka_unit_test(skipped);
    tests[i].name = names[i];
  }
  int r = _cmocka_run_group_tests("storage", tests, n, NULL, NULL);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(why);
  return r;
}
