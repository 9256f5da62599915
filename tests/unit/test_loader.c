/* test_loader.c - the plugin loader against deliberately broken drivers
 * (tests/plugins/), driver config groups, host services and the automatic
 * cgroup driver selection of the context. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "context.h"
#include "plugin_loader.h"
#include "util/fs.h"
#include "util/xalloc.h"

static const char *test_plugin_dir(void)
{
  const char *d = getenv("WB_TEST_PLUGIN_DIR");
  if (!d) {
    fail_msg("WB_TEST_PLUGIN_DIR is not set (run through meson test)");
    return "/nonexistent";
  }
  return d;
}

static char *test_driver(const char *file)
{
  return xasprintf("%s/%s", test_plugin_dir(), file);
}

static void assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in \"%s\"", needle,
             haystack ? haystack : "(no message)");
}

/* A scratch directory, removed by the test's teardown. */
static int make_tmpdir(void **state)
{
  char tmpl[] = "/tmp/wb-unit-loader-XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  *state = xstrdup(tmpl);
  return 0;
}

static int remove_tmpdir(void **state)
{
  wb_error err = WB_ERROR_INIT;
  int r = rm_rf(*state, &err);
  wb_error_clear(&err);
  free(*state);
  return r;
}

static bool dir_is_empty(const char *path)
{
  DIR *d = opendir(path);
  assert_non_null(d);
  struct dirent *de;
  bool empty = true;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      empty = false;
  closedir(d);
  return empty;
}

/* Opening must fail with a message naming the file and the problem, and
 * leave nothing loaded. */
static void expect_open_fails(const char *file, uint32_t want_kind,
                              const char *want_name, const char *problem)
{
  char *path = test_driver(file);
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  int r = wb_driver_open(path, want_kind, want_name, &d, &err);
  assert_true(r < 0);
  assert_null(d);
  assert_contains(err.msg, path);
  assert_contains(err.msg, problem);
  assert_null(strchr(err.msg, '\n'));
  void *still = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (still) {
    dlclose(still);
    fail_msg("%s is still loaded after a failed wb_driver_open", path);
  }
  wb_error_clear(&err);
  free(path);
}

static void test_bad_major(void **state)
{
  expect_open_fails("storage-badmajor.so", WB_PLUGIN_STORAGE, NULL, "ABI 2.0");
  expect_open_fails("storage-badmajor.so", 0, NULL, "major versions differ");
}

static void test_newer_minor(void **state)
{
  expect_open_fails("storage-newminor.so", WB_PLUGIN_STORAGE, NULL, "newer");
}

static void test_missing_getter(void **state)
{
  expect_open_fails("storage-nogetter.so", WB_PLUGIN_STORAGE, NULL,
                    "no whalebox_plugin_entry symbol");
}

static void test_getter_returns_null(void **state)
{
  expect_open_fails("storage-nullentry.so", WB_PLUGIN_STORAGE, NULL,
                    "returned NULL");
}

static void test_wrong_kind(void **state)
{
  expect_open_fails("storage-wrongkind.so", WB_PLUGIN_STORAGE, NULL,
                    "is a log driver, not a storage driver");
  /* Without a wanted kind its file name is what it is found and recorded
   * by: a log driver in storage-*.so is refused all the same. */
  expect_open_fails("storage-wrongkind.so", 0, NULL,
                    "is a log driver, but its file name says storage");
}

static void test_name_mismatch(void **state)
{
  /* storage-dup-b.so declares "dup", like storage-dup-a.so. */
  expect_open_fails("storage-dup-b.so", WB_PLUGIN_STORAGE, "dup-b",
                    "declares name 'dup', expected 'dup-b'");
  /* Asked for the name it declares, or for none, the file's name must
   * still be <kind>-<name>.so: two files can never be one driver. */
  expect_open_fails("storage-dup-b.so", WB_PLUGIN_STORAGE, "dup",
                    "declares name 'dup', but its file name says 'dup-b'");
  expect_open_fails("storage-dup-a.so", 0, NULL,
                    "declares name 'dup', but its file name says 'dup-a'");
}

