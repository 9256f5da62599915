/* pty.h - a pseudo-terminal pair from a devpts instance's ptmx. */
#ifndef WB_PTY_H
#define WB_PTY_H

#include "../util/error.h"

/* Open a pair through `ptmx` (a path, e.g. "/dev/ptmx" or a
 * /proc/self/fd/N of an O_PATH fd); both ends close on exec. */
int wb_pty_open(const char *ptmx, int *master, int *slave, wb_error *err);

#endif
