/* seccomp.c - build the filter with libseccomp: the default profile, or a
 * profile in Docker's JSON format (--security-opt seccomp=FILE). */
#include <errno.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "seccomp_profile.h"
#include "security.h"

static void ctx_release(scmp_filter_ctx *c)
{
  if (*c)
    seccomp_release(*c);
}
#define cleanup_seccomp __attribute__((cleanup(ctx_release)))

static bool has_cap(char **caps, const char *name)
{
  for (; caps && *caps; caps++)
    if (strcasecmp(*caps + 4, name) == 0) /* skip "CAP_" */
      return true;
  return false;
}

static int allow(scmp_filter_ctx f, const char *name)
{
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR)
    return 0; /* unknown on this architecture / libseccomp */
  return seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
}

#define NS_FLAGS                                                               \
  (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |  \
   CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME)

static int default_profile(scmp_filter_ctx f, char **caps, wb_error *err)
{
  int r;
  for (const char *const *s = wb_seccomp_allowed; *s; s++)
    if ((r = allow(f, *s)) < 0)
      return wb_error_set(err, -r, "seccomp: allow %s", *s);
  bool sys_admin = has_cap(caps, "SYS_ADMIN");
  for (const struct wb_seccomp_capgroup *g = wb_seccomp_capgroups; g->cap; g++)
    if (has_cap(caps, g->cap))
      for (const char *const *s = g->syscalls; *s; s++)
        if ((r = allow(f, *s)) < 0)
          return wb_error_set(err, -r, "seccomp: allow %s", *s);
  /* clone: new namespaces only with CAP_SYS_ADMIN.  clone3 passes its flags
   * in memory that a filter cannot read, so without CAP_SYS_ADMIN it fails
   * with ENOSYS and libc falls back to clone, as under Docker. */
  if (sys_admin)
    r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0);
  else {
    r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0));
    if (r == 0)
      r = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  }
  if (r < 0)
    return wb_error_set(err, -r, "seccomp: clone rule");
  /* socket: every family but AF_VSOCK (40), as Docker. */
  if ((r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                            SCMP_A0(SCMP_CMP_NE, 40))) < 0)
    return wb_error_set(err, -r, "seccomp: socket rule");
  /* personality: only the harmless execution domains. */
  static const unsigned long personas[] = {0x0, 0x0008, 0x20000, 0x20008,
                                           0xffffffff};
  for (size_t i = 0; i < sizeof personas / sizeof *personas; i++)
    if ((r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
                              SCMP_A0(SCMP_CMP_EQ, personas[i]))) < 0)
      return wb_error_set(err, -r, "seccomp: personality rule");
  return 0;
}

