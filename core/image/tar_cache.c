/* tar_cache.c - what a stored layer's tar stream (archive_write.c) hashes
 * to, remembered in R/layers/<id>/tar-sha256 ("<64-hex> <size>\n").
 *
 * A layer imported from someone else's tarball has the id of that
 * tarball, which our writer does not reproduce byte for byte.  Once save
 * has written it, the digest it got is remembered, so that save need not
 * read the layer twice next time and load recognises the layer when the
 * archive comes back: the image then gets the same layers, and the same
 * id, instead of a second copy of the layer. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "archive_write.h"
#include "store.h"

static char *cache_path(const char *root, const char *id)
{
  return xasprintf("%s/layers/%s/tar-sha256", root, id);
}

int wb_layer_tar_cached(const char *root, const char *id, char **digest,
                        uint64_t *size)
{
  cleanup_free char *path = cache_path(root, id);
  cleanup_free char *text = NULL;
  if (read_file(path, &text, NULL, NULL) < 0)
    return -ENOENT;
  char hex[65];
  uint64_t n;
  if (sscanf(text, "%64s %" SCNu64, hex, &n) != 2 || !wb_image_id_valid(hex))
    return -EINVAL;
  *digest = xstrdup(hex);
  *size = n;
  return 0;
}

void wb_layer_tar_remember(const char *root, const char *id, const char *digest,
                           uint64_t size)
{
  cleanup_free char *path = cache_path(root, id);
  cleanup_free char *text = xasprintf("%s %" PRIu64 "\n", digest, size);
  /* Best effort: without it, the layer is hashed again next time. */
  write_file_atomic(path, text, strlen(text), 0, NULL);
}

char *wb_layer_by_tar_digest(const char *root, const char *digest)
{
  cleanup_free char *dir = path_join(root, "layers");
  cleanup_dir DIR *d = opendir(dir);
  if (!d)
    return NULL;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!wb_image_id_valid(de->d_name))
      continue;
    cleanup_free char *hex = NULL;
    uint64_t size;
    if (wb_layer_tar_cached(root, de->d_name, &hex, &size) == 0 &&
        strcmp(hex, digest) == 0)
      return xstrdup(de->d_name);
  }
  return NULL;
}
