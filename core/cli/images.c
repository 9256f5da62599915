/* images: list the images in the store. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox images [OPTIONS] [REPOSITORY[:TAG]]\n"
    "\n"
    "List images, one line per tag (untagged images show <none>), newest\n"
    "first.\n"
    "\n"
    "Options:\n"
    "  -q, --quiet          only print image ids\n"
    "  -a, --all            the same list (there are no intermediate "
    "images)\n"
    "      --format FORMAT  table (default) or json (one object per line)\n"
    "      --no-trunc       print full image ids\n"
    "  -h, --help           print this help\n";

struct row {
  char *cols[5]; /* REPOSITORY TAG ID CREATED SIZE */
  const struct wb_image *img;
};

static void add_row(struct row **rows, size_t *n, const struct wb_image *img,
                    const char *tag, bool no_trunc)
{
  *rows = xrealloc(*rows, (*n + 1) * sizeof **rows);
  struct row *r = &(*rows)[(*n)++];
  if (tag) {
    const char *colon = strrchr(tag, ':');
    r->cols[0] = xstrndup(tag, colon ? (size_t)(colon - tag) : strlen(tag));
    r->cols[1] = xstrdup(colon ? colon + 1 : "latest");
  } else {
    r->cols[0] = xstrdup("<none>");
    r->cols[1] = xstrdup("<none>");
  }
  r->cols[2] =
      no_trunc ? xasprintf("sha256:%s", img->id) : xstrndup(img->id, 12);
  r->cols[3] = wb_human_since(img->created);
  r->cols[4] = wb_human_size(img->size);
  r->img = img;
}

/* "repo" matches every tag of repo; "repo:tag" that tag only. */
static bool tag_matches(const char *tag, const char *filter)
{
  if (!filter)
    return true;
  if (strchr(filter, ':'))
    return strcmp(tag, filter) == 0;
  size_t n = strlen(filter);
  return strncmp(tag, filter, n) == 0 && tag[n] == ':';
}

static void print_table(struct row *rows, size_t n)
{
  static const char *const head[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED",
                                     "SIZE"};
  size_t w[5];
  for (int c = 0; c < 5; c++) {
    w[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++)
      if (strlen(rows[i].cols[c]) > w[c])
        w[c] = strlen(rows[i].cols[c]);
  }
  for (int c = 0; c < 4; c++)
    printf("%-*s   ", (int)w[c], head[c]);
  printf("%s\n", head[4]);
  for (size_t i = 0; i < n; i++) {
    for (int c = 0; c < 4; c++)
      printf("%-*s   ", (int)w[c], rows[i].cols[c]);
    printf("%s\n", rows[i].cols[4]);
  }
}

static void print_json(struct row *rows, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "ID", rows[i].cols[2],
        "Repository", rows[i].cols[0], "Tag", rows[i].cols[1], "CreatedAt",
        rows[i].img->created, "CreatedSince", rows[i].cols[3], "Size",
        rows[i].cols[4], "SizeBytes", (json_int_t)rows[i].img->size);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
      puts(s);
    free(s);
    json_decref(o);
  }
}

WB_COMMAND(images, "images", "List images")
{
  enum { O_FORMAT = 256, O_NO_TRUNC };
  static const struct option opts[] = {
      {"quiet", no_argument, NULL, 'q'},
      {"format", required_argument, NULL, O_FORMAT},
      {"no-trunc", no_argument, NULL, O_NO_TRUNC},
      {"all", no_argument, NULL, 'a'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  bool quiet = false, json = false, no_trunc = false;
  int c;
  while ((c = wb_cli_getopt("images", argc, argv, "qah", opts, err)) != -1) {
    switch (c) {
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'q':
      quiet = true;
      break;
    case 'a':
      break; /* no intermediate images to hide */
    case O_NO_TRUNC:
      no_trunc = true;
      break;
    case O_FORMAT:
      if (strcmp(optarg, "json") == 0)
        json = true;
      else if (strcmp(optarg, "table") == 0)
        json = false;
      else
        return wb_error_set(
            err, -EINVAL, "images: --format %s: must be json or table", optarg);
      break;
    default:
      return wb_cli_bad_flag("images", argv, err);
    }
  }
  if (argc - optind > 1)
    return wb_error_set(err, -EINVAL, "images: unexpected argument '%s'",
                        argv[optind + 1]);
  cleanup_free char *filter = NULL;
  if (optind < argc) {
    const char *f = argv[optind];
    int r = strchr(f, ':') ? wb_image_ref_normalize(f, &filter, err)
                           : wb_image_ref_parse(f, &filter, NULL, err);
    if (r < 0)
      return r;
  }
  struct wb_image **list = NULL;
  int r = wb_image_list(ctx->root, &list, err);
  if (r < 0)
    return r;
  struct row *rows = NULL;
  size_t n = 0;
  for (struct wb_image **p = list; *p; p++) {
    if (!(*p)->tags[0] && !filter)
      add_row(&rows, &n, *p, NULL, no_trunc);
    for (char **t = (*p)->tags; *t; t++)
      if (tag_matches(*t, filter))
        add_row(&rows, &n, *p, *t, no_trunc);
  }
  if (quiet) {
    for (size_t i = 0; i < n; i++)
      if (i == 0 || rows[i].img != rows[i - 1].img)
        puts(rows[i].cols[2]);
  } else if (json) {
    print_json(rows, n);
  } else {
    print_table(rows, n);
  }
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 5; k++)
      free(rows[i].cols[k]);
  free(rows);
  wb_image_list_free(list);
  return 0;
}
