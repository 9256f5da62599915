/* fstree.h - file tree helpers shared by the two storage drivers.
 *
 * Drivers cannot use core/util, so storage-overlay and storage-bind both
 * compile these files in (storage-bind's meson.build lists them from here).
 * Nothing in here is part of the plugin ABI.
 *
 * Every function works relative to directory fds, never follows a symlink
 * inside the trees it walks and never descends into a mount point.  All
 * report failures through host->error() and return its negative value.
 */
#ifndef WB_STORAGE_FSTREE_H
#define WB_STORAGE_FSTREE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <whalebox/plugin.h>

#define FST_OVERLAY_XATTR_PREFIX "trusted.overlay."
#define FST_OPAQUE_XATTR "trusted.overlay.opaque"

enum fst_flags {
  /* Merge a layer into a flattened tree: a whiteout deletes the path
   * instead of being copied, an opaque directory is emptied first. */
  FST_MERGE = 1 << 0,
  /* Keep trusted.overlay.opaque.  Every other trusted.overlay.* xattr
   * (origin, impure, redirect...) describes one overlay mount and is
   * always dropped. */
  FST_KEEP_OPAQUE = 1 << 1,
  /* Skip what the runtime supplies (see fst_excluded). */
  FST_EXCLUDE_RUNTIME = 1 << 2,
};

/* One copy session.  Hard links are recreated within one session. */
struct fst_copy {
  const struct wb_host *host;
  wb_error *err;
  unsigned flags;
  int dst_root;          /* destination root, for linkat() of hard links */
  const char *src_label; /* source root path, for messages */
  const char *dst_label; /* destination root path, for messages */
  void *links;           /* tsearch tree: (dev, ino) -> destination path */
  /* Owners are translated through the container's user namespace mapping
   * when set (fst_copy_set_idmap). */
  const struct wb_rootfs *idmap;
  bool idmap_to_host;
};

void fst_copy_init(struct fst_copy *c, const struct wb_host *host,
                   wb_error *err, unsigned flags, int dst_root,
                   const char *src_label, const char *dst_label);
void fst_copy_fini(struct fst_copy *c);

/* Does fs carry a user namespace mapping (ABI 1.1 fields, non-empty)? */
bool fst_userns(const struct wb_rootfs *fs);
/* The kernel's overflow uid/gid: "nobody" (/proc/sys/kernel/overflowuid). */
#define WB_OVERFLOW_ID 65534u
/* Translate one id: container -> host (to_host) or host -> container.  An
 * id outside the mapping becomes, towards the host, a host id outside the
 * mapping (WB_OVERFLOW_ID unless that one is mapped), which the container
 * sees as nobody; towards the container it is kept as it is (e.g. a
 * whiteout's 0:0). */
uint32_t fst_map_id(const struct wb_idmap *map, uint32_t n, uint32_t id,
                    bool to_host);
/* Translate owners in this copy session when fs has a user namespace:
 * to_host when making a container's private files from image layers,
 * !to_host when writing a layer from a container's files. */
void fst_copy_set_idmap(struct fst_copy *c, const struct wb_rootfs *fs,
                        bool to_host);
/* chown dir_fd/name to the host ids of the container's root. */
int fst_chown_to_root(const struct wb_host *host, const struct wb_rootfs *fs,
                      int dir_fd, const char *name, const char *label,
                      wb_error *err);

/* Copy (or merge, with FST_MERGE) the contents of the source directory
 * src_fd into dst_fd; `rel` is their path below the roots ("" at the top),
 * used for exclusions and messages.  Directory metadata is applied after
 * the directory's children, so timestamps survive. */
int fst_copy_dir(struct fst_copy *c, int src_fd, int dst_fd, const char *rel);

/* Copy one entry `name` of src_dir (already lstat'ed into *st) to the same
 * name in dst_dir, which must not exist; directories recursively. */
int fst_copy_entry(struct fst_copy *c, int src_dir, int dst_dir,
                   const char *name, const char *rel, const struct stat *st);

/* Give dst_dir/dst_name the owner, xattrs, mode and times of the source
 * entry (lstat'ed into *st).  Names may be "." for the directories
 * themselves.  With `sync_xattrs`, xattrs the destination has and the
 * source lacks are removed (for directories merged from several layers). */
int fst_copy_meta(struct fst_copy *c, int src_dir, const char *src_name,
                  int dst_dir, const char *dst_name, const struct stat *st,
                  bool sync_xattrs, const char *rel);

/* Merge one image layer onto the flattened tree root_fd (path `root`, for
 * messages): FST_MERGE, with owners mapped to the host when fs has a user
 * namespace. */
int fst_merge_layer(const struct wb_host *host, const struct wb_rootfs *fs,
                    const char *layer, int root_fd, const char *root,
                    wb_error *err);

/* rm -rf of dir_fd/name (a missing name is fine).  Refuses to descend into
 * a mount point.  `label` is the path of dir_fd, for messages. */
int fst_remove_at(const struct wb_host *host, int dir_fd, const char *name,
                  const char *label, wb_error *err);
/* Remove everything inside dir_fd, keeping the directory itself. */
int fst_remove_contents(const struct wb_host *host, int dir_fd,
                        const char *label, wb_error *err);

/* The names in dir_fd (without "." and ".."), read completely so that the
 * caller may change the directory while going through them.  0 or -errno. */
int fst_list_names(int dir_fd, char ***names, size_t *count);
void fst_free_names(char **names, size_t count);

/* A 0:0 character device: overlayfs' whiteout. */
bool fst_is_whiteout(const struct stat *st);
/* Make `name` in dir_fd a whiteout. */
int fst_make_whiteout(const struct wb_host *host, int dir_fd, const char *name,
                      const char *path, wb_error *err);
/* 1 if dir_fd/name carries trusted.overlay.opaque="y", 0 if not. */
int fst_is_opaque(const struct wb_host *host, int dir_fd, const char *name,
                  const char *path, wb_error *err);
int fst_set_opaque(const struct wb_host *host, int dir_fd, const char *name,
                   const char *path, wb_error *err);

/* Paths (relative, no leading slash) a container diff never includes:
 * etc/hosts, etc/hostname, etc/resolv.conf (the runtime writes them) and
 * anything below proc/, sys/ and dev/ (the directories themselves stay). */
bool fst_excluded(const char *rel);

/* "<a>/<b>", or b when a is empty; NULL when out of memory. */
char *fst_join(const char *a, const char *b);

/* Open a directory below dir_fd without following a symlink. */
int fst_open_dir(int dir_fd, const char *name);

/* Number of entries of a NULL-terminated layer list. */
size_t fst_count(const char *const *v);

#endif
