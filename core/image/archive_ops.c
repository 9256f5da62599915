/* archive_ops.c - the image archive module's entry point: the one symbol
 * whalebox-archive.so exports (the rest is built with hidden visibility). */
#include "archive_module.h"
#include "store_internal.h"
#include "transfer.h"

static const struct wb_archive_ops ops = {
    .abi = WB_ARCHIVE_MODULE_ABI,
    .size = sizeof(struct wb_archive_ops),
    .version = WB_VERSION,
    .image_import = wb_image_import,
    .image_save = wb_image_save,
    .image_load = wb_image_load,
    .tar_dirs = wb_tar_dirs,
    .sha256_hex = wb_sha256_hex,
};

__attribute__((visibility("default"))) const struct wb_archive_ops *
wb_archive_module_ops(void)
{
  return &ops;
}
