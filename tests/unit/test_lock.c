/* test_lock.c - the per-container lock (nesting, waiting, a container
 * removed meanwhile, a forked child sharing it), the sidecar, and what a
 * killed command leaves: a state that cannot be read, a name that points
 * to nothing, a removal cut short. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/container.h"
#include "container/lock.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct fixture {
  char root[64];
  struct wb_container *c;
};

/* <root>/containers/<id> with nothing in it yet. */
static int setup(void **state)
{
  struct fixture *f = xzalloc(sizeof *f);
  strcpy(f->root, "/tmp/wb-unit-lock.XXXXXX");
  if (!mkdtemp(f->root))
    return -1;
  f->c = wb_container_new();
  f->c->id = wb_container_new_id();
  f->c->name = xstrdup("lock_test");
  f->c->status = xstrdup("created");
  f->c->storage_driver = xstrdup("overlay");
  f->c->cgroup_driver = xstrdup("v1");
  f->c->cgroup_parent = xstrdup("wb-unit");
  cleanup_free char *cdir = wb_containers_dir(f->root);
  if (mkdir(cdir, 0700) < 0)
    return -1;
  f->c->dir = path_join(cdir, f->c->id);
  if (mkdir(f->c->dir, 0700) < 0)
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  wb_container_unlock_all(f->c);
  /* The runroot some tests made, in /dev/shm. */
  cleanup_free char *run = wb_runroot(f->root);
  char home[256];
  ssize_t n = readlink(run, home, sizeof home - 1);
  if (n > 0) {
    home[n] = '\0';
    if (strncmp(home, "/dev/shm/whalebox-", 18) == 0)
      rm_rf(home, NULL);
  }
  rm_rf(f->root, NULL);
  wb_container_free(f->c);
  free(f);
  return 0;
}

/* Does another open file description get the directory's lock now? */
static bool free_for_others(const char *dir)
{
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(fd >= 0);
  return flock(fd, LOCK_EX | LOCK_NB) == 0;
}

static void lock_ok(const struct wb_container *c)
{
  cleanup_error wb_error err = WB_ERROR_INIT;
  if (wb_container_lock(c, &err) < 0)
    fail_msg("lock: %s", err.msg);
}

static void test_lock_nests(void **state)
{
  struct fixture *f = *state;
  assert_false(wb_container_lock_held(f->c->id));
  lock_ok(f->c);
  lock_ok(f->c);
  assert_true(wb_container_lock_held(f->c->id));
  assert_false(free_for_others(f->c->dir));
  wb_container_unlock(f->c);
  assert_false(free_for_others(f->c->dir));
  wb_container_unlock(f->c);
  assert_false(wb_container_lock_held(f->c->id));
  assert_true(free_for_others(f->c->dir));
  /* unlock_all lets go however deep. */
  lock_ok(f->c);
  lock_ok(f->c);
  wb_container_unlock_all(f->c);
  assert_true(free_for_others(f->c->dir));
}

/* Another command holds it: trylock says busy at once; lock waits for it
 * and then finds the container removed meanwhile. */
static void test_lock_waits_and_sees_removal(void **state)
{
  struct fixture *f = *state;
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int fd = open(f->c->dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || flock(fd, LOCK_EX) < 0)
      _exit(1);
    if (write(ready[1], "x", 1) != 1)
      _exit(1);
    usleep(200 * 1000);
    cleanup_free char *gone = xasprintf("%s.gone", f->c->dir);
    _exit(rename(f->c->dir, gone) < 0);
  }
  close(ready[1]);
  char x;
  assert_int_equal(read(ready[0], &x, 1), 1);
  close(ready[0]);
  cleanup_error wb_error busy = WB_ERROR_INIT;
  assert_int_equal(wb_container_trylock(f->c, &busy), -EBUSY);
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_container_lock(f->c, &err), -ENOENT);
  assert_non_null(strstr(err.msg, "no such container"));
  assert_false(wb_container_lock_held(f->c->id));
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A child forked while the lock is held holds it too: its saves do not
 * wait for the lock (they would wait for ever). */
static void test_forked_child_shares_lock(void **state)
{
  struct fixture *f = *state;
  lock_ok(f->c);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(10);
    wb_error err = WB_ERROR_INIT;
    _exit(wb_container_lock_held(f->c->id) &&
                  wb_container_save(f->c, false, &err) == 0
              ? 0
              : 1);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  wb_container_unlock(f->c);
}

