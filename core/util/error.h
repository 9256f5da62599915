/* error.h - errors as values: built once where they happen, passed up,
 * printed only by main.  A wb_error is the opaque type of plugin.h. */
#ifndef WB_ERROR_H
#define WB_ERROR_H

#include <stdarg.h>
#include <whalebox/plugin.h>

/* Exit codes, as Docker's. */
enum {
  WB_EXIT_FAILURE = 125, /* whalebox's own error */
  WB_EXIT_CANNOT_EXEC = 126,
  WB_EXIT_NOT_FOUND = 127,
};

struct wb_error {
  int code;      /* errno-style cause, > 0 */
  int exit_code; /* process exit code main should use; 0 = 125 */
  char *msg;
};

#define WB_ERROR_INIT                                                          \
  {                                                                            \
    0, 0, NULL                                                                 \
  }

/* Set *err to the formatted message and return the negative error code.
 * errnum > 0: a system error, ": strerror(errnum)" is appended;
 * errnum < 0: the code is -errnum and the message stands alone (for errors
 * whose text already says it all, e.g. bad user input);
 * errnum == 0: code EIO.  Replaces a message already there. */
int wb_error_set(wb_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wb_error_setv(wb_error *err, int errnum, const char *fmt, va_list ap);
/* As wb_error_set, with the exit code main must use (126, 127...). */
int wb_error_set_exit(wb_error *err, int exit_code, int errnum, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
/* Prepend "<prefix>: " to an existing message; returns -code. */
int wb_error_prefix(wb_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void wb_error_clear(wb_error *err);
/* Exit code for main. */
int wb_error_exit_code(const wb_error *err);

static inline void wb_error_cleanup(wb_error *err)
{
  wb_error_clear(err);
}
#define cleanup_error __attribute__((cleanup(wb_error_cleanup)))

#endif
