/* raw_syscall.h - system calls by number and a process entry point, for
 * the freestanding programs that must not run a C library's start-up code:
 * whalebox's exec stub (exec_stub.c) and the tests' fake ELF interpreter
 * (tests/helpers/fake-interp.c).  Linux only; x86_64 and aarch64. */
#ifndef WB_RAW_SYSCALL_H
#define WB_RAW_SYSCALL_H

static inline long raw_syscall6(long n, long a, long b, long c, long d, long e,
                                long f)
{
  long ret;
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  ret = x0;
#else
#error "raw_syscall.h: add this architecture's system call convention"
#endif
  return ret;
}

#define raw_syscall3(n, a, b, c)                                               \
  raw_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define raw_syscall4(n, a, b, c, d)                                            \
  raw_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* _start: calls `void fn(long *sp)` with the initial stack (argc, argv,
 * NULL, envp, NULL, auxv); fn must not return. */
#if defined(__x86_64__)
#define RAW_ENTRY(fn)                                                          \
  __asm__(".globl _start\n"                                                    \
          "_start:\n"                                                          \
          "  mov %rsp, %rdi\n"                                                 \
          "  and $-16, %rsp\n"                                                 \
          "  call " #fn "\n"                                                   \
          "  hlt\n")
#elif defined(__aarch64__)
#define RAW_ENTRY(fn)                                                          \
  __asm__(".globl _start\n"                                                    \
          "_start:\n"                                                          \
          "  mov x0, sp\n"                                                     \
          "  bl " #fn "\n"                                                     \
          "  brk #0\n")
#endif

#endif
