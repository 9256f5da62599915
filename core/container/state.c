/* state.c - <root>/containers/<id>/state.json, or <root>/run/containers/<id>
 * for a transient container, and the name index <root>/run/names/<name>
 * (runroot.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "container.h"
#include "lock.h"
#include "tmpfs.h"

struct wb_container *wb_container_new(void)
{
  struct wb_container *c = xzalloc(sizeof *c);
  c->limits.size = sizeof c->limits;
  c->exit_code = -1;
  return c;
}

void wb_container_free(struct wb_container *c)
{
  free(c->id);
  free(c->name);
  free(c->dir);
  free(c->created);
  free(c->image_id);
  free(c->image_ref);
  strv_free(c->layers);
  strv_free(c->argv);
  strv_free(c->env);
  free(c->workdir);
  free(c->user);
  free(c->hostname);
  for (size_t i = 0; i < c->n_binds; i++) {
    free(c->binds[i].source);
    free(c->binds[i].target);
  }
  free(c->binds);
  wb_tmpfs_free(c->tmpfs, c->n_tmpfs);
  free((char *)c->limits.cpuset_cpus);
  free((char *)c->limits.cpuset_mems);
  free(c->storage_driver);
  free(c->cgroup_driver);
  free(c->cgroup_parent);
  free(c->log_driver);
  strv_free(c->log_opts);
  free(c->status);
  free(c->started_at);
  free(c->finished_at);
  free(c->error);
  free(c->unreadable);
  wb_security_clear(&c->sec);
  free(c);
}

char *wb_containers_dir(const char *root)
{
  return path_join(root, "containers");
}

char *wb_container_mount_point(const char *root)
{
  return path_join(root, "mnt");
}

static char *transient_dir(const char *root)
{
  cleanup_free char *run = wb_runroot(root);
  return path_join(run, "containers");
}

char *wb_containers_dir_for(const char *root, bool transient)
{
  return transient ? transient_dir(root) : wb_containers_dir(root);
}

static char *names_dir(const char *root)
{
  cleanup_free char *run = wb_runroot(root);
  return path_join(run, "names");
}

static char *state_dir_of(const char *root, const char *id, bool *transient);

/* Take `name` if it points to a container that is gone (its removal was
 * cut short between moving its state away and releasing the name, or an
 * older version claimed names before making the directory): such a name
 * is free.  Under a lock on names/ so that two claimers never both take
 * it; the common claim needs no lock. */
static bool take_dangling_name(const char *root, const char *dir,
                               const char *name, const char *id)
{
  cleanup_close int lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock < 0 || flock(lock, LOCK_EX) < 0)
    return false;
  cleanup_free char *link = path_join(dir, name);
  char holder[80];
  ssize_t n = readlink(link, holder, sizeof holder - 1);
  if (n != 64)
    return false;
  holder[n] = '\0';
  bool transient;
  cleanup_free char *sdir = state_dir_of(root, holder, &transient);
  if (sdir || !wb_container_id_valid(holder) || unlink(link) < 0)
    return false;
  return symlink(id, link) == 0;
}

int wb_container_claim_name(const char *root, const char *name, const char *id,
                            wb_error *err)
{
  int r = wb_runroot_ensure(root, true, err);
  if (r < 0)
    return r;
  cleanup_free char *dir = names_dir(root);
  cleanup_free char *link = path_join(dir, name);
  /* symlink() is atomic and fails on an existing name: no lock needed. */
  if (symlink(id, link) == 0)
    return 0;
  if (errno != EEXIST)
    return wb_error_set(err, errno, "claim name %s", name);
  if (take_dangling_name(root, dir, name, id))
    return 0;
  char holder[80] = "";
  ssize_t n = readlink(link, holder, sizeof holder - 1);
  holder[n > 0 ? n : 0] = '\0';
  return wb_error_set(err, -EEXIST,
                      "the container name \"%s\" is already in use by "
                      "container %.12s; remove it or choose another name",
                      name, holder);
}

