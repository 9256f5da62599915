/* rootmount.c - bind mounts for the storage drivers, with syscalls only. */
#include "rootmount.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

/* Old kernels without mount_setattr(2): remount the top mount read-only,
 * keeping the flags it already has (a remount that drops a locked flag
 * such as nosuid fails with EPERM). */
static int remount_read_only(const char *target)
{
  struct statvfs sv;
  if (statvfs(target, &sv) < 0)
    return -errno;
  static const struct {
    unsigned long st, ms;
  } keep[] = {{ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
              {ST_NOEXEC, MS_NOEXEC},         {ST_NOATIME, MS_NOATIME},
              {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME}};
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
    if (sv.f_flag & keep[i].st)
      flags |= keep[i].ms;
  if (mount(NULL, target, NULL, flags, NULL) < 0)
    return -errno;
  return 0;
}

int rootmount_bind(const struct wb_host *host, const char *source,
                   const char *target, int read_only, wb_error *err)
{
  if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return host->error(host, err, errno, "bind mount %s on %s", source, target);
  if (!read_only)
    return 0;
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
  int r = 0;
  if (mount_setattr(AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof attr) < 0)
    r = errno == ENOSYS ? remount_read_only(target) : -errno;
  if (r < 0) {
    int saved = -r;
    umount2(target, MNT_DETACH);
    return host->error(host, err, saved, "make %s read-only", target);
  }
  return 0;
}

int rootmount_detach(const struct wb_host *host, const char *target,
                     wb_error *err)
{
  /* EINVAL: target is not a mount point (never mounted, or already gone). */
  if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL &&
      errno != ENOENT)
    return host->error(host, err, errno, "unmount %s", target);
  return 0;
}
