/* test_log.c - the log drivers (plugins/log-file, plugins/log-none) loaded
 * through the core loader: the exact json-file lines on disk, partial and
 * long lines, rotation, reading back with tail/since/follow, options. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config.h"
#include "plugin_loader.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

/* 2026-11-29T02:45:48.123456789Z */
#define T0_SEC 1795920348
#define T0_NSEC 123456789
#define T0_TEXT "2026-11-29T02:45:48.123456789Z"

struct fx {
  char *root;
  char *dir; /* the container's log directory */
  struct wb_driver *drv;
  const struct wb_log_ops *ops;
  struct wb_config cfg;
  bool have_cfg;
};

/* Every test's state root lives under this directory, which the group
 * teardown removes even when an assertion ended a test early. */
static char *base_dir;

static int group_setup(void **state)
{
  (void)state;
  char tmpl[] = "/tmp/wb-unit-log-XXXXXX";
  if (!mkdtemp(tmpl))
    return -1;
  base_dir = xstrdup(tmpl);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  wb_error err = WB_ERROR_INIT;
  int r = rm_rf(base_dir, &err);
  wb_error_clear(&err);
  free(base_dir);
  return r;
}

static char *make_root(void)
{
  char *tmpl = xasprintf("%s/root-XXXXXX", base_dir);
  if (!mkdtemp(tmpl))
    fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
  return tmpl;
}

static void assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in \"%s\"", needle,
             haystack ? haystack : "(no message)");
}

static char *plugin_path(const char *file)
{
  const char *d = getenv("WB_PLUGIN_DIR");
  if (!d)
    fail_msg("WB_PLUGIN_DIR is not set (run through meson test)");
  return xasprintf("%s/%s", d, file);
}

/* Load `file` (a log driver) into a fresh state root; config_text may be
 * NULL for the built-in defaults. */
static struct fx *fx_new(const char *file, const char *config_text)
{
  struct fx *f = xzalloc(sizeof *f);
  f->root = make_root();
  f->dir = xasprintf("%s/c1", f->root);
  assert_int_equal(mkdir(f->dir, 0700), 0);
  wb_error err = WB_ERROR_INIT;
  if (config_text) {
    if (wb_config_load_string(&f->cfg, config_text, &err) < 0)
      fail_msg("config: %s", err.msg);
    f->have_cfg = true;
  }
  char *path = plugin_path(file);
  if (wb_driver_open(path, WB_PLUGIN_LOG, NULL, &f->drv, &err) < 0)
    fail_msg("%s", err.msg);
  free(path);
  if (wb_driver_init(f->drv, f->have_cfg ? &f->cfg : NULL, f->root, &err) < 0)
    fail_msg("%s", err.msg);
  f->ops = f->drv->ops;
  return f;
}

static void fx_free(struct fx *f)
{
  wb_error err = WB_ERROR_INIT;
  wb_driver_free(f->drv);
  if (f->have_cfg)
    wb_config_free(&f->cfg);
  assert_int_equal(rm_rf(f->root, &err), 0);
  struct stat st;
  assert_int_equal(stat(f->root, &st), -1);
  free(f->root);
  free(f->dir);
  free(f);
}

static struct wb_log_target fx_target(struct fx *f, const char *const *opts)
{
  return (struct wb_log_target){.size = sizeof(struct wb_log_target),
                                .id = "c1",
                                .dir = f->dir,
                                .options = opts};
}

static void *fx_open(struct fx *f, const char *const *opts)
{
  struct wb_log_target t = fx_target(f, opts);
  wb_error err = WB_ERROR_INIT;
  void *h = NULL;
  if (f->ops->open(f->drv->data, &t, &h, &err) < 0)
    fail_msg("open: %s", err.msg);
  assert_non_null(h);
  return h;
}

static void fx_write(struct fx *f, void *h, int stream,
                     const struct timespec *ts, const char *s, size_t len)
{
  wb_error err = WB_ERROR_INIT;
  if (f->ops->write(h, stream, ts, s, len, &err) < 0)
    fail_msg("write: %s", err.msg);
}

static void fx_puts(struct fx *f, void *h, int stream,
                    const struct timespec *ts, const char *s)
{
  fx_write(f, h, stream, ts, s, strlen(s));
}

static char *fx_file(struct fx *f, const char *name)
{
  char *path = xasprintf("%s/%s", f->dir, name);
  char *data = NULL;
  wb_error err = WB_ERROR_INIT;
  if (read_file(path, &data, NULL, &err) < 0)
    fail_msg("%s", err.msg);
  free(path);
  return data;
}

/* Names in the log directory, sorted, joined by spaces. */
static char *fx_listing(struct fx *f)
{
  DIR *d = opendir(f->dir);
  assert_non_null(d);
  char *names[64];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.') {
      assert_true(n < 64);
      names[n++] = xstrdup(de->d_name);
    }
  closedir(d);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(names[j], names[i]) < 0) {
        char *t = names[i];
        names[i] = names[j];
        names[j] = t;
      }
  char *out = xstrdup("");
  for (size_t i = 0; i < n; i++) {
    char *next = xasprintf("%s%s%s", out, i ? " " : "", names[i]);
    free(out);
    free(names[i]);
    out = next;
  }
  return out;
}

/* ---- collecting what read() emits --------------------------------------- */

struct entry {
  int stream;
  struct timespec ts;
  char *text;
  size_t len;
};

struct collect {
  struct entry *v;
  size_t n;
  /* follow test */
  pid_t writer;
  int start_fd; /* written once when the reader first asks alive() */
  int ack_fd;   /* one byte per emitted entry, to pace the writer */
  int writer_status;
  bool writer_done;
  time_t deadline; /* CLOCK_MONOTONIC seconds; 0 none */
  bool timed_out;
};

