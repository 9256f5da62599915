/* none.c - the log driver that keeps nothing.
 *
 * Output is accepted and dropped; read is NULL so that `logs` can say that
 * logging is disabled for the container instead of printing nothing. */
#include <errno.h>
#include <stddef.h>
#include <whalebox/plugin.h>

/* Handles carry no state: every open gets this same non-NULL address. */
static char none_handle;

static int none_init(const struct wb_host *host, void **driver, wb_error *err)
{
  (void)err;
  *driver = (void *)host;
  return 0;
}

static void none_fini(void *driver)
{
  (void)driver;
}

static int none_probe(void *driver, wb_error *err)
{
  (void)driver;
  (void)err;
  return 0;
}

static int none_open(void *driver, const struct wb_log_target *t, void **handle,
                     wb_error *err)
{
  const struct wb_host *host = driver;
  /* The ABI says unknown --log-opt keys are refused, and this driver
   * knows none: accepting one would hide a mistake. */
  if (t->options && t->options[0])
    return host->error(host, err, -EINVAL,
                       "log option '%s' given, but the none driver takes no "
                       "options",
                       t->options[0]);
  *handle = &none_handle;
  return 0;
}

static int none_write(void *handle, int stream, const struct timespec *ts,
                      const void *buf, size_t len, wb_error *err)
{
  (void)handle;
  (void)stream;
  (void)ts;
  (void)buf;
  (void)len;
  (void)err;
  return 0;
}

static void none_close(void *handle)
{
  (void)handle;
}

static int none_remove(void *driver, const struct wb_log_target *t,
                       wb_error *err)
{
  (void)driver;
  (void)t;
  (void)err;
  return 0;
}

static const struct wb_log_ops none_ops = {
    .size = sizeof(struct wb_log_ops),
    .open = none_open,
    .write = none_write,
    .close = none_close,
    .read = NULL, /* nothing is kept */
    .remove = none_remove,
};

static const struct wb_plugin none_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_LOG,
    .name = "none",
    .version = "0.1.0",
    .summary = "discards container output (logs are disabled)",
    .options = NULL,
    .init = none_init,
    .fini = none_fini,
    .probe = none_probe,
    .ops = &none_ops,
};

WB_PLUGIN_DEFINE(none_plugin)
