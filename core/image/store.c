/* store.c - the image store's files: lock, directories, reading and writing
 * image documents, listing and lookup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "../util/xalloc.h"
#include "store.h"
#include "store_internal.h"

/* ---- lock and directories ---- */

static int lock_fd = -1;
static int lock_depth;

/* 1 when made now, 0 when it was there. */
static int mkdir_0700(const char *path, wb_error *err)
{
  if (mkdir(path, 0700) == 0)
    return 1;
  if (errno != EEXIST)
    return wb_error_set(err, errno, "mkdir %s", path);
  return 0;
}

int wb_store_mkdirs(const char *root, wb_error *err)
{
  struct stat st;
  if (stat(root, &st) < 0) {
    if (errno != ENOENT)
      return wb_error_set(err, errno, "stat %s", root);
    int r = mkdir_p(root, 0700, err);
    if (r < 0)
      return r;
  }
  static const char *const subdirs[] = {"images", "layers", "tmp"};
  for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
    cleanup_free char *p = path_join(root, subdirs[i]);
    int r = mkdir_0700(p, err);
    if (r < 0)
      return r;
    /* An import writes a layer's thousands of inodes below tmp/ (then
     * renames it into layers/): in a block group of its own.  A root made
     * before this was done gets it at its next runroot mount. */
    if (r == 1 && strcmp(subdirs[i], "tmp") == 0)
      mark_spread_subdirs(p);
  }
  return 0;
}

int wb_store_lock(const char *root, wb_error *err)
{
  if (lock_depth > 0) {
    lock_depth++;
    return 0;
  }
  wb_store_sweep_tmp(root);
  int r = wb_store_mkdirs(root, err);
  if (r < 0)
    return r;
  cleanup_free char *path = path_join(root, "store.lock");
  cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return wb_error_set(err, errno, "lock %s", path);
  lock_fd = steal_fd(&fd);
  lock_depth = 1;
  return 0;
}

int wb_store_trylock(const char *root)
{
  if (lock_depth > 0) {
    lock_depth++;
    return 1;
  }
  cleanup_free char *path = path_join(root, "store.lock");
  cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
    return 0;
  lock_fd = steal_fd(&fd);
  lock_depth = 1;
  return 1;
}

bool wb_store_lock_held(void)
{
  return lock_depth > 0;
}

void wb_store_unlock(void)
{
  if (lock_depth == 0)
    return;
  if (--lock_depth == 0) {
    close(lock_fd); /* releases the flock */
    lock_fd = -1;
  }
}

/* ---- small helpers ---- */

char *wb_layer_path(const char *root, const char *layer_id)
{
  return xasprintf("%s/layers/%s/diff", root, layer_id);
}

/* ---- image documents ---- */

void wb_image_free(struct wb_image *img)
{
  if (!img)
    return;
  free(img->id);
  strv_free(img->layers);
  strv_free(img->tags);
  strv_free(img->cmd);
  strv_free(img->entrypoint);
  strv_free(img->env);
  free(img->workdir);
  free(img->user);
  free(img->created);
  free(img);
}

void wb_image_list_free(struct wb_image **list)
{
  if (!list)
    return;
  for (struct wb_image **p = list; *p; p++)
    wb_image_free(*p);
  free(list);
}

void wb_json_list_free(json_t **list)
{
  if (!list)
    return;
  for (json_t **p = list; *p; p++)
    json_decref(*p);
  free(list);
}

/* A JSON array of strings as a strv; NULL for null/missing. */
static int strv_from_json(json_t *arr, const char *what, char ***out,
                          wb_error *err)
{
  *out = NULL;
  if (!arr || json_is_null(arr))
    return 0;
  if (!json_is_array(arr))
    return wb_error_set(err, -EINVAL, "image: %s is not an array", what);
  char **v = xzalloc(sizeof *v);
  size_t i;
  json_t *s;
  json_array_foreach(arr, i, s)
  {
    if (!json_is_string(s)) {
      strv_free(v);
      return wb_error_set(err, -EINVAL, "image: %s[%zu] is not a string", what,
                          i);
    }
    strv_push(&v, json_string_value(s));
  }
  *out = v;
  return 0;
}

static char *opt_string(json_t *o, const char *key)
{
  const char *s = json_string_value(json_object_get(o, key));
  return s && *s ? xstrdup(s) : NULL;
}

