/* archive_write.h - layer directories as tar streams (internal to
 * core/image): the one writer behind commit's layer id, save and export.
 *
 * The stream is a function of the tree only, so that the same tree always
 * gives the same bytes and the same sha256:
 *   - entries in byte order of their names, each directory before its
 *     children, no entry for the root itself;
 *   - POSIX pax, extended headers only where ustar cannot carry a field
 *     (long names, large ids or sizes, xattrs);
 *   - modification times in whole seconds, no atime/ctime, no user or group
 *     names (the numbers are what the container sees);
 *   - xattrs sorted by name, without trusted.overlay.* (mount bookkeeping),
 *     security.selinux (the host's labels) and system.* (ACL encodings);
 *   - hard links within the stream as tar hard links to the first name in
 *     that order;
 *   - no padding after the two end-of-archive blocks.
 * Extracting such a stream (core/image/extract.c) and writing it again
 * gives the same bytes, which makes save -> load -> save stable. */
#ifndef WB_IMAGE_ARCHIVE_WRITE_H
#define WB_IMAGE_ARCHIVE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"

/* Where the bytes go besides the digest.  Return 0 or < 0 with err set. */
typedef int (*wb_tar_sink_fn)(void *arg, const void *buf, size_t len,
                              wb_error *err);

/* A sink writing to the file descriptor *(int *)arg (tar_sink.c, core). */
int wb_tar_sink_fd(void *arg, const void *buf, size_t len, wb_error *err);

enum wb_tar_mode {
  /* One layer in overlayfs format: a 0:0 character device becomes a
   * ".wh.NAME" entry, an opaque directory (trusted.overlay.opaque=y) gets a
   * ".wh..wh..opq" entry right after its own. */
  WB_TAR_LAYER = 0,
  /* Several layers flattened as a mount would show them (export):
   * whiteouts and opaque directories hide what is below, and none of them
   * is written. */
  WB_TAR_MERGE = 1,
};

/* In the archive module (archive_module.h); the core calls it through
 * wb_archive_get()->tar_dirs.
 * Write the tar of `dirs` (bottom first, n >= 1; WB_TAR_LAYER wants n == 1)
 * to sink (may be NULL: digest only).  *digest_hex (may be NULL) gets the
 * 64-hex sha256 of the stream, *size (may be NULL) its length. */
int wb_tar_dirs(const char *const *dirs, size_t n, enum wb_tar_mode mode,
                wb_tar_sink_fn sink, void *arg, char **digest_hex,
                uint64_t *size, wb_error *err);

/* The diff id a layer directory has in this format (module only). */
static inline int wb_tar_layer_digest(const char *dir, char **digest_hex,
                                      uint64_t *size, wb_error *err)
{
  return wb_tar_dirs(&dir, 1, WB_TAR_LAYER, NULL, NULL, digest_hex, size, err);
}

/* tar_cache.c: the digest and size of a stored layer's tar stream, once
 * computed (R/layers/<id>/tar-sha256).  0, or -ENOENT when not known. */
int wb_layer_tar_cached(const char *root, const char *id, char **digest,
                        uint64_t *size);
/* Remember them (best effort; caller holds the store lock). */
void wb_layer_tar_remember(const char *root, const char *id, const char *digest,
                           uint64_t size);
/* The stored layer whose tar stream has this digest, if known (caller
 * frees), else NULL. */
char *wb_layer_by_tar_digest(const char *root, const char *digest);

#endif
