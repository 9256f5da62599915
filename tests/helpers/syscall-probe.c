/* syscall-probe.c - a small static program that the security tests
 * (tests/integration/security.bats) run inside a container to see what the
 * kernel lets it do.  Built with `cc -static -O2`, so it needs nothing from
 * the image.
 *
 *   syscall-probe syscalls        one "NAME RESULT" line per probed syscall;
 *                                 RESULT is OK, an errno name (EPERM...) or
 *                                 SIG<n> when the call killed the process
 *   syscall-probe fds             the open fds, without the directory's own
 *   syscall-probe cwd             getcwd() and readlink(/proc/self/cwd)
 *   syscall-probe exe-write       try to open /proc/<pid>/exe of every
 *                                 process for writing: "PID RESULT" lines
 *   syscall-probe exe-scan DEV:INO MS
 *                                 for MS milliseconds, open /proc/<pid>/exe
 *                                 of every process; print "LEAK PID" and
 *                                 exit 1 when one is the file DEV:INO (the
 *                                 host's runtime binary), else "none"
 *   syscall-probe exe-scan DEV:INO MS hold
 *                                 the same, then keep the reference and
 *                                 try until MS to open it for writing
 *                                 (never writes): "WRITABLE" or "not
 *                                 writable: ERRNO"
 *
 * Every syscall is called by number with arguments that make it fail
 * harmlessly even where it is allowed: NULL pointers (EFAULT), bad fds
 * (EBADF), invalid flags or magic numbers (EINVAL).  reboot never gets the
 * valid first magic number, kexec_load gets an invalid architecture and too
 * many segments, init_module an empty image.  Each call runs in a forked
 * child, so one that succeeds (unshare, clone) changes nothing for the
 * next, and one that kills the caller is reported instead of ending the
 * probe. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

static const char *errno_name(int e)
{
  static const struct {
    int e;
    const char *name;
  } names[] = {
      {EPERM, "EPERM"},
      {ENOENT, "ENOENT"},
      {ESRCH, "ESRCH"},
      {EINTR, "EINTR"},
      {EIO, "EIO"},
      {E2BIG, "E2BIG"},
      {ENOEXEC, "ENOEXEC"},
      {EBADF, "EBADF"},
      {ECHILD, "ECHILD"},
      {EAGAIN, "EAGAIN"},
      {ENOMEM, "ENOMEM"},
      {EACCES, "EACCES"},
      {EFAULT, "EFAULT"},
      {EBUSY, "EBUSY"},
      {EEXIST, "EEXIST"},
      {ENODEV, "ENODEV"},
      {ENOTDIR, "ENOTDIR"},
      {EISDIR, "EISDIR"},
      {EINVAL, "EINVAL"},
      {ENFILE, "ENFILE"},
      {EMFILE, "EMFILE"},
      {ENOTTY, "ENOTTY"},
      {ETXTBSY, "ETXTBSY"},
      {ENOSPC, "ENOSPC"},
      {EROFS, "EROFS"},
      {ENOSYS, "ENOSYS"},
      {EOPNOTSUPP, "EOPNOTSUPP"},
      {ENOKEY, "ENOKEY"},
      {EUSERS, "EUSERS"},
      {ENXIO, "ENXIO"},
      {ELOOP, "ELOOP"},
      {EAFNOSUPPORT, "EAFNOSUPPORT"},
  };
  static char buf[32];
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (names[i].e == e)
      return names[i].name;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* ---- syscalls ------------------------------------------------------- */

/* The i386 entry point: getpid (i386 number 20) through int $0x80.  The
 * kernel returns -errno in eax. */
static long i386_getpid(void)
{
  long ret = 20;
  __asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
  return ret;
}

static long call_clone_newuser(void)
{
  long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
  if (r == 0)
    _exit(0);
  if (r > 0)
    waitpid((pid_t)r, NULL, 0);
  return r;
}

static long call_clone3(unsigned long long flags)
{
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  long r = syscall(SYS_clone3, &args, sizeof args);
  if (r == 0)
    _exit(0);
  if (r > 0)
    waitpid((pid_t)r, NULL, 0);
  return r;
}

