/* reference.c - image references: "repo[:tag]", ids and id prefixes. */
#include <errno.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "store.h"
#include "store_internal.h"

bool wb_is_hex(const char *s, size_t min, size_t max)
{
  size_t n = strlen(s);
  if (n < min || n > max)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

bool wb_image_id_valid(const char *s)
{
  return s && wb_is_hex(s, 64, 64);
}

static bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Repository: components [a-z0-9]+ joined by '.', '_' or '-' runs,
 * separated by '/'. */
static const char *repo_problem(const char *repo)
{
  size_t n = strlen(repo);
  if (n == 0)
    return "repository name is empty";
  if (n > 255)
    return "repository name is longer than 255 characters";
  if (wb_is_hex(repo, 64, 64))
    return "repository name cannot be a 64-character hexadecimal string";
  for (const char *p = repo; *p; p++) {
    if (*p >= 'A' && *p <= 'Z')
      return "repository name must be lowercase";
    if (!is_lower_alnum(*p) && !strchr("._-/", *p))
      return "repository name may only contain [a-z0-9._/-]";
  }
  for (const char *p = repo; *p; p++) {
    bool start = p == repo || p[-1] == '/';
    bool end = p[1] == '\0' || p[1] == '/';
    if ((start || end) && !is_lower_alnum(*p))
      return "each part of a repository name must start and end with a "
             "letter or digit";
  }
  return NULL;
}

static const char *tag_problem(const char *tag)
{
  size_t n = strlen(tag);
  if (n == 0)
    return "tag is empty";
  if (n > 128)
    return "tag is longer than 128 characters";
  if (tag[0] == '.' || tag[0] == '-')
    return "tag must not start with '.' or '-'";
  for (const char *p = tag; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
          (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
      return "tag may only contain [A-Za-z0-9_.-]";
  return NULL;
}

int wb_image_ref_parse(const char *ref, char **repo, char **tag, wb_error *err)
{
  const char *colon = strchr(ref, ':');
  cleanup_free char *r = colon ? xstrndup(ref, colon - ref) : xstrdup(ref);
  cleanup_free char *t = xstrdup(colon ? colon + 1 : "latest");
  const char *why = repo_problem(r);
  if (!why)
    why = tag_problem(t);
  if (why)
    return wb_error_set(err, -EINVAL, "invalid reference format '%s': %s", ref,
                        why);
  if (repo)
    *repo = steal_pointer(&r);
  if (tag)
    *tag = steal_pointer(&t);
  return 0;
}

int wb_image_ref_normalize(const char *ref, char **out, wb_error *err)
{
  cleanup_free char *repo = NULL;
  cleanup_free char *tag = NULL;
  int r = wb_image_ref_parse(ref, &repo, &tag, err);
  if (r < 0)
    return r;
  *out = xasprintf("%s:%s", repo, tag);
  return 0;
}

int wb_entry_components(const char *path, char ***out)
{
  if (path[0] == '/')
    return -EINVAL;
  char **v = xzalloc(sizeof *v);
  int n = 0;
  const char *p = path;
  while (*p) {
    const char *slash = strchr(p, '/');
    size_t len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.') {
      strv_free(v);
      return -EINVAL;
    }
    if (len > 0 && !(len == 1 && p[0] == '.')) {
      cleanup_free char *c = xstrndup(p, len);
      strv_push(&v, c);
      n++;
    }
    p += len;
    if (*p == '/')
      p++;
  }
  *out = v;
  return n;
}
