/* extract.h - writing tar entries into a layer directory without ever
 * leaving it (internal to core/image). */
#ifndef WB_IMAGE_EXTRACT_H
#define WB_IMAGE_EXTRACT_H

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stdint.h>

#include "../util/error.h"

struct wb_extract {
  int root_fd;   /* the layer's diff directory */
  uint64_t size; /* bytes of file content and link targets written */
  /* The parent directory of the last entry, kept open: a tarball lists a
   * directory's files one after another, so most entries need no walk. */
  int dir_fd;     /* -1 when none */
  char *dir_path; /* its components joined by '/', "" = the root */
  gid_t dir_gid;  /* its group */
  bool dir_acl;   /* it has a default ACL: new files' modes ignore umask */
  mode_t umask;   /* the process's, read once: new files get mode & ~it */
  uid_t euid;     /* who new files belong to */
  gid_t egid;
  int owner_seen; /* 0 unknown, 1 new files are ours, -1 they are not
                     (root squashed on NFS): checked on the first file */
  /* Directory mtimes, applied at the end (creating entries inside a
   * directory changes its mtime). */
  struct wb_extract_dirtime *dirs;
  size_t ndirs, capdirs;
};

/* root_fd is borrowed (caller closes it after wb_extract_free). */
void wb_extract_init(struct wb_extract *x, int root_fd);
/* Write one entry (and its data, read from a).  Entries whose path is
 * absolute, has a ".." component, or passes through a symlink or a
 * non-directory, and hard links to such targets, are refused: -EINVAL with
 * a message naming the entry.  Docker/AUFS whiteouts ".wh.NAME" become 0:0
 * character devices and ".wh..wh..opq" the trusted.overlay.opaque xattr of
 * its directory. */
int wb_extract_entry(struct wb_extract *x, struct archive *a,
                     struct archive_entry *e, wb_error *err);
/* Apply the deferred directory times. */
int wb_extract_finish(struct wb_extract *x, wb_error *err);
void wb_extract_free(struct wb_extract *x);

#endif
