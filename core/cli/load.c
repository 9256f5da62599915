/* load: images from an OCI layout or `docker save` archive. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../image/archive_module.h"
#include "../image/transfer.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox load [-i FILE] [-q]\n"
    "\n"
    "Load images from an archive written by `whalebox save`, `docker save`,\n"
    "skopeo (oci-archive) or any OCI image layout in a tar, from standard\n"
    "input or FILE.  The archive and its layers may be compressed.  Every\n"
    "blob is checked against its digest; layers already stored are not\n"
    "extracted again.  Prints \"Loaded image: NAME\" per name, or \"Loaded\n"
    "image ID: sha256:...\" for an image without one.\n"
    "\n"
    "Options:\n"
    "  -i, --input FILE   read FILE instead of standard input\n"
    "  -q, --quiet        print nothing\n"
    "  -h, --help         print this help\n";

WB_COMMAND(load, "load", "Load images from an image archive")
{
  static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *input = NULL;
  bool quiet = false;
  int c;
  while ((c = wb_cli_getopt("load", argc, argv, "+i:qh", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'i')
      input = optarg;
    else if (c == 'q')
      quiet = true;
    else
      return wb_cli_bad_flag("load", argv, err);
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL, "load: unexpected argument '%s'",
                        argv[optind]);
  if (!input && isatty(STDIN_FILENO))
    return wb_error_set(err, -EINVAL,
                        "load: requested load from stdin, but stdin is a "
                        "terminal; use -i FILE or redirect the input");
  const struct wb_archive_ops *ar;
  if (wb_archive_get(&ar, err) < 0)
    return wb_error_prefix(err, "load");
  cleanup_close int fd = input ? open(input, O_RDONLY | O_CLOEXEC)
                               : fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return wb_error_set(err, errno, "load: open %s", input ? input : "stdin");
  cleanup_strv char **lines = NULL;
  int r = ar->image_load(ctx->root, fd, &lines, err);
  if (r < 0)
    return wb_error_prefix(err, "load");
  for (char **l = lines; !quiet && l && *l; l++)
    printf("%s\n", *l);
  return 0;
}
