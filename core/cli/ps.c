/* ps: list containers.  One read of state.json per container and no driver
 * loaded, so a thousand containers list quickly; liveness is checked with
 * pid plus start time (wb_container_refresh), so a stale pid never shows a
 * dead container as running. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../container/control.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/timefmt.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox ps [OPTIONS]\n"
    "\n"
    "List containers (running ones unless -a), newest first.\n"
    "\n"
    "Options:\n"
    "  -a, --all             show all containers, not only running ones\n"
    "  -q, --quiet           print only the container ids\n"
    "      --no-trunc        do not shorten ids and commands\n"
    "      --format FORMAT   table (default) or json (one object per line)\n"
    "  -f, --filter K=V      status=created|running|paused|exited|unknown,\n"
    "                        name=NAME or id=PREFIX (repeatable; same key:\n"
    "                        any matches)\n"
    "  -h, --help            print this help\n";

/* What a line of ps needs from one container. */
struct ps_row {
  struct wb_container *c;
  char *command; /* quoted, maybe truncated */
};

static void read_pause(struct wb_container *c, json_t *st)
{
  c->paused = json_is_true(json_object_get(st, "Paused"));
  json_t *by = json_object_get(st, "PausedBy");
  c->pause_pid = (pid_t)json_integer_value(json_object_get(by, "Pid"));
  c->pause_start_time = json_integer_value(json_object_get(by, "StartTime"));
}

/* Only the fields ps shows: a full load would copy the whole state.  A
 * state that cannot be read is listed too, as "unknown" with the reason:
 * a container must never be invisible while its processes, cgroup and
 * name are there.  NULL when it is no container (removed meanwhile, or
 * still being created). */
static struct wb_container *read_brief(const char *root, const char *dir_path)
{
  cleanup_free char *dir = xstrdup(dir_path);
  const char *id = strrchr(dir, '/') + 1;
  cleanup_free char *path = path_join(dir, "state.json");
  /* One read and an in-memory parse: json_load_file reads a byte at a
   * time, which dominated ps with many containers. */
  cleanup_free char *text = NULL;
  size_t len = 0;
  json_t *j = NULL;
  if (wb_container_read_state(path, &text, &len, NULL) == 0)
    j = json_loadb(text, len, 0, NULL);
  if (!j || !json_is_string(json_object_get(j, "Name"))) {
    json_decref(j);
    return wb_container_unreadable_at(root, dir);
  }
  struct wb_container *c = wb_container_new();
  const char *s;
  c->id = xstrdup(id);
  c->dir = steal_pointer(&dir);
  if ((s = json_string_value(json_object_get(j, "Name"))))
    c->name = xstrdup(s);
  if ((s = json_string_value(json_object_get(j, "Created"))))
    c->created = xstrdup(s);
  if ((s = json_string_value(json_object_get(j, "Image"))))
    c->image_ref = xstrdup(s);
  c->argv = xzalloc(sizeof(char *));
  size_t i;
  json_t *a;
  json_array_foreach(json_object_get(j, "Args"), i, a)
  {
    if (json_is_string(a))
      strv_push(&c->argv, json_string_value(a));
  }
  json_t *st = json_object_get(j, "State");
  s = json_string_value(json_object_get(st, "Status"));
  c->status = xstrdup(s ? s : "created");
  c->pid = (pid_t)json_integer_value(json_object_get(st, "Pid"));
  c->start_time = json_integer_value(json_object_get(st, "StartTime"));
  c->monitor_pid = (pid_t)json_integer_value(json_object_get(st, "MonitorPid"));
  c->monitor_start_time =
      json_integer_value(json_object_get(st, "MonitorStartTime"));
  json_t *code = json_object_get(st, "ExitCode");
  c->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : -1;
  if ((s = json_string_value(json_object_get(st, "StartedAt"))))
    c->started_at = xstrdup(s);
  if ((s = json_string_value(json_object_get(st, "FinishedAt"))))
    c->finished_at = xstrdup(s);
  read_pause(c, st);
  c->auto_remove =
      json_is_true(json_object_get(json_object_get(j, "Config"), "AutoRemove"));
  json_decref(j);
  return c;
}

