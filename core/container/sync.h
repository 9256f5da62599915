/* sync.h - the one channel between the runtime and a container's first
 * process: a SOCK_SEQPACKET pair.  The child waits for GO; it may send its
 * pty master (PTY); it reports a failure as ERROR with the exit code and
 * message, or closes the channel by exec'ing (close-on-exec): EOF means
 * the user's command is running.  The last exec goes through the exec
 * stub, which holds the channel open until the command's own execve and
 * reports that one's failure as EXEC_FAILED. */
#ifndef WB_SYNC_H
#define WB_SYNC_H

#include "../util/error.h"

enum wb_sync_type {
  WB_SYNC_GO = 1,
  WB_SYNC_PTY = 2,
  WB_SYNC_ERROR = 3,
  WB_SYNC_READY = 4,  /* monitor -> runtime: the command is running */
  WB_SYNC_PID = 5,    /* exec helper -> runtime: pid (in exit_code) */
  WB_SYNC_CGROUP = 6, /* runtime -> container: its cgroup exists */
  /* exec stub -> runtime: execve of the command failed, errno in exit_code
   * (core/exec_stub/exec_stub.c) */
  WB_SYNC_EXEC_FAILED = 7,
};

/* Send a message; fd >= 0 is passed along with SCM_RIGHTS. */
int wb_sync_send(int sock, int type, int exit_code, const char *msg, int fd);
/* Receive one message.  Returns 0 on EOF, 1 with *type etc. set, < 0 on
 * error (errno).  *msg is malloc'd (may be NULL); *fd is -1 unless passed. */
int wb_sync_recv(int sock, int *type, int *exit_code, char **msg, int *fd);

#endif
