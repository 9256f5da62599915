/* host_info.h - facts about the host shown by `info`. */
#ifndef WB_HOST_INFO_H
#define WB_HOST_INFO_H

/* "unified", "hybrid" or "legacy" (or "none"). */
const char *wb_host_cgroup_mode(void);

#endif