static struct wb_container *load_brief(const char *root, const char *dir_path)
{
  struct wb_container *c = read_brief(root, dir_path);
  /* Read as running, found ended with its monitor gone: the monitor may
   * have recorded the end between our read and our look, so read again
   * before calling its exit code unknown. */
  if (c && !c->unreadable && wb_container_end_unrecorded(c)) {
    wb_container_free(c);
    c = read_brief(root, dir_path);
    /* Or it could not write it (a full disk): its record in memory. */
    if (c && !c->unreadable && wb_container_end_unrecorded(c))
      wb_exit_record_apply(root, c);
  }
  if (c && !c->unreadable)
    wb_container_refresh(c);
  return c;
}

/* The state as ps shows and filters it: Docker's, with "unknown" for a
 * state that cannot be read. */
static const char *state_of(const struct wb_container *c)
{
  if (c->unreadable)
    return "unknown";
  if (wb_container_running(c) && c->paused)
    return "paused";
  return c->status;
}

/* Columns count characters, not bytes: "…" is one. */
static size_t display_width(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      n++;
  return n;
}

/* Go's strconv.Quote, as docker prints COMMAND, for the ASCII that matters;
 * other bytes (UTF-8) pass through. */
static void quote_append(char **out, size_t *len, size_t *cap, const char *s)
{
  for (; *s; s++) {
    char tmp[8];
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      snprintf(tmp, sizeof tmp, "\\%c", ch);
    else if (ch == '\n')
      snprintf(tmp, sizeof tmp, "\\n");
    else if (ch == '\t')
      snprintf(tmp, sizeof tmp, "\\t");
    else if (ch < 0x20 || ch == 0x7f)
      snprintf(tmp, sizeof tmp, "\\x%02x", ch);
    else
      snprintf(tmp, sizeof tmp, "%c", ch);
    size_t n = strlen(tmp);
    if (*len + n + 2 > *cap) {
      *cap = (*cap + n + 2) * 2;
      *out = xrealloc(*out, *cap);
    }
    memcpy(*out + *len, tmp, n + 1);
    *len += n;
  }
}

/* "sh -c 'echo hi; ech…" like docker: 20 characters, then an ellipsis. */
static char *format_command(char **argv, bool trunc)
{
  size_t len = 0, cap = 64;
  char *joined = xzalloc(cap);
  for (char **a = argv; a && *a; a++) {
    size_t n = strlen(*a);
    if (len + n + 2 > cap) {
      cap = (len + n + 2) * 2;
      joined = xrealloc(joined, cap);
    }
    if (a != argv)
      joined[len++] = ' ';
    memcpy(joined + len, *a, n + 1);
    len += n;
  }
  if (trunc && display_width(joined) > 20) {
    size_t chars = 0, i = 0;
    /* Cut before the 20th character, on a UTF-8 boundary. */
    for (; joined[i]; i++) {
      if (((unsigned char)joined[i] & 0xc0) != 0x80 && ++chars == 20)
        break;
    }
    joined[i] = '\0';
    char *t = xasprintf("%s\u2026", joined);
    free(joined);
    joined = t;
  }
  size_t qlen = 1, qcap = strlen(joined) * 2 + 8;
  char *q = xmalloc(qcap);
  q[0] = '"';
  q[1] = '\0';
  quote_append(&q, &qlen, &qcap, joined);
  q[qlen++] = '"';
  q[qlen] = '\0';
  free(joined);
  return q;
}

/* "Up 5 seconds", "Up 2 minutes (Paused)", "Exited (137) 2 minutes ago",
 * "Created", "Unknown (why)". */
static char *format_status(const struct wb_container *c)
{
  if (c->unreadable) {
    /* Paths relative to the container's directory: the column is wide
     * enough as it is. */
    const char *why = c->unreadable;
    size_t n = strlen(c->dir);
    if (strncmp(why, c->dir, n) == 0 && why[n] == '/')
      why += n + 1;
    return xasprintf("Unknown (%s)", why);
  }
  if (wb_container_running(c)) {
    cleanup_free char *ago = wb_time_ago(c->started_at);
    return xasprintf("Up %s%s", ago, c->paused ? " (Paused)" : "");
  }
  if (strcmp(c->status, "exited") == 0) {
    cleanup_free char *code =
        c->exit_code < 0 ? xstrdup("unknown") : xasprintf("%d", c->exit_code);
    if (!c->finished_at)
      return xasprintf("Exited (%s)", code);
    cleanup_free char *ago = wb_time_ago(c->finished_at);
    return xasprintf("Exited (%s) %s ago", code, ago);
  }
  if (strcmp(c->status, "created") == 0)
    return xstrdup("Created");
  /* A state from a newer whalebox: show it as it is. */
  char *s = xstrdup(c->status);
  if (*s >= 'a' && *s <= 'z')
    *s = (char)(*s - 'a' + 'A');
  return s;
}

