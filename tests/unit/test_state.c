/* test_state.c - container state.json: saves that are not durable rewrite
 * the file in place (no new inode), and a reader never sees a torn file
 * while another process rewrites it. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "container/container.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct fixture {
  char root[64];
  struct wb_container *c;
  char *path;
};

static int setup(void **state)
{
  struct fixture *f = xzalloc(sizeof *f);
  strcpy(f->root, "/tmp/wb-unit-state.XXXXXX");
  if (!mkdtemp(f->root))
    return -1;
  f->c = wb_container_new();
  f->c->id = wb_container_new_id();
  f->c->name = xstrdup("state_test");
  f->c->status = xstrdup("created");
  f->c->storage_driver = xstrdup("storage-overlay");
  f->c->cgroup_driver = xstrdup("cgroup-v1");
  f->c->cgroup_parent = xstrdup("whalebox");
  f->c->dir = path_join(f->root, f->c->id);
  if (mkdir(f->c->dir, 0700) < 0)
    return -1;
  f->path = path_join(f->c->dir, "state.json");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  rm_rf(f->root, &err);
  free(f->path);
  wb_container_free(f->c);
  free(f);
  return 0;
}

static ino_t inode_of(const char *path)
{
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_ino;
}

static void set_status(struct wb_container *c, const char *status)
{
  free(c->status);
  c->status = xstrdup(status);
}

static void save(struct wb_container *c, bool durable)
{
  cleanup_error wb_error err = WB_ERROR_INIT;
  int r = wb_container_save(c, durable, &err);
  if (r < 0)
    fail_msg("save: %s", err.msg);
}

static char *status_on_disk(struct fixture *f)
{
  cleanup_container struct wb_container *c = NULL;
  cleanup_error wb_error err = WB_ERROR_INIT;
  if (wb_container_load_id(f->root, f->c->id, &c, &err) < 0)
    fail_msg("load: %s", err.msg);
  return xstrdup(c->status);
}

/* wb_container_load_id looks under <root>/containers/<id>. */
static void use_containers_layout(struct fixture *f)
{
  cleanup_free char *cdir = path_join(f->root, "containers");
  assert_int_equal(mkdir(cdir, 0700), 0);
  cleanup_free char *dir = path_join(cdir, f->c->id);
  assert_int_equal(rename(f->c->dir, dir), 0);
  free(f->c->dir);
  f->c->dir = steal_pointer(&dir);
  free(f->path);
  f->path = path_join(f->c->dir, "state.json");
}

static void test_save_in_place(void **state)
{
  struct fixture *f = *state;
  use_containers_layout(f);
  save(f->c, false); /* the first save creates the file */
  ino_t ino = inode_of(f->path);
  set_status(f->c, "a-much-longer-status-than-before");
  save(f->c, false);
  assert_int_equal(inode_of(f->path), ino);
  cleanup_free char *s1 = status_on_disk(f);
  assert_string_equal(s1, "a-much-longer-status-than-before");
  /* Shorter: padded, still valid JSON, no stale tail. */
  set_status(f->c, "x");
  save(f->c, false);
  assert_int_equal(inode_of(f->path), ino);
  cleanup_free char *s2 = status_on_disk(f);
  assert_string_equal(s2, "x");
  cleanup_free char *text = NULL;
  size_t len = 0;
  assert_int_equal(read_file(f->path, &text, &len, NULL), 0);
  json_error_t jerr;
  json_t *j = json_loadb(text, len, 0, &jerr);
  if (!j)
    fail_msg("state.json after a shorter save: %s", jerr.text);
  json_decref(j);
  /* A durable save replaces the file (fsync + rename). */
  set_status(f->c, "durable");
  save(f->c, true);
  assert_int_not_equal(inode_of(f->path), ino);
  cleanup_free char *s3 = status_on_disk(f);
  assert_string_equal(s3, "durable");
}

/* A state bigger than a page is replaced, never rewritten in place. */
static void test_big_state_replaced(void **state)
{
  struct fixture *f = *state;
  save(f->c, false);
  ino_t ino = inode_of(f->path);
  f->c->env = xzalloc(sizeof(char *));
  for (int i = 0; i < 200; i++) {
    cleanup_free char *e =
        xasprintf("VARIABLE_%03d=some-value-of-some-length", i);
    strv_push(&f->c->env, e);
  }
  save(f->c, false);
  assert_int_not_equal(inode_of(f->path), ino);
  struct stat st;
  assert_int_equal(stat(f->path, &st), 0);
  assert_true(st.st_size > 4096);
}

/* One process rewrites the state, alternately long and short, as fast as
 * it can; this one reads it meanwhile: every read must parse. */
static void test_no_torn_reads(void **state)
{
  struct fixture *f = *state;
  cleanup_free char *long_status = xzalloc(2001);
  memset(long_status, 'l', 2000);
  save(f->c, false);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    for (int i = 0;; i++) {
      set_status(f->c, i % 2 ? long_status : "short");
      wb_error err = WB_ERROR_INIT;
      if (wb_container_save(f->c, false, &err) < 0)
        _exit(1);
    }
  }
  int bad = 0;
  for (int i = 0; i < 20000 && !bad; i++) {
    json_t *j = wb_container_state_json(f->path);
    if (!j)
      bad = i + 1;
    json_decref(j);
  }
  kill(pid, SIGKILL);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status)); /* the writer never failed */
  if (bad)
    fail_msg("read %d saw a torn state.json", bad);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_save_in_place, setup, teardown),
      cmocka_unit_test_setup_teardown(test_big_state_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_torn_reads, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
