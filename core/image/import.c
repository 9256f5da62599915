/* import.c - a root-filesystem tarball becomes a one-layer image.
 *
 * The layer id is the sha256 of the *uncompressed* tar stream (Docker's
 * "diff id"), computed in the same single pass as the extraction, so it
 * works on stdin: a first libarchive reader with every built-in
 * decompression filter and the "raw" format turns the input into the plain
 * tar byte stream; a second reader (tar formats only) reads that stream
 * through a callback that hashes each block it hands over.  Whatever the tar
 * reader leaves unread (padding after the end-of-archive blocks) is hashed
 * afterwards, so the digest covers every decompressed byte exactly once.
 *
 * The layer is extracted into R/tmp/import-XXXXXX/diff and moved into
 * R/layers by one rename under the store lock; every error path removes the
 * temporary directory, so a failed import leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "archive_util.h"
#include "extract.h"
#include "store.h"
#include "store_internal.h"
#include "transfer.h"

struct tar_pipe {
  struct archive *raw; /* decompressing reader */
  EVP_MD_CTX *md;
  uint64_t bytes;
  bool progress;
  bool printed; /* a progress line is on the terminal */
  struct timespec last;
  char buf[128 * 1024];
};

static void progress_line(struct tar_pipe *p, bool final)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long ms = (now.tv_sec - p->last.tv_sec) * 1000 +
            (now.tv_nsec - p->last.tv_nsec) / 1000000;
  if (!final && ms < 100)
    return;
  p->last = now;
  p->printed = !final;
  fprintf(stderr, "\rImporting: %.1f MB%s", p->bytes / 1e6, final ? "\n" : "");
  fflush(stderr);
}

/* Feed the tar reader with decompressed bytes, hashing them on the way. */
static la_ssize_t tar_pipe_read(struct archive *a, void *data, const void **buf)
{
  struct tar_pipe *p = data;
  la_ssize_t n = archive_read_data(p->raw, p->buf, sizeof p->buf);
  if (n < 0) {
    archive_set_error(a, archive_errno(p->raw), "%s",
                      archive_error_string(p->raw));
    return ARCHIVE_FATAL;
  }
  if (n > 0 && !EVP_DigestUpdate(p->md, p->buf, n)) {
    archive_set_error(a, ENOMEM, "sha256 update failed");
    return ARCHIVE_FATAL;
  }
  p->bytes += n;
  if (p->progress)
    progress_line(p, false);
  *buf = p->buf;
  return n;
}

/* Extract the stream on fd into diff_fd; *layer_id gets the diff id. */
static int extract_stream(int fd, int diff_fd, bool progress, char **layer_id,
                          uint64_t *size, wb_error *err)
{
  cleanup_md EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
    return wb_error_set(err, ENOMEM, "sha256");
  cleanup_archive struct archive *raw = archive_read_new();
  cleanup_archive struct archive *tar = archive_read_new();
  cleanup_free struct tar_pipe *pipe = xzalloc(sizeof *pipe);
  if (!raw || !tar)
    return wb_error_set(err, ENOMEM, "libarchive");
  cleanup_free struct wb_archive_fd *in = xzalloc(sizeof *in);
  in->fd = fd;
  wb_archive_enable_builtin_filters(raw);
  archive_read_support_format_raw(raw);
  int r = archive_read_open(raw, in, NULL, wb_archive_fd_read, NULL);
  struct archive_entry *e;
  if (r == ARCHIVE_OK)
    r = archive_read_next_header(raw, &e);
  if (in->bytes == 0)
    return wb_error_set(err, -EINVAL, "empty input, not a tar archive");
  if (r < ARCHIVE_WARN)
    return wb_error_set(err, -EINVAL, "%s", archive_error_string(raw));

  pipe->raw = raw;
  pipe->md = md;
  pipe->progress = progress;
  clock_gettime(CLOCK_MONOTONIC, &pipe->last);
  archive_read_support_format_tar(tar);
  if (archive_read_open(tar, pipe, NULL, tar_pipe_read, NULL) != ARCHIVE_OK)
    return wb_error_set(err, -EINVAL, "not a tar archive (%s)",
                        archive_error_string(tar));
  struct wb_extract x;
  wb_extract_init(&x, diff_fd);
  int ret = 0;
  while (ret == 0) {
    r = archive_read_next_header(tar, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r < ARCHIVE_WARN) {
      ret = wb_error_set(err, -EINVAL, "%s", archive_error_string(tar));
      break;
    }
    ret = wb_extract_entry(&x, tar, e, err);
  }
  if (ret == 0)
    ret = wb_extract_finish(&x, err);
  *size = x.size;
  wb_extract_free(&x);
  if (ret < 0 && pipe->printed)
    fputc('\n', stderr); /* the error gets a line of its own */
  if (ret < 0)
    return ret;
  /* Hash the rest of the stream the tar reader did not ask for. */
  for (;;) {
    la_ssize_t n = archive_read_data(raw, pipe->buf, sizeof pipe->buf);
    if (n < 0)
      return wb_error_set(err, -EINVAL, "%s", archive_error_string(raw));
    if (n == 0)
      break;
    EVP_DigestUpdate(md, pipe->buf, n);
    pipe->bytes += n;
  }
  if (progress)
    progress_line(pipe, true);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  if (!EVP_DigestFinal_ex(md, digest, &dlen))
    return wb_error_set(err, ENOMEM, "sha256");
  char *hex = xmalloc(2 * dlen + 1);
  for (unsigned i = 0; i < dlen; i++)
    snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  *layer_id = hex;
  return 0;
}

