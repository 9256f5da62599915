/* store.h - the image store: images are ordered lists of read-only layers
 * plus metadata, under the state root R:
 *
 *   R/layers/<layer-id>/diff/      the layer tree, overlayfs format
 *                                  (whiteout = 0:0 char device, opaque dir =
 *                                  xattr trusted.overlay.opaque="y")
 *   R/layers/<layer-id>/layer.json {"id","size","created"}
 *   R/images/<image-id>.json       {"id","created","layers","tags","config",
 *                                   "size","history"}
 *   R/store.lock                   flock: exclusive for writers
 *   R/tmp/                         work directories (imports, removals)
 *
 * A layer id is the sha256 (hex) of the layer's uncompressed tar stream, so
 * the same layer is stored once.  An image id is the sha256 of the canonical
 * JSON of {layers, config, created}.  Every file is replaced atomically
 * (temporary + rename) under the lock; readers take no lock.
 *
 * References: "repo[:tag]" (repo lowercase [a-z0-9._/-], tag defaults to
 * "latest"), a full id, "sha256:<id>", or a unique id prefix.  A tag belongs
 * to at most one image. */
#ifndef WB_IMAGE_STORE_H
#define WB_IMAGE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"

struct wb_image {
  char *id;      /* 64-hex */
  char **layers; /* layer ids, bottom first, NULL-terminated */
  char **tags;   /* "repo:tag", NULL-terminated, maybe empty */
  char **cmd, **entrypoint, **env; /* NULL when unset */
  char *workdir, *user;            /* NULL when unset */
  char *created;                   /* RFC 3339 */
  uint64_t size;
};

/* Find an image by reference.  Not found: -ENOENT with message
 * "unable to find image '<ref>'" (the name normalised, e.g. 'x:latest').
 * Ambiguous id prefix or invalid reference: -EINVAL. */
int wb_image_lookup(const char *root, const char *ref, struct wb_image **out,
                    wb_error *err);
/* Absolute diff dir of a layer: <root>/layers/<id>/diff (caller frees). */
char *wb_layer_path(const char *root, const char *layer_id);
void wb_image_free(struct wb_image *img);
static inline void wb_image_freep(struct wb_image **p)
{
  if (*p)
    wb_image_free(*p);
}
#define cleanup_image __attribute__((cleanup(wb_image_freep)))

/* Create an image from layers already in the store (import, commit).
 * config_from (may be NULL) gives Cmd/Entrypoint/Env/WorkingDir/User; when
 * its id is set and names a stored image, that image's history is carried
 * over.  comment goes into the new history entry; tag ("repo[:tag]", may be
 * NULL) is moved onto the new image.  *id_out (may be NULL) gets the 64-hex
 * id, caller frees. */
int wb_image_create(const char *root, const char *const *layers,
                    const struct wb_image *config_from, const char *comment,
                    const char *tag, char **id_out, wb_error *err);
/* Add a layer from a finished directory tree, moved (renamed, same file
 * system) into the store; when the layer is already stored the tree is
 * removed instead.  layer_id is the 64-hex diff id. */
int wb_layer_store_dir(const char *root, const char *tree_dir,
                       const char *layer_id, wb_error *err);

/* Every image, newest first.  *out is NULL-terminated; free with
 * wb_image_list_free. */
int wb_image_list(const char *root, struct wb_image ***out, wb_error *err);
void wb_image_list_free(struct wb_image **list);

/* The stored JSON document of image `id` (64-hex), for inspect, history,
 * save.  Caller json_decref()s. */
int wb_image_load_json(const char *root, const char *id, json_t **out,
                       wb_error *err);

/* Point tag `target` ("repo[:tag]") at the image `source` refers to,
 * taking it from any other image. */
int wb_image_tag(const char *root, const char *source, const char *target,
                 wb_error *err);

/* rmi.  A "repo:tag" reference removes that tag, and the image with its
 * last tag; an id (or prefix) removes the image and all its tags.  An image
 * used by a container (R/containers/<cid>/state.json "ImageID") is refused
 * with -EBUSY unless force, in which case only its tags are removed and the
 * image stays (untagged) for the container.  Layers no other image uses are
 * deleted.  *untagged gets the tags removed (NULL-terminated, may be empty),
 * *deleted the 64-hex id when the image itself went (else NULL). */
int wb_image_remove(const char *root, const char *ref, bool force,
                    char ***untagged, char **deleted, wb_error *err);

/* Ids of the containers whose state.json names image `id` (NULL-terminated,
 * may be empty). */
int wb_image_containers(const char *root, const char *id, char ***cids,
                        wb_error *err);

/* References.  Split "repo[:tag]" into its parts (tag defaults to
 * "latest"); -EINVAL with a message when invalid. */
int wb_image_ref_parse(const char *ref, char **repo, char **tag, wb_error *err);
/* "repo:tag" form of a name reference. */
int wb_image_ref_normalize(const char *ref, char **out, wb_error *err);
/* s is exactly 64 lowercase hex digits. */
bool wb_image_id_valid(const char *s);

/* Apply one Dockerfile-style change ("CMD [...]", "CMD sh form",
 * "ENTRYPOINT ...", "ENV K=V ...", "WORKDIR /x", "USER u") to the config
 * fields of img.  Unknown instruction: -EINVAL. */
int wb_image_apply_change(struct wb_image *img, const char *change,
                          wb_error *err);

/* The store lock (R/store.lock, exclusive flock).  Re-entrant within the
 * process: nested lock/unlock pairs are counted.  Hold it across
 * wb_layer_store_dir + wb_image_create so no concurrent rmi collects the
 * fresh layer in between. */
int wb_store_lock(const char *root, wb_error *err);
void wb_store_unlock(void);

/* import: a root-filesystem tarball (plain, gzip, xz, zstd, bzip2, lz4)
 * from a file or "-" (stdin) becomes a one-layer image.  In the archive
 * module: the core calls wb_archive_get()->image_import. */
struct wb_import_opts {
  const char *source;         /* path or "-" */
  const char *tag;            /* "repo[:tag]" or NULL */
  const char *const *changes; /* NULL-terminated or NULL */
  const char *message;        /* history comment or NULL */
  bool progress;              /* "Importing: N MB" line on stderr */
};
int wb_image_import(const char *root, const struct wb_import_opts *opts,
                    char **id_out, wb_error *err);

/* Docker-style human formats: "4.27MB" (decimal units) and
 * "5 minutes ago". */
char *wb_human_size(uint64_t size);
char *wb_human_since(const char *rfc3339);

#endif
