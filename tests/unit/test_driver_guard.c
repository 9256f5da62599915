/* test_driver_guard.c - a driver that crashes, aborts, calls exit() or hangs
 * (tests/plugins/faultdriver.c) while loading, in init, probe, or any op
 * fails that call with one line naming the driver, the op and the signal or
 * time limit, and the process goes on; the header's error convention
 * (positive = success, a failure without host->error still named) holds in
 * every op; the guard itself (driver_guard.h) on plain functions. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "driver_guard.h"
#include "plugin_loader.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* Faults, and what the message must say about each. */
static const struct {
  const char *fault, *says;
} faults[] = {
    {"segv", "with signal 11 (Segmentation fault)"},
    {"abort", "with signal 6 (Aborted)"},
    {"exit", "called exit(3)"},
    {"hang", "did not answer within 1 s"},
    {"overflow", "with signal 11 (Segmentation fault)"},
};
#define N_FAULTS (sizeof faults / sizeof *faults)

static char *root;

static int group_setup(void **state)
{
  (void)state;
  char tmpl[] = "/tmp/wb-unit-guard-XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  root = xstrdup(tmpl);
  /* Hangs cost one second each, not a minute. */
  wb_guard_set_timeouts(1, 1);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  wb_error err = WB_ERROR_INIT;
  int r = rm_rf(root, &err);
  wb_error_clear(&err);
  free(root);
  unsetenv("WB_TD_FAULT_OP");
  return r;
}

static void assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in \"%s\"", needle,
             haystack ? haystack : "(no message)");
}

static void assert_one_line(const char *msg)
{
  assert_non_null(msg);
  if (strchr(msg, '\n'))
    fail_msg("more than one line: \"%s\"", msg);
}

static char *fault_driver(const char *kind, const char *fault)
{
  return xasprintf("%s/%s-%s.so", getenv("WB_TEST_PLUGIN_DIR"), kind, fault);
}

/* Open, init and probe <kind>-<fault>.so with WB_TD_FAULT_OP=op; the step
 * that runs op must fail naming it, the others pass.  Returns the driver
 * (NULL when loading failed). */
static struct wb_driver *open_init_probe(const char *kind, const char *fault,
                                         const char *op, wb_error *err)
{
  setenv("WB_TD_FAULT_OP", op, 1);
  char *path = fault_driver(kind, fault);
  struct wb_driver *d = NULL;
  int r = wb_driver_open(path, 0, NULL, &d, err);
  free(path);
  if (r == 0)
    r = wb_driver_init(d, NULL, root, err);
  if (r == 0)
    r = wb_driver_probe(d, err);
  unsetenv("WB_TD_FAULT_OP");
  if (r == 0)
    fail_msg("%s-%s: %s went through", kind, fault, op);
  return d;
}

/* The same process goes on, for every fault in every step of every kind:
 * without the guard the first segv ends this test program. */
static void test_faults_while_loading_init_probe(void **state)
{
  (void)state;
  static const char *const kinds[] = {"storage", "cgroup", "log"};
  static const struct {
    const char *op, *where;
  } steps[] = {{"load", "loading"},
               {"entry", "loading"},
               {"init", "init()"},
               {"probe", "probe()"}};
  for (size_t k = 0; k < 3; k++)
    for (size_t f = 0; f < N_FAULTS; f++)
      for (size_t s = 0; s < 4; s++) {
        if (strcmp(faults[f].fault, "overflow") == 0 && k > 0)
          continue; /* built for storage only */
        wb_error err = WB_ERROR_INIT;
        struct wb_driver *d =
            open_init_probe(kinds[k], faults[f].fault, steps[s].op, &err);
        assert_one_line(err.msg);
        assert_contains(err.msg, steps[s].where);
        if (strcmp(faults[f].fault, "hang") == 0 && s < 2)
          assert_contains(err.msg, "did not finish loading within 1 s");
        else
          assert_contains(err.msg, faults[f].says);
        char *name = xasprintf("%s-%s", kinds[k], faults[f].fault);
        assert_contains(err.msg, name);
        free(name);
        assert_true(s < 2 ? d == NULL : d != NULL);
        wb_driver_free(d);
        wb_error_clear(&err);
      }
}

/* A storage op that faults: its call fails with the one line; after that
 * the driver is not called for new work, but remove() (cleanup) is still
 * tried once. */