/* Parse every --change before reading any input. */
static int changes_to_config(const char *const *changes, struct wb_image *cfg,
                             wb_error *err)
{
  for (const char *const *c = changes; c && *c; c++) {
    int r = wb_image_apply_change(cfg, *c, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Extract into tmp/diff and commit the layer and image; tmp is removed by
 * the caller on failure. */
static int import_into(const char *root, const struct wb_import_opts *o,
                       const struct wb_image *cfg, int in_fd, const char *tmp,
                       char **id_out, wb_error *err)
{
  cleanup_free char *diff = path_join(tmp, "diff");
  if (mkdir(diff, 0755) < 0)
    return wb_error_set(err, errno, "mkdir %s", diff);
  cleanup_close int diff_fd =
      open(diff, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (diff_fd < 0)
    return wb_error_set(err, errno, "open %s", diff);
  cleanup_free char *layer_id = NULL;
  uint64_t size = 0;
  int r = extract_stream(in_fd, diff_fd, o->progress, &layer_id, &size, err);
  if (r < 0)
    return r;
  r = wb_layer_write_meta(tmp, layer_id, size, err);
  if (r < 0)
    return r;
  r = wb_store_lock(root, err);
  if (r < 0)
    return r;
  r = wb_layer_commit(root, layer_id, tmp, err);
  if (r == 0) {
    const char *layers[] = {layer_id, NULL};
    cleanup_free char *comment = o->message
                                     ? xstrdup(o->message)
                                     : xasprintf("Imported from %s", o->source);
    r = wb_image_create(root, layers, cfg, comment, o->tag, id_out, err);
    if (r < 0) {
      /* Do not leave a layer no image uses. */
      char *cand[] = {layer_id, NULL};
      wb_layer_gc(root, cand, NULL);
    }
  }
  wb_store_unlock();
  return r;
}

static int import_source(const char *root, const struct wb_import_opts *o,
                         const struct wb_image *cfg, char **id_out,
                         wb_error *err)
{
  cleanup_close int fd = strcmp(o->source, "-") == 0
                             ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)
                             : open(o->source, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open");
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
    return wb_error_set(err, -EINVAL, "a directory, not a tar archive");
  /* Locked until we return: a sweep of R/tmp knows we are alive. */
  cleanup_free char *tmp = NULL;
  cleanup_close int tmp_lock = -1;
  int r = wb_workdir_make(root, "import", &tmp, &tmp_lock, err);
  if (r < 0)
    return r;
  r = import_into(root, o, cfg, fd, tmp, id_out, err);
  if (r < 0)
    rm_rf(tmp, NULL); /* gone already when the layer was committed */
  return r;
}

int wb_image_import(const char *root, const struct wb_import_opts *o,
                    char **id_out, wb_error *err)
{
  cleanup_image struct wb_image *cfg = xzalloc(sizeof *cfg);
  int r = changes_to_config(o->changes, cfg, err);
  if (r < 0)
    return r;
  if (o->tag) {
    cleanup_free char *norm = NULL;
    r = wb_image_ref_normalize(o->tag, &norm, err);
    if (r < 0)
      return r;
  }
  return import_source(root, o, cfg, id_out, err);
}
