/* export: a container's file system as a tar (docker export). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../container/container.h"
#include "../image/transfer.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox export [-o FILE] CONTAINER\n"
    "\n"
    "Write the container's file system, flattened, as a tar archive to\n"
    "standard output or FILE.  Volumes and the files the runtime supplies\n"
    "(/etc/hosts, /etc/hostname, /etc/resolv.conf) are not included.\n"
    "`whalebox import` reads it back.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   write to FILE instead of standard output\n"
    "  -h, --help          print this help\n";

/* Write to FILE.tmp-XXXXXX, then rename: a failed export leaves no half
 * file under FILE. */
static int export_to_file(struct wb_context *ctx, struct wb_container *c,
                          const char *file, wb_error *err)
{
  cleanup_free char *tmp = xasprintf("%s.tmp-XXXXXX", file);
  cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "create %s", tmp);
  int r = wb_container_export(ctx, c, fd, err);
  mode_t mask = umask(0);
  umask(mask);
  if (r == 0 && fchmod(fd, 0666 & ~mask) < 0)
    r = wb_error_set(err, errno, "chmod %s", tmp);
  if (r == 0 && close(steal_fd(&fd)) < 0)
    r = wb_error_set(err, errno, "close %s", tmp);
  if (r == 0 && rename(tmp, file) < 0)
    r = wb_error_set(err, errno, "rename %s to %s", tmp, file);
  if (r < 0)
    unlink(tmp);
  return r;
}

WB_COMMAND(export, "export",
           "Export a container's file system as a tar archive")
{
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *output = NULL;
  int c;
  while ((c = wb_cli_getopt("export", argc, argv, "+o:h", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'o')
      output = optarg;
    else
      return wb_cli_bad_flag("export", argv, err);
  }
  if (argc - optind != 1)
    return wb_error_set(err, -EINVAL,
                        "\"export\" requires exactly 1 argument: CONTAINER");
  if (!output && isatty(STDOUT_FILENO))
    return wb_error_set(err, -EINVAL,
                        "export: refusing to write a tar archive to a "
                        "terminal; use -o FILE or redirect the output");
  cleanup_container struct wb_container *ct = NULL;
  int r = wb_container_load(ctx->root, argv[optind], &ct, err);
  if (r < 0)
    return r;
  r = output ? export_to_file(ctx, ct, output, err)
             : wb_container_export(ctx, ct, STDOUT_FILENO, err);
  if (r < 0)
    return wb_error_prefix(err, "export %s", argv[optind]);
  return 0;
}
