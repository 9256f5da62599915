/* proc.c - process identity: a pid plus its start time, so that a reused
 * pid never makes a dead container look alive. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "container.h"

unsigned long long wb_proc_start_time(pid_t pid)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* The command name may contain spaces and parentheses: fields start
   * after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p)
    return 0;
  p++;
  /* A zombie has exited; it only waits to be reaped. */
  if (p[0] == ' ' && p[1] == 'Z')
    return 0;
  /* Field 3 (state) is the first after ')'; start time is field 22. */
  for (int field = 3; field < 22; field++) {
    p = strchr(p + 1, ' ');
    if (!p)
      return 0;
  }
  return strtoull(p + 1, NULL, 10);
}

bool wb_proc_alive(pid_t pid, unsigned long long start_time)
{
  if (pid <= 0 || start_time == 0)
    return false;
  return wb_proc_start_time(pid) == start_time;
}
