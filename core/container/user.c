/* user.c - -u USER[:GROUP] through the image's /etc/passwd and /etc/group.
 * We never call getpwnam(): that would consult the host's NSS modules. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "spawn.h"

/* The image's (or a running container's) account files: regular files
 * only, so a FIFO planted there cannot block us. */
static FILE *open_account_file(const char *path)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  FILE *f = NULL;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
    f = fdopen(fd, "r");
  if (!f)
    close(fd);
  return f;
}

static bool parse_id(const char *s, unsigned long *out)
{
  if (!s || !*s)
    return false;
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v > 0xfffffffeUL)
    return false;
  *out = v;
  return true;
}

/* Find a line of passwd (fields >= 7) or group (>= 4) whose name or id
 * matches; fields[] points into line. */
static bool find_entry(FILE *f, const char *name, unsigned long id, bool by_id,
                       int idfield, char *fields[], int nfields, char **line,
                       size_t *cap)
{
  while (getline(line, cap, f) > 0) {
    (*line)[strcspn(*line, "\n")] = '\0';
    for (int i = 0; i < nfields; i++)
      fields[i] = NULL;
    int n = 0;
    char *p = *line;
    for (; n < nfields; n++) {
      fields[n] = p;
      char *colon = strchr(p, ':');
      if (!colon) {
        n++;
        break;
      }
      *colon = '\0';
      p = colon + 1;
    }
    if (n < idfield + 1)
      continue;
    unsigned long v;
    if (by_id ? (parse_id(fields[idfield], &v) && v == id)
              : strcmp(fields[0], name) == 0)
      return true;
  }
  return false;
}

int wb_user_switch(const char *spec, char **home, wb_error *err)
{
  cleanup_free char *user = xstrdup(spec ? spec : "0");
  char *group = strchr(user, ':');
  if (group)
    *group++ = '\0';
  unsigned long uid = 0, gid = 0, v;
  bool uid_numeric = parse_id(user, &v);
  if (uid_numeric)
    uid = v;
  bool have_gid = false;
  char *fields[7] = {0};
  cleanup_free char *line = NULL;
  size_t cap = 0;
  cleanup_fclose FILE *pw = open_account_file("/etc/passwd");
  if (pw && find_entry(pw, user, uid, uid_numeric, 2, fields, 7, &line, &cap)) {
    parse_id(fields[2], &uid);
    if (parse_id(fields[3], &gid))
      have_gid = true;
    *home = xstrdup(fields[5] && *fields[5] ? fields[5] : "/");
  } else if (!uid_numeric) {
    return wb_error_set(err, -ENOENT,
                        "unable to find user %s: no matching entries in "
                        "passwd file",
                        user);
  } else {
    *home = xstrdup("/");
  }
  if (group) {
    bool gid_numeric = parse_id(group, &v);
    cleanup_fclose FILE *gr = open_account_file("/etc/group");
    if (gid_numeric)
      gid = v;
    else if (gr && find_entry(gr, group, 0, false, 2, fields, 4, &line, &cap))
      parse_id(fields[2], &gid);
    else
      return wb_error_set(err, -ENOENT,
                          "unable to find group %s: no matching entries in "
                          "group file",
                          group);
    have_gid = true;
  }
  if (!have_gid)
    gid = uid_numeric && !pw ? 0 : gid;

  /* Supplementary groups: every group in the image listing the user. */
  gid_t groups[64];
  size_t ngroups = 0;
  cleanup_fclose FILE *gr = open_account_file("/etc/group");
  const char *uname = uid_numeric ? NULL : user;
  while (gr && uname && ngroups < 64 && getline(&line, &cap, gr) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *f[4] = {0};
    char *p = line;
    int n = 0;
    for (; n < 4 && p; n++) {
      f[n] = p;
      p = strchr(p, ':');
      if (p)
        *p++ = '\0';
    }
    if (n < 4 || !f[3])
      continue;
    /* The file belongs to the container: bounded, each group once. */
    for (char *m = strtok(f[3], ","); m && ngroups < 64; m = strtok(NULL, ","))
      if (strcmp(m, uname) == 0 && parse_id(f[2], &v)) {
        groups[ngroups++] = (gid_t)v;
        break;
      }
  }
  /* EINVAL: an id the container's user namespace does not map (without
   * one, every id is valid). */
  if (setgroups(ngroups, groups) < 0)
    return errno == EINVAL ? wb_error_set(err, -EINVAL,
                                          "a supplementary group of %s is "
                                          "not mapped in the container's "
                                          "user namespace",
                                          user)
                           : wb_error_set(err, errno, "setgroups");
  if (setresgid(gid, gid, gid) < 0)
    return errno == EINVAL ? wb_error_set(err, -EINVAL,
                                          "gid %lu is not mapped in the "
                                          "container's user namespace",
                                          gid)
                           : wb_error_set(err, errno, "setgid %lu", gid);
  if (setresuid(uid, uid, uid) < 0)
    return errno == EINVAL ? wb_error_set(err, -EINVAL,
                                          "uid %lu is not mapped in the "
                                          "container's user namespace",
                                          uid)
                           : wb_error_set(err, errno, "setuid %lu", uid);
  return 0;
}
