/* tag.c - tags and image removal (tag, rmi). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../container/container.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "store.h"
#include "store_internal.h"

/* Remove `tag` from doc's tags; true when it was there. */
static bool doc_drop_tag(json_t *doc, const char *tag)
{
  json_t *tags = json_object_get(doc, "tags");
  bool dropped = false;
  for (size_t i = 0; i < json_array_size(tags);) {
    const char *t = json_string_value(json_array_get(tags, i));
    if (t && strcmp(t, tag) == 0) {
      json_array_remove(tags, i);
      dropped = true;
    } else {
      i++;
    }
  }
  return dropped;
}

int wb_image_untag_all(const char *root, const char *tag, const char *except_id,
                       wb_error *err)
{
  json_t **docs = NULL;
  int r = wb_image_load_all(root, &docs, err);
  if (r < 0)
    return r;
  for (json_t **d = docs; *d && r == 0; d++) {
    const char *id = json_string_value(json_object_get(*d, "id"));
    if (except_id && strcmp(id, except_id) == 0)
      continue;
    if (doc_drop_tag(*d, tag))
      r = wb_image_store_json(root, *d, err);
  }
  wb_json_list_free(docs);
  return r;
}

int wb_image_tag(const char *root, const char *source, const char *target,
                 wb_error *err)
{
  cleanup_free char *norm = NULL;
  int r = wb_image_ref_normalize(target, &norm, err);
  if (r < 0)
    return r;
  r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  cleanup_image struct wb_image *img = NULL;
  json_t *doc = NULL;
  r = wb_image_lookup(root, source, &img, err);
  if (r == 0)
    r = wb_image_untag_all(root, norm, img->id, err);
  if (r == 0)
    r = wb_image_load_json(root, img->id, &doc, err);
  if (r == 0) {
    json_t *tags = json_object_get(doc, "tags");
    if (!json_is_array(tags)) {
      tags = json_array();
      json_object_set_new(doc, "tags", tags);
    }
    doc_drop_tag(doc, norm);
    json_array_append_new(tags, json_string(norm));
    r = wb_image_store_json(root, doc, err);
  }
  json_decref(doc);
  wb_store_unlock();
  return r;
}

static bool state_names_image(const char *path, const char *id)
{
  json_t *doc = wb_container_state_json(path);
  if (!doc)
    return false;
  const char *s = json_string_value(json_object_get(doc, "ImageID"));
  bool yes = s && (strcmp(s, id) == 0 ||
                   (strncmp(s, "sha256:", 7) == 0 && strcmp(s + 7, id) == 0));
  json_decref(doc);
  return yes;
}

int wb_image_containers(const char *root, const char *id, char ***cids,
                        wb_error *err)
{
  cleanup_strv char **dirs = NULL;
  int r = wb_container_list_dirs(root, &dirs, err);
  if (r < 0)
    return r;
  char **v = xzalloc(sizeof *v);
  for (char **p = dirs; *p; p++) {
    cleanup_free char *state = path_join(*p, "state.json");
    if (state_names_image(state, id))
      strv_push(&v, strrchr(*p, '/') + 1);
  }
  *cids = v;
  return 0;
}

static int remove_locked(const char *root, const char *ref, bool force,
                         char ***untagged, char **deleted, wb_error *err)
{
  cleanup_image struct wb_image *img = NULL;
  int r = wb_image_lookup(root, ref, &img, err);
  if (r < 0)
    return r;
  /* Named by a tag it carries, or by its id? */
  cleanup_free char *name = NULL;
  bool by_tag = false;
  if (strncmp(ref, "sha256:", 7) != 0 &&
      wb_image_ref_normalize(ref, &name, NULL) == 0)
    for (char **t = img->tags; *t; t++)
      if (strcmp(*t, name) == 0)
        by_tag = true;

  json_t *doc = NULL;
  r = wb_image_load_json(root, img->id, &doc, err);
  if (r < 0)
    return r;
  if (by_tag && strv_len(img->tags) > 1) {
    /* Other tags remain: only this one goes. */
    doc_drop_tag(doc, name);
    r = wb_image_store_json(root, doc, err);
    json_decref(doc);
    if (r == 0)
      strv_push(untagged, name);
    return r;
  }
  cleanup_strv char **users = NULL;
  r = wb_image_containers(root, img->id, &users, err);
  if (r < 0) {
    json_decref(doc);
    return r;
  }
  if (users[0] && !force) {
    json_decref(doc);
    return wb_error_set(err, -EBUSY,
                        "unable to remove image %s: image is used by "
                        "container %.12s",
                        ref, users[0]);
  }
  for (char **t = img->tags; *t; t++)
    strv_push(untagged, *t);
  if (users[0]) {
    /* -f on an image a container still runs from: the tags go, the image
     * stays (untagged) so the container keeps its layers. */
    json_object_set_new(doc, "tags", json_array());
    r = wb_image_store_json(root, doc, err);
    json_decref(doc);
    return r;
  }
  json_decref(doc);
  cleanup_free char *path = xasprintf("%s/images/%s.json", root, img->id);
  if (unlink(path) < 0)
    return wb_error_set(err, errno, "remove %s", path);
  *deleted = xstrdup(img->id);
  return wb_layer_gc(root, img->layers, err);
}

int wb_image_remove(const char *root, const char *ref, bool force,
                    char ***untagged, char **deleted, wb_error *err)
{
  *untagged = xzalloc(sizeof(char *));
  *deleted = NULL;
  int r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  r = remove_locked(root, ref, force, untagged, deleted, err);
  wb_store_unlock();
  return r;
}
