/* test_seccomp_cache.c - compiled seccomp filters under <root>/cache: a
 * cached program is exactly what libseccomp compiles, a file whose
 * description does not match (other capabilities, another profile, a
 * damaged file) is never used, and a fresh compilation replaces it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
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

#include "security/security.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

static int make_root(void **state)
{
  char tmpl[] = "/tmp/wb-unit-seccomp.XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  *state = xstrdup(tmpl);
  return 0;
}

static int remove_root(void **state)
{
  rm_rf(*state, NULL);
  free(*state);
  return 0;
}

/* The only file in <root>/cache, or NULL. */
static char *cache_file(const char *root)
{
  char *dir = xasprintf("%s/cache", root);
  DIR *d = opendir(dir);
  char *found = NULL;
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.') {
      free(found);
      found = xasprintf("%s/%s", dir, e->d_name);
      n++;
    }
  if (d)
    closedir(d);
  free(dir);
  if (n > 1)
    fail_msg("%d files in the cache, expected one", n);
  return found;
}

static void assert_same(const struct wb_seccomp_filter *a,
                        const struct wb_seccomp_filter *b)
{
  assert_non_null(a->insns);
  assert_int_equal(a->len, b->len);
  assert_memory_equal(a->insns, b->insns, a->len * sizeof(struct sock_filter));
}

/* Compile the default profile (cached on the way); the cache file. */
static char *compile_into_cache(const char *root, const struct wb_security *s,
                                struct wb_seccomp_filter *fresh)
{
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_seccomp_prepare_cached(root, s, fresh, &err), 0);
  return cache_file(root);
}

/* What the cache gives now is what `fresh` compiled. */
static void assert_gives(const char *root, const struct wb_security *s,
                         const struct wb_seccomp_filter *fresh)
{
  wb_error err = WB_ERROR_INIT;
  struct wb_seccomp_filter got = {0};
  assert_int_equal(wb_seccomp_prepare_cached(root, s, &got, &err), 0);
  assert_same(fresh, &got);
  wb_seccomp_filter_clear(&got);
}

static void test_cached_is_compiled(void **state)
{
  const char *root = *state;
  struct wb_security s = {0};
  wb_error err = WB_ERROR_INIT;
  struct wb_seccomp_filter fresh = {0}, first = {0}, second = {0};
  assert_int_equal(wb_seccomp_prepare(&s, &fresh, &err), 0);
  assert_true(fresh.len > 100);
  assert_int_equal(wb_seccomp_prepare_cached(root, &s, &first, &err), 0);
  assert_same(&fresh, &first);
  char *file = cache_file(root);
  assert_non_null(file);
  /* The second time comes from the file. */
  struct stat before, after;
  assert_int_equal(stat(file, &before), 0);
  assert_int_equal(wb_seccomp_prepare_cached(root, &s, &second, &err), 0);
  assert_same(&fresh, &second);
  assert_int_equal(stat(file, &after), 0);
  assert_int_equal(before.st_ino, after.st_ino);
  wb_seccomp_filter_clear(&fresh);
  wb_seccomp_filter_clear(&first);
  wb_seccomp_filter_clear(&second);
  free(file);
}

/* The program line and program of the only cache file under `root`. */
static char *program_part(const char *root, size_t *len)
{
  wb_error err = WB_ERROR_INIT;
  char *file = cache_file(root);
  assert_non_null(file);
  char *data = NULL;
  size_t n = 0;
  assert_int_equal(read_file(file, &data, &n, &err), 0);
  free(file);
  const char *line = memmem(data, n, "\nprogram ", 9);
  assert_non_null(line);
  line++;
  *len = n - (size_t)(line - data);
  char *part = xmalloc(*len);
  memcpy(part, line, *len);
  free(data);
  return part;
}

