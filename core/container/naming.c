/* naming.c - container ids and names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "../util/xalloc.h"
#include "container.h"

static void fill_random(void *buf, size_t n)
{
  /* getrandom() on a booted kernel does not block or fail for <= 256
   * bytes; a short read would only weaken the name, never break safety. */
  ssize_t r = getrandom(buf, n, 0);
  if (r < (ssize_t)n)
    memset((char *)buf + (r > 0 ? r : 0), 0x5a, n - (r > 0 ? r : 0));
}

char *wb_container_new_id(void)
{
  unsigned char raw[32];
  fill_random(raw, sizeof raw);
  char *id = xmalloc(65);
  for (size_t i = 0; i < 32; i++)
    snprintf(id + 2 * i, 3, "%02x", raw[i]);
  return id;
}

static const char *const adjectives[] = {
    "agile",  "bold",  "brave", "calm",    "clever", "eager", "fancy",
    "gentle", "happy", "jolly", "keen",    "lucid",  "merry", "nimble",
    "proud",  "quiet", "rapid", "sharp",   "steady", "sunny", "swift",
    "tender", "vivid", "witty", "zealous",
};
static const char *const nouns[] = {
    "babbage",  "curie",    "darwin",  "dijkstra", "euler",   "fermat",
    "gauss",    "hopper",   "kepler",  "knuth",    "lamport", "lovelace",
    "meitner",  "newton",   "noether", "pascal",   "ritchie", "shannon",
    "thompson", "torvalds", "turing",  "wozniak",  "yalow",   "zuse",
};

char *wb_container_random_name(void)
{
  uint32_t r[2];
  fill_random(r, sizeof r);
  return xasprintf("%s_%s",
                   adjectives[r[0] % (sizeof adjectives / sizeof *adjectives)],
                   nouns[r[1] % (sizeof nouns / sizeof *nouns)]);
}

/* The longest name: a name is a file name in the runroot's names/. */
enum { NAME_MAX_LEN = 128 };

static bool name_chars_valid(const char *name)
{
  for (size_t i = 0; name[i]; i++) {
    char ch = name[i];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
      return false;
  }
  return true;
}

bool wb_container_name_valid(const char *name)
{
  size_t n = strlen(name);
  return n > 0 && n <= NAME_MAX_LEN && name_chars_valid(name);
}

int wb_container_name_check(const char *name, wb_error *err)
{
  size_t n = strlen(name);
  if (n > NAME_MAX_LEN)
    return wb_error_set(err, -EINVAL,
                        "invalid container name \"%.20s...\": %zu "
                        "characters, at most %d are allowed",
                        name, n, NAME_MAX_LEN);
  if (n == 0 || !name_chars_valid(name))
    return wb_error_set(err, -EINVAL,
                        "invalid container name \"%s\": only "
                        "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                        name);
  return 0;
}
