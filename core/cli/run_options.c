/* run_options.c - parsing `run` flags.  The seed tool's single-dash
 * spellings (-name, -cpushare, -cpuset, -ti) are accepted: a long option's
 * full name after one dash is that option (wb_cli_getopt_single_dash). */
#include "run_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../container/tmpfs.h"
#include "../image/store.h"
#include "../limits_parse.h"
#include "../util/cleanup.h"
#include "../util/env.h"
#include "../util/fs.h"
#include "../util/xalloc.h"
#include "../volume/volume.h"
#include "commands.h"

enum {
  O_RM = 256,
  O_NAME,
  O_ENV_FILE,
  O_READ_ONLY,
  O_ENTRYPOINT,
  O_MEMORY_SWAP,
  O_CPUS,
  O_CPUSET_CPUS,
  O_CPUSET_MEMS,
  O_PIDS_LIMIT,
  O_LOG_DRIVER,
  O_LOG_OPT,
  O_CGROUP_PARENT,
  O_HELP,
  O_MOUNT,
  O_CAP_ADD,
  O_CAP_DROP,
  O_PRIVILEGED,
  O_SECURITY_OPT,
  O_USERNS,
  O_UIDMAP,
  O_GIDMAP,
  O_TMPFS,
};

static const struct option options[] = {
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"detach", no_argument, NULL, 'd'},
    {"rm", no_argument, NULL, O_RM},
    {"name", required_argument, NULL, O_NAME},
    {"env", required_argument, NULL, 'e'},
    {"env-file", required_argument, NULL, O_ENV_FILE},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"hostname", required_argument, NULL, 'h'},
    {"read-only", no_argument, NULL, O_READ_ONLY},
    {"entrypoint", required_argument, NULL, O_ENTRYPOINT},
    {"memory", required_argument, NULL, 'm'},
    {"memory-swap", required_argument, NULL, O_MEMORY_SWAP},
    {"cpu-shares", required_argument, NULL, 'c'},
    {"cpushare", required_argument, NULL, 'c'},
    {"cpus", required_argument, NULL, O_CPUS},
    {"cpuset-cpus", required_argument, NULL, O_CPUSET_CPUS},
    {"cpuset", required_argument, NULL, O_CPUSET_CPUS},
    {"cpuset-mems", required_argument, NULL, O_CPUSET_MEMS},
    {"pids-limit", required_argument, NULL, O_PIDS_LIMIT},
    {"volume", required_argument, NULL, 'v'},
    {"mount", required_argument, NULL, O_MOUNT},
    {"log-driver", required_argument, NULL, O_LOG_DRIVER},
    {"log-opt", required_argument, NULL, O_LOG_OPT},
    {"cgroup-parent", required_argument, NULL, O_CGROUP_PARENT},
    {"cap-add", required_argument, NULL, O_CAP_ADD},
    {"cap-drop", required_argument, NULL, O_CAP_DROP},
    {"privileged", no_argument, NULL, O_PRIVILEGED},
    {"security-opt", required_argument, NULL, O_SECURITY_OPT},
    {"userns", required_argument, NULL, O_USERNS},
    {"uidmap", required_argument, NULL, O_UIDMAP},
    {"gidmap", required_argument, NULL, O_GIDMAP},
    {"tmpfs", required_argument, NULL, O_TMPFS},
    {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

static int add_env(char ***env, const char *kv, wb_error *err)
{
  if (!*kv || *kv == '=')
    return wb_error_set(err, -EINVAL, "invalid environment variable: \"%s\"",
                        kv);
  if (strchr(kv, '=')) {
    strv_push(env, kv);
    return 0;
  }
  /* "-e NAME" passes the variable through from our environment. */
  const char *v = getenv(kv);
  if (v) {
    cleanup_free char *full = xasprintf("%s=%s", kv, v);
    strv_push(env, full);
  }
  return 0;
}

static int add_env_file(char ***env, const char *path, wb_error *err)
{
  cleanup_free char *text = NULL;
  int r = read_file(path, &text, NULL, err);
  if (r < 0)
    return wb_error_prefix(err, "--env-file");
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    line += strspn(line, " \t");
    if (!*line || *line == '#')
      continue;
    r = add_env(env, line, err);
    if (r < 0)
      return r;
  }
  return 0;
}

/* -v HOST:CTR[:ro|rw], NAME:CTR[:mode] or /CTR (anonymous volume). */
static int add_volume(struct wb_container *c, const char *spec, wb_error *err)
{
  struct wb_bind b;
  int r = wb_volume_parse_spec(spec, &b, err);
  if (r < 0)
    return r;
  c->binds = xrealloc(c->binds, (c->n_binds + 1) * sizeof *c->binds);
  c->binds[c->n_binds++] = b;
  return 0;
}

