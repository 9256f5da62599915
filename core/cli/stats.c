/* stats: CPU, memory and PIDs of containers from their cgroup drivers'
 * stats op.  CPU % is the cgroup's CPU time over the wall time between two
 * samples (100% = one core, as docker), so a frame needs two samples:
 * --no-stream takes them 500 ms apart, the stream refreshes every second
 * until interrupted. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../container/lifecycle.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox stats [OPTIONS] [CONTAINER...]\n"
    "\n"
    "Show CPU %, memory usage / limit, memory % and PIDs of containers\n"
    "(all running ones by default), refreshed every second until\n"
    "interrupted.\n"
    "\n"
    "Options:\n"
    "      --no-stream       print one frame and exit\n"
    "      --format FORMAT   table (default) or json (one object per line)\n"
    "  -h, --help            print this help\n";

struct sample {
  bool ok;
  struct wb_cgroup_stats st;
  long long at_ns; /* CLOCK_MONOTONIC when read */
};

struct row {
  struct wb_container *c;
  struct sample prev, cur;
};

struct rows {
  struct row *v;
  size_t n;
};

static void rows_clear(struct rows *rs)
{
  for (size_t i = 0; i < rs->n; i++)
    wb_container_free(rs->v[i].c);
  free(rs->v);
  rs->v = NULL;
  rs->n = 0;
}

static void rows_add(struct rows *rs, struct wb_container *c)
{
  rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof *rs->v);
  rs->v[rs->n++] = (struct row){.c = c};
}

static long long now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* The containers of this frame: those named (each must exist), else every
 * running one. */
static int collect(struct wb_context *ctx, char **refs, int n, struct rows *rs,
                   wb_error *err)
{
  for (int i = 0; i < n; i++) {
    struct wb_container *c = NULL;
    int r = wb_container_load(ctx->root, refs[i], &c, err);
    if (r < 0)
      return r;
    wb_container_refresh(c);
    rows_add(rs, c);
  }
  if (n > 0)
    return 0;
  cleanup_strv char **ids = NULL;
  int r = wb_container_list_ids(ctx->root, &ids, err);
  if (r < 0)
    return r;
  for (char **id = ids; *id; id++) {
    struct wb_container *c = NULL;
    cleanup_error wb_error ignored = WB_ERROR_INIT;
    /* Removed meanwhile, or half-created: not shown. */
    if (wb_container_load(ctx->root, *id, &c, &ignored) < 0)
      continue;
    wb_container_refresh(c);
    if (wb_container_running(c))
      rows_add(rs, c);
    else
      wb_container_free(c);
  }
  return 0;
}

/* A container that is not running, or whose cgroup went away between the
 * listing and the read, shows zeros (as docker shows a stopped one). */
static void sample_row(struct wb_context *ctx, struct row *row)
{
  struct sample *s = &row->cur;
  *s = (struct sample){.st = {.size = sizeof s->st}};
  if (!wb_container_running(row->c))
    return;
  struct wb_driver *drv;
  cleanup_error wb_error e = WB_ERROR_INIT;
  if (wb_container_cgroup(ctx, row->c, &drv, &e) < 0) {
    fprintf(stderr, "whalebox: %s\n", e.msg);
    return;
  }
  const struct wb_cgroup_ops *ops = drv->ops;
  struct wb_cgroup cg = {
      .size = sizeof cg, .parent = row->c->cgroup_parent, .id = row->c->id};
  if (!ops->stats || ops->stats(drv->data, &cg, &s->st, &e) < 0)
    return;
  s->ok = true;
  s->at_ns = now_ns();
}

static void sample_all(struct wb_context *ctx, struct rows *rs)
{
  for (size_t i = 0; i < rs->n; i++)
    sample_row(ctx, &rs->v[i]);
}

/* The next frame's rows start from the last samples of the containers
 * already shown; a container new to the list is sampled now. */
static void carry_over(struct wb_context *ctx, const struct rows *from,
                       struct rows *to)
{
  for (size_t i = 0; i < to->n; i++) {
    bool found = false;
    for (size_t j = 0; j < from->n && !found; j++) {
      if (strcmp(to->v[i].c->id, from->v[j].c->id) == 0) {
        to->v[i].cur = from->v[j].cur;
        found = true;
      }
    }
    if (!found)
      sample_row(ctx, &to->v[i]);
  }
}

/* Host memory, docker's limit for a container without one. */
static uint64_t host_memory(void)
{
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

/* docker's binary sizes: "1.5MiB", four significant digits. */
static char *binary_size(uint64_t n)
{
  static const char *const units[] = {"B",   "KiB", "MiB", "GiB",
                                      "TiB", "PiB", "EiB"};
  double v = (double)n;
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < sizeof units / sizeof *units) {
    v /= 1024.0;
    u++;
  }
  return xasprintf("%.4g%s", v, units[u]);
}

/* The text of one row's columns. */
struct cells {
  char *id, *name, *cpu, *mem, *mem_pct, *pids;
};

static void cells_free(struct cells *c)
{
  free(c->id);
  free(c->name);
  free(c->cpu);
  free(c->mem);
  free(c->mem_pct);
  free(c->pids);
}