static int collect_emit(void *arg, int stream, const struct timespec *ts,
                        const char *buf, size_t len)
{
  struct collect *c = arg;
  c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
  struct entry *e = &c->v[c->n++];
  e->stream = stream;
  e->ts = *ts;
  e->text = xmalloc(len + 1);
  memcpy(e->text, buf, len);
  e->text[len] = '\0';
  e->len = len;
  /* EPIPE once the writer is done: it needs no more acks. */
  if (c->ack_fd >= 0 && write(c->ack_fd, "a", 1) != 1 && errno != EPIPE)
    return -EIO;
  return 0;
}

static void collect_free(struct collect *c)
{
  for (size_t i = 0; i < c->n; i++)
    free(c->v[i].text);
  free(c->v);
  c->v = NULL;
  c->n = 0;
}

static struct collect fx_read(struct fx *f, const char *const *opts,
                              int64_t tail, int64_t since_ns)
{
  struct collect c = {.ack_fd = -1, .start_fd = -1};
  struct wb_log_target t = fx_target(f, opts);
  struct wb_log_reader r = {.size = sizeof r,
                            .tail = tail,
                            .since_ns = since_ns,
                            .emit = collect_emit,
                            .arg = &c};
  wb_error err = WB_ERROR_INIT;
  assert_non_null(f->ops->read);
  if (f->ops->read(f->drv->data, &t, &r, &err) < 0)
    fail_msg("read: %s", err.msg);
  return c;
}

/* ---- the tests ------------------------------------------------------------
 */

static void test_descriptor(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  const struct wb_plugin *p = f->drv->desc;
  assert_string_equal(p->name, "file");
  assert_string_equal(p->version, "0.1.0");
  assert_int_equal(p->size, sizeof(struct wb_plugin));
  assert_int_equal(f->ops->size, sizeof(struct wb_log_ops));
  assert_non_null(p->summary);
  assert_non_null(p->options);
  assert_string_equal(p->options[0].name, "max_size");
  assert_int_equal(p->options[0].type, WB_OPTION_SIZE);
  assert_string_equal(p->options[1].name, "max_file");
  assert_int_equal(p->options[1].type, WB_OPTION_INT);
  assert_non_null(p->options[0].help);
  assert_non_null(p->options[1].help);
  assert_null(p->options[2].name);
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(wb_driver_probe(f->drv, &err), 0);
  fx_free(f);
}

/* Chunks split mid-line on both streams, and every escaping rule. */
static void test_exact_lines(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  struct timespec ts = {T0_SEC, T0_NSEC};
  void *h = fx_open(f, NULL);
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "hel");
  fx_puts(f, h, WB_STREAM_STDERR, &ts, "err \"q\" \\ ");
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "lo\nwor");
  fx_puts(f, h, WB_STREAM_STDERR, &ts, "\x01\t\r\xff\xc3 end\n");
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "ld <&> \xc3\xa9 \xe2\x80\xa8\n");
  /* Invalid UTF-8 forms: overlong, surrogate, truncated at the end. */
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "\xc0\xaf\xed\xa0\x80\xe2\x82\n");
  f->ops->close(h);

  char *data = fx_file(f, "container.log");
  const char *want =
      "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"" T0_TEXT "\"}\n"
      "{\"log\":\"err \\\"q\\\" \\\\ \\u0001\\t\\r\\ufffd\\ufffd end\\n\","
      "\"stream\":\"stderr\",\"time\":\"" T0_TEXT "\"}\n"
      "{\"log\":\"world \\u003c\\u0026\\u003e \xc3\xa9 \\u2028\\n\","
      "\"stream\":\"stdout\",\"time\":\"" T0_TEXT "\"}\n"
      "{\"log\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\n\","
      "\"stream\":\"stdout\",\"time\":\"" T0_TEXT "\"}\n";
  assert_string_equal(data, want);
  free(data);

  struct stat st;
  char *path = xasprintf("%s/container.log", f->dir);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0027, 0); /* 0640 at most */
  free(path);

  /* Read back: escapes decoded, invalid bytes as U+FFFD. */
  struct collect c = fx_read(f, NULL, -1, 0);
  assert_int_equal(c.n, 4);
  assert_string_equal(c.v[0].text, "hello\n");
  assert_int_equal(c.v[0].stream, WB_STREAM_STDOUT);
  assert_int_equal(c.v[0].ts.tv_sec, T0_SEC);
  assert_int_equal(c.v[0].ts.tv_nsec, T0_NSEC);
  assert_string_equal(c.v[1].text,
                      "err \"q\" \\ \x01\t\r\xef\xbf\xbd\xef\xbf\xbd end\n");
  assert_int_equal(c.v[1].stream, WB_STREAM_STDERR);
  assert_string_equal(c.v[2].text, "world <&> \xc3\xa9 \xe2\x80\xa8\n");
  collect_free(&c);
  fx_free(f);
}

static void test_partial_flush_at_close(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  struct timespec ts = {T0_SEC, T0_NSEC};
  void *h = fx_open(f, NULL);
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "done\nno newline");
  fx_puts(f, h, WB_STREAM_STDERR, &ts, "err part");
  char *data = fx_file(f, "container.log");
  /* Nothing of the partial lines yet. */
  assert_string_equal(data, "{\"log\":\"done\\n\",\"stream\":\"stdout\","
                            "\"time\":\"" T0_TEXT "\"}\n");
  free(data);
  f->ops->close(h);

  struct collect c = fx_read(f, NULL, -1, 0);
  assert_int_equal(c.n, 3);
  assert_string_equal(c.v[1].text, "no newline");
  assert_int_equal(c.v[1].stream, WB_STREAM_STDOUT);
  assert_string_equal(c.v[2].text, "err part");
  assert_int_equal(c.v[2].stream, WB_STREAM_STDERR);
  collect_free(&c);
  data = fx_file(f, "container.log");
  assert_non_null(
      strstr(data, "{\"log\":\"no newline\",\"stream\":\"stdout\""));
  assert_non_null(strstr(data, "{\"log\":\"err part\",\"stream\":\"stderr\""));
  free(data);
  fx_free(f);
}

/* ---- lines lost to a full disk ------------------------------------------- */