/* A container path with its slashes tidied ("//a/b/" is "/a/b"). */
static char *tidy_path(const char *path)
{
  char *out = xstrdup(path), *w = out;
  for (const char *p = path; *p; p++)
    if (*p != '/' || w == out || w[-1] != '/')
      *w++ = *p;
  while (w > out + 1 && w[-1] == '/')
    w--;
  *w = '\0';
  return out;
}

/* Two mounts on one path: the second would hide the first (docker's
 * "Duplicate mount point"). */
static int check_mount_points(const struct wb_container *c, wb_error *err)
{
  size_t n = c->n_binds + c->n_tmpfs;
  cleanup_strv char **seen = xzalloc(sizeof(char *));
  for (size_t i = 0; i < n; i++) {
    const char *t =
        i < c->n_binds ? c->binds[i].target : c->tmpfs[i - c->n_binds].target;
    cleanup_free char *tidy = tidy_path(t);
    for (char **s = seen; *s; s++)
      if (strcmp(*s, tidy) == 0)
        return wb_error_set(err, -EINVAL, "duplicate mount point: %s", tidy);
    strv_push(&seen, tidy);
  }
  return 0;
}

static int apply_image(struct wb_context *ctx, struct wb_container *c,
                       const char *ref, char **cmd, const char *entrypoint,
                       char **file_env, char **flag_env, wb_error *err)
{
  cleanup_image struct wb_image *img = NULL;
  int r = wb_image_lookup(ctx->root, ref, &img, err);
  if (r < 0)
    return r;
  c->image_id = xstrdup(img->id);
  c->image_ref = xstrdup(ref);
  for (char **l = img->layers; l && *l; l++) {
    cleanup_free char *p = wb_layer_path(ctx->root, *l);
    strv_push(&c->layers, p);
  }
  if (!c->layers)
    return wb_error_set(err, -EINVAL, "image %s has no layers", ref);
  /* Docker: --entrypoint replaces the image's and drops its CMD. */
  char **argv = NULL;
  if (entrypoint) {
    if (*entrypoint)
      strv_push(&argv, entrypoint);
  } else {
    for (char **e = img->entrypoint; e && *e; e++)
      strv_push(&argv, *e);
  }
  char **args = cmd && *cmd ? cmd : (entrypoint ? NULL : img->cmd);
  for (char **a = args; a && *a; a++)
    strv_push(&argv, *a);
  /* Docker's words; nothing exists yet, so nothing is left behind. */
  if (!argv)
    return wb_error_set(err, -EINVAL, "no command specified");
  c->argv = argv;
  /* The image's variables, then --env-file, then -e (as Docker reads
   * them): a later value of a name replaces an earlier one. */
  char **const env_lists[] = {img->env, file_env, flag_env};
  strv_free(c->env);
  c->env = wb_env_merge(env_lists, 3);
  if (!c->workdir && img->workdir && *img->workdir)
    c->workdir = xstrdup(img->workdir);
  if (!c->user && img->user && *img->user)
    c->user = xstrdup(img->user);
  return 0;
}

