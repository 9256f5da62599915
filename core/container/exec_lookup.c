/* exec_lookup.c - find the command like execvp, but in the container's
 * $PATH, with Docker's 126/127 distinction and messages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "spawn.h"

/* Docker's messages say "no such file or directory", not strerror's
 * capitalised form. */
const char *wb_errno_text(int e, char *buf, size_t len)
{
  snprintf(buf, len, "%s", strerror(e));
  if (buf[0] >= 'A' && buf[0] <= 'Z')
    buf[0] = (char)(buf[0] - 'A' + 'a');
  return buf;
}

static const char default_path[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static int check_file(const char *path, const char *shown, wb_error *err)
{
  char buf[128];
  struct stat st;
  if (stat(path, &st) < 0)
    return wb_error_set_exit(err, WB_EXIT_NOT_FOUND, -errno, "exec \"%s\": %s",
                             shown, wb_errno_text(errno, buf, sizeof buf));
  if (S_ISDIR(st.st_mode))
    return wb_error_set_exit(err, WB_EXIT_CANNOT_EXEC, -EISDIR,
                             "exec \"%s\": is a directory", shown);
  if (access(path, X_OK) < 0)
    return wb_error_set_exit(err, WB_EXIT_CANNOT_EXEC, -errno,
                             "exec \"%s\": %s", shown,
                             wb_errno_text(errno, buf, sizeof buf));
  return 0;
}

int wb_exec_lookup(const char *cmd, char *const *env, char **path,
                   wb_error *err)
{
  if (!*cmd)
    return wb_error_set_exit(err, WB_EXIT_NOT_FOUND, -ENOENT,
                             "exec: empty command");
  if (strchr(cmd, '/')) {
    int r = check_file(cmd, cmd, err);
    if (r < 0)
      return r;
    *path = xstrdup(cmd);
    return 0;
  }
  const char *search = default_path;
  for (char *const *e = env; e && *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0)
      search = *e + 5;
  cleanup_free char *copy = xstrdup(search);
  int denied = 0;
  char *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir;
       dir = strtok_r(NULL, ":", &save)) {
    cleanup_free char *cand = xasprintf("%s/%s", *dir ? dir : ".", cmd);
    struct stat st;
    if (stat(cand, &st) < 0 || S_ISDIR(st.st_mode))
      continue;
    if (access(cand, X_OK) < 0) {
      denied = errno;
      continue;
    }
    *path = steal_pointer(&cand);
    return 0;
  }
  char buf[128];
  if (denied)
    return wb_error_set_exit(err, WB_EXIT_CANNOT_EXEC, -denied,
                             "exec \"%s\": %s", cmd,
                             wb_errno_text(denied, buf, sizeof buf));
  return wb_error_set_exit(err, WB_EXIT_NOT_FOUND, -ENOENT,
                           "exec: \"%s\": executable file not found in $PATH",
                           cmd);
}
