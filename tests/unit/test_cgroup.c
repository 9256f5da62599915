/* test_cgroup.c - the cgroup drivers against the real kernel: limits read
 * back from the kernel's files, processes entering, stats, kill, freeze,
 * destroy, and real enforcement (OOM kill, pids limit).
 *
 * The driver under test is WB_TEST_CGROUP_DRIVER, by default the one of
 * the host's cgroup mode: "v2" on a unified host, else "v1"
 * (tests/vm/run-cgroup-v2.sh runs this file with "v2" in a cgroup-v2-only
 * VM).  When its probe fails every test is skipped with the probe's reason;
 * WB_TEST_CGROUP_REQUIRE=1 (tests/meson.build sets it) makes that one
 * failure instead.  Tests that do not apply to the host's cgroup mode are
 * reported inside the TAP plan as "ok N - name # SKIP cgroup mode MODE:
 * why" (the form tests/run.sh accepts).
 * Each test works below its own parent
 * "wb-test-<pid>-<random>" and its teardown removes what is left there, in
 * every hierarchy, even when the test failed; nothing else is touched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plugin_loader.h"
#include "util/fs.h"
#include "util/xalloc.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define MIB (1024 * 1024)

/* The controllers whose v1 hierarchies the v1 driver uses. */
static const char *const v1_controllers[] = {"memory", "cpu",  "cpuacct",
                                             "cpuset", "pids", "freezer"};
#define N_V1 (sizeof(v1_controllers) / sizeof(v1_controllers[0]))

struct fixture {
  const char *name; /* "v1" or "v2" */
  struct wb_driver *drv;
  const struct wb_cgroup_ops *ops;
  char *skip_reason; /* probe failure: every test skips with it */
  char *state_root;
  char *v2_mount;       /* v2: the cgroup2 mount */
  char *v1_mount[N_V1]; /* v1: each controller's hierarchy */
  char parent[64];      /* this test's parent, new for every test */
};

static struct fixture fx;

/* ---- helpers ----------------------------------------------------------- */

static void assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in \"%s\"", needle,
             haystack ? haystack : "(no message)");
}

/* Does mountinfo's comma-separated super option list name `word`? */
static bool has_option(const char *opts, const char *word)
{
  size_t n = strlen(word);
  for (const char *s = opts; s && *s;) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len == n && strncmp(s, word, n) == 0)
      return true;
    s = e ? e + 1 : NULL;
  }
  return false;
}

/* First mount of fstype (and, for "cgroup", of a hierarchy with the
 * controller `option`), or NULL. */
