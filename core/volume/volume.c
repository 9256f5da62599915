/* volume.c - named and anonymous volumes; see volume.h. */
#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../container/container.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "../util/xalloc.h"

static const char name_rule[] = "[a-zA-Z0-9][a-zA-Z0-9_.-]*";

bool wb_volume_name_valid(const char *name)
{
  if (!name || !*name || strlen(name) > 255)
    return false;
  for (const char *p = name; *p; p++) {
    bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                 (*p >= '0' && *p <= '9');
    if (!alnum && (p == name || !strchr("_.-", *p)))
      return false;
  }
  return true;
}

static char *volumes_dir(const char *root)
{
  return path_join(root, "volumes");
}

char *wb_volume_data_path(const char *root, const char *name)
{
  return xasprintf("%s/volumes/%s/_data", root, name);
}

char *wb_volume_of_source(const char *root, const char *source)
{
  cleanup_free char *dir = volumes_dir(root);
  size_t n = strlen(dir);
  if (!source || strncmp(source, dir, n) != 0 || source[n] != '/')
    return NULL;
  const char *name = source + n + 1;
  const char *slash = strchr(name, '/');
  if (!slash || strcmp(slash, "/_data") != 0)
    return NULL;
  char *v = xstrndup(name, slash - name);
  if (!wb_volume_name_valid(v)) {
    free(v);
    return NULL;
  }
  return v;
}

/* ---- the lock ---- */

/* flock on R/volumes/.lock; the fd is the lock (close releases it). */
static int volumes_lock(const char *root, wb_error *err)
{
  cleanup_free char *dir = volumes_dir(root);
  int r = mkdir_p(dir, 0700, err);
  if (r < 0)
    return r;
  cleanup_free char *path = path_join(dir, ".lock");
  cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return wb_error_set(err, errno, "lock %s", path);
  return steal_fd(&fd);
}

/* ---- create ---- */

static char *random_name(void)
{
  unsigned char b[32];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      abort(); /* getrandom(2) cannot fail with these arguments */
    got += n;
  }
  char *hex = xmalloc(2 * sizeof b + 1);
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(hex + 2 * i, 3, "%02x", b[i]);
  return hex;
}

static bool volume_exists(const char *root, const char *name)
{
  cleanup_free char *p = xasprintf("%s/volumes/%s/volume.json", root, name);
  return access(p, F_OK) == 0;
}

/* Build the volume in a dot-directory and rename it into place. */
static int create_locked(const char *root, const char *name, bool anonymous,
                         bool *created, wb_error *err)
{
  *created = false;
  if (volume_exists(root, name))
    return 0;
  cleanup_free char *dir = volumes_dir(root);
  cleanup_free char *tmp = xasprintf("%s/.new-XXXXXX", dir);
  if (!mkdtemp(tmp))
    return wb_error_set(err, errno, "mkdtemp %s", tmp);
  if (chmod(tmp, 0755) < 0) {
    int e = errno;
    rmdir(tmp);
    return wb_error_set(err, e, "chmod %s", tmp);
  }
  cleanup_free char *data = path_join(tmp, "_data");
  cleanup_free char *final = path_join(dir, name);
  cleanup_free char *mountpoint = path_join(final, "_data");
  cleanup_free char *now = wb_now_rfc3339();
  json_t *doc =
      json_pack("{s:s, s:s, s:s, s:s, s:{}, s:{}, s:s, s:b}", "Name", name,
                "CreatedAt", now, "Driver", "local", "Mountpoint", mountpoint,
                "Labels", "Options", "Scope", "local", "Anonymous", anonymous);
  cleanup_free char *text =
      json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(doc);
  cleanup_free char *meta = path_join(tmp, "volume.json");
  int r = 0;
  if (mkdir(data, 0755) < 0 || chmod(data, 0755) < 0)
    r = wb_error_set(err, errno, "mkdir %s", data);
  if (r == 0)
    r = write_file_atomic(meta, text, strlen(text), 1, err);
  if (r == 0) {
    /* A leftover directory without volume.json is debris of a crash. */
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    rm_rf(final, &ignored);
    if (rename(tmp, final) < 0)
      r = wb_error_set(err, errno, "rename %s to %s", tmp, final);
  }
  if (r < 0) {
    rm_rf(tmp, NULL);
    return r;
  }
  *created = true;
  return 0;
}

