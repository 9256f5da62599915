/* create.c - a new image from layers already in the store. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "archive_module.h"
#include "store.h"
#include "store_internal.h"

/* The id covers exactly what makes the image: its layers, its config and
 * its creation time, encoded canonically (sorted keys, no whitespace), so
 * it is stable when the image is saved and loaded elsewhere. */
char *wb_image_digest(json_t *layers, json_t *config, const char *created,
                      wb_error *err)
{
  const struct wb_archive_ops *ar;
  if (wb_archive_get(&ar, err) < 0)
    return NULL;
  json_t *canon = json_pack("{s:O, s:O, s:s}", "layers", layers, "config",
                            config, "created", created);
  cleanup_free char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(canon);
  if (!text)
    abort(); /* out of memory */
  return ar->sha256_hex(text, strlen(text));
}

/* History of the parent image, if config_from names a stored one. */
static json_t *parent_history(const char *root, const struct wb_image *from)
{
  if (!from || !from->id || !wb_image_id_valid(from->id))
    return json_array();
  json_t *doc = NULL;
  if (wb_image_load_json(root, from->id, &doc, NULL) < 0)
    return json_array();
  json_t *h = json_object_get(doc, "history");
  json_t *copy = json_is_array(h) ? json_deep_copy(h) : json_array();
  json_decref(doc);
  return copy;
}

static int create_locked(const char *root, const char *const *layers,
                         const struct wb_image *from, const char *comment,
                         const char *tag, char **id_out, wb_error *err)
{
  cleanup_free char *norm = NULL;
  int r;
  if (tag && (r = wb_image_ref_normalize(tag, &norm, err)) < 0)
    return r;
  if (!layers || !layers[0])
    return wb_error_set(err, -EINVAL, "an image needs at least one layer");
  uint64_t total = 0;
  json_t *jlayers = json_array();
  for (const char *const *l = layers; *l; l++) {
    uint64_t size = 0;
    if (!wb_image_id_valid(*l)) {
      json_decref(jlayers);
      return wb_error_set(err, -EINVAL, "invalid layer id '%s'", *l);
    }
    r = wb_layer_size(root, *l, &size, err);
    if (r < 0) {
      json_decref(jlayers);
      return r;
    }
    total += size;
    json_array_append_new(jlayers, json_string(*l));
  }
  const char *top = layers[json_array_size(jlayers) - 1];
  json_t *config = wb_image_config_json(from);
  cleanup_free char *created = wb_now_rfc3339();
  cleanup_free char *id = wb_image_digest(jlayers, config, created, err);
  if (!id) {
    json_decref(jlayers);
    json_decref(config);
    return -ENOENT;
  }

  json_t *history = parent_history(root, from);
  json_t *entry = json_pack("{s:s, s:s, s:s}", "created", created, "created_by",
                            "", "layer", top);
  if (comment && *comment)
    json_object_set_new(entry, "comment", json_string(comment));
  json_array_append_new(history, entry);

  json_t *tags = json_array();
  if (norm)
    json_array_append_new(tags, json_string(norm));
  json_t *doc =
      json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "id", id, "created",
                created, "layers", jlayers, "tags", tags, "config", config,
                "size", (json_int_t)total, "history", history);
  /* Take the tag from its previous image first: a crash in between leaves
   * the tag on no image rather than on two. */
  if (norm && (r = wb_image_untag_all(root, norm, id, err)) < 0) {
    json_decref(doc);
    return r;
  }
  r = wb_image_store_json(root, doc, err);
  json_decref(doc);
  if (r < 0)
    return r;
  if (id_out)
    *id_out = steal_pointer(&id);
  return 0;
}

int wb_image_create(const char *root, const char *const *layers,
                    const struct wb_image *config_from, const char *comment,
                    const char *tag, char **id_out, wb_error *err)
{
  int r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  r = create_locked(root, layers, config_from, comment, tag, id_out, err);
  wb_store_unlock();
  return r;
}
