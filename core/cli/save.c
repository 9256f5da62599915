/* save: images as an OCI image layout archive. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../image/archive_module.h"
#include "../image/transfer.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox save [-o FILE] IMAGE...\n"
    "\n"
    "Write images as an OCI image layout tar archive (index.json, manifests,\n"
    "configs and uncompressed layers, all sha256-addressed; with a `docker\n"
    "save` manifest.json too) to standard output or FILE.  An image named by\n"
    "REPOSITORY[:TAG] keeps that name in the archive; one named by id has\n"
    "none.  Saving the same images again gives the same archive.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   write to FILE instead of standard output\n"
    "  -h, --help          print this help\n";

/* FILE.tmp-XXXXXX then rename: a failed save leaves no half archive. */
static int save_to_file(struct wb_context *ctx, const struct wb_archive_ops *ar,
                        const char *const *refs, const char *file,
                        wb_error *err)
{
  cleanup_free char *tmp = xasprintf("%s.tmp-XXXXXX", file);
  cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "create %s", tmp);
  int r = ar->image_save(ctx->root, refs, fd, err);
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

WB_COMMAND(save, "save", "Save images to an OCI image layout archive")
{
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *output = NULL;
  int c;
  while ((c = wb_cli_getopt("save", argc, argv, "+o:h", opts, err)) != -1) {
    if (c == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    if (c == 'o')
      output = optarg;
    else
      return wb_cli_bad_flag("save", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"save\" requires at least 1 argument: IMAGE...");
  if (!output && isatty(STDOUT_FILENO))
    return wb_error_set(err, -EINVAL,
                        "save: refusing to write an archive to a terminal; "
                        "use -o FILE or redirect the output");
  const struct wb_archive_ops *ar;
  if (wb_archive_get(&ar, err) < 0)
    return wb_error_prefix(err, "save");
  const char *const *refs = (const char *const *)argv + optind;
  int r = output ? save_to_file(ctx, ar, refs, output, err)
                 : ar->image_save(ctx->root, refs, STDOUT_FILENO, err);
  return r < 0 ? wb_error_prefix(err, "save") : 0;
}
