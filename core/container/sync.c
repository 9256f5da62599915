#include "sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/xalloc.h"

struct header {
  int32_t type;
  int32_t exit_code;
};

#define MAX_MSG 4096

int wb_sync_send(int sock, int type, int exit_code, const char *msg, int fd)
{
  struct header h = {type, exit_code};
  size_t mlen = msg ? strnlen(msg, MAX_MSG) : 0;
  struct iovec iov[2] = {{&h, sizeof h}, {(void *)msg, mlen}};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = {.msg_iov = iov, .msg_iovlen = mlen ? 2 : 1};
  if (fd >= 0) {
    memset(&ctl, 0, sizeof ctl);
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t r;
  do
    r = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

int wb_sync_recv(int sock, int *type, int *exit_code, char **msg, int *fd)
{
  struct header h;
  char *body = xmalloc(MAX_MSG + 1);
  struct iovec iov[2] = {{&h, sizeof h}, {body, MAX_MSG}};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } ctl;
  struct msghdr m = {.msg_iov = iov,
                     .msg_iovlen = 2,
                     .msg_control = ctl.buf,
                     .msg_controllen = sizeof ctl.buf};
  ssize_t r;
  do
    r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  *fd = -1;
  *msg = NULL;
  if (r < 0) {
    int e = errno;
    free(body);
    return -e;
  }
  if (r == 0) {
    free(body);
    return 0;
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(fd, CMSG_DATA(c), sizeof(int));
  if ((size_t)r < sizeof h || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
    free(body);
    if (*fd >= 0)
      close(*fd);
    *fd = -1;
    return -EPROTO;
  }
  body[r - sizeof h] = '\0';
  *type = h.type;
  *exit_code = h.exit_code;
  if (r > (ssize_t)sizeof h)
    *msg = body;
  else
    free(body);
  return 1;
}
