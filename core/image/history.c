/* history.c - an image's history entries with the layer each one added
 * and, where one is stored, the image of that step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "store.h"
#include "store_internal.h"
#include "transfer.h"

void wb_history_free(struct wb_history_entry *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].image_id);
    free(v[i].created);
    free(v[i].created_by);
    free(v[i].comment);
    free(v[i].author);
  }
  free(v);
}

static char *dup_or_null(json_t *o, const char *key)
{
  const char *s = json_string_value(json_object_get(o, key));
  return s ? xstrdup(s) : NULL;
}

/* A stored image that is step k of `layers`: the same layers up to the
 * step's and a history ending with the same entry. */
static char *image_of_step(json_t **docs, json_t *entry, size_t k,
                           char *const *layers, size_t nlayers)
{
  const char *created = json_string_value(json_object_get(entry, "created"));
  if (!created)
    return NULL;
  for (size_t i = 0; docs[i]; i++) {
    json_t *h = json_object_get(docs[i], "history");
    json_t *l = json_object_get(docs[i], "layers");
    if (json_array_size(h) != k + 1 || json_array_size(l) != nlayers)
      continue;
    const char *c =
        json_string_value(json_object_get(json_array_get(h, k), "created"));
    if (!c || strcmp(c, created) != 0)
      continue;
    bool same = true;
    for (size_t j = 0; j < nlayers && same; j++) {
      const char *s = json_string_value(json_array_get(l, j));
      same = s && strcmp(s, layers[j]) == 0;
    }
    if (same)
      return dup_or_null(docs[i], "id");
  }
  return NULL;
}

int wb_image_history(const char *root, const char *ref,
                     struct wb_history_entry **out, size_t *count,
                     wb_error *err)
{
  cleanup_image struct wb_image *img = NULL;
  int r = wb_image_lookup(root, ref, &img, err);
  if (r < 0)
    return r;
  json_t *doc = NULL;
  r = wb_image_load_json(root, img->id, &doc, err);
  if (r < 0)
    return r;
  json_t **docs = NULL;
  r = wb_image_load_all(root, &docs, err);
  if (r < 0) {
    json_decref(doc);
    return r;
  }
  json_t *hist = json_object_get(doc, "history");
  size_t n = json_array_size(hist), nlayers = 0, total = strv_len(img->layers);
  struct wb_history_entry *v = xzalloc((n + 1) * sizeof *v);
  /* Oldest first, to know which entry added which layer; newest first in
   * the result. */
  for (size_t k = 0; k < n; k++) {
    json_t *e = json_array_get(hist, k);
    struct wb_history_entry *h = &v[n - 1 - k];
    const char *layer = json_string_value(json_object_get(e, "layer"));
    if (layer && !json_is_true(json_object_get(e, "empty_layer")) &&
        nlayers < total && strcmp(img->layers[nlayers], layer) == 0) {
      h->adds_layer = true;
      wb_layer_size(root, layer, &h->size, NULL);
      nlayers++;
    }
    h->image_id = k == n - 1 ? xstrdup(img->id)
                             : image_of_step(docs, e, k, img->layers, nlayers);
    h->created = dup_or_null(e, "created");
    h->created_by = dup_or_null(e, "created_by");
    h->comment = dup_or_null(e, "comment");
    h->author = dup_or_null(e, "author");
  }
  wb_json_list_free(docs);
  json_decref(doc);
  *out = v;
  *count = n;
  return 0;
}