static void test_sidecar(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  cleanup_container struct wb_container *r = wb_container_new();
  assert_int_equal(wb_sidecar_read(f->c->dir, r), -ENOENT);
  assert_int_equal(wb_sidecar_write(f->c, &err), 0);
  assert_int_equal(wb_sidecar_read(f->c->dir, r), 0);
  assert_string_equal(r->storage_driver, "overlay");
  assert_string_equal(r->cgroup_driver, "v1");
  assert_string_equal(r->cgroup_parent, "wb-unit");
  assert_null(r->log_driver);
  /* Cut short by a kill: not trusted. */
  cleanup_free char *path = path_join(f->c->dir, "sidecar");
  assert_int_equal(truncate(path, 30), 0);
  assert_int_equal(wb_sidecar_read(f->c->dir, r), -EBADMSG);
}

static void write_text(const char *path, const char *text)
{
  cleanup_error wb_error err = WB_ERROR_INIT;
  if (write_file(path, text, strlen(text), &err) < 0)
    fail_msg("%s", err.msg);
}

/* A state that cannot be read: found by name and prefix, with its name
 * (from the index) and drivers (from the sidecar); load says why. */
static void test_unreadable_state(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_sidecar_write(f->c, &err), 0);
  assert_int_equal(wb_container_claim_name(f->root, "broken", f->c->id, &err),
                   0);
  cleanup_free char *path = path_join(f->c->dir, "state.json");
  write_text(path, "{\"Id\": \"garb");
  cleanup_container struct wb_container *c = NULL;
  assert_int_equal(wb_container_load(f->root, "broken", &c, &err), -EBADMSG);
  assert_non_null(strstr(err.msg, "unreadable state"));
  assert_non_null(strstr(err.msg, "rm -f"));
  cleanup_free char *prefix = xstrndup(f->c->id, 8);
  assert_int_equal(wb_container_load_any(f->root, prefix, &c, NULL), 0);
  assert_non_null(c->unreadable);
  assert_string_equal(c->status, "unknown");
  assert_string_equal(c->name, "broken");
  assert_string_equal(c->cgroup_parent, "wb-unit");
  assert_false(c->transient);
}

/* A name whose container is gone is free for the next claim; a name whose
 * container exists is not. */
static void test_dangling_name_is_free(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_runroot_ensure(f->root, true, &err), 0);
  cleanup_free char *run = wb_runroot(f->root);
  cleanup_free char *link = xasprintf("%s/names/ghost", run);
  cleanup_free char *nobody = wb_container_new_id();
  assert_int_equal(symlink(nobody, link), 0);
  assert_int_equal(wb_container_claim_name(f->root, "ghost", f->c->id, &err),
                   0);
  char target[80];
  ssize_t n = readlink(link, target, sizeof target - 1);
  assert_int_equal(n, 64);
  assert_memory_equal(target, f->c->id, 64);
  cleanup_free char *other = wb_container_new_id();
  cleanup_error wb_error taken = WB_ERROR_INIT;
  assert_int_equal(wb_container_claim_name(f->root, "ghost", other, &taken),
                   -EEXIST);
}

/* A removal killed after it moved the directory aside: the next listing
 * finishes it, name included; one whose remover still holds the lock is
 * left to it. */
static void test_trash_swept(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_container_claim_name(f->root, "gone", f->c->id, &err), 0);
  free(f->c->name);
  f->c->name = xstrdup("gone");
  assert_int_equal(wb_container_save(f->c, true, &err), 0);
  cleanup_free char *trash = wb_container_trash_path(f->c);
  lock_ok(f->c);
  assert_int_equal(rename(f->c->dir, trash), 0);
  cleanup_strv char **dirs = NULL;
  assert_int_equal(wb_container_list_dirs(f->root, &dirs, &err), 0);
  assert_null(dirs[0]);
  assert_int_equal(access(trash, F_OK), 0); /* still ours */
  wb_container_unlock(f->c);
  cleanup_strv char **again = NULL;
  assert_int_equal(wb_container_list_dirs(f->root, &again, &err), 0);
  assert_int_equal(access(trash, F_OK), -1);
  cleanup_free char *run = wb_runroot(f->root);
  cleanup_free char *link = xasprintf("%s/names/gone", run);
  struct stat st;
  assert_int_equal(lstat(link, &st), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_lock_nests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_lock_waits_and_sees_removal, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_forked_child_shares_lock, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_sidecar, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unreadable_state, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dangling_name_is_free, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_trash_swept, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
