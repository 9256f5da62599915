/* test_config.c - whalebox.conf: defaults, every setting, errors with their
 * line, and where the file is looked for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "util/fs.h"
#include "util/xalloc.h"

#ifndef WB_SYSCONFDIR
#error "WB_SYSCONFDIR must be set (core_c_args)"
#endif
#ifndef WB_PLUGIN_DIR
#error "WB_PLUGIN_DIR must be set (core_c_args)"
#endif

static void assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in \"%s\"", needle,
             haystack ? haystack : "(no message)");
}

static int make_tmpdir(void **state)
{
  char tmpl[] = "/tmp/wb-unit-config-XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  *state = xstrdup(tmpl);
  /* Each test decides itself whether $WHALEBOX_CONFIG is set. */
  unsetenv("WHALEBOX_CONFIG");
  return 0;
}

static int remove_tmpdir(void **state)
{
  wb_error err = WB_ERROR_INIT;
  int r = rm_rf(*state, &err);
  wb_error_clear(&err);
  free(*state);
  unsetenv("WHALEBOX_CONFIG");
  return r;
}

static char *write_conf(const char *dir, const char *name, const char *text)
{
  char *path = xasprintf("%s/%s", dir, name);
  wb_error err = WB_ERROR_INIT;
  if (write_file(path, text, strlen(text), &err) < 0)
    fail_msg("%s", err.msg);
  return path;
}

static void assert_defaults(const struct wb_config *c)
{
  assert_string_equal(c->root, "/var/lib/whalebox");
  assert_string_equal(c->plugin_dir, WB_PLUGIN_DIR);
  assert_string_equal(c->storage_driver, "overlay");
  assert_string_equal(c->cgroup_driver, "auto");
  assert_string_equal(c->cgroup_parent, "whalebox");
  assert_string_equal(c->log_driver, "file");
  assert_null(c->userns_remap);
}

/* Loading `text` must fail with a message containing every needle. */
static void expect_string_fails(const char *text, const char *needle1,
                                const char *needle2)
{
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_true(wb_config_load_string(&c, text, &err) < 0);
  assert_contains(err.msg, needle1);
  if (needle2)
    assert_contains(err.msg, needle2);
  assert_null(strchr(err.msg, '\n'));
  assert_int_equal(err.code, EINVAL);
  wb_error_clear(&err);
  wb_config_free(&c);
}

static void test_empty_string_gives_defaults(void **state)
{
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_config_load_string(&c, "", &err), 0);
  assert_defaults(&c);
  assert_null(err.msg);
  wb_config_free(&c);
}

static void test_every_key(void **state)
{
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  const char *text = "root = \"/srv/wb\";\n"
                     "plugin_dir = \"/opt/wb/plugins\";\n"
                     "storage: { driver = \"bind\"; };\n"
                     "cgroup: { driver = \"v1\"; parent = \"boxes\"; };\n"
                     "log: {\n"
                     "  driver = \"none\";\n"
                     "  file: { max_size = \"10m\"; max_file = 3; };\n"
                     "};\n"
                     "userns: { remap = \"default\"; };\n";
  if (wb_config_load_string(&c, text, &err) < 0)
    fail_msg("%s", err.msg);
  assert_string_equal(c.root, "/srv/wb");
  assert_string_equal(c.plugin_dir, "/opt/wb/plugins");
  assert_string_equal(c.storage_driver, "bind");
  assert_string_equal(c.cgroup_driver, "v1");
  assert_string_equal(c.cgroup_parent, "boxes");
  assert_string_equal(c.log_driver, "none");
  assert_string_equal(c.userns_remap, "default");
  /* A driver's own group is handed over as it is. */
  config_setting_t *g = wb_config_driver_group(&c, "log", "file");
  assert_non_null(g);
  const char *max_size = NULL;
  assert_int_equal(config_setting_lookup_string(g, "max_size", &max_size),
                   CONFIG_TRUE);
  assert_string_equal(max_size, "10m");
  int max_file = 0;
  assert_int_equal(config_setting_lookup_int(g, "max_file", &max_file),
                   CONFIG_TRUE);
  assert_int_equal(max_file, 3);
  assert_null(wb_config_driver_group(&c, "log", "journald"));
  assert_null(wb_config_driver_group(&c, "storage", "overlay"));
  wb_config_free(&c);
}

static void test_partial_file_keeps_other_defaults(void **state)
{
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(
      wb_config_load_string(&c, "storage: { driver = \"bind\"; };", &err), 0);
  assert_string_equal(c.storage_driver, "bind");
  assert_string_equal(c.root, "/var/lib/whalebox");
  assert_string_equal(c.cgroup_driver, "auto");
  assert_string_equal(c.log_driver, "file");
  wb_config_free(&c);
}