/* A copy of storage-dummy.so at <dir>/<name>, opened by absolute path. */
static int open_copy_as(const char *dir, const char *name, struct wb_driver **d,
                        wb_error *err)
{
  char *from = test_driver("storage-dummy.so");
  char *to = xasprintf("%s/%s", dir, name);
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(read_file(from, &data, &len, err), 0);
  assert_int_equal(write_file(to, data, len, err), 0);
  int r = wb_driver_open(to, 0, NULL, d, err);
  free(data);
  free(from);
  free(to);
  return r;
}

/* By absolute path too, the file's name must be <kind>-<name>.so: that is
 * how containers record and find their drivers. */
static void test_file_name_by_path(void **state)
{
  const char *dir = *state;
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(open_copy_as(dir, "storage-dummy.so", &d, &err), 0);
  assert_string_equal(d->label, "storage-dummy");
  wb_driver_free(d);
  d = NULL;
  assert_true(open_copy_as(dir, "mydriver.so", &d, &err) < 0);
  assert_null(d);
  assert_contains(err.msg, "/mydriver.so: file name must be <kind>-<name>.so "
                           "(storage-dummy.so for this driver)");
  assert_true(open_copy_as(dir, "cgroup-dummy.so", &d, &err) < 0);
  assert_contains(err.msg, "/cgroup-dummy.so: is a storage driver, but its "
                           "file name says cgroup");
  assert_true(open_copy_as(dir, "storage-other.so", &d, &err) < 0);
  assert_contains(err.msg, "/storage-other.so: declares name 'dummy', but its "
                           "file name says 'other'");
  assert_null(strchr(err.msg, '\n'));
  wb_error_clear(&err);
}

static void test_text_file(void **state)
{
  expect_open_fails("storage-textfile.so", WB_PLUGIN_STORAGE, NULL,
                    "not a shared object");
}

static void test_empty_file(void **state)
{
  expect_open_fails("storage-empty.so", WB_PLUGIN_STORAGE, NULL,
                    "not a shared object");
}

static void test_missing_file(void **state)
{
  expect_open_fails("storage-doesnotexist.so", WB_PLUGIN_STORAGE, NULL,
                    "not found");
}

static void test_directory(void **state)
{
  expect_open_fails("auto", WB_PLUGIN_STORAGE, NULL, "not a regular file");
}

static void test_small_ops(void **state)
{
  expect_open_fails("storage-smallops.so", WB_PLUGIN_STORAGE, NULL,
                    "ops table is 4 bytes");
}

static void test_null_required_op(void **state)
{
  expect_open_fails("storage-nullop.so", WB_PLUGIN_STORAGE, NULL,
                    "required op mount() is missing");
}

static void test_small_descriptor(void **state)
{
  expect_open_fails("storage-smalldesc.so", WB_PLUGIN_STORAGE, NULL,
                    "descriptor is 16 bytes");
}

static void test_no_probe(void **state)
{
  expect_open_fails("storage-noprobe.so", WB_PLUGIN_STORAGE, NULL,
                    "has no probe()");
}

static void test_bad_name(void **state)
{
  expect_open_fails("storage-badname.so", WB_PLUGIN_STORAGE, NULL,
                    "invalid name");
}

/* Files with an ELF magic and garbage after it: each is opened in a child
 * so that a crash (SIGBUS, SIGSEGV) is reported as this test failing
 * instead of killing the whole test program. */
static void test_garbage_does_not_crash(void **state)
{
  static const char *const files[] = {
      "storage-elfjunk.so",  "storage-elfheader.so", "storage-truncated.so",
      "storage-textfile.so", "storage-empty.so",
  };
  int failures = 0;
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char *path = test_driver(files[i]);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      /* cmocka catches crash signals and would go on running the other
       * tests in this child: let the kernel kill it instead. */
      static const int sigs[] = {SIGBUS, SIGSEGV, SIGILL, SIGFPE, SIGABRT};
      for (size_t s = 0; s < sizeof sigs / sizeof *sigs; s++)
        signal(sigs[s], SIG_DFL);
      wb_error err = WB_ERROR_INIT;
      struct wb_driver *d = NULL;
      int r = wb_driver_open(path, WB_PLUGIN_STORAGE, NULL, &d, &err);
      _exit(r < 0 && d == NULL && err.msg && strstr(err.msg, path) ? 0 : 3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
      print_error("# loading %s crashed the loader: signal %d (%s)\n", path,
                  WTERMSIG(status), strsignal(WTERMSIG(status)));
      failures++;
    } else if (WEXITSTATUS(status) != 0) {
      print_error("# loading %s did not fail with a message naming it "
                  "(exit %d)\n",
                  path, WEXITSTATUS(status));
      failures++;
    }
    free(path);
  }
  assert_int_equal(failures, 0);
}

