/* rootmount.h - mount helpers shared by the storage drivers (compiled into
 * both; not part of the plugin ABI). */
#ifndef WB_STORAGE_ROOTMOUNT_H
#define WB_STORAGE_ROOTMOUNT_H

#include <whalebox/plugin.h>

/* Bind-mount `source` (recursively) onto `target`; with read_only the whole
 * new mount tree is made read-only.  On failure nothing stays mounted. */
int rootmount_bind(const struct wb_host *host, const char *source,
                   const char *target, int read_only, wb_error *err);

/* Detach whatever mount() put on fs->target; not mounted is fine. */
int rootmount_detach(const struct wb_host *host, const char *target,
                     wb_error *err);

#endif
