/* history: an image's layers and the steps that made them, newest first. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../image/store.h"
#include "../image/transfer.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox history [OPTIONS] IMAGE\n"
    "\n"
    "Show the history of an image, newest first: the image id of each step\n"
    "when an image of that step is stored (else <missing>), when it was\n"
    "made, the command that made it, the size of the layer it added and its\n"
    "commit message.\n"
    "\n"
    "Options:\n"
    "  -H, --human[=BOOL]  sizes and dates in human form (default true)\n"
    "      --no-trunc      do not truncate the output\n"
    "  -q, --quiet         only the image ids\n"
    "  -h, --help          print this help\n";

enum { COLS = 5 };

struct row {
  char *col[COLS];
};

/* Display width of UTF-8 text (code points; the output has no wide
 * characters but the ellipsis). */
static size_t width(const char *s)
{
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      n++;
  return n;
}

/* One line, control characters as spaces, cut to max columns with "…". */
static char *cell(const char *s, size_t max, bool trunc)
{
  char *out = xstrdup(s ? s : "");
  for (char *p = out; *p; p++)
    if ((unsigned char)*p < 0x20)
      *p = ' ';
  if (!trunc || width(out) <= max)
    return out;
  size_t n = 0, i = 0;
  for (; out[i]; i++) {
    if (((unsigned char)out[i] & 0xC0) != 0x80) {
      if (n == max - 1)
        break;
      n++;
    }
  }
  out[i] = '\0';
  char *cut = xasprintf("%s…", out);
  free(out);
  return cut;
}

static void print_rows(struct row *rows, size_t n, bool quiet)
{
  size_t w[COLS] = {0};
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < COLS; c++)
      if (width(rows[i].col[c]) > w[c])
        w[c] = width(rows[i].col[c]);
  for (size_t i = 0; i < n; i++) {
    if (quiet) {
      printf("%s\n", rows[i].col[0]);
      continue;
    }
    for (int c = 0; c < COLS - 1; c++)
      printf("%s%*s", rows[i].col[c], (int)(w[c] - width(rows[i].col[c]) + 3),
             "");
    printf("%s\n", rows[i].col[COLS - 1]);
  }
}

static int show(const char *root, const char *ref, bool human, bool trunc,
                bool quiet, wb_error *err)
{
  struct wb_history_entry *h = NULL;
  size_t n = 0;
  int r = wb_image_history(root, ref, &h, &n, err);
  if (r < 0)
    return r;
  struct row *table = xzalloc((n + 1) * sizeof *table);
  const char *head[COLS] = {"IMAGE", "CREATED", "CREATED BY", "SIZE",
                            "COMMENT"};
  for (int c = 0; c < COLS; c++)
    table[0].col[c] = xstrdup(head[c]);
  for (size_t i = 0; i < n; i++) {
    struct row *row = &table[i + 1];
    const char *id = h[i].image_id, *created = h[i].created;
    row->col[0] = id ? (trunc ? xstrndup(id, 12) : xasprintf("sha256:%s", id))
                     : xstrdup("<missing>");
    row->col[1] = !created ? xstrdup("N/A")
                  : human  ? wb_human_since(created)
                           : xstrdup(created);
    row->col[2] = cell(h[i].created_by, 45, trunc);
    row->col[3] = human ? wb_human_size(h[i].size)
                        : xasprintf("%llu", (unsigned long long)h[i].size);
    row->col[4] = cell(h[i].comment, 0, false);
  }
  if (quiet)
    print_rows(table + 1, n, true);
  else
    print_rows(table, n + 1, false);
  for (size_t i = 0; i <= n; i++)
    for (int c = 0; c < COLS; c++)
      free(table[i].col[c]);
  free(table);
  wb_history_free(h, n);
  return 0;
}

static int parse_bool(const char *arg, bool *out, wb_error *err)
{
  if (!arg) {
    *out = true;
    return 0;
  }
  if (*arg == '=')
    arg++;
  if (strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0)
    *out = true;
  else if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0)
    *out = false;
  else
    return wb_error_set(err, -EINVAL,
                        "history: invalid value \"%s\" for --human", arg);
  return 0;
}

WB_COMMAND(history, "history", "Show the history of an image")
{
  static const struct option opts[] = {{"human", optional_argument, NULL, 'H'},
                                       {"no-trunc", no_argument, NULL, 'T'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool human = true, trunc = true, quiet = false;
  int c, r;
  while ((c = wb_cli_getopt("history", argc, argv, "+H::qh", opts, err)) !=
         -1) {
    switch (c) {
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'H':
      if ((r = parse_bool(optarg, &human, err)) < 0)
        return r;
      break;
    case 'T':
      trunc = false;
      break;
    case 'q':
      quiet = true;
      break;
    default:
      return wb_cli_bad_flag("history", argv, err);
    }
  }
  if (argc - optind != 1)
    return wb_error_set(err, -EINVAL,
                        "\"history\" requires exactly 1 argument: IMAGE");
  return show(ctx->root, argv[optind], human, trunc, quiet, err);
}
