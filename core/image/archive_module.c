/* archive_module.c - loading the image archive module (core side). */
#include "archive_module.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"

#ifndef WB_PKGLIBDIR
#define WB_PKGLIBDIR "/usr/lib/whalebox"
#endif

#define MODULE_NAME "whalebox-archive.so"

static const struct wb_archive_ops *loaded;

void wb_archive_set(const struct wb_archive_ops *ops)
{
  loaded = ops;
}

/* Next to this binary when there is one (a build tree), else installed. */
static char *module_path(void)
{
  char *sibling = sibling_of_self(MODULE_NAME, F_OK);
  return sibling ? sibling : xstrdup(WB_PKGLIBDIR "/" MODULE_NAME);
}

static int unavailable(wb_error *err, const char *detail)
{
  return wb_error_set(err, -ENOENT,
                      "image archive support is not available: %s", detail);
}

int wb_archive_get(const struct wb_archive_ops **out, wb_error *err)
{
  if (loaded) {
    *out = loaded;
    return 0;
  }
  cleanup_free char *path = module_path();
  /* RTLD_NOW: a core function missing from archive_host.sym fails here,
   * with the symbol's name, not halfway through an import.  Never
   * closed: the ops stay in use until exit. */
  void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    /* dlerror() already names the file. */
    const char *why = dlerror();
    return unavailable(err, why ? why : path);
  }
  dlerror();
  const struct wb_archive_ops *(*get)(void) =
      (const struct wb_archive_ops *(*)(void))dlsym(dl,
                                                    WB_ARCHIVE_MODULE_SYMBOL);
  const struct wb_archive_ops *ops = get ? get() : NULL;
  cleanup_free char *why = NULL;
  if (!ops)
    why = xasprintf("%s: no " WB_ARCHIVE_MODULE_SYMBOL, path);
  else if (ops->abi != WB_ARCHIVE_MODULE_ABI || ops->size < sizeof *ops ||
           !ops->version || strcmp(ops->version, WB_VERSION) != 0)
    why = xasprintf("%s was built for whalebox %s, this is %s", path,
                    ops->version ? ops->version : "(unknown)", WB_VERSION);
  if (why) {
    dlclose(dl);
    return unavailable(err, why);
  }
  loaded = ops;
  *out = ops;
  return 0;
}
