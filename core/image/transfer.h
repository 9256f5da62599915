/* transfer.h - images in and out of the store beyond import: commit of a
 * container's changes as a new layer, history, save and load of image
 * archives (OCI layout, docker save), export of a container's files. */
#ifndef WB_IMAGE_TRANSFER_H
#define WB_IMAGE_TRANSFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../container/container.h"
#include "../context.h"
#include "../util/error.h"

/* A work directory R/tmp/<prefix>-XXXXXX, flocked through *lock_fd for as
 * long as it is in use (so a sweep of R/tmp knows its owner is alive).
 * Caller frees *path, closes *lock_fd and removes the directory. */
int wb_workdir_make(const char *root, const char *prefix, char **path,
                    int *lock_fd, wb_error *err);

/* Write the container's changes (its storage driver's diff) into the empty
 * directory layer_dir, in layer format.  With `pause`, a running container
 * is frozen (cgroup freezer) meanwhile; a cgroup driver without a freezer
 * is then an error. */
int wb_container_capture(struct wb_context *ctx, struct wb_container *c,
                         const char *layer_dir, bool pause, wb_error *err);

struct wb_commit_opts {
  const char *message;        /* history comment, or NULL */
  const char *author;         /* or NULL */
  const char *const *changes; /* Dockerfile instructions, NULL-terminated */
  const char *tag;            /* "repo[:tag]" or NULL */
  bool pause;                 /* freeze a running container meanwhile */
};

/* The container's changes (its storage driver's diff) become one new
 * layer over its image's layers, and a new image whose config is the
 * container's (Cmd, Entrypoint, Env, WorkingDir, User) with the changes
 * applied.  *id_out gets the 64-hex image id. */
int wb_image_commit(struct wb_context *ctx, struct wb_container *c,
                    const struct wb_commit_opts *o, char **id_out,
                    wb_error *err);

/* The container's file system, flattened, as a tar on out_fd (docker
 * export): its image's layers with its changes on top; volumes and the
 * runtime's own files are not part of it. */
int wb_container_export(struct wb_context *ctx, struct wb_container *c,
                        int out_fd, wb_error *err);

/* One step of an image's history (history), newest first. */
struct wb_history_entry {
  char *image_id;   /* 64-hex of a stored image of this step, or NULL */
  char *created;    /* RFC 3339 or NULL */
  char *created_by; /* or NULL */
  char *comment;    /* or NULL */
  char *author;     /* or NULL */
  bool adds_layer;
  uint64_t size; /* of the layer it added */
};
int wb_image_history(const char *root, const char *ref,
                     struct wb_history_entry **out, size_t *count,
                     wb_error *err);
void wb_history_free(struct wb_history_entry *v, size_t n);

/* Save and load are in the archive module: the core calls them through
 * wb_archive_get() (archive_module.h).
 *
 * An OCI image layout archive of the images `refs` names (NULL-terminated)
 * on out_fd.  A name reference is recorded as the image's name in the
 * archive; an id reference saves the image without a name.  The same
 * images always give the same bytes. */
int wb_image_save(const char *root, const char *const *refs, int out_fd,
                  wb_error *err);

/* Load an image archive (OCI layout or `docker save`, possibly compressed)
 * from in_fd.  *lines gets what to print, e.g. "Loaded image: repo:tag" or
 * "Loaded image ID: sha256:<id>" (NULL-terminated). */
int wb_image_load(const char *root, int in_fd, char ***lines, wb_error *err);

#endif
