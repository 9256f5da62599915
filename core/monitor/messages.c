#include "messages.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../util/log.h"

/* Bounds: a driver that logs in a loop must not fill the disk, and lines
 * waiting for room must not grow the monitor. */
#define MESSAGES_MAX_BYTES (1024 * 1024)
#define PENDING_MAX 16384

static const char *file_path;
static int file_fd = -1;
static size_t file_bytes;
static bool capped;
static char pending[PENDING_MAX];
static size_t pending_len;
static unsigned long dropped;

static bool write_pending(void)
{
  if (file_fd < 0)
    file_fd =
        open(file_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
             0640);
  if (file_fd < 0)
    return false;
  while (pending_len) {
    ssize_t n = write(file_fd, pending, pending_len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    memmove(pending, pending + n, pending_len - (size_t)n);
    pending_len -= (size_t)n;
    file_bytes += (size_t)n;
  }
  return true;
}

static void queue(const char *text, size_t len)
{
  if (len > PENDING_MAX - pending_len) {
    dropped++;
    return;
  }
  memcpy(pending + pending_len, text, len);
  pending_len += len;
}

static void write_line(int level, const char *line, size_t len)
{
  (void)level;
  if (capped)
    return;
  char stamp[40];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp + n, sizeof stamp - n, ".%09ldZ ", ts.tv_nsec);
  if (file_bytes + pending_len + len > MESSAGES_MAX_BYTES) {
    static const char cap[] = "whalebox: warning: whalebox-monitor: more "
                              "messages than fit in this file; the rest are "
                              "dropped\n";
    queue(stamp, strlen(stamp));
    queue(cap, sizeof cap - 1);
    capped = true;
  } else {
    queue(stamp, strlen(stamp));
    queue(line, len);
  }
  write_pending();
}

void wb_messages_init(const char *path)
{
  file_path = path;
  wb_log_set_writer(write_line);
}

void wb_messages_flush(void)
{
  if (pending_len)
    write_pending();
}

void wb_messages_finish(void)
{
  if (!pending_len && !dropped)
    return;
  if (write_pending() && !dropped)
    return;
  /* No room for them in the container's directory: the system log is the
   * last place a user can still find them. */
  openlog("whalebox-monitor", LOG_PID, LOG_DAEMON);
  char *p = pending, *end = pending + pending_len;
  while (p < end) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    syslog(LOG_WARNING, "%s: %.*s", file_path, (int)n, p);
    p += n + 1;
  }
  if (dropped)
    syslog(LOG_WARNING, "%s: %lu more messages lost", file_path, dropped);
  closelog();
  pending_len = 0;
  dropped = 0;
}
