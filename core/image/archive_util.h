/* archive_util.h - what every archive reader of the image store shares:
 * libarchive and digest cleanup, the decompression filters allowed. */
#ifndef WB_ARCHIVE_UTIL_H
#define WB_ARCHIVE_UTIL_H

#include <archive.h>
#include <openssl/evp.h>
#include <stdint.h>

static inline void wb_archive_freep(struct archive **a)
{
  if (*a)
    archive_read_free(*a);
}
#define cleanup_archive __attribute__((cleanup(wb_archive_freep)))

static inline void wb_md_freep(EVP_MD_CTX **m)
{
  if (*m)
    EVP_MD_CTX_free(*m);
}
#define cleanup_md __attribute__((cleanup(wb_md_freep)))

/* A libarchive read callback over a file descriptor; the bytes read are
 * counted and, when md is set, hashed (the digest of the data as stored). */
struct wb_archive_fd {
  int fd;
  EVP_MD_CTX *md;
  uint64_t bytes;
  char buf[128 * 1024];
};
la_ssize_t wb_archive_fd_read(struct archive *a, void *data, const void **buf);

/* Enable the decompression filters built into libarchive.  One that
 * libarchive would run as an external program is left out: the runtime
 * never executes other programs. */
void wb_archive_enable_builtin_filters(struct archive *a);

#endif