static void test_good_driver(void **state)
{
  const char *root = *state;
  char *path = test_driver("storage-dummy.so");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, "dummy", &d, &err),
                   0);
  assert_string_equal(d->label, "storage-dummy");
  assert_string_equal(d->path, path);
  assert_int_equal(d->desc->abi_major, WB_PLUGIN_ABI_MAJOR);
  assert_non_null(d->ops);
  /* Opening creates nothing; init creates the driver's own directory. */
  assert_true(dir_is_empty(root));
  assert_int_equal(wb_driver_init(d, NULL, root, &err), 0);
  char *ddir = xasprintf("%s/drivers/storage-dummy", root);
  struct stat st;
  assert_int_equal(stat(ddir, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_string_equal(d->host.driver_dir, ddir);
  assert_string_equal(d->host.state_root, root);
  assert_int_equal(d->host.size, sizeof(struct wb_host));
  assert_int_equal(wb_driver_probe(d, &err), 0);
  assert_null(err.msg);
  wb_driver_free(d);
  void *still = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (still) {
    dlclose(still);
    fail_msg("%s still loaded after wb_driver_free", path);
  }
  free(ddir);
  free(path);
}

/* The ABI promise: a driver built against 1.0 (smaller descriptor, no
 * features field) still loads, and is known to lack every feature. */
static void test_abi_1_0_driver_loads(void **state)
{
  const char *root = *state;
  char *path = test_driver("storage-abi10.so");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, "abi10", &d, &err),
                   0);
  assert_int_equal(d->desc->abi_minor, 0);
  assert_true(d->desc->size < sizeof(struct wb_plugin));
  assert_int_equal(wb_driver_features(d), 0);
  assert_int_equal(wb_driver_init(d, NULL, root, &err), 0);
  assert_int_equal(wb_driver_probe(d, &err), 0);
  wb_driver_free(d);
  free(path);
}

/* Ops appended in 1.1 are read only within the driver's table: a 1.0
 * cgroup driver (whose table ends at freeze) loads and has no open(), even
 * though the memory after its table is not NULL; a 1.1 one has it. */
static void test_cgroup_open_respects_ops_size(void **state)
{
  (void)state;
  static const struct {
    const char *file, *name;
    bool has_open;
  } cases[] = {{"cgroup-abi10.so", "abi10", false},
               {"cgroup-dummy.so", "dummy", true}};
  for (size_t i = 0; i < 2; i++) {
    char *path = test_driver(cases[i].file);
    wb_error err = WB_ERROR_INIT;
    struct wb_driver *d = NULL;
    if (wb_driver_open(path, WB_PLUGIN_CGROUP, cases[i].name, &d, &err) < 0)
      fail_msg("%s: %s", cases[i].file, err.msg);
    const struct wb_cgroup_ops *ops = d->ops;
    assert_non_null(ops->enter);
    if (cases[i].has_open) {
      assert_int_equal(ops->size, sizeof(struct wb_cgroup_ops));
      assert_non_null(WB_DRIVER_OP(d, struct wb_cgroup_ops, open));
    } else {
      assert_int_equal(ops->size, offsetof(struct wb_cgroup_ops, open));
      assert_null(WB_DRIVER_OP(d, struct wb_cgroup_ops, open));
    }
    /* Ops of 1.0 are there whatever the size. */
    assert_non_null(WB_DRIVER_OP(d, struct wb_cgroup_ops, destroy));
    wb_driver_free(d);
    free(path);
  }
}

static void test_storage_drivers_declare_userns(void **state)
{
  (void)state;
  static const char *const names[] = {"overlay", "bind"};
  for (size_t i = 0; i < 2; i++) {
    char *path =
        xasprintf("%s/storage-%s.so", getenv("WB_PLUGIN_DIR"), names[i]);
    wb_error err = WB_ERROR_INIT;
    struct wb_driver *d = NULL;
    assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, NULL, &d, &err),
                     0);
    assert_true(wb_driver_features(d) & WB_FEATURE_USERNS);
    wb_driver_free(d);
    free(path);
  }
}

