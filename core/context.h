/* context.h - what one whalebox command runs with: the configuration, the
 * global flags, and the drivers it has loaded (only those it needs). */
#ifndef WB_CONTEXT_H
#define WB_CONTEXT_H

#include "config.h"
#include "plugin_loader.h"

struct wb_context {
  struct wb_config config;
  char *root;       /* effective state root */
  char *plugin_dir; /* effective plugin directory */

  /* Driver choice per kind (index = enum wb_plugin_kind): the argument and
   * where it came from ("flag", "config", "default"). */
  char *driver_arg[WB_PLUGIN_NETWORK + 1];
  const char *driver_from[WB_PLUGIN_NETWORK + 1];
  struct wb_driver *driver[WB_PLUGIN_NETWORK + 1];
  /* Why the cgroup driver was chosen (auto selection). */
  char *cgroup_reason;
  /* Drivers loaded by name for existing containers (created with another
   * driver than the configured one). */
  struct wb_driver *extra[8];
};

/* Config file, then flags already stored in ctx (root, plugin_dir,
 * driver_arg set by main override the file). */
int wb_context_init(struct wb_context *ctx, const char *config_path,
                    wb_error *err);
void wb_context_free(struct wb_context *ctx);

/* The configured driver of `kind`, loaded, initialised and probed on first
 * use.  For cgroup "auto", v2 then v1. */
int wb_context_driver(struct wb_context *ctx, uint32_t kind,
                      struct wb_driver **out, wb_error *err);
/* Load a specific driver by name or path (e.g. run --log-driver).  The
 * caller owns the result. */
int wb_context_load_driver(struct wb_context *ctx, uint32_t kind,
                           const char *arg, struct wb_driver **out,
                           wb_error *err);

/* The driver a container recorded (its name or .so path): the configured
 * one when it matches, else loaded and kept for the command's lifetime. */
int wb_context_driver_named(struct wb_context *ctx, uint32_t kind,
                            const char *name, struct wb_driver **out,
                            wb_error *err);
/* What a container records to find the driver again. */
const char *wb_driver_ref(const struct wb_context *ctx,
                          const struct wb_driver *d);

#endif
