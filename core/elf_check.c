#include "elf_check.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

static int bad(wb_error *err, const char *path, const char *why)
{
  return wb_error_set(err, -ENOEXEC,
                      "driver %s: not a usable shared object: %s", path, why);
}

int wb_elf_check(int fd, const char *path, wb_error *err)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wb_error_set(err, errno, "driver %s", path);
  Elf64_Ehdr eh;
  memset(&eh, 0, sizeof eh);
  ssize_t n = pread(fd, &eh, sizeof eh, 0);
  if (n < SELFMAG || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return wb_error_set(err, -ENOEXEC,
                        "driver %s: not a shared object (no ELF header)", path);
  if (n != (ssize_t)sizeof eh)
    return bad(err, path, "truncated ELF header");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    return bad(err, path, "not a 64-bit little-endian ELF file");
#if defined(__x86_64__)
  if (eh.e_machine != EM_X86_64)
    return bad(err, path, "built for another machine");
#endif
  if (eh.e_type != ET_DYN)
    return bad(err, path, "not a shared object (ELF type is not ET_DYN)");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
      eh.e_phnum > 4096)
    return bad(err, path, "bad program header table");
  off_t size = st.st_size;
  size_t ph_bytes = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
  if (eh.e_phoff > (uint64_t)size || ph_bytes > (uint64_t)size - eh.e_phoff)
    return bad(err, path, "truncated program header table");
  cleanup_free Elf64_Phdr *ph = xmalloc(ph_bytes);
  if (pread(fd, ph, ph_bytes, (off_t)eh.e_phoff) != (ssize_t)ph_bytes)
    return bad(err, path, "cannot read the program headers");
  bool has_dynamic = false;
  for (unsigned i = 0; i < eh.e_phnum; i++) {
    if (ph[i].p_type == PT_DYNAMIC)
      has_dynamic = true;
    if (ph[i].p_type != PT_LOAD && ph[i].p_type != PT_DYNAMIC)
      continue;
    if (ph[i].p_offset > (uint64_t)size ||
        ph[i].p_filesz > (uint64_t)size - ph[i].p_offset)
      return bad(err, path,
                 "truncated (a segment lies beyond the end of the "
                 "file)");
    if (ph[i].p_filesz > ph[i].p_memsz)
      return bad(err, path, "bad segment sizes");
  }
  if (!has_dynamic)
    return bad(err, path, "no dynamic section");
  return 0;
}
