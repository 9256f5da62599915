/* test_userns.c - user namespace mappings: parsing --uidmap/--gidmap and
 * userns.remap, the checks on them, id translation, and the record kept in
 * state.json. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "security/security.h"
#include "util/error.h"

static void expect_check_fails(const char *text, const char *want)
{
  struct wb_idmap *m = NULL;
  size_t n = 0;
  wb_error err = WB_ERROR_INIT;
  int r = wb_idmap_add(&m, &n, text, "--uidmap", &err);
  if (r == 0)
    r = wb_idmap_check(m, n, "uid mapping", &err);
  if (r != -EINVAL || !err.msg || !strstr(err.msg, want))
    fail_msg("\"%s\": expected -EINVAL with \"%s\", got %d \"%s\"", text, want,
             r, err.msg ? err.msg : "");
  wb_error_clear(&err);
  free(m);
}

static void test_parse_and_translate(void **state)
{
  (void)state;
  struct wb_idmap *m = NULL;
  size_t n = 0;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_idmap_add(&m, &n, "0:100000:1000", "--uidmap", &err), 0);
  assert_int_equal(
      wb_idmap_add(&m, &n, "1000:5000:1,2000:300000:10", "--uidmap", &err), 0);
  assert_int_equal(n, 3);
  assert_int_equal(m[2].container_id, 2000);
  assert_int_equal(m[2].host_id, 300000);
  assert_int_equal(m[2].count, 10);
  assert_int_equal(wb_idmap_check(m, n, "uid mapping", &err), 0);
  assert_int_equal(wb_idmap_to_host(m, n, 0), 100000);
  assert_int_equal(wb_idmap_to_host(m, n, 999), 100999);
  assert_int_equal(wb_idmap_to_host(m, n, 1000), 5000);
  assert_int_equal(wb_idmap_to_host(m, n, 2009), 300009);
  assert_int_equal(wb_idmap_to_host(m, n, 1001), (uint32_t)-1);
  assert_int_equal(wb_idmap_to_host(m, n, 2010), (uint32_t)-1);
  free(m);
}

static void test_bad_mappings(void **state)
{
  (void)state;
  expect_check_fails("", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("0:1", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("0:1:2:3", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("0:1:2,", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("-1:1:2", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("0:4294967296:1", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("0: 1:2", "expected CONTAINER_ID:HOST_ID:COUNT");
  expect_check_fails("0:100000:0", "the range is empty");
  /* 4294967295 is (uid_t)-1, never an id: a range may end just below. */
  expect_check_fails("0:4294967290:6", "0:4294967290:6: the range goes past");
  expect_check_fails("4294967290:0:6", "the range goes past");
  expect_check_fails("1:100000:10", "container id 0 (root) is not mapped");
  expect_check_fails("0:100:10,9:500:2", "container ids of 9:500:2 overlap");
  expect_check_fails("0:100:10,20:109:2", "host ids of 20:109:2 overlap");
  /* Adjacent ranges are fine. */
  struct wb_idmap *m = NULL;
  size_t n = 0;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_idmap_add(&m, &n, "0:100:10,10:110:10", "x", &err), 0);
  assert_int_equal(wb_idmap_check(m, n, "uid mapping", &err), 0);
  assert_int_equal(wb_idmap_add(&m, &n, "20:4294967290:5", "x", &err), 0);
  assert_int_equal(wb_idmap_check(m, n, "uid mapping", &err), 0);
  free(m);
}

static void test_too_many_ranges(void **state)
{
  (void)state;
  struct wb_idmap *m = NULL;
  size_t n = 0;
  wb_error err = WB_ERROR_INIT;
  for (uint32_t i = 0; i < 341; i++) {
    char line[64];
    snprintf(line, sizeof line, "%u:%u:1", i, 100000 + i);
    assert_int_equal(wb_idmap_add(&m, &n, line, "--uidmap", &err), 0);
  }
  assert_int_equal(wb_idmap_check(m, n - 1, "uid mapping", &err), 0);
  assert_int_equal(wb_idmap_check(m, n, "uid mapping", &err), -EINVAL);
  assert_non_null(strstr(err.msg, "341 ranges, the kernel takes at most 340"));
  wb_error_clear(&err);
  free(m);
}

