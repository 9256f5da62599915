/* test_cli_flags.c - wb_cli_getopt(), the flag parser of every verb: long
 * options only when spelled in full (glibc takes any unique prefix: "--pid 5"
 * set --pids-limit), Docker's messages, the seed tool's single-dash
 * spellings, argument permutation, and a parse that starts afresh. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The verbs are linked into whalebox only: test the file itself. */
#include "cli/flags.c"

enum { O_PIDS = 256, O_NAME, O_RM, O_CPUS, O_CPUSET, O_ENV_FILE, O_PRIV };

static const struct option opts[] = {
    {"pids-limit", required_argument, NULL, O_PIDS},
    {"name", required_argument, NULL, O_NAME},
    {"rm", no_argument, NULL, O_RM},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET},
    {"cpuset", required_argument, NULL, O_CPUSET},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, O_ENV_FILE},
    {"privileged", no_argument, NULL, O_PRIV},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"user", required_argument, NULL, 'u'},
    {"quiet", no_argument, NULL, 'q'},
    {"human", optional_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void append(char **out, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *piece = NULL;
  assert_true(vasprintf(&piece, fmt, ap) >= 0);
  va_end(ap);
  char *joined = xasprintf("%s%s%s", *out, **out ? " " : "", piece);
  free(piece);
  free(*out);
  *out = joined;
}

/* Parse `words` (after the verb "v") and describe what came out: each flag
 * as its letter or number, "=value" when it has one, then "|" and the
 * operands; or "!" and the message of a refused flag. */
static char *parse_with(bool single_dash, const char *shortopts,
                        const char *const *words)
{
  size_t n = 0;
  while (words[n])
    n++;
  char **argv = xzalloc((n + 2) * sizeof *argv);
  argv[0] = xstrdup("v");
  for (size_t i = 0; i < n; i++)
    argv[i + 1] = xstrdup(words[i]);
  int argc = (int)n + 1;
  char *out = xstrdup("");
  wb_error err = WB_ERROR_INIT;
  int c;
  optind = 0;
  while ((c = single_dash ? wb_cli_getopt_single_dash("v", argc, argv,
                                                      shortopts, opts, &err)
                          : wb_cli_getopt("v", argc, argv, shortopts, opts,
                                          &err)) != -1) {
    if (c == '?') {
      wb_cli_bad_flag("v", argv, &err);
      append(&out, "!%s", err.msg);
      break;
    }
    cleanup_free char *name = c < 256 ? xasprintf("%c", c) : xasprintf("%d", c);
    if (optarg)
      append(&out, "%s=%s", name, optarg);
    else
      append(&out, "%s", name);
  }
  if (c == -1) {
    append(&out, "|");
    for (int i = optind; i < argc; i++)
      append(&out, "%s", argv[i]);
  }
  wb_error_clear(&err);
  for (int i = 0; i < argc; i++)
    free(argv[i]);
  free(argv);
  return out;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define EXPECT(single, shortopts, want, ...)                                   \
  do {                                                                         \
    char *got = parse_with(single, shortopts, WORDS(__VA_ARGS__));             \
    assert_string_equal(got, want);                                            \
    free(got);                                                                 \
  } while (0)

static void test_full_names(void **state)
{
  (void)state;
  EXPECT(false, "+e:u:itqh", "256=5 |", "--pids-limit", "5");
  EXPECT(false, "+e:u:itqh", "256=5 |", "--pids-limit=5");
  EXPECT(false, "+e:u:itqh", "257=x 258 | img", "--name", "x", "--rm", "img");
  /* A full name that is also the start of another is that option. */
  EXPECT(false, "+e:u:itqh", "259=2 260=1 |", "--cpus", "2", "--cpuset", "1");
  EXPECT(false, "+e:u:itqh", "e=A=1 261=f |", "--env", "A=1", "--env-file",
         "f");
  EXPECT(false, "+H::h", "H H=false |", "--human", "--human=false");
}

static void test_prefixes_are_unknown(void **state)
{
  (void)state;
  const char *see = "; see 'whalebox v --help'";
  char *want = xasprintf("!unknown flag: --pid%s", see);
  EXPECT(false, "+e:u:itqh", want, "--pid", "5");
  EXPECT(false, "+e:u:itqh", want, "--pid=5");
  free(want);
  /* Unique prefixes of flags without a value, one of several, one letter. */
  const char *prefixes[] = {"--priv", "--ent", "--cpu",   "--cpuset-c",
                            "--h",    "--he",  "--inter", "--e",
                            "--u",    "--rm2", "--=x",    "--humanx"};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
    size_t len = strcspn(prefixes[i] + 2, "=");
    want =
        xasprintf("!unknown flag: %.*s%s",
                  (int)(len ? len + 2 : strlen(prefixes[i])), prefixes[i], see);
    EXPECT(false, "+e:u:itqh", want, prefixes[i], "x");
    EXPECT(true, "+e:u:itqh", want, prefixes[i], "x");
    free(want);
  }
  /* The single-dash mode does not take prefixes either: "-pri" is short
   * options, and 'p' is none. */
  EXPECT(true, "+e:u:itqh",
         "!unknown shorthand flag: 'p' in -pri; see 'whalebox v --help'",
         "-pri");
}

static void test_messages(void **state)
{
  (void)state;
  EXPECT(false, "+e:u:itqh",
         "!flag needs an argument: --name; see 'whalebox v --help'", "--name");
  EXPECT(false, "+e:u:itqh",
         "!invalid argument \"x\" for \"--rm\" flag: it takes no value; see "
         "'whalebox v --help'",
         "--rm=x");
  EXPECT(false, "+e:u:itqh",
         "i !unknown shorthand flag: 'Z' in -iZt; see 'whalebox v --help'",
         "-iZt");
  EXPECT(false, "+e:u:itqh",
         "!flag needs an argument: 'e' in -e; see 'whalebox v --help'", "-e");
  EXPECT(false, "+e:u:itqh",
         "i !flag needs an argument: 'e' in -ie; see 'whalebox v --help'",
         "-ie");
  /* The global flags send to whalebox's own help. */
  wb_error err = WB_ERROR_INIT;
  char *argv[] = {(char *)"whalebox", (char *)"--ro", (char *)"/x", NULL};
  optind = 0;
  assert_int_equal(wb_cli_getopt(NULL, 3, argv, "+hv", opts, &err), '?');
  assert_string_equal(err.msg, "unknown flag: --ro; see 'whalebox --help'");
  /* An option the verb lists but does not handle. */
  wb_error_clear(&err);
  optind = 2;
  assert_int_equal(wb_cli_bad_flag("v", argv, &err), -EINVAL);
  assert_string_equal(err.msg, "unknown flag: --ro; see 'whalebox v --help'");
  wb_error_clear(&err);
}

static void test_short_options(void **state)
{
  (void)state;
  EXPECT(false, "+e:u:itqh", "i t | img", "-it", "img");
  EXPECT(false, "+e:u:itqh", "t i | img", "-ti", "img");
  EXPECT(false, "+e:u:itqh", "u=root e=A=1 |", "-uroot", "-e", "A=1");
  /* Without the single-dash mode "-u=x" is glibc's: the value is "=x". */
  EXPECT(false, "+e:u:itqh", "u==x |", "-u=x");
  EXPECT(false, "+e:u:itqh", "| img --rm", "img", "--rm");
  EXPECT(false, "+e:u:itqh", "| --pid", "--", "--pid");
}

static void test_single_dash(void **state)
{
  (void)state;
  const char *s = "+itde:u:h:";
  EXPECT(true, s, "257=x 259=2 260=3 | img", "-name", "x", "-cpus=2", "-cpuset",
         "3", "img");
  EXPECT(true, s, "i t t i d | img", "-it", "-ti", "-d", "img");
  EXPECT(true, s, "u=root u= h=o |", "-u=root", "-u=", "-ho");
  EXPECT(true, s, "258 256=5 |", "-rm", "--pids-limit=5");
  EXPECT(true, s, "!flag needs an argument: -name; see 'whalebox v --help'",
         "-name");
  EXPECT(true, s,
         "!invalid argument \"1\" for \"-rm\" flag: it takes no value; see "
         "'whalebox v --help'",
         "-rm=1");
}

static void test_permutation(void **state)
{
  (void)state;
  /* Without '+' operands and flags mix, as `images foo -q` */
  EXPECT(false, "qh", "q 262 | a b", "a", "--quiet", "b", "--privileged");
  EXPECT(false, "qh", "!unknown flag: --qu; see 'whalebox v --help'", "a",
         "--qu", "b");
  EXPECT(false, "qh", "q | a b --qu", "a", "-q", "b", "--", "--qu");
}

/* A parse may stop in the middle of "-ab"; the next, from optind = 0, must
 * not resume it, also when it takes single-dash words itself. */
static void test_restart(void **state)
{
  (void)state;
  char *argv[] = {(char *)"v", (char *)"-it", (char *)"x", NULL};
  wb_error err = WB_ERROR_INIT;
  optind = 0;
  assert_int_equal(wb_cli_getopt("v", 3, argv, "+it", opts, &err), 'i');
  EXPECT(true, "+itde:u:h:", "257=n i |", "-name", "n", "-i");
  EXPECT(false, "+e:u:itqh", "q |", "-q");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_names),
      cmocka_unit_test(test_prefixes_are_unknown),
      cmocka_unit_test(test_messages),
      cmocka_unit_test(test_short_options),
      cmocka_unit_test(test_single_dash),
      cmocka_unit_test(test_permutation),
      cmocka_unit_test(test_restart),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
