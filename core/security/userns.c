/* userns.c - user namespace mappings: parsing --uidmap/--gidmap and the
 * config's userns.remap, writing them for a new container process, and
 * translating ids between the container and the host. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "security.h"

/* The kernel takes at most 340 lines per map (Linux >= 4.15). */
#define MAX_LINES 340

static bool parse_u32(const char *s, size_t len, uint32_t *out)
{
  if (len == 0 || len > 10)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > UINT32_MAX)
    return false;
  *out = (uint32_t)v;
  return true;
}

/* "C:H:N" */
static bool parse_line(const char *s, size_t len, struct wb_idmap *m)
{
  const char *c1 = memchr(s, ':', len);
  if (!c1)
    return false;
  const char *c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - s));
  if (!c2)
    return false;
  return parse_u32(s, (size_t)(c1 - s), &m->container_id) &&
         parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &m->host_id) &&
         parse_u32(c2 + 1, len - (size_t)(c2 + 1 - s), &m->count);
}

static bool overlaps(uint32_t a, uint32_t an, uint32_t b, uint32_t bn)
{
  return (uint64_t)a < (uint64_t)b + bn && (uint64_t)b < (uint64_t)a + an;
}

int wb_idmap_check(const struct wb_idmap *map, size_t n, const char *what,
                   wb_error *err)
{
  if (n == 0)
    return wb_error_set(err, -EINVAL, "invalid %s: empty mapping", what);
  if (n > MAX_LINES)
    return wb_error_set(err, -EINVAL,
                        "invalid %s: %zu ranges, the kernel takes at most %d",
                        what, n, MAX_LINES);
  for (size_t i = 0; i < n; i++) {
    const struct wb_idmap *m = &map[i];
    if (m->count == 0)
      return wb_error_set(err, -EINVAL,
                          "invalid %s %" PRIu32 ":%" PRIu32 ":%" PRIu32
                          ": the range is empty",
                          what, m->container_id, m->host_id, m->count);
    /* -1 (4294967295) is never a valid id. */
    if ((uint64_t)m->container_id + m->count > UINT32_MAX ||
        (uint64_t)m->host_id + m->count > UINT32_MAX)
      return wb_error_set(err, -EINVAL,
                          "invalid %s %" PRIu32 ":%" PRIu32 ":%" PRIu32
                          ": the range goes past 4294967294",
                          what, m->container_id, m->host_id, m->count);
    for (size_t j = 0; j < i; j++) {
      if (overlaps(m->container_id, m->count, map[j].container_id,
                   map[j].count))
        return wb_error_set(err, -EINVAL,
                            "invalid %s: container ids of %" PRIu32 ":%" PRIu32
                            ":%" PRIu32 " overlap another range",
                            what, m->container_id, m->host_id, m->count);
      if (overlaps(m->host_id, m->count, map[j].host_id, map[j].count))
        return wb_error_set(err, -EINVAL,
                            "invalid %s: host ids of %" PRIu32 ":%" PRIu32
                            ":%" PRIu32 " overlap another range",
                            what, m->container_id, m->host_id, m->count);
    }
  }
  /* The container's first process is set up as its root. */
  if (wb_idmap_to_host(map, n, 0) == (uint32_t)-1)
    return wb_error_set(
        err, -EINVAL, "invalid %s: container id 0 (root) is not mapped", what);
  return 0;
}

int wb_idmap_add(struct wb_idmap **map, size_t *n, const char *text,
                 const char *what, wb_error *err)
{
  const char *p = text;
  do {
    size_t len = strcspn(p, ",");
    struct wb_idmap m;
    if (!parse_line(p, len, &m))
      return wb_error_set(err, -EINVAL,
                          "invalid %s \"%s\": expected "
                          "CONTAINER_ID:HOST_ID:COUNT[,...]",
                          what, text);
    *map = xrealloc(*map, (*n + 1) * sizeof **map);
    (*map)[(*n)++] = m;
    p += len;
  } while (*p++ == ',');
  return 0;
}

uint32_t wb_idmap_to_host(const struct wb_idmap *map, size_t n, uint32_t id)
{
  for (size_t i = 0; i < n; i++)
    if (id >= map[i].container_id &&
        (uint64_t)id < (uint64_t)map[i].container_id + map[i].count)
      return map[i].host_id + (id - map[i].container_id);
  return (uint32_t)-1;
}

int wb_userns_from_flags(struct wb_security *s, const char *mode,
                         const char *config_remap, const char *config_file,
                         wb_error *err)
{
  bool host = mode && (strcmp(mode, "host") == 0 || !*mode);
  if (mode && !host && strcmp(mode, "remap") != 0)
    return wb_error_set(
        err, -EINVAL, "invalid --userns \"%s\": expected host or remap", mode);
  if (host && s->n_uid_map)
    return wb_error_set(err, -EINVAL,
                        "--userns=host cannot be combined with --uidmap or "
                        "--gidmap");
  if (s->n_gid_map && !s->n_uid_map)
    return wb_error_set(err, -EINVAL, "--gidmap needs --uidmap as well");
  if (mode && strcmp(mode, "remap") == 0) {
    if (s->n_uid_map)
      return wb_error_set(err, -EINVAL,
                          "--userns=remap takes its mapping from the "
                          "configuration: drop --uidmap and --gidmap");
    if (!config_remap)
      return wb_error_set(err, -EINVAL,
                          "--userns=remap needs a mapping: set userns.remap "
                          "(e.g. \"0:100000:65536\") in %s",
                          config_file ? config_file : "the configuration");
    cleanup_free char *what = xasprintf(
        "userns.remap in %s", config_file ? config_file : "the configuration");
    int r = wb_idmap_add(&s->uid_map, &s->n_uid_map, config_remap, what, err);
    if (r < 0)
      return r;
    s->userns_mode = xstrdup("remap");
  } else if (s->n_uid_map) {
    s->userns_mode = xstrdup("private");
  } else {
    return 0;
  }
  /* podman's rule: one map given serves both. */
  if (!s->n_gid_map) {
    s->gid_map = xmalloc(s->n_uid_map * sizeof *s->uid_map);
    memcpy(s->gid_map, s->uid_map, s->n_uid_map * sizeof *s->uid_map);
    s->n_gid_map = s->n_uid_map;
  }
  int r = wb_idmap_check(s->uid_map, s->n_uid_map, "uid mapping", err);
  if (r == 0)
    r = wb_idmap_check(s->gid_map, s->n_gid_map, "gid mapping", err);
  if (r == 0 && s->privileged)
    return wb_error_set(err, -EINVAL,
                        "--privileged cannot be used with a user namespace "
                        "(--userns=remap, --uidmap); use --userns=host");
  return r;
}

