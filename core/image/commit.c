/* commit.c - a container's changes become a new image layer.
 *
 * The storage driver's diff() writes the changes (and only them) in layer
 * format into R/tmp/commit-XXXXXX/diff; the layer id is the sha256 of that
 * tree's tar stream as archive_write.c writes it (the stream save puts in
 * an archive, so the id is the layer's diff id everywhere); the tree is then
 * moved into the store by one rename.  Nothing here reads the image's
 * layers, so the cost follows the size of the change, not of the image
 * (storage-overlay copies its upper directory; storage-bind compares its
 * copy with the image, see its README). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../container/freeze.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "archive_module.h"
#include "archive_write.h"
#include "store.h"
#include "store_internal.h"
#include "transfer.h"

int wb_container_capture(struct wb_context *ctx, struct wb_container *c,
                         const char *layer_dir, bool pause, wb_error *err)
{
  struct wb_driver *storage;
  int r = wb_context_driver_named(ctx, WB_PLUGIN_STORAGE, c->storage_driver,
                                  &storage, err);
  if (r < 0)
    return r;
  const struct wb_storage_ops *ops = storage->ops;
  if (!ops->diff)
    return wb_error_set(err, -ENOTSUP,
                        "the storage driver %s cannot list a container's "
                        "changes (it has no diff operation)",
                        storage->label);
  wb_container_refresh(c);
  /* Frozen under a lease (freeze.h): thawed by us, or, if we are killed
   * meanwhile, by a watcher that outlives us. */
  struct wb_freeze_lease lease = {.frozen = false, .done = -1, .watcher = -1};
  if (pause && wb_container_running(c)) {
    r = wb_freeze_lease_take(ctx, c, &lease, err);
    if (r < 0)
      return r;
  }
  cleanup_free char *sdir = NULL, *target = NULL;
  struct wb_rootfs fs = wb_container_rootfs(ctx->root, c, &sdir, &target);
  r = ops->diff(storage->data, &fs, layer_dir, err);
  cleanup_error wb_error thaw_err = WB_ERROR_INIT;
  if (wb_freeze_lease_end(ctx, c, &lease, &thaw_err) < 0) {
    /* Never leave the container frozen silently. */
    if (r == 0)
      r = wb_error_set(err, -thaw_err.code, "%s", thaw_err.msg);
    else
      wb_log(WB_LOG_ERROR, "thaw container %s: %s", c->name, thaw_err.msg);
  }
  return r;
}

/* The store ids of the container's layers (R/layers/<id>/diff). */
static int layer_ids(const char *root, const struct wb_container *c,
                     char ***out, wb_error *err)
{
  cleanup_free char *prefix = path_join(root, "layers");
  size_t plen = strlen(prefix);
  cleanup_strv char **ids = xzalloc(sizeof(char *));
  for (char **l = c->layers; l && *l; l++) {
    const char *p = *l;
    cleanup_free char *id = NULL;
    if (strlen(p) == plen + 1 + 64 + 5 && strncmp(p, prefix, plen) == 0 &&
        p[plen] == '/' && strcmp(p + plen + 1 + 64, "/diff") == 0)
      id = xstrndup(p + plen + 1, 64);
    uint64_t size;
    if (!id || !wb_image_id_valid(id) ||
        wb_layer_size(root, id, &size, NULL) < 0)
      return wb_error_set(err, -ENOENT,
                          "container %s: layer %s is not in this image store",
                          c->name, p);
    strv_push(&ids, id);
  }
  if (!ids[0])
    return wb_error_set(err, -EINVAL, "container %s has no image layers",
                        c->name);
  *out = steal_pointer(&ids);
  return 0;
}

static bool strv_has_prefix(char **v, char **prefix, size_t *n)
{
  size_t i = 0;
  for (; prefix && prefix[i]; i++)
    if (!v || !v[i] || strcmp(v[i], prefix[i]) != 0)
      return false;
  *n = i;
  return true;
}

/* Docker commits the container's configuration.  Ours records the final
 * command line only, so the image's ENTRYPOINT is kept when the command
 * still starts with it, and Cmd is the rest. */
static void config_from_container(const struct wb_container *c,
                                  const struct wb_image *base,
                                  struct wb_image *cfg)
{
  size_t skip = 0;
  char **argv = c->argv;
  if (base && base->entrypoint &&
      strv_has_prefix(argv, base->entrypoint, &skip)) {
    cfg->entrypoint = xzalloc(sizeof(char *));
    for (char **e = base->entrypoint; *e; e++)
      strv_push(&cfg->entrypoint, *e);
  } else {
    skip = 0;
  }
  if (argv && argv[skip]) {
    cfg->cmd = xzalloc(sizeof(char *));
    for (char **a = argv + skip; *a; a++)
      strv_push(&cfg->cmd, *a);
  }
  if (c->env && c->env[0]) {
    cfg->env = xzalloc(sizeof(char *));
    for (char **e = c->env; *e; e++)
      strv_push(&cfg->env, *e);
  }
  if (c->workdir && strcmp(c->workdir, "/") != 0)
    cfg->workdir = xstrdup(c->workdir);
  else if (base && base->workdir)
    cfg->workdir = xstrdup(base->workdir);
  if (c->user && *c->user)
    cfg->user = xstrdup(c->user);
}

static char *join_words(char **v)
{
  char *s = xstrdup("");
  for (; v && *v; v++) {
    char *n = xasprintf("%s%s%s", s, *s ? " " : "", *v);
    free(s);
    s = n;
  }
  return s;
}

