/* plugin_loader.h - dlopen a driver, check its descriptor against the ABI,
 * give it its host services. */
#ifndef WB_PLUGIN_LOADER_H
#define WB_PLUGIN_LOADER_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <whalebox/plugin.h>

#include "config.h"
#include "driver_guard.h"
#include "driver_host.h"
#include "driver_log.h"
#include "util/error.h"

struct wb_driver {
  void *dl;
  char *path;  /* the .so */
  char *label; /* "<kind>-<name>", used in messages */
  const struct wb_plugin *desc;
  /* The ops table the core calls: the core's guarded trampolines
   * (driver_ops.h), as long as the driver's table and NULL where it has
   * NULL, so that WB_DRIVER_OP and NULL checks read it as the driver's. */
  const void *ops;
  /* The first argument of every op in `ops`, through which the
   * trampolines find the driver's own table and state: this driver
   * (storage, cgroup), or guarded.log (log: its trampolines are shared
   * with whalebox-monitor). */
  void *data;
  const void *driver_ops; /* the driver's own table (desc->ops) */
  void *state;            /* the driver's own state after init() */
  union {
    struct wb_storage_ops storage;
    struct wb_cgroup_ops cgroup;
    struct wb_guarded_log log;
  } guarded;             /* what `ops` points to */
  struct wb_guard guard; /* faults of this driver in this process */
  char *left_behind;     /* what a failed cleanup op last said may be left */
  bool initialised;
  char *driver_dir;
  config_setting_t *group;            /* borrowed from the config */
  struct wb_driver_services services; /* what host.priv points to */
  struct wb_host host;
};

/* "storage" for WB_PLUGIN_STORAGE...; "unknown" otherwise. */
const char *wb_kind_name(uint32_t kind);
/* Kind from its name, 0 if unknown. */
uint32_t wb_kind_from_name(const char *name);

/* A driver argument is a name ("overlay", or "storage-overlay") looked up
 * as <plugin_dir>/<kind>-<name>.so, or an absolute path to a .so, whose
 * file name must be <kind>-<name>.so all the same. */
char *wb_driver_path(const char *plugin_dir, uint32_t kind, const char *arg);

/* dlopen and validate (guarded: a driver that crashes, exits or hangs while
 * loading is an error).  The file's name must be <kind>-<name>.so of the
 * kind and name the driver declares.  want_kind 0 accepts any kind;
 * want_name NULL any name.  On failure nothing stays loaded (unless the
 * driver crashed loading: then it stays, unused) and the message names the
 * file. */
int wb_driver_open(const char *path, uint32_t want_kind, const char *want_name,
                   struct wb_driver **out, wb_error *err);
/* Check the driver's config group against its options, create its state
 * directory and call init() (guarded). cfg may be NULL. */
int wb_driver_init(struct wb_driver *d, const struct wb_config *cfg,
                   const char *state_root, wb_error *err);
/* 0 when usable; otherwise the reason in err.  Guarded. */
int wb_driver_probe(struct wb_driver *d, wb_error *err);
/* Whether the driver's ops table reaches `end` bytes: an op appended to
 * a table in a later minor is read only when the driver's `size` covers
 * it (an older driver's table is shorter, and what follows it is not
 * ours to read). */
bool wb_driver_ops_cover(const struct wb_driver *d, size_t end);
/* The op `op` of the driver's ops table of `type`, or NULL when the driver
 * does not have it (NULL or beyond its table's size). */
#define WB_DRIVER_OP(d, type, op)                                              \
  (wb_driver_ops_cover((d), offsetof(type, op) + sizeof(((type *)0)->op))      \
       ? ((const type *)(d)->ops)->op                                          \
       : NULL)
/* WB_FEATURE_* the driver declares (none for an ABI 1.0 driver). */
uint64_t wb_driver_features(const struct wb_driver *d);
/* Calls fini() (unless the driver faulted: then neither fini() nor
 * dlclose(), whose destructors would run the broken code again). */
void wb_driver_free(struct wb_driver *d);

static inline void wb_driver_freep(struct wb_driver **d)
{
  if (*d)
    wb_driver_free(*d);
}
#define cleanup_driver __attribute__((cleanup(wb_driver_freep)))

#endif
