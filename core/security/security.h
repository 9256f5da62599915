/* security.h - what a container's processes may do: capabilities,
 * no_new_privs, seccomp, masked and read-only paths.  The same profile is
 * applied to `run` and `exec`. */
#ifndef WB_SECURITY_H
#define WB_SECURITY_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <whalebox/plugin.h>

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

  /* User namespace (n_uid_map == 0: none, the host's ids).  userns_mode is
   * "remap" (the config's userns.remap) or "private" (--uidmap). */
  char *userns_mode;
  struct wb_idmap *uid_map, *gid_map;
  size_t n_uid_map, n_gid_map;
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

/* The seccomp filter, compiled (BPF) ahead of loading: compiling is most
 * of its cost, and a container's first process does it while the runtime
 * moves it into its cgroup.  insns == NULL: no filter (privileged,
 * unconfined). */
struct sock_filter;
struct wb_seccomp_filter {
  struct sock_filter *insns;
  unsigned short len;
};
/* No filter at all: --privileged or seccomp=unconfined. */
static inline bool wb_seccomp_none(const struct wb_security *s)
{
  return s->privileged || (s->seccomp && strcmp(s->seccomp, "unconfined") == 0);
}
int wb_seccomp_prepare(const struct wb_security *s,
                       struct wb_seccomp_filter *out, wb_error *err);
/* The same, from <root>/cache when this profile was compiled before
 * (security/seccomp_cache.c); a fresh compilation is stored there. */
int wb_seccomp_prepare_cached(const char *root, const struct wb_security *s,
                              struct wb_seccomp_filter *out, wb_error *err);
/* Load a prepared filter into the calling thread (no-op without one). */
int wb_seccomp_apply(const struct wb_seccomp_filter *f, wb_error *err);
void wb_seccomp_filter_clear(struct wb_seccomp_filter *f);

/* Paths hidden (/dev/null or an empty read-only tmpfs on top) and made
 * read-only in every container (unless privileged). */
extern const char *const wb_masked_paths[];
extern const char *const wb_readonly_paths[];

/* ---- user namespaces (security/userns.c) ---- */
/* Append "C:H:N[,C:H:N...]" to a map; `what` names it in errors. */
int wb_idmap_add(struct wb_idmap **map, size_t *n, const char *text,
                 const char *what, wb_error *err);
/* Ranges non-empty, within 32 bits, not overlapping, container 0 mapped. */
int wb_idmap_check(const struct wb_idmap *map, size_t n, const char *what,
                   wb_error *err);
/* The host id of container id `id`; (uint32_t)-1 when unmapped. */
uint32_t wb_idmap_to_host(const struct wb_idmap *map, size_t n, uint32_t id);
/* After flag parsing: --userns MODE (NULL when not given) with the maps
 * already added from --uidmap/--gidmap; fills in the config's mapping for
 * remap, the gid map from the uid map, and checks everything. */
int wb_userns_from_flags(struct wb_security *s, const char *mode,
                         const char *config_remap, const char *config_file,
                         wb_error *err);
static inline bool wb_userns_enabled(const struct wb_security *s)
{
  return s->n_uid_map > 0;
}
/* In the runtime: write /proc/PID/{uid,gid}_map of a new process. */
int wb_userns_write_maps(pid_t pid, const struct wb_security *s, wb_error *err);
/* chown path to the host ids of the container's root. */
int wb_userns_chown_root(const struct wb_security *s, const char *path,
                         wb_error *err);
/* In the container process, once the maps exist: become its root. */
int wb_userns_become_root(wb_error *err);
void wb_userns_to_json(const struct wb_security *s, json_t *j);
void wb_userns_from_json(struct wb_security *s, json_t *j);
/* A recorded container with a user namespace mode must have usable maps
 * (state.json may have been damaged): -EINVAL naming it otherwise. */
int wb_userns_check_state(const struct wb_security *s, const char *name,
                          wb_error *err);
void wb_userns_clear(struct wb_security *s);

/* For inspect and state. */
json_t *wb_security_to_json(const struct wb_security *s);
void wb_security_from_json(struct wb_security *s, json_t *j);
void wb_security_clear(struct wb_security *s);

#endif