int wb_volume_create(const char *root, const char *name, bool anonymous,
                     char **name_out, bool *created, wb_error *err)
{
  cleanup_free char *n = name ? xstrdup(name) : random_name();
  if (!wb_volume_name_valid(n))
    return wb_error_set(err, -EINVAL,
                        "invalid volume name \"%s\": only \"%s\" is allowed", n,
                        name_rule);
  cleanup_close int lock = volumes_lock(root, err);
  if (lock < 0)
    return lock;
  bool made;
  int r = create_locked(root, n, anonymous && !name, &made, err);
  if (r < 0)
    return r;
  if (created)
    *created = made;
  if (name_out)
    *name_out = steal_pointer(&n);
  return 0;
}

/* ---- list, inspect ---- */

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int wb_volume_list(const char *root, char ***names, wb_error *err)
{
  cleanup_free char *dir = volumes_dir(root);
  char **v = xzalloc(sizeof *v);
  cleanup_dir DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) {
      *names = v;
      return 0;
    }
    strv_free(v);
    return wb_error_set(err, errno, "open %s", dir);
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)))
    if (wb_volume_name_valid(de->d_name) && volume_exists(root, de->d_name))
      strv_push(&v, de->d_name);
  if (errno) {
    int e = errno;
    strv_free(v);
    return wb_error_set(err, e, "read %s", dir);
  }
  qsort(v, strv_len(v), sizeof *v, cmp_str);
  *names = v;
  return 0;
}

int wb_volume_inspect(const char *root, const char *name, json_t **out,
                      wb_error *err)
{
  if (!wb_volume_name_valid(name) || !volume_exists(root, name))
    return wb_error_set(err, -ENOENT, "no such volume: %s", name);
  cleanup_free char *p = xasprintf("%s/volumes/%s/volume.json", root, name);
  json_error_t je;
  json_t *doc = json_load_file(p, 0, &je);
  if (!json_is_object(doc)) {
    json_decref(doc);
    return wb_error_set(err, -EINVAL, "%s: %s", p, je.text);
  }
  *out = doc;
  return 0;
}

/* ---- users ---- */

static bool state_uses(const char *state, const char *data)
{
  json_t *doc = wb_container_state_json(state);
  if (!doc)
    return false;
  bool yes = false;
  size_t i;
  json_t *b;
  json_array_foreach(json_object_get(doc, "Binds"), i, b)
  {
    const char *s = json_string_value(json_object_get(b, "Source"));
    if (s && strcmp(s, data) == 0)
      yes = true;
  }
  json_decref(doc);
  return yes;
}

int wb_volume_users(const char *root, const char *name, const char *except_id,
                    char ***cids, wb_error *err)
{
  cleanup_free char *data = wb_volume_data_path(root, name);
  cleanup_strv char **dirs = NULL;
  int r = wb_container_list_dirs(root, &dirs, err);
  if (r < 0)
    return r;
  char **v = xzalloc(sizeof *v);
  for (char **p = dirs; *p; p++) {
    const char *id = strrchr(*p, '/') + 1;
    if (except_id && strcmp(id, except_id) == 0)
      continue;
    cleanup_free char *state = path_join(*p, "state.json");
    if (state_uses(state, data))
      strv_push(&v, id);
  }
  qsort(v, strv_len(v), sizeof *v, cmp_str);
  *cids = v;
  return 0;
}

/* ---- remove ---- */

static uint64_t du_total;

static int du_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
  (void)path;
  (void)flag;
  (void)ftw;
  if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
    du_total += st->st_size;
  return 0;
}

static uint64_t tree_bytes(const char *dir)
{
  du_total = 0;
  nftw(dir, du_one, 16, FTW_PHYS | FTW_MOUNT);
  return du_total;
}