static void test_probe_failure_reason(void **state)
{
  const char *root = *state;
  char *path = test_driver("storage-probefail.so");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, NULL, &d, &err), 0);
  assert_int_equal(wb_driver_init(d, NULL, root, &err), 0);
  assert_true(wb_driver_probe(d, &err) < 0);
  assert_string_equal(err.msg,
                      "storage-probefail: the frobnicator is not available "
                      "on this host");
  assert_int_equal(err.code, ENODEV);
  wb_error_clear(&err);
  wb_driver_free(d);
  free(path);
}

static void test_init_failure(void **state)
{
  const char *root = *state;
  char *path = test_driver("storage-initfail.so");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, NULL, &d, &err), 0);
  assert_true(wb_driver_init(d, NULL, root, &err) < 0);
  assert_string_equal(err.msg, "storage-initfail: init refused: test driver");
  wb_error_clear(&err);
  /* fini must not run for a driver whose init failed: freeing is safe. */
  wb_driver_free(d);
  free(path);
}

/* Write `text` to <dir>/whalebox.conf and load it; returns the path. */
static char *load_config_file(const char *dir, const char *text,
                              struct wb_config *cfg)
{
  char *file = xasprintf("%s/whalebox.conf", dir);
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(write_file(file, text, strlen(text), &err), 0);
  if (wb_config_load(cfg, file, &err) < 0)
    fail_msg("config did not load: %s", err.msg);
  return file;
}

/* Open storage-dummy and init it with the config text; returns init's
 * result, the message in *err. */
static int init_dummy_with(const char *root, const char *text,
                           struct wb_config *cfg, struct wb_driver **d,
                           wb_error *err, char **file)
{
  char *cfgdir = xasprintf("%s/etc", root);
  assert_int_equal(mkdir(cfgdir, 0700), 0);
  *file = load_config_file(cfgdir, text, cfg);
  free(cfgdir);
  char *path = test_driver("storage-dummy.so");
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, NULL, d, err), 0);
  free(path);
  char *state_root = xasprintf("%s/state", root);
  int r = wb_driver_init(*d, cfg, state_root, err);
  free(state_root);
  return r;
}

static void test_config_group_unknown_key(void **state)
{
  const char *root = *state;
  struct wb_config cfg;
  struct wb_driver *d = NULL;
  wb_error err = WB_ERROR_INIT;
  char *file;
  int r = init_dummy_with(root,
                          "storage: {\n"
                          "  dummy: {\n"
                          "    flavour = \"vanilla\";\n"
                          "    colour = \"blue\";\n"
                          "  };\n"
                          "};\n",
                          &cfg, &d, &err, &file);
  assert_true(r < 0);
  char *where = xasprintf("%s:4:", file);
  assert_contains(err.msg, where);
  assert_contains(err.msg, "storage.dummy.colour");
  /* Rejected before anything was created. */
  char *state_root = xasprintf("%s/state", root);
  assert_int_equal(access(state_root, F_OK), -1);
  free(state_root);
  free(where);
  free(file);
  wb_error_clear(&err);
  wb_driver_free(d);
  wb_config_free(&cfg);
}

static void check_wrong_type(const char *root, const char *line,
                             const char *want)
{
  char *text = xasprintf("storage: { dummy: {\n%s\n}; };\n", line);
  struct wb_config cfg;
  struct wb_driver *d = NULL;
  wb_error err = WB_ERROR_INIT;
  char *file;
  int r = init_dummy_with(root, text, &cfg, &d, &err, &file);
  assert_true(r < 0);
  char *where = xasprintf("%s:2:", file);
  assert_contains(err.msg, where);
  assert_contains(err.msg, want);
  free(where);
  free(file);
  free(text);
  wb_error_clear(&err);
  wb_driver_free(d);
  wb_config_free(&cfg);
}