/* The disk stands in for a full one: writes past `bytes` more than the file
 * has fail with EFBIG (RLIMIT_FSIZE, SIGXFSZ ignored), the one crossing it
 * is cut short, as a write that fills a disk is. */
struct fsize_limit {
  struct rlimit old;
  void (*old_handler)(int);
};

/* The limit as it was before a test, put back after it even when an
 * assertion ended it early, so that the tests after it can write. */
static struct rlimit initial_fsize;

static int save_fsize(void **state)
{
  (void)state;
  return getrlimit(RLIMIT_FSIZE, &initial_fsize);
}

static int restore_fsize(void **state)
{
  (void)state;
  wb_log_set_writer(NULL);
  signal(SIGXFSZ, SIG_DFL);
  return setrlimit(RLIMIT_FSIZE, &initial_fsize);
}

static void limit_growth(struct fsize_limit *l, struct fx *f, off_t bytes)
{
  char *path = xasprintf("%s/container.log", f->dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  free(path);
  l->old_handler = signal(SIGXFSZ, SIG_IGN);
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &l->old), 0);
  struct rlimit r = {(rlim_t)(st.st_size + bytes), l->old.rlim_max};
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

static void unlimit_growth(struct fsize_limit *l)
{
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &l->old), 0);
  signal(SIGXFSZ, l->old_handler);
}

static int try_write(struct fx *f, void *h, const struct timespec *ts,
                     const char *s)
{
  wb_error err = WB_ERROR_INIT;
  int r = f->ops->write(h, WB_STREAM_STDOUT, ts, s, strlen(s), &err);
  if (r < 0)
    assert_non_null(strstr(err.msg, "log-file: write "));
  wb_error_clear(&err);
  return r;
}

/* Every line of the file is one whole entry: nothing torn. */
static size_t assert_whole_lines(struct fx *f)
{
  char *data = fx_file(f, "container.log");
  size_t n = 0;
  for (char *line = data; *line; n++) {
    char *nl = strchr(line, '\n');
    assert_non_null(nl);
    if (strncmp(line, "{\"log\":\"", 8) != 0 || nl[-1] != '}')
      fail_msg("torn line: %.*s", (int)(nl - line), line);
    line = nl + 1;
  }
  free(data);
  return n;
}

/* Issue 13: 1,199 of 2,451 lines vanished without a trace on a full disk.
 * Now the entries that cannot be written are counted, a line cut short by
 * the full disk is cut off again, and the next entry written is preceded
 * by a marker saying how many were lost, since when and why. */
static void test_lost_lines_marker(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  struct timespec ts = {T0_SEC, T0_NSEC};
  void *h = fx_open(f, NULL);
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "a1\na2\n");
  struct fsize_limit lim;
  /* Room for one more entry (74 bytes) and part of the next. */
  limit_growth(&lim, f, 100);
  assert_int_equal(try_write(f, h, &ts, "b1\n"), 0);
  /* One chunk of three lines: the first torn, all three lost. */
  assert_int_equal(try_write(f, h, &ts, "b2\nb3\nb4\n"), -EFBIG);
  for (int i = 5; i <= 9; i++) {
    char line[8];
    snprintf(line, sizeof line, "b%d\n", i);
    assert_int_equal(try_write(f, h, &ts, line), -EFBIG);
  }
  assert_int_equal(assert_whole_lines(f), 3);
  unlimit_growth(&lim);
  struct timespec later = {T0_SEC + 60, 0};
  assert_int_equal(try_write(f, h, &later, "c1\n"), 0);
  assert_int_equal(try_write(f, h, &later, "c2\n"), 0);
  f->ops->close(h);
  assert_int_equal(assert_whole_lines(f), 6);

  struct collect c = fx_read(f, NULL, -1, 0);
  assert_int_equal(c.n, 6);
  assert_string_equal(c.v[2].text, "b1\n");
  assert_int_equal(c.v[3].stream, WB_STREAM_STDERR);
  assert_string_equal(c.v[3].text, "whalebox: log-file: 8 lines lost since "
                                   "2026-11-29T02:45:48Z: File too large\n");
  assert_true(c.v[3].ts.tv_sec == later.tv_sec);
  assert_string_equal(c.v[4].text, "c1\n");
  assert_string_equal(c.v[5].text, "c2\n");
  collect_free(&c);
  fx_free(f);
}

static char *logged;

static void capture_log(int level, const char *line, size_t len)
{
  (void)level;
  char *next = xasprintf("%s%.*s", logged ? logged : "", (int)len, line);
  free(logged);
  logged = next;
}

/* A gap at the end of the log: the marker is written at close when it
 * can be, else the loss goes to host->log. */
static void test_lost_lines_at_close(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  struct timespec ts = {T0_SEC, T0_NSEC};
  struct fsize_limit lim;
  void *h = fx_open(f, NULL);
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "x1\n");
  limit_growth(&lim, f, 0);
  assert_int_equal(try_write(f, h, &ts, "x2\n"), -EFBIG);
  unlimit_growth(&lim);
  f->ops->close(h);
  struct collect c = fx_read(f, NULL, -1, 0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.v[1].text, "whalebox: log-file: 1 line lost since "
                                   "2026-11-29T02:45:48Z: File too large\n");
  collect_free(&c);

  /* Still no room at close: said through host->log. */
  h = fx_open(f, NULL);
  limit_growth(&lim, f, 0);
  assert_int_equal(try_write(f, h, &ts, "y1\ny2\n"), -EFBIG);
  wb_log_set_writer(capture_log);
  f->ops->close(h);
  wb_log_set_writer(NULL);
  unlimit_growth(&lim);
  assert_non_null(logged);
  if (!strstr(logged, "whalebox: warning: log-file: ") ||
      !strstr(logged, ": 2 lines lost at the end of the log: File too large"))
    fail_msg("logged: %s", logged);
  free(logged);
  logged = NULL;
  assert_int_equal(assert_whole_lines(f), 2);
  fx_free(f);
}

