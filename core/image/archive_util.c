#include "archive_util.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

void wb_archive_enable_builtin_filters(struct archive *a)
{
  static int (*const filters[])(struct archive *) = {
      archive_read_support_filter_gzip,     archive_read_support_filter_bzip2,
      archive_read_support_filter_xz,       archive_read_support_filter_lzma,
      archive_read_support_filter_zstd,     archive_read_support_filter_lz4,
      archive_read_support_filter_compress,
  };
  for (size_t i = 0; i < sizeof filters / sizeof *filters; i++) {
    struct archive *probe = archive_read_new();
    int ok = probe && filters[i](probe) == ARCHIVE_OK;
    archive_read_free(probe);
    if (ok)
      filters[i](a);
  }
}

la_ssize_t wb_archive_fd_read(struct archive *a, void *data, const void **buf)
{
  struct wb_archive_fd *in = data;
  ssize_t n;
  do
    n = read(in->fd, in->buf, sizeof in->buf);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    archive_set_error(a, errno, "read: %s", strerror(errno));
    return ARCHIVE_FATAL;
  }
  if (n > 0 && in->md)
    EVP_DigestUpdate(in->md, in->buf, (size_t)n);
  in->bytes += (uint64_t)n;
  *buf = in->buf;
  return n;
}