int wb_image_from_json(json_t *doc, struct wb_image **out, wb_error *err)
{
  const char *id = json_string_value(json_object_get(doc, "id"));
  if (!wb_image_id_valid(id))
    return wb_error_set(err, -EINVAL, "image document without a valid id");
  cleanup_image struct wb_image *img = xzalloc(sizeof *img);
  img->id = xstrdup(id);
  img->created = opt_string(doc, "created");
  if (!img->created)
    img->created = xstrdup("1970-01-01T00:00:00Z");
  json_t *sz = json_object_get(doc, "size");
  img->size = json_is_integer(sz) ? (uint64_t)json_integer_value(sz) : 0;
  int r = strv_from_json(json_object_get(doc, "layers"), "layers", &img->layers,
                         err);
  if (r < 0)
    return wb_error_prefix(err, "image %s", id);
  if (!img->layers)
    img->layers = xzalloc(sizeof(char *));
  for (char **l = img->layers; *l; l++)
    if (!wb_image_id_valid(*l))
      return wb_error_set(err, -EINVAL, "image %s: bad layer id '%s'", id, *l);
  r = strv_from_json(json_object_get(doc, "tags"), "tags", &img->tags, err);
  if (r < 0)
    return wb_error_prefix(err, "image %s", id);
  if (!img->tags)
    img->tags = xzalloc(sizeof(char *));
  json_t *cfg = json_object_get(doc, "config");
  if (cfg && (r = strv_from_json(json_object_get(cfg, "Cmd"), "Cmd", &img->cmd,
                                 err)) < 0)
    return wb_error_prefix(err, "image %s", id);
  if (cfg && (r = strv_from_json(json_object_get(cfg, "Entrypoint"),
                                 "Entrypoint", &img->entrypoint, err)) < 0)
    return wb_error_prefix(err, "image %s", id);
  if (cfg && (r = strv_from_json(json_object_get(cfg, "Env"), "Env", &img->env,
                                 err)) < 0)
    return wb_error_prefix(err, "image %s", id);
  if (img->env && !img->env[0]) {
    strv_free(img->env);
    img->env = NULL;
  }
  if (cfg) {
    img->workdir = opt_string(cfg, "WorkingDir");
    img->user = opt_string(cfg, "User");
  }
  *out = steal_pointer(&img);
  return 0;
}

