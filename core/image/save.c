/* save.c - images as an OCI image layout archive.
 *
 *   oci-layout                  {"imageLayoutVersion":"1.0.0"}
 *   blobs/sha256/<digest>       layers (uncompressed tar, .wh. whiteouts),
 *                               image configs, manifests
 *   index.json                  one manifest per saved name, annotated with
 *                               io.containerd.image.name (repo:tag) and
 *                               org.opencontainers.image.ref.name (tag)
 *   manifest.json               the same as `docker save` lists it, for
 *                               tools that only read that format
 *
 * Everything is a function of the stored images: JSON with sorted keys and
 * no whitespace, archive entries in a fixed order with fixed owners, modes
 * and times, layers written by archive_write.c.  Saving the same images
 * twice gives the same bytes, also after a load in between.
 *
 * A layer's size must be in its tar header before its data, so each layer
 * is written twice: once to learn its digest and size, once into the
 * archive (checked against the first). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "archive_write.h"
#include "store.h"
#include "store_internal.h"
#include "transfer.h"

#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_LAYER "application/vnd.oci.image.layer.v1.tar"

struct blob_layer {
  char *id;     /* store layer id */
  char *digest; /* 64-hex of the tar written from it */
  uint64_t size;
};

struct saved_image {
  struct wb_image *img;
  json_t *doc;
  char *config; /* canonical JSON */
  char *config_digest;
  char *manifest; /* canonical JSON */
  char *manifest_digest;
  size_t *layers; /* indexes into the save's layer list */
  size_t nlayers;
};

struct save {
  const char *root;
  struct blob_layer *layers;
  size_t nlayers;
  struct saved_image *images;
  size_t nimages;
  json_t *index_entries; /* (image index, name or null) pairs */
};

static const char *go_arch(void)
{
  static struct utsname u;
  if (uname(&u) < 0)
    return "unknown";
  if (strcmp(u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp(u.machine, "aarch64") == 0)
    return "arm64";
  if (strncmp(u.machine, "armv7", 5) == 0)
    return "arm";
  if (strcmp(u.machine, "i686") == 0 || strcmp(u.machine, "i386") == 0)
    return "386";
  return u.machine;
}

static char *canonical(json_t *j)
{
  char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
  if (!s)
    abort(); /* out of memory */
  return s;
}

/* The layer's index in the save, computing its tar digest once. */
static int layer_index(struct save *s, const char *id, size_t *out,
                       wb_error *err)
{
  for (size_t i = 0; i < s->nlayers; i++)
    if (strcmp(s->layers[i].id, id) == 0) {
      *out = i;
      return 0;
    }
  cleanup_free char *dir = wb_layer_path(s->root, id);
  struct blob_layer l = {xstrdup(id), NULL, 0};
  /* Known from an earlier save or the commit that made it?  (Checked
   * again when the layer is written.) */
  if (wb_layer_tar_cached(s->root, id, &l.digest, &l.size) < 0) {
    int r = wb_tar_layer_digest(dir, &l.digest, &l.size, err);
    if (r < 0) {
      free(l.id);
      return wb_error_prefix(err, "layer %.12s", id);
    }
    wb_layer_tar_remember(s->root, id, l.digest, l.size);
  }
  s->layers = xrealloc(s->layers, (s->nlayers + 1) * sizeof *s->layers);
  s->layers[s->nlayers] = l;
  *out = s->nlayers++;
  return 0;
}

static void copy_field(json_t *dst, const char *dkey, json_t *src,
                       const char *skey)
{
  json_t *v = json_object_get(src, skey);
  if (json_is_string(v) && !*json_string_value(v))
    return;
  if (v && !json_is_null(v))
    json_object_set(dst, dkey, v);
}

/* The store's history as OCI history: an entry adds a layer when it names
 * the next layer of the image; every layer gets an entry. */
static json_t *oci_history(json_t *doc, char **layers)
{
  json_t *out = json_array();
  size_t next = 0, n = strv_len(layers);
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(doc, "history"), i, e)
  {
    json_t *h = json_object();
    copy_field(h, "created", e, "created");
    copy_field(h, "created_by", e, "created_by");
    copy_field(h, "author", e, "author");
    copy_field(h, "comment", e, "comment");
    const char *layer = json_string_value(json_object_get(e, "layer"));
    if (layer && next < n && strcmp(layer, layers[next]) == 0 &&
        !json_is_true(json_object_get(e, "empty_layer")))
      next++;
    else
      json_object_set_new(h, "empty_layer", json_true());
    json_array_append_new(out, h);
  }
  for (; next < n; next++) {
    json_t *h = json_object();
    copy_field(h, "created", doc, "created");
    json_array_append_new(out, h);
  }
  return out;
}

