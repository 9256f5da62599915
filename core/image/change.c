/* change.c - Dockerfile-style instructions applied to an image's config,
 * for `import --change` and `commit --change`. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "store.h"
#include "store_internal.h"

/* CMD/ENTRYPOINT: a JSON array of strings (exec form), anything else is
 * the shell form run by /bin/sh -c. */
static int parse_command(const char *what, const char *arg, char ***out,
                         wb_error *err)
{
  if (*arg == '\0')
    return wb_error_set(err, -EINVAL, "%s needs an argument", what);
  char **v = xzalloc(sizeof *v);
  if (*arg == '[') {
    json_error_t je;
    json_t *a = json_loads(arg, 0, &je);
    if (json_is_array(a)) {
      size_t i;
      json_t *s;
      bool ok = true;
      json_array_foreach(a, i, s)
      {
        if (!json_is_string(s))
          ok = false;
        else
          strv_push(&v, json_string_value(s));
      }
      json_decref(a);
      if (!ok) {
        strv_free(v);
        return wb_error_set(err, -EINVAL,
                            "%s %s: the JSON form must be an array of strings",
                            what, arg);
      }
      strv_free(*out);
      *out = v;
      return 0;
    }
    json_decref(a);
    /* Docker too falls back to the shell form for text that is not JSON. */
  }
  strv_push(&v, "/bin/sh");
  strv_push(&v, "-c");
  strv_push(&v, arg);
  strv_free(*out);
  *out = v;
  return 0;
}

static void env_set(char ***env, const char *key, const char *value)
{
  cleanup_free char *entry = xasprintf("%s=%s", key, value);
  size_t klen = strlen(key);
  for (char **e = *env; e && *e; e++)
    if (strncmp(*e, key, klen) == 0 && (*e)[klen] == '=') {
      free(*e);
      *e = steal_pointer(&entry);
      return;
    }
  strv_push(env, entry);
}

/* One shell-like word: quotes and backslashes removed.  *p advances past
 * it; NULL at the end of the text or on an unterminated quote (*bad). */
static char *next_word(const char **p, bool *bad)
{
  const char *s = *p;
  while (isspace((unsigned char)*s))
    s++;
  if (!*s) {
    *p = s;
    return NULL;
  }
  size_t cap = strlen(s) + 1, n = 0;
  char *w = xmalloc(cap);
  char quote = 0;
  for (; *s; s++) {
    if (quote) {
      if (*s == quote)
        quote = 0;
      else if (quote == '"' && *s == '\\' && s[1])
        w[n++] = *++s;
      else
        w[n++] = *s;
    } else if (isspace((unsigned char)*s)) {
      break;
    } else if (*s == '"' || *s == '\'') {
      quote = *s;
    } else if (*s == '\\' && s[1]) {
      w[n++] = *++s;
    } else {
      w[n++] = *s;
    }
  }
  w[n] = '\0';
  *p = s;
  if (quote) {
    *bad = true;
    free(w);
    return NULL;
  }
  return w;
}

static int parse_env(struct wb_image *img, const char *arg, wb_error *err)
{
  size_t klen = strcspn(arg, "= \t");
  if (klen == 0)
    return wb_error_set(err, -EINVAL, "ENV %s: missing variable name", arg);
  if (arg[klen] != '=') {
    /* Legacy form "ENV KEY value with spaces". */
    cleanup_free char *key = xstrndup(arg, klen);
    const char *value = arg + klen;
    while (isspace((unsigned char)*value))
      value++;
    if (!*value)
      return wb_error_set(err, -EINVAL, "ENV %s: needs a value (KEY=VALUE)",
                          arg);
    env_set(&img->env, key, value);
    return 0;
  }
  const char *p = arg;
  bool bad = false;
  char *w;
  while ((w = next_word(&p, &bad))) {
    cleanup_free char *word = w;
    char *eq = strchr(word, '=');
    if (!eq || eq == word)
      return wb_error_set(err, -EINVAL, "ENV %s: '%s' is not KEY=VALUE", arg,
                          word);
    *eq = '\0';
    env_set(&img->env, word, eq + 1);
  }
  if (bad)
    return wb_error_set(err, -EINVAL, "ENV %s: unterminated quote", arg);
  return 0;
}

static int parse_workdir(struct wb_image *img, const char *arg, wb_error *err)
{
  if (!*arg)
    return wb_error_set(err, -EINVAL, "WORKDIR needs a path");
  char *dir = arg[0] == '/' ? xstrdup(arg)
                            : path_join(img->workdir ? img->workdir : "/", arg);
  free(img->workdir);
  img->workdir = dir;
  return 0;
}

int wb_image_apply_change(struct wb_image *img, const char *change,
                          wb_error *err)
{
  const char *p = change;
  while (isspace((unsigned char)*p))
    p++;
  size_t klen = 0;
  while (p[klen] && !isspace((unsigned char)p[klen]))
    klen++;
  cleanup_free char *kw = xstrndup(p, klen);
  /* The argument, trimmed at both ends. */
  const char *a = p + klen;
  while (isspace((unsigned char)*a))
    a++;
  size_t alen = strlen(a);
  while (alen && isspace((unsigned char)a[alen - 1]))
    alen--;
  cleanup_free char *arg = xstrndup(a, alen);

  if (strcasecmp(kw, "CMD") == 0)
    return parse_command("CMD", arg, &img->cmd, err);
  if (strcasecmp(kw, "ENTRYPOINT") == 0)
    return parse_command("ENTRYPOINT", arg, &img->entrypoint, err);
  if (strcasecmp(kw, "ENV") == 0)
    return parse_env(img, arg, err);
  if (strcasecmp(kw, "WORKDIR") == 0)
    return parse_workdir(img, arg, err);
  if (strcasecmp(kw, "USER") == 0) {
    if (!*arg || strpbrk(arg, " \t"))
      return wb_error_set(err, -EINVAL, "USER needs one user[:group] word");
    free(img->user);
    img->user = xstrdup(arg);
    return 0;
  }
  static const char *const unsupported[] = {
      "EXPOSE",  "LABEL",       "VOLUME", "STOPSIGNAL",
      "ONBUILD", "HEALTHCHECK", "SHELL"};
  for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
    if (strcasecmp(kw, unsupported[i]) == 0)
      return wb_error_set(err, -EINVAL,
                          "--change '%s': %s is not supported (CMD, "
                          "ENTRYPOINT, ENV, WORKDIR, USER are)",
                          change, unsupported[i]);
  return wb_error_set(err, -EINVAL,
                      "--change '%s': unknown instruction '%s' (expected CMD, "
                      "ENTRYPOINT, ENV, WORKDIR or USER)",
                      change, kw);
}