static char *find_mount(const char *fstype, const char *option)
{
  FILE *f = fopen("/proc/self/mountinfo", "re");
  assert_non_null(f);
  char *line = NULL, *found = NULL;
  size_t cap = 0;
  while (!found && getline(&line, &cap, f) > 0) {
    char mnt[4096], type[256], opts[1024];
    const char *sep = strstr(line, " - ");
    if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
        sscanf(sep + 3, "%255s %*s %1023s", type, opts) != 2)
      continue;
    if (strcmp(type, fstype) == 0 && (!option || has_option(opts, option)))
      found = xstrdup(mnt);
  }
  free(line);
  fclose(f);
  return found;
}

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "re");
  if (!f)
    return NULL;
  char *buf = xmalloc(65536);
  size_t n = fread(buf, 1, 65535, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Assert a kernel file holds exactly `want` (plus a newline). */
static void assert_file(const char *dir, const char *file, const char *want)
{
  char *path = xasprintf("%s/%s", dir, file);
  char *text = read_text(path);
  if (!text)
    fail_msg("cannot read %s: %s", path, strerror(errno));
  text[strcspn(text, "\n")] = '\0';
  if (strcmp(text, want) != 0)
    fail_msg("%s holds \"%s\", expected \"%s\"", path, text, want);
  free(text);
  free(path);
}

static bool pid_listed(const char *dir, pid_t pid)
{
  char *path = xasprintf("%s/cgroup.procs", dir);
  char *text = read_text(path);
  free(path);
  if (!text)
    return false;
  bool found = false;
  for (char *s = text; *s && !found;) {
    char *end;
    long p = strtol(s, &end, 10);
    if (end == s)
      break;
    found = p == pid;
    s = end + (*end == '\n');
  }
  free(text);
  return found;
}

static bool exists(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0;
}

/* The directories a cgroup <parent>/<id> has: one per v1 hierarchy the
 * driver uses, or the single v2 one.  NULL-terminated, caller frees. */
static char **cgroup_dirs(const char *id)
{
  char **dirs = xzalloc((N_V1 + 1) * sizeof(char *));
  if (strcmp(fx.name, "v2") == 0) {
    dirs[0] = xasprintf("%s/%s/%s", fx.v2_mount, fx.parent, id);
    return dirs;
  }
  for (size_t i = 0; i < N_V1; i++)
    dirs[i] = xasprintf("%s/%s/%s", fx.v1_mount[i], fx.parent, id);
  return dirs;
}

static void free_dirs(char **dirs)
{
  for (size_t i = 0; dirs[i]; i++)
    free(dirs[i]);
  free(dirs);
}

/* The directory of `controller` ("memory"...) for <parent>/<id>. */
static char *controller_dir(const char *controller, const char *id)
{
  if (strcmp(fx.name, "v2") == 0)
    return xasprintf("%s/%s/%s", fx.v2_mount, fx.parent, id);
  for (size_t i = 0; i < N_V1; i++)
    if (strcmp(v1_controllers[i], controller) == 0)
      return xasprintf("%s/%s/%s", fx.v1_mount[i], fx.parent, id);
  fail_msg("unknown controller %s", controller);
  return NULL;
}

/* Tests that need a usable driver are left out by main() when its probe
 * fails; this only guards against running one by mistake. */
static void require_driver(void)
{
  if (fx.skip_reason)
    fail_msg("driver unusable: %s", fx.skip_reason);
}

static struct wb_cgroup cgroup_of(const char *id)
{
  struct wb_cgroup cg = {sizeof(cg), fx.parent, id};
  return cg;
}

static void create_ok(const char *id)
{
  struct wb_cgroup cg = cgroup_of(id);
  wb_error err = WB_ERROR_INIT;
  int r = fx.ops->create(fx.drv->data, &cg, &err);
  if (r < 0)
    fail_msg("create %s/%s: %s", fx.parent, id, err.msg);
}

static void apply_ok(const char *id, const struct wb_limits *l)
{
  struct wb_cgroup cg = cgroup_of(id);
  wb_error err = WB_ERROR_INIT;
  int r = fx.ops->apply(fx.drv->data, &cg, l, &err);
  if (r < 0)
    fail_msg("apply %s/%s: %s", fx.parent, id, err.msg);
}

static void enter_ok(const char *id, pid_t pid)
{
  struct wb_cgroup cg = cgroup_of(id);
  wb_error err = WB_ERROR_INIT;
  int r = fx.ops->enter(fx.drv->data, &cg, pid, &err);
  if (r < 0)
    fail_msg("enter %d into %s/%s: %s", (int)pid, fx.parent, id, err.msg);
}

static struct wb_cgroup_stats stats_ok(const char *id)
{
  struct wb_cgroup cg = cgroup_of(id);
  struct wb_cgroup_stats st = {.size = sizeof(st)};
  wb_error err = WB_ERROR_INIT;
  int r = fx.ops->stats(fx.drv->data, &cg, &st, &err);
  if (r < 0)
    fail_msg("stats %s/%s: %s", fx.parent, id, err.msg);
  return st;
}

static void destroy_ok(const char *id)
{
  struct wb_cgroup cg = cgroup_of(id);
  wb_error err = WB_ERROR_INIT;
  int r = fx.ops->destroy(fx.drv->data, &cg, &err);
  if (r < 0)
    fail_msg("destroy %s/%s: %s", fx.parent, id, err.msg);
}

/* A child blocked on a pipe until *release is closed or written to; it dies
 * with the test process.  Returns its pid. */
static pid_t spawn_blocked(int *release)
{
  int p[2];
  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(p[1]);
    char c;
    ssize_t n = read(p[0], &c, 1);
    _exit(n == 1 ? 0 : 3);
  }
  close(p[0]);
  *release = p[1];
  return pid;
}

static int wait_status(pid_t pid)
{
  int status;
  pid_t r;
  while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
    ;
  assert_int_equal(r, pid);
  return status;
}

static void assert_killed_by(int status, int sig)
{
  if (!WIFSIGNALED(status))
    fail_msg("child was not killed by a signal: %s %d",
             WIFEXITED(status) ? "exit" : "status",
             WIFEXITED(status) ? WEXITSTATUS(status) : status);
  assert_int_equal(WTERMSIG(status), sig);
}

/* Kill what is listed in <dir>/cgroup.procs and rmdir it, a few tries. */
static void force_remove(const char *dir)
{
  for (int i = 0; i < 100 && exists(dir); i++) {
    char *path = xasprintf("%s/cgroup.procs", dir);
    char *text = read_text(path);
    free(path);
    for (char *s = text; s && *s;) {
      char *end;
      long pid = strtol(s, &end, 10);
      if (end == s)
        break;
      if (pid > 0)
        kill((pid_t)pid, SIGKILL);
      s = end + (*end == '\n');
    }
    free(text);
    if (rmdir(dir) == 0 || errno == ENOENT)
      return;
    usleep(10000);
  }
  if (exists(dir))
    fprintf(stderr, "# teardown: could not remove %s\n", dir);
}

/* Remove <root>/<parent> and whatever the test left in it.  The parent's
 * name is unique to this test, so nothing else can be there. */
static void remove_parent(const char *root)
{
  if (!root)
    return;
  char *parent = xasprintf("%s/%s", root, fx.parent);
  DIR *d = opendir(parent);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
          strcmp(de->d_name, "..") == 0)
        continue;
      char *child = xasprintf("%s/%s", parent, de->d_name);
      force_remove(child);
      free(child);
    }
    closedir(d);
    force_remove(parent);
  }
  free(parent);
}

/* The host's cgroup mode as the mounts say it (as helpers/common.bash's
 * host_cgroup_mode): "unified" (cgroup2 at /sys/fs/cgroup), "hybrid" (v1
 * controllers and a cgroup2 at /sys/fs/cgroup/unified), "legacy" (v1
 * only) or "none". */
