/* options.c - --security-opt values and the profile as recorded in the
 * container's state (and shown by inspect). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/xalloc.h"
#include "security.h"

const char *const wb_masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    NULL,
};

const char *const wb_readonly_paths[] = {
    "/proc/bus",           "/proc/fs", "/proc/irq", "/proc/sys",
    "/proc/sysrq-trigger", NULL,
};

int wb_security_opt(struct wb_security *s, const char *opt, wb_error *err)
{
  if (strncmp(opt, "seccomp=", 8) == 0 || strncmp(opt, "seccomp:", 8) == 0) {
    const char *v = opt + 8;
    if (!*v)
      return wb_error_set(err, -EINVAL,
                          "invalid --security-opt \"%s\": empty seccomp value",
                          opt);
    if (strcmp(v, "unconfined") != 0 && access(v, R_OK) < 0)
      return wb_error_set(err, errno, "--security-opt %s", opt);
    free(s->seccomp);
    free(s->seccomp_profile);
    s->seccomp_profile = NULL;
    s->seccomp = strcmp(v, "unconfined") == 0 ? xstrdup(v) : realpath(v, NULL);
    if (!s->seccomp)
      return wb_error_set(err, errno, "--security-opt %s", opt);
    if (strcmp(v, "unconfined") == 0)
      return 0;
    /* Read it now, in the runtime: keep the text, checked as JSON. */
    json_error_t je;
    json_t *doc = json_load_file(s->seccomp, 0, &je);
    if (!doc)
      return wb_error_set(err, -EINVAL, "seccomp profile %s:%d: %s", s->seccomp,
                          je.line, je.text);
    s->seccomp_profile = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s->seccomp_profile)
      return wb_error_set(err, -ENOMEM, "seccomp profile %s", s->seccomp);
    return 0;
  }
  if (strcmp(opt, "no-new-privileges") == 0 ||
      strcmp(opt, "no-new-privileges=true") == 0 ||
      strcmp(opt, "no-new-privileges:true") == 0) {
    s->no_new_privs_off = false;
    return 0;
  }
  if (strcmp(opt, "no-new-privileges=false") == 0 ||
      strcmp(opt, "no-new-privileges:false") == 0) {
    s->no_new_privs_off = true;
    return 0;
  }
  return wb_error_set(err, -EINVAL,
                      "invalid --security-opt \"%s\": expected seccomp=FILE, "
                      "seccomp=unconfined or no-new-privileges[=false]",
                      opt);
}

static json_t *strv_to_json(char *const *v)
{
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static char **json_to_strv(json_t *a)
{
  char **v = NULL;
  size_t i;
  json_t *s;
  json_array_foreach(a, i, s) if (json_is_string(s))
      strv_push(&v, json_string_value(s));
  return v;
}

json_t *wb_security_to_json(const struct wb_security *s)
{
  char **eff = wb_caps_effective(s);
  json_t *caps = strv_to_json(eff);
  strv_free(eff);
  json_t *masked =
      s->privileged ? json_array() : strv_to_json((char **)wb_masked_paths);
  json_t *ro =
      s->privileged ? json_array() : strv_to_json((char **)wb_readonly_paths);
  json_t *j = json_pack(
      "{s:o, s:o, s:b, s:s, s:s*, s:b, s:o, s:o, s:o}", "CapAdd",
      strv_to_json(s->cap_add), "CapDrop", strv_to_json(s->cap_drop),
      "Privileged", s->privileged, "Seccomp",
      s->privileged ? "unconfined" : (s->seccomp ? s->seccomp : "default"),
      "SeccompProfile", s->seccomp_profile, "NoNewPrivileges",
      !s->no_new_privs_off, "EffectiveCaps", caps, "MaskedPaths", masked,
      "ReadonlyPaths", ro);
  wb_userns_to_json(s, j);
  return j;
}

void wb_security_from_json(struct wb_security *s, json_t *j)
{
  s->cap_add = json_to_strv(json_object_get(j, "CapAdd"));
  s->cap_drop = json_to_strv(json_object_get(j, "CapDrop"));
  s->privileged = json_is_true(json_object_get(j, "Privileged"));
  const char *sc = json_string_value(json_object_get(j, "Seccomp"));
  s->seccomp = sc && strcmp(sc, "default") != 0 ? xstrdup(sc) : NULL;
  const char *text = json_string_value(json_object_get(j, "SeccompProfile"));
  s->seccomp_profile = text ? xstrdup(text) : NULL;
  json_t *nnp = json_object_get(j, "NoNewPrivileges");
  s->no_new_privs_off = nnp && json_is_false(nnp);
  wb_userns_from_json(s, j);
}

void wb_security_clear(struct wb_security *s)
{
  strv_free(s->cap_add);
  strv_free(s->cap_drop);
  free(s->seccomp);
  free(s->seccomp_profile);
  wb_userns_clear(s);
  memset(s, 0, sizeof *s);
}