static int remove_locked(const char *root, const char *name, const char *except,
                         uint64_t *freed, wb_error *err)
{
  if (!wb_volume_name_valid(name) || !volume_exists(root, name))
    return wb_error_set(err, -ENOENT, "no such volume: %s", name);
  cleanup_strv char **users = NULL;
  int r = wb_volume_users(root, name, except, &users, err);
  if (r < 0)
    return r;
  if (users[0]) {
    cleanup_free char *list = xstrdup("");
    for (char **u = users; *u; u++) {
      char *l = xasprintf("%s%s%.12s", list, *list ? ", " : "", *u);
      free(list);
      list = l;
    }
    return wb_error_set(err, -EBUSY, "remove %s: volume is in use - [%s]", name,
                        list);
  }
  cleanup_free char *dir = volumes_dir(root);
  cleanup_free char *src = path_join(dir, name);
  if (freed) {
    cleanup_free char *data = path_join(src, "_data");
    *freed = tree_bytes(data);
  }
  cleanup_free char *tmp = xasprintf("%s/.rm-XXXXXX", dir);
  if (!mkdtemp(tmp))
    return wb_error_set(err, errno, "mkdtemp %s", tmp);
  cleanup_free char *dst = path_join(tmp, "volume");
  if (rename(src, dst) < 0) {
    int e = errno;
    rmdir(tmp);
    return wb_error_set(err, e, "rename %s", src);
  }
  return rm_rf(tmp, err);
}

int wb_volume_remove(const char *root, const char *name, uint64_t *freed,
                     wb_error *err)
{
  if (!wb_volume_name_valid(name) || !volume_exists(root, name))
    return wb_error_set(err, -ENOENT, "no such volume: %s", name);
  cleanup_close int lock = volumes_lock(root, err);
  if (lock < 0)
    return lock;
  return remove_locked(root, name, NULL, freed, err);
}

/* ---- -v specs ---- */

static int bad_spec(wb_error *err, const char *spec, const char *why)
{
  return wb_error_set(err, -EINVAL, "invalid volume specification: \"%s\": %s",
                      spec, why);
}

int wb_volume_parse_spec(const char *spec, struct wb_bind *out, wb_error *err)
{
  cleanup_free char *copy = xstrdup(spec);
  char *parts[4] = {0};
  int n = 0;
  for (char *p = copy; p && n < 4; n++) {
    parts[n] = p;
    p = strchr(p, ':');
    if (p)
      *p++ = '\0';
  }
  if (n > 3)
    return bad_spec(err, spec, "expected [SOURCE:]CONTAINER[:ro|rw]");
  for (int i = 0; i < n; i++)
    if (!*parts[i])
      return bad_spec(err, spec,
                      "empty field; expected [SOURCE:]CONTAINER[:ro|rw]");
  const char *src = n >= 2 ? parts[0] : "";
  const char *dst = n >= 2 ? parts[1] : parts[0];
  bool ro = false;
  if (n == 3) {
    if (strcmp(parts[2], "ro") == 0)
      ro = true;
    else if (strcmp(parts[2], "rw") != 0)
      return wb_error_set(err, -EINVAL,
                          "invalid volume specification: \"%s\": invalid "
                          "mode \"%s\" (ro or rw)",
                          spec, parts[2]);
  }
  if (dst[0] != '/')
    return bad_spec(err, spec, "the container path must be absolute");
  if (strspn(dst, "/") == strlen(dst))
    return bad_spec(err, spec, "the container path cannot be /");
  if (*src && src[0] != '/' && !wb_volume_name_valid(src))
    return wb_error_set(err, -EINVAL,
                        "invalid volume specification: \"%s\": \"%s\" "
                        "includes invalid characters for a local volume "
                        "name, only \"%s\" are allowed; to bind a host "
                        "directory, use an absolute path",
                        spec, src, name_rule);
  *out = (struct wb_bind){
      .source = xstrdup(src),
      .target = xstrdup(dst),
      .read_only = ro,
  };
  return 0;
}

