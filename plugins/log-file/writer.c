/* writer.c - open/write/close: cutting streams into entries, appending
 * them, rotating the files.
 *
 * Each stream has its own line buffer of LF_ENTRY_MAX bytes, so a partial
 * stdout line never mixes with stderr and memory stays bounded whatever
 * the container prints.  Every entry goes to the file in one write() on an
 * O_APPEND descriptor, so a reader never sees two entries interleaved. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_file.h"

struct lf_line {
  char *data; /* LF_ENTRY_MAX + 1 bytes once the stream wrote something */
  size_t len;
};

struct lf_handle {
  struct lf_driver *drv;
  char *dir; /* for messages */
  int dirfd;
  int fd;       /* container.log, -1 after a failed rotation */
  int64_t size; /* bytes in container.log */
  int64_t max_size;
  int64_t max_file;
  struct lf_line lines[2]; /* stdout, stderr */
  struct lf_buf out;       /* the JSON line being written */
  /* Entries that could not be written since the last one that could (a
   * full disk): the next entry written is preceded by a marker entry that
   * says how many, so a gap in the log is never silent. */
  int64_t lost;
  int lost_errno;             /* why the first of them was lost */
  struct timespec lost_since; /* when */
};

static int parse_max_file(const char *s, int64_t *out)
{
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 1 || v > LF_MAX_FILE_LIMIT)
    return -EINVAL;
  *out = v;
  return 0;
}

/* --log-opt values; unknown keys are errors so that a typo is not
 * silently ignored. */
static int parse_options(struct lf_handle *h, const char *const *opts,
                         wb_error *err)
{
  const struct wb_host *host = h->drv->host;
  for (; opts && *opts; opts++) {
    const char *opt = *opts;
    const char *eq = strchr(opt, '=');
    if (!eq)
      return host->error(host, err, -EINVAL,
                         "log option '%s' must be key=value", opt);
    size_t klen = (size_t)(eq - opt);
    const char *val = eq + 1;
    if (klen == 8 && memcmp(opt, "max-size", 8) == 0) {
      int64_t v;
      if (host->parse_size(val, &v) < 0 || v <= 0)
        return host->error(host, err, -EINVAL,
                           "invalid max-size '%s': want a positive size such "
                           "as 10m",
                           val);
      h->max_size = v;
    } else if (klen == 8 && memcmp(opt, "max-file", 8) == 0) {
      if (parse_max_file(val, &h->max_file) < 0)
        return host->error(host, err, -EINVAL,
                           "invalid max-file '%s': want an integer from 1 "
                           "to %d",
                           val, LF_MAX_FILE_LIMIT);
    } else {
      return host->error(host, err, -EINVAL,
                         "unknown log option '%.*s' (the file driver knows "
                         "max-size and max-file)",
                         (int)klen, opt);
    }
  }
  return 0;
}

static int open_log(struct lf_handle *h, wb_error *err)
{
  const struct wb_host *host = h->drv->host;
  int fd = openat(
      h->dirfd, LF_LOG_NAME,
      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
  if (fd < 0)
    return host->error(host, err, errno, "open %s/%s", h->dir, LF_LOG_NAME);
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return host->error(host, err, e, "stat %s/%s", h->dir, LF_LOG_NAME);
  }
  h->fd = fd;
  h->size = st.st_size;
  return 0;
}

static void free_handle(struct lf_handle *h)
{
  if (h->fd >= 0)
    close(h->fd);
  if (h->dirfd >= 0)
    close(h->dirfd);
  free(h->lines[0].data);
  free(h->lines[1].data);
  lf_buf_free(&h->out);
  free(h->dir);
  free(h);
}

int lf_open(void *driver, const struct wb_log_target *t, void **handle,
            wb_error *err)
{
  struct lf_driver *d = driver;
  const struct wb_host *host = d->host;
  struct lf_handle *h = calloc(1, sizeof *h);
  if (!h)
    return host->error(host, err, ENOMEM, "open log");
  h->drv = d;
  h->fd = h->dirfd = -1;
  h->max_size = d->max_size;
  h->max_file = d->max_file;
  h->dir = strdup(t->dir);
  int r = h->dir ? parse_options(h, t->options, err)
                 : host->error(host, err, ENOMEM, "open log");
  if (r == 0) {
    h->dirfd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (h->dirfd < 0)
      r = host->error(host, err, errno, "open %s", t->dir);
  }
  if (r == 0)
    r = open_log(h, err);
  if (r < 0) {
    free_handle(h);
    return r;
  }
  *handle = h;
  return 0;
}

