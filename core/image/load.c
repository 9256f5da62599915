/* load.c - image archives into the store: the OCI image layout (index.json,
 * blobs/sha256/...) and the `docker save` format (manifest.json with
 * <id>/layer.tar or blobs), either possibly compressed as a whole, layers
 * plain or compressed (gzip, zstd, xz, bzip2, lz4).
 *
 * The archive is first unpacked into a work directory R/tmp/load-XXXXXX
 * (it may come from a pipe, in any order) by the confined extraction code;
 * its files are then opened with RESOLVE_IN_ROOT, so a symlink in the
 * archive (docker save links duplicate layers) cannot point outside it.
 * Every blob is checked against its sha256, every layer's uncompressed
 * stream against the config's diff id, and a layer already stored is not
 * extracted again.  The image keeps the config's creation time, so an
 * image saved and loaded again has its id again. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "archive_util.h"
#include "archive_write.h"
#include "extract.h"
#include "store.h"
#include "store_internal.h"
#include "transfer.h"

#define MAX_JSON (32 << 20)

static char *md_hex(EVP_MD_CTX *md)
{
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_DigestFinal_ex(md, d, &n))
    abort(); /* only without memory */
  char *hex = xmalloc(2 * n + 1);
  for (unsigned i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
}

static EVP_MD_CTX *md_new(void)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
    abort(); /* only without memory */
  return md;
}

/* ---- reading a file descriptor, hashing what is read ---- */

/* ---- unpacking the outer archive ---- */

static int unpack_archive(int in_fd, int dir_fd, wb_error *err)
{
  cleanup_archive struct archive *a = archive_read_new();
  if (!a)
    return wb_error_set(err, ENOMEM, "libarchive");
  cleanup_free struct wb_archive_fd *in = xzalloc(sizeof *in);
  in->fd = in_fd;
  wb_archive_enable_builtin_filters(a);
  archive_read_support_format_tar(a);
  if (archive_read_open(a, in, NULL, wb_archive_fd_read, NULL) != ARCHIVE_OK)
    return wb_error_set(err, -EINVAL, "not an image archive (%s)",
                        archive_error_string(a));
  struct wb_extract x;
  wb_extract_init(&x, dir_fd);
  int r = 0;
  size_t entries = 0;
  while (r == 0) {
    struct archive_entry *e;
    int ar = archive_read_next_header(a, &e);
    if (ar == ARCHIVE_EOF)
      break;
    if (ar < ARCHIVE_WARN) {
      r = wb_error_set(err, -EINVAL, "%s", archive_error_string(a));
      break;
    }
    entries++;
    /* An image archive holds files, directories and links; a device node
     * or FIFO has no business there (opening one could block or act). */
    mode_t type = archive_entry_filetype(e);
    if (!archive_entry_hardlink(e) && type != AE_IFREG && type != AE_IFDIR &&
        type != AE_IFLNK)
      continue;
    r = wb_extract_entry(&x, a, e, err);
  }
  wb_extract_free(&x);
  if (r == 0 && in->bytes == 0)
    return wb_error_set(err, -EINVAL, "empty input, not an image archive");
  if (r == 0 && entries == 0)
    return wb_error_set(err, -EINVAL, "not an image archive (no entries)");
  return r;
}

/* A regular file of the unpacked archive; symlinks resolve inside it. */
static int open_in(int dir_fd, const char *path, wb_error *err)
{
  struct open_how how = {
      .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
      .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int)syscall(SYS_openat2, dir_fd, path, &how, sizeof how);
  if (fd < 0)
    return wb_error_set(err, errno == ENOENT ? -ENOENT : errno, "%s%s", path,
                        errno == ENOENT ? ": not in the archive" : "");
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return wb_error_set(err, -EINVAL, "%s: not a regular file", path);
  }
  return fd;
}

static bool exists_in(int dir_fd, const char *path)
{
  cleanup_close int fd = open_in(dir_fd, path, NULL);
  return fd >= 0;
}

