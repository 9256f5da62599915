/* cgfs.c - cgroupfs file helpers (see cgfs.h). */
#include "cgfs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int cgfs_write_raw(const char *path, const char *value)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t len = strlen(value);
  /* cgroupfs parses one write(2) as one value: never split it. */
  ssize_t n = write(fd, value, len);
  if (n < 0)
    return -errno;
  if ((size_t)n != len)
    return -EIO;
  return 0;
}

int cgfs_write(const struct wb_host *h, const char *path, const char *value,
               wb_error *err)
{
  int r = cgfs_write_raw(path, value);
  if (r < 0)
    return h->error(h, err, -r, "write '%s' to %s", value, path);
  return 0;
}

int cgfs_read_raw(const char *path, char **out)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  size_t cap = 4096, len = 0;
  cleanup_free char *buf = malloc(cap);
  if (!buf)
    return -ENOMEM;
  for (;;) {
    if (len + 1 >= cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger)
        return -ENOMEM;
      buf = bigger;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (n == 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  *out = buf;
  buf = NULL;
  return 0;
}

int cgfs_read(const struct wb_host *h, const char *path, char **out,
              wb_error *err)
{
  int r = cgfs_read_raw(path, out);
  if (r < 0)
    return h->error(h, err, -r, "read %s", path);
  return 0;
}

char *cgfs_join(const char *a, const char *b)
{
  char *p;
  if (asprintf(&p, "%s/%s", a, b) < 0)
    return NULL;
  return p;
}

static bool valid_component(const char *s, size_t len)
{
  if (len == 0 || len > 255)
    return false;
  if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!isalnum(c) && c != '_' && c != '.' && c != '-')
      return false;
  }
  return true;
}

int cgfs_check_cgroup(const struct wb_host *h, const struct wb_cgroup *cg,
                      wb_error *err)
{
  if (!cg || cg->size < sizeof(struct wb_cgroup))
    return h->error(h, err, -EINVAL, "invalid struct wb_cgroup (size %u)",
                    cg ? cg->size : 0);
  if (!cg->id || !valid_component(cg->id, strlen(cg->id)))
    return h->error(h, err, -EINVAL,
                    "invalid cgroup id '%s': must be one name of "
                    "[A-Za-z0-9_.-], not '.' or '..'",
                    cg->id ? cg->id : "(null)");
  const char *p = cg->parent ? cg->parent : "";
  if (*p == '\0')
    return 0;
  for (const char *s = p;;) {
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    if (!valid_component(s, len))
      return h->error(h, err, -EINVAL,
                      "invalid cgroup parent '%s': must be relative names "
                      "of [A-Za-z0-9_.-] separated by '/', no '.' or '..'",
                      p);
    if (!slash)
      break;
    s = slash + 1;
  }
  return 0;
}

char *cgfs_cgroup_path_raw(const char *root, const struct wb_cgroup *cg)
{
  char *p;
  int n;
  if (cg->parent && *cg->parent)
    n = asprintf(&p, "%s/%s/%s", root, cg->parent, cg->id);
  else
    n = asprintf(&p, "%s/%s", root, cg->id);
  return n < 0 ? NULL : p;
}

int cgfs_cgroup_path(const struct wb_host *h, const char *root,
                     const struct wb_cgroup *cg, char **out, wb_error *err)
{
  int r = cgfs_check_cgroup(h, cg, err);
  if (r < 0)
    return r;
  char *p = cgfs_cgroup_path_raw(root, cg);
  if (!p)
    return h->error(h, err, ENOMEM, "cgroup path");
  *out = p;
  return 0;
}

int cgfs_parse_u64(const char *text, uint64_t *out)
{
  while (isspace((unsigned char)*text))
    text++;
  if (!isdigit((unsigned char)*text))
    return -EINVAL;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno)
    return -errno;
  while (isspace((unsigned char)*end))
    end++;
  if (*end)
    return -EINVAL;
  *out = v;
  return 0;
}

int cgfs_read_u64(const char *path, uint64_t *out)
{
  cleanup_free char *text = NULL;
  int r = cgfs_read_raw(path, &text);
  if (r < 0)
    return r;
  if (strncmp(text, "max", 3) == 0 &&
      (text[3] == '\0' || isspace((unsigned char)text[3]))) {
    *out = UINT64_MAX;
    return 0;
  }
  return cgfs_parse_u64(text, out);
}

int cgfs_read_key_u64(const char *path, const char *key, uint64_t *out)
{
  cleanup_free char *text = NULL;
  int r = cgfs_read_raw(path, &text);
  if (r < 0)
    return r;
  size_t klen = strlen(key);
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
      return cgfs_parse_u64(line + klen + 1, out);
    line = nl ? nl + 1 : NULL;
  }
  return -ENOENT;
}

bool cgfs_has_word(const char *list, const char *word)
{
  size_t wlen = strlen(word);
  for (const char *s = list; *s;) {
    while (isspace((unsigned char)*s))
      s++;
    const char *e = s;
    while (*e && !isspace((unsigned char)*e))
      e++;
    if ((size_t)(e - s) == wlen && strncmp(s, word, wlen) == 0)
      return true;
    s = e;
  }
  return false;
}

bool cgfs_valid_list(const char *text)
{
  if (!*text)
    return false;
  for (const char *s = text; *s; s++)
    if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-')
      return false;
  return true;
}

void cgfs_sleep_ms(unsigned ms)
{
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

int cgfs_kill_procs(const char *dir, int sig, unsigned *listed)
{
  cleanup_free char *procs = cgfs_join(dir, "cgroup.procs");
  cleanup_free char *text = NULL;
  if (!procs)
    return -ENOMEM;
  *listed = 0;
  int r = cgfs_read_raw(procs, &text);
  if (r < 0)
    return r;
  for (char *s = text; *s;) {
    char *end;
    long pid = strtol(s, &end, 10);
    if (end == s)
      break;
    s = end;
    while (*s == '\n')
      s++;
    if (pid <= 0)
      continue;
    (*listed)++;
    /* ESRCH: it exited since the read; nothing else can fail for root. */
    if (kill((pid_t)pid, sig) < 0 && errno != ESRCH)
      return -errno;
  }
  return 0;
}

/* Undo the octal escapes (\040 for space...) of a mountinfo path. */
static void unescape_octal(char *s)
{
  char *w = s;
  for (char *r = s; *r;) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
        r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 4;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
}

int cgfs_mountinfo_each(int (*cb)(void *arg, const char *mountpoint,
                                  const char *fstype, const char *superopts),
                        void *arg)
{
  cleanup_free char *text = NULL;
  int r = cgfs_read_raw("/proc/self/mountinfo", &text);
  if (r < 0)
    return r;
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    /* id parent maj:min root mountpoint opts [optional...] - fstype source
     * superopts */
    char *fields[6] = {0};
    char *save = NULL, *tok = strtok_r(line, " ", &save);
    int n = 0;
    while (tok && n < 6) {
      fields[n++] = tok;
      tok = strtok_r(NULL, " ", &save);
    }
    while (tok && strcmp(tok, "-") != 0)
      tok = strtok_r(NULL, " ", &save);
    char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
    char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
    char *superopts = source ? strtok_r(NULL, " ", &save) : NULL;
    if (n == 6 && fstype) {
      unescape_octal(fields[4]);
      r = cb(arg, fields[4], fstype, superopts ? superopts : "");
      if (r)
        return r;
    }
    line = nl ? nl + 1 : NULL;
  }
  return 0;
}
