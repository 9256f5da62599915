#include "host_info.h"

#include <linux/magic.h>
#include <sys/statfs.h>

const char *wb_host_cgroup_mode(void)
{
  struct statfs st;
  if (statfs("/sys/fs/cgroup", &st) < 0)
    return "none";
  if (st.f_type == CGROUP2_SUPER_MAGIC)
    return "unified";
  if (statfs("/sys/fs/cgroup/unified", &st) == 0 &&
      st.f_type == CGROUP2_SUPER_MAGIC)
    return "hybrid";
  return "legacy";
}