static int prepare_image(struct save *s, struct saved_image *si, wb_error *err)
{
  json_t *diff_ids = json_array();
  json_t *mlayers = json_array();
  si->nlayers = strv_len(si->img->layers);
  si->layers = xzalloc((si->nlayers + 1) * sizeof *si->layers);
  for (size_t i = 0; i < si->nlayers; i++) {
    int r = layer_index(s, si->img->layers[i], &si->layers[i], err);
    if (r < 0) {
      json_decref(diff_ids);
      json_decref(mlayers);
      return r;
    }
    const struct blob_layer *l = &s->layers[si->layers[i]];
    json_array_append_new(diff_ids, json_sprintf("sha256:%s", l->digest));
    json_array_append_new(
        mlayers, json_pack("{s:s, s:o, s:I}", "mediaType", MT_LAYER, "digest",
                           json_sprintf("sha256:%s", l->digest), "size",
                           (json_int_t)l->size));
  }
  json_t *stored = json_object_get(si->doc, "config");
  json_t *cfg = json_object();
  static const char *const keys[] = {"Cmd", "Entrypoint", "Env", "WorkingDir",
                                     "User"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    json_t *v = json_object_get(stored, keys[i]);
    if (json_is_array(v) && strcmp(keys[i], "Env") == 0 && !json_array_size(v))
      continue;
    copy_field(cfg, keys[i], stored, keys[i]);
  }
  json_t *config =
      json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:o}, s:o}", "architecture",
                go_arch(), "os", "linux", "created", si->img->created, "config",
                cfg, "rootfs", "type", "layers", "diff_ids", diff_ids,
                "history", oci_history(si->doc, si->img->layers));
  copy_field(config, "author", si->doc, "author");
  si->config = canonical(config);
  json_decref(config);
  si->config_digest = wb_sha256_hex(si->config, strlen(si->config));
  json_t *manifest =
      json_pack("{s:i, s:s, s:{s:s, s:o, s:I}, s:o}", "schemaVersion", 2,
                "mediaType", MT_MANIFEST, "config", "mediaType", MT_CONFIG,
                "digest", json_sprintf("sha256:%s", si->config_digest), "size",
                (json_int_t)strlen(si->config), "layers", mlayers);
  si->manifest = canonical(manifest);
  json_decref(manifest);
  si->manifest_digest = wb_sha256_hex(si->manifest, strlen(si->manifest));
  return 0;
}

/* Resolve every reference before writing anything. */
static int collect(struct save *s, const char *const *refs, wb_error *err)
{
  s->index_entries = json_array();
  for (const char *const *ref = refs; *ref; ref++) {
    cleanup_image struct wb_image *img = NULL;
    int r = wb_image_lookup(s->root, *ref, &img, err);
    if (r < 0)
      return r;
    /* Named by one of its tags: that name goes into the archive. */
    cleanup_free char *name = NULL;
    if (strncmp(*ref, "sha256:", 7) != 0 &&
        wb_image_ref_normalize(*ref, &name, NULL) == 0) {
      bool tagged = false;
      for (char **t = img->tags; *t; t++)
        tagged |= strcmp(*t, name) == 0;
      if (!tagged) {
        free(name);
        name = NULL;
      }
    }
    size_t at = s->nimages;
    for (size_t i = 0; i < s->nimages; i++)
      if (strcmp(s->images[i].img->id, img->id) == 0)
        at = i;
    if (at == s->nimages) {
      s->images = xrealloc(s->images, (s->nimages + 1) * sizeof *s->images);
      struct saved_image *si = &s->images[s->nimages++];
      memset(si, 0, sizeof *si);
      si->img = steal_pointer(&img);
      r = wb_image_load_json(s->root, si->img->id, &si->doc, err);
      if (r == 0)
        r = prepare_image(s, si, err);
      if (r < 0)
        return r;
    }
    /* One index entry per (image, name); an unnamed image once. */
    bool dup = false;
    size_t i;
    json_t *e;
    json_array_foreach(s->index_entries, i, e)
    {
      const char *n = json_string_value(json_array_get(e, 1));
      if ((size_t)json_integer_value(json_array_get(e, 0)) == at &&
          ((!n && !name) || (n && name && strcmp(n, name) == 0)))
        dup = true;
    }
    if (!dup)
      json_array_append_new(s->index_entries,
                            json_pack("[I, s?]", (json_int_t)at, name));
  }
  return 0;
}

