/* exec_stub.h - a container's command is exec'd through a sealed copy of
 * whalebox's exec stub, never by a process backed by the host's whalebox
 * binary (CVE-2019-5736; core/exec_stub/exec_stub.c says how). */
#ifndef WB_EXEC_STUB_H
#define WB_EXEC_STUB_H

#include "../util/error.h"

/* A sealed, close-on-exec memfd holding the stub, for one start or exec:
 * made in the runtime and inherited by the container's process. */
int wb_exec_stub_open(wb_error *err);

/* The stub's command line for exec'ing `path` with `argv`, reporting on
 * `sync`: allocated (strv_free), built before the last steps (seccomp)
 * need nothing but the exec. */
char **wb_exec_stub_argv(int sync, const char *path, char *const *argv);

/* Exec the stub with `stub_argv` and `env`; `sync` (the runtime's
 * channel) is made to survive this exec, the stub closes it on the
 * command's.  Returns only on failure. */
int wb_exec_stub_exec(int stub_fd, int sync, char *const *stub_argv,
                      char *const *env, wb_error *err);

/* The failure of exec'ing `cmd` with errno e: 127 when not found, else 126,
 * in Docker's words.  Returns < 0. */
int wb_exec_error(wb_error *err, const char *cmd, int e);

#endif
