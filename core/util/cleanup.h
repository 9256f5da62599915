/* cleanup.h - scope-bound ownership of memory, fds, DIRs and FILEs. */
#ifndef WB_CLEANUP_H
#define WB_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void wb_freep(void *p)
{
  free(*(void **)p);
}

static inline void wb_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}

static inline void wb_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}

static inline void wb_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}

static inline void wb_strvfreep(char ***v)
{
  if (*v) {
    for (char **p = *v; *p; p++)
      free(*p);
    free(*v);
  }
}

#define cleanup_free __attribute__((cleanup(wb_freep)))
#define cleanup_close __attribute__((cleanup(wb_closep)))
#define cleanup_fclose __attribute__((cleanup(wb_fclosep)))
#define cleanup_dir __attribute__((cleanup(wb_closedirp)))
#define cleanup_strv __attribute__((cleanup(wb_strvfreep)))

/* Hand ownership out of a cleanup-scoped variable. */
static inline void *wb_steal_ptr(void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) wb_steal_ptr(pp)

static inline int steal_fd(int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
