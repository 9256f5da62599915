/* elf_check.h - refuse a file that dlopen() would crash on.  The dynamic
 * loader trusts the ELF headers and maps segments beyond the end of a
 * truncated file, so touching them raises SIGBUS in our process; checking
 * the headers against the file first keeps "no crash, whatever the file
 * contains". */
#ifndef WB_ELF_CHECK_H
#define WB_ELF_CHECK_H

#include "util/error.h"

/* 0 when fd holds a complete shared object for this machine; otherwise
 * -ENOEXEC with a reason naming path. */
int wb_elf_check(int fd, const char *path, wb_error *err);

#endif
