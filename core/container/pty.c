#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "../util/cleanup.h"

int wb_pty_open(const char *ptmx, int *master, int *slave, wb_error *err)
{
  cleanup_close int m = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return wb_error_set(err, errno, "open %s", ptmx);
  int unlock = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
    return wb_error_set(err, errno, "unlock pty");
  /* TIOCGPTPEER opens the peer without a path lookup. */
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return wb_error_set(err, errno, "open pty peer");
  *master = steal_fd(&m);
  *slave = s;
  return 0;
}
