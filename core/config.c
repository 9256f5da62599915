#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/xalloc.h"

#ifndef WB_SYSCONFDIR
#define WB_SYSCONFDIR "/etc"
#endif
#ifndef WB_PLUGIN_DIR
#define WB_PLUGIN_DIR "/usr/lib/whalebox/plugins"
#endif

static void set_defaults(struct wb_config *c)
{
  c->root = xstrdup("/var/lib/whalebox");
  c->plugin_dir = xstrdup(WB_PLUGIN_DIR);
  c->storage_driver = xstrdup("overlay");
  c->cgroup_driver = xstrdup("auto");
  c->cgroup_parent = xstrdup("whalebox");
  c->log_driver = xstrdup("file");
  c->userns_remap = NULL;
}

static int where(const struct wb_config *c, const config_setting_t *s,
                 wb_error *err, const char *what)
{
  const char *file = config_setting_source_file(s);
  return wb_error_set(err, -EINVAL, "%s:%u: %s",
                      file ? file : (c->path ? c->path : "<config>"),
                      config_setting_source_line(s), what);
}

/* Take a string setting `name` of group `g` into *dst. */
static int take_string(const struct wb_config *c, config_setting_t *s,
                       char **dst, wb_error *err)
{
  if (config_setting_type(s) != CONFIG_TYPE_STRING) {
    cleanup_free char *msg =
        xasprintf("'%s' must be a string", config_setting_name(s));
    return where(c, s, err, msg);
  }
  const char *v = config_setting_get_string(s);
  if (!*v) {
    cleanup_free char *msg =
        xasprintf("'%s' must not be empty", config_setting_name(s));
    return where(c, s, err, msg);
  }
  free(*dst);
  *dst = xstrdup(v);
  return 0;
}

static int unknown(const struct wb_config *c, config_setting_t *s,
                   const char *scope, wb_error *err)
{
  cleanup_free char *msg = xasprintf("unknown setting '%s%s%s'", scope,
                                     *scope ? "." : "", config_setting_name(s));
  return where(c, s, err, msg);
}

/* A number of seconds, 1 to a day. */
static int take_seconds(const struct wb_config *c, config_setting_t *s,
                        unsigned *dst, wb_error *err)
{
  int t = config_setting_type(s);
  long long v = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64
                    ? config_setting_get_int64(s)
                    : 0;
  if (v < 1 || v > 86400) {
    cleanup_free char *msg =
        xasprintf("'%s' must be a number of seconds from 1 to 86400",
                  config_setting_name(s));
    return where(c, s, err, msg);
  }
  *dst = (unsigned)v;
  return 0;
}

