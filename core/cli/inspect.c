/* inspect: a container's configuration and state as Docker-shaped JSON, or
 * fields of it picked with --format '{{.State.ExitCode}}'.  The template
 * language is only what scripts use: dotted paths and `json`, any number
 * of {{...}} with literal text around them. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../container/control.h"
#include "../container/lifecycle.h"
#include "../container/monitor.h"
#include "../container/tmpfs.h"
#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "../volume/volume.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox inspect [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Print a JSON array describing each container: Id, Name, Created, Path,\n"
    "Args, State, Config, HostConfig, GraphDriver, LogPath.  An image name\n"
    "that is no container is shown as `image inspect` would.\n"
    "\n"
    "Options:\n"
    "  -f, --format TEMPLATE  print TEMPLATE per container instead, where\n"
    "                         {{.State.ExitCode}} is a field and {{json "
    ".State}}\n"
    "                         a field as JSON\n"
    "      --type container   only look for containers\n"
    "  -h, --help             print this help\n";

/* Go's zero time, which docker prints for a time that never happened. */
static const char zero_time[] = "0001-01-01T00:00:00Z";

static json_t *strv_array(char **v, size_t from)
{
  json_t *a = json_array();
  size_t n = strv_len(v);
  for (size_t i = from; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static json_t *nullable(const char *s)
{
  return s ? json_string(s) : json_null();
}

/* HostConfig.LogConfig.Config: the --log-opt pairs. */
static json_t *log_config(char **opts)
{
  json_t *o = json_object();
  for (char **p = opts; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    if (!eq)
      continue;
    cleanup_free char *k = xstrndup(*p, (size_t)(eq - *p));
    json_object_set_new(o, k, json_string(eq + 1));
  }
  return o;
}

static json_t *binds_array(const struct wb_container *c)
{
  json_t *a = json_array();
  for (size_t i = 0; i < c->n_binds; i++)
    json_array_append_new(a, json_sprintf("%s:%s%s", c->binds[i].source,
                                          c->binds[i].target,
                                          c->binds[i].read_only ? ":ro" : ""));
  return a;
}

/* Docker's .Mounts: a volume (a bind of R/volumes/<name>/_data), a bind
 * of a host path, or a tmpfs. */
static json_t *mounts_array(const char *root, const struct wb_container *c)
{
  json_t *a = json_array();
  for (size_t i = 0; i < c->n_binds; i++) {
    const struct wb_bind *b = &c->binds[i];
    cleanup_free char *volume = wb_volume_of_source(root, b->source);
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", volume ? "volume" : "bind",
        "Source", b->source, "Destination", b->target, "Mode", "", "RW",
        !b->read_only, "Propagation", volume ? "" : "rprivate");
    if (volume) {
      json_object_set_new(m, "Name", json_string(volume));
      json_object_set_new(m, "Driver", json_string("local"));
    }
    json_array_append_new(a, m);
  }
  for (size_t i = 0; i < c->n_tmpfs; i++)
    json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type",
                                       "tmpfs", "Source", "", "Destination",
                                       c->tmpfs[i].target, "Mode", "", "RW",
                                       !wb_tmpfs_read_only(c->tmpfs[i].options),
                                       "Propagation", ""));
  return a;
}

/* HostConfig.Tmpfs: target -> options, as Docker shows --tmpfs. */
static json_t *tmpfs_map(const struct wb_container *c)
{
  json_t *o = json_object();
  for (size_t i = 0; i < c->n_tmpfs; i++)
    json_object_set_new(o, c->tmpfs[i].target,
                        json_string(c->tmpfs[i].options));
  return o;
}

static bool driver_is(const char *ref, const char *name)
{
  /* A recorded driver is its name, or the path of an out-of-tree .so. */
  if (!ref)
    return false;
  const char *base = strrchr(ref, '/');
  base = base ? base + 1 : ref;
  return strcmp(ref, name) == 0 || strstr(base, name) != NULL;
}

