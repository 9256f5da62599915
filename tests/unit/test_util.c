/* test_util.c - the small parsers and helpers everything else leans on:
 * sizes, resource flag values, path joins, environment merging, RFC 3339
 * times, container names and ids, signal names, errors, the spread-subdirs
 * mark. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "container/container.h"
#include "container/control.h"
#include "limits_parse.h"
#include "util/cleanup.h"
#include "util/env.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/size.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static void test_parse_size(void **state)
{
  (void)state;
  int64_t v;
  assert_int_equal(parse_size("512", &v), 0);
  assert_int_equal(v, 512);
  assert_int_equal(parse_size("64k", &v), 0);
  assert_int_equal(v, 64 << 10);
  assert_int_equal(parse_size("10m", &v), 0);
  assert_int_equal(v, 10 << 20);
  assert_int_equal(parse_size("2G", &v), 0);
  assert_int_equal(v, 2LL << 30);
  assert_int_equal(parse_size("3mb", &v), 0);
  assert_int_equal(v, 3 << 20);
  assert_int_equal(parse_size("1b", &v), 0);
  assert_int_equal(v, 1);
  assert_int_equal(parse_size("abc", &v), -EINVAL);
  assert_int_equal(parse_size("", &v), -EINVAL);
  assert_int_equal(parse_size("-1m", &v), -EINVAL);
  assert_int_equal(parse_size("1x", &v), -EINVAL);
  assert_int_equal(parse_size("1mm", &v), -EINVAL);
  /* Too large is -ERANGE, never a wrapped or negative value. */
  assert_int_equal(parse_size("99999999999999999999", &v), -ERANGE);
  assert_int_equal(parse_size("9999999999999t", &v), -ERANGE);
}

/* The edges: the parser is shared by whalebox and whalebox-monitor, so
 * what one accepts the other must read the same (issue 13: "1t" accepted
 * by one and refused by the other, "99999999999g" an error here and a
 * negative size there, " 5m" read by one only). */
static void test_parse_size_edges(void **state)
{
  (void)state;
  int64_t v = 42;
  /* Every unit, alone, with "b" and with "ib", in either case. */
  static const struct {
    const char *text;
    int64_t bytes;
  } ok[] = {
      {"0", 0},
      {"0k", 0},
      {"7B", 7},
      {"1k", 1024},
      {"1kb", 1024},
      {"1KiB", 1024},
      {"10MiB", 10LL << 20},
      {"10mb", 10LL << 20},
      {"1t", 1LL << 40},
      {"1TB", 1LL << 40},
      {"2p", 2LL << 50},
      {"8191p", 8191LL << 50},
      {"9223372036854775807", INT64_MAX},
      {"9223372036854775807b", INT64_MAX},
      {"8589934591g", 8589934591LL << 30},
      {"007m", 7LL << 20},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    v = -1;
    if (parse_size(ok[i].text, &v) != 0 || v != ok[i].bytes)
      fail_msg("parse_size(\"%s\"): %lld, want %lld", ok[i].text, (long long)v,
               (long long)ok[i].bytes);
  }
  /* Larger than INT64_MAX bytes, by the digits or by the unit. */
  static const char *const too_big[] = {
      "9223372036854775808",
      "18446744073709551616",
      "99999999999999999999k",
      "99999999999g",
      "8192p",
      "8589934592g",
      "9223372036854775808b",
  };
  for (size_t i = 0; i < sizeof too_big / sizeof *too_big; i++) {
    v = 42;
    if (parse_size(too_big[i], &v) != -ERANGE || v != 42)
      fail_msg("parse_size(\"%s\") is not -ERANGE or changed the output",
               too_big[i]);
  }
  /* Not sizes: spaces anywhere (Docker refuses leading ones too), signs,
   * fractions, empty, unknown or doubled units, "i" without "b". */
  static const char *const bad[] = {
      "",     " 5m", "5m ", "5 m",  "\t5m", "5m\n", "-1",   "-0",   "+5",
      "1.5m", ".5m", "m",   "kb",   "5x",   "5kk",  "5mbb", "5ki",  "5bb",
      "5ib",  "5iB", "5b5", "0x10", "5e3",  "5m5",  "5 kb", "5k b", "5kib ",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    v = 42;
    if (parse_size(bad[i], &v) != -EINVAL || v != 42)
      fail_msg("parse_size(\"%s\") is not -EINVAL or changed the output",
               bad[i]);
  }
  assert_int_equal(parse_size(NULL, &v), -EINVAL);
}

