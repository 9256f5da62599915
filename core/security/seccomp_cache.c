/* seccomp_cache.c - compiled seccomp filters kept under the state root.
 *
 * Compiling the filter with libseccomp is about a quarter of a container's
 * start-up; the result only depends on the profile, the effective
 * capabilities, and the versions of whalebox, libseccomp and the kernel.
 * A file in <root>/cache/ holds that description in full, then the BPF
 * program: a file is used only when its description matches exactly, so
 * the name (a hash) never decides on its own. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "security.h"

#define MAGIC "whalebox-seccomp 1\n"

/* Everything the compiled program depends on, as text. */
static char *describe(const struct wb_security *s)
{
  struct utsname u;
  if (uname(&u) < 0)
    memset(&u, 0, sizeof u);
  const struct scmp_version *v = seccomp_version();
  cleanup_strv char **caps = wb_caps_effective(s);
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    abort();
  fprintf(f, "%swhalebox %s\nlibseccomp %u.%u.%u\nkernel %s %s\ncaps", MAGIC,
          WB_VERSION, v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0,
          u.release, u.machine);
  for (char **c = caps; c && *c; c++)
    fprintf(f, " %s", *c);
  fprintf(f, "\nprofile %s\n", s->seccomp ? s->seccomp : "default");
  if (s->seccomp_profile)
    fprintf(f, "%s\n", s->seccomp_profile);
  if (fclose(f) != 0)
    abort();
  return out;
}

/* FNV-1a, 64 bits: only picks the file name. */
static uint64_t name_hash(const char *text)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  return h;
}

/* The program after the description in `data`, if it matches. */
static bool parse(const char *data, size_t len, const char *desc,
                  struct wb_seccomp_filter *out)
{
  size_t dlen = strlen(desc);
  if (len <= dlen || memcmp(data, desc, dlen) != 0)
    return false;
  size_t body = len - dlen;
  size_t n = body / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS || body != n * sizeof(struct sock_filter))
    return false;
  out->insns = xmalloc(body);
  memcpy(out->insns, data + dlen, body);
  out->len = (unsigned short)n;
  return true;
}

int wb_seccomp_prepare_cached(const char *root, const struct wb_security *s,
                              struct wb_seccomp_filter *out, wb_error *err)
{
  out->insns = NULL;
  out->len = 0;
  if (s->privileged || (s->seccomp && strcmp(s->seccomp, "unconfined") == 0))
    return 0;
  cleanup_free char *desc = describe(s);
  cleanup_free char *dir = path_join(root, "cache");
  cleanup_free char *path = xasprintf("%s/seccomp-%016llx.bpf", dir,
                                      (unsigned long long)name_hash(desc));
  cleanup_free char *data = NULL;
  size_t len = 0;
  if (read_file(path, &data, &len, NULL) == 0 && parse(data, len, desc, out))
    return 0;
  int r = wb_seccomp_prepare(s, out, err);
  if (r < 0 || !out->insns)
    return r;
  /* Keep it for the next container; failing to is not an error. */
  size_t dlen = strlen(desc);
  size_t plen = (size_t)out->len * sizeof(struct sock_filter);
  cleanup_free char *file = xmalloc(dlen + plen);
  memcpy(file, desc, dlen);
  memcpy(file + dlen, out->insns, plen);
  cleanup_error wb_error ignored = WB_ERROR_INIT;
  if (mkdir_p(dir, 0700, &ignored) < 0 ||
      write_file_atomic(path, file, dlen + plen, 0, &ignored) < 0)
    wb_log(WB_LOG_DEBUG, "seccomp cache: %s", ignored.msg);
  return 0;
}