static void test_fault_in_op_then_only_cleanup(void **state)
{
  (void)state;
  for (size_t f = 0; f < N_FAULTS; f++) {
    char *path = fault_driver("storage", faults[f].fault);
    wb_error err = WB_ERROR_INIT;
    struct wb_driver *d = NULL;
    assert_int_equal(wb_driver_open(path, WB_PLUGIN_STORAGE, NULL, &d, &err),
                     0);
    assert_int_equal(wb_driver_init(d, NULL, root, &err), 0);
    const struct wb_storage_ops *ops = d->ops;
    struct wb_rootfs fs = {.size = sizeof fs,
                           .id = "0123456789abcdef",
                           .dir = root,
                           .userns_fd = -1};
    setenv("WB_TD_FAULT_OP", "create,mount+", 1);
    assert_true(ops->create(d->data, &fs, &err) < 0);
    assert_one_line(err.msg);
    char *want = xasprintf("storage-%s: ", faults[f].fault);
    assert_contains(err.msg, want);
    free(want);
    assert_contains(err.msg, "create()");
    assert_contains(err.msg, faults[f].says);
    assert_int_equal(d->guard.state, WB_GUARD_FAULTED);
    /* No new work... */
    assert_true(ops->mount(d->data, &fs, &err) < 0);
    assert_contains(err.msg, "mount() not called");
    assert_contains(err.msg, "create()");
    /* ...but what removes state is still tried. */
    assert_int_equal(ops->remove(d->data, &fs, &err), 0);
    unsetenv("WB_TD_FAULT_OP");
    wb_error_clear(&err);
    wb_driver_free(d);
    free(path);
  }
}

/* A cleanup op that faults: what may be left is named, and the driver is
 * not called again at all. */
static void test_fault_in_cleanup_names_what_is_left(void **state)
{
  (void)state;
  char *path = fault_driver("cgroup", "abort");
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *d = NULL;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_CGROUP, NULL, &d, &err), 0);
  assert_int_equal(wb_driver_init(d, NULL, root, &err), 0);
  const struct wb_cgroup_ops *ops = d->ops;
  struct wb_cgroup cg = {sizeof cg, "wb-unit-parent", "c0ffee"};
  setenv("WB_TD_FAULT_OP", "destroy", 1);
  assert_true(ops->destroy(d->data, &cg, &err) < 0);
  assert_one_line(err.msg);
  assert_contains(err.msg, "cgroup-abort: crashed in destroy() with signal 6");
  assert_contains(err.msg, "cgroup wb-unit-parent/c0ffee");
  assert_contains(err.msg, "may be left");
  assert_int_equal(d->guard.state, WB_GUARD_DEAD);
  unsetenv("WB_TD_FAULT_OP");
  assert_true(ops->kill(d->data, &cg, SIGKILL, &err) < 0);
  assert_contains(err.msg, "kill() not called");
  wb_error_clear(&err);
  wb_driver_free(d);
  free(path);
}

/* The header: a positive return is success, in every op of every kind. */
static void test_positive_is_success_everywhere(void **state)
{
  (void)state;
  setenv("WB_TD_FAULT_OP", "*", 1);
  wb_error err = WB_ERROR_INIT;
  struct wb_driver *s = NULL, *c = NULL, *l = NULL;
  char *sp = fault_driver("storage", "positive");
  char *cp = fault_driver("cgroup", "positive");
  char *lp = fault_driver("log", "positive");
  assert_int_equal(wb_driver_open(sp, 0, NULL, &s, &err), 0);
  assert_int_equal(wb_driver_open(cp, 0, NULL, &c, &err), 0);
  assert_int_equal(wb_driver_open(lp, 0, NULL, &l, &err), 0);
  assert_int_equal(wb_driver_init(s, NULL, root, &err), 0);
  assert_int_equal(wb_driver_init(c, NULL, root, &err), 0);
  assert_int_equal(wb_driver_init(l, NULL, root, &err), 0);
  assert_int_equal(wb_driver_probe(s, &err), 0);
  struct wb_rootfs fs = {.size = sizeof fs, .id = "0", .dir = root};
  const struct wb_storage_ops *so = s->ops;
  assert_int_equal(so->create(s->data, &fs, &err), 0);
  assert_int_equal(so->mount(s->data, &fs, &err), 0);
  assert_int_equal(so->umount(s->data, &fs, &err), 0);
  assert_int_equal(so->diff(s->data, &fs, root, &err), 0);
  assert_int_equal(so->remove(s->data, &fs, &err), 0);
  struct wb_cgroup cg = {sizeof cg, "p", "0"};
  struct wb_limits lim = {.size = sizeof lim};
  struct wb_cgroup_stats st = {.size = sizeof st};
  const struct wb_cgroup_ops *co = c->ops;
  assert_int_equal(co->create(c->data, &cg, &err), 0);
  assert_int_equal(co->apply(c->data, &cg, &lim, &err), 0);
  assert_int_equal(co->enter(c->data, &cg, getpid(), &err), 0);
  assert_int_equal(co->stats(c->data, &cg, &st, &err), 0);
  assert_int_equal(co->kill(c->data, &cg, 0, &err), 0);
  assert_int_equal(co->freeze(c->data, &cg, 0, &err), 0);
  assert_int_equal(co->enter_self(c->data, &cg, &err), 0);
  assert_int_equal(co->destroy(c->data, &cg, &err), 0);
  struct wb_log_target t = {.size = sizeof t, .id = "0", .dir = root};
  const struct wb_log_ops *lo = l->ops;
  void *h = NULL;
  assert_int_equal(lo->open(l->data, &t, &h, &err), 0);
  struct timespec ts = {0};
  assert_int_equal(lo->write(h, WB_STREAM_STDOUT, &ts, "x", 1, &err), 0);
  lo->close(h);
  assert_int_equal(lo->remove(l->data, &t, &err), 0);
  assert_null(err.msg);
  unsetenv("WB_TD_FAULT_OP");
  wb_driver_free(s);
  wb_driver_free(c);
  wb_driver_free(l);
  free(sp);
  free(cp);
  free(lp);
}