/* A 40 KiB line becomes entries of 16 KiB, 16 KiB and the rest; a line of
 * exactly 16 KiB stays one entry with its newline. */
static void test_long_lines(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  struct timespec ts = {T0_SEC, T0_NSEC};
  size_t len = 40 * 1024;
  char *line = xmalloc(len + 1);
  for (size_t i = 0; i < len; i++)
    line[i] = (char)('a' + i % 26);
  line[len] = '\n';
  void *h = fx_open(f, NULL);
  for (size_t off = 0; off < len + 1; off += 1000)
    fx_write(f, h, WB_STREAM_STDOUT, &ts, line + off,
             len + 1 - off < 1000 ? len + 1 - off : 1000);
  char *exact = xmalloc(16384 + 1);
  memset(exact, 'x', 16384);
  exact[16384] = '\n';
  fx_write(f, h, WB_STREAM_STDERR, &ts, exact, 16384);
  fx_write(f, h, WB_STREAM_STDERR, &ts, exact + 16384, 1);
  f->ops->close(h);

  char *data = fx_file(f, "container.log");
  size_t lines = 0;
  for (char *p = data; *p; p++)
    lines += *p == '\n';
  assert_int_equal(lines, 4);
  free(data);

  struct collect c = fx_read(f, NULL, -1, 0);
  assert_int_equal(c.n, 4);
  assert_int_equal(c.v[0].len, 16384);
  assert_int_equal(c.v[1].len, 16384);
  assert_int_equal(c.v[2].len, 8192 + 1);
  assert_memory_equal(c.v[0].text, line, 16384);
  assert_memory_equal(c.v[1].text, line + 16384, 16384);
  assert_memory_equal(c.v[2].text, line + 32768, 8193);
  assert_int_equal(c.v[3].len, 16385);
  assert_memory_equal(c.v[3].text, exact, 16385);
  collect_free(&c);
  free(line);
  free(exact);
  fx_free(f);
}

static const char *const rot_opts[] = {"max-size=1k", "max-file=3", NULL};

/* 200 lines "line NNN" at T0 + i seconds through a 1k x 3 log. */
static void write_numbered(struct fx *f, const char *const *opts, int n)
{
  void *h = fx_open(f, opts);
  for (int i = 0; i < n; i++) {
    struct timespec ts = {T0_SEC + i, 0};
    char buf[64];
    snprintf(buf, sizeof buf, "line %03d\n", i);
    /* Split mid-line, alternate streams. */
    int s = i % 2 ? WB_STREAM_STDERR : WB_STREAM_STDOUT;
    fx_write(f, h, s, &ts, buf, 3);
    fx_puts(f, h, s, &ts, buf + 3);
  }
  f->ops->close(h);
}

static void assert_numbered(const struct collect *c, int first, int last)
{
  assert_int_equal(c->n, last - first + 1);
  for (size_t i = 0; i < c->n; i++) {
    char want[64];
    int num = first + (int)i;
    snprintf(want, sizeof want, "line %03d\n", num);
    assert_string_equal(c->v[i].text, want);
    assert_int_equal(c->v[i].stream,
                     num % 2 ? WB_STREAM_STDERR : WB_STREAM_STDOUT);
    assert_int_equal(c->v[i].ts.tv_sec, T0_SEC + num);
  }
}

static size_t count_lines(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    n += *s == '\n';
  return n;
}

static void test_rotation(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  write_numbered(f, rot_opts, 200);
  char *ls = fx_listing(f);
  assert_string_equal(ls, "container.log container.log.1 container.log.2");
  free(ls);
  size_t on_disk = 0;
  const char *names[] = {"container.log", "container.log.1", "container.log.2"};
  for (int i = 0; i < 3; i++) {
    char *data = fx_file(f, names[i]);
    assert_true(strlen(data) <= 1024);
    if (i > 0) /* rotated near the limit */
      assert_true(strlen(data) > 1024 - 160);
    on_disk += count_lines(data);
    free(data);
  }
  struct collect c = fx_read(f, NULL, -1, 0);
  /* The newest entries, in order, ending with the last line. */
  assert_int_equal(c.n, on_disk);
  assert_numbered(&c, 200 - (int)on_disk, 199);
  collect_free(&c);

  /* Reopening continues the same files and keeps the bound. */
  write_numbered(f, rot_opts, 5);
  ls = fx_listing(f);
  assert_string_equal(ls, "container.log container.log.1 container.log.2");
  free(ls);
  fx_free(f);
}

static void test_tail_and_since(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  write_numbered(f, rot_opts, 200);

  struct collect c = fx_read(f, NULL, 2, 0);
  assert_numbered(&c, 198, 199);
  collect_free(&c);

  c = fx_read(f, NULL, 0, 0);
  assert_int_equal(c.n, 0);
  collect_free(&c);

  /* More than one file holds: across rotated files. */
  c = fx_read(f, NULL, 30, 0);
  assert_numbered(&c, 170, 199);
  collect_free(&c);

  c = fx_read(f, NULL, 100000, 0);
  assert_true(c.n > 30);
  assert_numbered(&c, 200 - (int)c.n, 199);
  collect_free(&c);

  int64_t since = (int64_t)(T0_SEC + 190) * 1000000000;
  c = fx_read(f, NULL, -1, since);
  assert_numbered(&c, 190, 199);
  collect_free(&c);

  c = fx_read(f, NULL, 3, since + 1); /* 190 itself is before since */
  assert_numbered(&c, 197, 199);
  collect_free(&c);

  c = fx_read(f, NULL, 50, since - 5);
  assert_numbered(&c, 190, 199);
  collect_free(&c);
  fx_free(f);
}

/* ---- --tail from the end ------------------------------------------------- */

/* The longest line the reader takes (LF_READ_LINE_MAX of the driver). */
#define READ_LINE_MAX (1024 * 1024)

