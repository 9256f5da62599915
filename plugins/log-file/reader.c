/* reader.c - read: entries back from the rotated files, oldest first, with
 * tail, since and follow.
 *
 * --tail N reads from the end: each file from the newest backwards, only
 * as far back as the last N entries reach, and the files older than that
 * are never read.
 *
 * Rotation renames files under the reader, so files are identified by
 * inode, never by name alone: the snapshot opens container.log first and
 * then .1, .2... (skipping an inode seen twice when a rotation moves a file
 * while we open), and following switches to the file that comes after the
 * one just finished, found by where that one's inode now lives. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_file.h"

#define CHUNK_SIZE (64 * 1024)
/* How long a follower sleeps between checks of alive() when nothing
 * happens (and between polls without inotify). */
#define FOLLOW_WAIT_MS 200

struct lf_src {
  int fd;
  long index; /* where it was when opened: larger is older */
  dev_t dev;
  ino_t ino;
  struct lf_buf pending; /* a line not yet ended by '\n' */
  int overlong;          /* skipping a line longer than LF_READ_LINE_MAX */
};

struct lf_rd {
  struct lf_driver *drv;
  const struct wb_log_reader *reader;
  const char *dir;
  int dirfd;
  wb_error *err;
  char *chunk;
  struct lf_buf text; /* the decoded log text of the current entry */
  struct lf_buf line; /* a line read back across chunks (tail) */
};

static void free_src(struct lf_src *s)
{
  if (!s)
    return;
  if (s->fd >= 0)
    close(s->fd);
  lf_buf_free(&s->pending);
  free(s);
}

/* Open the file at `index`; *out NULL when it does not exist. */
static int open_index(struct lf_rd *rd, long index, struct lf_src **out)
{
  const struct wb_host *host = rd->drv->host;
  char name[64];
  *out = NULL;
  if (lf_file_name(name, sizeof name, index) < 0)
    return host->error(host, rd->err, -ENAMETOOLONG, "log file %ld", index);
  int fd =
      openat(rd->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT)
      return 0;
    return host->error(host, rd->err, errno, "open %s/%s", rd->dir, name);
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return host->error(host, rd->err, e, "stat %s/%s", rd->dir, name);
  }
  struct lf_src *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return host->error(host, rd->err, ENOMEM, "read log");
  }
  s->fd = fd;
  s->index = index;
  s->dev = st.st_dev;
  s->ino = st.st_ino;
  *out = s;
  return 0;
}

/* Index of the oldest rotated file present, 0 when there is none. */
static long max_index(struct lf_rd *rd)
{
  int fd = openat(rd->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return rd->drv->host->error(rd->drv->host, rd->err, errno, "open %s",
                                rd->dir);
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    return rd->drv->host->error(rd->drv->host, rd->err, e, "open %s", rd->dir);
  }
  long max = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    long i = lf_file_index(de->d_name);
    if (i > max)
      max = i;
  }
  closedir(d);
  return max;
}

static int process_line(struct lf_rd *rd, const char *line, size_t len)
{
  const struct wb_log_reader *reader = rd->reader;
  int stream;
  struct timespec ts;
  if (lf_parse_entry(line, len, &rd->text, &stream, &ts) < 0) {
    rd->drv->host->log(rd->drv->host, WB_LOG_DEBUG,
                       "%s: skipping a line that is not a log entry", rd->dir);
    return 0;
  }
  if (reader->since_ns > 0 &&
      (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec < reader->since_ns)
    return 0;
  /* The callback's own negative value stops us and is returned. */
  return reader->emit(reader->arg, stream, &ts, rd->text.data, rd->text.len);
}

/* Feed bytes to complete lines; the rest waits in s->pending. */
static int feed(struct lf_rd *rd, struct lf_src *s, const char *p, size_t n)
{
  while (n > 0) {
    const char *nl = memchr(p, '\n', n);
    size_t part = nl ? (size_t)(nl - p) : n;
    int r = 0;
    if (s->overlong) {
      /* Nothing to keep of a line already too long. */
    } else if (s->pending.len + part > LF_READ_LINE_MAX) {
      s->overlong = 1;
      s->pending.len = 0;
      rd->drv->host->log(rd->drv->host, WB_LOG_DEBUG,
                         "%s: skipping a line longer than %d bytes", rd->dir,
                         LF_READ_LINE_MAX);
    } else if (nl && s->pending.len == 0) {
      r = process_line(rd, p, part);
    } else {
      r = lf_buf_append(&s->pending, p, part);
      if (r < 0)
        return rd->drv->host->error(rd->drv->host, rd->err, -r, "read log");
      if (nl) {
        r = process_line(rd, s->pending.data, s->pending.len);
        s->pending.len = 0;
      }
    }
    if (r < 0)
      return r;
    if (!nl)
      break;
    s->overlong = 0;
    p += part + 1;
    n -= part + 1;
  }
  return 0;
}

/* Read from the current position to the end of the file. */
static int read_src(struct lf_rd *rd, struct lf_src *s)
{
  for (;;) {
    ssize_t n = read(s->fd, rd->chunk, CHUNK_SIZE);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return rd->drv->host->error(rd->drv->host, rd->err, errno, "read %s log",
                                  rd->dir);
    }
    if (n == 0)
      return 0;
    int r = feed(rd, s, rd->chunk, (size_t)n);
    if (r < 0)
      return r;
  }
}

