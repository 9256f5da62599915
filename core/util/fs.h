/* fs.h - file system helpers that report failures through wb_error. */
#ifndef WB_FS_H
#define WB_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
/* parse_size lives in size.h (libc only, shared with whalebox-monitor);
 * included here for the callers that know it from fs.h. */
#include "size.h"

/* "<a>/<b>" with exactly one slash between them; never fails. */
char *path_join(const char *a, const char *b);

/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode, wb_error *err);
/* Mark `path`, a directory whose subdirectories are unrelated trees made
 * and removed all the time (a container's, an import's), so that the file
 * system spreads them over its block groups (ext4's "top of directory
 * hierarchies" flag, chattr +T) instead of piling all of them into the
 * first group near the parent.  On a journal-less ext4 every new inode
 * skips each inode freed in the group in the last minutes, so one busy
 * group makes every create slow.  Best effort: file systems without the
 * flag are left alone.  1 when the flag was set now, 0 otherwise. */
int mark_spread_subdirs(const char *path);
/* rm -rf without crossing mount points; a missing path is fine. */
int rm_rf(const char *path, wb_error *err);
/* rm -rf relative to dirfd, name must be one component. */
int rm_rf_at(int dirfd, const char *name, wb_error *err);

/* Read a whole file (NUL-terminated); *len may be NULL. */
int read_file(const char *path, char **out, size_t *len, wb_error *err);
/* The same from an open fd, to its end; `label` names it in errors. */
int read_fd(int fd, const char *label, char **out, size_t *len, wb_error *err);
/* `name` in the directory of the running binary when it is there and
 * access(mode) allows it (a build tree), else NULL. */
char *sibling_of_self(const char *name, int mode);
/* Write a whole file, truncating; not atomic. */
int write_file(const char *path, const void *data, size_t len, wb_error *err);
/* Write atomically: temporary file, fsync, rename.  With do_sync 0 the
 * fsync is skipped (rename still makes the switch atomic for readers). */
int write_file_atomic(const char *path, const void *data, size_t len,
                      int do_sync, wb_error *err);

#endif