static struct cells row_cells(const struct row *row, uint64_t host_mem)
{
  const struct sample *p = &row->prev, *s = &row->cur;
  double cpu = 0;
  if (p->ok && s->ok && s->at_ns > p->at_ns &&
      s->st.cpu_usage_ns >= p->st.cpu_usage_ns)
    cpu = 100.0 * (double)(s->st.cpu_usage_ns - p->st.cpu_usage_ns) /
          (double)(s->at_ns - p->at_ns);
  uint64_t limit = 0;
  if (s->ok)
    limit = s->st.memory_limit ? s->st.memory_limit : host_mem;
  /* A limit above the host's memory cannot be reached: show the host's. */
  if (host_mem && limit > host_mem)
    limit = host_mem;
  double mem_pct =
      limit ? 100.0 * (double)s->st.memory_usage / (double)limit : 0;
  cleanup_free char *usage = binary_size(s->st.memory_usage);
  cleanup_free char *lim = binary_size(limit);
  return (struct cells){
      .id = xstrndup(row->c->id, 12),
      .name = xstrdup(row->c->name ? row->c->name : ""),
      .cpu = xasprintf("%.2f%%", cpu),
      .mem = xasprintf("%s / %s", usage, lim),
      .mem_pct = xasprintf("%.2f%%", mem_pct),
      .pids = xasprintf("%llu", (unsigned long long)s->st.pids_current),
  };
}

static const char *const headers[] = {"CONTAINER ID",      "NAME",  "CPU %",
                                      "MEM USAGE / LIMIT", "MEM %", "PIDS"};
enum { N_COLUMNS = 6 };

static void print_cell(size_t k, size_t width, const char *text)
{
  if (k + 1 < N_COLUMNS)
    printf("%-*s   ", (int)width, text);
  else
    printf("%s\n", text);
}

static void print_table(struct cells *cells, size_t n)
{
  size_t width[N_COLUMNS];
  for (size_t k = 0; k < N_COLUMNS; k++)
    width[k] = strlen(headers[k]);
  for (size_t i = 0; i < n; i++) {
    const char *col[N_COLUMNS] = {cells[i].id,      cells[i].name,
                                  cells[i].cpu,     cells[i].mem,
                                  cells[i].mem_pct, cells[i].pids};
    for (size_t k = 0; k < N_COLUMNS; k++)
      if (strlen(col[k]) > width[k])
        width[k] = strlen(col[k]);
  }
  for (size_t k = 0; k < N_COLUMNS; k++)
    print_cell(k, width[k], headers[k]);
  for (size_t i = 0; i < n; i++) {
    const char *col[N_COLUMNS] = {cells[i].id,      cells[i].name,
                                  cells[i].cpu,     cells[i].mem,
                                  cells[i].mem_pct, cells[i].pids};
    for (size_t k = 0; k < N_COLUMNS; k++)
      print_cell(k, width[k], col[k]);
  }
}

/* One object per line, docker's keys. */
static void print_json(struct cells *cells, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container",
                          cells[i].id, "ID", cells[i].id, "Name", cells[i].name,
                          "CPUPerc", cells[i].cpu, "MemUsage", cells[i].mem,
                          "MemPerc", cells[i].mem_pct, "PIDs", cells[i].pids);
    json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(o);
  }
}

/* Print one frame; false when stdout is gone (stop streaming). */
static bool print_frame(const struct rows *rs, bool json, bool clear)
{
  uint64_t host_mem = host_memory();
  struct cells *cells = xzalloc((rs->n + 1) * sizeof *cells);
  for (size_t i = 0; i < rs->n; i++)
    cells[i] = row_cells(&rs->v[i], host_mem);
  /* docker's redraw: clear the terminal, cursor home. */
  if (clear)
    fputs("\033[2J\033[H", stdout);
  if (json)
    print_json(cells, rs->n);
  else
    print_table(cells, rs->n);
  for (size_t i = 0; i < rs->n; i++)
    cells_free(&cells[i]);
  free(cells);
  return fflush(stdout) == 0 && !ferror(stdout);
}

WB_COMMAND(stats, "stats", "Show containers' CPU, memory and PIDs")
{
  static const struct option opts[] = {
      {"no-stream", no_argument, NULL, 'n'},
      {"format", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  bool stream = true, json = false;
  int opt;
  while ((opt = wb_cli_getopt("stats", argc, argv, "+h", opts, err)) != -1) {
    switch (opt) {
    case 'n':
      stream = false;
      break;
    case 'f':
      if (strcmp(optarg, "json") == 0)
        json = true;
      else if (strcmp(optarg, "table") == 0)
        json = false;
      else
        return wb_error_set(err, -EINVAL,
                            "invalid value \"%s\" for --format: table or "
                            "json",
                            optarg);
      break;
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    default:
      return wb_cli_bad_flag("stats", argv, err);
    }
  }
  char **refs = argv + optind;
  int n_refs = argc - optind;
  bool clear = stream && isatty(STDOUT_FILENO);

  struct rows rows = {0}, next = {0};
  int r = collect(ctx, refs, n_refs, &rows, err);
  if (r < 0) {
    rows_clear(&rows);
    return r;
  }
  sample_all(ctx, &rows);
  for (long wait_ms = 500;; wait_ms = 1000) {
    for (size_t i = 0; i < rows.n; i++)
      rows.v[i].prev = rows.v[i].cur;
    sleep_ms(wait_ms);
    sample_all(ctx, &rows);
    if (!print_frame(&rows, json, clear) || !stream)
      break;
    /* Containers come and go between frames; keep the last samples. */
    r = collect(ctx, refs, n_refs, &next, err);
    if (r < 0) {
      rows_clear(&next);
      break;
    }
    carry_over(ctx, &rows, &next);
    rows_clear(&rows);
    rows = next;
    next = (struct rows){0};
  }
  rows_clear(&rows);
  return r < 0 ? r : 0;
}