/* ---- the archive ---- */

static int out_error(struct archive *a, const char *what, wb_error *err)
{
  return wb_error_set(err, -EIO, "write %s: %s", what, archive_error_string(a));
}

static struct archive_entry *fixed_entry(const char *path, bool dir,
                                         uint64_t size)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, path);
  archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e, dir ? 0755 : 0644);
  archive_entry_set_size(e, dir ? 0 : (la_int64_t)size);
  archive_entry_set_mtime(e, 0, 0);
  return e;
}

static int put_dir(struct archive *a, const char *path, wb_error *err)
{
  struct archive_entry *e = fixed_entry(path, true, 0);
  int r = archive_write_header(a, e);
  archive_entry_free(e);
  return r == ARCHIVE_OK ? 0 : out_error(a, path, err);
}

static int put_file(struct archive *a, const char *path, const char *data,
                    wb_error *err)
{
  size_t len = strlen(data);
  struct archive_entry *e = fixed_entry(path, false, len);
  int r = archive_write_header(a, e);
  archive_entry_free(e);
  if (r != ARCHIVE_OK ||
      (len && archive_write_data(a, data, len) != (la_ssize_t)len))
    return out_error(a, path, err);
  return 0;
}

static int put_blob(struct archive *a, const char *data, const char *digest,
                    wb_error *err)
{
  cleanup_free char *path = xasprintf("blobs/sha256/%s", digest);
  return put_file(a, path, data, err);
}

static int sink_archive(void *arg, const void *buf, size_t len, wb_error *err)
{
  struct archive *a = arg;
  if (archive_write_data(a, buf, len) != (la_ssize_t)len)
    return out_error(a, "layer", err);
  return 0;
}

static int put_layer(struct save *s, struct archive *a,
                     const struct blob_layer *l, wb_error *err)
{
  cleanup_free char *path = xasprintf("blobs/sha256/%s", l->digest);
  struct archive_entry *e = fixed_entry(path, false, l->size);
  int r = archive_write_header(a, e);
  archive_entry_free(e);
  if (r != ARCHIVE_OK)
    return out_error(a, path, err);
  cleanup_free char *dir = wb_layer_path(s->root, l->id);
  cleanup_free char *digest = NULL;
  uint64_t size = 0;
  const char *dirs[] = {dir};
  r = wb_tar_dirs(dirs, 1, WB_TAR_LAYER, sink_archive, a, &digest, &size, err);
  if (r < 0)
    return wb_error_prefix(err, "layer %.12s", l->id);
  if (size != l->size || strcmp(digest, l->digest) != 0)
    return wb_error_set(err, -EIO,
                        "layer %.12s changed while it was being saved", l->id);
  return 0;
}

/* "repo:tag" -> "tag". */
static const char *tag_of(const char *name)
{
  const char *slash = strrchr(name, '/');
  const char *colon = strrchr(slash ? slash : name, ':');
  return colon ? colon + 1 : "latest";
}

static char *index_json(struct save *s)
{
  json_t *manifests = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(s->index_entries, i, e)
  {
    const struct saved_image *si =
        &s->images[json_integer_value(json_array_get(e, 0))];
    const char *name = json_string_value(json_array_get(e, 1));
    json_t *m = json_pack("{s:s, s:o, s:I}", "mediaType", MT_MANIFEST, "digest",
                          json_sprintf("sha256:%s", si->manifest_digest),
                          "size", (json_int_t)strlen(si->manifest));
    if (name)
      json_object_set_new(m, "annotations",
                          json_pack("{s:s, s:s}", "io.containerd.image.name",
                                    name, "org.opencontainers.image.ref.name",
                                    tag_of(name)));
    json_array_append_new(manifests, m);
  }
  json_t *index = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
                            MT_INDEX, "manifests", manifests);
  char *text = canonical(index);
  json_decref(index);
  return text;
}