static char *map_text(const struct wb_idmap *map, size_t n)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    abort();
  for (size_t i = 0; i < n; i++)
    fprintf(f, "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", map[i].container_id,
            map[i].host_id, map[i].count);
  if (fclose(f) != 0)
    abort();
  return out;
}

static int write_map(pid_t pid, const char *file, const struct wb_idmap *map,
                     size_t n, wb_error *err)
{
  cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, file);
  cleanup_free char *text = map_text(map, n);
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  /* The kernel takes the whole map in one write. */
  ssize_t w = write(fd, text, strlen(text));
  if (w < 0)
    return wb_error_set(err, errno, "write the user namespace's %s", file);
  if ((size_t)w != strlen(text))
    return wb_error_set(err, -EIO, "short write to %s", path);
  return 0;
}

int wb_userns_write_maps(pid_t pid, const struct wb_security *s, wb_error *err)
{
  int r = write_map(pid, "uid_map", s->uid_map, s->n_uid_map, err);
  if (r == 0)
    r = write_map(pid, "gid_map", s->gid_map, s->n_gid_map, err);
  return r;
}

int wb_userns_chown_root(const struct wb_security *s, const char *path,
                         wb_error *err)
{
  if (chown(path, wb_idmap_to_host(s->uid_map, s->n_uid_map, 0),
            wb_idmap_to_host(s->gid_map, s->n_gid_map, 0)) < 0)
    return wb_error_set(err, errno, "chown %s", path);
  return 0;
}

int wb_userns_become_root(wb_error *err)
{
  /* The runtime wrote gid_map with privilege, so setgroups is allowed. */
  if (setgroups(0, NULL) < 0)
    return wb_error_set(err, errno, "setgroups in the user namespace");
  if (setresgid(0, 0, 0) < 0)
    return wb_error_set(err, errno, "become gid 0 in the user namespace");
  if (setresuid(0, 0, 0) < 0)
    return wb_error_set(err, errno, "become uid 0 in the user namespace");
  return 0;
}

static json_t *map_to_json(const struct wb_idmap *map, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *t =
        xasprintf("%" PRIu32 ":%" PRIu32 ":%" PRIu32, map[i].container_id,
                  map[i].host_id, map[i].count);
    json_array_append_new(a, json_string(t));
  }
  return a;
}

static void map_from_json(json_t *a, struct wb_idmap **map, size_t *n)
{
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v)
  {
    const char *t = json_string_value(v);
    struct wb_idmap m;
    if (t && parse_line(t, strlen(t), &m)) {
      *map = xrealloc(*map, (*n + 1) * sizeof **map);
      (*map)[(*n)++] = m;
    }
  }
}

void wb_userns_to_json(const struct wb_security *s, json_t *j)
{
  json_object_set_new(j, "UsernsMode",
                      json_string(s->userns_mode ? s->userns_mode : "host"));
  json_object_set_new(j, "UidMap", map_to_json(s->uid_map, s->n_uid_map));
  json_object_set_new(j, "GidMap", map_to_json(s->gid_map, s->n_gid_map));
}

void wb_userns_from_json(struct wb_security *s, json_t *j)
{
  const char *mode = json_string_value(json_object_get(j, "UsernsMode"));
  if (mode && strcmp(mode, "host") != 0)
    s->userns_mode = xstrdup(mode);
  map_from_json(json_object_get(j, "UidMap"), &s->uid_map, &s->n_uid_map);
  map_from_json(json_object_get(j, "GidMap"), &s->gid_map, &s->n_gid_map);
}

int wb_userns_check_state(const struct wb_security *s, const char *name,
                          wb_error *err)
{
  if (!s->userns_mode)
    return 0;
  /* Fail closed: never run as the host's root a container whose files
   * belong to a mapped root. */
  wb_error ignored = WB_ERROR_INIT;
  if (s->n_uid_map == 0 || s->n_gid_map == 0 ||
      wb_idmap_check(s->uid_map, s->n_uid_map, "uid mapping", &ignored) < 0 ||
      wb_idmap_check(s->gid_map, s->n_gid_map, "gid mapping", &ignored) < 0) {
    wb_error_clear(&ignored);
    return wb_error_set(err, -EINVAL,
                        "container %s: its user namespace mapping (%s) in "
                        "state.json is missing or damaged; remove it",
                        name, s->userns_mode);
  }
  return 0;
}

void wb_userns_clear(struct wb_security *s)
{
  free(s->userns_mode);
  free(s->uid_map);
  free(s->gid_map);
  s->userns_mode = NULL;
  s->uid_map = s->gid_map = NULL;
  s->n_uid_map = s->n_gid_map = 0;
}
