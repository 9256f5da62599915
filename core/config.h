/* config.h - whalebox.conf (libconfig): locating, parsing, validating. */
#ifndef WB_CONFIG_H
#define WB_CONFIG_H

#include <libconfig.h>
#include <stdbool.h>

#include "util/error.h"

struct wb_config {
  char *path; /* the file read, NULL when the built-in defaults are used */
  bool loaded;
  config_t cfg;

  /* Effective settings (file over built-in defaults). */
  char *root;
  char *plugin_dir;
  char *storage_driver;
  char *cgroup_driver;
  char *cgroup_parent;
  char *log_driver;
  char *userns_remap; /* NULL when unset */
  /* drivers { timeout; data_timeout; }: seconds a driver call may take
   * (driver_guard.h); 0 when unset (the built-in limits). */
  unsigned driver_timeout;
  unsigned driver_data_timeout;
};

/* Where the config comes from: explicit path, else $WHALEBOX_CONFIG, else
 * the installed default (a missing default file means built-in values; a
 * missing explicit file is an error). */
int wb_config_load(struct wb_config *c, const char *explicit_path,
                   wb_error *err);
/* Parse from a string (unit tests). */
int wb_config_load_string(struct wb_config *c, const char *text, wb_error *err);
void wb_config_free(struct wb_config *c);

/* The group of driver options, e.g. kind "log" name "file" -> log.file;
 * NULL when absent. */
config_setting_t *wb_config_driver_group(const struct wb_config *c,
                                         const char *kind, const char *name);

#endif
