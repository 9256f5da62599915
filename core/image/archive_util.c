#include "archive_util.h"

#include <stddef.h>

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