static void test_limits(void **state)
{
  (void)state;
  cleanup_error wb_error err = WB_ERROR_INIT;
  int64_t v, quota;
  uint64_t u, period;
  assert_int_equal(wb_parse_memory("--memory", "64m", &v, &err), 0);
  assert_int_equal(v, 64 << 20);
  assert_true(wb_parse_memory("--memory", "1k", &v, &err) < 0);
  assert_non_null(strstr(err.msg, "minimum memory limit allowed is 6MB"));
  assert_true(wb_parse_memory("--memory", "abc", &v, &err) < 0);
  assert_non_null(strstr(err.msg, "\"abc\" for --memory"));
  assert_int_equal(wb_parse_memory_swap("-1", &v, &err), 0);
  assert_int_equal(v, -1);
  assert_int_equal(wb_parse_cpu_shares("512", &u, &err), 0);
  assert_int_equal(u, 512);
  assert_true(wb_parse_cpu_shares("1", &u, &err) < 0);
  assert_int_equal(wb_parse_cpus("0.5", &quota, &period, &err), 0);
  assert_int_equal(quota, 50000);
  assert_int_equal(period, 100000);
  /* Rounded to the nearest microsecond of quota. */
  assert_int_equal(wb_parse_cpus("0.123456", &quota, &period, &err), 0);
  assert_int_equal(quota, 12346);
  assert_int_equal(wb_parse_cpus("0.123454", &quota, &period, &err), 0);
  assert_int_equal(quota, 12345);
  assert_true(wb_parse_cpus("-1", &quota, &period, &err) < 0);
  assert_non_null(strstr(err.msg, "--cpus"));
  assert_true(wb_parse_cpus("nan", &quota, &period, &err) < 0);
  assert_int_equal(wb_parse_cpuset("--cpuset-cpus", "0-1,3", 3, &err), 0);
  assert_true(wb_parse_cpuset("--cpuset-cpus", "4", 3, &err) < 0);
  assert_non_null(strstr(err.msg, "does not exist on this host"));
  assert_true(wb_parse_cpuset("--cpuset-cpus", "1-0", 3, &err) < 0);
  assert_true(wb_parse_cpuset("--cpuset-cpus", "0,", 3, &err) < 0);
  assert_true(wb_parse_cpuset("--cpuset-cpus", "", 3, &err) < 0);
  assert_int_equal(wb_parse_pids_limit("16", &v, &err), 0);
  assert_int_equal(v, 16);
  assert_int_equal(wb_parse_pids_limit("-1", &v, &err), 0);
  assert_true(wb_parse_pids_limit("x", &v, &err) < 0);
  assert_true(wb_parse_pids_limit("0", &v, &err) < 0);
  struct wb_limits l = {.size = sizeof l, .memory_swap = 100 << 20};
  assert_true(wb_limits_check(&l, &err) < 0);
  l.memory = 200 << 20;
  assert_true(wb_limits_check(&l, &err) < 0);
  l.memory = 50 << 20;
  assert_int_equal(wb_limits_check(&l, &err), 0);
}

static void test_path_join(void **state)
{
  (void)state;
  struct {
    const char *a, *b, *want;
  } cases[] = {{"/a", "b", "/a/b"},    {"/a/", "b", "/a/b"},
               {"/a//", "/b", "/a/b"}, {"/", "b", "/b"},
               {"/", "/b/c", "/b/c"},  {"rel", "x", "rel/x"}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    cleanup_free char *p = path_join(cases[i].a, cases[i].b);
    assert_string_equal(p, cases[i].want);
  }
}