/* A JSON file of the archive; with `digest` ("sha256:<hex>"), checked. */
static int read_json(int dir_fd, const char *path, const char *digest,
                     json_t **out, wb_error *err)
{
  cleanup_close int fd = open_in(dir_fd, path, err);
  if (fd < 0)
    return fd;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wb_error_set(err, errno, "stat %s", path);
  if (st.st_size > MAX_JSON)
    return wb_error_set(err, -EINVAL, "%s: too large for a JSON document",
                        path);
  cleanup_free char *text = xmalloc(st.st_size + 1);
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, text + got, st.st_size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return wb_error_set(err, errno, "read %s", path);
    if (n == 0)
      break;
    got += n;
  }
  text[got] = '\0';
  if (digest) {
    cleanup_free char *hex = wb_sha256_hex(text, got);
    if (strncmp(digest, "sha256:", 7) != 0 || strcmp(digest + 7, hex) != 0)
      return wb_error_set(err, -EINVAL,
                          "%s: content does not match its digest %s", path,
                          digest);
  }
  json_error_t je;
  json_t *j = json_loadb(text, got, 0, &je);
  if (!j)
    return wb_error_set(err, -EINVAL, "%s: invalid JSON: %s", path, je.text);
  *out = j;
  return 0;
}

/* "sha256:<64 hex>" -> "blobs/sha256/<hex>"; NULL when not a sha256
 * digest (other algorithms are not supported). */
static char *blob_path(const char *digest)
{
  if (!digest || strncmp(digest, "sha256:", 7) != 0 ||
      !wb_image_id_valid(digest + 7))
    return NULL;
  return xasprintf("blobs/sha256/%s", digest + 7);
}

/* ---- what to load ---- */

struct load_image {
  char *manifest; /* digest of the OCI manifest, NULL for docker save */
  json_t *config;
  char **layer_paths;   /* in the archive, bottom first */
  char **layer_digests; /* "sha256:..." of the stored blob, or "" */
  char **names;         /* "repo:tag" */
};

static void load_image_free(struct load_image *li)
{
  free(li->manifest);
  json_decref(li->config);
  strv_free(li->layer_paths);
  strv_free(li->layer_digests);
  strv_free(li->names);
}

/* A name from the index annotations: containerd's full name, else a
 * ref.name that is a whole reference (as skopeo writes it); a bare tag
 * names no repository, and the image is loaded without a name. */
static char *name_of(json_t *annotations)
{
  const char *n = json_string_value(
      json_object_get(annotations, "io.containerd.image.name"));
  if (!n) {
    n = json_string_value(
        json_object_get(annotations, "org.opencontainers.image.ref.name"));
    if (n && !strchr(n, ':'))
      n = NULL;
  }
  if (!n)
    return NULL;
  if (strncmp(n, "docker.io/library/", 18) == 0)
    n += 18;
  else if (strncmp(n, "docker.io/", 10) == 0)
    n += 10;
  char *norm = NULL;
  if (wb_image_ref_normalize(n, &norm, NULL) < 0)
    return NULL;
  return norm;
}

static int add_oci_manifest(int dir_fd, json_t *desc, const char *name,
                            struct load_image **list, size_t *n, wb_error *err);

/* A nested index (multi-platform): the entry for this host, or the only
 * one. */
static int add_oci_index(int dir_fd, json_t *index, const char *name, int depth,
                         struct load_image **list, size_t *n, wb_error *err)
{
  json_t *manifests = json_object_get(index, "manifests");
  if (!json_is_array(manifests))
    return wb_error_set(err, -EINVAL, "index without manifests");
  size_t i;
  json_t *d;
  json_array_foreach(manifests, i, d)
  {
    const char *mt = json_string_value(json_object_get(d, "mediaType"));
    cleanup_free char *own =
        name ? NULL : name_of(json_object_get(d, "annotations"));
    const char *nm = name ? name : own;
    if (mt && (strstr(mt, "image.index") || strstr(mt, "manifest.list"))) {
      if (depth >= 4)
        return wb_error_set(err, -EINVAL, "indexes nested too deeply");
      const char *dg = json_string_value(json_object_get(d, "digest"));
      cleanup_free char *path = blob_path(dg);
      if (!path)
        return wb_error_set(err, -EINVAL, "unsupported digest '%s'",
                            dg ? dg : "");
      json_t *sub = NULL;
      int r = read_json(dir_fd, path, dg, &sub, err);
      if (r == 0)
        r = add_oci_index(dir_fd, sub, nm, depth + 1, list, n, err);
      json_decref(sub);
      if (r < 0)
        return r;
      continue;
    }
    if (depth > 0) {
      /* In a platform list, only linux on this architecture. */
      json_t *p = json_object_get(d, "platform");
      const char *os = json_string_value(json_object_get(p, "os"));
      if (os && strcmp(os, "linux") != 0)
        continue;
    }
    int r = add_oci_manifest(dir_fd, d, nm, list, n, err);
    if (r < 0)
      return r;
    if (depth > 0)
      break;
  }
  return 0;
}