/* "s" with "t" appended; s is freed. */
static char *cat(char *s, const char *t)
{
  char *n = xasprintf("%s%s", s ? s : "", t);
  free(s);
  return n;
}

/* One entry line as the driver writes it, at minute:second `sec`. */
static char *with_entry(char *s, int stream, long sec, const char *text)
{
  char *line = xasprintf("{\"log\":\"%s\",\"stream\":\"%s\",\"time\":"
                         "\"2026-11-29T03:%02ld:%02ld.000000000Z\"}\n",
                         text, stream == WB_STREAM_STDERR ? "stderr" : "stdout",
                         sec / 60 % 60, sec % 60);
  s = cat(s, line);
  free(line);
  return s;
}

static void put_file(struct fx *f, const char *name, const char *text)
{
  char *path = xasprintf("%s/%s", f->dir, name);
  wb_error err = WB_ERROR_INIT;
  if (write_file(path, text, strlen(text), &err) < 0)
    fail_msg("%s", err.msg);
  free(path);
}

/* tail N must be the last N of what a full read gives, whatever N: every
 * N for a short log, else the first and last dozen (where a miscount
 * shows: the start of the newest file, the oldest files). */
static void assert_tails(struct fx *f, int64_t since)
{
  struct collect all = fx_read(f, NULL, -1, since);
  for (int64_t n = 0; n <= (int64_t)all.n + 3; n++) {
    if (n == 12 && (int64_t)all.n > 24)
      n = (int64_t)all.n - 12;
    struct collect c = fx_read(f, NULL, n, since);
    size_t want = (size_t)n < all.n ? (size_t)n : all.n;
    if (c.n != want)
      fail_msg("tail %lld (since %lld): %zu entries, want %zu", (long long)n,
               (long long)since, c.n, want);
    for (size_t i = 0; i < c.n; i++) {
      const struct entry *a = &all.v[all.n - want + i], *b = &c.v[i];
      if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0 ||
          a->stream != b->stream || a->ts.tv_sec != b->ts.tv_sec)
        fail_msg("tail %lld: entry %zu is \"%.40s\", want \"%.40s\"",
                 (long long)n, i, b->text, a->text);
    }
    collect_free(&c);
  }
  collect_free(&all);
}

/* Entries spread over three files with what the forward read skips in
 * between: garbage, an empty file, a JSON line longer than the reader's
 * chunk (it is read back on its own), one longer than it accepts, and a
 * last line still being written. */
static void test_tail_at_rotation_boundaries(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  char *big = xmalloc(100 * 1024 + 1);
  memset(big, 'x', 100 * 1024);
  big[100 * 1024] = '\0';
  char *huge = xmalloc(READ_LINE_MAX + 2);
  memset(huge, 'y', READ_LINE_MAX + 1);
  huge[READ_LINE_MAX + 1] = '\0';

  char *oldest = NULL;
  oldest = with_entry(oldest, WB_STREAM_STDOUT, 1, "old 1\\n");
  oldest = cat(oldest, "garbage\n");
  oldest = with_entry(oldest, WB_STREAM_STDERR, 2, "old 2\\n");
  oldest = with_entry(oldest, WB_STREAM_STDOUT, 3, big);
  put_file(f, "container.log.3", oldest);
  put_file(f, "container.log.2", "");
  char *middle = NULL;
  middle = with_entry(middle, WB_STREAM_STDOUT, 4, "mid 1\\n");
  middle = cat(middle, huge);
  middle = cat(middle, "\n");
  middle = with_entry(middle, WB_STREAM_STDERR, 5, "mid 2\\n");
  middle = with_entry(middle, WB_STREAM_STDOUT, 6, big);
  middle = with_entry(middle, WB_STREAM_STDOUT, 7, "mid 3\\n");
  put_file(f, "container.log.1", middle);
  char *newest = NULL;
  newest = with_entry(newest, WB_STREAM_STDOUT, 8, "new 1\\n");
  newest = with_entry(newest, WB_STREAM_STDERR, 9, "new 2\\n");
  newest = cat(newest, "{\"log\":\"being written");
  put_file(f, "container.log", newest);

  struct collect all = fx_read(f, NULL, -1, 0);
  assert_int_equal(all.n, 9);
  assert_string_equal(all.v[0].text, "old 1\n");
  assert_string_equal(all.v[8].text, "new 2\n");
  collect_free(&all);
  assert_tails(f, 0);
  /* With --since, the last N of the entries since then. */
  assert_tails(f, (int64_t)(1795921200 + 5) * 1000000000);
  assert_tails(f, (int64_t)(1795921200 + 9) * 1000000000);
  assert_tails(f, (int64_t)(1795921200 + 60) * 1000000000);

  /* A first line that begins in the last chunk read back (the reader's
   * are 64 KiB, from the end) and ends after it: 40 KiB, then 0 to 70
   * KiB of short lines; an older file, where a miscount would show. */
  struct fx *h = fx_new("log-file.so", NULL);
  char *older = with_entry(NULL, WB_STREAM_STDOUT, 0, "older 1\\n");
  older = with_entry(older, WB_STREAM_STDOUT, 0, "older 2\\n");
  put_file(h, "container.log.1", older);
  free(older);
  big[40 * 1024] = '\0';
  for (int pads = 0; pads <= 1000; pads += 250) {
    char *text = with_entry(NULL, WB_STREAM_STDOUT, 1, big);
    for (int i = 0; i < pads; i++)
      text = with_entry(text, WB_STREAM_STDERR, 2, "pad\\n");
    put_file(h, "container.log", text);
    free(text);
    struct collect whole = fx_read(h, NULL, -1, 0);
    assert_int_equal(whole.n, (size_t)pads + 3);
    collect_free(&whole);
    assert_tails(h, 0);
  }
  fx_free(h);

  /* Nothing but a line being written, or nothing at all. */
  struct fx *g = fx_new("log-file.so", NULL);
  put_file(g, "container.log", "{\"log\":\"x");
  assert_tails(g, 0);
  put_file(g, "container.log", "");
  assert_tails(g, 0);
  fx_free(g);
  free(oldest);
  free(middle);
  free(newest);
  free(big);
  free(huge);
  fx_free(f);
}