static const char *host_cgroup_mode(void)
{
  struct statfs sfs;
  if (statfs("/sys/fs/cgroup", &sfs) < 0)
    return "none";
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    return "unified";
  if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 &&
      sfs.f_type == CGROUP2_SUPER_MAGIC)
    return "hybrid";
  return "legacy";
}

/* ---- fixtures ---------------------------------------------------------- */

/* Load and probe the driver under test, before the tests are chosen. */
static int prepare(void)
{
  const char *name = getenv("WB_TEST_CGROUP_DRIVER");
  fx.name = name && *name                                ? name
            : strcmp(host_cgroup_mode(), "unified") == 0 ? "v2"
                                                         : "v1";
  const char *dir = getenv("WB_PLUGIN_DIR");
  if (!dir) {
    fprintf(stderr, "WB_PLUGIN_DIR is not set (run through meson test)\n");
    return -1;
  }
  char *path = xasprintf("%s/cgroup-%s.so", dir, fx.name);
  wb_error err = WB_ERROR_INIT;
  const char *tmp = getenv("TMPDIR");
  char *tmpl =
      xasprintf("%s/wb-unit-cgroup-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(tmpl)) {
    fprintf(stderr, "mkdtemp %s: %s\n", tmpl, strerror(errno));
    return -1;
  }
  fx.state_root = tmpl;
  if (wb_driver_open(path, WB_PLUGIN_CGROUP, fx.name, &fx.drv, &err) < 0 ||
      wb_driver_init(fx.drv, NULL, fx.state_root, &err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    wb_error_clear(&err);
    rm_rf(fx.state_root, &err);
    wb_error_clear(&err);
    free(path);
    return -1;
  }
  free(path);
  fx.ops = fx.drv->ops;
  if (wb_driver_probe(fx.drv, &err) < 0) {
    fx.skip_reason = xstrdup(err.msg);
    wb_error_clear(&err);
  }
  fx.v2_mount = find_mount("cgroup2", NULL);
  for (size_t i = 0; i < N_V1; i++)
    fx.v1_mount[i] = find_mount("cgroup", v1_controllers[i]);
  srand((unsigned)time(NULL) ^ (unsigned)getpid());
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  wb_driver_free(fx.drv);
  wb_error err = WB_ERROR_INIT;
  if (fx.state_root)
    rm_rf(fx.state_root, &err);
  wb_error_clear(&err);
  free(fx.state_root);
  free(fx.skip_reason);
  free(fx.v2_mount);
  for (size_t i = 0; i < N_V1; i++)
    free(fx.v1_mount[i]);
  return 0;
}

static int test_setup(void **state)
{
  (void)state;
  snprintf(fx.parent, sizeof(fx.parent), "wb-test-%d-%08x", (int)getpid(),
           (unsigned)rand());
  return 0;
}

static int test_teardown(void **state)
{
  (void)state;
  if (strcmp(fx.name, "v2") == 0) {
    remove_parent(fx.v2_mount);
  } else {
    for (size_t i = 0; i < N_V1; i++)
      remove_parent(fx.v1_mount[i]);
  }
  return 0;
}

/* ---- tests ------------------------------------------------------------- */

/* Descriptor and ops as the loader accepted them. */
static void test_descriptor(void **state)
{
  (void)state;
  assert_string_equal(fx.drv->desc->name, fx.name);
  assert_string_equal(fx.drv->desc->version, "0.1.0");
  assert_int_equal(fx.drv->desc->kind, WB_PLUGIN_CGROUP);
  assert_int_equal(fx.drv->desc->size, sizeof(struct wb_plugin));
  assert_int_equal(fx.ops->size, sizeof(struct wb_cgroup_ops));
  assert_non_null(fx.ops->freeze);
  /* open() (ABI 1.1) gives a cgroup2 directory for CLONE_INTO_CGROUP: v2
   * has it, v1 cannot (test_open checks what v2's gives). */
  if (strcmp(fx.name, "v2") == 0)
    assert_non_null(WB_DRIVER_OP(fx.drv, struct wb_cgroup_ops, open));
  else
    assert_null(WB_DRIVER_OP(fx.drv, struct wb_cgroup_ops, open));
}

/* On a hybrid host the v2 driver's probe names the controllers that are
 * bound to v1. */
static void test_probe_v2_hybrid(void **state)
{
  (void)state;
  char *mount = find_mount("cgroup2", NULL);
  assert_non_null(mount);
  char *cpath = xasprintf("%s/cgroup.controllers", mount);
  char *have = read_text(cpath);
  assert_non_null(have);
  char *path = xasprintf("%s/cgroup-v2.so", getenv("WB_PLUGIN_DIR"));
  struct wb_driver *d = NULL;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_CGROUP, "v2", &d, &err), 0);
  assert_int_equal(wb_driver_init(d, NULL, fx.state_root, &err), 0);
  assert_true(wb_driver_probe(d, &err) < 0);
  /* Every missing one is named, in the driver's order. */
  char missing[64] = "";
  static const char *const needed[] = {"memory", "cpu", "pids"};
  for (size_t i = 0; i < 3; i++) {
    char *word = xasprintf(" %s ", needed[i]);
    char *padded = xasprintf(" %s ", have);
    padded[strcspn(padded, "\n")] = ' ';
    if (!strstr(padded, word))
      snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
               "%s%s", *missing ? ", " : "", needed[i]);
    free(word);
    free(padded);
  }
  char *want = xasprintf("cgroup-v2: controllers %s not available in %s "
                         "(hybrid host)",
                         missing, mount);
  assert_contains(err.msg, want);
  wb_error_clear(&err);
  wb_driver_free(d);
  free(want);
  free(path);
  free(have);
  free(cpath);
  free(mount);
}