void wb_container_release_name(const char *root, const char *name,
                               const char *id)
{
  cleanup_free char *dir = names_dir(root);
  cleanup_free char *link = path_join(dir, name);
  char holder[80];
  ssize_t n = readlink(link, holder, sizeof holder - 1);
  if (n < 0)
    return;
  holder[n] = '\0';
  if (strcmp(holder, id) == 0)
    unlink(link);
}

static json_t *strv_json(char **v)
{
  if (!v)
    return json_null();
  json_t *a = json_array();
  for (; *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

static char **json_strv(json_t *a)
{
  if (!json_is_array(a))
    return NULL;
  char **v = xzalloc(sizeof(char *));
  size_t i;
  json_t *s;
  json_array_foreach(a, i, s) if (json_is_string(s))
      strv_push(&v, json_string_value(s));
  return v;
}

static char *json_dup(json_t *o, const char *key)
{
  const char *s = json_string_value(json_object_get(o, key));
  return s ? xstrdup(s) : NULL;
}

static json_t *to_json(const struct wb_container *c)
{
  json_t *binds = json_array();
  for (size_t i = 0; i < c->n_binds; i++)
    json_array_append_new(binds, json_pack("{s:s, s:s, s:b}", "Source",
                                           c->binds[i].source, "Target",
                                           c->binds[i].target, "ReadOnly",
                                           c->binds[i].read_only));
  const struct wb_limits *l = &c->limits;
  return json_pack(
      "{s:s, s:s, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:o,"
      " s:{s:s?, s:s?, s:b, s:b, s:b, s:b, s:b},"
      " s:{s:I, s:I, s:I, s:I, s:I, s:s?, s:s?, s:I},"
      " s:o, s:{s:s, s:s, s:s?, s:s, s:o},"
      " s:{s:s, s:i, s:I, s:i, s:I, s:i, s:b, s:s?, s:s?}}",
      "Id", c->id, "Name", c->name, "Created", c->created, "ImageID",
      c->image_id, "Image", c->image_ref, "Layers", strv_json(c->layers),
      "Args", strv_json(c->argv), "Env", strv_json(c->env), "Binds", binds,
      "Config", "WorkingDir", c->workdir, "User", c->user, "Tty", c->tty,
      "OpenStdin", c->interactive, "Detach", c->detach, "AutoRemove",
      c->auto_remove, "ReadOnly", c->read_only, "Limits", "Memory",
      (json_int_t)l->memory, "MemorySwap", (json_int_t)l->memory_swap,
      "CpuShares", (json_int_t)l->cpu_shares, "CpuQuota",
      (json_int_t)l->cpu_quota_us, "CpuPeriod", (json_int_t)l->cpu_period_us,
      "CpusetCpus", l->cpuset_cpus, "CpusetMems", l->cpuset_mems, "PidsLimit",
      (json_int_t)l->pids_limit, "Hostname",
      c->hostname ? json_string(c->hostname) : json_null(), "Drivers",
      "Storage", c->storage_driver, "Cgroup", c->cgroup_driver, "Log",
      c->log_driver, "CgroupParent", c->cgroup_parent, "LogOpts",
      strv_json(c->log_opts), "State", "Status", c->status, "Pid", (int)c->pid,
      "StartTime", (json_int_t)c->start_time, "MonitorPid", (int)c->monitor_pid,
      "MonitorStartTime", (json_int_t)c->monitor_start_time, "ExitCode",
      c->exit_code, "OOMKilled", c->oom_killed, "StartedAt", c->started_at,
      "FinishedAt", c->finished_at);
}

/* State.Paused and State.PausedBy (who will thaw it), beside the fields
 * of to_json. */
static void pause_to_json(json_t *state, const struct wb_container *c)
{
  json_object_set_new(state, "Paused", json_boolean(c->paused));
  if (c->paused && c->pause_pid > 0)
    json_object_set_new(state, "PausedBy",
                        json_pack("{s:i, s:I}", "Pid", (int)c->pause_pid,
                                  "StartTime",
                                  (json_int_t)c->pause_start_time));
}

static void pause_from_json(struct wb_container *c, json_t *state)
{
  c->paused = json_is_true(json_object_get(state, "Paused"));
  json_t *by = json_object_get(state, "PausedBy");
  c->pause_pid = (pid_t)json_integer_value(json_object_get(by, "Pid"));
  c->pause_start_time = json_integer_value(json_object_get(by, "StartTime"));
}

/* Rewrite state.json in place, under an exclusive flock on the file that
 * readers share (wb_container_read_state): no new inode and no rename.
 * On ext4 a rename over an existing file also forces the new data to disk
 * (auto_da_alloc), which then costs a discard when the container goes.
 * Padded with spaces to the old size so no truncation is needed, and kept
 * to one page so that being killed midway cannot leave half of it: one
 * pwrite of one page is copied whole.  1 when the file must be replaced
 * instead (missing or too big).
 *
 * `full_disk`: there is no room for a new copy, so this is the only way
 * to record the state (an exit code, say).  Then the file may use every
 * block it already has, although a kill in the middle of a write of more
 * than a page could tear it, and the write is made durable (fdatasync),
 * as the replacement it stands for would have been. */
static int save_in_place(const char *path, const char *text, size_t len,
                         bool full_disk, wb_error *err)
{
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 1 : wb_error_set(err, errno, "open %s", path);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return wb_error_set(err, errno, "lock %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wb_error_set(err, errno, "stat %s", path);
  size_t size = len > (size_t)st.st_size ? len : (size_t)st.st_size;
  long page = sysconf(_SC_PAGESIZE);
  size_t limit = (size_t)(page > 0 ? page : 4096);
  if (full_disk && (size_t)st.st_blocks * 512 > limit)
    limit = (size_t)st.st_blocks * 512;
  if (size > limit)
    return 1;
  cleanup_free char *buf = xmalloc(size);
  memcpy(buf, text, len);
  memset(buf + len, ' ', size - len);
  ssize_t n = pwrite(fd, buf, size, 0);
  if (n < 0)
    return wb_error_set(err, errno, "write %s", path);
  if ((size_t)n != size)
    return wb_error_set(err, -EIO, "write %s: short write", path);
  if (full_disk && fdatasync(fd) < 0)
    return wb_error_set(err, errno, "sync %s", path);
  return 0;
}

/* Replace state.json (durable: fsync and rename), or, when the disk has no
 * room for the new copy, rewrite it in place: a full disk must not lose
 * the exit code of a container that ends meanwhile. */
static int save_replacing(const char *path, const char *text, bool durable,
                          wb_error *err)
{
  size_t len = strlen(text);
  cleanup_error wb_error full = WB_ERROR_INIT;
  int r = write_file_atomic(path, text, len, durable, &full);
  if (r == 0)
    return 0;
  if (r == -ENOSPC || r == -EDQUOT) {
    r = save_in_place(path, text, len, true, err);
    if (r <= 0)
      return r;
  }
  return wb_error_set(err, -full.code, "%s", full.msg);
}

int wb_container_save(const struct wb_container *c, bool durable, wb_error *err)
{
  json_t *j = to_json(c);
  if (!j)
    return wb_error_set(err, -EINVAL, "container %s: cannot encode state",
                        c->id);
  json_object_set_new(j, "Security", wb_security_to_json(&c->sec));
  json_object_set_new(j, "Tmpfs", wb_tmpfs_to_json(c->tmpfs, c->n_tmpfs));
  if (c->error)
    json_object_set_new(json_object_get(j, "State"), "Error",
                        json_string(c->error));
  pause_to_json(json_object_get(j, "State"), c);
  cleanup_free char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  cleanup_free char *path = path_join(c->dir, "state.json");
  /* Writers hold the container's lock (lock.h), the directory's flock, so
   * two commands never interleave; one that does not hold it yet takes it
   * for the write.  Readers take a shared lock on the file (an in-place
   * rewrite) and are indifferent to a rename (atomic). */
  cleanup_close int lock = -1;
  if (!wb_container_lock_held(c->id)) {
    lock = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0)
      return wb_error_set(err, errno, "open %s", c->dir);
    while (flock(lock, LOCK_EX) < 0)
      if (errno != EINTR)
        return wb_error_set(err, errno, "lock %s", c->dir);
  }
  /* A durable save keeps the rename: it must survive a crash of the host,
   * which an in-place rewrite cannot promise. */
  if (!durable) {
    int r = save_in_place(path, text, strlen(text), false, err);
    if (r <= 0)
      return r;
  }
  return save_replacing(path, text, durable, err);
}

int wb_container_read_state(const char *path, char **text, size_t *len,
                            wb_error *err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "open %s", path);
  while (flock(fd, LOCK_SH) < 0)
    if (errno != EINTR)
      return wb_error_set(err, errno, "lock %s", path);
  return read_fd(fd, path, text, len, err);
}

json_t *wb_container_state_json(const char *path)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (wb_container_read_state(path, &text, &len, NULL) < 0)
    return NULL;
  return json_loadb(text, len, 0, NULL);
}