/* docker save's manifest.json, pointing at the same blobs. */
static char *docker_manifest(struct save *s)
{
  json_t *list = json_array();
  for (size_t i = 0; i < s->nimages; i++) {
    const struct saved_image *si = &s->images[i];
    json_t *tags = json_array();
    size_t k;
    json_t *e;
    json_array_foreach(s->index_entries, k, e)
    {
      const char *name = json_string_value(json_array_get(e, 1));
      if ((size_t)json_integer_value(json_array_get(e, 0)) == i && name)
        json_array_append_new(tags, json_string(name));
    }
    json_t *layers = json_array();
    for (size_t l = 0; l < si->nlayers; l++)
      json_array_append_new(
          layers,
          json_sprintf("blobs/sha256/%s", s->layers[si->layers[l]].digest));
    if (!json_array_size(tags)) {
      json_decref(tags);
      tags = json_null();
    }
    json_array_append_new(
        list, json_pack("{s:o, s:o, s:o}", "Config",
                        json_sprintf("blobs/sha256/%s", si->config_digest),
                        "RepoTags", tags, "Layers", layers));
  }
  char *text = canonical(list);
  json_decref(list);
  return text;
}

struct out {
  int fd;
  wb_error *err;
};

/* Our own output callback: archive_write_open_fd() pads the last block
 * differently for different kinds of files, and the archive must not
 * depend on where it goes. */
static la_ssize_t out_write(struct archive *a, void *data, const void *buf,
                            size_t len)
{
  struct out *o = data;
  if (wb_tar_sink_fd(&o->fd, buf, len, o->err) < 0) {
    archive_set_error(a, o->err->code, "%s", o->err->msg);
    return -1;
  }
  return (la_ssize_t)len;
}

static int write_archive(struct save *s, struct archive *a, wb_error *err)
{
  int r = put_file(a, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err);
  if (r == 0)
    r = put_dir(a, "blobs/", err);
  if (r == 0)
    r = put_dir(a, "blobs/sha256/", err);
  /* Each blob once, in the order the images need them. */
  json_t *written = json_object();
  for (size_t i = 0; i < s->nimages && r == 0; i++) {
    const struct saved_image *si = &s->images[i];
    for (size_t l = 0; l < si->nlayers && r == 0; l++) {
      const struct blob_layer *bl = &s->layers[si->layers[l]];
      if (json_object_get(written, bl->digest))
        continue;
      json_object_set_new(written, bl->digest, json_true());
      r = put_layer(s, a, bl, err);
    }
    if (r == 0 && !json_object_get(written, si->config_digest)) {
      json_object_set_new(written, si->config_digest, json_true());
      r = put_blob(a, si->config, si->config_digest, err);
    }
    if (r == 0 && !json_object_get(written, si->manifest_digest)) {
      json_object_set_new(written, si->manifest_digest, json_true());
      r = put_blob(a, si->manifest, si->manifest_digest, err);
    }
  }
  json_decref(written);
  if (r == 0) {
    cleanup_free char *index = index_json(s);
    r = put_file(a, "index.json", index, err);
  }
  if (r == 0) {
    cleanup_free char *manifest = docker_manifest(s);
    r = put_file(a, "manifest.json", manifest, err);
  }
  return r;
}

static void save_free(struct save *s)
{
  for (size_t i = 0; i < s->nlayers; i++) {
    free(s->layers[i].id);
    free(s->layers[i].digest);
  }
  free(s->layers);
  for (size_t i = 0; i < s->nimages; i++) {
    struct saved_image *si = &s->images[i];
    wb_image_free(si->img);
    json_decref(si->doc);
    free(si->config);
    free(si->config_digest);
    free(si->manifest);
    free(si->manifest_digest);
    free(si->layers);
  }
  free(s->images);
  json_decref(s->index_entries);
}

int wb_image_save(const char *root, const char *const *refs, int out_fd,
                  wb_error *err)
{
  if (!refs || !refs[0])
    return wb_error_set(err, -EINVAL, "save: no image given");
  struct save s = {.root = root};
  /* Held throughout: no rmi removes a layer while it is being read. */
  int r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  r = collect(&s, refs, err);
  if (r == 0) {
    struct archive *a = archive_write_new();
    if (!a)
      abort(); /* out of memory */
    cleanup_error wb_error out_err = WB_ERROR_INIT;
    struct out o = {out_fd, &out_err};
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        archive_write_open(a, &o, NULL, out_write, NULL) != ARCHIVE_OK)
      r = out_error(a, "archive", err);
    if (r == 0)
      r = write_archive(&s, a, err);
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
      r = out_error(a, "archive", err);
    archive_write_free(a);
  }
  save_free(&s);
  wb_store_unlock();
  return r;
}