static void test_shipped_config_loads(void **state)
{
  const char *src = getenv("WB_SOURCE_DIR");
  if (!src)
    fail_msg("WB_SOURCE_DIR is not set (run through meson test)");
  char *path = xasprintf("%s/etc/whalebox.conf", src);
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  if (wb_config_load(&c, path, &err) < 0)
    fail_msg("etc/whalebox.conf does not load: %s", err.msg);
  /* The file documents the defaults: it must agree with them. */
  assert_string_equal(c.root, "/var/lib/whalebox");
  assert_string_equal(c.storage_driver, "overlay");
  assert_string_equal(c.cgroup_driver, "auto");
  assert_string_equal(c.cgroup_parent, "whalebox");
  assert_string_equal(c.log_driver, "file");
  assert_string_equal(c.path, path);
  wb_config_free(&c);
  free(path);
}

static void test_unknown_top_level_key(void **state)
{
  expect_string_fails("root = \"/srv\";\n"
                      "\n"
                      "colour = \"blue\";\n",
                      "<config>:3:", "unknown setting 'colour'");
}

static void test_unknown_key_in_group(void **state)
{
  expect_string_fails("cgroup: {\n  driver = \"v1\";\n  parnet = \"x\";\n};\n",
                      ":3:", "unknown setting 'cgroup.parnet'");
  expect_string_fails("userns: { remap = \"default\"; size = 3; };\n",
                      ":1:", "unknown setting 'userns.size'");
}

static void test_wrong_types(void **state)
{
  expect_string_fails("root = 5;\n", ":1:", "'root' must be a string");
  expect_string_fails("\nplugin_dir = true;\n",
                      ":2:", "'plugin_dir' must be a string");
  expect_string_fails("storage: { driver = 1; };\n",
                      ":1:", "'driver' must be a string");
  expect_string_fails("storage = \"overlay\";\n",
                      ":1:", "'storage' must be a group");
  expect_string_fails("cgroup: { parent = [\"a\"]; };\n",
                      ":1:", "'parent' must be a string");
  expect_string_fails("log: { driver = \"\"; };\n",
                      ":1:", "'driver' must not be empty");
}

/* drivers { timeout; data_timeout; }: seconds a driver call may take. */
static void test_driver_timeouts(void **state)
{
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_config_load_string(&c, "", &err), 0);
  assert_int_equal(c.driver_timeout, 0); /* the built-in limits */
  assert_int_equal(c.driver_data_timeout, 0);
  wb_config_free(&c);
  assert_int_equal(
      wb_config_load_string(
          &c, "drivers: { timeout = 5; data_timeout = 7200; };\n", &err),
      0);
  assert_int_equal(c.driver_timeout, 5);
  assert_int_equal(c.driver_data_timeout, 7200);
  wb_config_free(&c);
  expect_string_fails("drivers: { timeout = 0; };\n", ":1:",
                      "'timeout' must be a number of seconds from 1 to 86400");
  expect_string_fails("\ndrivers: { data_timeout = \"1h\"; };\n",
                      ":2:", "'data_timeout' must be a number of seconds");
  expect_string_fails("drivers: { timeout = 100000; };\n",
                      ":1:", "from 1 to 86400");
  expect_string_fails("drivers: { probe_timeout = 3; };\n",
                      ":1:", "unknown setting 'drivers.probe_timeout'");
  expect_string_fails("drivers = 3;\n", ":1:", "'drivers' must be a group");
}

static void test_relative_root_rejected(void **state)
{
  expect_string_fails("root = \"var/lib/wb\";\n",
                      "'root' must be an "
                      "absolute path",
                      NULL);
}

static void test_malformed_string(void **state)
{
  expect_string_fails("root = \"/srv\";\nstorage: { driver = ; };\n",
                      "<config>:2:", NULL);
}

static void test_malformed_file_names_path_and_line(void **state)
{
  const char *dir = *state;
  char *path = write_conf(dir, "bad.conf",
                          "# comment\n"
                          "root = \"/srv\";\n"
                          "log: {\n"
                          "  driver = \"file\";\n"
                          "  oops = ;\n"
                          "};\n");
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_true(wb_config_load(&c, path, &err) < 0);
  char *where = xasprintf("%s:5:", path);
  assert_contains(err.msg, where);
  assert_null(strchr(err.msg, '\n'));
  wb_error_clear(&err);
  wb_config_free(&c);
  free(where);
  free(path);
}

