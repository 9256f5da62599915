/* store_internal.h - helpers shared by the image store's files; not for use
 * outside core/image/. */
#ifndef WB_IMAGE_STORE_INTERNAL_H
#define WB_IMAGE_STORE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/timefmt.h"
#include "store.h"

/* Create R, R/images, R/layers, R/tmp (0700) when missing. */
int wb_store_mkdirs(const char *root, wb_error *err);

/* Remove the work directories that killed commands left in R/tmp (once
 * per process and root; see workdir.c).  Called by every command that
 * touches the store: wb_store_lock() and wb_image_load_all(). */
void wb_store_sweep_tmp(const char *root);
/* The store lock without waiting: 1 taken (release with
 * wb_store_unlock), 0 held by another process. */
int wb_store_trylock(const char *root);
/* Does this process hold the store lock? */
bool wb_store_lock_held(void);

/* s is 1..64 lowercase hex digits. */
bool wb_is_hex(const char *s, size_t min, size_t max);

/* sha256 of data, as 64 lowercase hex digits (caller frees).  In the
 * archive module (digest.c); the core calls wb_archive_get()->sha256_hex. */
char *wb_sha256_hex(const void *data, size_t len);

/* Parse a stored image document. */
int wb_image_from_json(json_t *doc, struct wb_image **out, wb_error *err);
/* The "config" object of an image's fields (Cmd, Entrypoint, Env,
 * WorkingDir, User). */
json_t *wb_image_config_json(const struct wb_image *img);
/* Write R/images/<id>.json atomically (caller holds the lock). */
int wb_image_store_json(const char *root, json_t *doc, wb_error *err);

/* Every stored image document (NULL-terminated array of json_t *, caller
 * frees with wb_json_list_free). */
int wb_image_load_all(const char *root, json_t ***out, wb_error *err);
void wb_json_list_free(json_t **list);

/* Size recorded in R/layers/<id>/layer.json; -ENOENT when the layer is not
 * stored. */
int wb_layer_size(const char *root, const char *id, uint64_t *size,
                  wb_error *err);
/* Sum of the sizes of the files in a tree (regular files and symlinks), not
 * following symlinks. */
int wb_tree_size(const char *dir, uint64_t *size, wb_error *err);
/* Write <layer_dir>/layer.json. */
int wb_layer_write_meta(const char *layer_dir, const char *id, uint64_t size,
                        wb_error *err);
/* Move directory `tree` to R/layers/<id>/diff unless the layer is stored
 * already (then tree is removed).  Caller holds the lock.  layer_dir_tmp,
 * when not NULL, is a complete "<tmp>/" directory holding diff/ and
 * layer.json to rename as a whole. */
int wb_layer_commit(const char *root, const char *layer_id,
                    const char *layer_dir_tmp, wb_error *err);
/* Delete the layers among `candidates` that no stored image references
 * (caller holds the lock). */
int wb_layer_gc(const char *root, char *const *candidates, wb_error *err);

/* Remove tag (normalised "repo:tag") from every image but except_id (may
 * be NULL).  Caller holds the lock. */
int wb_image_untag_all(const char *root, const char *tag, const char *except_id,
                       wb_error *err);

/* Turn a tar entry path into a list of safe components (no "..", not
 * absolute, "./" and empty parts dropped).  Returns the number of
 * components (0 = the root itself) or -EINVAL. */
int wb_entry_components(const char *path, char ***out);

/* The image id: sha256 of {layers, config, created} as canonical JSON
 * (sorted keys, no whitespace), stable across save and load.  NULL with
 * err set when the archive module (which hashes) cannot be loaded. */
char *wb_image_digest(json_t *layers, json_t *config, const char *created,
                      wb_error *err);

#endif