/* What wb_image_create cannot record: who made the entry and how. */
static int annotate(const char *root, const char *id,
                    const struct wb_container *c, const char *author,
                    wb_error *err)
{
  json_t *doc = NULL;
  int r = wb_image_load_json(root, id, &doc, err);
  if (r < 0)
    return r;
  json_t *hist = json_object_get(doc, "history");
  json_t *last = json_array_get(hist, json_array_size(hist) - 1);
  if (json_is_object(last)) {
    cleanup_free char *by = join_words(c->argv);
    json_object_set_new(last, "created_by", json_string(by));
    if (author && *author)
      json_object_set_new(last, "author", json_string(author));
  }
  if (author && *author)
    json_object_set_new(doc, "author", json_string(author));
  json_object_set_new(doc, "container", json_string(c->id));
  r = wb_image_store_json(root, doc, err);
  json_decref(doc);
  return r;
}

static int commit_in(struct wb_context *ctx, struct wb_container *c,
                     const struct wb_commit_opts *o, const char *work,
                     const struct wb_archive_ops *ar, char **id_out,
                     wb_error *err)
{
  const char *root = ctx->root;
  cleanup_strv char **layers = NULL;
  int r = layer_ids(root, c, &layers, err);
  if (r < 0)
    return r;
  cleanup_image struct wb_image *base = NULL;
  if (c->image_id) {
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    if (wb_image_lookup(root, c->image_id, &base, &ignored) < 0)
      base = NULL; /* removed: the container's own config is enough */
  }
  cleanup_image struct wb_image *cfg = xzalloc(sizeof *cfg);
  if (base)
    cfg->id = xstrdup(base->id); /* carries its history over */
  config_from_container(c, base, cfg);
  for (const char *const *ch = o->changes; ch && *ch; ch++)
    if ((r = wb_image_apply_change(cfg, *ch, err)) < 0)
      return r;
  if (o->tag) {
    cleanup_free char *norm = NULL;
    if ((r = wb_image_ref_normalize(o->tag, &norm, err)) < 0)
      return r;
  }

  cleanup_free char *diff = path_join(work, "diff");
  if (mkdir(diff, 0755) < 0)
    return wb_error_set(err, errno, "mkdir %s", diff);
  r = wb_container_capture(ctx, c, diff, o->pause, err);
  if (r < 0)
    return r;
  cleanup_free char *layer_id = NULL;
  uint64_t tar_size = 0;
  const char *dirs[] = {diff};
  r = ar->tar_dirs(dirs, 1, WB_TAR_LAYER, NULL, NULL, &layer_id, &tar_size,
                   err);
  if (r < 0)
    return r;

  /* Held from storing the layer until an image uses it, so no concurrent
   * rmi collects it in between. */
  r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  r = wb_layer_store_dir(root, diff, layer_id, err);
  if (r == 0)
    wb_layer_tar_remember(root, layer_id, layer_id, tar_size);
  if (r == 0) {
    strv_push(&layers, layer_id);
    cleanup_free char *id = NULL;
    r = wb_image_create(root, (const char *const *)layers, cfg, o->message,
                        o->tag, &id, err);
    if (r == 0)
      r = annotate(root, id, c, o->author, err);
    if (r == 0 && id_out)
      *id_out = steal_pointer(&id);
    if (r < 0) {
      char *cand[] = {layer_id, NULL};
      wb_layer_gc(root, cand, NULL);
    }
  }
  wb_store_unlock();
  return r;
}

int wb_image_commit(struct wb_context *ctx, struct wb_container *c,
                    const struct wb_commit_opts *o, char **id_out,
                    wb_error *err)
{
  /* Before any work: the layer id is a sha256 of its tar stream. */
  const struct wb_archive_ops *ar;
  int r = wb_archive_get(&ar, err);
  if (r < 0)
    return r;
  cleanup_free char *work = NULL;
  cleanup_close int lock = -1;
  r = wb_workdir_make(ctx->root, "commit", &work, &lock, err);
  if (r < 0)
    return r;
  r = commit_in(ctx, c, o, work, ar, id_out, err);
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (rm_rf(work, &e) < 0 && r == 0)
    wb_log(WB_LOG_WARN, "commit: %s", e.msg);
  return r;
}

int wb_container_export(struct wb_context *ctx, struct wb_container *c,
                        int out_fd, wb_error *err)
{
  const struct wb_archive_ops *ar;
  int r = wb_archive_get(&ar, err);
  if (r < 0)
    return r;
  cleanup_free char *work = NULL;
  cleanup_close int lock = -1;
  r = wb_workdir_make(ctx->root, "export", &work, &lock, err);
  if (r < 0)
    return r;
  cleanup_free char *diff = path_join(work, "diff");
  if (mkdir(diff, 0755) < 0)
    r = wb_error_set(err, errno, "mkdir %s", diff);
  /* Like docker export, a running container is not paused. */
  if (r == 0)
    r = wb_container_capture(ctx, c, diff, false, err);
  if (r == 0) {
    size_t n = strv_len(c->layers);
    const char **dirs = xzalloc((n + 2) * sizeof *dirs);
    for (size_t i = 0; i < n; i++)
      dirs[i] = c->layers[i];
    dirs[n] = diff;
    r = ar->tar_dirs(dirs, n + 1, WB_TAR_MERGE, wb_tar_sink_fd, &out_fd, NULL,
                     NULL, err);
    free(dirs);
  }
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (rm_rf(work, &e) < 0 && r == 0)
    wb_log(WB_LOG_WARN, "export: %s", e.msg);
  return r;
}
