/* test_driver_host.c - the driver services of core/driver_host.c, which
 * whalebox and whalebox-monitor share: typed settings and the words that
 * carry them to the monitor, the host table's lookups, errors and log
 * lines with the driver's label, sizes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver_host.h"
#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

static struct wb_driver_services example(void)
{
  struct wb_driver_services s = {.label = xstrdup("log-example")};
  wb_driver_services_add(&s, WB_OPTION_STRING, "flavour", "vanilla=bean", 0);
  wb_driver_services_add(&s, WB_OPTION_STRING, "limit", "1t", 0);
  wb_driver_services_add(&s, WB_OPTION_STRING, "empty", "", 0);
  wb_driver_services_add(&s, WB_OPTION_INT, "count", NULL, -7);
  wb_driver_services_add(&s, WB_OPTION_INT, "big", NULL, INT64_MAX);
  wb_driver_services_add(&s, WB_OPTION_BOOL, "verbose", NULL, 1);
  wb_driver_services_add(&s, WB_OPTION_BOOL, "quiet", NULL, 0);
  return s;
}

/* What a driver reads through its table. */
static void assert_lookups(const struct wb_host *h)
{
  const char *s = NULL;
  int64_t v = 0;
  int b = -1;
  assert_int_equal(h->config_string(h, "flavour", &s), 0);
  assert_string_equal(s, "vanilla=bean");
  assert_int_equal(h->config_string(h, "empty", &s), 0);
  assert_string_equal(s, "");
  /* Typed as the file typed them: an integer is not a string. */
  assert_int_equal(h->config_string(h, "count", &s), -ENOENT);
  assert_int_equal(h->config_string(h, "verbose", &s), -ENOENT);
  assert_int_equal(h->config_int(h, "count", &v), 0);
  assert_int_equal(v, -7);
  assert_int_equal(h->config_int(h, "big", &v), 0);
  assert_true(v == INT64_MAX);
  /* A string read as an integer is a size. */
  assert_int_equal(h->config_int(h, "limit", &v), 0);
  assert_true(v == 1LL << 40);
  assert_int_equal(h->config_int(h, "flavour", &v), -EINVAL);
  assert_int_equal(h->config_int(h, "verbose", &v), -ENOENT);
  assert_int_equal(h->config_bool(h, "verbose", &b), 0);
  assert_int_equal(b, 1);
  assert_int_equal(h->config_bool(h, "quiet", &b), 0);
  assert_int_equal(b, 0);
  assert_int_equal(h->config_bool(h, "flavour", &b), -ENOENT);
  assert_int_equal(h->config_int(h, "missing", &v), -ENOENT);
  assert_int_equal(h->config_string(h, "missing", &s), -ENOENT);
  assert_int_equal(h->config_bool(h, "missing", &b), -ENOENT);
}

static void test_lookups(void **state)
{
  (void)state;
  struct wb_driver_services s = example();
  struct wb_host h;
  wb_driver_host_fill(&h, &s, "/var/lib/wb", "/var/lib/wb/drivers/log-x");
  assert_int_equal(h.size, sizeof h);
  assert_int_equal(h.abi_major, WB_PLUGIN_ABI_MAJOR);
  assert_int_equal(h.abi_minor, WB_PLUGIN_ABI_MINOR);
  assert_string_equal(h.state_root, "/var/lib/wb");
  assert_string_equal(h.driver_dir, "/var/lib/wb/drivers/log-x");
  assert_lookups(&h);
  wb_driver_services_clear(&s);
  assert_null(s.settings);
  assert_null(s.label);
}

/* The words on the monitor's command line give back the same settings. */
static void test_words_round_trip(void **state)
{
  (void)state;
  struct wb_driver_services s = example();
  struct wb_driver_services back = {.label = xstrdup("log-example")};
  for (size_t i = 0; i < s.n_settings; i++) {
    char *word = wb_driver_setting_format(&s.settings[i]);
    if (wb_driver_setting_parse(&back, word) != 0)
      fail_msg("%s does not parse back", word);
    free(word);
  }
  assert_int_equal(back.n_settings, s.n_settings);
  struct wb_host h;
  wb_driver_host_fill(&h, &back, "/r", "/r/drivers/log-example");
  assert_lookups(&h);
  char *word = wb_driver_setting_format(&s.settings[0]);
  assert_string_equal(word, "s:flavour=vanilla=bean");
  free(word);
  wb_driver_services_clear(&back);
  wb_driver_services_clear(&s);
}

static void test_bad_words(void **state)
{
  (void)state;
  static const char *const bad[] = {
      "",      "s",       "s:",
      "s:=v",  "x:k=v",   "sk=v",
      "i:k=",  "i:k=1x",  "i:k=99999999999999999999",
      "b:k=2", "b:k=yes", "i:k= 1",
      "s:key",
  };
  struct wb_driver_services s = {0};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (wb_driver_setting_parse(&s, bad[i]) != -EINVAL)
      fail_msg("\"%s\" was accepted", bad[i]);
  assert_int_equal(s.n_settings, 0);
  wb_driver_services_clear(&s);
}

static char *last_line;

static void capture(int level, const char *line, size_t len)
{
  (void)level;
  free(last_line);
  last_line = xstrndup(line, len);
}

static void test_errors_and_log(void **state)
{
  (void)state;
  struct wb_driver_services s = {.label = xstrdup("log-example")};
  struct wb_host h;
  wb_driver_host_fill(&h, &s, "/r", "/r/d");
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(h.error(&h, &err, ENOSPC, "write %s", "/x"), -ENOSPC);
  assert_string_equal(err.msg,
                      "log-example: write /x: No space left on device");
  assert_int_equal(h.error(&h, &err, -EINVAL, "bad %d", 3), -EINVAL);
  assert_string_equal(err.msg, "log-example: bad 3");
  assert_int_equal(h.error(&h, &err, 0, "no code"), -EIO);
  assert_string_equal(err.msg, "log-example: no code");
  /* A NULL error is allowed (close() has none). */
  assert_int_equal(h.error(&h, NULL, ENOENT, "nowhere"), -ENOENT);
  wb_error_clear(&err);

  wb_log_set_writer(capture);
  int saved = wb_log_get_level();
  wb_log_set_level(WB_LOG_WARN);
  h.log(&h, WB_LOG_WARN, "lost %d lines", 3);
  assert_string_equal(last_line, "whalebox: warning: log-example: lost 3 "
                                 "lines\n");
  h.log(&h, 99, "clamped");
  assert_string_equal(last_line, "whalebox: warning: log-example: lost 3 "
                                 "lines\n"); /* debug: below the level */
  h.log(&h, -5, "clamped");
  assert_string_equal(last_line, "whalebox: error: log-example: clamped\n");
  wb_log_set_level(saved);
  wb_log_set_writer(NULL);
  free(last_line);
  last_line = NULL;

  int64_t v = 5;
  assert_int_equal(h.parse_size("99999999999g", &v), -EINVAL);
  assert_int_equal(h.parse_size(" 5m", &v), -EINVAL);
  assert_int_equal(v, 5);
  assert_int_equal(h.parse_size("1t", &v), 0);
  assert_true(v == 1LL << 40);
  wb_driver_services_clear(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lookups),
      cmocka_unit_test(test_words_round_trip),
      cmocka_unit_test(test_bad_words),
      cmocka_unit_test(test_errors_and_log),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
