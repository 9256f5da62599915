#include "driver_guard.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/xalloc.h"

/* How a guarded call ended early: a signal number (> 0), or these. */
enum {
  ENDED_BY_EXIT = -1,
  ENDED_BY_TIMEOUT = -2,
};

/* One guarded call in progress.  Lives on the caller's stack; the handlers
 * find it through `current` and jump back to `env`. */
struct frame {
  sigjmp_buf env;
  pid_t tid; /* the thread that made the call: only it may jump back */
  volatile sig_atomic_t ended;
  volatile int exit_status;
  volatile sig_atomic_t paused;   /* the driver called back into the core */
  volatile sig_atomic_t returned; /* the call is over; nothing may jump */
  int64_t limit_ms;               /* 0: none */
  int64_t start_ms;
  volatile int64_t core_ms; /* time spent paused, not the driver's */
  volatile int64_t pause_start_ms;
  uintptr_t stack_mark;         /* in run_protected()'s frame */
  struct itimerval outer_timer; /* what an enclosing call had armed */
  struct frame *outer;
};

static struct frame *volatile current;

static const int guarded_signals[] = {SIGSEGV, SIGBUS,  SIGILL,
                                      SIGFPE,  SIGABRT, SIGALRM};
#define N_GUARDED (sizeof guarded_signals / sizeof *guarded_signals)
/* What each signal did before our handler took it over. */
static struct sigaction previous[N_GUARDED];

/* Enough for the handler, and for a handler we pass a signal on to (a
 * sanitizer's report runs there too).  Reserved, not touched: costs no
 * memory until used. */
#define ALT_STACK_SIZE (256 * 1024)
static void *alt_stack;

static bool exit_hook_armed;
static unsigned call_limit_s = WB_GUARD_CALL_S;
static unsigned data_limit_s = WB_GUARD_DATA_S;
static int progress_fd = -1;

static int64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void arm_timer_ms(int64_t ms)
{
  struct itimerval it = {
      .it_value = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
}

/* The driver's own time in the call so far: what it spent in callbacks
 * into the core is not its. */
static int64_t driver_ms(const struct frame *f, int64_t now)
{
  int64_t core = f->core_ms;
  if (f->paused)
    core += now - f->pause_start_ms;
  return now - f->start_ms - core;
}

/* SIGALRM during a call: true (and the timer armed again for the rest) when
 * the driver still has time, or is paused in a callback. */
static bool still_in_time(struct frame *f)
{
  if (f->returned || f->limit_ms == 0)
    return true;
  int64_t left = f->limit_ms - driver_ms(f, now_ms());
  if (!f->paused && left <= 0)
    return false;
  arm_timer_ms(left > 10 ? left : 10);
  return true;
}

static size_t signal_index(int sig)
{
  size_t i = 0;
  while (i < N_GUARDED - 1 && guarded_signals[i] != sig)
    i++;
  return i;
}

/* Not a driver's fault: give the signal to whoever had it before us.  A
 * fault comes back by itself (the instruction runs again); a signal sent
 * by someone (kill, abort()'s raise) is raised again, and arrives when
 * this handler returns. */
static void pass_on(int sig, const siginfo_t *si)
{
  sigaction(sig, &previous[signal_index(sig)], NULL);
  if (si->si_code <= 0)
    raise(sig);
}

/* Where a faulting call goes on: on the calling thread's own stack, below
 * run_protected()'s frame (the driver's frames there are abandoned). */
static _Noreturn void escape(void)
{
  siglongjmp(current->env, 1);
}

/* Leave the handler for escape(): by returning to it (the handler's
 * registers edited), so that the alternate stack is left the way the kernel
 * expects and the jump back is made from the ordinary stack, where a
 * sanitizer's longjmp finds the stack it knows (from the alternate stack
 * AddressSanitizer's asks pthread_getattr_np, which fails in a raw
 * clone()'s child, or warns).  Elsewhere, a jump straight from here. */
static void leave_handler(struct frame *f, void *ucv)
{
#if defined(__x86_64__) || defined(__aarch64__)
  ucontext_t *uc = ucv;
  /* 16-byte aligned, with room for the abandoned frame's red zone. */
  uintptr_t sp = (f->stack_mark - 4096) & ~(uintptr_t)15;
#if defined(__x86_64__)
  uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(sp - 8); /* as if called */
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)escape;
#else
  uc->uc_mcontext.sp = sp;
  uc->uc_mcontext.pc = (uintptr_t)escape;
#endif
#else
  (void)ucv;
  siglongjmp(f->env, 1);
#endif
}

