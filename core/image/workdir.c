/* workdir.c - work directories in R/tmp (import, commit, save, load,
 * export), and the sweep that removes those of killed commands.
 *
 * Who is alive is told by locks, never by age: a work directory is
 * flocked by its owner for its whole life (the kernel drops the lock when
 * the owner dies, even by SIGKILL), and it is made and locked under the
 * store lock, so a sweep holding the store lock never sees one that is not
 * locked yet.  The store's own short-lived directories (layer-, rm-) are
 * made and removed under the store lock.  So, under the store lock, a
 * directory of ours that we can flock belongs to nobody alive. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "store_internal.h"
#include "transfer.h"

int wb_workdir_make(const char *root, const char *prefix, char **path,
                    int *lock_fd, wb_error *err)
{
  int r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  cleanup_free char *tmp = xasprintf("%s/tmp/%s-XXXXXX", root, prefix);
  cleanup_close int fd = -1;
  if (!mkdtemp(tmp)) {
    r = wb_error_set(err, errno, "mkdtemp %s", tmp);
  } else if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) <
                 0 ||
             flock(fd, LOCK_EX) < 0) {
    r = wb_error_set(err, errno, "lock %s", tmp);
    rmdir(tmp);
  }
  wb_store_unlock();
  if (r < 0)
    return r;
  *lock_fd = steal_fd(&fd);
  *path = steal_pointer(&tmp);
  return 0;
}

static bool is_our_tmp(const char *name)
{
  static const char *const prefixes[] = {"import-", "layer-",  "rm-",
                                         "commit-", "export-", "load-"};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
    if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
      return true;
  return false;
}

/* Can R/tmp hold a directory?  A directory's link count is 2 plus its
 * subdirectories on the usual file systems: one stat instead of reading
 * it, for every `run`.  (btrfs counts 1: then it is read.) */
static bool tmp_may_hold_dirs(int tmp)
{
  struct stat st;
  return fstat(tmp, &st) == 0 && st.st_nlink != 2;
}

struct dead_dirs {
  char **names;
  int *fds; /* their flocks, held until they are gone */
  size_t n;
};

static void dead_dirs_free(struct dead_dirs *d)
{
  for (size_t i = 0; i < d->n; i++) {
    free(d->names[i]);
    close(d->fds[i]);
  }
  free(d->names);
  free(d->fds);
}

/* Under the store lock: the directories of ours nobody holds, now flocked
 * by us (so a concurrent sweep leaves them to us). */
static void collect_dead(DIR *tmp, struct dead_dirs *dead)
{
  struct dirent *de;
  while ((de = readdir(tmp))) {
    if (!is_our_tmp(de->d_name))
      continue;
    int fd = openat(dirfd(tmp), de->d_name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      continue;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
      close(fd); /* alive */
      continue;
    }
    dead->names = xrealloc(dead->names, (dead->n + 1) * sizeof *dead->names);
    dead->fds = xrealloc(dead->fds, (dead->n + 1) * sizeof *dead->fds);
    dead->names[dead->n] = xstrdup(de->d_name);
    dead->fds[dead->n++] = fd;
  }
}

/* 0 when R/tmp holds nothing dead any more, 1 when the store is busy
 * (the next command will sweep). */
static int sweep(const char *root)
{
  cleanup_free char *path = path_join(root, "tmp");
  cleanup_dir DIR *tmp = opendir(path);
  if (!tmp || !tmp_may_hold_dirs(dirfd(tmp)))
    return 0;
  if (!wb_store_trylock(root))
    return 1;
  struct dead_dirs dead __attribute__((cleanup(dead_dirs_free))) = {0};
  collect_dead(tmp, &dead);
  wb_store_unlock();
  /* Removed without the store lock (up to GBs): their flocks keep other
   * sweeps away, and if we are killed meanwhile the next one goes on. */
  for (size_t i = 0; i < dead.n; i++) {
    cleanup_error wb_error e = WB_ERROR_INIT;
    if (rm_rf_at(dirfd(tmp), dead.names[i], &e) < 0)
      wb_log(WB_LOG_WARN, "removing %s/%s left by a killed command: %s", path,
             dead.names[i], e.msg);
  }
  return 0;
}

void wb_store_sweep_tmp(const char *root)
{
  static char *swept_root;
  /* Inside a store operation of ours its own layer-/rm- directories would
   * look dead; the outermost wb_store_lock() swept already. */
  if (wb_store_lock_held() || (swept_root && strcmp(swept_root, root) == 0))
    return;
  if (sweep(root) == 0) {
    free(swept_root);
    swept_root = xstrdup(root);
  }
}
