/* loghost.c - log-hostcheck.so: a log driver that reports what its host
 * gives it, so the integration tests can compare the struct wb_host of
 * whalebox-monitor (open, write, close, fini) with whalebox's own (read,
 * remove) and check the promises of plugin.h to log drivers.
 *
 * In the container's log directory it writes:
 *   host-open.txt  what the host table says, from open()
 *   host-read.txt  the same, from read()
 *   calls          one line per open and close: "<op> <pid>"
 *   data           what write() was given, as is
 * and in its driver directory, "fini", one line "fini <pid>" per fini().
 * A --log-opt fail=1 makes open() fail through host->error, exit=1 makes
 * it end its process; write() refuses a chunk that contains "!fail!". */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <whalebox/plugin.h>

struct hc_handle {
  const struct wb_host *host;
  char *dir;
};

static int hc_init(const struct wb_host *host, void **driver, wb_error *err)
{
  (void)err;
  *driver = (void *)host;
  return 0;
}

static void append(const char *dir, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(const char *dir, const char *name, const char *fmt, ...)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "ae");
  if (!f)
    return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fclose(f);
}

static void hc_fini(void *driver)
{
  const struct wb_host *host = driver;
  append(host->driver_dir, "fini", "fini %d\n", (int)getpid());
}

static int hc_probe(void *driver, wb_error *err)
{
  (void)driver;
  (void)err;
  return 0;
}

/* Everything a driver can ask its host, one line each. */
static void describe(const struct wb_host *h, const char *dir, const char *name)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "we");
  if (!f)
    return;
  fprintf(f, "size=%u abi=%u.%u\n", h->size, h->abi_major, h->abi_minor);
  fprintf(f, "state_root=%s\n", h->state_root);
  fprintf(f, "driver_dir=%s\n", h->driver_dir);
  static const char *const keys[] = {"flavour", "count", "limit", "verbose",
                                     "missing"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    const char *s = NULL;
    int64_t v = -1;
    int b = -1;
    int r = h->config_string(h, keys[i], &s);
    fprintf(f, "config_string(%s)=%d:%s\n", keys[i], r, r == 0 ? s : "");
    r = h->config_int(h, keys[i], &v);
    fprintf(f, "config_int(%s)=%d:%lld\n", keys[i], r,
            r == 0 ? (long long)v : 0LL);
    r = h->config_bool(h, keys[i], &b);
    fprintf(f, "config_bool(%s)=%d:%d\n", keys[i], r, r == 0 ? b : 0);
  }
  static const char *const sizes[] = {"1t", " 5m", "99999999999g", "5m", "1KiB",
                                      "",   "-1",  "8192p",        "7"};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    int64_t v = -1;
    int r = h->parse_size(sizes[i], &v);
    fprintf(f, "parse_size(\"%s\")=%d:%lld\n", sizes[i], r,
            r == 0 ? (long long)v : 0LL);
  }
  fclose(f);
}

static int hc_open(void *driver, const struct wb_log_target *t, void **handle,
                   wb_error *err)
{
  const struct wb_host *host = driver;
  for (const char *const *o = t->options; o && *o; o++) {
    if (strcmp(*o, "fail=1") == 0)
      return host->error(host, err, ENOENT, "open %s", "/hostcheck/x");
    if (strcmp(*o, "exit=1") == 0)
      _exit(3); /* a driver that takes its process down */
  }
  describe(host, t->dir, "host-open.txt");
  append(t->dir, "calls", "open %d\n", (int)getpid());
  host->log(host, WB_LOG_WARN, "open in pid %d", (int)getpid());
  struct hc_handle *h = calloc(1, sizeof *h);
  if (!h || !(h->dir = strdup(t->dir))) {
    free(h);
    return host->error(host, err, ENOMEM, "open");
  }
  h->host = host;
  *handle = h;
  return 0;
}

static int hc_write(void *handle, int stream, const struct timespec *ts,
                    const void *buf, size_t len, wb_error *err)
{
  struct hc_handle *h = handle;
  (void)stream;
  (void)ts;
  if (memmem(buf, len, "!fail!", 6))
    return h->host->error(h->host, err, EIO, "write refused");
  append(h->dir, "data", "%.*s", (int)len, (const char *)buf);
  return 0;
}

static void hc_close(void *handle)
{
  struct hc_handle *h = handle;
  append(h->dir, "calls", "close %d\n", (int)getpid());
  free(h->dir);
  free(h);
}

static int hc_read(void *driver, const struct wb_log_target *t,
                   const struct wb_log_reader *reader, wb_error *err)
{
  (void)reader;
  (void)err;
  describe(driver, t->dir, "host-read.txt");
  return 0;
}

static int hc_remove(void *driver, const struct wb_log_target *t, wb_error *err)
{
  (void)driver;
  (void)t;
  (void)err;
  return 0;
}

static const struct wb_option hc_options[] = {
    {"flavour", WB_OPTION_STRING, "a string"},
    {"count", WB_OPTION_INT, "an integer"},
    {"limit", WB_OPTION_SIZE, "a size"},
    {"verbose", WB_OPTION_BOOL, "a boolean"},
    {NULL, 0, NULL},
};

static const struct wb_log_ops hc_ops = {
    .size = sizeof(struct wb_log_ops),
    .open = hc_open,
    .write = hc_write,
    .close = hc_close,
    .read = hc_read,
    .remove = hc_remove,
};

static const struct wb_plugin hc_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_LOG,
    .name = "hostcheck",
    .version = "0",
    .summary = "reports what its host gives it (tests)",
    .options = hc_options,
    .init = hc_init,
    .fini = hc_fini,
    .probe = hc_probe,
    .ops = &hc_ops,
};

WB_PLUGIN_DEFINE(hc_plugin)
