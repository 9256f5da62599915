/* test_image_store.c - image references, lookup (tag, id, prefix,
 * ambiguity), tag moves, removal and layer sharing, --change parsing and
 * the human formats, against a scratch state root. */
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

#include "image/archive_module.h"
#include "image/store.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

struct fixture {
  char *root;
};

static int setup(void **state)
{
  struct fixture *f = xzalloc(sizeof *f);
  char tmpl[] = "/tmp/wb-unit-image.XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  f->root = path_join(tmpl, "root");
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  char *parent = xstrdup(f->root);
  *strrchr(parent, '/') = '\0';
  if (strncmp(parent, "/tmp/wb-unit-image.", 19) == 0)
    rm_rf(parent, NULL);
  free(parent);
  free(f->root);
  free(f);
  return 0;
}

/* A 64-hex id made of one repeated digit after a prefix. */
static char *fake_id(const char *prefix, char fill)
{
  char *id = xmalloc(65);
  memset(id, fill, 64);
  id[64] = '\0';
  memcpy(id, prefix, strlen(prefix));
  return id;
}

/* A stored layer with one file, as import would leave it. */
static void make_layer(const char *root, const char *id)
{
  wb_error err = WB_ERROR_INIT;
  char *diff = wb_layer_path(root, id);
  assert_int_equal(mkdir_p(diff, 0755, &err), 0);
  char *file = path_join(diff, "hello");
  assert_int_equal(write_file(file, "hi", 2, &err), 0);
  char *meta = xasprintf("%s/layers/%s/layer.json", root, id);
  char *doc = xasprintf(
      "{\"id\":\"%s\",\"size\":2,\"created\":\"2024-01-01T00:00:00Z\"}", id);
  assert_int_equal(write_file(meta, doc, strlen(doc), &err), 0);
  free(doc);
  free(meta);
  free(file);
  free(diff);
}

/* An image document written by hand, to control its id. */
static void make_image_doc(const char *root, const char *id, const char *layer,
                           const char *tag)
{
  wb_error err = WB_ERROR_INIT;
  char *dir = path_join(root, "images");
  assert_int_equal(mkdir_p(dir, 0700, &err), 0);
  char *path = xasprintf("%s/%s.json", dir, id);
  char *doc = xasprintf(
      "{\"id\":\"%s\",\"created\":\"2024-01-01T00:00:00Z\",\"layers\":[\"%s\"],"
      "\"tags\":[%s%s%s],\"config\":{\"Cmd\":null,\"Entrypoint\":null,"
      "\"Env\":[],\"WorkingDir\":\"\",\"User\":\"\"},\"size\":2,\"history\":[]"
      "}",
      id, layer, tag ? "\"" : "", tag ? tag : "", tag ? "\"" : "");
  assert_int_equal(write_file(path, doc, strlen(doc), &err), 0);
  free(doc);
  free(path);
  free(dir);
}