static int from_json(struct wb_container *c, json_t *j)
{
  c->id = json_dup(j, "Id");
  c->name = json_dup(j, "Name");
  if (!c->id || !c->name)
    return -EINVAL;
  c->created = json_dup(j, "Created");
  c->image_id = json_dup(j, "ImageID");
  c->image_ref = json_dup(j, "Image");
  c->layers = json_strv(json_object_get(j, "Layers"));
  c->argv = json_strv(json_object_get(j, "Args"));
  c->env = json_strv(json_object_get(j, "Env"));
  c->hostname = json_dup(j, "Hostname");
  json_t *cfg = json_object_get(j, "Config");
  c->workdir = json_dup(cfg, "WorkingDir");
  c->user = json_dup(cfg, "User");
  c->tty = json_is_true(json_object_get(cfg, "Tty"));
  c->interactive = json_is_true(json_object_get(cfg, "OpenStdin"));
  c->detach = json_is_true(json_object_get(cfg, "Detach"));
  c->auto_remove = json_is_true(json_object_get(cfg, "AutoRemove"));
  c->read_only = json_is_true(json_object_get(cfg, "ReadOnly"));
  json_t *binds = json_object_get(j, "Binds");
  size_t i;
  json_t *b;
  c->binds = xzalloc((json_array_size(binds) + 1) * sizeof *c->binds);
  json_array_foreach(binds, i, b)
  {
    c->binds[i].source = json_dup(b, "Source");
    c->binds[i].target = json_dup(b, "Target");
    c->binds[i].read_only = json_is_true(json_object_get(b, "ReadOnly"));
    c->n_binds++;
  }
  json_t *l = json_object_get(j, "Limits");
  c->limits.memory = json_integer_value(json_object_get(l, "Memory"));
  c->limits.memory_swap = json_integer_value(json_object_get(l, "MemorySwap"));
  c->limits.cpu_shares = json_integer_value(json_object_get(l, "CpuShares"));
  c->limits.cpu_quota_us = json_integer_value(json_object_get(l, "CpuQuota"));
  c->limits.cpu_period_us = json_integer_value(json_object_get(l, "CpuPeriod"));
  c->limits.cpuset_cpus = json_dup(l, "CpusetCpus");
  c->limits.cpuset_mems = json_dup(l, "CpusetMems");
  c->limits.pids_limit = json_integer_value(json_object_get(l, "PidsLimit"));
  json_t *d = json_object_get(j, "Drivers");
  c->storage_driver = json_dup(d, "Storage");
  c->cgroup_driver = json_dup(d, "Cgroup");
  c->log_driver = json_dup(d, "Log");
  c->cgroup_parent = json_dup(d, "CgroupParent");
  c->log_opts = json_strv(json_object_get(d, "LogOpts"));
  wb_security_from_json(&c->sec, json_object_get(j, "Security"));
  wb_tmpfs_from_json(json_object_get(j, "Tmpfs"), &c->tmpfs, &c->n_tmpfs);
  json_t *s = json_object_get(j, "State");
  c->status = json_dup(s, "Status");
  c->pid = json_integer_value(json_object_get(s, "Pid"));
  c->start_time = json_integer_value(json_object_get(s, "StartTime"));
  c->monitor_pid = json_integer_value(json_object_get(s, "MonitorPid"));
  c->monitor_start_time =
      json_integer_value(json_object_get(s, "MonitorStartTime"));
  c->exit_code = json_integer_value(json_object_get(s, "ExitCode"));
  c->oom_killed = json_is_true(json_object_get(s, "OOMKilled"));
  c->started_at = json_dup(s, "StartedAt");
  c->finished_at = json_dup(s, "FinishedAt");
  c->error = json_dup(s, "Error");
  pause_from_json(c, s);
  if (!c->status)
    c->status = xstrdup("created");
  return 0;
}