static void test_flags(void **state)
{
  (void)state;
  wb_error err = WB_ERROR_INIT;
  struct wb_security s = {0};
  /* No flag: no user namespace. */
  assert_int_equal(wb_userns_from_flags(&s, NULL, "0:1:2", "c.conf", &err), 0);
  assert_false(wb_userns_enabled(&s));
  assert_int_equal(wb_userns_from_flags(&s, "host", "0:1:2", "c.conf", &err),
                   0);
  assert_false(wb_userns_enabled(&s));
  /* remap: the config's mapping, for gids too. */
  assert_int_equal(
      wb_userns_from_flags(&s, "remap", "0:100000:65536", "c.conf", &err), 0);
  assert_true(wb_userns_enabled(&s));
  assert_string_equal(s.userns_mode, "remap");
  assert_int_equal(s.n_gid_map, 1);
  assert_int_equal(s.gid_map[0].host_id, 100000);
  /* The record survives state.json. */
  json_t *j = wb_security_to_json(&s);
  struct wb_security back = {0};
  wb_security_from_json(&back, j);
  json_decref(j);
  assert_string_equal(back.userns_mode, "remap");
  assert_int_equal(back.n_uid_map, 1);
  assert_int_equal(back.uid_map[0].count, 65536);
  assert_int_equal(back.n_gid_map, 1);
  assert_int_equal(wb_userns_check_state(&back, "c", &err), 0);
  wb_security_clear(&back);
  /* A record that lost its map fails closed. */
  json_t *damaged = json_pack("{s:s, s:[], s:[s]}", "UsernsMode", "remap",
                              "UidMap", "GidMap", "0:100000:65536");
  wb_security_from_json(&back, damaged);
  json_decref(damaged);
  assert_int_equal(wb_userns_check_state(&back, "c", &err), -EINVAL);
  assert_non_null(strstr(err.msg, "container c: its user namespace mapping"));
  wb_error_clear(&err);
  wb_security_clear(&back);
  damaged = json_pack("{s:s, s:[s], s:[s]}", "UsernsMode", "private", "UidMap",
                      "0:100000", "GidMap", "0:100000:65536");
  wb_security_from_json(&back, damaged);
  json_decref(damaged);
  assert_int_equal(wb_userns_check_state(&back, "c", &err), -EINVAL);
  wb_error_clear(&err);
  wb_security_clear(&back);
  wb_security_clear(&s);
  /* remap without a mapping names the config file. */
  assert_int_equal(wb_userns_from_flags(&s, "remap", NULL, "c.conf", &err),
                   -EINVAL);
  assert_non_null(strstr(err.msg, "set userns.remap"));
  assert_non_null(strstr(err.msg, "c.conf"));
  wb_error_clear(&err);
  wb_security_clear(&s);
  /* --uidmap with a separate --gidmap. */
  assert_int_equal(
      wb_idmap_add(&s.uid_map, &s.n_uid_map, "0:1000:10", "u", &err), 0);
  assert_int_equal(
      wb_idmap_add(&s.gid_map, &s.n_gid_map, "0:2000:10", "g", &err), 0);
  assert_int_equal(wb_userns_from_flags(&s, NULL, NULL, NULL, &err), 0);
  assert_string_equal(s.userns_mode, "private");
  assert_int_equal(s.gid_map[0].host_id, 2000);
  wb_security_clear(&s);
  /* --privileged refuses a user namespace. */
  s.privileged = true;
  assert_int_equal(
      wb_idmap_add(&s.uid_map, &s.n_uid_map, "0:1000:10", "u", &err), 0);
  assert_int_equal(wb_userns_from_flags(&s, NULL, NULL, NULL, &err), -EINVAL);
  assert_non_null(strstr(err.msg, "--privileged"));
  wb_error_clear(&err);
  wb_security_clear(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_and_translate),
      cmocka_unit_test(test_bad_mappings),
      cmocka_unit_test(test_too_many_ranges),
      cmocka_unit_test(test_flags),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