static void test_ref_parse(void **state)
{
  (void)state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  char *repo = NULL, *tag = NULL, *norm = NULL;
  assert_int_equal(wb_image_ref_parse("busybox", &repo, &tag, &err), 0);
  assert_string_equal(repo, "busybox");
  assert_string_equal(tag, "latest");
  free(repo);
  free(tag);
  assert_int_equal(
      wb_image_ref_parse("my.reg/org_x/app-1:v1.2_rc", &repo, &tag, &err), 0);
  assert_string_equal(repo, "my.reg/org_x/app-1");
  assert_string_equal(tag, "v1.2_rc");
  free(repo);
  free(tag);
  assert_int_equal(wb_image_ref_normalize("a:b", &norm, &err), 0);
  assert_string_equal(norm, "a:b");
  free(norm);

  static const char *const bad[] = {
      "",
      "Busybox",
      "bad name",
      "x:",
      ":tag",
      "a//b",
      "-a",
      "a-",
      "a/",
      "x:-tag",
      "x:.tag",
      "x:t/ag",
      "x:a:b",
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    wb_error e = WB_ERROR_INIT;
    if (wb_image_ref_parse(bad[i], &repo, &tag, &e) != -EINVAL)
      fail_msg("'%s' was accepted", bad[i]);
    assert_non_null(e.msg);
    assert_non_null(strstr(e.msg, "invalid reference format"));
    wb_error_clear(&e);
  }
  assert_true(wb_image_id_valid(
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  assert_false(wb_image_id_valid("0123"));
  assert_false(wb_image_id_valid(
      "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
}

static void test_lookup(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  cleanup_free char *layer = fake_id("", 'e');
  cleanup_free char *a = fake_id("abc1", '0');
  cleanup_free char *b = fake_id("abc2", '0');
  cleanup_free char *c = fake_id("f00d", '1');
  make_layer(f->root, layer);
  make_image_doc(f->root, a, layer, "busybox:latest");
  make_image_doc(f->root, b, layer, "other:1");
  make_image_doc(f->root, c, layer, NULL);

  struct wb_image *img = NULL;
  /* By name, with and without the default tag. */
  assert_int_equal(wb_image_lookup(f->root, "busybox", &img, &err), 0);
  assert_string_equal(img->id, a);
  assert_string_equal(img->tags[0], "busybox:latest");
  assert_null(img->tags[1]);
  assert_string_equal(img->layers[0], layer);
  assert_null(img->layers[1]);
  assert_null(img->cmd);
  assert_null(img->workdir);
  char *lp = wb_layer_path(f->root, img->layers[0]);
  char *want = xasprintf("%s/layers/%s/diff", f->root, layer);
  assert_string_equal(lp, want);
  free(lp);
  free(want);
  wb_image_free(img);
  assert_int_equal(wb_image_lookup(f->root, "busybox:latest", &img, &err), 0);
  wb_image_free(img);
  /* Full id, sha256: form, unique prefix. */
  assert_int_equal(wb_image_lookup(f->root, b, &img, &err), 0);
  assert_string_equal(img->id, b);
  wb_image_free(img);
  char *full = xasprintf("sha256:%s", c);
  assert_int_equal(wb_image_lookup(f->root, full, &img, &err), 0);
  assert_string_equal(img->id, c);
  wb_image_free(img);
  free(full);
  assert_int_equal(wb_image_lookup(f->root, "f0", &img, &err), 0);
  assert_string_equal(img->id, c);
  wb_image_free(img);
  assert_int_equal(wb_image_lookup(f->root, "abc2", &img, &err), 0);
  assert_string_equal(img->id, b);
  wb_image_free(img);
  /* Ambiguous prefix. */
  img = NULL;
  assert_int_equal(wb_image_lookup(f->root, "abc", &img, &err), -EINVAL);
  assert_null(img);
  assert_non_null(strstr(err.msg, "ambiguous"));
  assert_int_equal(wb_image_lookup(f->root, "sha256:ab", &img, &err), -EINVAL);
  /* Not found: the normalised name in the message. */
  assert_int_equal(wb_image_lookup(f->root, "nope", &img, &err), -ENOENT);
  assert_string_equal(err.msg, "unable to find image 'nope:latest'");
  assert_int_equal(wb_image_lookup(f->root, "dead", &img, &err), -ENOENT);
  assert_int_equal(wb_image_lookup(f->root, "sha256:xyz", &img, &err), -EINVAL);
  assert_int_equal(wb_image_lookup(f->root, "Bad Ref", &img, &err), -EINVAL);
  /* A tag wins over an id prefix that looks the same. */
  assert_int_equal(wb_image_tag(f->root, c, "abc1", &err), 0);
  assert_int_equal(wb_image_lookup(f->root, "abc1", &img, &err), 0);
  assert_string_equal(img->id, c);
  wb_image_free(img);
  /* Listing: all three, newest first (equal dates: by id). */
  struct wb_image **list = NULL;
  assert_int_equal(wb_image_list(f->root, &list, &err), 0);
  size_t n = 0;
  while (list[n])
    n++;
  assert_int_equal(n, 3);
  wb_image_list_free(list);
}

static void test_missing_root(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  struct wb_image *img = NULL;
  assert_int_equal(wb_image_lookup(f->root, "busybox", &img, &err), -ENOENT);
  struct wb_image **list = NULL;
  assert_int_equal(wb_image_list(f->root, &list, &err), 0);
  assert_null(list[0]);
  wb_image_list_free(list);
  struct stat st;
  assert_int_equal(stat(f->root, &st), -1); /* reads create nothing */
}

static void test_create_tag_remove(void **state)
{
  struct fixture *f = *state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  cleanup_free char *l1 = fake_id("", '1');
  cleanup_free char *l2 = fake_id("", '2');
  make_layer(f->root, l1);
  make_layer(f->root, l2);
  const char *base_layers[] = {l1, NULL};
  const char *top_layers[] = {l1, l2, NULL};

  struct wb_image cfg = {0};
  assert_int_equal(wb_image_apply_change(&cfg, "CMD [\"sh\"]", &err), 0);
  assert_int_equal(wb_image_apply_change(&cfg, "env A=1", &err), 0);
  char *base = NULL, *top = NULL;
  assert_int_equal(
      wb_image_create(f->root, base_layers, &cfg, "base", "base", &base, &err),
      0);
  assert_true(wb_image_id_valid(base));
  /* A child image stacked on the base, config and history carried over. */
  struct wb_image *b = NULL;
  assert_int_equal(wb_image_lookup(f->root, "base", &b, &err), 0);
  assert_string_equal(b->cmd[0], "sh");
  assert_string_equal(b->env[0], "A=1");
  assert_int_equal(b->size, 2);
  assert_int_equal(
      wb_image_create(f->root, top_layers, b, "commit", "top:1", &top, &err),
      0);
  wb_image_free(b);
  json_t *doc = NULL;
  assert_int_equal(wb_image_load_json(f->root, top, &doc, &err), 0);
  assert_int_equal(json_array_size(json_object_get(doc, "history")), 2);
  assert_int_equal(json_integer_value(json_object_get(doc, "size")), 4);
  json_decref(doc);
  /* An unknown layer is refused. */
  const char *bogus[] = {
      "0000000000000000000000000000000000000000000000000000000000000000", NULL};
  assert_int_equal(
      wb_image_create(f->root, bogus, NULL, NULL, NULL, NULL, &err), -ENOENT);

  /* Tag moves: top:1 onto base. */
  assert_int_equal(wb_image_tag(f->root, "base", "top:1", &err), 0);
  struct wb_image *t = NULL;
  assert_int_equal(wb_image_lookup(f->root, "top:1", &t, &err), 0);
  assert_string_equal(t->id, base);
  wb_image_free(t);
  assert_int_equal(wb_image_lookup(f->root, top, &t, &err), 0);
  assert_null(t->tags[0]);
  wb_image_free(t);

  /* Removing the base keeps l1 (the top image uses it). */
  char **untagged = NULL, *deleted = NULL;
  assert_int_equal(
      wb_image_remove(f->root, "top:1", false, &untagged, &deleted, &err), 0);
  assert_string_equal(untagged[0], "top:1");
  assert_null(deleted);
  strv_free(untagged);
  assert_int_equal(
      wb_image_remove(f->root, "base", false, &untagged, &deleted, &err), 0);
  assert_string_equal(deleted, base);
  strv_free(untagged);
  free(deleted);
  char *p1 = wb_layer_path(f->root, l1);
  char *p2 = wb_layer_path(f->root, l2);
  assert_int_equal(access(p1, F_OK), 0);
  /* Removing the top removes both layers. */
  assert_int_equal(
      wb_image_remove(f->root, top, false, &untagged, &deleted, &err), 0);
  strv_free(untagged);
  free(deleted);
  assert_int_equal(access(p1, F_OK), -1);
  assert_int_equal(access(p2, F_OK), -1);
  free(p1);
  free(p2);
  free(base);
  free(top);
  strv_free(cfg.cmd);
  strv_free(cfg.env);
}

static void test_changes(void **state)
{
  (void)state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  struct wb_image img = {0};
  assert_int_equal(wb_image_apply_change(&img, "CMD echo hi there", &err), 0);
  assert_string_equal(img.cmd[0], "/bin/sh");
  assert_string_equal(img.cmd[1], "-c");
  assert_string_equal(img.cmd[2], "echo hi there");
  assert_null(img.cmd[3]);
  assert_int_equal(
      wb_image_apply_change(&img, "  ENTRYPOINT [\"/a\", \"b\"] ", &err), 0);
  assert_string_equal(img.entrypoint[1], "b");
  assert_int_equal(wb_image_apply_change(&img, "ENTRYPOINT [1]", &err),
                   -EINVAL);
  assert_int_equal(
      wb_image_apply_change(&img, "ENV PATH=/bin X='a b' Y=\"c\\\"d\"", &err),
      0);
  assert_string_equal(img.env[0], "PATH=/bin");
  assert_string_equal(img.env[1], "X=a b");
  assert_string_equal(img.env[2], "Y=c\"d");
  assert_int_equal(wb_image_apply_change(&img, "ENV PATH /usr/bin:/bin", &err),
                   0);
  assert_string_equal(img.env[0], "PATH=/usr/bin:/bin");
  assert_null(img.env[3]);
  assert_int_equal(wb_image_apply_change(&img, "ENV X=\"open", &err), -EINVAL);
  assert_int_equal(wb_image_apply_change(&img, "WORKDIR rel", &err), 0);
  assert_string_equal(img.workdir, "/rel");
  assert_int_equal(wb_image_apply_change(&img, "WORKDIR /abs", &err), 0);
  assert_string_equal(img.workdir, "/abs");
  assert_int_equal(wb_image_apply_change(&img, "USER 1000:1000", &err), 0);
  assert_string_equal(img.user, "1000:1000");
  assert_int_equal(wb_image_apply_change(&img, "CMD", &err), -EINVAL);
  assert_int_equal(wb_image_apply_change(&img, "FROM scratch", &err), -EINVAL);
  assert_non_null(strstr(err.msg, "unknown instruction 'FROM'"));
  strv_free(img.cmd);
  strv_free(img.entrypoint);
  strv_free(img.env);
  free(img.workdir);
  free(img.user);
}

static void test_human(void **state)
{
  (void)state;
  static const struct {
    uint64_t n;
    const char *s;
  } sizes[] = {{0, "0B"},           {999, "999B"},          {1000, "1kB"},
               {4270000, "4.27MB"}, {1234567890, "1.23GB"}, {100200, "100kB"}};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    char *s = wb_human_size(sizes[i].n);
    assert_string_equal(s, sizes[i].s);
    free(s);
  }
  char *s = wb_human_since("2001-01-01T00:00:00Z");
  assert_non_null(strstr(s, "years ago"));
  free(s);
}

int main(void)
{
  /* Image ids are sha256 digests, from the archive module's code (linked
   * in here rather than loaded). */
  wb_archive_set(wb_archive_module_ops());
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ref_parse),
      cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_root, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_tag_remove, setup, teardown),
      cmocka_unit_test(test_changes),
      cmocka_unit_test(test_human),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
