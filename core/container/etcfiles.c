/* etcfiles.c - the files the runtime supplies in /etc.  See etcfiles.h. */
#include "etcfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"

const char *const wb_etc_files[WB_ETC_FILES_COUNT + 1] = {"hostname", "hosts",
                                                          "resolv.conf", NULL};

bool wb_etc_files_in_memory_for(const struct wb_container *c)
{
  return c->auto_remove && !wb_userns_enabled(&c->sec);
}

static char *etc_text(const struct wb_container *c, const char *name,
                      size_t *len)
{
  char *text = NULL;
  if (strcmp(name, "hostname") == 0)
    text = xasprintf("%s\n", c->hostname);
  else if (strcmp(name, "hosts") == 0)
    text = xasprintf(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "127.0.1.1\t%s\n",
        c->hostname);
  else {
    /* The container has only loopback: keep the host's resolver settings
     * (what users expect to find) but they cannot reach anything. */
    if (read_file("/etc/resolv.conf", &text, len, NULL) == 0)
      return text;
    free(text);
    text = xstrdup("");
  }
  *len = strlen(text);
  return text;
}

int wb_etc_files_write(const struct wb_container *c, const char *dir,
                       wb_error *err)
{
  for (const char *const *name = wb_etc_files; *name; name++) {
    size_t len = 0;
    cleanup_free char *text = etc_text(c, *name, &len);
    cleanup_free char *path = path_join(dir, *name);
    int r = write_file(path, text, len, err);
    if (r < 0)
      return r;
    if (wb_userns_enabled(&c->sec) &&
        (r = wb_userns_chown_root(&c->sec, path, err)) < 0)
      return r;
  }
  return 0;
}

int wb_etc_files_in_memory(const struct wb_container *c, const char *dir,
                           int *fd, wb_error *err)
{
  /* Writable by the container's root like Docker's files; the size is
   * /dev/shm's.  What the container writes there is charged to its cgroup
   * (the runtime's first few hundred bytes may not be, on cgroup v1). */
  if (mount("whalebox-etc", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
            "mode=700,size=65536k") < 0)
    return wb_error_set(err, errno, "mount tmpfs on %s", dir);
  int r = wb_etc_files_write(c, dir, err);
  if (r < 0)
    return r;
  *fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0)
    return wb_error_set(err, errno, "open %s", dir);
  return 0;
}
