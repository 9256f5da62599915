/* driver_cgroup.c - the core's trampolines in front of a cgroup driver's
 * ops (see driver_ops.h). */
#include <stddef.h>
#include <unistd.h>

#include "driver_ops.h"
#include "util/cleanup.h"
#include "util/xalloc.h"

/* The arguments of one op, for the guard's callback. */
struct cgroup_call {
  const struct wb_cgroup_ops *ops; /* the driver's own */
  void *state;
  const struct wb_cgroup *cg;
  const struct wb_limits *limits;
  struct wb_cgroup_stats *stats;
  int *dirfd;
  pid_t pid;
  int number; /* kill's signal, freeze's state */
};

static struct cgroup_call call_of(void *data, const struct wb_cgroup *cg)
{
  const struct wb_driver *d = data;
  return (struct cgroup_call){
      .ops = d->driver_ops, .state = d->state, .cg = cg};
}

static int run_create(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->create(c->state, c->cg, err);
}

static int run_apply(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->apply(c->state, c->cg, c->limits, err);
}

static int run_enter(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->enter(c->state, c->cg, c->pid, err);
}

static int run_stats(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->stats(c->state, c->cg, c->stats, err);
}

static int run_kill(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->kill(c->state, c->cg, c->number, err);
}

static int run_destroy(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->destroy(c->state, c->cg, err);
}

static int run_freeze(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->freeze(c->state, c->cg, c->number, err);
}

static int run_open(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->open(c->state, c->cg, c->dirfd, err);
}

static int run_enter_self(void *arg, wb_error *err)
{
  const struct cgroup_call *c = arg;
  return c->ops->enter_self(c->state, c->cg, err);
}

static int guarded(void *data, const char *op, bool cleanup, wb_guard_fn fn,
                   struct cgroup_call *c, wb_error *err)
{
  struct wb_driver *d = data;
  return wb_guard_call(&d->guard, op, WB_LIMIT_CALL, cleanup, fn, c, err);
}

static int cgroup_create(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  return guarded(data, "create", false, run_create, &c, err);
}

static int cgroup_apply(void *data, const struct wb_cgroup *cg,
                        const struct wb_limits *limits, wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  c.limits = limits;
  return guarded(data, "apply", false, run_apply, &c, err);
}

static int cgroup_enter(void *data, const struct wb_cgroup *cg, pid_t pid,
                        wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  c.pid = pid;
  return guarded(data, "enter", false, run_enter, &c, err);
}

static int cgroup_stats(void *data, const struct wb_cgroup *cg,
                        struct wb_cgroup_stats *stats, wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  c.stats = stats;
  return guarded(data, "stats", false, run_stats, &c, err);
}

/* Killing is how a container is stopped and removed: still tried after a
 * fault. */
static int cgroup_kill(void *data, const struct wb_cgroup *cg, int sig,
                       wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  c.number = sig;
  return guarded(data, "kill", true, run_kill, &c, err);
}

static int cgroup_destroy(void *data, const struct wb_cgroup *cg, wb_error *err)
{
  struct wb_driver *d = data;
  struct cgroup_call c = call_of(data, cg);
  wb_error local = WB_ERROR_INIT;
  int r = guarded(data, "destroy", true, run_destroy, &c, &local);
  cleanup_free char *what =
      xasprintf("cgroup %s/%s (with any process in it)", cg->parent, cg->id);
  return wb_guard_left_behind(&d->left_behind, r, &local, err, what);
}

/* Thawing is cleanup (a frozen container cannot even be killed): still
 * tried after a fault; freezing is not. */
static int cgroup_freeze(void *data, const struct wb_cgroup *cg, int frozen,
                         wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  c.number = frozen;
  return guarded(data, "freeze", !frozen, run_freeze, &c, err);
}

/* *dirfd is -1 unless the call succeeds: a driver that crashed half-way
 * may have written anything there. */
static int cgroup_open(void *data, const struct wb_cgroup *cg, int *dirfd,
                       wb_error *err)
{
  int fd = -1;
  struct cgroup_call c = call_of(data, cg);
  c.dirfd = &fd;
  *dirfd = -1;
  const struct wb_driver *d = data;
  int r = guarded(data, "open", false, run_open, &c, err);
  /* A failure the driver reported may still have left an fd open. */
  if (r < 0 && fd >= 0 && d->guard.state == WB_GUARD_OK)
    close(fd);
  if (r == 0)
    *dirfd = fd;
  return r;
}

static int cgroup_enter_self(void *data, const struct wb_cgroup *cg,
                             wb_error *err)
{
  struct cgroup_call c = call_of(data, cg);
  return guarded(data, "enter_self", false, run_enter_self, &c, err);
}

#define HAS(op)                                                                \
  wb_guard_table_has(d->driver_ops, offsetof(struct wb_cgroup_ops, op))

void wb_cgroup_wrap_ops(struct wb_driver *d)
{
  d->data = d;
  struct wb_cgroup_ops *t = &d->guarded.cgroup;
  *t = (struct wb_cgroup_ops){
      .size = wb_guard_table_size(d->driver_ops, sizeof *t),
      .create = HAS(create) ? cgroup_create : NULL,
      .apply = HAS(apply) ? cgroup_apply : NULL,
      .enter = HAS(enter) ? cgroup_enter : NULL,
      .stats = HAS(stats) ? cgroup_stats : NULL,
      .kill = HAS(kill) ? cgroup_kill : NULL,
      .destroy = HAS(destroy) ? cgroup_destroy : NULL,
      .freeze = HAS(freeze) ? cgroup_freeze : NULL,
      .open = HAS(open) ? cgroup_open : NULL,
      .enter_self = HAS(enter_self) ? cgroup_enter_self : NULL,
  };
  d->ops = t;
}