static void test_config_group_wrong_type(void **state)
{
  const char *root = *state;
  char *sub[4];
  const char *lines[][2] = {
      {"count = \"three\";", "'storage.dummy.count' must be an integer"},
      {"verbose = 1;", "'storage.dummy.verbose' must be a boolean"},
      {"flavour = 42;", "'storage.dummy.flavour' must be a string"},
      {"limit = \"ten megs\";", "'storage.dummy.limit' must be a size"},
  };
  for (int i = 0; i < 4; i++) {
    sub[i] = xasprintf("%s/%d", root, i);
    assert_int_equal(mkdir(sub[i], 0700), 0);
    check_wrong_type(sub[i], lines[i][0], lines[i][1]);
    free(sub[i]);
  }
}

static void test_host_services(void **state)
{
  const char *root = *state;
  struct wb_config cfg;
  struct wb_driver *d = NULL;
  wb_error err = WB_ERROR_INIT;
  char *file;
  int r = init_dummy_with(root,
                          "storage: { dummy: {\n"
                          "  flavour = \"vanilla\";\n"
                          "  count = 7;\n"
                          "  verbose = true;\n"
                          "  limit = \"10m\";\n"
                          "}; };\n",
                          &cfg, &d, &err, &file);
  if (r < 0)
    fail_msg("init failed: %s", err.msg);
  const struct wb_host *h = &d->host;
  int64_t v = 0;
  assert_int_equal(h->config_int(h, "limit", &v), 0);
  assert_int_equal(v, 10 * 1024 * 1024);
  assert_int_equal(h->config_int(h, "count", &v), 0);
  assert_int_equal(v, 7);
  assert_int_equal(h->config_int(h, "missing", &v), -ENOENT);
  const char *s = NULL;
  assert_int_equal(h->config_string(h, "flavour", &s), 0);
  assert_string_equal(s, "vanilla");
  assert_int_equal(h->config_string(h, "missing", &s), -ENOENT);
  int b = 0;
  assert_int_equal(h->config_bool(h, "verbose", &b), 0);
  assert_true(b);
  assert_int_equal(h->parse_size("64k", &v), 0);
  assert_int_equal(v, 64 * 1024);
  assert_int_equal(h->parse_size("2g", &v), 0);
  assert_int_equal(v, 2LL * 1024 * 1024 * 1024);
  assert_int_equal(h->parse_size("lots", &v), -EINVAL);

  /* host->error prefixes the driver's label and appends strerror. */
  assert_int_equal(h->error(h, &err, ENOENT, "open %s", "/x"), -ENOENT);
  assert_string_equal(err.msg, "storage-dummy: open /x: No such file or "
                               "directory");
  assert_int_equal(h->error(h, &err, -EINVAL, "bad %d", 3), -EINVAL);
  assert_string_equal(err.msg, "storage-dummy: bad 3");
  assert_int_equal(h->error(h, &err, 0, "no code"), -EIO);
  assert_string_equal(err.msg, "storage-dummy: no code");
  /* Logging must not crash whatever the level. */
  h->log(h, WB_LOG_DEBUG, "debug %d", 1);
  h->log(h, 99, "out-of-range level");
  wb_error_clear(&err);
  free(file);
  wb_driver_free(d);
  wb_config_free(&cfg);
}

static void test_driver_path(void **state)
{
  char *p = wb_driver_path("/pd", WB_PLUGIN_STORAGE, "overlay");
  assert_string_equal(p, "/pd/storage-overlay.so");
  free(p);
  p = wb_driver_path("/pd", WB_PLUGIN_STORAGE, "storage-overlay");
  assert_string_equal(p, "/pd/storage-overlay.so");
  free(p);
  p = wb_driver_path("/pd", WB_PLUGIN_CGROUP, "v2");
  assert_string_equal(p, "/pd/cgroup-v2.so");
  free(p);
  p = wb_driver_path("/pd", WB_PLUGIN_LOG, "/opt/x/log-y.so");
  assert_string_equal(p, "/opt/x/log-y.so");
  free(p);
  assert_string_equal(wb_kind_name(WB_PLUGIN_LOG), "log");
  assert_string_equal(wb_kind_name(77), "unknown");
  assert_int_equal(wb_kind_from_name("cgroup"), WB_PLUGIN_CGROUP);
  assert_int_equal(wb_kind_from_name("nope"), 0);
}

/* ---- context: which drivers a command loads ----------------------------- */