/* The state directory of container `id`: on disk first (most containers
 * are there, and a transient one never is), else in the runroot.  NULL
 * when neither exists. */
static char *state_dir_of(const char *root, const char *id, bool *transient)
{
  struct stat st;
  cleanup_free char *cdir = wb_containers_dir(root);
  char *dir = path_join(cdir, id);
  if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
    *transient = false;
    return dir;
  }
  free(dir);
  cleanup_free char *tdir = transient_dir(root);
  dir = path_join(tdir, id);
  if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
    *transient = true;
    return dir;
  }
  free(dir);
  return NULL;
}

/* Parse <dir>/state.json.  -EBADMSG, with *why (no "container X" in it),
 * when it cannot be read: missing (a create cut short), empty, garbage. */
static int load_at(const char *dir, bool transient, struct wb_container **out,
                   char **why)
{
  cleanup_free char *path = path_join(dir, "state.json");
  cleanup_free char *text = NULL;
  cleanup_error wb_error rerr = WB_ERROR_INIT;
  int r = wb_container_read_state(path, &text, NULL, &rerr);
  if (r == -ENOENT) {
    *why = xasprintf("%s is missing (its creation was interrupted)", path);
    return -EBADMSG;
  }
  if (r < 0) {
    *why = xstrdup(rerr.msg);
    return -EBADMSG;
  }
  json_error_t jerr;
  json_t *j = json_loads(text, 0, &jerr);
  if (!j) {
    *why = xasprintf("%s: %s", path, jerr.text);
    return -EBADMSG;
  }
  cleanup_container struct wb_container *c = wb_container_new();
  r = from_json(c, j);
  json_decref(j);
  if (r < 0) {
    *why = xasprintf("%s: incomplete state", path);
    return -EBADMSG;
  }
  c->dir = xstrdup(dir);
  c->transient = transient;
  *out = steal_pointer(&c);
  return 0;
}

