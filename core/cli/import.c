/* import: a root-filesystem tarball becomes an image. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../image/archive_module.h"
#include "../image/store.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox import [OPTIONS] FILE|- [REPOSITORY[:TAG]]\n"
    "\n"
    "Import a root filesystem tarball (as written by `docker export`; plain,\n"
    "gzip, xz, zstd, bzip2 or lz4) as a one-layer image, and print its id.\n"
    "\"-\" reads the tarball from standard input.\n"
    "\n"
    "Options:\n"
    "  -c, --change INSTR    apply a Dockerfile instruction to the image:\n"
    "                        CMD, ENTRYPOINT, ENV, WORKDIR or USER "
    "(repeatable)\n"
    "  -m, --message MSG     commit message recorded in the image history\n"
    "  -h, --help            print this help\n";

WB_COMMAND(import, "import", "Import a root filesystem tarball as an image")
{
  static const struct option opts[] = {
      {"change", required_argument, NULL, 'c'},
      {"message", required_argument, NULL, 'm'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cleanup_strv char **changes = xzalloc(sizeof(char *));
  const char *message = NULL;
  int c;
  while ((c = wb_cli_getopt("import", argc, argv, "hc:m:", opts, err)) != -1) {
    switch (c) {
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'c':
      strv_push(&changes, optarg);
      break;
    case 'm':
      message = optarg;
      break;
    default:
      return wb_cli_bad_flag("import", argv, err);
    }
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "import: requires FILE or - ; see 'whalebox import "
                        "--help'");
  if (argc - optind > 2)
    return wb_error_set(err, -EINVAL, "import: unexpected argument '%s'",
                        argv[optind + 2]);
  struct wb_import_opts o = {
      .source = argv[optind],
      .tag = argc - optind == 2 ? argv[optind + 1] : NULL,
      .changes = (const char *const *)changes,
      .message = message,
      .progress = isatty(STDERR_FILENO),
  };
  const struct wb_archive_ops *ar;
  int r = wb_archive_get(&ar, err);
  if (r < 0)
    return r;
  cleanup_free char *id = NULL;
  r = ar->image_import(ctx->root, &o, &id, err);
  if (r < 0)
    return wb_error_prefix(err, "import %s", o.source);
  printf("sha256:%s\n", id);
  return 0;
}
