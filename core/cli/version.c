#include <stdio.h>

#include "commands.h"

WB_COMMAND(version, "version", "Show the version")
{
  (void)ctx, (void)err;
  if (argc > 1 && (argv[1][0] == '-')) {
    puts("Usage: whalebox version\n\nPrint the version of whalebox and of "
         "its plugin ABI.");
    return 0;
  }
  printf("whalebox version %s (plugin ABI %d.%d)\n", WB_VERSION,
         WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR);
  return 0;
}
