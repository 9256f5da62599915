/* lock.c - the per-container lock (lock.h). */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"

/* A holder that keeps it longer is stuck (stopped, or in D state): the
 * slowest legitimate holder, rm -f of a container whose processes take
 * their time to die, needs about 11 s. */
#define LOCK_WAIT_MS 60000

struct held {
  char *id;
  int fd;
  int depth;
};

/* The locks this process holds: a handful at most. */
static struct held *held;
static size_t n_held;

static struct held *find_held(const char *id)
{
  for (size_t i = 0; i < n_held; i++)
    if (strcmp(held[i].id, id) == 0)
      return &held[i];
  return NULL;
}

bool wb_container_lock_held(const char *id)
{
  return id && find_held(id) != NULL;
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* flock with a deadline: LOCK_NB and short sleeps, doubling up to 20 ms
 * (no timer or signal to set up for the common uncontended case). */
static int flock_waiting(int fd, long max_ms)
{
  long waited = 0;
  for (long delay = 1;; delay = delay < 20 ? delay * 2 : 20) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
      return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return -errno;
    if (waited >= max_ms)
      return -EBUSY;
    sleep_ms(delay);
    waited += delay;
  }
}

/* The directory we locked is still the container's: not removed (nor
 * moved aside to be removed) while we waited. */
static bool still_there(int fd, const char *dir)
{
  struct stat a, b;
  return fstat(fd, &a) == 0 && a.st_nlink > 0 && stat(dir, &b) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int lock_within(const struct wb_container *c, long max_ms, wb_error *err)
{
  const char *ref = c->name ? c->name : c->id;
  struct held *h = find_held(c->id);
  if (h) {
    h->depth++;
    return 0;
  }
  cleanup_close int fd =
      open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT
               ? wb_error_set(err, -ENOENT, "no such container: %s", ref)
               : wb_error_set(err, errno, "open %s", c->dir);
  int r = flock_waiting(fd, max_ms);
  if (r == -EBUSY && max_ms == 0)
    return wb_error_set(err, -EBUSY, "container %s is busy", ref);
  if (r == -EBUSY)
    return wb_error_set(err, -EBUSY,
                        "container %s is busy: another command has been "
                        "changing it for %d s; try again",
                        ref, LOCK_WAIT_MS / 1000);
  if (r < 0)
    return wb_error_set(err, -r, "lock %s", c->dir);
  if (!still_there(fd, c->dir))
    return wb_error_set(err, -ENOENT, "no such container: %s", ref);
  held = xrealloc(held, (n_held + 1) * sizeof *held);
  held[n_held++] = (struct held){xstrdup(c->id), steal_fd(&fd), 1};
  return 0;
}

int wb_container_lock(const struct wb_container *c, wb_error *err)
{
  return lock_within(c, LOCK_WAIT_MS, err);
}

int wb_container_trylock(const struct wb_container *c, wb_error *err)
{
  return lock_within(c, 0, err);
}

/* Closing, not LOCK_UN: a child forked meanwhile shares the open file
 * description and keeps the lock until it is done with it. */
static void drop(struct held *h)
{
  close(h->fd);
  free(h->id);
  *h = held[--n_held];
}

void wb_container_unlock(const struct wb_container *c)
{
  struct held *h = find_held(c->id);
  if (h && --h->depth == 0)
    drop(h);
}

void wb_container_unlock_all(const struct wb_container *c)
{
  struct held *h = find_held(c->id);
  if (h)
    drop(h);
}

int wb_dir_trylock(const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) < 0 || !still_there(fd, dir)) {
    close(fd);
    return -1;
  }
  return fd;
}