static json_t *graph_driver(const char *root, const struct wb_container *c)
{
  cleanup_free char *storage = NULL, *target = NULL;
  wb_container_rootfs(root, c, &storage, &target);
  /* The merged root is mounted only in the container's own mount
   * namespace: from the host it is reached through its first process. */
  cleanup_free char *merged =
      wb_container_running(c) ? xasprintf("/proc/%d/root", (int)c->pid) : NULL;
  json_t *data = json_object();
  if (driver_is(c->storage_driver, "overlay")) {
    size_t len = 1;
    for (char **l = c->layers; l && *l; l++)
      len += strlen(*l) + 1;
    cleanup_free char *lower = xzalloc(len);
    /* Overlay's lowerdir lists the top layer first. */
    for (size_t i = strv_len(c->layers); i > 0; i--) {
      if (*lower)
        strcat(lower, ":");
      strcat(lower, c->layers[i - 1]);
    }
    json_object_set_new(data, "LowerDir", json_string(lower));
    if (merged)
      json_object_set_new(data, "MergedDir", json_string(merged));
    json_object_set_new(data, "UpperDir", json_sprintf("%s/upper", storage));
    json_object_set_new(data, "WorkDir", json_sprintf("%s/work", storage));
  } else {
    json_object_set_new(data, "Dir", json_string(storage));
    if (merged)
      json_object_set_new(data, "MergedDir", json_string(merged));
  }
  return json_pack("{s:s?, s:o}", "Name", c->storage_driver, "Data", data);
}

static json_t *inspect_container(const char *root, const struct wb_container *c)
{
  const struct wb_limits *l = &c->limits;
  bool running = wb_container_running(c);
  uint64_t period = l->cpu_period_us ? l->cpu_period_us : 100000;
  json_int_t nano_cpus =
      l->cpu_quota_us > 0
          ? (json_int_t)((double)l->cpu_quota_us * 1e9 / (double)period)
          : 0;
  cleanup_free char *log_path =
      c->log_driver && driver_is(c->log_driver, "file")
          ? xasprintf("%s/log/container.log", c->dir)
          : xstrdup("");
  bool paused = running && c->paused;
  json_t *state =
      json_pack("{s:s, s:b, s:b, s:b, s:i, s:i, s:b, s:s, s:s, s:i}", "Status",
                paused ? "paused" : c->status, "Running", running, "Paused",
                paused, "Dead", 0, "Pid", running ? (int)c->pid : 0, "ExitCode",
                c->exit_code, "OOMKilled", c->oom_killed, "StartedAt",
                c->started_at ? c->started_at : zero_time, "FinishedAt",
                c->finished_at ? c->finished_at : zero_time, "MonitorPid",
                running ? (int)c->monitor_pid : 0);
  /* A failed start, else what went wrong with the log in the monitor. */
  cleanup_free char *log_error = c->error ? NULL : wb_monitor_last_error(c);
  json_object_set_new(state, "Error",
                      json_string(c->error    ? c->error
                                  : log_error ? log_error
                                              : ""));
  json_t *config =
      json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:b, s:b, s:o}", "Hostname",
                c->hostname ? c->hostname : "", "User", c->user ? c->user : "",
                "Env", strv_array(c->env, 0), "Cmd", strv_array(c->argv, 0),
                "Image", c->image_ref ? c->image_ref : "", "WorkingDir",
                c->workdir ? c->workdir : "", "Tty", c->tty, "OpenStdin",
                c->interactive, "Entrypoint", json_null());
  json_t *host = json_pack(
      "{s:o, s:{s:s, s:o}, s:b, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I,"
      " s:s, s:s, s:o}",
      "Binds", binds_array(c), "LogConfig", "Type",
      c->log_driver ? c->log_driver : "", "Config", log_config(c->log_opts),
      "AutoRemove", c->auto_remove, "ReadonlyRootfs", c->read_only,
      "CgroupParent", c->cgroup_parent ? c->cgroup_parent : "", "Memory",
      (json_int_t)l->memory, "MemorySwap", (json_int_t)l->memory_swap,
      "CpuShares", (json_int_t)l->cpu_shares, "NanoCpus", nano_cpus, "CpuQuota",
      (json_int_t)l->cpu_quota_us, "CpuPeriod", (json_int_t)l->cpu_period_us,
      "CpusetCpus", l->cpuset_cpus ? l->cpuset_cpus : "", "CpusetMems",
      l->cpuset_mems ? l->cpuset_mems : "", "PidsLimit",
      l->pids_limit ? json_integer(l->pids_limit) : json_null());
  json_object_set_new(host, "Tmpfs", tmpfs_map(c));
  size_t argc = strv_len(c->argv);
  /* Docker's Name has a leading slash. */
  cleanup_free char *name = xasprintf("/%s", c->name);
  json_t *j = json_pack(
      "{s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o,"
      " s:s, s:s, s:s, s:{s:s?, s:s?, s:s?}}",
      "Id", c->id, "Created", c->created ? c->created : zero_time, "Path",
      nullable(argc ? c->argv[0] : NULL), "Args", strv_array(c->argv, 1),
      "State", state, "Image",
      json_sprintf("sha256:%s", c->image_id ? c->image_id : ""), "Name", name,
      "ResolvConfPath", json_sprintf("%s/resolv.conf", c->dir), "HostnamePath",
      json_sprintf("%s/hostname", c->dir), "HostsPath",
      json_sprintf("%s/hosts", c->dir), "Config", config, "HostConfig", host,
      "GraphDriver", graph_driver(root, c), "LogPath", log_path, "Driver",
      c->storage_driver ? c->storage_driver : "", "Platform", "linux",
      "Drivers", "Storage", c->storage_driver, "Cgroup", c->cgroup_driver,
      "Log", c->log_driver);
  if (j)
    json_object_set_new(j, "Security", wb_security_to_json(&c->sec));
  if (j)
    json_object_set_new(j, "Mounts", mounts_array(root, c));
  return j;
}