static bool dir_is_empty(const char *path)
{
  cleanup_dir DIR *d = opendir(path);
  if (!d)
    return false;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      return false;
  return true;
}

/* Under a user namespace a volume that is still as `volume create` made it
 * (empty, owned by the host's root) is given to the container's root, as
 * Docker does with userns-remap: otherwise it could not write there. */
static int give_to_userns_root(const struct wb_container *c, const char *data,
                               wb_error *err)
{
  const struct wb_security *s = &c->sec;
  if (!wb_userns_enabled(s))
    return 0;
  struct stat st;
  if (stat(data, &st) < 0)
    return wb_error_set(err, errno, "stat %s", data);
  if (st.st_uid != 0 || st.st_gid != 0 || !dir_is_empty(data))
    return 0;
  return wb_userns_chown_root(s, data, err);
}

static int resolve_one(const char *root, const struct wb_container *c,
                       struct wb_bind *b, wb_error *err)
{
  if (b->source && b->source[0] == '/') {
    struct stat st;
    if (lstat(b->source, &st) == 0 || errno != ENOENT)
      return 0; /* present (or unreadable: the mount will say) */
    return mkdir_p(b->source, 0755, err);
  }
  bool anonymous = !b->source || !*b->source;
  cleanup_free char *name = NULL;
  int r = wb_volume_create(root, anonymous ? NULL : b->source, anonymous, &name,
                           NULL, err);
  if (r < 0)
    return r;
  free(b->source);
  b->source = wb_volume_data_path(root, name);
  return give_to_userns_root(c, b->source, err);
}

int wb_volume_resolve_binds(const char *root, struct wb_container *c,
                            wb_error *err)
{
  for (size_t i = 0; i < c->n_binds; i++) {
    int r = resolve_one(root, c, &c->binds[i], err);
    if (r < 0)
      return wb_error_prefix(err, "volume %s", c->binds[i].target);
  }
  return 0;
}

static bool is_anonymous(const char *root, const char *name)
{
  json_t *doc = NULL;
  if (wb_volume_inspect(root, name, &doc, NULL) < 0)
    return false;
  bool yes = json_is_true(json_object_get(doc, "Anonymous"));
  json_decref(doc);
  return yes;
}

int wb_volume_remove_anonymous(const char *root, const struct wb_container *c,
                               wb_error *err)
{
  cleanup_close int lock = -1;
  int ret = 0;
  for (size_t i = 0; i < c->n_binds; i++) {
    cleanup_free char *name = wb_volume_of_source(root, c->binds[i].source);
    if (!name || !is_anonymous(root, name))
      continue;
    if (lock < 0 && (lock = volumes_lock(root, err)) < 0)
      return lock;
    cleanup_error wb_error e = WB_ERROR_INIT;
    int r = remove_locked(root, name, c->id, NULL, &e);
    if (r == -EBUSY || r == -ENOENT)
      continue; /* still shared with another container, or gone */
    if (r < 0)
      ret = wb_error_set(err, -e.code, "%s", e.msg);
  }
  return ret;
}

int wb_volume_prune(const char *root, bool all, char ***removed,
                    uint64_t *freed, wb_error *err)
{
  *removed = xzalloc(sizeof(char *));
  *freed = 0;
  cleanup_strv char **names = NULL;
  int r = wb_volume_list(root, &names, err);
  if (r < 0 || !names[0])
    return r;
  cleanup_close int lock = volumes_lock(root, err);
  if (lock < 0)
    return lock;
  for (char **n = names; *n; n++) {
    if (!all && !is_anonymous(root, *n))
      continue;
    uint64_t bytes = 0;
    cleanup_error wb_error e = WB_ERROR_INIT;
    r = remove_locked(root, *n, NULL, &bytes, &e);
    if (r == -EBUSY || r == -ENOENT)
      continue;
    if (r < 0)
      return wb_error_set(err, -e.code, "%s", e.msg);
    strv_push(removed, *n);
    *freed += bytes;
  }
  return 0;
}