static char *format_created(const struct wb_container *c)
{
  if (!c->created)
    return xstrdup("");
  cleanup_free char *ago = wb_time_ago(c->created);
  return xasprintf("%s ago", ago);
}

struct filters {
  char **status, **name, **id;
};

static void filters_free(struct filters *f)
{
  strv_free(f->status);
  strv_free(f->name);
  strv_free(f->id);
}

static int add_filter(struct filters *f, const char *arg, wb_error *err)
{
  const char *eq = strchr(arg, '=');
  if (!eq || eq == arg)
    return wb_error_set(err, -EINVAL, "ps: --filter %s: expected KEY=VALUE",
                        arg);
  size_t klen = (size_t)(eq - arg);
  const char *v = eq + 1;
  if (klen == 6 && strncmp(arg, "status", 6) == 0) {
    if (strcmp(v, "created") && strcmp(v, "running") && strcmp(v, "paused") &&
        strcmp(v, "exited") && strcmp(v, "unknown"))
      return wb_error_set(err, -EINVAL,
                          "ps: --filter status=%s: must be created, running, "
                          "paused, exited or unknown",
                          v);
    strv_push(&f->status, v);
  } else if (klen == 4 && strncmp(arg, "name", 4) == 0) {
    strv_push(&f->name, v);
  } else if (klen == 2 && strncmp(arg, "id", 2) == 0) {
    strv_push(&f->id, v);
  } else {
    return wb_error_set(err, -EINVAL,
                        "ps: --filter %.*s: unknown filter (status, name, id)",
                        (int)klen, arg);
  }
  return 0;
}

static bool strv_has(char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp(*v, s) == 0)
      return true;
  return false;
}

static bool matches(const struct filters *f, const struct wb_container *c)
{
  if (f->status && !strv_has(f->status, state_of(c)))
    return false;
  if (f->name) {
    /* docker matches names as a substring (a regexp, really). */
    bool any = false;
    for (char **n = f->name; *n && !any; n++)
      any = c->name && strstr(c->name, *n);
    if (!any)
      return false;
  }
  if (f->id) {
    bool any = false;
    for (char **p = f->id; *p && !any; p++)
      any = strncmp(c->id, *p, strlen(*p)) == 0;
    if (!any)
      return false;
  }
  return true;
}

static int newest_first(const void *a, const void *b)
{
  const struct ps_row *x = a, *y = b;
  /* RFC 3339 UTC with fixed-width fractions sorts as text. */
  const char *cx = x->c->created ? x->c->created : "";
  const char *cy = y->c->created ? y->c->created : "";
  int r = strcmp(cy, cx);
  return r ? r : strcmp(x->c->id, y->c->id);
}

static void print_padded(const char *s, size_t width, bool last)
{
  fputs(s, stdout);
  if (last) {
    putchar('\n');
    return;
  }
  /* Three spaces between columns, as docker's tabwriter. */
  for (size_t n = display_width(s); n < width + 3; n++)
    putchar(' ');
}

enum {
  COL_ID,
  COL_IMAGE,
  COL_COMMAND,
  COL_CREATED,
  COL_STATUS,
  COL_NAMES,
  NCOL
};

static void print_table(struct ps_row *rows, size_t n, bool trunc)
{
  static const char *const head[NCOL] = {"CONTAINER ID", "IMAGE",  "COMMAND",
                                         "CREATED",      "STATUS", "NAMES"};
  char *(*cells)[NCOL] = xzalloc((n ? n : 1) * sizeof *cells);
  size_t width[NCOL];
  for (int k = 0; k < NCOL; k++)
    width[k] = display_width(head[k]);
  for (size_t i = 0; i < n; i++) {
    struct wb_container *c = rows[i].c;
    cells[i][COL_ID] = trunc ? xstrndup(c->id, 12) : xstrdup(c->id);
    cells[i][COL_IMAGE] = xstrdup(c->image_ref ? c->image_ref : "");
    cells[i][COL_COMMAND] = xstrdup(rows[i].command);
    cells[i][COL_CREATED] = format_created(c);
    cells[i][COL_STATUS] = format_status(c);
    cells[i][COL_NAMES] = xstrdup(c->name ? c->name : "");
    for (int k = 0; k < NCOL; k++) {
      size_t w = display_width(cells[i][k]);
      if (w > width[k])
        width[k] = w;
    }
  }
  for (int k = 0; k < NCOL; k++)
    print_padded(head[k], width[k], k == NCOL - 1);
  for (size_t i = 0; i < n; i++) {
    for (int k = 0; k < NCOL; k++) {
      print_padded(cells[i][k], width[k], k == NCOL - 1);
      free(cells[i][k]);
    }
  }
  free(cells);
}

