/* test_volume.c - -v spec parsing, volume names, resolution of binds
 * (named, anonymous, missing host paths), in-use checks and removal of
 * anonymous volumes, against a scratch state root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/container.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"
#include "volume/volume.h"

struct fixture {
  char *tmp;
  char *root;
};

static int setup(void **state)
{
  struct fixture *f = xzalloc(sizeof *f);
  char tmpl[] = "/tmp/wb-unit-volume.XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  f->tmp = xstrdup(tmpl);
  f->root = path_join(tmpl, "root");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  if (strncmp(f->tmp, "/tmp/wb-unit-volume.", 20) == 0)
    rm_rf(f->tmp, NULL);
  free(f->tmp);
  free(f->root);
  free(f);
  return 0;
}

static void bind_free(struct wb_bind *b)
{
  free(b->source);
  free(b->target);
}

static void test_names(void **state)
{
  (void)state;
  assert_true(wb_volume_name_valid("data"));
  assert_true(wb_volume_name_valid("a"));
  assert_true(wb_volume_name_valid("My_vol-1.2"));
  assert_false(wb_volume_name_valid(""));
  assert_false(wb_volume_name_valid(NULL));
  assert_false(wb_volume_name_valid(".hidden"));
  assert_false(wb_volume_name_valid("_x"));
  assert_false(wb_volume_name_valid("a/b"));
  assert_false(wb_volume_name_valid("a b"));
  assert_false(wb_volume_name_valid(".."));
  char long_name[300];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  assert_false(wb_volume_name_valid(long_name));
}

static void test_parse_good(void **state)
{
  (void)state;
  struct wb_bind b;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_volume_parse_spec("/h:/c", &b, &err), 0);
  assert_string_equal(b.source, "/h");
  assert_string_equal(b.target, "/c");
  assert_false(b.read_only);
  bind_free(&b);
  assert_int_equal(wb_volume_parse_spec("/h:/c:ro", &b, &err), 0);
  assert_true(b.read_only);
  bind_free(&b);
  assert_int_equal(wb_volume_parse_spec("/h:/c:rw", &b, &err), 0);
  assert_false(b.read_only);
  bind_free(&b);
  assert_int_equal(wb_volume_parse_spec("data:/c", &b, &err), 0);
  assert_string_equal(b.source, "data");
  bind_free(&b);
  assert_int_equal(wb_volume_parse_spec("/anon", &b, &err), 0);
  assert_string_equal(b.source, "");
  assert_string_equal(b.target, "/anon");
  bind_free(&b);
}

static void test_parse_bad(void **state)
{
  (void)state;
  static const char *const bad[] = {
      ":/x",     "/x:relative", "/x:/y:bogus", "/x:/",  "/x://", "/x:",
      "a:b:c:d", "relative",    "bad name:/x", ".v:/x", "",      "/x::ro",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    struct wb_bind b = {0};
    cleanup_error wb_error err = WB_ERROR_INIT;
    int r = wb_volume_parse_spec(bad[i], &b, &err);
    if (r != -EINVAL)
      fail_msg("spec '%s' was accepted", bad[i]);
    assert_non_null(strstr(err.msg, "invalid volume specification"));
    assert_null(b.source);
  }
}

static void test_data_path_and_back(void **state)
{
  struct fixture *f = *state;
  cleanup_free char *p = wb_volume_data_path(f->root, "v1");
  cleanup_free char *name = wb_volume_of_source(f->root, p);
  assert_string_equal(name, "v1");
  cleanup_free char *other = xasprintf("%s/volumes/v1/_data/sub", f->root);
  assert_null(wb_volume_of_source(f->root, other));
  assert_null(wb_volume_of_source(f->root, "/etc"));
  assert_null(wb_volume_of_source(f->root, NULL));
}

/* A container state naming `source` as a bind, as run records it. */
static void fake_container(const char *root, const char *id, const char *source)
{
  cleanup_free char *dir = xasprintf("%s/containers/%s", root, id);
  assert_int_equal(mkdir_p(dir, 0700, NULL), 0);
  cleanup_free char *state = path_join(dir, "state.json");
  cleanup_free char *text = xasprintf(
      "{\"Id\":\"%s\",\"Binds\":[{\"Source\":\"%s\",\"Target\":\"/d\"}]}", id,
      source);
  assert_int_equal(write_file(state, text, strlen(text), NULL), 0);
}