/* A container whose state.json cannot be read: what is known without it,
 * and why the rest is not. */
static json_t *inspect_unreadable(const struct wb_container *c)
{
  cleanup_free char *name = c->name ? xasprintf("/%s", c->name) : xstrdup("");
  return json_pack("{s:s, s:s, s:{s:s, s:b, s:b, s:s}, s:{s:s?},"
                   " s:{s:s?, s:s?, s:s?}}",
                   "Id", c->id, "Name", name, "State", "Status", "unknown",
                   "Running", 0, "Paused", 0, "Error", c->unreadable,
                   "HostConfig", "CgroupParent", c->cgroup_parent, "Drivers",
                   "Storage", c->storage_driver, "Cgroup", c->cgroup_driver,
                   "Log", c->log_driver);
}

/* ---- the {{...}} selector ------------------------------------------------ */

/* Print v as Go's text/template would for the types inspect has. */
static void print_value(FILE *out, json_t *v)
{
  switch (json_typeof(v)) {
  case JSON_STRING:
    fwrite(json_string_value(v), 1, json_string_length(v), out);
    break;
  case JSON_INTEGER:
    fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    fprintf(out, "%g", json_real_value(v));
    break;
  case JSON_TRUE:
    fputs("true", out);
    break;
  case JSON_FALSE:
    fputs("false", out);
    break;
  case JSON_NULL:
    fputs("<no value>", out);
    break;
  default: {
    /* Go prints maps as map[k:v]; JSON is more useful and unambiguous. */
    json_dumpf(v, out, JSON_COMPACT | JSON_PRESERVE_ORDER);
  }
  }
}

/* Look up ".A.B" in root; "." alone is root. */
static int select_path(json_t *root, const char *path, json_t **out,
                       wb_error *err)
{
  if (path[0] != '.')
    return wb_error_set(err, -EINVAL,
                        "--format: '%s' is not a field (fields start with '.')",
                        path);
  json_t *v = root;
  const char *p = path + 1;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0)
      return wb_error_set(err, -EINVAL, "--format: bad field '%s'", path);
    cleanup_free char *key = xstrndup(p, n);
    if (!json_is_object(v))
      return wb_error_set(err, -EINVAL,
                          "--format: %s: cannot take field %s of a non-object",
                          path, key);
    json_t *next = json_object_get(v, key);
    if (!next) {
      /* Go matches struct fields exactly; be lenient on case. */
      const char *k;
      json_t *val;
      json_object_foreach(v, k, val)
      {
        if (strcasecmp(k, key) == 0) {
          next = val;
          break;
        }
      }
    }
    if (!next)
      return wb_error_set(err, -EINVAL, "--format: %s: no field \"%s\"", path,
                          key);
    v = next;
    p += n;
    if (*p == '.')
      p++;
  }
  *out = v;
  return 0;
}