/* Returns the raw result: >= 0 success, -1 with errno set. */
static long probe_one(const char *name)
{
  if (strcmp(name, "keyctl") == 0) /* KEYCTL_GET_KEYRING_ID, session, no
                                      create: only reads */
    return syscall(SYS_keyctl, 0, -3, 0);
  if (strcmp(name, "add_key") == 0)
    return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0);
  if (strcmp(name, "request_key") == 0)
    return syscall(SYS_request_key, NULL, NULL, NULL, 0);
  if (strcmp(name, "unshare") == 0)
    return syscall(SYS_unshare, CLONE_NEWUSER);
  if (strcmp(name, "setns") == 0)
    return syscall(SYS_setns, -1, 0);
  if (strcmp(name, "mount") == 0)
    return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
  if (strcmp(name, "umount2") == 0)
    return syscall(SYS_umount2, NULL, 0);
  if (strcmp(name, "pivot_root") == 0)
    return syscall(SYS_pivot_root, NULL, NULL);
  if (strcmp(name, "kexec_load") == 0) /* bogus arch, 1000 segments */
    return syscall(SYS_kexec_load, 0, 1000, NULL, 0x7fff0000UL);
  if (strcmp(name, "bpf") == 0)
    return syscall(SYS_bpf, 0x7fffffff, NULL, 0);
  if (strcmp(name, "perf_event_open") == 0)
    return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  if (strcmp(name, "userfaultfd") == 0)
    return syscall(SYS_userfaultfd, 0x7fffffff);
  if (strcmp(name, "open_by_handle_at") == 0)
    return syscall(SYS_open_by_handle_at, -1, NULL, 0);
  if (strcmp(name, "swapon") == 0)
    return syscall(SYS_swapon, NULL, 0);
  if (strcmp(name, "reboot") == 0) /* never LINUX_REBOOT_MAGIC1 */
    return syscall(SYS_reboot, 0x12345678, 0x12345678, 0xdeadbeef, NULL);
  if (strcmp(name, "init_module") == 0)
    return syscall(SYS_init_module, NULL, 0, NULL);
  if (strcmp(name, "finit_module") == 0)
    return syscall(SYS_finit_module, -1, NULL, 0);
  if (strcmp(name, "delete_module") == 0)
    return syscall(SYS_delete_module, NULL, 0);
  if (strcmp(name, "ptrace") == 0) /* PTRACE_PEEKDATA of pid 0 */
    return syscall(SYS_ptrace, 2, 0, NULL, NULL);
  if (strcmp(name, "process_vm_readv") == 0)
    return syscall(SYS_process_vm_readv, 0, NULL, 0, NULL, 0, 0);
  if (strcmp(name, "kcmp") == 0)
    return syscall(SYS_kcmp, 0, 0, 0x7fffffff, 0, 0);
  if (strcmp(name, "settimeofday") == 0)
    return syscall(SYS_settimeofday, NULL, NULL);
  if (strcmp(name, "clock_settime") == 0) /* an invalid clock id */
    return syscall(SYS_clock_settime, 0x7fffffff, NULL);
  if (strcmp(name, "iopl") == 0) /* level 0: gives nothing */
    return syscall(SYS_iopl, 0);
  if (strcmp(name, "ioperm") == 0) /* turn_on = 0: gives nothing */
    return syscall(SYS_ioperm, 0, 0, 0);
  if (strcmp(name, "personality") == 0) /* ADDR_NO_RANDOMIZE */
    return syscall(SYS_personality, 0x0040000);
  if (strcmp(name, "personality_query") == 0)
    return syscall(SYS_personality, 0xffffffffUL);
  if (strcmp(name, "clone_newuser") == 0)
    return call_clone_newuser();
  if (strcmp(name, "clone3") == 0)
    return call_clone3(CLONE_NEWUSER);
  if (strcmp(name, "clone3_plain") == 0)
    return call_clone3(0);
  if (strcmp(name, "i386_getpid") == 0) {
    long r = i386_getpid();
    if (r < 0 && r > -4096) {
      errno = (int)-r;
      return -1;
    }
    return r;
  }
  if (strcmp(name, "x32_getpid") == 0)
    return syscall(__X32_SYSCALL_BIT | SYS_getpid);
  if (strcmp(name, "socket_vsock") == 0) { /* AF_VSOCK: Docker refuses it */
    long r = syscall(SYS_socket, 40, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r >= 0)
      close((int)r);
    return r;
  }
  if (strcmp(name, "socket_unix") == 0) {
    long r = syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r >= 0)
      close((int)r);
    return r;
  }
  if (strcmp(name, "getpid") == 0)
    return syscall(SYS_getpid);
  errno = ENOSYS;
  return -2;
}

static const char *const probed[] = {
    "keyctl",
    "add_key",
    "request_key",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "kexec_load",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "swapon",
    "reboot",
    "init_module",
    "finit_module",
    "delete_module",
    "ptrace",
    "process_vm_readv",
    "kcmp",
    "settimeofday",
    "clock_settime",
    "iopl",
    "ioperm",
    "personality",
    "personality_query",
    "clone_newuser",
    "clone3",
    "clone3_plain",
    "i386_getpid",
    "x32_getpid",
    "socket_vsock",
    "socket_unix",
    "getpid",
    NULL,
};

/* Run one probe in a child; the child's exit status carries the errno (0
 * for success, 255 for "not probed"). */
static void report(const char *name)
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    printf("%s fork-failed\n", name);
    return;
  }
  if (pid == 0) {
    errno = 0;
    long r = probe_one(name);
    if (r == -2)
      _exit(255);
    _exit(r >= 0 ? 0 : (errno > 0 && errno < 255 ? errno : 254));
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) {
      printf("%s wait-failed\n", name);
      return;
    }
  if (WIFSIGNALED(st))
    printf("%s SIG%d\n", name, WTERMSIG(st));
  else if (WEXITSTATUS(st) == 0)
    printf("%s OK\n", name);
  else if (WEXITSTATUS(st) == 255)
    printf("%s not-probed\n", name);
  else
    printf("%s %s\n", name, errno_name(WEXITSTATUS(st)));
}