static uint32_t action_of(const char *name, int errno_ret, bool *ok)
{
  *ok = true;
  if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
    return SCMP_ACT_ALLOW;
  if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
    return SCMP_ACT_ERRNO(errno_ret > 0 ? errno_ret : EPERM);
  if (strcmp(name, "SCMP_ACT_KILL") == 0 ||
      strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
    return SCMP_ACT_KILL;
  if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
    return SCMP_ACT_KILL_PROCESS;
  if (strcmp(name, "SCMP_ACT_TRAP") == 0)
    return SCMP_ACT_TRAP;
  if (strcmp(name, "SCMP_ACT_LOG") == 0)
    return SCMP_ACT_LOG;
  *ok = false;
  return 0;
}

static int cmp_op(const char *op)
{
  static const struct {
    const char *name;
    int op;
  } ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
             {"SCMP_CMP_LT", SCMP_CMP_LT},
             {"SCMP_CMP_LE", SCMP_CMP_LE},
             {"SCMP_CMP_EQ", SCMP_CMP_EQ},
             {"SCMP_CMP_GE", SCMP_CMP_GE},
             {"SCMP_CMP_GT", SCMP_CMP_GT},
             {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
    if (strcmp(ops[i].name, op) == 0)
      return ops[i].op;
  return -1;
}

/* Does a rule's includes/excludes {"caps": [...]} select this container? */
static bool caps_match(json_t *rule, char **caps)
{
  json_t *inc = json_object_get(json_object_get(rule, "includes"), "caps");
  json_t *exc = json_object_get(json_object_get(rule, "excludes"), "caps");
  size_t i;
  json_t *c;
  json_array_foreach(inc, i, c)
  {
    const char *n = json_string_value(c);
    if (n && !has_cap(caps, strncasecmp(n, "CAP_", 4) == 0 ? n + 4 : n))
      return false;
  }
  json_array_foreach(exc, i, c)
  {
    const char *n = json_string_value(c);
    if (n && has_cap(caps, strncasecmp(n, "CAP_", 4) == 0 ? n + 4 : n))
      return false;
  }
  return true;
}

static int json_profile(const char *path, const char *text, char **caps,
                        scmp_filter_ctx *out, wb_error *err)
{
  json_error_t je;
  json_t *doc = json_loads(text, 0, &je);
  if (!doc)
    return wb_error_set(err, -EINVAL, "seccomp profile %s:%d: %s", path,
                        je.line, je.text);
  int ret = 0;
  bool ok;
  const char *def = json_string_value(json_object_get(doc, "defaultAction"));
  int def_errno =
      (int)json_integer_value(json_object_get(doc, "defaultErrnoRet"));
  uint32_t def_action = def ? action_of(def, def_errno, &ok) : 0;
  if (!def || !ok) {
    json_decref(doc);
    return wb_error_set(err, -EINVAL,
                        "seccomp profile %s: missing or unknown defaultAction",
                        path);
  }
  scmp_filter_ctx f = seccomp_init(def_action);
  if (!f) {
    json_decref(doc);
    return wb_error_set(err, -ENOMEM, "seccomp_init");
  }
  size_t i, j, k;
  json_t *rule, *name, *arg;
  json_array_foreach(json_object_get(doc, "syscalls"), i, rule)
  {
    if (!caps_match(rule, caps))
      continue;
    const char *act = json_string_value(json_object_get(rule, "action"));
    int eret = (int)json_integer_value(json_object_get(rule, "errnoRet"));
    uint32_t action = act ? action_of(act, eret, &ok) : 0;
    if (!act || !ok) {
      ret = wb_error_set(err, -EINVAL,
                         "seccomp profile %s: rule %zu: "
                         "unknown action",
                         path, i);
      break;
    }
    struct scmp_arg_cmp cmps[6];
    unsigned ncmp = 0;
    json_array_foreach(json_object_get(rule, "args"), k, arg)
    {
      int op = cmp_op(json_string_value(json_object_get(arg, "op")) ?: "");
      if (op < 0 || ncmp >= 6) {
        ret = wb_error_set(err, -EINVAL,
                           "seccomp profile %s: rule %zu: bad "
                           "argument comparison",
                           path, i);
        break;
      }
      cmps[ncmp++] = (struct scmp_arg_cmp){
          .arg = (unsigned)json_integer_value(json_object_get(arg, "index")),
          .op = op,
          .datum_a =
              (scmp_datum_t)json_integer_value(json_object_get(arg, "value")),
          .datum_b = (scmp_datum_t)json_integer_value(
              json_object_get(arg, "valueTwo")),
      };
    }
    if (ret < 0)
      break;
    if (action == def_action)
      continue;
    json_t *names = json_object_get(rule, "names");
    if (!names && json_object_get(rule, "name")) {
      names = json_array();
      json_array_append(names, json_object_get(rule, "name"));
      json_object_set_new(rule, "names", names);
    }
    json_array_foreach(names, j, name)
    {
      int nr = seccomp_syscall_resolve_name(json_string_value(name) ?: "");
      if (nr == __NR_SCMP_ERROR)
        continue;
      int r = seccomp_rule_add_array(f, action, nr, ncmp, cmps);
      if (r < 0 && r != -EEXIST) {
        ret = wb_error_set(err, -r, "seccomp profile %s: rule for %s", path,
                           json_string_value(name));
        break;
      }
    }
    if (ret < 0)
      break;
  }
  json_decref(doc);
  if (ret < 0) {
    seccomp_release(f);
    return ret;
  }
  *out = f;
  return 0;
}

/* The rules as a libseccomp context, or *out = NULL when there is no
 * filter (privileged, unconfined). */
static int build(const struct wb_security *s, scmp_filter_ctx *out,
                 wb_error *err)
{
  *out = NULL;
  if (wb_seccomp_none(s))
    return 0;
  cleanup_strv char **caps = wb_caps_effective(s);
  cleanup_seccomp scmp_filter_ctx f = NULL;
  int r;
  if (s->seccomp) {
    if (!s->seccomp_profile)
      return wb_error_set(err, -EINVAL, "seccomp profile %s was not read",
                          s->seccomp);
    r = json_profile(s->seccomp, s->seccomp_profile, caps, &f, err);
    if (r < 0)
      return r;
  } else {
    f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!f)
      return wb_error_set(err, -ENOMEM, "seccomp_init");
    r = default_profile(f, caps, err);
    if (r < 0)
      return r;
  }
  /* Only the native x86_64 entry points: i386 (int 0x80) and x32 system
   * calls fail, so they cannot be used to bypass the rules. */
  r = seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(EPERM));
  if (r == 0)
    r = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0);
  if (r < 0)
    return wb_error_set(err, -r, "seccomp attributes");
  *out = steal_pointer(&f);
  return 0;
}

int wb_seccomp_prepare(const struct wb_security *s,
                       struct wb_seccomp_filter *out, wb_error *err)
{
  out->insns = NULL;
  out->len = 0;
  cleanup_seccomp scmp_filter_ctx f = NULL;
  int r = build(s, &f, err);
  if (r < 0 || !f)
    return r;
  /* libseccomp 2.5 compiles only into an fd: a memfd, read back. */
  cleanup_close int fd = memfd_create("whalebox-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return wb_error_set(err, errno, "memfd_create");
  r = seccomp_export_bpf(f, fd);
  if (r < 0)
    return wb_error_set(err, -r, "compile seccomp filter");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return wb_error_set(err, errno, "stat seccomp filter");
  size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
  if (n == 0 || n > BPF_MAXINSNS ||
      (size_t)st.st_size != n * sizeof(struct sock_filter))
    return wb_error_set(err, -EINVAL, "seccomp filter of %lld bytes",
                        (long long)st.st_size);
  struct sock_filter *insns = xmalloc((size_t)st.st_size);
  if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
    int e = errno ? errno : EIO;
    free(insns);
    return wb_error_set(err, e, "read seccomp filter");
  }
  out->insns = insns;
  out->len = (unsigned short)n;
  return 0;
}

int wb_seccomp_apply(const struct wb_seccomp_filter *f, wb_error *err)
{
  if (!f->insns)
    return 0;
  struct sock_fprog prog = {.len = f->len, .filter = f->insns};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
    return wb_error_set(err, errno, "load seccomp filter");
  return 0;
}

void wb_seccomp_filter_clear(struct wb_seccomp_filter *f)
{
  free(f->insns);
  f->insns = NULL;
  f->len = 0;
}
