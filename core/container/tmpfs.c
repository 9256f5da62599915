/* tmpfs.c - the options of a container's tmpfs mounts; see tmpfs.h. */
#include "tmpfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"

/* Options that are mount flags: `set` when given, `clear` removed. */
static const struct {
  const char *name;
  unsigned long set, clear;
} flag_options[] = {
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"exec", 0, MS_NOEXEC},
    {"noexec", MS_NOEXEC, 0},
    {"nosuid", MS_NOSUID, 0},
    {"nodev", MS_NODEV, 0},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"atime", 0, MS_NOATIME},
    {"noatime", MS_NOATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"relatime", MS_RELATIME, MS_STRICTATIME},
    {"strictatime", MS_STRICTATIME, MS_RELATIME},
};

/* Digits, then maybe one of the kernel's suffixes (memparse). */
static bool number_ok(const char *v, const char *suffixes)
{
  size_t digits = strspn(v, "0123456789");
  if (digits == 0 || digits > 18)
    return false;
  return v[digits] == '\0' ||
         (v[digits + 1] == '\0' && strchr(suffixes, v[digits]));
}

static bool size_ok(const char *v)
{
  return number_ok(v, "kKmMgGtTpPeE%"); /* or a percentage of RAM */
}

static bool count_ok(const char *v)
{
  return number_ok(v, "kKmMgGtTpPeE");
}

static bool mode_ok(const char *v)
{
  size_t digits = strspn(v, "01234567");
  return digits > 0 && digits <= 5 && v[digits] == '\0' &&
         strtoul(v, NULL, 8) <= 07777;
}

static bool id_ok(const char *v)
{
  return number_ok(v, "") && strtoull(v, NULL, 10) < 0xffffffffULL;
}

/* Options of the tmpfs file system itself: "key=value", passed on. */
static const struct {
  const char *key;
  bool (*ok)(const char *value);
  const char *expected;
} data_options[] = {
    {"size", size_ok, "a size such as 64m or 50%"},
    {"nr_blocks", count_ok, "a number, maybe with k, m or g"},
    {"nr_inodes", count_ok, "a number, maybe with k, m or g"},
    {"mode", mode_ok, "an octal mode such as 1777"},
    {"uid", id_ok, "a numeric user id"},
    {"gid", id_ok, "a numeric group id"},
};

static int bad_option(wb_error *err, const char *opt, const char *why)
{
  return wb_error_set(err, -EINVAL, "tmpfs option \"%s\": %s", opt, why);
}

/* Apply one option to the flags, or append it to data. */
static int apply_option(const char *opt, unsigned long *flags, char **data,
                        wb_error *err)
{
  if (strcmp(opt, "suid") == 0 || strcmp(opt, "dev") == 0)
    return bad_option(err, opt,
                      "refused: every file system of a container is "
                      "nosuid and nodev");
  for (size_t i = 0; i < sizeof flag_options / sizeof *flag_options; i++) {
    if (strcmp(opt, flag_options[i].name) == 0) {
      *flags = (*flags & ~flag_options[i].clear) | flag_options[i].set;
      return 0;
    }
  }
  size_t klen = strcspn(opt, "=");
  size_t i = 0;
  while (i < sizeof data_options / sizeof *data_options &&
         (strlen(data_options[i].key) != klen ||
          strncmp(opt, data_options[i].key, klen) != 0 || opt[klen] != '='))
    i++;
  if (i == sizeof data_options / sizeof *data_options)
    return bad_option(err, opt, "unknown option");
  if (!data_options[i].ok(opt + klen + 1))
    return wb_error_set(err, -EINVAL, "tmpfs option \"%s\": expected %s", opt,
                        data_options[i].expected);
  char *joined = xasprintf("%s%s%s", *data, **data ? "," : "", opt);
  free(*data);
  *data = joined;
  return 0;
}

int wb_tmpfs_mount_args(const char *options, unsigned long *flags, char **data,
                        wb_error *err)
{
  *flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  cleanup_free char *out = xstrdup("");
  cleanup_free char *copy = xstrdup(options ? options : "");
  char *save = NULL;
  for (char *opt = strtok_r(copy, ",", &save); opt;
       opt = strtok_r(NULL, ",", &save)) {
    int r = apply_option(opt, flags, &out, err);
    if (r < 0)
      return r;
  }
  /* Never lifted, whatever the options said. */
  *flags |= MS_NOSUID | MS_NODEV;
  *data = steal_pointer(&out);
  return 0;
}

bool wb_tmpfs_read_only(const char *options)
{
  unsigned long flags = 0;
  cleanup_free char *data = NULL;
  return wb_tmpfs_mount_args(options, &flags, &data, NULL) == 0 &&
         (flags & MS_RDONLY);
}

/* Absolute, not the root, no "." or ".." component. */
static bool target_ok(const char *target)
{
  if (target[0] != '/')
    return false;
  bool named = false;
  for (const char *p = target; *p;) {
    p += strspn(p, "/");
    size_t len = strcspn(p, "/");
    if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
      return false;
    named |= len > 0;
    p += len;
  }
  return named;
}

int wb_tmpfs_add(struct wb_tmpfs **list, size_t *n, const char *target,
                 const char *options, const char *what, wb_error *err)
{
  if (!target_ok(target))
    return wb_error_set(err, -EINVAL,
                        "invalid %s: the container path must be absolute, "
                        "not /, without . or ..",
                        what);
  unsigned long flags;
  cleanup_free char *data = NULL;
  int r = wb_tmpfs_mount_args(options, &flags, &data, err);
  if (r < 0)
    return wb_error_prefix(err, "invalid %s", what);
  *list = xrealloc(*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = (struct wb_tmpfs){
      .target = xstrdup(target),
      .options = xstrdup(options ? options : ""),
  };
  return 0;
}

int wb_tmpfs_add_spec(struct wb_tmpfs **list, size_t *n, const char *spec,
                      wb_error *err)
{
  cleanup_free char *what = xasprintf("--tmpfs \"%s\"", spec);
  const char *colon = strchr(spec, ':');
  cleanup_free char *target =
      colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
  return wb_tmpfs_add(list, n, target, colon ? colon + 1 : "", what, err);
}

json_t *wb_tmpfs_to_json(const struct wb_tmpfs *list, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:s, s:s}", "Target", list[i].target,
                                       "Options", list[i].options));
  return a;
}

void wb_tmpfs_from_json(json_t *a, struct wb_tmpfs **list, size_t *n)
{
  *list = xzalloc((json_array_size(a) + 1) * sizeof **list);
  *n = 0;
  size_t i;
  json_t *t;
  json_array_foreach(a, i, t)
  {
    const char *target = json_string_value(json_object_get(t, "Target"));
    const char *options = json_string_value(json_object_get(t, "Options"));
    if (!target)
      continue;
    (*list)[(*n)++] = (struct wb_tmpfs){
        .target = xstrdup(target),
        .options = xstrdup(options ? options : ""),
    };
  }
}

void wb_tmpfs_free(struct wb_tmpfs *list, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(list[i].target);
    free(list[i].options);
  }
  free(list);
}