static void test_damaged_file_is_replaced(void **state)
{
  const char *root = *state;
  struct wb_security s = {0};
  struct wb_seccomp_filter fresh = {0};
  char *file = compile_into_cache(root, &s, &fresh);
  wb_error err = WB_ERROR_INIT;
  char *data = NULL;
  size_t len = 0;
  assert_int_equal(read_file(file, &data, &len, &err), 0);
  char *whole = xmalloc(len);
  memcpy(whole, data, len);
  /* The description altered (as if another libseccomp wrote it) over a
   * whole, valid program that differs from this one (SYS_ADMIN's,
   * compiled into another root): were the description not compared, that
   * program would be used.  It is not; the file is compiled again. */
  struct wb_security admin = {0};
  char *add[] = {"SYS_ADMIN", NULL};
  admin.cap_add = add;
  char *other_root = xasprintf("%s/other", root);
  assert_int_equal(mkdir(other_root, 0700), 0);
  struct wb_seccomp_filter other = {0};
  free(compile_into_cache(other_root, &admin, &other));
  assert_true(other.len != fresh.len ||
              memcmp(other.insns, fresh.insns,
                     fresh.len * sizeof(struct sock_filter)) != 0);
  size_t plen = 0;
  char *prog = program_part(other_root, &plen);
  char *v = strstr(data, "libseccomp ");
  assert_non_null(v);
  v[11] = v[11] == '9' ? '8' : '9';
  size_t dlen =
      (size_t)((const char *)memmem(data, len, "\nprogram ", 9) - data) + 1;
  char *forged = xmalloc(dlen + plen);
  memcpy(forged, data, dlen);
  memcpy(forged + dlen, prog, plen);
  assert_int_equal(write_file(file, forged, dlen + plen, &err), 0);
  assert_gives(root, &s, &fresh);
  free(data);
  data = NULL;
  assert_int_equal(read_file(file, &data, &len, &err), 0);
  assert_memory_equal(data, whole, len);
  /* The program cut short: not used, compiled again. */
  assert_int_equal(truncate(file, (off_t)len - 3), 0);
  assert_gives(root, &s, &fresh);
  struct stat st;
  assert_int_equal(stat(file, &st), 0);
  assert_int_equal((size_t)st.st_size, len);
  wb_seccomp_filter_clear(&fresh);
  wb_seccomp_filter_clear(&other);
  free(forged);
  free(prog);
  free(other_root);
  free(whole);
  free(data);
  free(file);
}

/* Cut at an instruction boundary the program still has a plausible
 * length: it must not be used (or kept) either. */
static void test_short_program_is_replaced(void **state)
{
  const char *root = *state;
  struct wb_security s = {0};
  struct wb_seccomp_filter fresh = {0};
  char *file = compile_into_cache(root, &s, &fresh);
  struct stat st;
  assert_int_equal(stat(file, &st), 0);
  off_t whole = st.st_size;
  for (off_t cut = 8; cut <= 64; cut += 8) {
    assert_int_equal(truncate(file, whole - cut), 0);
    assert_gives(root, &s, &fresh);
    assert_int_equal(stat(file, &st), 0);
    assert_int_equal(st.st_size, whole);
  }
  wb_seccomp_filter_clear(&fresh);
  free(file);
}

/* A FIFO at the cache file's name, or a symlink to one, must not block
 * the start of every container: it is not read, and a fresh compilation
 * takes its place.  (Without the fix the test is killed by the alarm.) */
static void test_fifo_and_symlink_are_not_read(void **state)
{
  const char *root = *state;
  struct wb_security s = {0};
  struct wb_seccomp_filter fresh = {0};
  char *file = compile_into_cache(root, &s, &fresh);
  char *fifo = xasprintf("%s/fifo", root);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  alarm(10);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(unlink(file), 0);
    if (i == 0)
      assert_int_equal(mkfifo(file, 0600), 0);
    else
      assert_int_equal(symlink(fifo, file), 0);
    assert_gives(root, &s, &fresh);
    struct stat st;
    assert_int_equal(lstat(file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
  }
  alarm(0);
  wb_seccomp_filter_clear(&fresh);
  free(fifo);
  free(file);
}

static void test_profiles_do_not_share(void **state)
{
  const char *root = *state;
  wb_error err = WB_ERROR_INIT;
  struct wb_security plain = {0}, admin = {0};
  char *add[] = {"SYS_ADMIN", NULL};
  admin.cap_add = add;
  struct wb_seccomp_filter a = {0}, b = {0}, b_fresh = {0};
  assert_int_equal(wb_seccomp_prepare_cached(root, &plain, &a, &err), 0);
  assert_int_equal(wb_seccomp_prepare_cached(root, &admin, &b, &err), 0);
  assert_int_equal(wb_seccomp_prepare(&admin, &b_fresh, &err), 0);
  assert_same(&b_fresh, &b);
  /* SYS_ADMIN allows more: a different program. */
  assert_true(a.len != b.len ||
              memcmp(a.insns, b.insns, a.len * sizeof *a.insns) != 0);
  /* No filter at all: nothing compiled, nothing cached. */
  struct wb_security unconfined = {.seccomp = "unconfined"};
  struct wb_seccomp_filter none = {0};
  assert_int_equal(wb_seccomp_prepare_cached(root, &unconfined, &none, &err),
                   0);
  assert_null(none.insns);
  wb_seccomp_filter_clear(&a);
  wb_seccomp_filter_clear(&b);
  wb_seccomp_filter_clear(&b_fresh);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cached_is_compiled, make_root,
                                      remove_root),
      cmocka_unit_test_setup_teardown(test_damaged_file_is_replaced, make_root,
                                      remove_root),
      cmocka_unit_test_setup_teardown(test_short_program_is_replaced, make_root,
                                      remove_root),
      cmocka_unit_test_setup_teardown(test_fifo_and_symlink_are_not_read,
                                      make_root, remove_root),
      cmocka_unit_test_setup_teardown(test_profiles_do_not_share, make_root,
                                      remove_root),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