/* drivers { timeout; data_timeout; } */
static int take_drivers_group(struct wb_config *c, config_setting_t *g,
                              wb_error *err)
{
  if (!config_setting_is_group(g))
    return where(c, g, err, "'drivers' must be a group { ... }");
  for (int i = 0; i < config_setting_length(g); i++) {
    config_setting_t *s = config_setting_get_elem(g, i);
    const char *name = config_setting_name(s);
    int r;
    if (strcmp(name, "timeout") == 0)
      r = take_seconds(c, s, &c->driver_timeout, err);
    else if (strcmp(name, "data_timeout") == 0)
      r = take_seconds(c, s, &c->driver_data_timeout, err);
    else
      r = unknown(c, s, "drivers", err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* A kind group: `driver` plus one sub-group per driver (validated by the
 * driver's own option table when it is loaded). */
static int take_kind_group(struct wb_config *c, config_setting_t *g,
                           const char *kind, char **driver, wb_error *err)
{
  if (!config_setting_is_group(g)) {
    cleanup_free char *msg = xasprintf("'%s' must be a group { ... }", kind);
    return where(c, g, err, msg);
  }
  int n = config_setting_length(g);
  for (int i = 0; i < n; i++) {
    config_setting_t *s = config_setting_get_elem(g, i);
    const char *name = config_setting_name(s);
    int r = 0;
    if (strcmp(name, "driver") == 0)
      r = take_string(c, s, driver, err);
    else if (strcmp(kind, "cgroup") == 0 && strcmp(name, "parent") == 0)
      r = take_string(c, s, &c->cgroup_parent, err);
    else if (!config_setting_is_group(s))
      r = unknown(c, s, kind, err);
    if (r < 0)
      return r;
  }
  return 0;
}

static int validate(struct wb_config *c, wb_error *err)
{
  config_setting_t *root = config_root_setting(&c->cfg);
  int n = config_setting_length(root);
  for (int i = 0; i < n; i++) {
    config_setting_t *s = config_setting_get_elem(root, i);
    const char *name = config_setting_name(s);
    int r;
    if (strcmp(name, "root") == 0)
      r = take_string(c, s, &c->root, err);
    else if (strcmp(name, "plugin_dir") == 0)
      r = take_string(c, s, &c->plugin_dir, err);
    else if (strcmp(name, "storage") == 0)
      r = take_kind_group(c, s, "storage", &c->storage_driver, err);
    else if (strcmp(name, "cgroup") == 0)
      r = take_kind_group(c, s, "cgroup", &c->cgroup_driver, err);
    else if (strcmp(name, "log") == 0)
      r = take_kind_group(c, s, "log", &c->log_driver, err);
    else if (strcmp(name, "drivers") == 0)
      r = take_drivers_group(c, s, err);
    else if (strcmp(name, "userns") == 0) {
      r = 0;
      if (!config_setting_is_group(s))
        return where(c, s, err, "'userns' must be a group { ... }");
      for (int j = 0; r == 0 && j < config_setting_length(s); j++) {
        config_setting_t *u = config_setting_get_elem(s, j);
        if (strcmp(config_setting_name(u), "remap") == 0)
          r = take_string(c, u, &c->userns_remap, err);
        else
          r = unknown(c, u, "userns", err);
      }
    } else
      r = unknown(c, s, "", err);
    if (r < 0)
      return r;
  }
  if (c->root[0] != '/')
    return wb_error_set(err, -EINVAL, "%s: 'root' must be an absolute path",
                        c->path ? c->path : "<config>");
  return 0;
}

static void init_empty(struct wb_config *c)
{
  memset(c, 0, sizeof *c);
  config_init(&c->cfg);
  set_defaults(c);
}

int wb_config_load(struct wb_config *c, const char *explicit_path,
                   wb_error *err)
{
  init_empty(c);
  const char *path = explicit_path;
  if (!path || !*path)
    path = getenv("WHALEBOX_CONFIG");
  bool must_exist = path && *path;
  if (!must_exist)
    path = WB_SYSCONFDIR "/whalebox/whalebox.conf";
  if (access(path, F_OK) < 0) {
    if (must_exist)
      return wb_error_set(err, errno, "config file %s", path);
    return 0; /* built-in defaults */
  }
  c->path = xstrdup(path);
  if (config_read_file(&c->cfg, path) != CONFIG_TRUE) {
    if (config_error_type(&c->cfg) == CONFIG_ERR_FILE_IO)
      return wb_error_set(err, errno ? errno : EIO, "config file %s", path);
    return wb_error_set(err, -EINVAL, "%s:%d: %s", path,
                        config_error_line(&c->cfg), config_error_text(&c->cfg));
  }
  c->loaded = true;
  return validate(c, err);
}

int wb_config_load_string(struct wb_config *c, const char *text, wb_error *err)
{
  init_empty(c);
  if (config_read_string(&c->cfg, text) != CONFIG_TRUE)
    return wb_error_set(err, -EINVAL, "<config>:%d: %s",
                        config_error_line(&c->cfg), config_error_text(&c->cfg));
  c->loaded = true;
  return validate(c, err);
}

void wb_config_free(struct wb_config *c)
{
  config_destroy(&c->cfg);
  free(c->path);
  free(c->root);
  free(c->plugin_dir);
  free(c->storage_driver);
  free(c->cgroup_driver);
  free(c->cgroup_parent);
  free(c->log_driver);
  free(c->userns_remap);
  memset(c, 0, sizeof *c);
}

config_setting_t *wb_config_driver_group(const struct wb_config *c,
                                         const char *kind, const char *name)
{
  if (!c->loaded)
    return NULL;
  config_setting_t *k =
      config_setting_get_member(config_root_setting(&c->cfg), kind);
  if (!k || !config_setting_is_group(k))
    return NULL;
  config_setting_t *g = config_setting_get_member(k, name);
  return g && config_setting_is_group(g) ? g : NULL;
}