static void test_unknown_key_in_file_names_path_and_line(void **state)
{
  const char *dir = *state;
  char *path = write_conf(dir, "unknown.conf",
                          "root = \"/srv\";\n"
                          "storage: {\n"
                          "  driver = \"overlay\";\n"
                          "};\n"
                          "volumes = \"/x\";\n");
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_true(wb_config_load(&c, path, &err) < 0);
  char *where = xasprintf("%s:5: unknown setting 'volumes'", path);
  assert_contains(err.msg, where);
  wb_error_clear(&err);
  wb_config_free(&c);
  free(where);
  free(path);
}

static void test_missing_explicit_file(void **state)
{
  const char *dir = *state;
  char *path = xasprintf("%s/nope.conf", dir);
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_true(wb_config_load(&c, path, &err) < 0);
  assert_contains(err.msg, path);
  assert_contains(err.msg, "No such file or directory");
  wb_error_clear(&err);
  wb_config_free(&c);
  free(path);
}

static void test_env_is_honoured(void **state)
{
  const char *dir = *state;
  char *path = write_conf(dir, "env.conf", "root = \"/from/env\";\n");
  setenv("WHALEBOX_CONFIG", path, 1);
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  if (wb_config_load(&c, NULL, &err) < 0)
    fail_msg("%s", err.msg);
  assert_string_equal(c.path, path);
  assert_string_equal(c.root, "/from/env");
  wb_config_free(&c);
  free(path);
}

static void test_explicit_beats_env(void **state)
{
  const char *dir = *state;
  char *env = write_conf(dir, "env.conf", "root = \"/from/env\";\n");
  char *flag = write_conf(dir, "flag.conf", "root = \"/from/flag\";\n");
  setenv("WHALEBOX_CONFIG", env, 1);
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  if (wb_config_load(&c, flag, &err) < 0)
    fail_msg("%s", err.msg);
  assert_string_equal(c.path, flag);
  assert_string_equal(c.root, "/from/flag");
  wb_config_free(&c);
  free(env);
  free(flag);
}

static void test_env_missing_file_is_error(void **state)
{
  const char *dir = *state;
  char *path = xasprintf("%s/gone.conf", dir);
  setenv("WHALEBOX_CONFIG", path, 1);
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  assert_true(wb_config_load(&c, NULL, &err) < 0);
  assert_contains(err.msg, path);
  wb_error_clear(&err);
  wb_config_free(&c);
  free(path);
}

static void test_default_file(void **state)
{
  const char *def = WB_SYSCONFDIR "/whalebox/whalebox.conf";
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  int r = wb_config_load(&c, NULL, &err);
  if (access(def, F_OK) < 0) {
    /* Not installed: built-in defaults, no error. */
    assert_int_equal(r, 0);
    assert_null(c.path);
    assert_false(c.loaded);
    assert_defaults(&c);
  } else {
    /* Installed on this machine: that file is the one read. */
    print_message("# %s exists: checking it is the one read\n", def);
    if (r < 0)
      fail_msg("installed %s does not load: %s", def, err.msg);
    assert_string_equal(c.path, def);
  }
  wb_error_clear(&err);
  wb_config_free(&c);
}

/* An empty $WHALEBOX_CONFIG is as if unset: the default file when it is
 * installed, else the built-in defaults; never an error about "". */
static void test_empty_env_means_unset(void **state)
{
  setenv("WHALEBOX_CONFIG", "", 1);
  struct wb_config c;
  wb_error err = WB_ERROR_INIT;
  const char *def = WB_SYSCONFDIR "/whalebox/whalebox.conf";
  int r = wb_config_load(&c, NULL, &err);
  if (r < 0)
    fail_msg("an empty WHALEBOX_CONFIG gave an error: %s", err.msg);
  if (access(def, F_OK) < 0) {
    assert_null(c.path);
    assert_false(c.loaded);
    assert_defaults(&c);
  } else {
    print_message("# %s exists: checking it is the one read\n", def);
    assert_non_null(c.path);
    assert_string_equal(c.path, def);
    assert_true(c.loaded);
  }
  wb_error_clear(&err);
  wb_config_free(&c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, make_tmpdir, remove_tmpdir)

int main(void)
{
  const struct CMUnitTest tests[] = {
      T(test_empty_string_gives_defaults),
      T(test_every_key),
      T(test_partial_file_keeps_other_defaults),
      T(test_shipped_config_loads),
      T(test_unknown_top_level_key),
      T(test_unknown_key_in_group),
      T(test_wrong_types),
      T(test_driver_timeouts),
      T(test_relative_root_rejected),
      T(test_malformed_string),
      T(test_malformed_file_names_path_and_line),
      T(test_unknown_key_in_file_names_path_and_line),
      T(test_missing_explicit_file),
      T(test_env_is_honoured),
      T(test_explicit_beats_env),
      T(test_env_missing_file_is_error),
      T(test_default_file),
      T(test_empty_env_means_unset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