struct snapshot {
  struct lf_src **v; /* oldest first once taken */
  size_t n;
};

static void free_snapshot(struct snapshot *s)
{
  for (size_t i = 0; i < s->n; i++)
    free_src(s->v[i]);
  free(s->v);
  s->v = NULL;
  s->n = 0;
}

/* Every file present now, newest opened first so that a concurrent
 * rotation can only make us see a file twice (deduplicated by inode),
 * never miss one that still exists. */
static int take_snapshot(struct lf_rd *rd, struct snapshot *snap)
{
  long max = max_index(rd);
  if (max < 0)
    return (int)max;
  size_t cap = (size_t)max + 2;
  snap->v = calloc(cap, sizeof *snap->v);
  if (!snap->v)
    return rd->drv->host->error(rd->drv->host, rd->err, ENOMEM, "read log");
  /* Past max, go on while files are there: rotations during the
   * snapshot move files to higher indices. */
  for (long i = 0; i <= LF_MAX_FILE_LIMIT; i++) {
    struct lf_src *s;
    int r = open_index(rd, i, &s);
    if (r < 0)
      return r;
    if (!s) {
      if (i > max)
        break;
      continue;
    }
    if (snap->n == cap) {
      struct lf_src **v = realloc(snap->v, cap * 2 * sizeof *v);
      if (!v) {
        free_src(s);
        return rd->drv->host->error(rd->drv->host, rd->err, ENOMEM, "read log");
      }
      snap->v = v;
      cap *= 2;
    }
    int dup = 0;
    for (size_t k = 0; k < snap->n; k++)
      dup |= snap->v[k]->dev == s->dev && snap->v[k]->ino == s->ino;
    if (dup)
      free_src(s);
    else
      snap->v[snap->n++] = s;
  }
  for (size_t a = 0, b = snap->n; a + 1 < b; a++, b--) {
    struct lf_src *tmp = snap->v[a];
    snap->v[a] = snap->v[b - 1];
    snap->v[b - 1] = tmp;
  }
  return 0;
}

