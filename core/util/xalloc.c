#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p)
{
  if (!p) {
    fputs("whalebox: out of memory\n", stderr);
    abort();
  }
  return p;
}

void *xmalloc(size_t n)
{
  return check(malloc(n ? n : 1));
}

void *xzalloc(size_t n)
{
  return check(calloc(1, n ? n : 1));
}

void *xrealloc(void *p, size_t n)
{
  return check(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
  return check(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
  return check(strndup(s, n));
}

char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  char *out = NULL;
  va_start(ap, fmt);
  int r = vasprintf(&out, fmt, ap);
  va_end(ap);
  if (r < 0)
    check(NULL);
  return out;
}

size_t strv_len(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void strv_push(char ***v, const char *s)
{
  size_t n = strv_len(*v);
  *v = xrealloc(*v, (n + 2) * sizeof(char *));
  (*v)[n] = xstrdup(s);
  (*v)[n + 1] = NULL;
}

void strv_free(char **v)
{
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}
