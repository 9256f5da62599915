/* seccomp_cache.c - compiled seccomp filters kept under the state root.
 *
 * Compiling the filter with libseccomp is about a quarter of a container's
 * start-up; the result only depends on the profile, the effective
 * capabilities, and the versions of whalebox, libseccomp and the kernel.
 * A file in <root>/cache/ holds that description in full, the program's
 * length and checksum, then the BPF program: a file is used only when its
 * description matches exactly and the program is whole, so the name (a
 * hash) never decides on its own. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
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

#define MAGIC "whalebox-seccomp 2\n"

struct build_id_search {
  uintptr_t addr;
  char *hex; /* malloc'd, or NULL when not found */
};

static void note_build_id(struct build_id_search *b, const char *notes,
                          size_t size)
{
  size_t off = 0;
  while (!b->hex && off + sizeof(ElfW(Nhdr)) <= size) {
    ElfW(Nhdr) nh;
    memcpy(&nh, notes + off, sizeof nh);
    size_t name = off + sizeof nh;
    size_t desc = name + ((nh.n_namesz + 3) & ~3U);
    size_t next = desc + ((nh.n_descsz + 3) & ~3U);
    if (next > size)
      return;
    if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
        memcmp(notes + name, "GNU", 4) == 0 && nh.n_descsz > 0) {
      b->hex = xmalloc(2 * nh.n_descsz + 1);
      for (size_t i = 0; i < nh.n_descsz; i++)
        sprintf(b->hex + 2 * i, "%02x", (unsigned char)notes[desc + i]);
    }
    off = next;
  }
}

static int find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
  (void)size;
  struct build_id_search *b = data;
  bool here = false;
  for (int i = 0; i < info->dlpi_phnum && !here; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph->p_vaddr;
    here = ph->p_type == PT_LOAD && b->addr >= start &&
           b->addr < start + ph->p_memsz;
  }
  if (!here)
    return 0;
  for (int i = 0; i < info->dlpi_phnum && !b->hex; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_NOTE)
      note_build_id(b, (const char *)(info->dlpi_addr + ph->p_vaddr),
                    ph->p_memsz);
  }
  return 1;
}

/* The GNU build id of the loaded object holding `addr`, or NULL. */
static char *build_id_of(const void *addr)
{
  struct build_id_search b = {.addr = (uintptr_t)addr, .hex = NULL};
  dl_iterate_phdr(find_build_id, &b);
  return b.hex;
}

/* Everything the compiled program depends on, as text; NULL when that
 * cannot be told (no build id).  The version strings alone are not enough:
 * a patched build keeps them and may have another default profile. */
static char *describe(const struct wb_security *s)
{
  struct utsname u;
  if (uname(&u) < 0)
    memset(&u, 0, sizeof u);
  const struct scmp_version *v = seccomp_version();
  cleanup_free char *self = build_id_of((const void *)describe);
  cleanup_free char *lib = build_id_of((const void *)seccomp_export_bpf);
  if (!self || !lib)
    return NULL;
  cleanup_strv char **caps = wb_caps_effective(s);
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  if (!f)
    abort();
  fprintf(f,
          "%swhalebox %s build %s\nlibseccomp %u.%u.%u build %s\n"
          "kernel %s %s\ncaps",
          MAGIC, WB_VERSION, self, v ? v->major : 0, v ? v->minor : 0,
          v ? v->micro : 0, lib, u.release, u.machine);
  for (char **c = caps; c && *c; c++)
    fprintf(f, " %s", *c);
  fprintf(f, "\nprofile %s\n", s->seccomp ? s->seccomp : "default");
  if (s->seccomp_profile)
    fprintf(f, "%s\n", s->seccomp_profile);
  if (fclose(f) != 0)
    abort();
  return out;
}

/* FNV-1a, 64 bits: picks the file name and checks the program (against
 * damage, not against an attacker: the directory is root's). */
static uint64_t fnv1a(const void *data, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const unsigned char *p = data; len--; p++)
    h = (h ^ *p) * 0x100000001b3ULL;
  return h;
}

/* The line between the description and the program. */
static char *program_line(const struct sock_filter *insns, size_t n)
{
  return xasprintf("program %zu %016" PRIx64 "\n", n,
                   fnv1a(insns, n * sizeof *insns));
}

/* The program after the description in `data`, if it matches and is
 * whole. */
static bool parse(const char *data, size_t len, const char *desc,
                  struct wb_seccomp_filter *out)
{
  size_t dlen = strlen(desc);
  if (len <= dlen || memcmp(data, desc, dlen) != 0)
    return false;
  const char *line = data + dlen;
  const char *nl = memchr(line, '\n', len - dlen);
  if (!nl)
    return false;
  const char *body = nl + 1;
  size_t blen = len - (size_t)(body - data);
  size_t n = blen / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS || blen != n * sizeof(struct sock_filter))
    return false;
  struct sock_filter *insns = xmalloc(blen);
  memcpy(insns, body, blen);
  cleanup_free char *want = program_line(insns, n);
  if (strlen(want) != (size_t)(body - line) ||
      memcmp(want, line, strlen(want)) != 0) {
    free(insns);
    return false;
  }
  out->insns = insns;
  out->len = (unsigned short)n;
  return true;
}

/* The cache file's contents, if it is a regular file of a sane size: never
 * through a symlink, never blocking on a FIFO. */
static int read_cache(const char *path, size_t dlen, char **data, size_t *len)
{
  cleanup_close int fd =
      open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return -errno;
  if (!S_ISREG(st.st_mode) ||
      (size_t)st.st_size >
          dlen + 64 + BPF_MAXINSNS * sizeof(struct sock_filter))
    return -EINVAL;
  return read_fd(fd, path, data, len, NULL);
}

int wb_seccomp_prepare_cached(const char *root, const struct wb_security *s,
                              struct wb_seccomp_filter *out, wb_error *err)
{
  out->insns = NULL;
  out->len = 0;
  if (wb_seccomp_none(s))
    return 0;
  cleanup_free char *desc = describe(s);
  if (!desc)
    return wb_seccomp_prepare(s, out, err);
  size_t dlen = strlen(desc);
  cleanup_free char *dir = path_join(root, "cache");
  cleanup_free char *path =
      xasprintf("%s/seccomp-%016" PRIx64 ".bpf", dir, fnv1a(desc, dlen));
  cleanup_free char *data = NULL;
  size_t len = 0;
  if (read_cache(path, dlen, &data, &len) == 0 && parse(data, len, desc, out))
    return 0;
  int r = wb_seccomp_prepare(s, out, err);
  if (r < 0 || !out->insns)
    return r;
  /* Keep it for the next container; failing to is not an error. */
  cleanup_free char *line = program_line(out->insns, out->len);
  size_t llen = strlen(line);
  size_t plen = (size_t)out->len * sizeof(struct sock_filter);
  cleanup_free char *file = xmalloc(dlen + llen + plen);
  memcpy(file, desc, dlen);
  memcpy(file + dlen, line, llen);
  memcpy(file + dlen + llen, out->insns, plen);
  cleanup_error wb_error ignored = WB_ERROR_INIT;
  if (mkdir_p(dir, 0700, &ignored) < 0 ||
      write_file_atomic(path, file, dlen + llen + plen, 0, &ignored) < 0)
    wb_log(WB_LOG_DEBUG, "seccomp cache: %s", ignored.msg);
  return 0;
}