int wb_run_parse(struct wb_context *ctx, int argc, char **argv,
                 struct wb_container **out, bool *help, wb_error *err)
{
  cleanup_container struct wb_container *c = wb_container_new();
  cleanup_strv char **flag_env = NULL, **file_env = NULL;
  const char *entrypoint = NULL, *userns = NULL;
  long max_cpu = -1;
  int opt, r;
  *help = false;
  while ((opt = wb_cli_getopt_single_dash(
              "run", argc, argv, "+itde:w:u:h:m:v:c:", options, err)) != -1) {
    r = 0;
    switch (opt) {
    case 'i':
      c->interactive = true;
      break;
    case 't':
      c->tty = true;
      break;
    case 'd':
      c->detach = true;
      break;
    case O_RM:
      c->auto_remove = true;
      break;
    case O_NAME:
      r = wb_container_name_check(optarg, err);
      if (r < 0)
        return r;
      free(c->name);
      c->name = xstrdup(optarg);
      break;
    case 'e':
      r = add_env(&flag_env, optarg, err);
      break;
    case O_ENV_FILE:
      r = add_env_file(&file_env, optarg, err);
      break;
    case 'w':
      if (optarg[0] != '/')
        return wb_error_set(err, -EINVAL,
                            "the working directory '%s' is invalid: it "
                            "needs to be an absolute path",
                            optarg);
      free(c->workdir);
      c->workdir = xstrdup(optarg);
      break;
    case 'u':
      if (!*optarg)
        return wb_error_set(err, -EINVAL, "invalid value \"\" for --user");
      free(c->user);
      c->user = xstrdup(optarg);
      break;
    case 'h':
      if (!*optarg || strlen(optarg) > 64)
        return wb_error_set(err, -EINVAL, "invalid value \"%s\" for --hostname",
                            optarg);
      free(c->hostname);
      c->hostname = xstrdup(optarg);
      break;
    case O_READ_ONLY:
      c->read_only = true;
      break;
    case O_ENTRYPOINT:
      entrypoint = optarg;
      break;
    case 'm':
      r = wb_parse_memory("--memory", optarg, &c->limits.memory, err);
      break;
    case O_MEMORY_SWAP:
      r = wb_parse_memory_swap(optarg, &c->limits.memory_swap, err);
      break;
    case 'c':
      r = wb_parse_cpu_shares(optarg, &c->limits.cpu_shares, err);
      break;
    case O_CPUS:
      r = wb_parse_cpus(optarg, &c->limits.cpu_quota_us,
                        &c->limits.cpu_period_us, err);
      break;
    case O_CPUSET_CPUS:
      if (max_cpu < 0)
        max_cpu = wb_host_max_cpu();
      r = wb_parse_cpuset("--cpuset-cpus", optarg, max_cpu, err);
      free((char *)c->limits.cpuset_cpus);
      c->limits.cpuset_cpus = xstrdup(optarg);
      break;
    case O_CPUSET_MEMS:
      r = wb_parse_cpuset("--cpuset-mems", optarg, wb_host_max_mem_node(), err);
      free((char *)c->limits.cpuset_mems);
      c->limits.cpuset_mems = xstrdup(optarg);
      break;
    case O_PIDS_LIMIT:
      r = wb_parse_pids_limit(optarg, &c->limits.pids_limit, err);
      break;
    case 'v':
      r = add_volume(c, optarg, err);
      break;
    case O_MOUNT:
      r = wb_mount_spec_add(c, optarg, err);
      break;
    case O_TMPFS:
      r = wb_tmpfs_add_spec(&c->tmpfs, &c->n_tmpfs, optarg, err);
      break;
    case O_LOG_DRIVER:
      free(c->log_driver);
      c->log_driver = xstrdup(optarg);
      break;
    case O_LOG_OPT:
      if (!strchr(optarg, '='))
        return wb_error_set(err, -EINVAL,
                            "invalid --log-opt \"%s\": expected KEY=VALUE",
                            optarg);
      strv_push(&c->log_opts, optarg);
      break;
    case O_CGROUP_PARENT:
      if (!*optarg || optarg[0] == '/' || strstr(optarg, ".."))
        return wb_error_set(err, -EINVAL,
                            "invalid value \"%s\" for --cgroup-parent: a "
                            "relative path without ..",
                            optarg);
      free(c->cgroup_parent);
      c->cgroup_parent = xstrdup(optarg);
      break;
    case O_CAP_ADD:
    case O_CAP_DROP: {
      char *names[] = {optarg, NULL};
      const char *flag = opt == O_CAP_ADD ? "--cap-add" : "--cap-drop";
      r = wb_caps_validate(names, flag, err);
      if (r == 0)
        strv_push(opt == O_CAP_ADD ? &c->sec.cap_add : &c->sec.cap_drop,
                  optarg);
      break;
    }
    case O_PRIVILEGED:
      c->sec.privileged = true;
      break;
    case O_SECURITY_OPT:
      r = wb_security_opt(&c->sec, optarg, err);
      break;
    case O_USERNS:
      userns = optarg;
      break;
    case O_UIDMAP:
      r = wb_idmap_add(&c->sec.uid_map, &c->sec.n_uid_map, optarg, "--uidmap",
                       err);
      break;
    case O_GIDMAP:
      r = wb_idmap_add(&c->sec.gid_map, &c->sec.n_gid_map, optarg, "--gidmap",
                       err);
      break;
    case O_HELP:
      *help = true;
      return 0;
    default:
      return wb_cli_bad_flag("run", argv, err);
    }
    if (r < 0)
      return r;
  }
  r = wb_limits_check(&c->limits, err);
  if (r < 0)
    return r;
  r = check_mount_points(c, err);
  if (r < 0)
    return r;
  r = wb_userns_from_flags(&c->sec, userns, ctx->config.userns_remap,
                           ctx->config.path, err);
  if (r < 0)
    return r;
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "\"%s\" requires at least 1 argument: IMAGE "
                        "[COMMAND] [ARG...]",
                        argv[0]);
  /* As docker: a terminal for input needs a terminal to read from. */
  if (c->tty && c->interactive && !c->detach && !isatty(STDIN_FILENO))
    return wb_error_set_exit(err, 1, -ENOTTY, "the input device is not a TTY");
  const char *image = argv[optind++];
  cleanup_strv char **cmd = NULL;
  for (int i = optind; i < argc; i++)
    strv_push(&cmd, argv[i]);
  r = apply_image(ctx, c, image, cmd, entrypoint, file_env, flag_env, err);
  if (r < 0)
    return r;
  *out = steal_pointer(&c);
  return 0;
}