/* Names that could leave the hierarchy are refused before any write. */
static void test_bad_names(void **state)
{
  (void)state;
  require_driver();
  static const struct {
    const char *parent, *id;
  } bad[] = {
      {"ok", "../escape"}, {"ok", "a/b"}, {"ok", ""},       {"ok", "."},
      {"ok", ".."},        {"/abs", "x"}, {"a/../b", "x"},  {"a//b", "x"},
      {"x/", "y"},         {"..", "x"},   {"ok", "sp ace"}, {"ok", "nl\n"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    struct wb_cgroup cg = {sizeof(cg), bad[i].parent, bad[i].id};
    wb_error err = WB_ERROR_INIT;
    assert_int_equal(fx.ops->create(fx.drv->data, &cg, &err), -EINVAL);
    assert_contains(err.msg, "invalid cgroup");
    wb_error_clear(&err);
    struct wb_limits l = {.size = sizeof(l), .pids_limit = 5};
    assert_int_equal(fx.ops->apply(fx.drv->data, &cg, &l, &err), -EINVAL);
    wb_error_clear(&err);
    assert_int_equal(fx.ops->destroy(fx.drv->data, &cg, &err), -EINVAL);
    wb_error_clear(&err);
    assert_int_equal(fx.ops->enter(fx.drv->data, &cg, getpid(), &err), -EINVAL);
    wb_error_clear(&err);
  }
  struct wb_cgroup null_id = {sizeof(null_id), "ok", NULL};
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(fx.ops->create(fx.drv->data, &null_id, &err), -EINVAL);
  wb_error_clear(&err);
}

/* create, apply, read the kernel's files back, enter, stats, freeze, kill,
 * destroy. */
static void test_lifecycle(void **state)
{
  (void)state;
  require_driver();
  bool v2 = strcmp(fx.name, "v2") == 0;
  struct wb_cgroup cg = cgroup_of("ctr1");
  wb_error err = WB_ERROR_INIT;
  create_ok("ctr1");
  char **dirs = cgroup_dirs("ctr1");
  for (size_t i = 0; dirs[i]; i++)
    if (!exists(dirs[i]))
      fail_msg("create did not make %s", dirs[i]);

  /* A second create is -EEXIST naming the directory. */
  assert_int_equal(fx.ops->create(fx.drv->data, &cg, &err), -EEXIST);
  assert_contains(err.msg, "already exists");
  assert_contains(err.msg, fx.parent);
  wb_error_clear(&err);

  struct wb_limits l = {
      .size = sizeof(l),
      .memory = 64 * MIB,
      .cpu_shares = 512,
      .cpu_quota_us = 50000,
      .cpu_period_us = 100000,
      .cpuset_cpus = "0",
      .cpuset_mems = "0",
      .pids_limit = 16,
  };
  apply_ok("ctr1", &l);
  char *mem = controller_dir("memory", "ctr1");
  char *cpu = controller_dir("cpu", "ctr1");
  char *cpuset = controller_dir("cpuset", "ctr1");
  char *pids = controller_dir("pids", "ctr1");
  if (v2) {
    assert_file(mem, "memory.max", "67108864");
    /* runc's 1 + ((512 - 2) * 9999) / 262142 */
    assert_file(cpu, "cpu.weight", "20");
    assert_file(cpu, "cpu.max", "50000 100000");
  } else {
    assert_file(mem, "memory.limit_in_bytes", "67108864");
    assert_file(cpu, "cpu.shares", "512");
    assert_file(cpu, "cpu.cfs_quota_us", "50000");
    assert_file(cpu, "cpu.cfs_period_us", "100000");
  }
  assert_file(cpuset, "cpuset.cpus", "0");
  assert_file(cpuset, "cpuset.mems", "0");
  assert_file(pids, "pids.max", "16");

  int release;
  pid_t child = spawn_blocked(&release);
  enter_ok("ctr1", child);
  for (size_t i = 0; dirs[i]; i++)
    if (!pid_listed(dirs[i], child))
      fail_msg("pid %d not in %s/cgroup.procs", (int)child, dirs[i]);
  char *status_path = xasprintf("/proc/%d/status", (int)child);
  char *status = read_text(status_path);
  assert_contains(status, "Cpus_allowed_list:\t0\n");
  free(status);
  free(status_path);

  struct wb_cgroup_stats st = stats_ok("ctr1");
  assert_int_equal(st.pids_current, 1);
  assert_int_equal(st.pids_limit, 16);
  assert_int_equal(st.memory_limit, 64 * MIB);
  assert_int_equal(st.oom_kills, 0);

  /* Freeze and thaw: the kernel's own state says so. */
  assert_int_equal(fx.ops->freeze(fx.drv->data, &cg, 1, &err), 0);
  if (v2) {
    char *events = xasprintf("%s/cgroup.events", mem);
    char *text = read_text(events);
    assert_contains(text, "frozen 1");
    free(text);
    free(events);
  } else {
    char *fz = controller_dir("freezer", "ctr1");
    assert_file(fz, "freezer.state", "FROZEN");
    free(fz);
  }
  assert_int_equal(fx.ops->freeze(fx.drv->data, &cg, 0, &err), 0);

  assert_int_equal(fx.ops->kill(fx.drv->data, &cg, SIGKILL, &err), 0);
  assert_killed_by(wait_status(child), SIGKILL);
  close(release);

  destroy_ok("ctr1");
  for (size_t i = 0; dirs[i]; i++) {
    if (exists(dirs[i]))
      fail_msg("destroy left %s", dirs[i]);
    /* The parent stays: other containers share it. */
    char *parent = xstrdup(dirs[i]);
    *strrchr(parent, '/') = '\0';
    assert_true(exists(parent));
    free(parent);
  }
  /* Already gone is success. */
  destroy_ok("ctr1");
  free(mem);
  free(cpu);
  free(cpuset);
  free(pids);
  free_dirs(dirs);
}

/* destroy() kills what still runs before removing the cgroup. */
static void test_destroy_kills(void **state)
{
  (void)state;
  require_driver();
  create_ok("ctr2");
  int release;
  pid_t child = spawn_blocked(&release);
  enter_ok("ctr2", child);
  destroy_ok("ctr2");
  assert_killed_by(wait_status(child), SIGKILL);
  close(release);
  char **dirs = cgroup_dirs("ctr2");
  for (size_t i = 0; dirs[i]; i++)
    if (exists(dirs[i]))
      fail_msg("destroy left %s", dirs[i]);
  free_dirs(dirs);
}

/* Bad values are refused with a message naming them; nothing is written. */
static void test_apply_errors(void **state)
{
  (void)state;
  require_driver();
  create_ok("ctr3");
  struct wb_cgroup cg = cgroup_of("ctr3");
  wb_error err = WB_ERROR_INIT;
  struct {
    struct wb_limits l;
    const char *msg;
  } bad[] = {
      {{.size = sizeof(struct wb_limits), .cpu_shares = 1}, "cpu shares 1"},
      {{.size = sizeof(struct wb_limits), .cpu_shares = 300000},
       "cpu shares 300000"},
      {{.size = sizeof(struct wb_limits), .cpu_quota_us = 500},
       "cpu quota 500"},
      {{.size = sizeof(struct wb_limits),
        .cpu_quota_us = 50000,
        .cpu_period_us = 10},
       "cpu period 10"},
      {{.size = sizeof(struct wb_limits), .cpuset_cpus = "0\n1"},
       "invalid cpuset.cpus value"},
      {{.size = sizeof(struct wb_limits), .cpuset_mems = "x"},
       "invalid cpuset.mems value 'x'"},
      {{.size = sizeof(struct wb_limits), .pids_limit = -5},
       "invalid pids limit -5"},
      {{.size = sizeof(struct wb_limits),
        .memory = 64 * MIB,
        .memory_swap = 32 * MIB},
       "smaller than the memory limit"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_true(fx.ops->apply(fx.drv->data, &cg, &bad[i].l, &err) < 0);
    assert_contains(err.msg, bad[i].msg);
    wb_error_clear(&err);
  }
  /* A kernel refusal names the file and the value: cpu 9999 does not exist. */
  struct wb_limits nocpu = {.size = sizeof(nocpu), .cpuset_cpus = "9999"};
  assert_true(fx.ops->apply(fx.drv->data, &cg, &nocpu, &err) < 0);
  assert_contains(err.msg, "write '9999' to ");
  assert_contains(err.msg, "cpuset.cpus");
  wb_error_clear(&err);
  /* A cgroup that does not exist. */
  struct wb_cgroup missing = cgroup_of("nope");
  struct wb_limits pl = {.size = sizeof(pl), .pids_limit = 5};
  assert_true(fx.ops->apply(fx.drv->data, &missing, &pl, &err) < 0);
  assert_contains(err.msg, "nope");
  wb_error_clear(&err);
  struct wb_cgroup_stats st = {.size = sizeof(st)};
  assert_true(fx.ops->stats(fx.drv->data, &missing, &st, &err) < 0);
  assert_contains(err.msg, "nope");
  wb_error_clear(&err);
  /* Unlimited values are accepted and read back as unlimited. */
  struct wb_limits unl = {.size = sizeof(unl),
                          .memory = -1,
                          .memory_swap = -1,
                          .cpu_quota_us = -1,
                          .pids_limit = -1};
  apply_ok("ctr3", &unl);
  st = stats_ok("ctr3");
  assert_int_equal(st.memory_limit, 0);
  assert_int_equal(st.pids_limit, 0);
  char *pids = controller_dir("pids", "ctr3");
  assert_file(pids, "pids.max", "max");
  free(pids);
  destroy_ok("ctr3");
}

/* Memory limits raised and lowered in any order (v1: memsw >= limit at
 * every step). */
static void test_memory_swap_order(void **state)
{
  (void)state;
  require_driver();
  bool v2 = strcmp(fx.name, "v2") == 0;
  create_ok("ctr4");
  char *mem = controller_dir("memory", "ctr4");
  char *swapfile = xasprintf(
      "%s/%s", mem, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
  if (!exists(swapfile)) {
    struct wb_cgroup cg = cgroup_of("ctr4");
    struct wb_limits l = {
        .size = sizeof(l), .memory = 64 * MIB, .memory_swap = 128 * MIB};
    wb_error err = WB_ERROR_INIT;
    assert_true(fx.ops->apply(fx.drv->data, &cg, &l, &err) < 0);
    assert_contains(err.msg, "swap limit not supported");
    wb_error_clear(&err);
    printf("# %s missing: only the 'not supported' error was checked\n",
           swapfile);
  } else {
    static const int64_t steps[][2] = {
        {64, 128}, {256, 512}, {32, 32}, {128, 256}, {16, 64}};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
      struct wb_limits l = {.size = sizeof(l),
                            .memory = steps[i][0] * MIB,
                            .memory_swap = steps[i][1] * MIB};
      apply_ok("ctr4", &l);
      char want[32];
      snprintf(want, sizeof(want), "%lld", (long long)(steps[i][0] * MIB));
      assert_file(mem, v2 ? "memory.max" : "memory.limit_in_bytes", want);
      snprintf(
          want, sizeof(want), "%lld",
          (long long)((v2 ? steps[i][1] - steps[i][0] : steps[i][1]) * MIB));
      assert_file(mem, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
                  want);
    }
  }
  free(swapfile);
  free(mem);
  destroy_ok("ctr4");
}

/* In a child of clone3(CLONE_INTO_CGROUP): is /proc/self/cgroup, read
 * before doing anything else, "0::<want>"?  Exit 0 if so. */
static _Noreturn void child_check_cgroup(const char *want)
{
  char buf[4096];
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    _exit(2);
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  _exit(strncmp(buf, "0::", 3) == 0 && strcmp(buf + 3, want) == 0 ? 0 : 1);
}

/* open() (v2 only, ABI 1.1): an O_PATH|O_DIRECTORY|O_CLOEXEC fd of the
 * container's cgroup directory, which clone3(CLONE_INTO_CGROUP) accepts:
 * the child is in the cgroup from its first instruction. */
static void test_open(void **state)
{
  (void)state;
  require_driver();
  int (*open_op)(void *, const struct wb_cgroup *, int *, wb_error *) =
      WB_DRIVER_OP(fx.drv, struct wb_cgroup_ops, open);
  assert_non_null(open_op);
  struct wb_cgroup cg = cgroup_of("ctr7");
  wb_error err = WB_ERROR_INIT;
  int fd = -1;
  /* Before create(): an error naming the directory, no fd. */
  assert_int_equal(open_op(fx.drv->data, &cg, &fd, &err), -ENOENT);
  assert_contains(err.msg, fx.parent);
  assert_contains(err.msg, "ctr7");
  assert_int_equal(fd, -1);
  wb_error_clear(&err);
  /* Names that could leave the hierarchy are refused. */
  struct wb_cgroup bad = {sizeof(bad), fx.parent, "../escape"};
  assert_int_equal(open_op(fx.drv->data, &bad, &fd, &err), -EINVAL);
  assert_int_equal(fd, -1);
  wb_error_clear(&err);

  create_ok("ctr7");
  assert_int_equal(open_op(fx.drv->data, &cg, &fd, &err), 0);
  assert_null(err.msg);
  assert_true(fd >= 0);
  char **dirs = cgroup_dirs("ctr7");
  char *link = xasprintf("/proc/self/fd/%d", fd);
  char target[4096];
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  assert_true(n > 0);
  target[n] = '\0';
  assert_string_equal(target, dirs[0]);
  struct stat a, b;
  assert_int_equal(fstat(fd, &a), 0);
  assert_int_equal(stat(dirs[0], &b), 0);
  assert_true(S_ISDIR(a.st_mode));
  assert_true(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
  struct statfs sfs;
  assert_int_equal(fstatfs(fd, &sfs), 0);
  assert_true(sfs.f_type == CGROUP2_SUPER_MAGIC);
  int fl = fcntl(fd, F_GETFL);
  assert_true(fl >= 0 && (fl & O_PATH) && (fl & O_DIRECTORY));
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

  /* What the core does with it. */
  const char *rel = dirs[0] + strlen(fx.v2_mount);
  struct clone_args args = {
      .flags = CLONE_INTO_CGROUP,
      .exit_signal = SIGCHLD,
      .cgroup = (unsigned long long)fd,
  };
  pid_t child = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  if (child == 0)
    child_check_cgroup(rel);
  if (child < 0)
    fail_msg("clone3(CLONE_INTO_CGROUP) into %s: %s", dirs[0], strerror(errno));
  int status = wait_status(child);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("the child did not start in %s (status 0x%x)", rel, status);
  close(fd);
  destroy_ok("ctr7");
  free(link);
  free_dirs(dirs);
}

/* Does <dir>/cgroup.procs list pid? */
static bool procs_list(const char *dir, pid_t pid)
{
  char *path = xasprintf("%s/cgroup.procs", dir);
  char *text = read_text(path);
  free(path);
  bool found = false;
  for (char *s = text; s && *s && !found;) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s)
      break;
    found = v == (long)pid;
    s = end + (*end == '\n');
  }
  free(text);
  return found;
}

/* enter_self() (v1, ABI 1.2): a one-thread process moves itself into every
 * hierarchy of its cgroup; before create() it fails naming the directory
 * and moves nothing. */
static void test_enter_self(void **state)
{
  (void)state;
  require_driver();
  int (*enter_self)(void *, const struct wb_cgroup *, wb_error *) =
      WB_DRIVER_OP(fx.drv, struct wb_cgroup_ops, enter_self);
  assert_non_null(enter_self);
  struct wb_cgroup cg = cgroup_of("ctr8");
  wb_error err = WB_ERROR_INIT;
  char *before = read_text("/proc/self/cgroup");
  assert_int_equal(enter_self(fx.drv->data, &cg, &err), -ENOENT);
  assert_contains(err.msg, "ctr8");
  wb_error_clear(&err);
  char *after = read_text("/proc/self/cgroup");
  assert_string_equal(before, after); /* moved nowhere */
  free(before);
  free(after);

  create_ok("ctr8");
  int go[2], done[2];
  assert_int_equal(pipe2(go, O_CLOEXEC), 0);
  assert_int_equal(pipe2(done, O_CLOEXEC), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(go[1]);
    close(done[0]);
    wb_error cerr = WB_ERROR_INIT;
    char c = enter_self(fx.drv->data, &cg, &cerr) == 0 ? 'y' : 'n';
    if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
      _exit(3);
    _exit(0);
  }
  close(done[1]);
  close(go[0]);
  char c = 0;
  assert_int_equal(read(done[0], &c, 1), 1);
  assert_int_equal(c, 'y');
  char **dirs = cgroup_dirs("ctr8");
  for (size_t i = 0; dirs[i]; i++)
    if (!procs_list(dirs[i], child))
      fail_msg("%s/cgroup.procs does not list %d", dirs[i], (int)child);
  /* The test process itself did not move. */
  assert_false(procs_list(dirs[0], getpid()));
  close(go[1]);
  close(done[0]);
  assert_int_equal(wait_status(child), 0);
  free_dirs(dirs);
  destroy_ok("ctr8");
}

/* Real enforcement: 100 MiB touched under a 32 MiB limit is OOM-killed and
 * the kill is counted. */
static void test_oom_kill(void **state)
{
  (void)state;
  require_driver();
  bool v2 = strcmp(fx.name, "v2") == 0;
  create_ok("ctr5");
  char *mem = controller_dir("memory", "ctr5");
  char *swapfile = xasprintf(
      "%s/%s", mem, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
  struct wb_limits l = {.size = sizeof(l), .memory = 32 * MIB};
  /* No swapping out of the limit where swap is accounted. */
  if (exists(swapfile))
    l.memory_swap = 32 * MIB;
  apply_ok("ctr5", &l);

  int go[2];
  assert_int_equal(pipe2(go, O_CLOEXEC), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1)
      _exit(3);
    size_t size = 100 * MIB;
    char *p = malloc(size);
    if (!p)
      _exit(4);
    for (size_t i = 0; i < size; i += 4096)
      p[i] = (char)i;
    _exit(0); /* not killed: the limit did not hold */
  }
  close(go[0]);
  enter_ok("ctr5", child);
  assert_int_equal(write(go[1], "x", 1), 1);
  close(go[1]);
  assert_killed_by(wait_status(child), SIGKILL);

  struct wb_cgroup_stats st = stats_ok("ctr5");
  if (st.oom_kills < 1)
    fail_msg("oom_kills is %llu after an OOM kill",
             (unsigned long long)st.oom_kills);
  assert_true(st.cpu_usage_ns > 0);
  assert_int_equal(st.memory_limit, 32 * MIB);
  assert_int_equal(st.pids_current, 0);
  destroy_ok("ctr5");
  free(swapfile);
  free(mem);
}

/* Real enforcement: pids 16 stops a 40-fork loop with EAGAIN. */
static void test_pids_limit(void **state)
{
  (void)state;
  require_driver();
  create_ok("ctr6");
  struct wb_limits l = {.size = sizeof(l), .pids_limit = 16};
  apply_ok("ctr6", &l);

  int go[2], result[2];
  assert_int_equal(pipe2(go, O_CLOEXEC), 0);
  assert_int_equal(pipe2(result, O_CLOEXEC), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(go[1]);
    close(result[0]);
    char c;
    if (read(go[0], &c, 1) != 1)
      _exit(3);
    /* Forked children wait for this one to exit (EOF on hold). */
    int hold[2];
    if (pipe2(hold, O_CLOEXEC) < 0)
      _exit(4);
    int ok = 0, eagain = 0, other = 0;
    for (int i = 0; i < 40; i++) {
      pid_t p = fork();
      if (p == 0) {
        close(hold[1]);
        while (read(hold[0], &c, 1) < 0 && errno == EINTR)
          ;
        _exit(0);
      }
      if (p > 0)
        ok++;
      else if (errno == EAGAIN)
        eagain++;
      else
        other++;
    }
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "%d %d %d", ok, eagain, other);
    if (write(result[1], msg, (size_t)n) != n)
      _exit(5);
    _exit(0);
  }
  close(go[0]);
  close(result[1]);
  enter_ok("ctr6", child);
  assert_int_equal(write(go[1], "x", 1), 1);
  close(go[1]);
  char msg[64] = "";
  ssize_t n = read(result[0], msg, sizeof(msg) - 1);
  close(result[0]);
  int status = wait_status(child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_true(n > 0);
  msg[n] = '\0';
  int ok, eagain, other;
  assert_int_equal(sscanf(msg, "%d %d %d", &ok, &eagain, &other), 3);
  /* 16 tasks in all, the forking child being one of them. */
  if (ok != 15 || eagain != 25 || other != 0)
    fail_msg("40 forks under pids.max 16: %d succeeded, %d EAGAIN, %d other",
             ok, eagain, other);
  destroy_ok("ctr6");
}

/* A skip reason that is the host's cgroup mode (see the file's comment). */
static char *mode_reason(const char *why)
{
  return xasprintf("cgroup mode %s: %s", host_cgroup_mode(), why);
}

/* Why the hybrid-host probe test does not apply here, or NULL. */
static char *hybrid_skip_reason(void)
{
  const char *mode = host_cgroup_mode();
  if (strcmp(mode, "unified") == 0)
    return mode_reason("/sys/fs/cgroup is cgroup2, not a hybrid host");
  if (strcmp(mode, "hybrid") != 0 || !fx.v2_mount)
    return mode_reason("no cgroup2 mount beside the v1 hierarchies");
  char *path = xasprintf("%s/cgroup.controllers", fx.v2_mount);
  char *have = read_text(path);
  char *why = NULL;
  if (!have)
    why = xasprintf("cannot read %s", path);
  else if (strstr(have, "memory") && strstr(have, "pids"))
    why = mode_reason("its cgroup2 mount offers the v2 controllers");
  free(have);
  free(path);
  return why;
}

/* Stands in for a test that cannot run here: its name carries the skip. */
static void skipped(void **state)
{
  (void)state;
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int main(void)
{
  /* cmocka 1.1.5 prints a skip() as "not ok N # SKIP", which TAP readers
   * (meson among them) count as a failure.  A test that cannot run here is
   * run as `skipped` under the name "NAME # SKIP REASON" instead: cmocka
   * prints "ok N - NAME # SKIP REASON", a skip inside the plan. */
  if (prepare() < 0)
    return 1;
  /* A driver that cannot work must not pass by skipping everything. */
  const char *req = getenv("WB_TEST_CGROUP_REQUIRE");
  if (fx.skip_reason && req && strcmp(req, "1") == 0) {
    printf("1..1\nnot ok 1 - cgroup-%s probe (WB_TEST_CGROUP_REQUIRE=1): "
           "%s\n",
           fx.name, fx.skip_reason);
    return 1;
  }
  char *hybrid_why = hybrid_skip_reason();
  char *no_open = strcmp(fx.name, "v2") != 0
                      ? mode_reason("the driver under test is cgroup-v1, "
                                    "which has no open(): CLONE_INTO_CGROUP "
                                    "needs cgroup2")
                      : NULL;
  char *no_enter_self =
      strcmp(fx.name, "v1") != 0
          ? mode_reason("the driver under test is cgroup-v2, which has no "
                        "enter_self(): its containers are cloned into their "
                        "cgroup")
          : NULL;
  const struct {
    struct CMUnitTest test;
    const char *skip; /* reason, or NULL to run */
  } all[] = {
      {TEST(test_descriptor), NULL},
      {TEST(test_probe_v2_hybrid), hybrid_why},
      {TEST(test_bad_names), fx.skip_reason},
      {TEST(test_lifecycle), fx.skip_reason},
      {TEST(test_destroy_kills), fx.skip_reason},
      {TEST(test_apply_errors), fx.skip_reason},
      {TEST(test_memory_swap_order), fx.skip_reason},
      {TEST(test_oom_kill), fx.skip_reason},
      {TEST(test_pids_limit), fx.skip_reason},
      {TEST(test_open), no_open ? no_open : fx.skip_reason},
      {TEST(test_enter_self), no_enter_self ? no_enter_self : fx.skip_reason},
  };
  size_t n = sizeof(all) / sizeof(all[0]);
  struct CMUnitTest tests[sizeof(all) / sizeof(all[0])];
  char *names[sizeof(all) / sizeof(all[0])] = {NULL};
  printf("# cgroup driver under test: cgroup-%s (host cgroup mode %s)\n",
         fx.name, host_cgroup_mode());
  for (size_t i = 0; i < n; i++) {
    tests[i] = all[i].test;
    if (all[i].skip) {
      names[i] = xasprintf("%s # SKIP %s", all[i].test.name, all[i].skip);
      tests[i] = (struct CMUnitTest)cmocka_unit_test(skipped);
      tests[i].name = names[i];
    }
  }
  fflush(stdout);
  int r = _cmocka_run_group_tests("cgroup", tests, n, NULL, group_teardown);
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(no_open);
  free(no_enter_self);
  free(hybrid_why);
  return r;
}
