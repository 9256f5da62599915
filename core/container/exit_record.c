/* exit_record.c - <root>/run/exits/<id>: a container's end when its
 * state.json could not be written.  The runroot is in memory (runroot.c),
 * so this needs no room on the state root's disk; it names the run it
 * belongs to (the first process's start time), so a record is never
 * applied to a later run.  One line:
 *
 *   <start time> <exit code> <oom 0|1> <finished at, RFC 3339> */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "container.h"

static char *record_path(const char *root, const char *id)
{
  cleanup_free char *run = wb_runroot(root);
  return xasprintf("%s/exits/%s", run, id);
}

int wb_exit_record_write(const char *root, const struct wb_container *c,
                         wb_error *err)
{
  cleanup_free char *run = wb_runroot(root);
  cleanup_free char *dir = path_join(run, "exits");
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return wb_error_set(err, errno, "mkdir %s", dir);
  cleanup_free char *path = record_path(root, c->id);
  cleanup_free char *text =
      xasprintf("%llu %d %d %s\n", c->start_time, c->exit_code,
                c->oom_killed ? 1 : 0, c->finished_at ? c->finished_at : "-");
  return write_file_atomic(path, text, strlen(text), 0, err);
}

bool wb_exit_record_apply(const char *root, struct wb_container *c)
{
  cleanup_free char *path = record_path(root, c->id);
  cleanup_free char *text = NULL;
  if (read_file(path, &text, NULL, NULL) < 0)
    return false;
  unsigned long long start;
  int code, oom;
  char finished[64];
  if (sscanf(text, "%llu %d %d %63s", &start, &code, &oom, finished) != 4 ||
      start != c->start_time)
    return false;
  free(c->status);
  c->status = xstrdup("exited");
  c->exit_code = code;
  c->oom_killed = oom != 0;
  free(c->finished_at);
  c->finished_at = strcmp(finished, "-") ? xstrdup(finished) : NULL;
  c->pid = 0;
  c->paused = false;
  return true;
}

void wb_exit_record_remove(const char *root, const char *id)
{
  cleanup_free char *path = record_path(root, id);
  unlink(path);
}
