/* tar_sink.c - the file descriptor sink for tar streams (archive_write.h),
 * in the core: export hands it to the archive module's writer. */
#include <errno.h>
#include <unistd.h>

#include "archive_write.h"

int wb_tar_sink_fd(void *arg, const void *buf, size_t len, wb_error *err)
{
  int fd = *(int *)arg;
  const char *p = buf;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return wb_error_set(err, errno, "write");
    p += n;
    len -= n;
  }
  return 0;
}
