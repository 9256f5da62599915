/* flags.c - the one flag parser of every verb and of the global flags:
 * glibc's getopt_long() with Docker's rules on top.  glibc takes any unique
 * prefix of a long option ("--pid 5" sets --pids-limit); Docker and podman
 * refuse it, and so do we: a long option counts only when spelled out. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

/* The long option named exactly name[0..len), or NULL. */
static const struct option *long_named(const struct option *longopts,
                                       const char *name, size_t len)
{
  for (const struct option *o = longopts; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
      return o;
  return NULL;
}

/* An option word to getopt: "-x..." or "--x...", not an operand or "-". */
static bool is_flag_word(const char *w)
{
  return w[0] == '-' && w[1] != '\0';
}

/* The word the next getopt_long() call reads: optind, or with argument
 * permutation (no '+' in front of shortopts) the first option word from
 * there, since glibc skips operands to reach it.  argc when none. */
static int next_flag_word(int argc, char **argv, const char *shortopts)
{
  bool permute =
      shortopts[0] != '+' && shortopts[0] != '-' && !getenv("POSIXLY_CORRECT");
  int i = optind;
  while (permute && i < argc && !is_flag_word(argv[i]))
    i++;
  return i;
}

/* optind = 0 asks glibc to start afresh, which it does inside its next
 * call.  Words this file takes itself must find that fresh state already
 * (no half-read cluster of the previous parse): start it with a call that
 * has no word to read.  optind is 1 afterwards. */
static void restart(const char *shortopts, const struct option *longopts)
{
  char *none[] = {(char *)"whalebox", NULL};
  optind = 0;
  getopt_long(1, none, shortopts, longopts, NULL);
}

__attribute__((format(printf, 3, 4))) static int
flag_error(const char *verb, wb_error *err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  cleanup_free char *what = NULL;
  if (vasprintf(&what, fmt, ap) < 0)
    abort();
  va_end(ap);
  wb_error_set(err, -EINVAL, "%s; see 'whalebox%s%s --help'", what,
               verb ? " " : "", verb ? verb : "");
  return '?';
}

/* A long option's word: "--name", "--name=value" (or with one dash). */
static int long_word_error(const char *verb, const char *word,
                           const struct option *o, wb_error *err)
{
  const char *eq = strchr(word, '=');
  if (eq && o->has_arg == no_argument)
    return flag_error(verb, err,
                      "invalid argument \"%s\" for \"%.*s\" flag: "
                      "it takes no value",
                      eq + 1, (int)(eq - word), word);
  return flag_error(verb, err, "flag needs an argument: %s", word);
}

/* What glibc refused in `word`: a short option (maybe in a cluster such as
 * "-dz") that is unknown or lacks its value, or a long option spelled in
 * full whose value is missing or unwanted. */
static int getopt_error(const char *verb, const char *word,
                        const char *shortopts, const struct option *longopts,
                        wb_error *err)
{
  if (word[1] == '-') {
    size_t len = strcspn(word + 2, "=");
    const struct option *o = long_named(longopts, word + 2, len);
    if (o)
      return long_word_error(verb, word, o, err);
    return flag_error(verb, err, "unknown flag: %.*s", (int)len + 2, word);
  }
  int c = optopt;
  const char *known = c > 0 && c < 256 && c != ':' && c != '+' && c != '-'
                          ? strchr(shortopts, c)
                          : NULL;
  /* A known short option fails only for want of its value. */
  if (known && known[1] == ':')
    return flag_error(verb, err, "flag needs an argument: '%c' in %s", c, word);
  return flag_error(verb, err, "unknown shorthand flag: '%c' in %s", c, word);
}

/* Take a single-dash word ourselves when it is "-name[=value]", the full
 * name of a long option, or "-X=value" for a short option X that takes a
 * value (as Docker reads "-u=root").  Then *c is what getopt would return,
 * with optarg set and optind past the word and its value.  Otherwise false:
 * glibc reads it as short options ("-it"). */
static bool take_single_dash(const char *verb, int argc, char **argv,
                             const char *shortopts,
                             const struct option *longopts, int *c,
                             wb_error *err)
{
  char *word = argv[optind];
  size_t len = strcspn(word + 1, "=");
  char *value = word[1 + len] == '=' ? word + 2 + len : NULL;
  const struct option *o = len > 1 ? long_named(longopts, word + 1, len) : NULL;
  if (!o) {
    const char *s = len == 1 && value && word[1] != ':' && word[1] != '+'
                        ? strchr(shortopts, word[1])
                        : NULL;
    if (!s || s[1] != ':')
      return false;
    optind++;
    optarg = value;
    *c = word[1];
    return true;
  }
  if ((value && o->has_arg == no_argument) ||
      (!value && o->has_arg == required_argument && optind + 1 >= argc)) {
    optind++;
    *c = long_word_error(verb, word, o, err);
    return true;
  }
  optind++;
  if (!value && o->has_arg == required_argument)
    value = argv[optind++];
  optarg = value;
  *c = o->val;
  if (o->flag) {
    *o->flag = o->val;
    *c = 0;
  }
  return true;
}

static int next_flag(const char *verb, int argc, char **argv,
                     const char *shortopts, const struct option *longopts,
                     bool single_dash, wb_error *err)
{
  opterr = 0;
  if (optind == 0)
    restart(shortopts, longopts);
  int i = next_flag_word(argc, argv, shortopts);
  const char *word = i < argc ? argv[i] : "";
  int c;
  if (word[0] == '-' && word[1] == '-') {
    size_t len = strcspn(word + 2, "=");
    if (word[2] && !long_named(longopts, word + 2, len)) {
      optind = i + 1; /* argv[optind - 1] is the word, as after getopt */
      return flag_error(verb, err, "unknown flag: %.*s",
                        (int)(len ? len + 2 : strlen(word)), word);
    }
  } else if (single_dash && i == optind && is_flag_word(word) &&
             take_single_dash(verb, argc, argv, shortopts, longopts, &c, err)) {
    return c;
  }
  c = getopt_long(argc, argv, shortopts, longopts, NULL);
  if (c == '?' || c == ':')
    return getopt_error(verb, word, shortopts, longopts, err);
  return c;
}

int wb_cli_getopt(const char *verb, int argc, char **argv,
                  const char *shortopts, const struct option *longopts,
                  wb_error *err)
{
  return next_flag(verb, argc, argv, shortopts, longopts, false, err);
}

int wb_cli_getopt_single_dash(const char *verb, int argc, char **argv,
                              const char *shortopts,
                              const struct option *longopts, wb_error *err)
{
  return next_flag(verb, argc, argv, shortopts, longopts, true, err);
}

int wb_cli_bad_flag(const char *verb, char **argv, wb_error *err)
{
  /* wb_cli_getopt() said what was wrong; anything else is an option the
   * verb lists but does not handle. */
  if (!err || !err->msg)
    flag_error(verb, err, "unknown flag: %s", argv[optind - 1]);
  return err ? -err->code : -EINVAL;
}
