/* run_options.h - the flags of `run` (and `create`), parsed and checked
 * before anything is created. */
#ifndef WB_RUN_OPTIONS_H
#define WB_RUN_OPTIONS_H

#include "../container/container.h"
#include "../context.h"

/* Parse argv (argv[0] = verb) into a new container description: flags,
 * image defaults merged, layers resolved.  Nothing is created. */
int wb_run_parse(struct wb_context *ctx, int argc, char **argv,
                 struct wb_container **out, bool *help, wb_error *err);

#endif