/* Bytes this process has read so far (/proc/self/io rchar). */
static long long bytes_read(void)
{
  char *io = NULL;
  wb_error err = WB_ERROR_INIT;
  if (read_file("/proc/self/io", &io, NULL, &err) < 0)
    fail_msg("%s", err.msg);
  const char *p = strstr(io, "rchar: ");
  assert_non_null(p);
  long long v = atoll(p + 7);
  free(io);
  return v;
}

/* --tail reads from the end: a tail that the newest file holds reads a
 * chunk of it, not the whole file, and never the older files (here one
 * is a directory, which read() refuses: touching it fails the read). */
static void test_tail_reads_only_the_end(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  char *older = xasprintf("%s/container.log.2", f->dir);
  assert_int_equal(mkdir(older, 0700), 0);
  free(older);
  char *mid = NULL;
  for (int i = 0; i < 50; i++)
    mid = with_entry(mid, WB_STREAM_STDOUT, i, "middle\\n");
  put_file(f, "container.log.1", mid);
  free(mid);
  /* 4 MB of entries in the newest file. */
  char *path = xasprintf("%s/container.log", f->dir);
  FILE *out = fopen(path, "we");
  assert_non_null(out);
  /* Entries of 1 KiB: few enough to collect quickly under ASan. */
  char text[1024 + 3];
  memset(text, 'z', 1024);
  strcpy(text + 1024, "\\n");
  char *line = with_entry(NULL, WB_STREAM_STDOUT, 59, text);
  size_t size = 0, newest_entries = 0;
  for (; size < 4 * 1024 * 1024; newest_entries++) {
    fputs(line, out);
    size += strlen(line);
  }
  free(line);
  assert_int_equal(fclose(out), 0);
  free(path);

  long long before = bytes_read();
  struct collect c = fx_read(f, NULL, 3, 0);
  long long read_bytes = bytes_read() - before;
  assert_int_equal(c.n, 3);
  assert_int_equal(c.v[2].len, 1025);
  collect_free(&c);
  if (read_bytes > 256 * 1024)
    fail_msg("tail 3 of a 4 MB log read %lld bytes", read_bytes);

  /* A tail that reaches into container.log.1 reads it, not .2 ... */
  c = fx_read(f, NULL, (int64_t)newest_entries + 2, 0);
  assert_int_equal(c.n, newest_entries + 2);
  assert_string_equal(c.v[0].text, "middle\n");
  assert_int_equal(c.v[2].len, 1025);
  collect_free(&c);
  /* ... which a full read cannot help touching. */
  struct wb_log_target t = fx_target(f, NULL);
  struct collect none = {.ack_fd = -1, .start_fd = -1};
  struct wb_log_reader r = {
      .size = sizeof r, .tail = -1, .emit = collect_emit, .arg = &none};
  wb_error err = WB_ERROR_INIT;
  assert_true(f->ops->read(f->drv->data, &t, &r, &err) < 0);
  assert_non_null(strstr(err.msg, "Is a directory"));
  wb_error_clear(&err);
  collect_free(&none);
  fx_free(f);
}

/* Lines written by others (Docker's own format variants) and garbage. */
static void test_parse_foreign_lines(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  char *path = xasprintf("%s/container.log", f->dir);
  const char *text =
      "{\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":"
      "\"2020-01-02T03:04:05.5Z\"}\n"
      "garbage\n"
      "{\"log\":\"half\n"
      "{\"stream\":\"stderr\",\"attrs\":{\"k\":[1,true,null,\"v\"]},"
      "\"log\":\"b\\u00e9\\ud83d\\ude00\\/\\n\",\"time\":"
      "\"2020-01-02T03:04:05+01:00\"}\n"
      "{\"log\":\"c\",\"stream\":\"bogus\",\"time\":\"2020-01-02T03:04:05Z\"}\n"
      "{\"log\":\"d\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n"
      "{\"log\":\"e\",\"stream\":\"stdout\"}\n"
      "{\"log\":\"f\",\"stream\":\"stdout\",\"time\":\"2020-01-02T03:04:05Z\"}"
      " trailing\n"
      "{\"log\":\"in progress\",\"stream\":\"stdout\",\"time\":\"2020-01-02T0";
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(write_file(path, text, strlen(text), &err), 0);
  free(path);
  struct collect c = fx_read(f, NULL, -1, 0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.v[0].text, "a\n");
  assert_int_equal(c.v[0].ts.tv_sec, 1577934245);
  assert_int_equal(c.v[0].ts.tv_nsec, 500000000);
  assert_string_equal(c.v[1].text, "b\xc3\xa9\xf0\x9f\x98\x80/\n");
  assert_int_equal(c.v[1].stream, WB_STREAM_STDERR);
  assert_int_equal(c.v[1].ts.tv_sec, 1577934245 - 3600);
  assert_int_equal(c.v[1].ts.tv_nsec, 0);
  collect_free(&c);
  fx_free(f);
}

/* ---- follow: a forked writer rotates under the reader ------------------ */

static int follow_alive(void *arg)
{
  struct collect *c = arg;
  if (c->start_fd >= 0) {
    /* The reader is following now: let the writer go. */
    assert_int_equal(write(c->start_fd, "s", 1), 1);
    close(c->start_fd);
    c->start_fd = -1;
  }
  if (c->writer_done)
    return 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (c->deadline && now.tv_sec > c->deadline) {
    /* A reader stuck on a rotated file would otherwise wait forever. */
    kill(c->writer, SIGKILL);
    waitpid(c->writer, &c->writer_status, 0);
    c->writer_done = true;
    c->timed_out = true;
    return 0;
  }
  pid_t r = waitpid(c->writer, &c->writer_status, WNOHANG);
  if (r == c->writer) {
    c->writer_done = true;
    return 0;
  }
  return 1;
}