/* Would the forward read emit this line (an entry, since since_ns)? */
static int is_emitted(struct lf_rd *rd, const char *line, size_t len)
{
  int stream;
  struct timespec ts;
  if (len > LF_READ_LINE_MAX ||
      lf_parse_entry(line, len, &rd->text, &stream, &ts) < 0)
    return 0;
  return rd->reader->since_ns <= 0 ||
         (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec >= rd->reader->since_ns;
}

static int pread_all(struct lf_rd *rd, int fd, char *buf, size_t n, off_t at)
{
  while (n > 0) {
    ssize_t got = pread(fd, buf, n, at);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return rd->drv->host->error(rd->drv->host, rd->err,
                                  got < 0 ? errno : -EIO, "read %s log",
                                  rd->dir);
    buf += got;
    n -= (size_t)got;
    at += got;
  }
  return 0;
}

/* Is the whole line [from, to) of s (its '\n' at `to`) emitted?  The
 * chunk in memory holds [pos, pos + n); a line that reaches past it is
 * read again on its own. */
static int line_is_emitted(struct lf_rd *rd, const struct lf_src *s, off_t from,
                           off_t to, off_t pos, size_t n)
{
  size_t len = (size_t)(to - from);
  if (len > LF_READ_LINE_MAX)
    return 0; /* skipped by the forward read too */
  if (to <= pos + (off_t)n)
    return is_emitted(rd, rd->chunk + (from - pos), len);
  rd->line.len = 0;
  int r = lf_buf_reserve(&rd->line, len);
  if (r < 0)
    return rd->drv->host->error(rd->drv->host, rd->err, -r, "read log");
  r = pread_all(rd, s->fd, rd->line.data, len, from);
  return r < 0 ? r : is_emitted(rd, rd->line.data, len);
}

/* Scan s backwards from its end for where its last `want` emitted entries
 * begin: *found of them are there (fewer than want when the file has
 * fewer), starting at *start, always the start of a line.  Only whole
 * lines count: what follows the last '\n' is a line still being written,
 * which the forward read leaves for later too. */
static int scan_back(struct lf_rd *rd, const struct lf_src *s, int64_t want,
                     int64_t *found, off_t *start)
{
  struct stat st;
  if (fstat(s->fd, &st) < 0)
    return rd->drv->host->error(rd->drv->host, rd->err, errno, "stat %s log",
                                rd->dir);
  *found = 0;
  *start = 0;
  off_t line_end = -1; /* the '\n' ending the line being looked at */
  size_t n = 0;        /* the chunk in memory: [pos, pos + n) */
  for (off_t pos = st.st_size; pos > 0;) {
    n = pos < CHUNK_SIZE ? (size_t)pos : CHUNK_SIZE;
    pos -= (off_t)n;
    int r = pread_all(rd, s->fd, rd->chunk, n, pos);
    if (r < 0)
      return r;
    for (size_t i = n; i-- > 0;) {
      if (rd->chunk[i] != '\n')
        continue;
      off_t nl = pos + (off_t)i;
      if (line_end < 0) {
        *start = nl + 1; /* after the last whole line: nothing yet */
      } else {
        r = line_is_emitted(rd, s, nl + 1, line_end, pos, n);
        if (r < 0)
          return r;
        if (r && ++*found == want) {
          *start = nl + 1;
          return 0;
        }
      }
      if (*found == want)
        return 0; /* want 0: the end of the last whole line */
      line_end = nl;
    }
  }
  /* The file's first line, [0, line_end); the last chunk read began at
   * 0. */
  if (line_end >= 0) {
    int r = line_is_emitted(rd, s, 0, line_end, 0, n);
    if (r < 0)
      return r;
    *found += r;
  }
  *start = 0;
  return 0;
}

/* --tail N: from the newest file backwards, only as far back as the last
 * N entries reach; *first is the oldest file needed, positioned where
 * they begin (the files before it are never read). */
static int seek_tail(struct lf_rd *rd, struct snapshot *snap, size_t *first)
{
  int64_t want = rd->reader->tail;
  *first = 0;
  for (size_t i = snap->n; i-- > 0;) {
    int64_t found = 0;
    off_t start = 0;
    int r = scan_back(rd, snap->v[i], want, &found, &start);
    if (r < 0)
      return r;
    if (found == want || i == 0) {
      *first = i;
      if (lseek(snap->v[i]->fd, start, SEEK_SET) < 0)
        return rd->drv->host->error(rd->drv->host, rd->err, errno,
                                    "seek %s log", rd->dir);
      return 0;
    }
    want -= found;
  }
  return 0;
}

static int same_file(struct lf_rd *rd, long index, const struct lf_src *s)
{
  char name[64];
  struct stat st;
  if (lf_file_name(name, sizeof name, index) < 0 ||
      fstatat(rd->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  return st.st_dev == s->dev && st.st_ino == s->ino;
}

static void sleep_ms(long ms)
{
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) < 0 && errno == EINTR)
    ;
}

/* The oldest file: the one with the highest index, checked after opening
 * (still there, nothing older appeared) so that a rotation between
 * listing and opening cannot make us start one file too late. */
static int open_oldest(struct lf_rd *rd, struct lf_src **out)
{
  for (int attempt = 0;; attempt++) {
    long max = max_index(rd);
    if (max < 0)
      return (int)max;
    int r = open_index(rd, max, out);
    if (r < 0 || !*out)
      return r;
    long now = max_index(rd);
    if (now < 0)
      return (int)now;
    if ((now == max && same_file(rd, max, *out)) || attempt >= 100)
      return 0;
    free_src(*out);
    *out = NULL;
  }
}

/* The file written after `cur` (cur has been rotated away).  *out NULL
 * when there is nothing to switch to yet. */
static int open_successor(struct lf_rd *rd, const struct lf_src *cur,
                          struct lf_src **out)
{
  *out = NULL;
  if (!cur)
    return open_oldest(rd, out);
  int misses = 0;
  for (int attempt = 0; attempt < 100; attempt++) {
    long max = max_index(rd);
    if (max < 0)
      return (int)max;
    long found = -1;
    for (long j = 1; j <= max + 1 && found < 0; j++)
      if (same_file(rd, j, cur))
        found = j;
    if (found < 0) {
      /* A rotation may have moved it past where we looked: look again a
       * few times before concluding it is gone. */
      if (++misses < 3)
        continue;
      break;
    }
    int r = open_index(rd, found - 1, out);
    if (r < 0)
      return r;
    /* Rotation renames the older files first, so if cur has not moved
     * the file we opened is still the one right after it. */
    if (*out && same_file(rd, found, cur))
      return 0;
    free_src(*out);
    *out = NULL;
    sleep_ms(1); /* a rotation is under way */
  }
  /* cur is gone (dropped by rotation, or max-file 1 started afresh): the
   * oldest file left is the best next one. */
  rd->drv->host->log(rd->drv->host, WB_LOG_DEBUG,
                     "%s: the file being followed was rotated away", rd->dir);
  return open_oldest(rd, out);
}

/* Read *cur to its end and on through every file rotated after it. */
static int drain(struct lf_rd *rd, struct lf_src **cur)
{
  for (;;) {
    int r = *cur ? read_src(rd, *cur) : 0;
    if (r < 0)
      return r;
    struct stat st;
    if (fstatat(rd->dirfd, LF_LOG_NAME, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        return 0; /* between two steps of a rotation, or removed */
      return rd->drv->host->error(rd->drv->host, rd->err, errno, "stat %s/%s",
                                  rd->dir, LF_LOG_NAME);
    }
    if (*cur && st.st_dev == (*cur)->dev && st.st_ino == (*cur)->ino)
      return 0;
    if (*cur) {
      /* Rotated away: the writer is done with it, so what it appended
       * between our read and the rotation is there now. */
      r = read_src(rd, *cur);
      if (r < 0)
        return r;
    }
    struct lf_src *next;
    r = open_successor(rd, *cur, &next);
    if (r < 0)
      return r;
    if (!next)
      return 0;
    free_src(*cur);
    *cur = next;
  }
}

static void wait_for_change(int ifd)
{
  if (ifd < 0) {
    sleep_ms(FOLLOW_WAIT_MS / 2);
    return;
  }
  struct pollfd pfd = {.fd = ifd, .events = POLLIN};
  if (poll(&pfd, 1, FOLLOW_WAIT_MS) <= 0)
    return;
  /* The events only wake us; drain() looks at the files themselves. */
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (read(ifd, buf, sizeof buf) > 0)
    ;
}

static int follow(struct lf_rd *rd, struct lf_src **cur)
{
  const struct wb_log_reader *reader = rd->reader;
  int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd >= 0 && inotify_add_watch(ifd, rd->dir,
                                    IN_MODIFY | IN_CREATE | IN_MOVED_TO |
                                        IN_DELETE | IN_CLOSE_WRITE) < 0) {
    close(ifd);
    ifd = -1;
  }
  if (ifd < 0)
    rd->drv->host->log(rd->drv->host, WB_LOG_DEBUG,
                       "inotify unavailable (%s), polling %s", strerror(errno),
                       rd->dir);
  int r;
  for (;;) {
    /* Sampled before draining: whatever was written before the container
     * ended is read by the drain that follows. */
    int alive = reader->alive ? reader->alive(reader->arg) : 0;
    r = drain(rd, cur);
    if (r < 0 || !alive)
      break;
    wait_for_change(ifd);
  }
  if (ifd >= 0)
    close(ifd);
  return r;
}

#define READER_V1_0_SIZE (offsetof(struct wb_log_reader, arg) + sizeof(void *))
#define TARGET_V1_0_SIZE                                                       \
  (offsetof(struct wb_log_target, options) + sizeof(void *))

int lf_read(void *driver, const struct wb_log_target *t,
            const struct wb_log_reader *reader, wb_error *err)
{
  struct lf_driver *d = driver;
  const struct wb_host *host = d->host;
  if (t->size < TARGET_V1_0_SIZE || reader->size < READER_V1_0_SIZE ||
      !reader->emit)
    return host->error(host, err, -EINVAL, "read: bad target or reader");
  struct lf_rd rd = {.drv = d, .reader = reader, .dir = t->dir, .err = err};
  rd.dirfd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rd.dirfd < 0)
    return host->error(host, err, errno, "open %s", t->dir);
  struct snapshot snap = {NULL, 0};
  struct lf_src *cur = NULL;
  int r = (rd.chunk = malloc(CHUNK_SIZE))
              ? 0
              : host->error(host, err, ENOMEM, "read log");
  if (r == 0)
    r = take_snapshot(&rd, &snap);
  size_t first = 0;
  if (r == 0 && reader->tail >= 0)
    r = seek_tail(&rd, &snap, &first);
  for (size_t i = first; i < snap.n && r == 0; i++)
    r = read_src(&rd, snap.v[i]);
  if (r == 0 && reader->follow) {
    /* Follow from the newest file, where the reads above stopped. */
    if (snap.n > 0)
      cur = snap.v[--snap.n];
    r = follow(&rd, &cur);
  }
  free_src(cur);
  free_snapshot(&snap);
  lf_buf_free(&rd.text);
  lf_buf_free(&rd.line);
  free(rd.chunk);
  close(rd.dirfd);
  return r;
}
