/* test_tmpfs.c - tmpfs options (Docker's --tmpfs syntax turned into
 * mount(2) flags and data: nosuid and nodev always, noexec by default) and
 * `--mount` specs of type bind, volume and tmpfs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "container/container.h"
#include "container/tmpfs.h"
#include "util/cleanup.h"
#include "util/xalloc.h"
#include "volume/volume.h"

static const unsigned long always = MS_NOSUID | MS_NODEV;

static void expect_args(const char *options, unsigned long flags,
                        const char *data)
{
  unsigned long got = 0;
  cleanup_free char *got_data = NULL;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_tmpfs_mount_args(options, &got, &got_data, &err), 0);
  assert_int_equal(got, flags);
  assert_string_equal(got_data, data);
}

static void expect_refused(const char *options, const char *msg)
{
  unsigned long flags;
  cleanup_free char *data = NULL;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_tmpfs_mount_args(options, &flags, &data, &err), -EINVAL);
  assert_non_null(strstr(err.msg, msg));
}

static void test_mount_args(void **state)
{
  (void)state;
  expect_args("", always | MS_NOEXEC, "");
  expect_args(NULL, always | MS_NOEXEC, "");
  expect_args("rw,size=64k,mode=1777", always | MS_NOEXEC,
              "size=64k,mode=1777");
  expect_args("exec", always, "");
  expect_args("exec,noexec", always | MS_NOEXEC, "");
  expect_args("ro,nosuid,nodev,noatime",
              always | MS_NOEXEC | MS_RDONLY | MS_NOATIME, "");
  expect_args("ro,rw,uid=1000,gid=5,nr_inodes=4k,size=50%", always | MS_NOEXEC,
              "uid=1000,gid=5,nr_inodes=4k,size=50%");
  expect_args(",,size=1m,", always | MS_NOEXEC, "size=1m");
  expect_refused("suid", "nosuid and nodev");
  expect_refused("dev", "nosuid and nodev");
  expect_refused("size=1x", "expected a size");
  expect_refused("size=", "expected a size");
  expect_refused("size=-1", "expected a size");
  expect_refused("mode=8", "octal");
  expect_refused("mode=17777", "octal");
  expect_refused("uid=-1", "numeric user id");
  expect_refused("gid=4294967295", "numeric group id");
  expect_refused("nr_blocks=1%", "a number");
  expect_refused("tmpcopyup", "unknown option");
  expect_refused("sizes=1", "unknown option");
  expect_refused("size", "unknown option");
  assert_true(wb_tmpfs_read_only("size=1m,ro"));
  assert_false(wb_tmpfs_read_only("ro,rw"));
  assert_false(wb_tmpfs_read_only("bogus,ro"));
}

static void test_targets(void **state)
{
  (void)state;
  struct wb_tmpfs *list = NULL;
  size_t n = 0;
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_tmpfs_add_spec(&list, &n, "/run:size=1m", &err), 0);
  assert_int_equal(wb_tmpfs_add_spec(&list, &n, "/a/b/", &err), 0);
  const char *bad[] = {"run", "/", "//", "/a/../b", "/./", "/a/.", "", ":x"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(wb_tmpfs_add_spec(&list, &n, bad[i], &err), -EINVAL);
    assert_non_null(strstr(err.msg, "must be absolute"));
  }
  assert_int_equal(wb_tmpfs_add_spec(&list, &n, "/x:suid", &err), -EINVAL);
  assert_non_null(strstr(err.msg, "invalid --tmpfs \"/x:suid\": tmpfs option"));
  assert_int_equal(n, 2);
  assert_string_equal(list[0].target, "/run");
  assert_string_equal(list[0].options, "size=1m");
  assert_string_equal(list[1].options, "");
  /* state.json round trip. */
  json_t *j = wb_tmpfs_to_json(list, n);
  struct wb_tmpfs *back = NULL;
  size_t m = 0;
  wb_tmpfs_from_json(j, &back, &m);
  json_decref(j);
  assert_int_equal(m, 2);
  assert_string_equal(back[1].target, "/a/b/");
  assert_string_equal(back[0].options, "size=1m");
  wb_tmpfs_free(back, m);
  wb_tmpfs_from_json(NULL, &back, &m);
  assert_int_equal(m, 0);
  wb_tmpfs_free(back, m);
  wb_tmpfs_free(list, n);
}

static void test_mount_specs(void **state)
{
  (void)state;
  struct wb_container *c = wb_container_new();
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(
      wb_mount_spec_add(c, "type=bind,source=/h,target=/c,readonly", &err), 0);
  assert_int_equal(wb_mount_spec_add(c, "src=vol,dst=/v", &err), 0);
  assert_int_equal(
      wb_mount_spec_add(c, "type=volume,target=/anon,volume-nocopy", &err), 0);
  assert_int_equal(wb_mount_spec_add(c,
                                     "type=tmpfs,destination=/t,tmpfs-size=64k,"
                                     "tmpfs-mode=700,ro",
                                     &err),
                   0);
  assert_int_equal(c->n_binds, 3);
  assert_string_equal(c->binds[0].source, "/h");
  assert_true(c->binds[0].read_only);
  assert_string_equal(c->binds[1].source, "vol"); /* volume is the default */
  assert_string_equal(c->binds[2].source, "");    /* anonymous */
  assert_int_equal(c->n_tmpfs, 1);
  assert_string_equal(c->tmpfs[0].options, "ro,size=65536,mode=700");
  const char *bad[][2] = {
      {"type=bind,target=/a", "absolute host path"},
      {"type=bind,source=/a,target=rel", "absolute path, not /"},
      {"type=volume,source=/abs,target=/a", "a volume name"},
      {"type=volume,source=a/b,target=/a", "a volume name"},
      {"type=volume,target=/a,volume-nocopy=false", "volume-nocopy=false"},
      {"type=volume,target=/a,volume-driver=x", "\"local\""},
      {"type=tmpfs,source=x,target=/a", "no source"},
      {"type=tmpfs,target=/a,tmpfs-size=x", "tmpfs-size"},
      {"type=tmpfs,target=/a,tmpfs-mode=9", "octal"},
      {"type=tmpfs,target=/", "must be absolute"},
      {"type=tmpfs", "target is required"},
      {"type=bind,source=/a,target=/b,tmpfs-mode=1", "for type=tmpfs"},
      {"type=tmpfs,target=/a,volume-driver=local", "for type=volume"},
      {"type=nfs,target=/a", "bind, volume or tmpfs"},
      {"type=tmpfs,target=/a,ro=maybe", "true or false"},
      {"type=tmpfs,target", "needs a value"},
      {"type=tmpfs,target=/a,bind-propagation=shared", "unsupported field"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(wb_mount_spec_add(c, bad[i][0], &err), -EINVAL);
    if (!strstr(err.msg, bad[i][1]) || !strstr(err.msg, "invalid --mount"))
      fail_msg("%s: %s", bad[i][0], err.msg);
  }
  assert_int_equal(c->n_binds, 3);
  assert_int_equal(c->n_tmpfs, 1);
  wb_container_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mount_args),
      cmocka_unit_test(test_targets),
      cmocka_unit_test(test_mount_specs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