static void print_json(struct ps_row *rows, size_t n, bool trunc)
{
  for (size_t i = 0; i < n; i++) {
    struct wb_container *c = rows[i].c;
    cleanup_free char *id = trunc ? xstrndup(c->id, 12) : xstrdup(c->id);
    cleanup_free char *created = format_created(c);
    cleanup_free char *status = format_status(c);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "ID", id,
                  "Image", c->image_ref ? c->image_ref : "", "Command",
                  rows[i].command, "CreatedAt", c->created ? c->created : "",
                  "RunningFor", created, "State", state_of(c), "Status", status,
                  "Names", c->name ? c->name : "", "ExitCode", c->exit_code);
    if (c->unreadable)
      json_object_set_new(o, "Error", json_string(c->unreadable));
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(o);
  }
}

WB_COMMAND(ps, "ps", "List containers")
{
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"no-trunc", no_argument, NULL, 'T'},
                                       {"format", required_argument, NULL, 'F'},
                                       {"filter", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool all = false, quiet = false, trunc = true, json = false;
  struct filters f = {NULL, NULL, NULL};
  int r = 0, opt;
  while (r == 0 &&
         (opt = wb_cli_getopt("ps", argc, argv, "+aqf:h", opts, err)) != -1) {
    switch (opt) {
    case 'a':
      all = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'T':
      trunc = false;
      break;
    case 'F':
      if (strcmp(optarg, "json") == 0)
        json = true;
      else if (strcmp(optarg, "table") == 0)
        json = false;
      else
        r = wb_error_set(err, -EINVAL, "ps: --format %s: must be table or json",
                         optarg);
      break;
    case 'f':
      r = add_filter(&f, optarg, err);
      break;
    case 'h':
      fputs(usage_text, stdout);
      filters_free(&f);
      return 0;
    default:
      r = wb_cli_bad_flag("ps", argv, err);
    }
  }
  if (r == 0 && optind < argc)
    r = wb_error_set(err, -EINVAL, "ps: unexpected argument '%s'",
                     argv[optind]);
  cleanup_strv char **dirs = NULL;
  if (r == 0)
    r = wb_container_list_dirs(ctx->root, &dirs, err);
  if (r < 0) {
    filters_free(&f);
    return r;
  }
  /* As docker: a status filter looks at every container. */
  if (f.status)
    all = true;
  size_t n = 0, total = strv_len(dirs);
  struct ps_row *rows = xzalloc((total ? total : 1) * sizeof *rows);
  for (size_t i = 0; i < total; i++) {
    struct wb_container *c = load_brief(ctx->root, dirs[i]);
    if (!c)
      continue;
    /* A --rm container that ended unwatched (its state says running, it
     * reads as exited) is removed, not listed. */
    if (c->auto_remove && strcmp(c->status, "exited") == 0 &&
        wb_container_collect_ended(ctx, c->id)) {
      wb_container_free(c);
      continue;
    }
    if ((!all && !wb_container_running(c)) || !matches(&f, c)) {
      wb_container_free(c);
      continue;
    }
    rows[n].c = c;
    rows[n].command =
        c->unreadable ? xstrdup("") : format_command(c->argv, trunc);
    n++;
  }
  qsort(rows, n, sizeof *rows, newest_first);
  if (quiet) {
    for (size_t i = 0; i < n; i++)
      printf("%.*s\n", trunc ? 12 : 64, rows[i].c->id);
  } else if (json) {
    print_json(rows, n, trunc);
  } else {
    print_table(rows, n, trunc);
  }
  for (size_t i = 0; i < n; i++) {
    wb_container_free(rows[i].c);
    free(rows[i].command);
  }
  free(rows);
  filters_free(&f);
  return 0;
}
