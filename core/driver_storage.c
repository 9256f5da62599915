/* driver_storage.c - the core's trampolines in front of a storage driver's
 * ops (see driver_ops.h). */
#include <stddef.h>

#include "driver_ops.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The arguments of one op, for the guard's callback. */
struct storage_call {
  const struct wb_storage_ops *ops; /* the driver's own */
  void *state;
  const struct wb_rootfs *fs;
  const char *layer_dir;
};

static struct storage_call call_of(void *data, const struct wb_rootfs *fs)
{
  const struct wb_driver *d = data;
  return (struct storage_call){d->driver_ops, d->state, fs, NULL};
}

static int run_create(void *arg, wb_error *err)
{
  const struct storage_call *c = arg;
  return c->ops->create(c->state, c->fs, err);
}

static int run_mount(void *arg, wb_error *err)
{
  const struct storage_call *c = arg;
  return c->ops->mount(c->state, c->fs, err);
}

static int run_umount(void *arg, wb_error *err)
{
  const struct storage_call *c = arg;
  return c->ops->umount(c->state, c->fs, err);
}

static int run_remove(void *arg, wb_error *err)
{
  const struct storage_call *c = arg;
  return c->ops->remove(c->state, c->fs, err);
}

static int run_diff(void *arg, wb_error *err)
{
  const struct storage_call *c = arg;
  return c->ops->diff(c->state, c->fs, c->layer_dir, err);
}

static int storage_create(void *data, const struct wb_rootfs *fs, wb_error *err)
{
  struct wb_driver *d = data;
  struct storage_call c = call_of(data, fs);
  return wb_guard_call(&d->guard, "create", WB_LIMIT_DATA, false, run_create,
                       &c, err);
}

static int storage_mount(void *data, const struct wb_rootfs *fs, wb_error *err)
{
  struct wb_driver *d = data;
  struct storage_call c = call_of(data, fs);
  return wb_guard_call(&d->guard, "mount", WB_LIMIT_CALL, false, run_mount, &c,
                       err);
}

static int storage_umount(void *data, const struct wb_rootfs *fs, wb_error *err)
{
  struct wb_driver *d = data;
  struct storage_call c = call_of(data, fs);
  return wb_guard_call(&d->guard, "umount", WB_LIMIT_CALL, true, run_umount, &c,
                       err);
}

static int storage_remove(void *data, const struct wb_rootfs *fs, wb_error *err)
{
  struct wb_driver *d = data;
  struct storage_call c = call_of(data, fs);
  wb_error local = WB_ERROR_INIT;
  int r = wb_guard_call(&d->guard, "remove", WB_LIMIT_DATA, true, run_remove,
                        &c, &local);
  /* The core removes fs->dir itself (wb_container_delete). */
  cleanup_free char *what = xasprintf(
      "what it keeps on disk for container %.12s outside %s", fs->id, fs->dir);
  return wb_guard_left_behind(&d->left_behind, r, &local, err, what);
}

static int storage_diff(void *data, const struct wb_rootfs *fs,
                        const char *layer_dir, wb_error *err)
{
  struct wb_driver *d = data;
  struct storage_call c = call_of(data, fs);
  c.layer_dir = layer_dir;
  return wb_guard_call(&d->guard, "diff", WB_LIMIT_DATA, false, run_diff, &c,
                       err);
}

#define HAS(op)                                                                \
  wb_guard_table_has(d->driver_ops, offsetof(struct wb_storage_ops, op))

void wb_storage_wrap_ops(struct wb_driver *d)
{
  d->data = d;
  struct wb_storage_ops *t = &d->guarded.storage;
  *t = (struct wb_storage_ops){
      .size = wb_guard_table_size(d->driver_ops, sizeof *t),
      .create = HAS(create) ? storage_create : NULL,
      .mount = HAS(mount) ? storage_mount : NULL,
      .umount = HAS(umount) ? storage_umount : NULL,
      .remove = HAS(remove) ? storage_remove : NULL,
      .diff = HAS(diff) ? storage_diff : NULL,
  };
  d->ops = t;
}
