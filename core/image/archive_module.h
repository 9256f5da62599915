/* archive_module.h - the image archive module: everything that needs
 * libarchive or libcrypto (import, save, load, the tar writer behind
 * commit and export, sha256) lives in a private shared object,
 * whalebox-archive.so, that the core dlopens the first time an image verb
 * needs it.  Container verbs (run, exec, ps, stop, rm...) thus never load
 * libarchive and what it pulls in (libxml2, ICU, libstdc++, nettle, the
 * compressors) nor libcrypto: about a third of the process start cost.
 *
 * The module is built from the same tree as the core and is not an ABI:
 * it calls core functions exported by the whalebox executable (listed in
 * core/image/archive_host.sym) and is refused unless it was built for the
 * same version.  Lookup: next to the running binary (a build tree), else
 * WB_PKGLIBDIR/whalebox-archive.so. */
#ifndef WB_IMAGE_ARCHIVE_MODULE_H
#define WB_IMAGE_ARCHIVE_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"
#include "archive_write.h"
#include "store.h"

/* Bumped whenever struct wb_archive_ops changes. */
#define WB_ARCHIVE_MODULE_ABI 1

struct wb_archive_ops {
  uint32_t abi;        /* WB_ARCHIVE_MODULE_ABI */
  uint32_t size;       /* sizeof(struct wb_archive_ops) */
  const char *version; /* WB_VERSION of the build */
  /* See store.h and transfer.h for what each one does. */
  int (*image_import)(const char *root, const struct wb_import_opts *opts,
                      char **id_out, wb_error *err);
  int (*image_save)(const char *root, const char *const *refs, int out_fd,
                    wb_error *err);
  int (*image_load)(const char *root, int in_fd, char ***lines, wb_error *err);
  /* See archive_write.h (wb_tar_dirs). */
  int (*tar_dirs)(const char *const *dirs, size_t n, enum wb_tar_mode mode,
                  wb_tar_sink_fn sink, void *arg, char **digest_hex,
                  uint64_t *size, wb_error *err);
  /* sha256 of data as 64 lowercase hex digits (caller frees). */
  char *(*sha256_hex)(const void *data, size_t len);
};

/* Core side: the module's operations, loaded on first use and kept for the
 * life of the process.  When it cannot be loaded: -ENOENT, "image archive
 * support is not available: <why>". */
int wb_archive_get(const struct wb_archive_ops **out, wb_error *err);

/* Use ops linked into the program instead of loading the module (unit
 * tests link the module's code statically). */
void wb_archive_set(const struct wb_archive_ops *ops);

/* Module side: its only exported symbol. */
#define WB_ARCHIVE_MODULE_SYMBOL "wb_archive_module_ops"
const struct wb_archive_ops *wb_archive_module_ops(void);

#endif
