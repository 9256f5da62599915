#include "driver_host.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/log.h"
#include "util/size.h"
#include "util/xalloc.h"

static const struct wb_driver_services *services_of(const struct wb_host *h)
{
  return h->priv;
}

static void host_log(const struct wb_host *h, int level, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (level < WB_LOG_ERROR)
    level = WB_LOG_ERROR;
  if (level > WB_LOG_DEBUG)
    level = WB_LOG_DEBUG;
  wb_logv(level, services_of(h)->label, fmt, ap);
  va_end(ap);
}

static int host_error(const struct wb_host *h, wb_error *err, int errnum,
                      const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int r = wb_error_setv(err, errnum, fmt, ap);
  va_end(ap);
  wb_error_prefix(err, "%s", services_of(h)->label);
  return r;
}

static const struct wb_driver_setting *setting(const struct wb_host *h,
                                               const char *key)
{
  const struct wb_driver_services *s = services_of(h);
  for (size_t i = 0; i < s->n_settings; i++)
    if (strcmp(s->settings[i].key, key) == 0)
      return &s->settings[i];
  return NULL;
}

static int host_config_string(const struct wb_host *h, const char *key,
                              const char **out)
{
  const struct wb_driver_setting *s = setting(h, key);
  if (!s || s->type != WB_OPTION_STRING)
    return -ENOENT;
  *out = s->text;
  return 0;
}

static int host_parse_size(const char *text, int64_t *out)
{
  /* The header promises 0 or -EINVAL: too large is not a size either. */
  return parse_size(text, out) < 0 ? -EINVAL : 0;
}

static int host_config_int(const struct wb_host *h, const char *key,
                           int64_t *out)
{
  const struct wb_driver_setting *s = setting(h, key);
  if (!s)
    return -ENOENT;
  switch (s->type) {
  case WB_OPTION_INT:
    *out = s->num;
    return 0;
  case WB_OPTION_STRING:
    return host_parse_size(s->text, out);
  default:
    return -ENOENT;
  }
}

static int host_config_bool(const struct wb_host *h, const char *key, int *out)
{
  const struct wb_driver_setting *s = setting(h, key);
  if (!s || s->type != WB_OPTION_BOOL)
    return -ENOENT;
  *out = s->num != 0;
  return 0;
}

void wb_driver_host_fill(struct wb_host *host,
                         const struct wb_driver_services *services,
                         const char *state_root, const char *driver_dir)
{
  *host = (struct wb_host){
      .size = sizeof(struct wb_host),
      .abi_major = WB_PLUGIN_ABI_MAJOR,
      .abi_minor = WB_PLUGIN_ABI_MINOR,
      .state_root = state_root,
      .driver_dir = driver_dir,
      .log = host_log,
      .error = host_error,
      .config_string = host_config_string,
      .config_int = host_config_int,
      .config_bool = host_config_bool,
      .parse_size = host_parse_size,
      .priv = services,
  };
}

void wb_driver_services_add(struct wb_driver_services *s, int type,
                            const char *key, const char *text, int64_t num)
{
  s->settings =
      xrealloc(s->settings, (s->n_settings + 1) * sizeof *s->settings);
  s->settings[s->n_settings++] = (struct wb_driver_setting){
      .key = xstrdup(key),
      .type = type,
      .text = text ? xstrdup(text) : NULL,
      .num = num,
  };
}

void wb_driver_services_clear(struct wb_driver_services *s)
{
  for (size_t i = 0; i < s->n_settings; i++) {
    free(s->settings[i].key);
    free(s->settings[i].text);
  }
  free(s->settings);
  free(s->label);
  *s = (struct wb_driver_services){0};
}

char *wb_driver_setting_format(const struct wb_driver_setting *setting)
{
  switch (setting->type) {
  case WB_OPTION_STRING:
    return xasprintf("s:%s=%s", setting->key, setting->text);
  case WB_OPTION_INT:
    return xasprintf("i:%s=%lld", setting->key, (long long)setting->num);
  default:
    return xasprintf("b:%s=%d", setting->key, setting->num != 0);
  }
}

int wb_driver_setting_parse(struct wb_driver_services *s, const char *word)
{
  const char *eq = strchr(word, '=');
  if (!eq || eq - word < 3 || word[1] != ':')
    return -EINVAL;
  char *key = xstrndup(word + 2, (size_t)(eq - word - 2));
  const char *value = eq + 1;
  char *end;
  long long num = 0;
  int type = 0, r = 0;
  switch (word[0]) {
  case 's':
    type = WB_OPTION_STRING;
    break;
  case 'i':
  case 'b':
    type = word[0] == 'i' ? WB_OPTION_INT : WB_OPTION_BOOL;
    errno = 0;
    num = strtoll(value, &end, 10);
    /* strtoll would skip spaces: only what wb_driver_setting_format
     * writes is taken. */
    if (errno || end == value || *end || isspace((unsigned char)*value) ||
        (type == WB_OPTION_BOOL && num != 0 && num != 1))
      r = -EINVAL;
    value = NULL;
    break;
  default:
    r = -EINVAL;
  }
  if (r == 0)
    wb_driver_services_add(s, type, key, value, num);
  free(key);
  return r;
}