/* container.log -> .1 -> ... -> .<max_file-1>; the oldest is dropped.
 * With max_file 1 the file is simply started afresh. */
static int rotate(struct lf_handle *h, wb_error *err)
{
  const struct wb_host *host = h->drv->host;
  char from[64], to[64];
  close(h->fd);
  h->fd = -1;
  long last = (long)h->max_file - 1;
  if (last == 0) {
    if (unlinkat(h->dirfd, LF_LOG_NAME, 0) < 0 && errno != ENOENT)
      return host->error(host, err, errno, "remove %s/%s", h->dir, LF_LOG_NAME);
    return open_log(h, err);
  }
  if (lf_file_name(to, sizeof to, last) < 0)
    return host->error(host, err, -ENAMETOOLONG, "rotate %s", h->dir);
  if (unlinkat(h->dirfd, to, 0) < 0 && errno != ENOENT)
    return host->error(host, err, errno, "remove %s/%s", h->dir, to);
  for (long i = last - 1; i >= 0; i--) {
    if (lf_file_name(from, sizeof from, i) < 0 ||
        lf_file_name(to, sizeof to, i + 1) < 0)
      return host->error(host, err, -ENAMETOOLONG, "rotate %s", h->dir);
    if (renameat(h->dirfd, from, h->dirfd, to) < 0 && errno != ENOENT)
      return host->error(host, err, errno, "rename %s/%s to %s", h->dir, from,
                         to);
  }
  return open_log(h, err);
}

/* Write all of p; *done says how much went out even on failure. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
  *done = 0;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
    *done += (size_t)w;
  }
  return 0;
}

/* Append the JSON line in h->out to container.log, rotating first when it
 * would cross max-size.  A line only partly written (the disk filled up in
 * its middle) is cut off again, so that the next one starts a line of its
 * own rather than ending a torn one. */
static int append_line(struct lf_handle *h, wb_error *err)
{
  const struct wb_host *host = h->drv->host;
  int r;
  /* Rotate before an entry would cross max-size, so files stay within it
   * (unless one entry alone is larger). */
  if (h->fd >= 0 && h->size > 0 &&
      h->size + (int64_t)h->out.len > h->max_size) {
    r = rotate(h, err);
    if (r < 0)
      return r;
  }
  if (h->fd < 0) {
    r = open_log(h, err);
    if (r < 0)
      return r;
  }
  size_t done;
  r = write_all(h->fd, h->out.data, h->out.len, &done);
  if (r < 0) {
    if (done > 0 && ftruncate(h->fd, h->size) < 0) {
      /* Cannot cut it: end the torn line, so the next entry is whole. */
      size_t nl;
      if (write_all(h->fd, "\n", 1, &nl) == 0)
        h->size += (int64_t)(done + 1);
    }
    return host->error(host, err, -r, "write %s/%s", h->dir, LF_LOG_NAME);
  }
  h->size += (int64_t)h->out.len;
  return 0;
}

/* The marker for the entries lost since the last write, in the log itself
 * (on stderr, where a reader looks for trouble), before the entry that
 * follows the gap. */
static int write_lost_marker(struct lf_handle *h, const struct timespec *ts,
                             wb_error *err)
{
  const struct wb_host *host = h->drv->host;
  struct tm tm;
  char since[32] = "?";
  if (gmtime_r(&h->lost_since.tv_sec, &tm))
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
  char text[256];
  int n = snprintf(text, sizeof text,
                   "whalebox: log-file: %lld %s lost since %s: %s\n",
                   (long long)h->lost, h->lost == 1 ? "line" : "lines", since,
                   strerror(h->lost_errno));
  h->out.len = 0;
  int r = lf_format_entry(&h->out, WB_STREAM_STDERR, ts, text,
                          n > 0 && (size_t)n < sizeof text ? (size_t)n
                                                           : strlen(text));
  if (r < 0)
    return host->error(host, err, -r, "format log entry");
  r = append_line(h, err);
  if (r == 0)
    h->lost = 0;
  return r;
}