static void on_signal(int sig, siginfo_t *si, void *uc)
{
  int saved_errno = errno;
  struct frame *f = current;
  bool ours = f && !f->returned && !f->paused && f->tid == gettid();
  if (sig == SIGALRM) {
    if (!f) {
      /* Our timer that fired as its call ended: nothing to do. */
      if (si->si_code != SI_KERNEL)
        pass_on(sig, si);
      errno = saved_errno;
      return;
    }
    if (f->tid != gettid()) {
      /* A thread of the driver's got it: the caller's thread must. */
      syscall(SYS_tgkill, getpid(), f->tid, SIGALRM);
      errno = saved_errno;
      return;
    }
    if (still_in_time(f)) {
      errno = saved_errno;
      return;
    }
    f->ended = ENDED_BY_TIMEOUT;
    leave_handler(f, uc);
    return;
  }
  if (!ours) {
    pass_on(sig, si);
    errno = saved_errno;
    return;
  }
  f->ended = sig;
  leave_handler(f, uc);
}

/* exit() from inside a driver call: back to the call, which fails.  The
 * hook is consumed by the exit() that ran it; the next call registers it
 * again. */
static void on_exit_hook(int status, void *arg)
{
  (void)arg;
  exit_hook_armed = false;
  struct frame *f = current;
  if (!f || f->returned || f->paused || f->tid != gettid())
    return;
  f->ended = ENDED_BY_EXIT;
  f->exit_status = status;
  siglongjmp(f->env, 1);
}

/* The handler's stack: a driver that overflowed its own left none. */
static void arm_alt_stack(void)
{
  if (!alt_stack) {
    void *p =
        mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    alt_stack = p == MAP_FAILED ? NULL : p;
  }
  if (!alt_stack)
    return;
  stack_t ss = {.ss_sp = alt_stack, .ss_size = ALT_STACK_SIZE};
  sigaltstack(&ss, NULL);
}

/* Whether our handlers are still in place: a driver or a test harness may
 * have replaced them since the last call (they all go together; SIGSEGV
 * stands for the set).  One system call. */