/* Container ids as whalebox makes them (64 hex): listings skip others. */
#define ID1 "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
#define ID2 "c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2"

static void test_resolve_and_remove(void **state)
{
  struct fixture *f = *state;
  cleanup_container struct wb_container *c = wb_container_new();
  c->id = xstrdup(ID1);
  c->binds = xzalloc(3 * sizeof *c->binds);
  cleanup_free char *host = path_join(f->tmp, "host/deep");
  c->binds[0] = (struct wb_bind){xstrdup("named"), xstrdup("/a"), false};
  c->binds[1] = (struct wb_bind){xstrdup(""), xstrdup("/b"), false};
  c->binds[2] = (struct wb_bind){xstrdup(host), xstrdup("/c"), true};
  c->n_binds = 3;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_volume_resolve_binds(f->root, c, &err), 0);
  cleanup_free char *named = wb_volume_data_path(f->root, "named");
  assert_string_equal(c->binds[0].source, named);
  struct stat st;
  assert_int_equal(stat(named, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  cleanup_free char *anon = wb_volume_of_source(f->root, c->binds[1].source);
  assert_non_null(anon);
  assert_int_equal(strlen(anon), 64);
  assert_string_equal(c->binds[2].source, host);
  assert_int_equal(stat(host, &st), 0);

  cleanup_strv char **names = NULL;
  assert_int_equal(wb_volume_list(f->root, &names, &err), 0);
  assert_int_equal(strv_len(names), 2);

  /* In use by a container: refused; the anonymous one is kept for rm -v
   * while another container still uses it. */
  fake_container(f->root, ID1, c->binds[0].source);
  assert_int_equal(wb_volume_remove(f->root, "named", NULL, &err), -EBUSY);
  assert_non_null(strstr(err.msg, "volume is in use"));
  fake_container(f->root, ID2, c->binds[1].source);
  assert_int_equal(wb_volume_remove_anonymous(f->root, c, &err), 0);
  assert_int_equal(stat(c->binds[1].source, &st), 0);
  cleanup_free char *c2 = xasprintf("%s/containers/" ID2, f->root);
  assert_int_equal(rm_rf(c2, NULL), 0);
  assert_int_equal(wb_volume_remove_anonymous(f->root, c, &err), 0);
  assert_int_equal(stat(c->binds[1].source, &st), -1);
  /* Named volumes stay. */
  assert_int_equal(stat(named, &st), 0);
  cleanup_free char *c1 = xasprintf("%s/containers/" ID1, f->root);
  assert_int_equal(rm_rf(c1, NULL), 0);
  uint64_t freed = 1;
  assert_int_equal(wb_volume_remove(f->root, "named", &freed, &err), 0);
  assert_int_equal(freed, 0);
  assert_int_equal(wb_volume_remove(f->root, "named", NULL, &err), -ENOENT);
}

static void test_create_existing_and_prune(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  bool created = false;
  assert_int_equal(wb_volume_create(f->root, "v", false, NULL, &created, &err),
                   0);
  assert_true(created);
  cleanup_free char *data = wb_volume_data_path(f->root, "v");
  cleanup_free char *file = path_join(data, "f");
  assert_int_equal(write_file(file, "12345", 5, NULL), 0);
  assert_int_equal(wb_volume_create(f->root, "v", false, NULL, &created, &err),
                   0);
  assert_false(created);
  assert_int_equal(access(file, F_OK), 0); /* not emptied */
  cleanup_free char *anon = NULL;
  assert_int_equal(wb_volume_create(f->root, NULL, true, &anon, NULL, &err), 0);
  cleanup_strv char **removed = NULL;
  uint64_t freed = 0;
  assert_int_equal(wb_volume_prune(f->root, false, &removed, &freed, &err), 0);
  assert_int_equal(strv_len(removed), 1);
  assert_string_equal(removed[0], anon);
  strv_free(removed);
  removed = NULL;
  assert_int_equal(wb_volume_prune(f->root, true, &removed, &freed, &err), 0);
  assert_int_equal(strv_len(removed), 1);
  assert_string_equal(removed[0], "v");
  assert_int_equal(freed, 5);
  assert_int_equal(wb_volume_create(f->root, "a/b", false, NULL, NULL, &err),
                   -EINVAL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_parse_good),
      cmocka_unit_test(test_parse_bad),
      cmocka_unit_test_setup_teardown(test_data_path_and_back, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resolve_and_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_existing_and_prune, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