/* A plugin directory under root holding symlinks name -> target (relative
 * to $WB_TEST_PLUGIN_DIR); pairs end with NULL. */
static char *make_plugin_dir(const char *root, ...)
{
  char *dir = xasprintf("%s/plugins", root);
  assert_int_equal(mkdir(dir, 0700), 0);
  va_list ap;
  va_start(ap, root);
  const char *name;
  while ((name = va_arg(ap, const char *))) {
    const char *target = va_arg(ap, const char *);
    char *from = test_driver(target);
    char *to = xasprintf("%s/%s", dir, name);
    assert_int_equal(symlink(from, to), 0);
    free(from);
    free(to);
  }
  va_end(ap);
  return dir;
}

/* A context with an empty config file, plugin_dir and a state root of its
 * own; flags are set by the caller in *ctx before. */
static void context_init(struct wb_context *ctx, const char *root,
                         char *plugin_dir)
{
  char *conf = xasprintf("%s/empty.conf", root);
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(write_file(conf, "", 0, &err), 0);
  ctx->plugin_dir = plugin_dir;
  ctx->root = xasprintf("%s/state", root);
  if (wb_context_init(ctx, conf, &err) < 0)
    fail_msg("wb_context_init: %s", err.msg);
  free(conf);
}

static void test_auto_cgroup_falls_back(void **state)
{
  const char *root = *state;
  struct wb_context ctx = {0};
  context_init(&ctx, root,
               make_plugin_dir(root, "cgroup-v2.so", "auto/cgroup-v2.so",
                               "cgroup-v1.so", "auto/cgroup-v1.so", NULL));
  assert_string_equal(ctx.driver_arg[WB_PLUGIN_CGROUP], "auto");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  if (wb_context_driver(&ctx, WB_PLUGIN_CGROUP, &d, &err) < 0)
    fail_msg("auto selection failed: %s", err.msg);
  assert_string_equal(d->label, "cgroup-v1");
  assert_ptr_equal(ctx.driver[WB_PLUGIN_CGROUP], d);
  assert_contains(ctx.cgroup_reason, "auto: cgroup-v1 usable");
  /* The reason keeps why v2 was passed over. */
  assert_contains(ctx.cgroup_reason,
                  "controllers memory, pids not available (test driver)");
  /* Only what the command asked for is loaded. */
  assert_null(ctx.driver[WB_PLUGIN_STORAGE]);
  assert_null(ctx.driver[WB_PLUGIN_LOG]);
  /* A second call returns the same driver. */
  struct wb_driver *again = NULL;
  assert_int_equal(wb_context_driver(&ctx, WB_PLUGIN_CGROUP, &again, &err), 0);
  assert_ptr_equal(again, d);
  wb_context_free(&ctx);
}

static void test_auto_cgroup_prefers_v2(void **state)
{
  const char *root = *state;
  struct wb_context ctx = {0};
  context_init(&ctx, root,
               make_plugin_dir(root, "cgroup-v2.so", "auto/good/cgroup-v2.so",
                               "cgroup-v1.so", "auto/cgroup-v1.so", NULL));
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  if (wb_context_driver(&ctx, WB_PLUGIN_CGROUP, &d, &err) < 0)
    fail_msg("auto selection failed: %s", err.msg);
  assert_contains(d->path, "/cgroup-v2.so");
  assert_contains(ctx.cgroup_reason, "auto: cgroup-v2 usable");
  wb_context_free(&ctx);
}

static void test_auto_cgroup_none_usable(void **state)
{
  const char *root = *state;
  struct wb_context ctx = {0};
  context_init(
      &ctx, root,
      make_plugin_dir(root, "cgroup-v2.so", "auto/cgroup-v2.so", NULL));
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_true(wb_context_driver(&ctx, WB_PLUGIN_CGROUP, &d, &err) < 0);
  assert_contains(err.msg, "no usable cgroup driver");
  assert_contains(err.msg, "controllers memory, pids not available");
  assert_contains(err.msg, "cgroup-v1.so");
  assert_null(ctx.driver[WB_PLUGIN_CGROUP]);
  wb_error_clear(&err);
  wb_context_free(&ctx);
}

