/* rmi: remove images (or just one of their tags). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox rmi [OPTIONS] IMAGE [IMAGE...]\n"
    "\n"
    "Remove images.  A REPOSITORY:TAG removes that tag, and the image with "
    "its\n"
    "last tag; an image id removes the image and all its tags.  Layers are\n"
    "deleted when no other image uses them.  An image a container uses is\n"
    "kept; with -f its tags are removed and it stays, untagged, for the\n"
    "container.\n"
    "\n"
    "Options:\n"
    "  -f, --force   untag images containers still use\n"
    "  -h, --help    print this help\n";

WB_COMMAND(rmi, "rmi", "Remove one or more images")
{
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  bool force = false;
  int c;
  while ((c = wb_cli_getopt("rmi", argc, argv, "fh", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'f') {
      force = true;
      continue;
    }
    return wb_cli_bad_flag("rmi", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "rmi: requires at least 1 argument; see "
                        "'whalebox rmi --help'");
  int ret = 0;
  for (int i = optind; i < argc; i++) {
    cleanup_strv char **untagged = NULL;
    cleanup_free char *deleted = NULL;
    cleanup_error wb_error e = WB_ERROR_INIT;
    int r = wb_image_remove(ctx->root, argv[i], force, &untagged, &deleted, &e);
    for (char **t = untagged; t && *t; t++)
      printf("Untagged: %s\n", *t);
    if (deleted)
      printf("Deleted: sha256:%s\n", deleted);
    if (r < 0) {
      /* Go on with the others, as docker does; main prints the last. */
      if (ret < 0)
        fprintf(stderr, "whalebox: %s\n", err->msg);
      ret = wb_error_set(err, -e.code, "%s", e.msg);
    }
  }
  fflush(stdout);
  return ret;
}
