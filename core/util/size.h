/* size.h - the one parser of sizes ("64k", "10m"), for whalebox and for
 * whalebox-monitor alike (libc only), so that a size one of them accepts
 * the other never refuses or reads differently. */
#ifndef WB_SIZE_H
#define WB_SIZE_H

#include <stdint.h>

/* Parse a size in bytes: decimal digits, then optionally a unit of binary
 * multiples, case-insensitive: b, or k m g t p each alone or followed by
 * "b" or "ib" ("10m", "10MB", "10MiB" are all 10 << 20), as Docker's
 * RAMInBytes.  No sign, no fraction, no spaces anywhere (Docker's parser
 * also refuses leading ones).  0 and *out set; -EINVAL when the text is
 * not a size, -ERANGE when it is one larger than INT64_MAX bytes (never a
 * wrapped or negative value). */
int parse_size(const char *text, int64_t *out);

#endif
