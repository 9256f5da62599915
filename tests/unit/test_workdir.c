/* test_workdir.c - the sweep of R/tmp: a work directory nobody holds is
 * removed, one whose owner holds its flock stays, nothing is touched while
 * another holder has the store lock (and the next call sweeps), nor from
 * inside a store operation of our own; a new work directory is held.  A second
 * open file description in this process stands for another process: flocks
 * conflict between them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/store.h"
#include "image/store_internal.h"
#include "image/transfer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static char *scratch_root(void)
{
  char tmpl[] = "/tmp/wb-unit-workdir.XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  char *root = path_join(tmpl, "root");
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_store_mkdirs(root, &err), 0);
  return root;
}

static void remove_root(char *root)
{
  char *parent = xstrdup(root);
  *strrchr(parent, '/') = '\0';
  rm_rf(parent, NULL);
  free(parent);
  free(root);
}

/* R/tmp/<name>, with a file in it. */
static char *make_dir(const char *root, const char *name)
{
  char *dir = xasprintf("%s/tmp/%s", root, name);
  assert_int_equal(mkdir(dir, 0700), 0);
  cleanup_free char *file = path_join(dir, "data");
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(write_file(file, "x", 1, &err), 0);
  return dir;
}

/* An flock on path through a file description of its own. */
static int hold(const char *path)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
  return fd;
}

static bool exists(const char *path)
{
  return access(path, F_OK) == 0;
}

static void test_dead_removed_live_kept(void **state)
{
  (void)state;
  char *root = scratch_root();
  cleanup_free char *dead = make_dir(root, "import-dead");
  cleanup_free char *dead2 = make_dir(root, "layer-dead");
  cleanup_free char *live = make_dir(root, "commit-live");
  cleanup_free char *other = make_dir(root, "not-ours");
  cleanup_close int owner = hold(live);
  wb_store_sweep_tmp(root);
  assert_false(exists(dead));
  assert_false(exists(dead2));
  assert_true(exists(live));
  assert_true(exists(other));
  remove_root(root);
}

static void test_busy_store_is_left_for_the_next_call(void **state)
{
  (void)state;
  char *root = scratch_root();
  cleanup_free char *dead = make_dir(root, "rm-dead");
  cleanup_free char *lock = path_join(root, "store.lock");
  cleanup_close int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(flock(fd, LOCK_EX), 0);
  wb_store_sweep_tmp(root);
  assert_true(exists(dead));
  assert_int_equal(flock(fd, LOCK_UN), 0);
  wb_store_sweep_tmp(root);
  assert_false(exists(dead));
  remove_root(root);
}

static void test_not_inside_a_store_operation(void **state)
{
  (void)state;
  char *root = scratch_root(), *other = scratch_root();
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_store_lock(root, &err), 0);
  /* As wb_layer_store_dir makes its layer- directory under the lock: a
   * sweep from inside (of any root) would take it for dead. */
  cleanup_free char *dir = make_dir(other, "layer-x");
  wb_store_sweep_tmp(other);
  assert_true(exists(dir));
  wb_store_unlock();
  wb_store_sweep_tmp(other);
  assert_false(exists(dir));
  remove_root(root);
  remove_root(other);
}

static void test_workdir_is_held(void **state)
{
  (void)state;
  char *root = scratch_root();
  cleanup_free char *path = NULL;
  cleanup_close int lock = -1;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_workdir_make(root, "import", &path, &lock, &err), 0);
  cleanup_free char *prefix = xasprintf("%s/tmp/import-", root);
  assert_memory_equal(path, prefix, strlen(prefix));
  /* Held by its owner: nobody else can take it. */
  int other = open(path, O_RDONLY | O_CLOEXEC);
  assert_true(other >= 0);
  assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
  assert_int_equal(errno, EWOULDBLOCK);
  close(other);
  assert_false(wb_store_lock_held());
  rm_rf(path, NULL);
  remove_root(root);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dead_removed_live_kept),
      cmocka_unit_test(test_busy_store_is_left_for_the_next_call),
      cmocka_unit_test(test_not_inside_a_store_operation),
      cmocka_unit_test(test_workdir_is_held),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
