/* sidecar.c - <dir>/sidecar: what removing a container needs when its
 * state.json cannot be read (empty, garbage).  Its cgroup is
 * <cgroup-parent>/<id> under its cgroup driver, its storage the storage
 * driver's: neither can be derived from the id and the configuration
 * alone (--cgroup-parent, --storage-driver).  Written once at create and
 * never rewritten, so nothing that corrupts a state being rewritten can
 * reach it; a fixed line format, ended by a line ".", so a sidecar cut
 * short by a kill is recognised as such.
 *
 *   whalebox-sidecar 1
 *   storage=overlay
 *   cgroup=v1
 *   cgroup-parent=whalebox
 *   log=file
 *   . */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "container.h"

#define MAGIC "whalebox-sidecar 1\n"

static const char *or_empty(const char *s)
{
  return s ? s : "";
}

int wb_sidecar_write(const struct wb_container *c, wb_error *err)
{
  const char *values[] = {c->storage_driver, c->cgroup_driver, c->cgroup_parent,
                          c->log_driver};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++)
    if (values[i] && strchr(values[i], '\n'))
      return wb_error_set(err, -EINVAL, "container %s: a newline in \"%s\"",
                          c->id, values[i]);
  cleanup_free char *text =
      xasprintf(MAGIC "storage=%s\ncgroup=%s\ncgroup-parent=%s\nlog=%s\n.\n",
                or_empty(c->storage_driver), or_empty(c->cgroup_driver),
                or_empty(c->cgroup_parent), or_empty(c->log_driver));
  cleanup_free char *path = path_join(c->dir, "sidecar");
  cleanup_close int fd =
      open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return wb_error_set(err, errno, "create %s", path);
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  if (n < 0)
    return wb_error_set(err, errno, "write %s", path);
  if ((size_t)n != len)
    return wb_error_set(err, -EIO, "write %s: short write", path);
  return 0;
}

/* The value of "key=" in text (lines), or NULL; empty values are NULL. */
static char *field(const char *text, const char *key)
{
  size_t klen = strlen(key);
  for (const char *line = text; line && *line;) {
    const char *end = strchr(line, '\n');
    if (!end)
      return NULL;
    if (strncmp(line, key, klen) == 0 && line[klen] == '=' &&
        end > line + klen + 1)
      return xstrndup(line + klen + 1, (size_t)(end - line - klen - 1));
    line = end + 1;
  }
  return NULL;
}

int wb_sidecar_read(const char *dir, struct wb_container *c)
{
  cleanup_free char *path = path_join(dir, "sidecar");
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (read_file(path, &text, &len, NULL) < 0)
    return -ENOENT;
  if (strncmp(text, MAGIC, strlen(MAGIC)) != 0 || len < 3 ||
      strcmp(text + len - 3, "\n.\n") != 0)
    return -EBADMSG;
  free(c->storage_driver);
  c->storage_driver = field(text, "storage");
  free(c->cgroup_driver);
  c->cgroup_driver = field(text, "cgroup");
  free(c->cgroup_parent);
  c->cgroup_parent = field(text, "cgroup-parent");
  free(c->log_driver);
  c->log_driver = field(text, "log");
  return 0;
}
