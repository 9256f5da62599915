/* tag: give an image another name. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "../image/store.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
    "\n"
    "Create the tag TARGET_IMAGE that refers to SOURCE_IMAGE.  A tag names\n"
    "one image: if TARGET_IMAGE named another image, it moves.\n";

WB_COMMAND(tag, "tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  while ((c = wb_cli_getopt("tag", argc, argv, "h", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    return wb_cli_bad_flag("tag", argv, err);
  }
  if (argc - optind != 2)
    return wb_error_set(err, -EINVAL,
                        "tag: requires exactly 2 arguments "
                        "(SOURCE TARGET); see 'whalebox tag --help'");
  return wb_image_tag(ctx->root, argv[optind], argv[optind + 1], err);
}
