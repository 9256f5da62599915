/* main.c - global flags, configuration, dispatch to a verb.  The only place
 * that prints an error and chooses the exit code. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "context.h"
#include "util/error.h"
#include "util/log.h"
#include "util/xalloc.h"

static int fail(wb_error *err)
{
  fprintf(stderr, "whalebox: %s\n", err->msg ? err->msg : "unknown error");
  return wb_error_exit_code(err);
}

/* What the global flags asked for besides settings in ctx. */
enum global_action {
  RUN_VERB,
  PRINT_VERSION,
  PRINT_HELP,
};

/* Parse the global flags into ctx; optind ends at the verb. */
static int parse_global_flags(int argc, char **argv, struct wb_context *ctx,
                              const char **config_path,
                              enum global_action *action, wb_error *err)
{
  enum {
    O_CONFIG = 256,
    O_ROOT,
    O_PLUGIN_DIR,
    O_STORAGE,
    O_CGROUP,
    O_LOG,
    O_LEVEL
  };
  static const struct option opts[] = {
      {"config", required_argument, NULL, O_CONFIG},
      {"root", required_argument, NULL, O_ROOT},
      {"plugin-dir", required_argument, NULL, O_PLUGIN_DIR},
      {"storage-driver", required_argument, NULL, O_STORAGE},
      {"cgroup-driver", required_argument, NULL, O_CGROUP},
      {"log-driver", required_argument, NULL, O_LOG},
      {"log-level", required_argument, NULL, O_LEVEL},
      {"version", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int c;
  *action = RUN_VERB;
  while ((c = wb_cli_getopt(NULL, argc, argv, "+hv", opts, err)) != -1) {
    switch (c) {
    case O_CONFIG:
      *config_path = optarg;
      break;
    case O_ROOT:
      free(ctx->root);
      ctx->root = xstrdup(optarg);
      break;
    case O_PLUGIN_DIR:
      free(ctx->plugin_dir);
      ctx->plugin_dir = xstrdup(optarg);
      break;
    case O_STORAGE:
    case O_CGROUP:
    case O_LOG: {
      uint32_t k = c == O_STORAGE  ? WB_PLUGIN_STORAGE
                   : c == O_CGROUP ? WB_PLUGIN_CGROUP
                                   : WB_PLUGIN_LOG;
      free(ctx->driver_arg[k]);
      ctx->driver_arg[k] = xstrdup(optarg);
      break;
    }
    case O_LEVEL: {
      int level = wb_log_parse_level(optarg);
      if (level < 0)
        return wb_error_set(err, -EINVAL,
                            "--log-level %s: must be debug, info, warn or "
                            "error",
                            optarg);
      wb_log_set_level(level);
      break;
    }
    case 'v':
      *action = PRINT_VERSION;
      return 0;
    case 'h':
      *action = PRINT_HELP;
      return 0;
    default:
      return wb_cli_bad_flag(NULL, argv, err);
    }
  }
  return 0;
}

static int run_main(int argc, char **argv, struct wb_context *ctx,
                    wb_error *err)
{
  const char *config_path = NULL;
  enum global_action action;
  int r = parse_global_flags(argc, argv, ctx, &config_path, &action, err);
  if (r < 0)
    return r;
  if (action == PRINT_VERSION) {
    printf("whalebox version %s (plugin ABI %d.%d)\n", WB_VERSION,
           WB_PLUGIN_ABI_MAJOR, WB_PLUGIN_ABI_MINOR);
    return 0;
  }
  /* As docker: no command is a request for help. */
  if (action == PRINT_HELP || optind >= argc) {
    wb_cli_usage(stdout);
    return 0;
  }
  const struct wb_command *cmd = wb_command_find(argv[optind]);
  if (!cmd)
    return wb_error_set(err, -EINVAL,
                        "unknown command '%s'; see 'whalebox --help'",
                        argv[optind]);
  r = wb_context_init(ctx, config_path, err);
  if (r < 0)
    return r;
  wb_log_phase("config loaded");
  int verb = optind;
  optind = 0; /* the verb's own getopt starts afresh */
  return cmd->fn(ctx, argc - verb, argv + verb, err);
}

int main(int argc, char **argv)
{
  /* A caller that ignores SIGCHLD would make the kernel reap our children
   * (the container's first process) before we learn their exit status. */
  signal(SIGCHLD, SIG_DFL);
  struct wb_context ctx = {0};
  cleanup_error wb_error err = WB_ERROR_INIT;
  int rc = run_main(argc, argv, &ctx, &err);
  if (rc < 0)
    rc = fail(&err);
  wb_context_free(&ctx);
  return rc;
}
