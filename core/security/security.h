/* security.h - what a container's processes may do: capabilities,
 * no_new_privs, seccomp, masked and read-only paths.  The same profile is
 * applied to `run` and `exec`. */
#ifndef WB_SECURITY_H
#define WB_SECURITY_H

#include <jansson.h>
#include <stdbool.h>

#include "../util/error.h"

struct wb_security {
  char **cap_add; /* names without CAP_, or "ALL" */
  char **cap_drop;
  bool privileged;
  char *seccomp; /* NULL: the default profile; "unconfined"; or a path */
  char *seccomp_profile; /* the JSON text of seccomp=FILE, read by the
                            runtime (the path is not reachable from inside
                            the container, and exec must apply what run
                            did even if the file changed since) */
  bool no_new_privs_off; /* --security-opt no-new-privileges=false */
};

/* Docker's default set, as names without CAP_. */
extern const char *const wb_default_caps[];

/* Check --cap-add/--cap-drop names; -EINVAL naming the bad one. */
int wb_caps_validate(char *const *names, const char *flag, wb_error *err);
/* The effective capability names for a container (sorted like cap_to_name),
 * NULL-terminated, caller frees (strv). */
char **wb_caps_effective(const struct wb_security *s);

/* Parse one --security-opt value into s. */
int wb_security_opt(struct wb_security *s, const char *opt, wb_error *err);

/* In the container process, before exec.  Bounding set, then the user
 * switch is done by the caller, then wb_caps_finish(). */
int wb_caps_limit_bounding(const struct wb_security *s, wb_error *err);
/* After setuid: permitted/effective = the set for root, empty for others;
 * inheritable and ambient empty. */
int wb_caps_finish(const struct wb_security *s, bool root, wb_error *err);

/* Build and load the seccomp filter (no-op for unconfined). */
int wb_seccomp_load(const struct wb_security *s, wb_error *err);

/* Paths hidden (/dev/null or an empty read-only tmpfs on top) and made
 * read-only in every container (unless privileged). */
extern const char *const wb_masked_paths[];
extern const char *const wb_readonly_paths[];

/* For inspect and state. */
json_t *wb_security_to_json(const struct wb_security *s);
void wb_security_from_json(struct wb_security *s, json_t *j);
void wb_security_clear(struct wb_security *s);

#endif
