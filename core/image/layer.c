/* layer.c - layers in the store: R/layers/<id>/{diff/,layer.json}.  A layer
 * enters the store by one rename of a complete directory, and leaves it by
 * a rename into R/tmp before being deleted, so R/layers never holds a half
 * layer, even after a crash. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "store.h"
#include "store_internal.h"

int wb_layer_size(const char *root, const char *id, uint64_t *size,
                  wb_error *err)
{
  cleanup_free char *path = xasprintf("%s/layers/%s/layer.json", root, id);
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  if (!doc) {
    if (access(path, F_OK) < 0 && errno == ENOENT)
      return wb_error_set(err, -ENOENT, "layer %s is not in the store", id);
    return wb_error_set(err, -EINVAL, "%s: %s", path, je.text);
  }
  json_t *s = json_object_get(doc, "size");
  *size = json_is_integer(s) ? (uint64_t)json_integer_value(s) : 0;
  json_decref(doc);
  return 0;
}

static int tree_size_at(int dfd, uint64_t *size, wb_error *err)
{
  cleanup_dir DIR *d = fdopendir(dfd);
  if (!d) {
    int e = errno;
    close(dfd);
    return wb_error_set(err, e, "fdopendir");
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d))) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return wb_error_set(err, errno, "stat %s", de->d_name);
    if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
      *size += st.st_size;
    if (S_ISDIR(st.st_mode)) {
      int cfd = openat(dirfd(d), de->d_name,
                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (cfd < 0)
        return wb_error_set(err, errno, "open %s", de->d_name);
      int r = tree_size_at(cfd, size, err);
      if (r < 0)
        return r;
    }
  }
  if (errno)
    return wb_error_set(err, errno, "readdir");
  return 0;
}

int wb_tree_size(const char *dir, uint64_t *size, wb_error *err)
{
  *size = 0;
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", dir);
  int r = tree_size_at(fd, size, err);
  return r < 0 ? wb_error_prefix(err, "size of %s", dir) : 0;
}

int wb_layer_write_meta(const char *layer_dir, const char *id, uint64_t size,
                        wb_error *err)
{
  cleanup_free char *now = wb_now_rfc3339();
  json_t *doc = json_pack("{s:s, s:I, s:s}", "id", id, "size", (json_int_t)size,
                          "created", now);
  cleanup_free char *text =
      json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(doc);
  cleanup_free char *path = path_join(layer_dir, "layer.json");
  return write_file_atomic(path, text, strlen(text), 1, err);
}

static bool layer_stored(const char *root, const char *id)
{
  cleanup_free char *path = xasprintf("%s/layers/%s/layer.json", root, id);
  return access(path, F_OK) == 0;
}

int wb_layer_commit(const char *root, const char *layer_id,
                    const char *layer_dir_tmp, wb_error *err)
{
  if (layer_stored(root, layer_id))
    return rm_rf(layer_dir_tmp, err); /* the store never holds it twice */
  cleanup_free char *dst = xasprintf("%s/layers/%s", root, layer_id);
  /* A directory without layer.json is debris: clear it first. */
  int r = rm_rf(dst, err);
  if (r < 0)
    return r;
  if (rename(layer_dir_tmp, dst) < 0)
    return wb_error_set(err, errno, "rename %s to %s", layer_dir_tmp, dst);
  return 0;
}

int wb_layer_store_dir(const char *root, const char *tree_dir,
                       const char *layer_id, wb_error *err)
{
  if (!wb_image_id_valid(layer_id))
    return wb_error_set(err, -EINVAL, "invalid layer id '%s'", layer_id);
  int r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  if (layer_stored(root, layer_id)) {
    r = rm_rf(tree_dir, err);
    wb_store_unlock();
    return r;
  }
  cleanup_free char *tmp = xasprintf("%s/tmp/layer-XXXXXX", root);
  if (!mkdtemp(tmp)) {
    r = wb_error_set(err, errno, "mkdtemp %s", tmp);
    wb_store_unlock();
    return r;
  }
  cleanup_free char *diff = path_join(tmp, "diff");
  uint64_t size = 0;
  if (rename(tree_dir, diff) < 0) {
    r = wb_error_set(err, errno, "move %s into the layer store", tree_dir);
    rmdir(tmp);
    wb_store_unlock();
    return r;
  }
  r = wb_tree_size(diff, &size, err);
  if (r == 0)
    r = wb_layer_write_meta(tmp, layer_id, size, err);
  if (r == 0)
    r = wb_layer_commit(root, layer_id, tmp, err);
  if (r < 0) {
    /* Give the caller its tree back; the temporary directory goes. */
    if (rename(diff, tree_dir) < 0)
      rm_rf(diff, NULL);
    rm_rf(tmp, NULL);
  }
  wb_store_unlock();
  return r;
}

static bool layer_in_use(json_t **docs, const char *id)
{
  for (json_t **d = docs; *d; d++) {
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(*d, "layers"), i, l)
    {
      const char *s = json_string_value(l);
      if (s && strcmp(s, id) == 0)
        return true;
    }
  }
  return false;
}

int wb_layer_gc(const char *root, char *const *candidates, wb_error *err)
{
  json_t **docs = NULL;
  int r = wb_image_load_all(root, &docs, err);
  if (r < 0)
    return r;
  for (char *const *c = candidates; c && *c && r == 0; c++) {
    if (!wb_image_id_valid(*c) || layer_in_use(docs, *c))
      continue;
    cleanup_free char *src = xasprintf("%s/layers/%s", root, *c);
    if (access(src, F_OK) < 0)
      continue;
    cleanup_free char *tmp = xasprintf("%s/tmp/rm-XXXXXX", root);
    if (!mkdtemp(tmp)) {
      r = wb_error_set(err, errno, "mkdtemp %s", tmp);
      break;
    }
    cleanup_free char *dst = path_join(tmp, "layer");
    if (rename(src, dst) < 0) {
      r = wb_error_set(err, errno, "rename %s", src);
      rmdir(tmp);
      break;
    }
    r = rm_rf(tmp, err);
  }
  wb_json_list_free(docs);
  return r;
}