/* One entry to the log.  If it cannot be written it is counted as lost,
 * and the marker goes before the next one that can. */
static int write_entry(struct lf_handle *h, int stream,
                       const struct timespec *ts, const char *text, size_t len,
                       wb_error *err)
{
  const struct wb_host *host = h->drv->host;
  int r = h->lost > 0 ? write_lost_marker(h, ts, err) : 0;
  if (r == 0) {
    h->out.len = 0;
    r = lf_format_entry(&h->out, stream, ts, text, len);
    if (r < 0)
      r = host->error(host, err, -r, "format log entry");
    else
      r = append_line(h, err);
  }
  if (r < 0 && h->lost++ == 0) {
    h->lost_errno = -r;
    h->lost_since = *ts;
  }
  return r;
}

int lf_write(void *handle, int stream, const struct timespec *ts,
             const void *buf, size_t len, wb_error *err)
{
  struct lf_handle *h = handle;
  const struct wb_host *host = h->drv->host;
  if (stream != WB_STREAM_STDOUT && stream != WB_STREAM_STDERR)
    return host->error(host, err, -EINVAL, "unknown stream %d", stream);
  struct timespec now;
  if (!ts) {
    clock_gettime(CLOCK_REALTIME, &now);
    ts = &now;
  }
  struct lf_line *l = &h->lines[stream - 1];
  const char *p = buf;
  /* An entry that cannot be written is counted (write_entry) and the
   * rest of the chunk still goes on: the first failure is returned. */
  int failed = 0;
  while (len > 0) {
    int r;
    if (l->len == LF_ENTRY_MAX) {
      /* A full buffer: the line goes on unless its newline comes next,
       * in which case it is one entry of exactly LF_ENTRY_MAX bytes. */
      size_t take = p[0] == '\n';
      if (take)
        l->data[l->len++] = '\n';
      p += take;
      len -= take;
      r = write_entry(h, stream, ts, l->data, l->len, err);
      l->len = 0;
      if (r < 0 && !failed)
        failed = r;
      continue;
    }
    size_t n = LF_ENTRY_MAX - l->len;
    if (n > len)
      n = len;
    const char *nl = memchr(p, '\n', n);
    if (nl)
      n = (size_t)(nl - p) + 1;
    if (nl && l->len == 0) {
      /* A whole line in the chunk: no copy needed. */
      r = write_entry(h, stream, ts, p, n, err);
    } else {
      /* Allocated on first use: a stream that only ever sends whole lines
       * never needs it. */
      if (!l->data && !(l->data = malloc(LF_ENTRY_MAX + 1)))
        return host->error(host, err, ENOMEM, "log line buffer");
      memcpy(l->data + l->len, p, n);
      l->len += n;
      r = 0;
      if (nl) {
        r = write_entry(h, stream, ts, l->data, l->len, err);
        l->len = 0;
      }
    }
    if (r < 0 && !failed)
      failed = r;
    p += n;
    len -= n;
  }
  return failed;
}

void lf_close(void *handle)
{
  struct lf_handle *h = handle;
  if (!h)
    return;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  /* Partial lines are kept as entries without their newline, as Docker
   * does when a container exits mid-line. */
  for (int s = 0; s < 2; s++) {
    if (h->lines[s].len == 0)
      continue;
    /* close() cannot report an error: log it instead. */
    int r =
        write_entry(h, s + 1, &now, h->lines[s].data, h->lines[s].len, NULL);
    if (r < 0)
      h->drv->host->log(h->drv->host, WB_LOG_WARN,
                        "%s: lost a partial line at close: %s", h->dir,
                        strerror(-r));
  }
  /* A gap at the very end: one last try at its marker, else say it where
   * the core keeps the driver's messages. */
  if (h->lost > 0 && write_lost_marker(h, &now, NULL) < 0)
    h->drv->host->log(h->drv->host, WB_LOG_WARN,
                      "%s: %lld lines lost at the end of the log: %s", h->dir,
                      (long long)h->lost, strerror(h->lost_errno));
  free_handle(h);
}