#define FOLLOW_LINES 400
#define FOLLOW_MAX_AHEAD 20

/* With wait_start the writer begins once the reader follows; without, it
 * races the reader's initial snapshot of the files. */
static void follow_writer(struct fx *f, int start_fd, int ack_fd,
                          bool wait_start)
{
  static const char *const opts[] = {"max-size=1k", "max-file=4", NULL};
  struct wb_log_target t = fx_target(f, opts);
  void *h = NULL;
  char b;
  if (wait_start && read(start_fd, &b, 1) != 1)
    _exit(2);
  if (f->ops->open(f->drv->data, &t, &h, NULL) < 0)
    _exit(3);
  int acked = 0;
  for (int i = 0; i < FOLLOW_LINES; i++) {
    /* Stay at most FOLLOW_MAX_AHEAD entries ahead of the reader (about
     * two files), so nothing is rotated away before it is read however
     * slow the machine is; rotations still happen while it follows. */
    while (i - acked > FOLLOW_MAX_AHEAD) {
      if (read(ack_fd, &b, 1) != 1)
        _exit(4);
      acked++;
    }
    char buf[64];
    int n = snprintf(buf, sizeof buf, "line %03d\n", i);
    struct timespec ts = {T0_SEC + i, 0};
    /* A line in two writes, the second one possibly after a rotation. */
    if (f->ops->write(h, WB_STREAM_STDOUT, &ts, buf, 4, NULL) < 0 ||
        f->ops->write(h, WB_STREAM_STDOUT, &ts, buf + 4, (size_t)n - 4, NULL) <
            0)
      _exit(5);
    if (i % 16 == 0)
      usleep(1000);
  }
  const char *last = "the end without newline";
  if (f->ops->write(h, WB_STREAM_STDERR, NULL, last, strlen(last), NULL) < 0)
    _exit(6);
  f->ops->close(h);
  _exit(0);
}

static void follow_across_rotation(bool wait_start)
{
  struct fx *f = fx_new("log-file.so", NULL);
  int start[2], ack[2];
  assert_int_equal(pipe2(start, O_CLOEXEC), 0);
  assert_int_equal(pipe2(ack, O_CLOEXEC), 0);
  void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(start[1]);
    close(ack[1]);
    follow_writer(f, start[0], ack[0], wait_start);
  }
  close(start[0]);
  close(ack[0]);

  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct collect c = {.writer = pid,
                      .start_fd = start[1],
                      .ack_fd = ack[1],
                      .deadline = now.tv_sec + 60};
  struct wb_log_target t = fx_target(f, NULL);
  struct wb_log_reader r = {.size = sizeof r,
                            .follow = 1,
                            .tail = -1,
                            .emit = collect_emit,
                            .alive = follow_alive,
                            .arg = &c};
  wb_error err = WB_ERROR_INIT;
  int rc = f->ops->read(f->drv->data, &t, &r, &err);
  close(ack[1]);
  if (c.start_fd >= 0)
    close(c.start_fd);
  if (!c.writer_done) {
    kill(pid, SIGKILL);
    waitpid(pid, &c.writer_status, 0);
  }
  signal(SIGPIPE, old_pipe);
  if (rc < 0)
    fail_msg("read: %s", err.msg);
  if (c.timed_out)
    fail_msg("the writer made no progress for 60 s: the reader stopped "
             "following after %zu entries",
             c.n);
  assert_true(WIFEXITED(c.writer_status));
  assert_int_equal(WEXITSTATUS(c.writer_status), 0);

  /* Every line exactly once, in order, then the flushed partial line. */
  assert_int_equal(c.n, FOLLOW_LINES + 1);
  for (int i = 0; i < FOLLOW_LINES; i++) {
    char want[64];
    snprintf(want, sizeof want, "line %03d\n", i);
    assert_string_equal(c.v[i].text, want);
  }
  assert_string_equal(c.v[FOLLOW_LINES].text, "the end without newline");
  assert_int_equal(c.v[FOLLOW_LINES].stream, WB_STREAM_STDERR);
  collect_free(&c);
  /* It did rotate, many times, and stayed bounded. */
  char *ls = fx_listing(f);
  assert_string_equal(ls, "container.log container.log.1 container.log.2 "
                          "container.log.3");
  free(ls);
  fx_free(f);
}

static void test_follow_across_rotation(void **state)
{
  (void)state;
  follow_across_rotation(true);
}

static void test_follow_racing_snapshot(void **state)
{
  (void)state;
  follow_across_rotation(false);
}

/* Following a container that already exited returns after one drain. */
static void test_follow_exited(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  write_numbered(f, rot_opts, 20);
  struct collect c = {.ack_fd = -1, .start_fd = -1, .writer_done = true};
  struct wb_log_target t = fx_target(f, NULL);
  struct wb_log_reader r = {.size = sizeof r,
                            .follow = 1,
                            .tail = 2,
                            .emit = collect_emit,
                            .alive = follow_alive,
                            .arg = &c};
  wb_error err = WB_ERROR_INIT;
  if (f->ops->read(f->drv->data, &t, &r, &err) < 0)
    fail_msg("read: %s", err.msg);
  assert_numbered(&c, 18, 19);
  collect_free(&c);
  fx_free(f);
}

static void assert_open_fails(struct fx *f, const char *const *opts,
                              const char *needle1, const char *needle2)
{
  struct wb_log_target t = fx_target(f, opts);
  wb_error err = WB_ERROR_INIT;
  void *h = NULL;
  assert_true(f->ops->open(f->drv->data, &t, &h, &err) < 0);
  assert_int_equal(err.code, EINVAL);
  assert_contains(err.msg, "log-file: ");
  assert_contains(err.msg, needle1);
  if (needle2)
    assert_contains(err.msg, needle2);
  wb_error_clear(&err);
}