static void test_env_merge(void **state)
{
  (void)state;
  char *image[] = {"PATH=/bin", "A=image", NULL};
  char *file[] = {"A=file", "B=file", NULL};
  char *flags[] = {"B=flag", "C=1", "C=2", NULL};
  char **const lists[] = {image, NULL, file, flags};
  cleanup_strv char **env = wb_env_merge(lists, 4);
  assert_int_equal(strv_len(env), 4);
  assert_string_equal(env[0], "PATH=/bin");
  assert_string_equal(env[1], "A=file");
  assert_string_equal(env[2], "B=flag");
  assert_string_equal(env[3], "C=2");
  /* A name is the part before '=', not a prefix. */
  char *near[] = {"AB=1", "A=2", NULL};
  char **const one[] = {near};
  cleanup_strv char **env2 = wb_env_merge(one, 1);
  assert_int_equal(strv_len(env2), 2);
}

static void test_time(void **state)
{
  (void)state;
  struct timespec ts = {.tv_sec = 1796000000, .tv_nsec = 123456789};
  cleanup_free char *s = wb_time_rfc3339(&ts);
  assert_string_equal(s, "2026-11-30T00:53:20.123456789Z");
  struct timespec back;
  assert_int_equal(wb_time_parse(s, &back), 0);
  assert_int_equal(back.tv_sec, ts.tv_sec);
  assert_int_equal(back.tv_nsec, ts.tv_nsec);
  assert_int_equal(wb_time_parse("2026-11-30T01:53:20+01:00", &back), 0);
  assert_int_equal(back.tv_sec, 1796000000);
  assert_int_equal(back.tv_nsec, 0);
  assert_int_equal(wb_time_parse("yesterday", &back), -EINVAL);
  assert_int_equal(wb_time_parse("2026-11-29T00:53:20Zjunk", &back), -EINVAL);
}

static void test_names_and_ids(void **state)
{
  (void)state;
  assert_true(wb_container_name_valid("web"));
  assert_true(wb_container_name_valid("a.b-c_d9"));
  assert_false(wb_container_name_valid(""));
  assert_false(wb_container_name_valid("-x"));
  assert_false(wb_container_name_valid("_x"));
  assert_false(wb_container_name_valid("a/b"));
  assert_false(wb_container_name_valid("../x"));
  assert_false(wb_container_name_valid("a b"));
  /* 128 characters is the most; the error says which rule was broken. */
  char long_name[130];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[128] = '\0';
  cleanup_error wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_container_name_check(long_name, &err), 0);
  long_name[128] = 'n';
  long_name[129] = '\0';
  assert_false(wb_container_name_valid(long_name));
  assert_int_equal(wb_container_name_check(long_name, &err), -EINVAL);
  assert_non_null(strstr(err.msg, "129 characters, at most 128"));
  assert_int_equal(wb_container_name_check("a/b", &err), -EINVAL);
  assert_non_null(strstr(err.msg, "only [a-zA-Z0-9]"));
  cleanup_free char *id = wb_container_new_id();
  cleanup_free char *id2 = wb_container_new_id();
  assert_int_equal(strlen(id), 64);
  assert_int_equal(strspn(id, "0123456789abcdef"), 64);
  assert_string_not_equal(id, id2);
  cleanup_free char *name = wb_container_random_name();
  assert_true(wb_container_name_valid(name));
  assert_non_null(strchr(name, '_'));
}

static void test_signals(void **state)
{
  (void)state;
  assert_int_equal(wb_signal_parse("KILL"), SIGKILL);
  assert_int_equal(wb_signal_parse("SIGTERM"), SIGTERM);
  assert_int_equal(wb_signal_parse("usr1"), SIGUSR1);
  assert_int_equal(wb_signal_parse("9"), 9);
  assert_int_equal(wb_signal_parse("0"), -1);
  assert_int_equal(wb_signal_parse("NOPE"), -1);
  assert_int_equal(wb_signal_parse(""), -1);
}

static void test_errors(void **state)
{
  (void)state;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_error_set(&err, ENOENT, "open %s", "/x"), -ENOENT);
  assert_string_equal(err.msg, "open /x: No such file or directory");
  assert_int_equal(wb_error_exit_code(&err), 125);
  assert_int_equal(wb_error_set(&err, -EINVAL, "bad %d", 1), -EINVAL);
  assert_string_equal(err.msg, "bad 1");
  wb_error_prefix(&err, "run");
  assert_string_equal(err.msg, "run: bad 1");
  wb_error_set_exit(&err, 127, -ENOENT, "exec");
  assert_int_equal(wb_error_exit_code(&err), 127);
  wb_error_clear(&err);
  assert_null(err.msg);
  /* A NULL error object is allowed: the code still comes back. */
  assert_int_equal(wb_error_set(NULL, EACCES, "x"), -EACCES);
}

