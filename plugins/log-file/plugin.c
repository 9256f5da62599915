/* plugin.c - the log-file driver's descriptor, its configuration, the names
 * of its files and their removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_file.h"

int lf_file_name(char *buf, size_t size, long index)
{
  int n = index == 0 ? snprintf(buf, size, "%s", LF_LOG_NAME)
                     : snprintf(buf, size, "%s.%ld", LF_LOG_NAME, index);
  return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

long lf_file_index(const char *name)
{
  size_t bl = strlen(LF_LOG_NAME);
  if (strncmp(name, LF_LOG_NAME, bl) != 0)
    return -1;
  if (name[bl] == '\0')
    return 0;
  if (name[bl] != '.' || name[bl + 1] < '1' || name[bl + 1] > '9')
    return -1;
  char *end;
  errno = 0;
  long v = strtol(name + bl + 1, &end, 10);
  if (errno || *end || v <= 0 || v > INT_MAX)
    return -1;
  return v;
}

static int lf_init(const struct wb_host *host, void **driver, wb_error *err)
{
  int64_t max_size = LF_DEFAULT_MAX_SIZE, max_file = LF_DEFAULT_MAX_FILE;
  int r = host->config_int(host, "max_size", &max_size);
  if ((r < 0 && r != -ENOENT) || max_size <= 0)
    return host->error(host, err, -EINVAL,
                       "max_size must be a positive size such as \"10m\"");
  r = host->config_int(host, "max_file", &max_file);
  if ((r < 0 && r != -ENOENT) || max_file < 1 || max_file > LF_MAX_FILE_LIMIT)
    return host->error(host, err, -EINVAL,
                       "max_file must be an integer from 1 to %d",
                       LF_MAX_FILE_LIMIT);
  struct lf_driver *d = calloc(1, sizeof *d);
  if (!d)
    return host->error(host, err, ENOMEM, "init");
  d->host = host;
  d->max_size = max_size;
  d->max_file = max_file;
  *driver = d;
  return 0;
}

static void lf_fini(void *driver)
{
  free(driver);
}

static int lf_probe(void *driver, wb_error *err)
{
  (void)driver;
  (void)err;
  return 0; /* needs nothing but a file system */
}

int lf_remove(void *driver, const struct wb_log_target *t, wb_error *err)
{
  struct lf_driver *d = driver;
  DIR *dir = opendir(t->dir);
  if (!dir) {
    if (errno == ENOENT)
      return 0;
    return d->host->error(d->host, err, errno, "open %s", t->dir);
  }
  int r = 0;
  struct dirent *de;
  /* Unlinking while iterating is fine: each name is seen at most once. */
  while ((errno = 0, de = readdir(dir))) {
    if (lf_file_index(de->d_name) < 0)
      continue;
    if (unlinkat(dirfd(dir), de->d_name, 0) < 0 && errno != ENOENT) {
      r = d->host->error(d->host, err, errno, "remove %s/%s", t->dir,
                         de->d_name);
      break;
    }
  }
  if (r == 0 && errno)
    r = d->host->error(d->host, err, errno, "read directory %s", t->dir);
  closedir(dir);
  return r;
}

static const struct wb_option lf_options[] = {
    {"max_size", WB_OPTION_SIZE,
     "rotate a container's log when it would grow past this size (default "
     "\"10m\"; --log-opt max-size overrides it per container)"},
    {"max_file", WB_OPTION_INT,
     "log files kept per container, the current one included (default 3; "
     "--log-opt max-file overrides it per container)"},
    {NULL, 0, NULL},
};

static const struct wb_log_ops lf_ops = {
    .size = sizeof(struct wb_log_ops),
    .open = lf_open,
    .write = lf_write,
    .close = lf_close,
    .read = lf_read,
    .remove = lf_remove,
};

static const struct wb_plugin lf_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = WB_PLUGIN_LOG,
    .name = "file",
    .version = "0.1.0",
    .summary = "JSON lines as Docker's json-file, rotated by size",
    .options = lf_options,
    .init = lf_init,
    .fini = lf_fini,
    .probe = lf_probe,
    .ops = &lf_ops,
};

WB_PLUGIN_DEFINE(lf_plugin)
