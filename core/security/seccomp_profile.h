/* seccomp_profile.h - the default profile's tables (seccomp_default.c). */
#ifndef WB_SECCOMP_PROFILE_H
#define WB_SECCOMP_PROFILE_H

extern const char *const wb_seccomp_allowed[];

struct wb_seccomp_capgroup {
  const char *cap; /* without CAP_ */
  const char *syscalls[32];
};
extern const struct wb_seccomp_capgroup wb_seccomp_capgroups[];

#endif
