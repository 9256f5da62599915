/* env.h - environment lists (NAME=value). */
#ifndef WB_ENV_H
#define WB_ENV_H

#include <stddef.h>

/* Concatenate n lists in order; a later value of a name replaces an
 * earlier one (at the earlier one's place is not kept: the last wins).
 * NULL lists are skipped.  Caller frees (strv). */
char **wb_env_merge(char **const *lists, size_t n);

#endif