static int add_oci_manifest(int dir_fd, json_t *desc, const char *name,
                            struct load_image **list, size_t *n, wb_error *err)
{
  const char *dg = json_string_value(json_object_get(desc, "digest"));
  cleanup_free char *path = blob_path(dg);
  if (!path)
    return wb_error_set(err, -EINVAL, "unsupported manifest digest '%s'",
                        dg ? dg : "");
  /* The same manifest under several names: one image, all the names. */
  for (size_t i = 0; i < *n; i++) {
    const char *seen = (*list)[i].manifest;
    if (seen && strcmp(seen, dg) == 0) {
      if (name)
        strv_push(&(*list)[i].names, name);
      return 0;
    }
  }
  json_t *m = NULL;
  int r = read_json(dir_fd, path, dg, &m, err);
  if (r < 0)
    return r;
  json_t *cdesc = json_object_get(m, "config");
  const char *cdg = json_string_value(json_object_get(cdesc, "digest"));
  cleanup_free char *cpath = blob_path(cdg);
  json_t *config = NULL;
  if (!cpath)
    r = wb_error_set(err, -EINVAL, "manifest %s: unsupported config digest",
                     dg);
  else
    r = read_json(dir_fd, cpath, cdg, &config, err);
  if (r < 0) {
    json_decref(m);
    return r;
  }
  struct load_image li = {
      .manifest = xstrdup(dg),
      .config = config,
      .layer_paths = xzalloc(sizeof(char *)),
      .layer_digests = xzalloc(sizeof(char *)),
      .names = xzalloc(sizeof(char *)),
  };
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(m, "layers"), i, l)
  {
    const char *ldg = json_string_value(json_object_get(l, "digest"));
    cleanup_free char *lpath = blob_path(ldg);
    if (!lpath) {
      r = wb_error_set(err, -EINVAL, "manifest %s: unsupported layer digest",
                       dg);
      break;
    }
    strv_push(&li.layer_paths, lpath);
    strv_push(&li.layer_digests, ldg);
  }
  json_decref(m);
  if (r < 0) {
    load_image_free(&li);
    return r;
  }
  if (name)
    strv_push(&li.names, name);
  *list = xrealloc(*list, (*n + 1) * sizeof **list);
  (*list)[(*n)++] = li;
  return 0;
}

/* docker save: [{"Config": path, "RepoTags": [...], "Layers": [paths]}] */
static int add_docker(int dir_fd, json_t *manifest, struct load_image **list,
                      size_t *n, wb_error *err)
{
  if (!json_is_array(manifest))
    return wb_error_set(err, -EINVAL, "manifest.json is not a list");
  size_t i;
  json_t *e;
  json_array_foreach(manifest, i, e)
  {
    const char *cpath = json_string_value(json_object_get(e, "Config"));
    if (!cpath)
      return wb_error_set(err, -EINVAL,
                          "manifest.json: entry %zu has no "
                          "Config",
                          i);
    json_t *config = NULL;
    int r = read_json(dir_fd, cpath, NULL, &config, err);
    if (r < 0)
      return r;
    struct load_image li = {
        .config = config,
        .layer_paths = xzalloc(sizeof(char *)),
        .layer_digests = xzalloc(sizeof(char *)),
        .names = xzalloc(sizeof(char *)),
    };
    size_t k;
    json_t *v;
    json_array_foreach(json_object_get(e, "Layers"), k, v)
    {
      if (json_is_string(v)) {
        strv_push(&li.layer_paths, json_string_value(v));
        strv_push(&li.layer_digests, "");
      }
    }
    json_array_foreach(json_object_get(e, "RepoTags"), k, v)
    {
      cleanup_free char *norm = NULL;
      const char *t = json_string_value(v);
      if (t && wb_image_ref_normalize(t, &norm, NULL) == 0)
        strv_push(&li.names, norm);
    }
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = li;
  }
  return 0;
}

