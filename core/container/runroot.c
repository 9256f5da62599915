/* runroot.c - <root>/run: whalebox's state that need not outlive the boot
 * (podman's "runroot"), in memory: the name index, and the whole state of
 * foreground --rm containers, which cannot outlive the command that runs
 * them.  Files made there cost no disk inode.  On a journal-less ext4
 * every new inode first skips each inode deleted in the last minutes
 * (bench/RESULTS.md), and a `run --rm` used to make ten of them.
 *
 * <root>/run is a symlink to /dev/shm/whalebox-<random>: a directory in the
 * tmpfs every system has, so whalebox mounts nothing on the host, and the
 * directory goes with the boot.  The name is random and <root> is 0700, so
 * no other user can make that directory first.  Without a tmpfs at
 * /dev/shm, <root>/run is a plain directory on disk.  It is made complete
 * before anyone can use it: names/, which every lookup needs, is filled
 * under another name and renamed into place last, under a lock on <root>.
 *
 * The writable layers of those containers stay on disk, in <root>/rw/<id>,
 * as Docker's do: they may grow large.  A runroot made afresh in a new
 * boot means the state of every one of them is gone; their layers are
 * removed then.  Within the same boot (someone removed the directory) they
 * are left alone: a container may still be running on one. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
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

#define SHM "/dev/shm"

/* Complete: names/ is made last (make_runroot). */
static bool ready_at(const char *run)
{
  cleanup_free char *names = path_join(run, "names");
  struct stat st;
  return stat(names, &st) == 0 && S_ISDIR(st.st_mode);
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

/* Where <root>/run points, made when missing: /dev/shm/whalebox-<random>,
 * or <root>/run itself (no tmpfs there, or a directory from before).  The
 * directory must be ours alone: not a symlink, ours, 0700. */
static int runroot_home(const char *run, char **home, wb_error *err)
{
  char target[128];
  ssize_t n = readlink(run, target, sizeof target - 1);
  int e = n < 0 ? errno : 0;
  struct statfs fs;
  if (n < 0 && e == ENOENT && statfs(SHM, &fs) == 0 &&
      fs.f_type == TMPFS_MAGIC) {
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
      return wb_error_set(err, errno, "getrandom");
    n = snprintf(target, sizeof target, SHM "/whalebox-");
    for (size_t i = 0; i < sizeof rnd; i++)
      n += snprintf(target + n, sizeof target - (size_t)n, "%02x", rnd[i]);
    if (symlink(target, run) < 0)
      return wb_error_set(err, errno, "symlink %s", run);
  } else if (n < 0 && e == ENOENT) {
    if (mkdir(run, 0700) < 0)
      return wb_error_set(err, errno, "mkdir %s", run);
  } else if (n < 0 && e != EINVAL) {
    return wb_error_set(err, e, "readlink %s", run);
  }
  if (n < 0) {
    *home = xstrdup(run); /* a directory (EINVAL: not a symlink) */
  } else {
    target[n] = '\0';
    if ((size_t)n == sizeof target - 1 ||
        strncmp(target, SHM "/whalebox-", strlen(SHM "/whalebox-")) != 0 ||
        strchr(target + strlen(SHM "/"), '/'))
      return wb_error_set(err, -EINVAL,
                          "%s points to %s, not to a runroot of whalebox's",
                          run, target);
    if (mkdir(target, 0700) < 0 && errno != EEXIST)
      return wb_error_set(err, errno, "mkdir %s", target);
    *home = xstrdup(target);
  }
  struct stat st;
  if (lstat(*home, &st) < 0)
    return wb_error_set(err, errno, "stat %s", *home);
  if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 07777) != 0700)
    return wb_error_set(err, -EPERM,
                        "%s is not a directory of whalebox's (owner %u, "
                        "mode %o): remove it",
                        *home, (unsigned)st.st_uid,
                        (unsigned)(st.st_mode & 07777));
  return 0;
}

static int make_runroot(const char *root, const char *run, wb_error *err)
{
  cleanup_free char *home = NULL;
  int r = runroot_home(run, &home, err);
  if (r < 0)
    return r;
  cleanup_close int dir = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0)
    return wb_error_set(err, errno, "open %s", home);
  if (mkdirat(dir, "containers", 0700) < 0 && errno != EEXIST)
    return wb_error_set(err, errno, "mkdir %s/containers", home);
  /* Whose it is: /dev/shm says nothing else of it. */
  cleanup_free char *owner = path_join(home, "root");
  r = write_file_atomic(owner, root, strlen(root), 0, err);
  if (r < 0)
    return r;
  /* names/ last: its presence says the runroot is complete. */
  rm_rf_at(dir, "names.new", NULL);
  if (mkdirat(dir, "names.new", 0700) < 0)
    return wb_error_set(err, errno, "mkdir %s/names.new", home);
  cleanup_close int names =
      openat(dir, "names.new", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (names < 0)
    return wb_error_set(err, errno, "open %s/names.new", home);
  /* Each container's directory and writable layer in a block group of
   * its own choosing (mark_spread_subdirs): ten or more inodes made and
   * freed per container.  Here, once per boot, rather than per command. */
  cleanup_free char *cdir = wb_containers_dir(root);
  cleanup_free char *tmp = path_join(root, "tmp");
  r = mkdir_p(cdir, 0700, err);
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
  if (renameat(dir, "names.new", dir, "names") < 0)
    return wb_error_set(err, errno, "rename %s/names.new", home);
  return 0;
}

int wb_runroot_ensure(const char *root, bool create, wb_error *err)
{
  /* Once per process and root: commands ask for it at every lookup. */
  static char *ready;
  if (ready && strcmp(ready, root) == 0)
    return 0;
  cleanup_free char *run = wb_runroot(root);
  if (!ready_at(run)) {
    if (!create && access(root, F_OK) < 0 && errno == ENOENT)
      return 1;
    int r = mkdir_p(root, 0700, err);
    if (r < 0)
      return r;
    cleanup_close int lock = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0)
      return wb_error_set(err, errno, "open %s", root);
    while (flock(lock, LOCK_EX) < 0)
      if (errno != EINTR)
        return wb_error_set(err, errno, "lock %s", root);
    if (!ready_at(run)) {
      r = make_runroot(root, run, err);
      if (r < 0)
        return r;
    }
  }
  free(ready);
  ready = xstrdup(root);
  return 0;
}