static json_t *strv_to_json(char *const *v)
{
  if (!v)
    return json_null();
  json_t *a = json_array();
  for (; *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

json_t *wb_image_config_json(const struct wb_image *img)
{
  json_t *env = img && img->env ? strv_to_json(img->env) : json_array();
  return json_pack("{s:o, s:o, s:o, s:s, s:s}", "Cmd",
                   strv_to_json(img ? img->cmd : NULL), "Entrypoint",
                   strv_to_json(img ? img->entrypoint : NULL), "Env", env,
                   "WorkingDir", img && img->workdir ? img->workdir : "",
                   "User", img && img->user ? img->user : "");
}

int wb_image_store_json(const char *root, json_t *doc, wb_error *err)
{
  const char *id = json_string_value(json_object_get(doc, "id"));
  cleanup_free char *text =
      json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  if (!text)
    return wb_error_set(err, ENOMEM, "image %s: encode", id);
  cleanup_free char *path = xasprintf("%s/images/%s.json", root, id);
  return write_file_atomic(path, text, strlen(text), 1, err);
}

int wb_image_load_json(const char *root, const char *id, json_t **out,
                       wb_error *err)
{
  if (!wb_image_id_valid(id))
    return wb_error_set(err, -EINVAL, "invalid image id '%s'", id);
  cleanup_free char *path = xasprintf("%s/images/%s.json", root, id);
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  if (!doc) {
    if (access(path, F_OK) < 0 && errno == ENOENT)
      return wb_error_set(err, -ENOENT, "unable to find image '%s'", id);
    return wb_error_set(err, -EINVAL, "%s: %s (line %d)", path, je.text,
                        je.line);
  }
  const char *doc_id = json_string_value(json_object_get(doc, "id"));
  if (!json_is_object(doc) || !doc_id || strcmp(doc_id, id) != 0) {
    json_decref(doc);
    return wb_error_set(err, -EINVAL, "%s: not an image document for %s", path,
                        id);
  }
  *out = doc;
  return 0;
}

static bool is_image_file(const char *name)
{
  size_t n = strlen(name);
  if (n != 64 + 5 || strcmp(name + 64, ".json") != 0)
    return false;
  cleanup_free char *id = xstrndup(name, 64);
  return wb_image_id_valid(id);
}

int wb_image_load_all(const char *root, json_t ***out, wb_error *err)
{
  /* Every command that reads the store passes here: it removes what a
   * killed import or commit left. */
  wb_store_sweep_tmp(root);
  cleanup_free char *dir = path_join(root, "images");
  json_t **list = xzalloc(sizeof *list);
  size_t n = 0;
  cleanup_dir DIR *d = opendir(dir);
  if (!d) {
    if (errno == ENOENT) {
      *out = list;
      return 0;
    }
    free(list);
    return wb_error_set(err, errno, "open %s", dir);
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    if (!is_image_file(de->d_name))
      continue;
    cleanup_free char *id = xstrndup(de->d_name, 64);
    json_t *doc = NULL;
    cleanup_error wb_error e = WB_ERROR_INIT;
    int r = wb_image_load_json(root, id, &doc, &e);
    if (r == -ENOENT)
      continue; /* removed meanwhile */
    if (r < 0) {
      wb_json_list_free(list);
      return wb_error_set(err, -e.code, "%s", e.msg);
    }
    list = xrealloc(list, (n + 2) * sizeof *list);
    list[n++] = doc;
    list[n] = NULL;
  }
  if (errno) {
    int e = errno;
    wb_json_list_free(list);
    return wb_error_set(err, e, "read %s", dir);
  }
  *out = list;
  return 0;
}

static int cmp_newest_first(const void *a, const void *b)
{
  const struct wb_image *x = *(struct wb_image *const *)a;
  const struct wb_image *y = *(struct wb_image *const *)b;
  int c = strcmp(y->created, x->created);
  return c ? c : strcmp(x->id, y->id);
}

int wb_image_list(const char *root, struct wb_image ***out, wb_error *err)
{
  json_t **docs = NULL;
  int r = wb_image_load_all(root, &docs, err);
  if (r < 0)
    return r;
  size_t n = 0;
  while (docs[n])
    n++;
  struct wb_image **list = xzalloc((n + 1) * sizeof *list);
  for (size_t i = 0; i < n; i++) {
    r = wb_image_from_json(docs[i], &list[i], err);
    if (r < 0) {
      wb_image_list_free(list);
      wb_json_list_free(docs);
      return r;
    }
  }
  wb_json_list_free(docs);
  qsort(list, n, sizeof *list, cmp_newest_first);
  *out = list;
  return 0;
}

static bool has_tag(const struct wb_image *img, const char *tag)
{
  for (char **t = img->tags; t && *t; t++)
    if (strcmp(*t, tag) == 0)
      return true;
  return false;
}

/* Unique image whose id starts with prefix: 1 found, 0 none, or -EINVAL
 * when ambiguous. */
static int find_by_prefix(struct wb_image **list, const char *prefix,
                          struct wb_image **found, wb_error *err)
{
  *found = NULL;
  size_t len = strlen(prefix);
  for (struct wb_image **p = list; *p; p++) {
    if (strncmp((*p)->id, prefix, len) != 0)
      continue;
    if (*found)
      return wb_error_set(err, -EINVAL,
                          "image id prefix '%s' is ambiguous: it matches "
                          "%.12s and %.12s",
                          prefix, (*found)->id, (*p)->id);
    *found = *p;
  }
  return *found ? 1 : 0;
}

int wb_image_lookup(const char *root, const char *ref, struct wb_image **out,
                    wb_error *err)
{
  if (!ref || !*ref)
    return wb_error_set(err, -EINVAL, "empty image reference");
  struct wb_image **list = NULL;
  int r = wb_image_list(root, &list, err);
  if (r < 0)
    return r;
  struct wb_image *found = NULL;
  cleanup_free char *name = NULL;
  const char *hex = NULL;
  if (strncmp(ref, "sha256:", 7) == 0) {
    hex = ref + 7;
    if (!wb_is_hex(hex, 1, 64)) {
      wb_image_list_free(list);
      return wb_error_set(
          err, -EINVAL, "invalid reference format '%s': not a sha256 id", ref);
    }
  } else {
    cleanup_error wb_error perr = WB_ERROR_INIT;
    if (wb_image_ref_normalize(ref, &name, &perr) == 0) {
      for (struct wb_image **p = list; *p && !found; p++)
        if (has_tag(*p, name))
          found = *p;
    }
    if (wb_is_hex(ref, 1, 64))
      hex = ref;
    else if (!name) {
      wb_image_list_free(list);
      return wb_error_set(err, -EINVAL, "%s", perr.msg);
    }
  }
  if (!found && hex) {
    r = find_by_prefix(list, hex, &found, err);
    if (r < 0) {
      wb_image_list_free(list);
      return r;
    }
  }
  if (!found) {
    wb_image_list_free(list);
    return wb_error_set(err, -ENOENT, "unable to find image '%s'",
                        name ? name : ref);
  }
  /* Take it out of the list so freeing the list keeps it. */
  size_t n = 0, at = 0;
  for (; list[n]; n++)
    if (list[n] == found)
      at = n;
  list[at] = list[n - 1];
  list[n - 1] = NULL;
  wb_image_list_free(list);
  *out = found;
  return 0;
}
