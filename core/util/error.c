#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int wb_error_setv(wb_error *err, int errnum, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  if (!msg)
    msg = xstrdup("out of memory");
  if (errnum > 0) {
    char *full = xasprintf("%s: %s", msg, strerror(errnum));
    free(msg);
    msg = full;
  }
  int code = errnum > 0 ? errnum : errnum < 0 ? -errnum : EIO;
  if (err) {
    free(err->msg);
    err->msg = msg;
    err->code = code;
  } else {
    free(msg);
  }
  return -code;
}

int wb_error_set(wb_error *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = wb_error_setv(err, errnum, fmt, ap);
  va_end(ap);
  return r;
}

int wb_error_set_exit(wb_error *err, int exit_code, int errnum, const char *fmt,
                      ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = wb_error_setv(err, errnum, fmt, ap);
  va_end(ap);
  if (err)
    err->exit_code = exit_code;
  return r;
}

int wb_error_prefix(wb_error *err, const char *fmt, ...)
{
  if (!err)
    return -EIO;
  va_list ap;
  char *prefix = NULL;
  va_start(ap, fmt);
  if (vasprintf(&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end(ap);
  if (prefix) {
    char *full = xasprintf("%s: %s", prefix, err->msg ? err->msg : "error");
    free(prefix);
    free(err->msg);
    err->msg = full;
  }
  return err->code ? -err->code : -EIO;
}

void wb_error_clear(wb_error *err)
{
  if (!err)
    return;
  free(err->msg);
  err->msg = NULL;
  err->code = 0;
  err->exit_code = 0;
}

int wb_error_exit_code(const wb_error *err)
{
  return err && err->exit_code ? err->exit_code : WB_EXIT_FAILURE;
}
