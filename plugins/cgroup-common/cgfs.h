/* cgfs.h - small helpers for cgroupfs: checked single writes, whole-file
 * reads, path joins, cgroup name validation, /proc/self/mountinfo.
 *
 * Each cgroup driver carries its own copy: a driver builds against
 * whalebox/plugin.h alone and links nothing from the core or from another
 * driver.  Raw helpers return 0 or -errno and describe nothing; the others
 * describe the failure with host->error(), naming the file and value. */
#ifndef CGFS_H
#define CGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <whalebox/plugin.h>

static inline void cgfs_freep(void *p)
{
  free(*(void **)p);
}
static inline void cgfs_closep(int *fd)
{
  if (*fd >= 0)
    close(*fd);
}
#define cleanup_free __attribute__((cleanup(cgfs_freep)))
#define cleanup_close __attribute__((cleanup(cgfs_closep)))

/* Read a field of a caller-sized struct only when the caller's size covers
 * it (plugin.h: readers must not look past `size`); 0 otherwise. */
#define CGFS_FIELD(s, f)                                                       \
  ((offsetof(__typeof__(*(s)), f) + sizeof((s)->f) <= (s)->size) ? (s)->f : 0)
#define CGFS_HAS_FIELD(s, f)                                                   \
  (offsetof(__typeof__(*(s)), f) + sizeof((s)->f) <= (s)->size)

/* Write `value` to `path` with open(O_WRONLY|O_CLOEXEC) and one write(2);
 * a short write is -EIO. */
int cgfs_write_raw(const char *path, const char *value);
int cgfs_write(const struct wb_host *h, const char *path, const char *value,
               wb_error *err);
/* Read a whole small file into a NUL-terminated buffer the caller frees. */
int cgfs_read_raw(const char *path, char **out);
int cgfs_read(const struct wb_host *h, const char *path, char **out,
              wb_error *err);
/* "<a>/<b>", or NULL when out of memory. */
char *cgfs_join(const char *a, const char *b);

/* cg->parent and cg->id must be relative names made of [A-Za-z0-9_.-]
 * components (parent may have several, separated by single slashes, or be
 * empty), never "." or "..": the driver never writes outside its hierarchy. */
int cgfs_check_cgroup(const struct wb_host *h, const struct wb_cgroup *cg,
                      wb_error *err);
/* "<root>/<parent>/<id>" after cgfs_check_cgroup(); the _raw form skips
 * the check (for names already checked) and returns NULL without memory. */
char *cgfs_cgroup_path_raw(const char *root, const struct wb_cgroup *cg);
int cgfs_cgroup_path(const struct wb_host *h, const char *root,
                     const struct wb_cgroup *cg, char **out, wb_error *err);
/* Decimal unsigned integer, surrounding whitespace allowed. -EINVAL. */
int cgfs_parse_u64(const char *text, uint64_t *out);
/* A file holding one number or "max" (*out = UINT64_MAX for "max"). */
int cgfs_read_u64(const char *path, uint64_t *out);
/* The value of the "key N" line of a flat keyed file; -ENOENT without it. */
int cgfs_read_key_u64(const char *path, const char *key, uint64_t *out);
/* Whether `word` is one of the space-separated words of `list`. */
bool cgfs_has_word(const char *list, const char *word);
/* Only digits, ',' and '-' (a cpu or node list), not empty. */
bool cgfs_valid_list(const char *text);

void cgfs_sleep_ms(unsigned ms);
/* Send `sig` to every pid in <dir>/cgroup.procs; *listed = how many were
 * listed (vanished ones count: they were there).  -errno on read errors. */
int cgfs_kill_procs(const char *dir, int sig, unsigned *listed);

/* Call cb for each line of /proc/self/mountinfo until it returns non-zero
 * (that value is returned).  The mount point is unescaped. */
int cgfs_mountinfo_each(int (*cb)(void *arg, const char *mountpoint,
                                  const char *fstype, const char *superopts),
                        void *arg);

#endif