static int unreadable_error(const char *ref, const char *why, wb_error *err)
{
  return wb_error_set(err, -EBADMSG,
                      "container %s has an unreadable state (%s); "
                      "'whalebox rm -f %s' removes it",
                      ref, why, ref);
}

int wb_container_load_id(const char *root, const char *id,
                         struct wb_container **out, wb_error *err)
{
  bool transient = false;
  cleanup_free char *dir = state_dir_of(root, id, &transient);
  if (!dir)
    return wb_error_set(err, -ENOENT, "no such container: %s", id);
  cleanup_free char *why = NULL;
  int r = load_at(dir, transient, out, &why);
  return r < 0 ? unreadable_error(id, why, err) : 0;
}

static bool is_hex(const char *s)
{
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

bool wb_container_id_valid(const char *s)
{
  return strlen(s) == 64 && is_hex(s);
}

#define TRASH_PREFIX ".trash-"

char *wb_container_trash_path(const struct wb_container *c)
{
  cleanup_free char *parent = xstrdup(c->dir);
  *strrchr(parent, '/') = '\0';
  return xasprintf("%s/" TRASH_PREFIX "%s", parent, c->id);
}

/* Finish the removal of <cdir>/.trash-<id> that a killed `rm` (or run
 * --rm) left: its name, then the rest.  Skipped while its remover still
 * holds its lock. */
static void sweep_trash(const char *root, const char *cdir, const char *entry)
{
  cleanup_free char *path = path_join(cdir, entry);
  cleanup_close int lock = wb_dir_trylock(path);
  if (lock < 0)
    return;
  cleanup_free char *state = path_join(path, "state.json");
  json_t *j = wb_container_state_json(state);
  const char *name = json_string_value(json_object_get(j, "Name"));
  if (name)
    wb_container_release_name(root, name, entry + strlen(TRASH_PREFIX));
  json_decref(j);
  rm_rf(path, NULL);
}

static int list_in(const char *root, const char *cdir, char ***dirs,
                   wb_error *err)
{
  cleanup_dir DIR *d = opendir(cdir);
  if (!d)
    return errno == ENOENT ? 0 : wb_error_set(err, errno, "open %s", cdir);
  cleanup_strv char **trash = NULL;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (wb_container_id_valid(de->d_name)) {
      cleanup_free char *dir = path_join(cdir, de->d_name);
      strv_push(dirs, dir);
    } else if (strncmp(de->d_name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0 &&
               wb_container_id_valid(de->d_name + strlen(TRASH_PREFIX))) {
      strv_push(&trash, de->d_name);
    }
  }
  for (char **t = trash; t && *t; t++)
    sweep_trash(root, cdir, *t);
  return 0;
}

int wb_container_list_dirs(const char *root, char ***dirs, wb_error *err)
{
  *dirs = xzalloc(sizeof(char *));
  cleanup_free char *cdir = wb_containers_dir(root);
  cleanup_free char *tdir = transient_dir(root);
  int r = list_in(root, cdir, dirs, err);
  return r < 0 ? r : list_in(root, tdir, dirs, err);
}

int wb_container_list_ids(const char *root, char ***ids, wb_error *err)
{
  cleanup_strv char **dirs = NULL;
  int r = wb_container_list_dirs(root, &dirs, err);
  *ids = xzalloc(sizeof(char *));
  for (char **p = dirs; r == 0 && *p; p++)
    strv_push(ids, strrchr(*p, '/') + 1);
  return r;
}

/* The container a name points to, when it exists. */
static char *by_name(const char *root, const char *ref, char **dir)
{
  cleanup_free char *ndir = names_dir(root);
  cleanup_free char *link = path_join(ndir, ref);
  char id[80];
  ssize_t n = readlink(link, id, sizeof id - 1);
  if (n != 64)
    return NULL;
  id[n] = '\0';
  bool transient;
  *dir = state_dir_of(root, id, &transient);
  return *dir ? xstrdup(id) : NULL;
}

static int by_prefix(const char *root, const char *ref, char **id,
                     wb_error *err)
{
  cleanup_strv char **ids = NULL;
  int r = wb_container_list_ids(root, &ids, err);
  if (r < 0)
    return r;
  const char *found = NULL;
  size_t len = strlen(ref);
  for (char **p = ids; *p; p++) {
    if (strncmp(*p, ref, len) != 0)
      continue;
    if (found)
      return wb_error_set(err, -EINVAL, "container id prefix %s is ambiguous",
                          ref);
    found = *p;
  }
  if (!found)
    return wb_error_set(err, -ENOENT, "no such container: %s", ref);
  *id = xstrdup(found);
  return 0;
}

int wb_container_resolve(const char *root, const char *ref, char **id,
                         char **dir, wb_error *err)
{
  if (!*ref || strchr(ref, '/') || strcmp(ref, ".") == 0 ||
      strcmp(ref, "..") == 0)
    return wb_error_set(err, -ENOENT, "no such container: %s", ref);
  int r = wb_runroot_ensure(root, false, err);
  if (r < 0)
    return r;
  if (r > 0)
    return wb_error_set(err, -ENOENT, "no such container: %s", ref);
  /* Name first (exact), then full id, then unique id prefix. */
  *id = by_name(root, ref, dir);
  if (*id)
    return 0;
  if (!is_hex(ref))
    return wb_error_set(err, -ENOENT, "no such container: %s", ref);
  cleanup_free char *found = NULL;
  if (strlen(ref) == 64)
    found = xstrdup(ref);
  else if ((r = by_prefix(root, ref, &found, err)) < 0)
    return r;
  bool transient;
  *dir = state_dir_of(root, found, &transient);
  if (!*dir)
    return wb_error_set(err, -ENOENT, "no such container: %s", ref);
  *id = steal_pointer(&found);
  return 0;
}

static bool is_transient_dir(const char *root, const char *dir)
{
  cleanup_free char *tdir = transient_dir(root);
  size_t n = strlen(tdir);
  return strncmp(dir, tdir, n) == 0 && dir[n] == '/';
}

char *wb_container_indexed_name(const char *root, const char *id)
{
  cleanup_free char *ndir = names_dir(root);
  cleanup_dir DIR *d = opendir(ndir);
  if (!d)
    return NULL;
  struct dirent *de;
  while ((de = readdir(d))) {
    char target[80];
    ssize_t n = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
    if (n == 64 && memcmp(target, id, 64) == 0)
      return xstrdup(de->d_name);
  }
  return NULL;
}

struct wb_container *wb_container_unreadable(const char *root, const char *dir,
                                             const char *why)
{
  struct wb_container *c = wb_container_new();
  c->dir = xstrdup(dir);
  c->id = xstrdup(strrchr(dir, '/') + 1);
  c->transient = is_transient_dir(root, dir);
  c->status = xstrdup("unknown");
  c->unreadable = xstrdup(why);
  c->name = wb_container_indexed_name(root, c->id);
  wb_sidecar_read(dir, c);
  return c;
}

static int load_resolved(const char *root, const char *ref, bool any,
                         struct wb_container **out, wb_error *err)
{
  cleanup_free char *id = NULL, *dir = NULL, *why = NULL;
  int r = wb_container_resolve(root, ref, &id, &dir, err);
  if (r < 0)
    return r;
  r = load_at(dir, is_transient_dir(root, dir), out, &why);
  if (r == 0)
    return 0;
  if (!any)
    return unreadable_error(ref, why, err);
  *out = wb_container_unreadable(root, dir, why);
  return 0;
}

int wb_container_load(const char *root, const char *ref,
                      struct wb_container **out, wb_error *err)
{
  return load_resolved(root, ref, false, out, err);
}

int wb_container_load_any(const char *root, const char *ref,
                          struct wb_container **out, wb_error *err)
{
  return load_resolved(root, ref, true, out, err);
}

struct wb_container *wb_container_unreadable_at(const char *root,
                                                const char *dir)
{
  cleanup_free char *why = NULL;
  struct wb_container *c = NULL;
  if (load_at(dir, is_transient_dir(root, dir), &c, &why) == 0)
    return c; /* readable now: it was being written */
  if (access(dir, F_OK) < 0)
    return NULL; /* removed meanwhile */
  cleanup_free char *state = path_join(dir, "state.json");
  if (access(state, F_OK) < 0 && errno == ENOENT) {
    /* Being created (its creator holds its lock), or left so by a create
     * that was killed. */
    cleanup_close int lock = wb_dir_trylock(dir);
    if (lock < 0)
      return NULL;
  }
  return wb_container_unreadable(root, dir, why);
}
