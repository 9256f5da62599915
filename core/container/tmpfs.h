/* tmpfs.h - a container's tmpfs mounts (--tmpfs PATH[:OPTIONS], --mount
 * type=tmpfs): their options in Docker's syntax, checked when the container
 * is created and turned into mount(2) arguments each time it starts.  A
 * tmpfs is always nosuid and nodev (like every file system of a
 * container), and noexec unless "exec" is asked for, as in Docker. */
#ifndef WB_TMPFS_H
#define WB_TMPFS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "container.h"

/* Check `options` (comma-separated: ro, rw, exec, noexec, nosuid, nodev,
 * sync, async, dirsync, atime, noatime, diratime, nodiratime, relatime,
 * strictatime, size=, mode=, uid=, gid=, nr_inodes=, nr_blocks=) and give
 * mount(2)'s flags and data (caller frees).  "suid" and "dev" are refused.
 * -EINVAL with a message naming the option. */
int wb_tmpfs_mount_args(const char *options, unsigned long *flags, char **data,
                        wb_error *err);
/* Does `options` (checked) ask for a read-only tmpfs? */
bool wb_tmpfs_read_only(const char *options);

/* Append a tmpfs on `target` with `options` to the list after checking
 * both (`what` names the flag in messages: "--tmpfs \"/run:size=1x\""). */
int wb_tmpfs_add(struct wb_tmpfs **list, size_t *n, const char *target,
                 const char *options, const char *what, wb_error *err);

/* --tmpfs PATH[:OPTIONS], as Docker spells it ("/run:rw,size=64k"). */
int wb_tmpfs_add_spec(struct wb_tmpfs **list, size_t *n, const char *spec,
                      wb_error *err);

/* state.json's "Tmpfs": [{"Target": ..., "Options": ...}]. */
json_t *wb_tmpfs_to_json(const struct wb_tmpfs *list, size_t n);
/* The list read back (entries without a target are skipped). */
void wb_tmpfs_from_json(json_t *a, struct wb_tmpfs **list, size_t *n);
void wb_tmpfs_free(struct wb_tmpfs *list, size_t n);

#endif