/* A failure without host->error() still names the driver, the op and the
 * errno. */
static void test_silent_failure_is_named(void **state)
{
  (void)state;
  setenv("WB_TD_FAULT_OP", "create,open", 1);
  wb_error err = WB_ERROR_INIT;
  char *sp = fault_driver("storage", "silent");
  struct wb_driver *s = NULL;
  assert_int_equal(wb_driver_open(sp, 0, NULL, &s, &err), 0);
  assert_int_equal(wb_driver_init(s, NULL, root, &err), 0);
  struct wb_rootfs fs = {.size = sizeof fs, .id = "0", .dir = root};
  const struct wb_storage_ops *so = s->ops;
  assert_int_equal(so->create(s->data, &fs, &err), -EACCES);
  assert_string_equal(err.msg,
                      "storage-silent: create() failed: Permission denied");
  assert_int_equal(err.code, EACCES);
  assert_int_equal(s->guard.state, WB_GUARD_OK);
  char *lp = fault_driver("log", "silent");
  struct wb_driver *l = NULL;
  assert_int_equal(wb_driver_open(lp, 0, NULL, &l, &err), 0);
  assert_int_equal(wb_driver_init(l, NULL, root, &err), 0);
  struct wb_log_target t = {.size = sizeof t, .id = "0", .dir = root};
  void *h = NULL;
  const struct wb_log_ops *lo = l->ops;
  assert_int_equal(lo->open(l->data, &t, &h, &err), -EACCES);
  assert_string_equal(err.msg, "log-silent: open() failed: Permission denied");
  assert_null(h);
  unsetenv("WB_TD_FAULT_OP");
  wb_error_clear(&err);
  wb_driver_free(s);
  wb_driver_free(l);
  free(sp);
  free(lp);
}

/* ---- the guard on plain functions ------------------------------------- */

static void sleep_ms(long ms)
{
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&t, &t) < 0 && errno == EINTR)
    ;
}

/* 1.5 s in a callback into the core, 0.2 s of its own: within 1 s. */
static int slow_core_fast_driver(void *arg, wb_error *err)
{
  (void)arg;
  (void)err;
  wb_guard_pause();
  sleep_ms(1500);
  wb_guard_resume();
  sleep_ms(200);
  return 0;
}

static int slow_driver(void *arg, wb_error *err)
{
  (void)arg;
  (void)err;
  sleep_ms(1500);
  return 0;
}

static void test_time_in_callbacks_is_not_the_drivers(void **state)
{
  (void)state;
  struct wb_guard g = {.who = "log-test"};
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_guard_call(&g, "read", WB_LIMIT_CALL, false,
                                 slow_core_fast_driver, NULL, &err),
                   0);
  assert_int_equal(
      wb_guard_call(&g, "read", WB_LIMIT_CALL, false, slow_driver, NULL, &err),
      -ETIMEDOUT);
  assert_string_equal(err.msg, "log-test: read() did not answer within 1 s");
  wb_error_clear(&err);
  wb_guard_clear(&g);
}

/* A driver's own child that calls exit() is not the driver calling exit():
 * it must really exit, not jump back into a copy of the guarded call. */
static int fork_child_that_exits(void *arg, wb_error *err)
{
  (void)err;
  int *status = arg;
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0)
    exit(7);
  waitpid(pid, status, 0);
  return 0;
}

static void test_exit_in_a_drivers_child_is_its_own(void **state)
{
  (void)state;
  struct wb_guard g = {.who = "storage-test"};
  int status = 0;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_guard_call(&g, "create", WB_LIMIT_CALL, false,
                                 fork_child_that_exits, &status, &err),
                   0);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 7);
  assert_int_equal(g.state, WB_GUARD_OK);
}

/* Outside a guarded call the core's own faults are not caught: a crash in
 * the core still kills (and dumps) the process as it did before. */
static int nothing(void *arg, wb_error *err)
{
  (void)arg;
  (void)err;
  return 0;
}

static void test_core_crash_outside_a_call_still_kills(void **state)
{
  (void)state;
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* cmocka's own handlers would report and go on: the defaults, then
     * the guard's handlers on top, as in whalebox. */
    signal(SIGSEGV, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    struct wb_guard g = {.who = "storage-test"};
    wb_guard_call(&g, "create", WB_LIMIT_CALL, false, nothing, NULL, NULL);
    abort();
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_int_equal(WTERMSIG(status), SIGABRT);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_faults_while_loading_init_probe),
      cmocka_unit_test(test_fault_in_op_then_only_cleanup),
      cmocka_unit_test(test_fault_in_cleanup_names_what_is_left),
      cmocka_unit_test(test_positive_is_success_everywhere),
      cmocka_unit_test(test_silent_failure_is_named),
      cmocka_unit_test(test_time_in_callbacks_is_not_the_drivers),
      cmocka_unit_test(test_exit_in_a_drivers_child_is_its_own),
      cmocka_unit_test(test_core_crash_outside_a_call_still_kills),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