/* One action between {{ and }}: ".A.B" or "json .A.B". */
static int render_action(FILE *out, json_t *root, const char *action,
                         wb_error *err)
{
  cleanup_free char *a = xstrdup(action);
  char *s = a, *e = a + strlen(a);
  while (*s == ' ' || *s == '\t')
    s++;
  /* {{- and -}} trim spaces in Go; accept and ignore the markers. */
  if (*s == '-' && (s[1] == ' ' || s[1] == '\0'))
    s++;
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  if (e > s && e[-1] == '-' && (e - 1 == s || e[-2] == ' '))
    e--;
  *e = '\0';
  while (*s == ' ')
    s++;
  bool as_json = false;
  if (strncmp(s, "json", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
    as_json = true;
    s += 4;
    while (*s == ' ' || *s == '\t')
      s++;
  }
  for (e = s; *e; e++)
    if (*e == ' ' || *e == '\t')
      return wb_error_set(err, -EINVAL,
                          "--format: unsupported template action {{%s}}: only "
                          "{{.Field.Path}} and {{json .Field}} are supported",
                          action);
  json_t *v;
  int r = select_path(root, s, &v, err);
  if (r < 0)
    return r;
  if (as_json)
    json_dumpf(v, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
  else
    print_value(out, v);
  return 0;
}

/* Render the whole template for one object into a memory buffer first, so
 * a bad template prints nothing. */
static int render(json_t *root, const char *tmpl, char **text, wb_error *err)
{
  size_t size = 0;
  cleanup_free char *buf = NULL;
  FILE *out = open_memstream(&buf, &size);
  if (!out)
    return wb_error_set(err, errno, "open_memstream");
  int r = 0;
  const char *p = tmpl;
  while (*p && r == 0) {
    const char *open = strstr(p, "{{");
    if (!open) {
      fputs(p, out);
      break;
    }
    fwrite(p, 1, (size_t)(open - p), out);
    const char *close = strstr(open + 2, "}}");
    if (!close) {
      r = wb_error_set(err, -EINVAL, "--format: unclosed {{ in '%s'", tmpl);
      break;
    }
    cleanup_free char *action = xstrndup(open + 2, (size_t)(close - open - 2));
    r = render_action(out, root, action, err);
    p = close + 2;
  }
  fclose(out);
  if (r < 0)
    return r;
  *text = steal_pointer(&buf);
  return 0;
}

/* ---- the command -------------------------------------------------------- */

static int lookup_image(struct wb_context *ctx, const char *ref, json_t **out)
{
  cleanup_image struct wb_image *img = NULL;
  json_t *doc = NULL;
  if (wb_image_lookup(ctx->root, ref, &img, NULL) < 0 ||
      wb_image_load_json(ctx->root, img->id, &doc, NULL) < 0)
    return -ENOENT;
  json_t *config = json_object_get(doc, "config");
  json_t *tags = json_array();
  for (char **t = img->tags; t && *t; t++)
    json_array_append_new(tags, json_string(*t));
  *out = json_pack("{s:o, s:o, s:s, s:I, s:O}", "Id",
                   json_sprintf("sha256:%s", img->id), "RepoTags", tags,
                   "Created", img->created, "Size", (json_int_t)img->size,
                   "Config", config ? config : json_null());
  json_decref(doc);
  return 0;
}

WB_COMMAND(inspect, "inspect", "Show details of containers (JSON)")
{
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"type", required_argument, NULL, 't'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *format = NULL;
  bool containers_only = false;
  int opt;
  while ((opt = wb_cli_getopt("inspect", argc, argv, "+f:h", opts, err)) !=
         -1) {
    switch (opt) {
    case 'f':
      format = optarg;
      break;
    case 't':
      if (strcmp(optarg, "container") != 0)
        return wb_error_set(err, -EINVAL,
                            "inspect: --type %s: only 'container' is "
                            "supported (see 'whalebox image inspect')",
                            optarg);
      containers_only = true;
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      return wb_cli_bad_flag("inspect", argv, err);
    }
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "inspect: requires at least 1 argument; see "
                        "'whalebox inspect --help'");
  json_t *all = json_array();
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_container struct wb_container *c = NULL;
    cleanup_error wb_error e = WB_ERROR_INIT;
    json_t *o = NULL;
    int r = wb_container_load_any(ctx->root, argv[i], &c, &e);
    if (r == 0 && c->unreadable) {
      o = inspect_unreadable(c);
    } else if (r == 0) {
      /* Its monitor may have recorded the end since we read it. */
      if (wb_container_end_unrecorded(c))
        wb_container_reload(ctx->root, &c, NULL);
      if (wb_container_end_unrecorded(c))
        wb_exit_record_apply(ctx->root, c);
      wb_container_refresh(c);
      o = inspect_container(ctx->root, c);
    } else if (r == -ENOENT && !containers_only &&
               lookup_image(ctx, argv[i], &o) == 0) {
      wb_error_clear(&e);
    } else {
      fprintf(stderr, "whalebox: %s\n", e.msg);
      ret = WB_EXIT_FAILURE;
      continue;
    }
    if (!format) {
      json_array_append_new(all, o);
      continue;
    }
    cleanup_free char *text = NULL;
    r = render(o, format, &text, err);
    json_decref(o);
    if (r < 0) {
      json_decref(all);
      return r;
    }
    printf("%s\n", text);
  }
  if (!format) {
    /* Like docker: what was found is printed even when something was not. */
    json_dumpf(all, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    putchar('\n');
  }
  json_decref(all);
  fflush(stdout);
  return ret;
}
