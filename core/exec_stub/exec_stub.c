/* exec_stub.c - the last program whalebox runs in a container before the
 * user's command: it only execs that command.
 *
 * Why it exists (CVE-2019-5736): the process that sets a container up is a
 * fork of whalebox, so until it execs, /proc/self/exe is the host's
 * whalebox binary.  Were it to exec the user's command itself, a command
 * that is a script starting with "#!/proc/self/exe" would make the kernel
 * run that host binary inside the container, with its ELF interpreter
 * looked up in the container's root: code from the image would then hold
 * the host's binary and could open it for writing once whalebox has
 * exited.  Instead the set-up process execs this stub from a sealed memfd
 * (container/exec_stub.c), and the stub execs the command: at that moment
 * /proc/self/exe is the memfd, a private copy that cannot be written, and
 * the stub is static, with no interpreter to look up.  It is freestanding
 * (a few hundred bytes of code) so that the extra exec costs little.
 *
 * argv: SYNC-FD PATH ARGV0 ARGS...; the environment is the command's.
 * SYNC-FD is the runtime's channel (container/sync.h), inherited open: the
 * stub marks it close-on-exec, so that it closes when the command runs (EOF
 * tells the runtime so), and reports a failed execve on it as
 * WB_SYNC_EXEC_FAILED with the errno.  Exit status then: 127 when PATH does
 * not exist, else 126. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "../container/sync.h"
#include "raw_syscall.h"

static const char misuse[] =
    "whalebox-exec-stub: runs only as whalebox's last step before a "
    "container's command\n";

/* A non-negative decimal, or -1. */
static long parse_fd(const char *s)
{
  long v = 0;
  if (!*s)
    return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 1000000)
      return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

static _Noreturn void leave(long code)
{
  for (;;)
    raw_syscall3(SYS_exit_group, code, 0, 0);
}

__attribute__((used)) _Noreturn void wb_exec_stub_main(long *sp)
{
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  long sync = argc >= 3 ? parse_fd(argv[0]) : -1;
  /* Run by hand, or as the interpreter of a "#!/proc/self/exe" script. */
  if (sync < 3) {
    raw_syscall3(SYS_write, 2, misuse, sizeof misuse - 1);
    leave(126);
  }
  /* If the channel cannot be marked, it must not reach the command (the
   * runtime would wait for its EOF forever): close it, and a failure below
   * shows only as the exit status. */
  if (raw_syscall3(SYS_fcntl, sync, F_SETFD, FD_CLOEXEC) < 0) {
    raw_syscall3(SYS_close, sync, 0, 0);
    sync = -1;
  }
  long r = raw_syscall3(SYS_execve, argv[1], argv + 2, envp);
  if (sync >= 0) {
    int32_t msg[2] = {WB_SYNC_EXEC_FAILED, (int32_t)-r};
    raw_syscall3(SYS_write, sync, msg, sizeof msg);
  }
  leave(r == -ENOENT ? 127 : 126);
}

RAW_ENTRY(wb_exec_stub_main);
