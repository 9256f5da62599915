/* exec_stub.c - load the exec stub into a sealed memfd and exec through it
 * (see core/exec_stub/exec_stub.c for why). */
#include "exec_stub.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "spawn.h"

/* The stub's ELF image (generated: core/exec_stub/embed.py). */
extern const unsigned char wb_exec_stub_image[];
extern const size_t wb_exec_stub_image_size;

/* Linux 6.3 added these: with vm.memfd_noexec=1 a memfd is not executable
 * unless asked for, and F_SEAL_EXEC freezes the mode bits.  Older kernels
 * reject both with EINVAL and need neither. */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

static int stub_memfd(void)
{
  const unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = memfd_create("whalebox-exec-stub", flags | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("whalebox-exec-stub", flags);
  return fd;
}

int wb_exec_stub_open(wb_error *err)
{
  cleanup_close int fd = stub_memfd();
  if (fd < 0)
    return wb_error_set(err, errno, "memfd for the exec stub");
  size_t off = 0;
  while (off < wb_exec_stub_image_size) {
    ssize_t n =
        write(fd, wb_exec_stub_image + off, wb_exec_stub_image_size - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return wb_error_set(err, n < 0 ? errno : EIO, "write the exec stub");
    off += (size_t)n;
  }
  /* Sealed: nothing in the container can change the copy it can reach
   * through /proc/PID/exe while the stub runs. */
  const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  if (fcntl(fd, F_ADD_SEALS, seals | F_SEAL_EXEC) < 0 &&
      (errno != EINVAL || fcntl(fd, F_ADD_SEALS, seals) < 0))
    return wb_error_set(err, errno, "seal the exec stub");
  return steal_fd(&fd);
}

char **wb_exec_stub_argv(int sync, const char *path, char *const *argv)
{
  char **v = NULL;
  char num[16];
  snprintf(num, sizeof num, "%d", sync);
  strv_push(&v, num);
  strv_push(&v, path);
  for (char *const *a = argv; *a; a++)
    strv_push(&v, *a);
  return v;
}

int wb_exec_stub_exec(int stub_fd, int sync, char *const *stub_argv,
                      char *const *env, wb_error *err)
{
  if (fcntl(sync, F_SETFD, 0) < 0)
    return wb_error_set(err, errno, "keep the sync channel for the exec stub");
  syscall(SYS_execveat, stub_fd, "", stub_argv, env, AT_EMPTY_PATH);
  /* A seccomp profile may refuse execveat but allow execve. */
  int e = errno;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", stub_fd);
  execve(path, stub_argv, env);
  return wb_error_set_exit(err, WB_EXIT_CANNOT_EXEC, e,
                           "cannot run whalebox's exec stub (the seccomp "
                           "profile must allow execveat or execve)");
}

int wb_exec_error(wb_error *err, const char *cmd, int e)
{
  char buf[128];
  return wb_error_set_exit(
      err, e == ENOENT ? WB_EXIT_NOT_FOUND : WB_EXIT_CANNOT_EXEC, -e,
      "exec \"%s\": %s", cmd, wb_errno_text(e, buf, sizeof buf));
}