static void test_flag_selects_driver(void **state)
{
  const char *root = *state;
  struct wb_context ctx = {0};
  ctx.driver_arg[WB_PLUGIN_CGROUP] = xstrdup("v1");
  ctx.driver_arg[WB_PLUGIN_LOG] = xstrdup("dummy");
  context_init(&ctx, root,
               make_plugin_dir(root, "cgroup-v2.so", "auto/cgroup-v2.so",
                               "cgroup-v1.so", "auto/cgroup-v1.so",
                               "log-dummy.so", "log-dummy.so", NULL));
  assert_string_equal(ctx.driver_from[WB_PLUGIN_CGROUP], "flag");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(wb_context_driver(&ctx, WB_PLUGIN_CGROUP, &d, &err), 0);
  assert_string_equal(d->label, "cgroup-v1");
  assert_contains(ctx.cgroup_reason, "flag");
  assert_int_equal(wb_context_driver(&ctx, WB_PLUGIN_LOG, &d, &err), 0);
  assert_string_equal(d->label, "log-dummy");
  /* The configured storage driver (overlay) is not in this directory. */
  assert_true(wb_context_driver(&ctx, WB_PLUGIN_STORAGE, &d, &err) < 0);
  assert_contains(err.msg, "storage-overlay.so not found");
  wb_error_clear(&err);
  wb_context_free(&ctx);
}

static void test_broken_driver_creates_nothing(void **state)
{
  const char *root = *state;
  struct wb_context ctx = {0};
  ctx.driver_arg[WB_PLUGIN_STORAGE] = xstrdup("badmajor");
  context_init(&ctx, root, xstrdup(test_plugin_dir()));
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_true(wb_context_driver(&ctx, WB_PLUGIN_STORAGE, &d, &err) < 0);
  assert_contains(err.msg, "storage-badmajor.so");
  assert_contains(err.msg, "ABI 2.0");
  assert_null(ctx.driver[WB_PLUGIN_STORAGE]);
  /* Nothing created in the state root. */
  char *state_root = xasprintf("%s/state", root);
  assert_int_equal(access(state_root, F_OK) == 0 && !dir_is_empty(state_root),
                   0);
  free(state_root);
  wb_error_clear(&err);
  wb_context_free(&ctx);
}

static void test_probe_failure_through_context(void **state)
{
  const char *root = *state;
  struct wb_context ctx = {0};
  ctx.driver_arg[WB_PLUGIN_STORAGE] = xstrdup("probefail");
  context_init(&ctx, root, xstrdup(test_plugin_dir()));
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_true(wb_context_driver(&ctx, WB_PLUGIN_STORAGE, &d, &err) < 0);
  assert_contains(err.msg, "cannot be used on this host");
  assert_contains(err.msg, "the frobnicator is not available on this host");
  wb_error_clear(&err);
  wb_context_free(&ctx);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_tmpdir, remove_tmpdir)

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_major),
      cmocka_unit_test(test_storage_drivers_declare_userns),
      T(test_abi_1_0_driver_loads),
      T(test_cgroup_open_respects_ops_size),
      cmocka_unit_test(test_newer_minor),
      cmocka_unit_test(test_missing_getter),
      cmocka_unit_test(test_getter_returns_null),
      cmocka_unit_test(test_wrong_kind),
      cmocka_unit_test(test_name_mismatch),
      T(test_file_name_by_path),
      cmocka_unit_test(test_text_file),
      cmocka_unit_test(test_empty_file),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_directory),
      cmocka_unit_test(test_small_ops),
      cmocka_unit_test(test_null_required_op),
      cmocka_unit_test(test_small_descriptor),
      cmocka_unit_test(test_no_probe),
      cmocka_unit_test(test_bad_name),
      cmocka_unit_test(test_garbage_does_not_crash),
      T(test_good_driver),
      T(test_probe_failure_reason),
      T(test_init_failure),
      T(test_config_group_unknown_key),
      T(test_config_group_wrong_type),
      T(test_host_services),
      cmocka_unit_test(test_driver_path),
      T(test_auto_cgroup_falls_back),
      T(test_auto_cgroup_prefers_v2),
      T(test_auto_cgroup_none_usable),
      T(test_flag_selects_driver),
      T(test_broken_driver_creates_nothing),
      T(test_probe_failure_through_context),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
