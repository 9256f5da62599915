/* runroot.c - <root>/run: a tmpfs of whalebox's own (podman's "runroot")
 * for what need not outlive the boot: the name index, and the whole state
 * of foreground --rm containers, which cannot outlive the command that
 * runs them.  Files made there cost no disk inode.  On a journal-less ext4
 * every new inode first skips each inode deleted in the last minutes
 * (bench/RESULTS.md), and a `run --rm` used to make ten of them.
 *
 * The tmpfs is mounted on first use and is complete before anyone can see
 * it: it is built detached (fsmount), given the names of the persistent
 * containers, and only then moved onto <root>/run, under a lock on <root>.
 *
 * The writable layers of those containers stay on disk, in <root>/rw/<id>,
 * as Docker's do: they may grow large.  A fresh runroot in a new boot
 * means the state of every one of them is gone; their layers are removed
 * then.  Within the same boot (someone unmounted <root>/run) they are
 * left alone: a container may still be running on one. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "container.h"

char *wb_runroot(const char *root)
{
  return path_join(root, "run");
}

char *wb_container_rw_dir(const char *root, const char *id)
{
  cleanup_free char *rw = path_join(root, "rw");
  return path_join(rw, id);
}

/* <root>/run is a tmpfs mounted on it (not merely a directory on one:
 * then the names would not have been rebuilt). */
static bool mounted(const char *root, const char *run)
{
  struct stat r, s;
  struct statfs fs;
  return stat(root, &r) == 0 && stat(run, &s) == 0 && r.st_dev != s.st_dev &&
         statfs(run, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

/* The name of every persistent container, as a link in names/: their
 * state is on disk and outlives the tmpfs. */
static int rebuild_names(const char *root, int names, wb_error *err)
{
  cleanup_free char *cdir = wb_containers_dir(root);
  cleanup_dir DIR *d = opendir(cdir);
  if (!d)
    return errno == ENOENT ? 0 : wb_error_set(err, errno, "open %s", cdir);
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    if (!wb_container_id_valid(de->d_name))
      continue;
    cleanup_free char *path = xasprintf("%s/%s/state.json", cdir, de->d_name);
    json_t *j = wb_container_state_json(path);
    const char *name = json_string_value(json_object_get(j, "Name"));
    int r = 0;
    if (name && wb_container_name_valid(name) &&
        symlinkat(de->d_name, names, name) < 0 && errno != EEXIST)
      r = wb_error_set(err, errno, "restore the name %s", name);
    json_decref(j);
    if (r < 0)
      return r;
  }
  return errno ? wb_error_set(err, errno, "read %s", cdir) : 0;
}

/* Writable layers of transient containers from an earlier boot: nothing
 * can use them any more (their state went with that boot's tmpfs).  Best
 * effort: one that cannot be removed is reported and left, or every later
 * command would fail here too.  It runs once per boot, under the lock. */
static int collect_rw(const char *root, wb_error *err)
{
  cleanup_free char *rw = path_join(root, "rw");
  int r = mkdir_p(rw, 0700, err);
  if (r < 0)
    return r;
  mark_spread_subdirs(rw);
  cleanup_free char *boot = NULL, *seen = NULL;
  cleanup_free char *mark = path_join(rw, "boot_id");
  r = read_file("/proc/sys/kernel/random/boot_id", &boot, NULL, err);
  if (r < 0)
    return r;
  if (read_file(mark, &seen, NULL, NULL) == 0 && strcmp(seen, boot) == 0)
    return 0;
  cleanup_dir DIR *d = opendir(rw);
  if (!d)
    return wb_error_set(err, errno, "open %s", rw);
  struct dirent *de;
  while ((de = readdir(d)))
    if (wb_container_id_valid(de->d_name)) {
      wb_log(WB_LOG_DEBUG, "removing %s/%s, left by an earlier boot", rw,
             de->d_name);
      cleanup_error wb_error left = WB_ERROR_INIT;
      if (rm_rf_at(dirfd(d), de->d_name, &left) < 0)
        wb_log(WB_LOG_WARN, "%s/%s, left by an earlier boot: %s", rw,
               de->d_name, left.msg);
    }
  return write_file_atomic(mark, boot, strlen(boot), 1, err);
}

static int mount_runroot(const char *root, const char *run, wb_error *err)
{
  cleanup_close int fsfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return wb_error_set(err, errno, "fsopen tmpfs for %s", run);
  if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", "whalebox", 0) < 0 ||
      fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
      fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return wb_error_set(err, errno, "create the tmpfs for %s", run);
  cleanup_close int mnt =
      fsmount(fsfd, FSMOUNT_CLOEXEC,
              MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return wb_error_set(err, errno, "fsmount the tmpfs for %s", run);
  if (mkdirat(mnt, "containers", 0700) < 0 || mkdirat(mnt, "names", 0700) < 0)
    return wb_error_set(err, errno, "populate %s", run);
  cleanup_close int names =
      openat(mnt, "names", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (names < 0)
    return wb_error_set(err, errno, "open %s/names", run);
  /* Each container's directory and writable layer in a block group of
   * its own choosing (mark_spread_subdirs): ten or more inodes made and
   * freed per container.  Here, once per boot, rather than per command. */
  cleanup_free char *cdir = wb_containers_dir(root);
  cleanup_free char *tmp = path_join(root, "tmp");
  int r = mkdir_p(cdir, 0700, err);
  if (r == 0) {
    mark_spread_subdirs(cdir);
    mark_spread_subdirs(tmp); /* the store's, when it exists */
  }
  if (r == 0)
    r = rebuild_names(root, names, err);
  if (r == 0)
    r = collect_rw(root, err);
  if (r < 0)
    return r;
  if (move_mount(mnt, "", AT_FDCWD, run, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return wb_error_set(err, errno, "mount a tmpfs on %s", run);
  return 0;
}

int wb_runroot_ensure(const char *root, bool create, wb_error *err)
{
  /* Once per process and root: commands ask for it at every lookup. */
  static char *ready;
  if (ready && strcmp(ready, root) == 0)
    return 0;
  cleanup_free char *run = wb_runroot(root);
  if (!mounted(root, run)) {
    if (!create && access(root, F_OK) < 0 && errno == ENOENT)
      return 1;
    int r = mkdir_p(run, 0700, err);
    if (r < 0)
      return r;
    cleanup_close int lock = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0)
      return wb_error_set(err, errno, "open %s", root);
    while (flock(lock, LOCK_EX) < 0)
      if (errno != EINTR)
        return wb_error_set(err, errno, "lock %s", root);
    if (!mounted(root, run)) {
      r = mount_runroot(root, run, err);
      if (r < 0)
        return r;
    }
  }
  free(ready);
  ready = xstrdup(root);
  return 0;
}
