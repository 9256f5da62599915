/* driver_host.h - the services every driver gets through struct wb_host:
 * logging, errors, its configuration group, sizes.
 *
 * One implementation, libc only, built into whalebox and into
 * whalebox-monitor alike, so that a driver sees the same table in both:
 * the monitor once had its own, with another size parser, no driver label
 * on errors, logging that dropped everything, an empty state root and the
 * log directory for driver_dir (issue 13).  Where the configuration comes
 * from differs (libconfig in whalebox, the command line in the monitor):
 * both turn it into the typed settings below first. */
#ifndef WB_DRIVER_HOST_H
#define WB_DRIVER_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <whalebox/plugin.h>

/* One setting of a driver's configuration group, typed as the file typed
 * it (a size is a string or an integer, as written). */
struct wb_driver_setting {
  char *key;
  int type;    /* WB_OPTION_STRING, WB_OPTION_INT or WB_OPTION_BOOL */
  char *text;  /* WB_OPTION_STRING */
  int64_t num; /* WB_OPTION_INT; WB_OPTION_BOOL as 0 or 1 */
};

/* What wb_host.priv points to; owned by whoever loaded the driver. */
struct wb_driver_services {
  char *label; /* "<kind>-<name>": prefixes the driver's messages */
  struct wb_driver_setting *settings;
  size_t n_settings;
};

/* Fill *host for a driver; every pointer is borrowed and must outlive the
 * driver (until fini() returns). */
void wb_driver_host_fill(struct wb_host *host,
                         const struct wb_driver_services *services,
                         const char *state_root, const char *driver_dir);

/* Append a setting (the strings are copied). */
void wb_driver_services_add(struct wb_driver_services *s, int type,
                            const char *key, const char *text, int64_t num);
/* Free the label and the settings; *s is empty again. */
void wb_driver_services_clear(struct wb_driver_services *s);

/* A setting as one command-line word, "<s|i|b>:<key>=<value>", which is
 * how whalebox hands the driver's configuration to whalebox-monitor. */
char *wb_driver_setting_format(const struct wb_driver_setting *setting);
/* Parse such a word and append it.  0, or -EINVAL. */
int wb_driver_setting_parse(struct wb_driver_services *s, const char *word);

#endif