/* ---- layers ---- */

struct tar_pipe {
  struct archive *raw;
  EVP_MD_CTX *md; /* of the uncompressed stream: the diff id */
  char buf[128 * 1024];
};

static la_ssize_t tar_pipe_read(struct archive *a, void *data, const void **buf)
{
  struct tar_pipe *p = data;
  la_ssize_t n = archive_read_data(p->raw, p->buf, sizeof p->buf);
  if (n < 0) {
    archive_set_error(a, archive_errno(p->raw), "%s",
                      archive_error_string(p->raw));
    return ARCHIVE_FATAL;
  }
  if (n > 0)
    EVP_DigestUpdate(p->md, p->buf, n);
  *buf = p->buf;
  return n;
}

/* Layer tars from other tools may name entries from "/" (umoci writes
 * the root as "/"); in a layer they are relative to its root, as Docker
 * and containerd read them.  The confined extraction refuses absolute
 * names, so they are made relative here; ".." stays refused there. */
static void relative_names(struct archive_entry *e)
{
  const char *p = archive_entry_pathname(e);
  if (p && p[0] == '/') {
    while (*p == '/')
      p++;
    cleanup_free char *rel = xstrdup(*p ? p : ".");
    archive_entry_copy_pathname(e, rel);
  }
  const char *h = archive_entry_hardlink(e);
  if (h && h[0] == '/') {
    while (*h == '/')
      h++;
    cleanup_free char *rel = xstrdup(h);
    archive_entry_copy_hardlink(e, rel);
  }
}

/* Extract the layer blob on fd into diff_fd: a reader that only
 * decompresses ("raw" format) feeds a tar reader through tar_pipe_read,
 * which hashes the uncompressed bytes; what the tar reader leaves unread is
 * hashed at the end, so the diff id covers the whole stream.  *blob_hex
 * gets the digest of the bytes as stored. */
