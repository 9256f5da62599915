/* volume.h - named and anonymous volumes, and the volume part of
 * `run -v`.  Under the state root R:
 *
 *   R/volumes/<name>/_data        what containers see (bind-mounted)
 *   R/volumes/<name>/volume.json  {"Name","CreatedAt","Driver","Mountpoint",
 *                                  "Labels","Options","Scope","Anonymous"}
 *   R/volumes/.lock               flock: creation and removal
 *
 * A volume enters R/volumes by one rename of a complete directory and
 * leaves by a rename to a dot-name before being deleted, so a crash never
 * leaves a half volume under a valid name.  A volume is in use while some
 * container's state.json lists its _data directory as a bind "Source"; a
 * volume in use is never removed. */
#ifndef WB_VOLUME_H
#define WB_VOLUME_H

#include <jansson.h>
#include <stdbool.h>

#include "../container/container.h"
#include "../util/error.h"

/* [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 characters. */
bool wb_volume_name_valid(const char *name);
/* R/volumes/<name>/_data (caller frees). */
char *wb_volume_data_path(const char *root, const char *name);
/* The volume whose _data directory is `source`, or NULL (caller frees). */
char *wb_volume_of_source(const char *root, const char *source);

/* Create volume `name` (NULL: a fresh 64-hex name).  An existing volume is
 * fine: *created (may be NULL) says which.  *name_out (may be NULL) gets
 * the name, caller frees. */
int wb_volume_create(const char *root, const char *name, bool anonymous,
                     char **name_out, bool *created, wb_error *err);
/* Names of all volumes, sorted (NULL-terminated, maybe empty). */
int wb_volume_list(const char *root, char ***names, wb_error *err);
/* The volume's document (volume.json).  -ENOENT: "no such volume". */
int wb_volume_inspect(const char *root, const char *name, json_t **out,
                      wb_error *err);
/* Ids of the containers using the volume, except `except_id` (may be
 * NULL). */
int wb_volume_users(const char *root, const char *name, const char *except_id,
                    char ***cids, wb_error *err);
/* Remove a volume no container uses: -EBUSY ("volume is in use") or
 * -ENOENT otherwise.  *freed (may be NULL) gets the bytes its files took. */
int wb_volume_remove(const char *root, const char *name, uint64_t *freed,
                     wb_error *err);

/* Remove every volume no container uses: anonymous ones only unless
 * `all`.  *removed gets their names, *freed the bytes their files took. */
int wb_volume_prune(const char *root, bool all, char ***removed,
                    uint64_t *freed, wb_error *err);

/* Parse one -v spec: HOST:CTR[:ro|rw], NAME:CTR[:ro|rw] or CTR (an
 * anonymous volume).  The bind's source is the absolute host path, the
 * volume name, or "" for an anonymous volume, until
 * wb_volume_resolve_binds() makes it a host path.  Bad specs: -EINVAL with
 * "invalid volume specification: ...". */
int wb_volume_parse_spec(const char *spec, struct wb_bind *out, wb_error *err);
/* One `run --mount` spec (mount_spec.c), Docker's KEY=VALUE fields:
 * type=bind,source=/HOST,target=/CTR[,readonly]
 * type=volume[,source=NAME],target=/CTR[,readonly][,volume-nocopy]
 *   (no source: an anonymous volume; volume is the default type)
 * type=tmpfs,target=/CTR[,tmpfs-size=BYTES][,tmpfs-mode=OCTAL][,readonly]
 * appended to c's binds (a volume's source is its name until
 * wb_volume_resolve_binds()) or tmpfs mounts.  Bad specs: -EINVAL with
 * "invalid --mount \"SPEC\": ...". */
int wb_mount_spec_add(struct wb_container *c, const char *spec, wb_error *err);
/* For `run`, after parsing and before wb_container_create(): bind sources
 * that are volume names become R/volumes/<name>/_data (created when
 * missing), "" becomes a new anonymous volume, and a missing absolute host
 * path is created (0755) as Docker does. */
int wb_volume_resolve_binds(const char *root, struct wb_container *c,
                            wb_error *err);
/* For `rm -v` (and --rm): remove the anonymous volumes of container c that
 * no other container uses.  Named volumes stay. */
int wb_volume_remove_anonymous(const char *root, const struct wb_container *c,
                               wb_error *err);

#endif
