/* mount_spec.c - `run --mount`, Docker's comma-separated KEY=VALUE form:
 * type=bind (a host path), type=volume (a named volume, or an anonymous
 * one without a source; Docker's default type) and type=tmpfs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../container/tmpfs.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "volume.h"

struct mount_fields {
  const char *spec; /* for messages */
  const char *type, *source, *target, *size, *mode, *driver;
  bool read_only, nocopy_false;
};

static int bad_mount(const struct mount_fields *m, wb_error *err,
                     const char *why)
{
  return wb_error_set(err, -EINVAL, "invalid --mount \"%s\": %s", m->spec, why);
}

/* "true", "1" or nothing: true; "false", "0": false; else -1. */
static int bool_value(const char *v)
{
  if (!v || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
    return 1;
  if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
    return 0;
  return -1;
}

static bool key_is(const char *key, const char *a, const char *b, const char *c)
{
  return strcmp(key, a) == 0 || (b && strcmp(key, b) == 0) ||
         (c && strcmp(key, c) == 0);
}

/* One KEY[=VALUE] field; `kv` is modified (the value split off). */
static int take_field(struct mount_fields *m, char *kv, wb_error *err)
{
  char *v = strchr(kv, '=');
  if (v)
    *v++ = '\0';
  int b = bool_value(v);
  bool is_bool = key_is(kv, "readonly", "ro", "volume-nocopy");
  if (is_bool && b < 0)
    return wb_error_set(err, -EINVAL,
                        "invalid --mount \"%s\": field \"%s\" is true or "
                        "false",
                        m->spec, kv);
  if (key_is(kv, "readonly", "ro", NULL))
    m->read_only = b;
  else if (strcmp(kv, "volume-nocopy") == 0)
    m->nocopy_false = !b;
  else if (!v) {
    return wb_error_set(err, -EINVAL,
                        "invalid --mount \"%s\": field \"%s\" needs a value",
                        m->spec, kv);
  } else if (strcmp(kv, "type") == 0)
    m->type = v;
  else if (key_is(kv, "source", "src", NULL))
    m->source = v;
  else if (key_is(kv, "target", "destination", "dst"))
    m->target = v;
  else if (strcmp(kv, "tmpfs-size") == 0)
    m->size = v;
  else if (strcmp(kv, "tmpfs-mode") == 0)
    m->mode = v;
  else if (strcmp(kv, "volume-driver") == 0)
    m->driver = v;
  else
    return wb_error_set(err, -EINVAL,
                        "invalid --mount \"%s\": unsupported field \"%s\"",
                        m->spec, kv);
  return 0;
}

/* Fields that only a type other than m->type takes. */
static int check_fields_of_type(const struct mount_fields *m, wb_error *err)
{
  bool tmpfs = strcmp(m->type, "tmpfs") == 0;
  bool volume = strcmp(m->type, "volume") == 0;
  if (!tmpfs && (m->size || m->mode))
    return bad_mount(m, err, "tmpfs-size and tmpfs-mode are for type=tmpfs");
  if (!volume && (m->driver || m->nocopy_false))
    return bad_mount(m, err, "volume-* fields are for type=volume");
  if (tmpfs && m->source)
    return bad_mount(m, err, "a tmpfs has no source");
  if (!m->target || !*m->target)
    return bad_mount(m, err, "target is required");
  return 0;
}

static int add_bind(struct wb_container *c, const struct mount_fields *m,
                    const char *source, wb_error *err)
{
  const char *t = m->target;
  if (t[0] != '/' || strspn(t, "/") == strlen(t))
    return bad_mount(m, err, "the target must be an absolute path, not /");
  c->binds = xrealloc(c->binds, (c->n_binds + 1) * sizeof *c->binds);
  c->binds[c->n_binds++] = (struct wb_bind){
      .source = xstrdup(source),
      .target = xstrdup(t),
      .read_only = m->read_only,
  };
  return 0;
}

static int add_volume_mount(struct wb_container *c,
                            const struct mount_fields *m, wb_error *err)
{
  if (m->driver && strcmp(m->driver, "local") != 0)
    return bad_mount(m, err, "only the \"local\" volume driver exists");
  /* Whalebox never copies the image's files into a volume: nocopy is
   * what it always does, and asking for the copy is refused. */
  if (m->nocopy_false)
    return bad_mount(m, err,
                     "volume-nocopy=false is not supported: the image's "
                     "files are never copied into a volume");
  const char *name = m->source ? m->source : "";
  if (*name && !wb_volume_name_valid(name))
    return bad_mount(m, err,
                     "the source of type=volume is a volume name "
                     "([a-zA-Z0-9][a-zA-Z0-9_.-]*), or none for an "
                     "anonymous volume");
  return add_bind(c, m, name, err);
}

static int add_tmpfs_mount(struct wb_container *c, const struct mount_fields *m,
                           wb_error *err)
{
  cleanup_free char *options = xstrdup(m->read_only ? "ro" : "");
  if (m->size) {
    int64_t bytes;
    if (parse_size(m->size, &bytes) < 0)
      return bad_mount(m, err, "tmpfs-size: a size such as 65536 or 64m");
    char *o = xasprintf("%s%ssize=%lld", options, *options ? "," : "",
                        (long long)bytes);
    free(options);
    options = o;
  }
  if (m->mode) {
    char *o = xasprintf("%s%smode=%s", options, *options ? "," : "", m->mode);
    free(options);
    options = o;
  }
  cleanup_free char *what = xasprintf("--mount \"%s\"", m->spec);
  return wb_tmpfs_add(&c->tmpfs, &c->n_tmpfs, m->target, options, what, err);
}

int wb_mount_spec_add(struct wb_container *c, const char *spec, wb_error *err)
{
  struct mount_fields m = {.spec = spec, .type = "volume"};
  cleanup_free char *copy = xstrdup(spec);
  char *save = NULL;
  for (char *kv = strtok_r(copy, ",", &save); kv;
       kv = strtok_r(NULL, ",", &save)) {
    int r = take_field(&m, kv, err);
    if (r < 0)
      return r;
  }
  bool bind = strcmp(m.type, "bind") == 0;
  if (!bind && strcmp(m.type, "volume") != 0 && strcmp(m.type, "tmpfs") != 0)
    return bad_mount(&m, err, "type must be bind, volume or tmpfs");
  int r = check_fields_of_type(&m, err);
  if (r < 0)
    return r;
  if (strcmp(m.type, "tmpfs") == 0)
    return add_tmpfs_mount(c, &m, err);
  if (!bind)
    return add_volume_mount(c, &m, err);
  if (!m.source || m.source[0] != '/')
    return bad_mount(&m, err,
                     "the source of type=bind is an absolute host path");
  return add_bind(c, &m, m.source, err);
}
