/* limits_parse.h - resource flag values (-m, --cpus, --cpuset-cpus...) as
 * Docker accepts them; one message naming the flag and the value. */
#ifndef WB_LIMITS_PARSE_H
#define WB_LIMITS_PARSE_H

#include <whalebox/plugin.h>

#include "util/error.h"

int wb_parse_memory(const char *flag, const char *text, int64_t *out,
                    wb_error *err);
/* --memory-swap: a size or -1 (unlimited). */
int wb_parse_memory_swap(const char *text, int64_t *out, wb_error *err);
int wb_parse_cpu_shares(const char *text, uint64_t *out, wb_error *err);
/* --cpus X -> quota/period (period 100000). */
int wb_parse_cpus(const char *text, int64_t *quota, uint64_t *period,
                  wb_error *err);
/* "0-2,4": every id must exist on this host (max_id = online - 1). */
int wb_parse_cpuset(const char *flag, const char *text, long max_id,
                    wb_error *err);
int wb_parse_pids_limit(const char *text, int64_t *out, wb_error *err);
/* Highest cpu / memory node id present on this host. */
long wb_host_max_cpu(void);
long wb_host_max_mem_node(void);
/* Cross-field checks (e.g. --memory-swap needs --memory and >= it). */
int wb_limits_check(const struct wb_limits *l, wb_error *err);

#endif
