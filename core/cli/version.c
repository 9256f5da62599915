/* version: the version of whalebox and of its plugin ABI. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "commands.h"

WB_COMMAND(version, "version", "Show the version")
{
  (void)ctx;
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;
  while ((c = wb_cli_getopt("version", argc, argv, "+h", opts, err)) != -1) {
    if (c != 'h')
      return wb_cli_bad_flag("version", argv, err);
    puts("Usage: whalebox version\n\nPrint the version of whalebox and of "
         "its plugin ABI.\n\nOptions:\n  -h, --help   print this help");
    return 0;
  }
  if (optind < argc)
    return wb_error_set(err, -EINVAL,
                        "\"version\" accepts no arguments; see 'whalebox "
                        "version --help'");
  printf("whalebox version %s (plugin ABI %d.%d)\n", WB_VERSION,
         WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR);
  return 0;
}