static int do_syscalls(int argc, char **argv)
{
  if (argc > 0) {
    for (int i = 0; i < argc; i++)
      report(argv[i]);
    return 0;
  }
  for (const char *const *p = probed; *p; p++)
    report(*p);
  return 0;
}

/* ---- fds, cwd ------------------------------------------------------- */

static int do_fds(void)
{
  DIR *d = opendir("/proc/self/fd");
  if (!d) {
    perror("opendir /proc/self/fd");
    return 1;
  }
  int own = dirfd(d);
  int fds[1024];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    int fd = atoi(e->d_name);
    if (fd != own && n < sizeof fds / sizeof *fds)
      fds[n++] = fd;
  }
  /* Small n: a simple sort. */
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (fds[j] < fds[i]) {
        int t = fds[i];
        fds[i] = fds[j];
        fds[j] = t;
      }
  for (size_t i = 0; i < n; i++) {
    char path[64], target[4096];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
    ssize_t len = readlink(path, target, sizeof target - 1);
    target[len > 0 ? len : 0] = '\0';
    printf("%d %s\n", fds[i], target);
  }
  closedir(d);
  return 0;
}

static int do_cwd(void)
{
  char buf[4096];
  if (getcwd(buf, sizeof buf))
    printf("getcwd %s\n", buf);
  else
    printf("getcwd %s\n", errno_name(errno));
  ssize_t len = readlink("/proc/self/cwd", buf, sizeof buf - 1);
  if (len >= 0) {
    buf[len] = '\0';
    printf("readlink %s\n", buf);
  } else {
    printf("readlink %s\n", errno_name(errno));
  }
  return 0;
}

/* ---- the runtime binary --------------------------------------------- */

static bool is_pid(const char *s)
{
  if (!*s)
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

static int do_exe_write(void)
{
  DIR *d = opendir("/proc");
  if (!d) {
    perror("opendir /proc");
    return 1;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!is_pid(e->d_name))
      continue;
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      printf("%s OPENED-FOR-WRITING\n", e->d_name);
      close(fd);
    } else {
      printf("%s %s\n", e->d_name, errno_name(errno));
    }
  }
  closedir(d);
  return 0;
}

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* With a reference to the binary in hand, wait until no process executes
 * it any more (ETXTBSY until then) and see whether it can be opened for
 * writing.  Nothing is written: the open alone shows the hole. */
static void hold_for_writing(int fd, long end)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int last = 0;
  while (now_ms() < end) {
    int w = open(path, O_WRONLY | O_CLOEXEC);
    if (w >= 0) {
      printf("WRITABLE\n");
      close(w);
      return;
    }
    last = errno;
    usleep(50000);
  }
  printf("not writable: %s\n", errno_name(last));
}

static int do_exe_scan(const char *devino, const char *ms, bool hold)
{
  unsigned long long dev, ino;
  if (sscanf(devino, "%llu:%llu", &dev, &ino) != 2) {
    fprintf(stderr, "exe-scan: expected DEV:INO, got %s\n", devino);
    return 2;
  }
  long end = now_ms() + atol(ms);
  pid_t self = getpid();
  /* Ready: the test starts the execs it races against after this line. */
  printf("scanning\n");
  fflush(stdout);
  while (now_ms() < end) {
    DIR *d = opendir("/proc");
    if (!d) {
      perror("opendir /proc");
      return 2;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (!is_pid(e->d_name) || atoi(e->d_name) == self)
        continue;
      char path[300];
      snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
      int fd = open(path, O_PATH | O_CLOEXEC);
      if (fd < 0)
        continue;
      struct stat st;
      if (fstat(fd, &st) == 0 && (unsigned long long)st.st_dev == dev &&
          (unsigned long long)st.st_ino == ino) {
        printf("LEAK %s\n", e->d_name);
        fflush(stdout);
        closedir(d);
        if (hold)
          hold_for_writing(fd, end);
        close(fd);
        return 1;
      }
      close(fd);
    }
    closedir(d);
  }
  printf("none\n");
  return 0;
}

int main(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "syscalls") == 0)
    return do_syscalls(argc - 2, argv + 2);
  if (argc == 2 && strcmp(argv[1], "fds") == 0)
    return do_fds();
  if (argc == 2 && strcmp(argv[1], "cwd") == 0)
    return do_cwd();
  if (argc == 2 && strcmp(argv[1], "exe-write") == 0)
    return do_exe_write();
  if ((argc == 4 || argc == 5) && strcmp(argv[1], "exe-scan") == 0)
    return do_exe_scan(argv[2], argv[3],
                       argc == 5 && strcmp(argv[4], "hold") == 0);
  fprintf(stderr,
          "usage: %s syscalls [NAME...] | fds | cwd | exe-write | "
          "exe-scan DEV:INO MS\n",
          argv[0]);
  return 2;
}
