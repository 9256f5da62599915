/* exec: run a command in a running container. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../container/exec.h"
#include "../container/freeze.h"
#include "../util/cleanup.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
    "\n"
    "Run a command in a running container, in all of its namespaces and its\n"
    "cgroup, with the same security settings as its first process.\n"
    "\n"
    "  -d, --detach          run in the background\n"
    "  -i, --interactive     keep stdin open\n"
    "  -t, --tty             allocate a pseudo-terminal\n"
    "  -e, --env K=V         set an environment variable (repeatable)\n"
    "  -w, --workdir DIR     working directory\n"
    "  -u, --user USER[:G]   user (from the container's /etc/passwd) or uid\n";

WB_COMMAND(exec, "exec", "Run a command in a running container")
{
  static const struct option opts[] = {
      {"detach", no_argument, NULL, 'd'},
      {"interactive", no_argument, NULL, 'i'},
      {"tty", no_argument, NULL, 't'},
      {"env", required_argument, NULL, 'e'},
      {"workdir", required_argument, NULL, 'w'},
      {"user", required_argument, NULL, 'u'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  struct wb_exec_request req = {0};
  cleanup_strv char **env = NULL;
  int c;
  while ((c = wb_cli_getopt("exec", argc, argv, "+dite:w:u:h", opts, err)) !=
         -1) {
    switch (c) {
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'd':
      req.detach = true;
      break;
    case 'i':
      req.interactive = true;
      break;
    case 't':
      req.tty = true;
      break;
    case 'e':
      if (!*optarg || *optarg == '=')
        return wb_error_set(err, -EINVAL,
                            "invalid environment variable: \"%s\"", optarg);
      if (strchr(optarg, '='))
        strv_push(&env, optarg);
      else if (getenv(optarg)) {
        cleanup_free char *kv = xasprintf("%s=%s", optarg, getenv(optarg));
        strv_push(&env, kv);
      }
      break;
    case 'w':
      if (optarg[0] != '/')
        return wb_error_set(err, -EINVAL,
                            "the working directory '%s' is invalid: it "
                            "needs to be an absolute path",
                            optarg);
      req.workdir = optarg;
      break;
    case 'u':
      req.user = optarg;
      break;
    default:
      return wb_cli_bad_flag("exec", argv, err);
    }
  }
  if (argc - optind < 2)
    return wb_error_set(err, -EINVAL,
                        "\"exec\" requires at least 2 arguments: CONTAINER "
                        "COMMAND [ARG...]");
  cleanup_container struct wb_container *ct = NULL;
  int r = wb_container_load(ctx->root, argv[optind], &ct, err);
  if (r < 0 || (r = wb_container_exec_ready(ctx, ct, err)) < 0)
    return r;
  /* As docker, after the container is found and before anything runs. */
  if (req.tty && req.interactive && !req.detach && !isatty(STDIN_FILENO))
    return wb_error_set_exit(err, 1, -ENOTTY, "the input device is not a TTY");
  wb_container_refresh(ct);
  if (!wb_container_running(ct))
    return wb_error_set(err, -ESRCH,
                        "container %s is not running: start it first",
                        argv[optind]);
  cleanup_strv char **cmd = NULL;
  for (int i = optind + 1; i < argc; i++)
    strv_push(&cmd, argv[i]);
  req.argv = cmd;
  req.env = env;
  return wb_container_exec(ctx, ct, &req, err);
}