static int extract_layer(int fd, int diff_fd, char **diff_hex, char **blob_hex,
                         uint64_t *size, wb_error *err)
{
  cleanup_md EVP_MD_CTX *raw_md = md_new();
  cleanup_md EVP_MD_CTX *md = md_new();
  cleanup_archive struct archive *raw = archive_read_new();
  cleanup_archive struct archive *tar = archive_read_new();
  if (!raw || !tar)
    return wb_error_set(err, ENOMEM, "libarchive");
  cleanup_free struct wb_archive_fd *in = xzalloc(sizeof *in);
  in->fd = fd;
  in->md = raw_md;
  wb_archive_enable_builtin_filters(raw);
  archive_read_support_format_raw(raw);
  struct archive_entry *e;
  int r = archive_read_open(raw, in, NULL, wb_archive_fd_read, NULL);
  if (r == ARCHIVE_OK)
    r = archive_read_next_header(raw, &e);
  if (r < ARCHIVE_WARN && in->bytes > 0)
    return wb_error_set(err, -EINVAL, "%s", archive_error_string(raw));
  cleanup_free struct tar_pipe *p = xzalloc(sizeof *p);
  p->raw = raw;
  p->md = md;
  struct wb_extract x;
  wb_extract_init(&x, diff_fd);
  int ret = 0;
  if (in->bytes > 0) {
    archive_read_support_format_tar(tar);
    if (archive_read_open(tar, p, NULL, tar_pipe_read, NULL) != ARCHIVE_OK)
      return wb_error_set(err, -EINVAL, "not a tar archive (%s)",
                          archive_error_string(tar));
    for (;;) {
      r = archive_read_next_header(tar, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN) {
        ret = wb_error_set(err, -EINVAL, "%s", archive_error_string(tar));
        break;
      }
      relative_names(e);
      if ((ret = wb_extract_entry(&x, tar, e, err)) < 0)
        break;
    }
  }
  if (ret == 0)
    ret = wb_extract_finish(&x, err);
  *size = x.size;
  wb_extract_free(&x);
  if (ret < 0)
    return ret;
  for (la_ssize_t n; in->bytes > 0 && (n = archive_read_data(
                                           raw, p->buf, sizeof p->buf)) != 0;) {
    if (n < 0)
      return wb_error_set(err, -EINVAL, "%s", archive_error_string(raw));
    EVP_DigestUpdate(md, p->buf, n);
  }
  /* Whatever the readers did not ask for still belongs to the blob. */
  for (;;) {
    ssize_t n = read(fd, in->buf, sizeof in->buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return wb_error_set(err, errno, "read");
    if (n == 0)
      break;
    EVP_DigestUpdate(raw_md, in->buf, n);
  }
  *diff_hex = md_hex(md);
  *blob_hex = md_hex(raw_md);
  return 0;
}

static bool layer_stored(const char *root, const char *id)
{
  uint64_t size;
  return wb_layer_size(root, id, &size, NULL) == 0;
}

/* Layer i of li into the store unless it is there (caller holds the store
 * lock).  *store_id gets the id it has in the store: the diff id, or the
 * id of a stored layer that save wrote with this diff id. */
static int load_layer(const char *root, const char *work, int dir_fd,
                      const struct load_image *li, size_t i,
                      const char *diff_id, char **store_id, wb_error *err)
{
  if (layer_stored(root, diff_id)) {
    *store_id = xstrdup(diff_id);
    return 0;
  }
  char *known = wb_layer_by_tar_digest(root, diff_id);
  if (known) {
    *store_id = known;
    return 0;
  }
  const char *path = li->layer_paths[i];
  cleanup_close int fd = open_in(dir_fd, path, err);
  if (fd < 0)
    return fd;
  cleanup_free char *tmp = xasprintf("%s/layer-%zu", work, i);
  cleanup_free char *diff = path_join(tmp, "diff");
  if (mkdir(tmp, 0700) < 0 || mkdir(diff, 0755) < 0)
    return wb_error_set(err, errno, "mkdir %s", diff);
  cleanup_close int diff_fd =
      open(diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (diff_fd < 0)
    return wb_error_set(err, errno, "open %s", diff);
  cleanup_free char *got = NULL, *blob = NULL;
  uint64_t size = 0;
  int r = extract_layer(fd, diff_fd, &got, &blob, &size, err);
  if (r < 0)
    return wb_error_prefix(err, "layer %s", path);
  const char *want_blob = li->layer_digests[i];
  if (*want_blob && strcmp(want_blob + 7, blob) != 0)
    return wb_error_set(err, -EINVAL,
                        "layer %s: content does not match its digest %s", path,
                        want_blob);
  if (strcmp(got, diff_id) != 0)
    return wb_error_set(err, -EINVAL,
                        "layer %s: uncompressed content sha256:%s does not "
                        "match the config's diff id sha256:%s",
                        path, got, diff_id);
  r = wb_layer_write_meta(tmp, diff_id, size, err);
  if (r == 0)
    r = wb_layer_commit(root, diff_id, tmp, err);
  if (r == 0)
    *store_id = xstrdup(diff_id);
  return r;
}

/* ---- the image ---- */

/* Must be the computation of create.c (an image's id covers its layers,
 * config and creation time, canonically encoded). */

static int strv_field(json_t *cfg, const char *key, char ***out, wb_error *err)
{
  json_t *v = json_object_get(cfg, key);
  if (!v || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return wb_error_set(err, -EINVAL, "image config: %s is not a list", key);
  *out = xzalloc(sizeof(char *));
  size_t i;
  json_t *s;
  json_array_foreach(v, i, s)
  {
    if (!json_is_string(s))
      return wb_error_set(err, -EINVAL, "image config: %s[%zu] is not a string",
                          key, i);
    strv_push(out, json_string_value(s));
  }
  return 0;
}

static int config_to_image(json_t *config, struct wb_image *img, wb_error *err)
{
  json_t *c = json_object_get(config, "config");
  if (!c)
    c = json_object_get(config, "container_config");
  int r = strv_field(c, "Cmd", &img->cmd, err);
  if (r == 0)
    r = strv_field(c, "Entrypoint", &img->entrypoint, err);
  if (r == 0)
    r = strv_field(c, "Env", &img->env, err);
  if (r < 0)
    return r;
  if (img->env && !img->env[0]) {
    strv_free(img->env);
    img->env = NULL;
  }
  const char *w = json_string_value(json_object_get(c, "WorkingDir"));
  const char *u = json_string_value(json_object_get(c, "User"));
  img->workdir = w && *w ? xstrdup(w) : NULL;
  img->user = u && *u ? xstrdup(u) : NULL;
  return 0;
}

/* OCI history as the store keeps it: an entry that adds a layer names
 * it; an empty one names the layer below and says it is empty. */
static json_t *store_history(json_t *config, char **layers)
{
  json_t *out = json_array();
  size_t next = 0, n = strv_len(layers), i;
  json_t *e;
  json_array_foreach(json_object_get(config, "history"), i, e)
  {
    json_t *h = json_object();
    static const char *const keys[] = {"created", "created_by", "author",
                                       "comment"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
      json_t *v = json_object_get(e, keys[k]);
      if (json_is_string(v))
        json_object_set(h, keys[k], v);
    }
    bool empty = json_is_true(json_object_get(e, "empty_layer"));
    if (!empty && next < n) {
      json_object_set_new(h, "layer", json_string(layers[next++]));
    } else {
      if (next > 0)
        json_object_set_new(h, "layer", json_string(layers[next - 1]));
      json_object_set_new(h, "empty_layer", json_true());
    }
    json_array_append_new(out, h);
  }
  return out;
}

static int diff_ids_of(json_t *config, size_t nlayers, char ***out,
                       wb_error *err)
{
  json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  if (!json_is_array(ids) || json_array_size(ids) != nlayers)
    return wb_error_set(err, -EINVAL,
                        "image config lists %zu diff ids for %zu layers",
                        json_array_size(ids), nlayers);
  if (nlayers == 0)
    return wb_error_set(err, -EINVAL, "an image needs at least one layer");
  char **v = xzalloc(sizeof(char *));
  size_t i;
  json_t *s;
  json_array_foreach(ids, i, s)
  {
    const char *d = json_string_value(s);
    if (!d || strncmp(d, "sha256:", 7) != 0 || !wb_image_id_valid(d + 7)) {
      strv_free(v);
      return wb_error_set(err, -EINVAL, "image config: bad diff id '%s'",
                          d ? d : "");
    }
    strv_push(&v, d + 7);
  }
  *out = v;
  return 0;
}

static int store_image(const char *root, const struct load_image *li,
                       char **ids, const struct wb_image *img, char **id_out,
                       wb_error *err);

/* Layers, then the image document (caller holds the store lock). */
static int load_one(const char *root, const char *work, int dir_fd,
                    const struct load_image *li, char **id_out, wb_error *err)
{
  size_t nlayers = strv_len(li->layer_paths);
  cleanup_strv char **ids = NULL;
  int r = diff_ids_of(li->config, nlayers, &ids, err);
  if (r < 0)
    return r;
  cleanup_image struct wb_image *img = xzalloc(sizeof *img);
  r = config_to_image(li->config, img, err);
  if (r < 0)
    return r;
  cleanup_strv char **stored = xzalloc((nlayers + 1) * sizeof(char *));
  for (size_t i = 0; i < nlayers && r == 0; i++)
    r = load_layer(root, work, dir_fd, li, i, ids[i], &stored[i], err);
  if (r == 0)
    r = store_image(root, li, stored, img, id_out, err);
  if (r < 0)
    wb_layer_gc(root, stored, NULL); /* layers no image came to use */
  return r;
}

static int store_image(const char *root, const struct load_image *li,
                       char **ids, const struct wb_image *img, char **id_out,
                       wb_error *err)
{
  int r = 0;
  const char *created =
      json_string_value(json_object_get(li->config, "created"));
  if (!created || !*created)
    created = "1970-01-01T00:00:00Z";
  json_t *jlayers = json_array();
  uint64_t total = 0;
  for (char **l = ids; *l; l++) {
    uint64_t size = 0;
    wb_layer_size(root, *l, &size, NULL);
    total += size;
    json_array_append_new(jlayers, json_string(*l));
  }
  json_t *config = wb_image_config_json(img);
  cleanup_free char *id = wb_image_digest(jlayers, config, created, err);
  if (!id) {
    json_decref(jlayers);
    json_decref(config);
    return -ENOENT;
  }
  json_t *existing = NULL;
  if (wb_image_load_json(root, id, &existing, NULL) == 0) {
    json_decref(existing); /* loaded before: only the names are new */
    json_decref(jlayers);
    json_decref(config);
  } else {
    json_t *doc =
        json_pack("{s:s, s:s, s:o, s:[], s:o, s:I, s:o}", "id", id, "created",
                  created, "layers", jlayers, "tags", "config", config, "size",
                  (json_int_t)total, "history", store_history(li->config, ids));
    json_t *author = json_object_get(li->config, "author");
    if (json_is_string(author))
      json_object_set(doc, "author", author);
    r = wb_image_store_json(root, doc, err);
    json_decref(doc);
    if (r < 0)
      return r;
  }
  for (char **n = li->names; *n; n++)
    if ((r = wb_image_tag(root, id, *n, err)) < 0)
      return r;
  *id_out = steal_pointer(&id);
  return 0;
}

static int load_in(const char *root, int in_fd, const char *work, char ***lines,
                   wb_error *err)
{
  cleanup_free char *dir = path_join(work, "archive");
  if (mkdir(dir, 0700) < 0)
    return wb_error_set(err, errno, "mkdir %s", dir);
  cleanup_close int dir_fd =
      open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0)
    return wb_error_set(err, errno, "open %s", dir);
  int r = unpack_archive(in_fd, dir_fd, err);
  if (r < 0)
    return r;
  struct load_image *list = NULL;
  size_t n = 0;
  json_t *top = NULL;
  if (exists_in(dir_fd, "index.json")) {
    r = read_json(dir_fd, "index.json", NULL, &top, err);
    if (r == 0)
      r = add_oci_index(dir_fd, top, NULL, 0, &list, &n, err);
  } else if (exists_in(dir_fd, "manifest.json")) {
    r = read_json(dir_fd, "manifest.json", NULL, &top, err);
    if (r == 0)
      r = add_docker(dir_fd, top, &list, &n, err);
  } else {
    r = wb_error_set(err, -EINVAL,
                     "neither index.json (OCI layout) nor manifest.json "
                     "(docker save) in the archive");
  }
  json_decref(top);
  if (r == 0 && n == 0)
    r = wb_error_set(err, -EINVAL, "the archive holds no image");
  *lines = xzalloc(sizeof(char *));
  for (size_t i = 0; i < n && r == 0; i++) {
    cleanup_free char *id = NULL;
    r = wb_store_lock(root, err);
    if (r < 0)
      break;
    r = load_one(root, work, dir_fd, &list[i], &id, err);
    wb_store_unlock();
    if (r < 0)
      break;
    for (char **nm = list[i].names; *nm; nm++) {
      cleanup_free char *line = xasprintf("Loaded image: %s", *nm);
      strv_push(lines, line);
    }
    if (!list[i].names[0]) {
      cleanup_free char *line = xasprintf("Loaded image ID: sha256:%s", id);
      strv_push(lines, line);
    }
  }
  for (size_t i = 0; i < n; i++)
    load_image_free(&list[i]);
  free(list);
  return r;
}

int wb_image_load(const char *root, int in_fd, char ***lines, wb_error *err)
{
  *lines = NULL;
  cleanup_free char *work = NULL;
  cleanup_close int lock = -1;
  int r = wb_workdir_make(root, "load", &work, &lock, err);
  if (r < 0)
    return r;
  r = load_in(root, in_fd, work, lines, err);
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (rm_rf(work, &e) < 0 && r == 0)
    r = wb_error_set(err, -e.code, "%s", e.msg);
  return r;
}