static bool handlers_in_place(void)
{
  struct sigaction cur;
  return sigaction(SIGSEGV, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
         cur.sa_sigaction == on_signal;
}

/* Handlers, alternate stack and exit hook, made at the first call of a
 * process and again whenever they were replaced. */
static void install(void)
{
  if (!exit_hook_armed && on_exit(on_exit_hook, NULL) == 0)
    exit_hook_armed = true;
  if (handlers_in_place())
    return;
  arm_alt_stack();
  struct sigaction sa = {.sa_sigaction = on_signal,
                         .sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < N_GUARDED; i++) {
    struct sigaction old;
    if (sigaction(guarded_signals[i], &sa, &old) == 0 &&
        old.sa_sigaction != on_signal)
      previous[i] = old;
  }
}

unsigned wb_guard_limit_seconds(enum wb_guard_limit limit)
{
  switch (limit) {
  case WB_LIMIT_QUICK:
    return call_limit_s < WB_GUARD_QUICK_S ? call_limit_s : WB_GUARD_QUICK_S;
  case WB_LIMIT_CALL:
    return call_limit_s;
  case WB_LIMIT_DATA:
    return data_limit_s;
  default:
    return 0;
  }
}

unsigned wb_guard_scan_seconds(unsigned n)
{
  unsigned quick = wb_guard_limit_seconds(WB_LIMIT_QUICK);
  return n * (3 * quick + call_limit_s) + 2;
}

void wb_guard_set_timeouts(unsigned call_s, unsigned data_s)
{
  if (call_s > 0)
    call_limit_s = call_s;
  if (data_s > 0)
    data_limit_s = data_s;
}

void wb_guard_set_progress_fd(int fd)
{
  progress_fd = fd;
}

static void report_progress(const struct wb_guard *g, const char *op)
{
  if (progress_fd < 0)
    return;
  cleanup_free char *line = xasprintf("op %s %s\n", g->who, op);
  ssize_t n = write(progress_fd, line, strlen(line));
  (void)n; /* the parent's backstop: nothing to do if it is gone */
}

static void enter(struct frame *f, unsigned limit_s)
{
  f->tid = gettid();
  f->limit_ms = (int64_t)limit_s * 1000;
  f->start_ms = now_ms();
  f->outer = current;
  struct itimerval it = {.it_value = {.tv_sec = limit_s}};
  setitimer(ITIMER_REAL, &it, &f->outer_timer);
  atomic_signal_fence(memory_order_seq_cst);
  current = f;
}

static void leave(struct frame *f)
{
  f->returned = 1;
  atomic_signal_fence(memory_order_seq_cst);
  setitimer(ITIMER_REAL, &f->outer_timer, NULL);
  current = f->outer;
}

/* The setjmp lives here, apart from the caller's locals: after a jump
 * back, only what f and derr (the caller's) say is read. */
static __attribute__((noinline)) int
run_protected(struct frame *f, wb_guard_fn fn, void *arg, wb_error *derr)
{
  volatile char mark;
  f->stack_mark = (uintptr_t)&mark;
  if (sigsetjmp(f->env, 1) != 0)
    return 0;
  return fn(arg, derr);
}

static bool is_load(const char *op)
{
  return strcmp(op, "load") == 0;
}

/* "crashed in create() with signal 11 (Segmentation fault)"... */
static char *describe_end(const struct frame *f, const char *op,
                          unsigned limit_s)
{
  cleanup_free char *where =
      is_load(op) ? xstrdup("while loading") : xasprintf("in %s()", op);
  if (f->ended == ENDED_BY_EXIT)
    return xasprintf("called exit(%d) %s", f->exit_status, where);
  if (f->ended == ENDED_BY_TIMEOUT)
    return is_load(op)
               ? xasprintf("did not finish loading within %u s", limit_s)
               : xasprintf("%s() did not answer within %u s", op, limit_s);
  return xasprintf("crashed %s with signal %d (%s)", where, (int)f->ended,
                   strsignal((int)f->ended));
}

static int record_fault(struct wb_guard *g, const char *op, bool cleanup,
                        const struct frame *f, unsigned limit_s, wb_error *err)
{
  free(g->fault);
  g->fault = describe_end(f, op, limit_s);
  /* A second fault, or one while removing state: no more calls. */
  g->state =
      cleanup || g->state != WB_GUARD_OK ? WB_GUARD_DEAD : WB_GUARD_FAULTED;
  return wb_error_set(err, f->ended == ENDED_BY_TIMEOUT ? -ETIMEDOUT : -EIO,
                      "%s: %s", g->who, g->fault);
}

int wb_guard_refuse(const struct wb_guard *g, const char *op, bool cleanup,
                    wb_error *err)
{
  if (g->state == WB_GUARD_OK || (g->state == WB_GUARD_FAULTED && cleanup))
    return 0;
  return wb_error_set(err, -ENOTRECOVERABLE,
                      "%s: %s() not called: the driver %s earlier", g->who, op,
                      g->fault);
}

/* What the driver returned, as the header's error convention says. */
static int settle(const struct wb_guard *g, const char *op, int r,
                  wb_error *derr, wb_error *err)
{
  if (r >= 0) {
    wb_error_clear(derr);
    return 0;
  }
  if (derr->msg) {
    if (err) {
      wb_error_clear(err);
      *err = *derr;
    } else {
      wb_error_clear(derr);
    }
    return r;
  }
  /* Failed without host->error(): name the driver and the errno. */
  if (r < -4095)
    return wb_error_set(err, -EIO, "%s: %s() failed (returned %d)", g->who, op,
                        r);
  return wb_error_set(err, -r, "%s: %s() failed", g->who, op);
}

int wb_guard_call(struct wb_guard *g, const char *op, enum wb_guard_limit limit,
                  bool cleanup, wb_guard_fn fn, void *arg, wb_error *err)
{
  int r = wb_guard_refuse(g, op, cleanup, err);
  if (r < 0)
    return r;
  unsigned limit_s = wb_guard_limit_seconds(limit);
  /* After a fault, a cleanup op gets no more than an ordinary call. */
  if (g->state != WB_GUARD_OK && (limit_s == 0 || limit_s > call_limit_s))
    limit_s = call_limit_s;
  install();
  report_progress(g, op);
  struct frame f = {0};
  wb_error derr = WB_ERROR_INIT;
  enter(&f, limit_s);
  r = run_protected(&f, fn, arg, &derr);
  leave(&f);
  if (f.ended) {
    wb_error_clear(&derr);
    return record_fault(g, op, cleanup, &f, limit_s, err);
  }
  return settle(g, op, r, &derr, err);
}

void wb_guard_pause(void)
{
  struct frame *f = current;
  if (!f)
    return;
  f->pause_start_ms = now_ms();
  atomic_signal_fence(memory_order_seq_cst);
  f->paused = 1;
}

void wb_guard_resume(void)
{
  struct frame *f = current;
  if (!f || !f->paused)
    return;
  f->core_ms += now_ms() - f->pause_start_ms;
  atomic_signal_fence(memory_order_seq_cst);
  f->paused = 0;
}

void wb_guard_clear(struct wb_guard *g)
{
  free(g->fault);
  g->fault = NULL;
  g->state = WB_GUARD_OK;
}

uint32_t wb_guard_table_size(const void *table, size_t core_size)
{
  uint32_t size = *(const uint32_t *)table;
  return size < core_size ? size : (uint32_t)core_size;
}

bool wb_guard_table_has(const void *table, size_t offset)
{
  if (*(const uint32_t *)table < offset + sizeof(void (*)(void)))
    return false;
  void (*op)(void);
  memcpy(&op, (const char *)table + offset, sizeof op);
  return op != NULL;
}

int wb_guard_left_behind(char **noted, int r, wb_error *local, wb_error *err,
                         const char *what)
{
  if (r >= 0)
    return r;
  if (r == -ENOTRECOVERABLE && *noted && strcmp(*noted, what) == 0) {
    wb_error_clear(local);
    return 0;
  }
  free(*noted);
  *noted = xstrdup(what);
  const char *msg = local->msg ? local->msg : "failed";
  if (err)
    wb_error_set(err, -(local->code ? local->code : EIO), "%s; %s may be left",
                 msg, what);
  else
    wb_log(WB_LOG_WARN, "%s; %s may be left", msg, what);
  wb_error_clear(local);
  return r;
}
