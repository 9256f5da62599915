/* digest.c - sha256 for the image store (in the archive module, so that
 * only image verbs load libcrypto). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/xalloc.h"
#include "store_internal.h"

char *wb_sha256_hex(const void *data, size_t len)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
    abort(); /* only fails without memory, like xmalloc */
  char *hex = xmalloc(2 * mdlen + 1);
  for (unsigned i = 0; i < mdlen; i++)
    snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return hex;
}