static void test_bad_options(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  const char *const unknown[] = {"max-size=1k", "colour=blue", NULL};
  assert_open_fails(f, unknown, "unknown log option 'colour'", "max-size");
  const char *const bad_size[] = {"max-size=lots", NULL};
  assert_open_fails(f, bad_size, "max-size", "'lots'");
  const char *const zero_size[] = {"max-size=0", NULL};
  assert_open_fails(f, zero_size, "max-size", "'0'");
  const char *const bad_file[] = {"max-file=0", NULL};
  assert_open_fails(f, bad_file, "max-file", "'0'");
  const char *const junk_file[] = {"max-file=3x", NULL};
  assert_open_fails(f, junk_file, "max-file", "'3x'");
  const char *const no_eq[] = {"max-file", NULL};
  assert_open_fails(f, no_eq, "'max-file'", "key=value");
  /* Nothing was created by the refused opens. */
  char *ls = fx_listing(f);
  assert_string_equal(ls, "");
  free(ls);
  fx_free(f);
}

/* max_size / max_file from the config group, overridden by --log-opt. */
static void test_config_options(void **state)
{
  (void)state;
  struct fx *f = fx_new(
      "log-file.so", "log: { file: { max_size = \"2k\"; max_file = 2; }; };");
  write_numbered(f, NULL, 200);
  char *ls = fx_listing(f);
  assert_string_equal(ls, "container.log container.log.1");
  free(ls);
  char *data = fx_file(f, "container.log.1");
  assert_true(strlen(data) <= 2048 && strlen(data) > 2048 - 100);
  free(data);
  fx_free(f);

  f = fx_new("log-file.so", "log: { file: { max_file = 2; }; };");
  write_numbered(f, rot_opts, 200);
  ls = fx_listing(f);
  assert_string_equal(ls, "container.log container.log.1 container.log.2");
  free(ls);
  fx_free(f);

  /* max-file=1 starts the file afresh, never leaving a rotated one. */
  f = fx_new("log-file.so", NULL);
  const char *const one[] = {"max-size=1k", "max-file=1", NULL};
  write_numbered(f, one, 100);
  ls = fx_listing(f);
  assert_string_equal(ls, "container.log");
  free(ls);
  struct collect c = fx_read(f, NULL, -1, 0);
  assert_true(c.n > 0);
  assert_numbered(&c, 100 - (int)c.n, 99);
  collect_free(&c);
  fx_free(f);

  /* Bad values in the config are refused at init. */
  struct wb_config cfg;
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(
      wb_config_load_string(&cfg, "log: { file: { max_file = 0; }; };", &err),
      0);
  char *tmpl = make_root();
  char *path = plugin_path("log-file.so");
  struct wb_driver *d = NULL;
  assert_int_equal(wb_driver_open(path, WB_PLUGIN_LOG, NULL, &d, &err), 0);
  assert_true(wb_driver_init(d, &cfg, tmpl, &err) < 0);
  assert_contains(err.msg, "max_file");
  wb_error_clear(&err);
  wb_driver_free(d);
  wb_config_free(&cfg);
  free(path);
  assert_int_equal(rm_rf(tmpl, &err), 0);
  free(tmpl);
}

static void test_remove(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-file.so", NULL);
  write_numbered(f, rot_opts, 100);
  char *keep = xasprintf("%s/container.logbook", f->dir);
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(write_file(keep, "x", 1, &err), 0);
  free(keep);
  struct wb_log_target t = fx_target(f, NULL);
  assert_int_equal(f->ops->remove(f->drv->data, &t, &err), 0);
  char *ls = fx_listing(f);
  assert_string_equal(ls, "container.logbook");
  free(ls);
  assert_int_equal(f->ops->remove(f->drv->data, &t, &err), 0);
  /* A directory already gone is fine too. */
  struct wb_log_target gone = t;
  char *missing = xasprintf("%s/nope", f->root);
  gone.dir = missing;
  assert_int_equal(f->ops->remove(f->drv->data, &gone, &err), 0);
  free(missing);
  fx_free(f);
}

static void test_none(void **state)
{
  (void)state;
  struct fx *f = fx_new("log-none.so", NULL);
  assert_string_equal(f->drv->desc->name, "none");
  assert_int_equal(f->ops->size, sizeof(struct wb_log_ops));
  assert_null(f->ops->read);
  void *h = fx_open(f, NULL);
  struct timespec ts = {T0_SEC, 0};
  fx_puts(f, h, WB_STREAM_STDOUT, &ts, "discarded\n");
  fx_puts(f, h, WB_STREAM_STDERR, &ts, "partial");
  f->ops->close(h);
  char *ls = fx_listing(f);
  assert_string_equal(ls, "");
  free(ls);
  struct wb_log_target t = fx_target(f, NULL);
  wb_error err = WB_ERROR_INIT;
  assert_int_equal(f->ops->remove(f->drv->data, &t, &err), 0);
  const char *const opts[] = {"max-size=1k", NULL};
  t.options = opts;
  assert_true(f->ops->open(f->drv->data, &t, &h, &err) < 0);
  assert_contains(err.msg, "'max-size=1k'");
  wb_error_clear(&err);
  fx_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_descriptor),
      cmocka_unit_test(test_exact_lines),
      cmocka_unit_test(test_partial_flush_at_close),
      cmocka_unit_test(test_long_lines),
      cmocka_unit_test_setup_teardown(test_lost_lines_marker, save_fsize,
                                      restore_fsize),
      cmocka_unit_test_setup_teardown(test_lost_lines_at_close, save_fsize,
                                      restore_fsize),
      cmocka_unit_test(test_rotation),
      cmocka_unit_test(test_tail_and_since),
      cmocka_unit_test(test_tail_at_rotation_boundaries),
      cmocka_unit_test(test_tail_reads_only_the_end),
      cmocka_unit_test(test_parse_foreign_lines),
      cmocka_unit_test(test_follow_across_rotation),
      cmocka_unit_test(test_follow_racing_snapshot),
      cmocka_unit_test(test_follow_exited),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_config_options),
      cmocka_unit_test(test_remove),
      cmocka_unit_test(test_none),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