/* mkdir -p: every missing level, an existing directory, and the errors
 * when something that is not a directory is in the way. */
static void test_mkdir_p(void **state)
{
  (void)state;
  char tmpl[] = "/var/tmp/wb-unit-mkdir.XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  cleanup_free char *deep = xasprintf("%s/a/b/c", tmpl);
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(mkdir_p(deep, 0700, &err), 0);
  struct stat st;
  assert_int_equal(stat(deep, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(st.st_mode & 07777, 0700);
  assert_int_equal(mkdir_p(deep, 0700, &err), 0); /* there already */
  cleanup_free char *file = xasprintf("%s/a/f", tmpl);
  assert_int_equal(write_file(file, "x", 1, &err), 0);
  assert_int_equal(mkdir_p(file, 0700, &err), -ENOTDIR);
  assert_non_null(strstr(err.msg, file));
  wb_error_clear(&err);
  cleanup_free char *below = xasprintf("%s/a/f/g/h", tmpl);
  assert_int_equal(mkdir_p(below, 0700, &err), -ENOTDIR);
  wb_error_clear(&err);
  assert_int_equal(rm_rf(tmpl, NULL), 0);
}

static int dir_flags(const char *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(fd >= 0);
  int flags = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
    flags = -1;
  close(fd);
  return flags;
}

/* Whether the file system of directory `dir` keeps FS_TOPDIR_FL, found
 * with the ioctls themselves on a scratch directory (independently of
 * mark_spread_subdirs). */
static bool keeps_topdir_flag(const char *dir)
{
  cleanup_free char *probe = path_join(dir, "probe");
  assert_int_equal(mkdir(probe, 0700), 0);
  int fd = open(probe, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(fd >= 0);
  int flags = 0;
  bool kept = false;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
    flags |= FS_TOPDIR_FL;
    kept = ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0 &&
           ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_TOPDIR_FL);
  }
  close(fd);
  assert_int_equal(rmdir(probe), 0);
  return kept;
}

/* On a disk file system (/var/tmp) the directory gets ext4's TOPDIR flag,
 * once; a symlink is not followed; a missing path is no error. */
static void test_mark_spread_subdirs(void **state)
{
  (void)state;
  char tmpl[] = "/var/tmp/wb-unit-spread.XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  cleanup_free char *dir = path_join(tmpl, "d");
  cleanup_free char *link = path_join(tmpl, "l");
  assert_int_equal(mkdir(dir, 0700), 0);
  assert_int_equal(symlink("d", link), 0);
  bool keeps = keeps_topdir_flag(tmpl);
  assert_int_equal(mark_spread_subdirs(link), 0);
  int before = dir_flags(dir);
  if (before >= 0)
    assert_false(before & FS_TOPDIR_FL);
  int r = mark_spread_subdirs(dir);
  int after = dir_flags(dir);
  if (keeps) {
    /* The file system keeps the flag: it must be set, and said so. */
    assert_int_equal(r, 1);
    assert_true(after & FS_TOPDIR_FL);
    assert_int_equal(mark_spread_subdirs(dir), 0); /* already set */
    assert_true(dir_flags(dir) & FS_TOPDIR_FL);
  } else {
    /* Only a file system without the flag says no. */
    print_message("# %s keeps no TOPDIR flag (flags %d)\n", tmpl, after);
    assert_int_equal(r, 0);
    assert_true(after < 0 || !(after & FS_TOPDIR_FL));
  }
  assert_int_equal(mark_spread_subdirs("/nonexistent/wb-unit"), 0);
  assert_int_equal(rm_rf(tmpl, NULL), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_size),
      cmocka_unit_test(test_parse_size_edges),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_path_join),
      cmocka_unit_test(test_env_merge),
      cmocka_unit_test(test_time),
      cmocka_unit_test(test_names_and_ids),
      cmocka_unit_test(test_signals),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_mark_spread_subdirs),
      cmocka_unit_test(test_mkdir_p),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
