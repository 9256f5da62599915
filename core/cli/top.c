/* top: the processes of a running container, as `ps -ef` shows them: every
 * process in the pid namespace of the container's first process (exec'd
 * processes included), with host pids as docker prints them. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../container/lifecycle.h"
#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/log.h"
#include "../util/xalloc.h"
#include "commands.h"

static const char usage_text[] =
    "Usage: whalebox top CONTAINER [ps OPTIONS]\n"
    "\n"
    "Show the processes of a running container (UID, PID, PPID, C, STIME,\n"
    "TTY, TIME, CMD as `ps -ef`).  ps options are accepted and ignored.\n";

struct proc_info {
  pid_t pid, ppid;
  uid_t uid;
  unsigned long long ticks; /* utime + stime */
  unsigned long long start; /* clock ticks after boot */
  int tty_nr;
  char comm[64];
};

/* /proc/PID/stat and the effective uid from /proc/PID/status. */
static int read_proc(pid_t pid, struct proc_info *p)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  cleanup_free char *stat = NULL;
  if (read_file(path, &stat, NULL, NULL) < 0)
    return -1;
  char *open = strchr(stat, '('), *close = strrchr(stat, ')');
  if (!open || !close || close < open)
    return -1;
  snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close - open - 1), open + 1);
  /* After ')': state ppid pgrp session tty_nr tpgid flags minflt cminflt
   * majflt cmajflt utime stime cutime cstime priority nice threads
   * itrealvalue starttime (fields 3..22). */
  unsigned long long utime, stime;
  char state;
  if (sscanf(close + 1,
             " %c %d %*d %*d %d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d"
             " %*d %*d %*d %llu",
             &state, &p->ppid, &p->tty_nr, &utime, &stime, &p->start) != 6)
    return -1;
  p->pid = pid;
  p->ticks = utime + stime;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  cleanup_free char *status = NULL;
  if (read_file(path, &status, NULL, NULL) < 0)
    return -1;
  char *uid = strstr(status, "\nUid:");
  unsigned real, effective;
  if (!uid || sscanf(uid + 5, "%u %u", &real, &effective) != 2)
    return -1;
  p->uid = effective;
  return 0;
}

/* The command line with spaces, or "[comm]" for a process without one. */
static char *read_cmdline(const struct proc_info *p)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p->pid);
  char *text = NULL;
  size_t len = 0;
  if (read_file(path, &text, &len, NULL) < 0 || len == 0) {
    free(text);
    return xasprintf("[%s]", p->comm);
  }
  for (size_t i = 0; i + 1 < len; i++)
    if (text[i] == '\0')
      text[i] = ' ';
  return text;
}

static char *format_user(uid_t uid)
{
  struct passwd *pw = getpwuid(uid);
  return pw ? xstrdup(pw->pw_name) : xasprintf("%u", (unsigned)uid);
}

static char *format_tty(int tty_nr)
{
  unsigned major = ((unsigned)tty_nr >> 8) & 0xfff;
  unsigned minor =
      ((unsigned)tty_nr & 0xff) | (((unsigned)tty_nr >> 12) & 0xfff00);
  if (tty_nr == 0)
    return xstrdup("?");
  if (major >= 136 && major <= 143)
    return xasprintf("pts/%u", (major - 136) * 256 + minor);
  if (major == 4 && minor < 64)
    return xasprintf("tty%u", minor);
  if (major == 4)
    return xasprintf("ttyS%u", minor - 64);
  return xasprintf("%u:%u", major, minor);
}

/* Boot time in seconds since the epoch (btime of /proc/stat). */
static time_t boot_time(void)
{
  cleanup_free char *stat = NULL;
  if (read_file("/proc/stat", &stat, NULL, NULL) < 0)
    return 0;
  char *b = strstr(stat, "\nbtime ");
  return b ? (time_t)strtoll(b + 7, NULL, 10) : 0;
}

static double uptime_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "14:02" today, "Nov28" before, as ps prints STIME. */
static char *format_stime(time_t started)
{
  struct tm then, now;
  time_t t = time(NULL);
  localtime_r(&started, &then);
  localtime_r(&t, &now);
  char buf[32];
  if (then.tm_year == now.tm_year && then.tm_yday == now.tm_yday)
    strftime(buf, sizeof buf, "%H:%M", &then);
  else
    strftime(buf, sizeof buf, "%b%d", &then);
  return xstrdup(buf);
}

static char *format_cputime(unsigned long long secs)
{
  unsigned long long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60,
                     s = secs % 60;
  if (d)
    return xasprintf("%llu-%02llu:%02llu:%02llu", d, h, m, s);
  return xasprintf("%02llu:%02llu:%02llu", h, m, s);
}

static int pid_ns(pid_t pid, struct stat *st)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
  return stat(path, st);
}

WB_COMMAND(top, "top", "Show the processes of a running container")
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int opt;
  /* "+" and stopping at the container: what follows is for ps. */
  while ((opt = wb_cli_getopt("top", argc, argv, "+h", opts, err)) != -1) {
    if (opt == 'h') {
      fputs(usage_text, stdout);
      return 0;
    }
    return wb_cli_bad_flag("top", argv, err);
  }
  if (optind >= argc)
    return wb_error_set(err, -EINVAL,
                        "top: requires a container; see 'whalebox top "
                        "--help'");
  if (optind + 1 < argc)
    wb_debug("top: ignoring ps options starting with %s", argv[optind + 1]);
  cleanup_container struct wb_container *c = NULL;
  int r = wb_container_load(ctx->root, argv[optind], &c, err);
  if (r < 0)
    return r;
  wb_container_refresh(c);
  struct stat ns;
  if (!wb_container_running(c) || pid_ns(c->pid, &ns) < 0 ||
      !wb_proc_alive(c->pid, c->start_time))
    return wb_error_set(err, -EINVAL, "container %s is not running",
                        argv[optind]);
  cleanup_dir DIR *d = opendir("/proc");
  if (!d)
    return wb_error_set(err, errno, "open /proc");
  long hz = sysconf(_SC_CLK_TCK);
  if (hz <= 0)
    hz = 100;
  time_t boot = boot_time();
  double up = uptime_seconds();
  printf("%-10s %-8s %-8s %-3s %-5s %-8s %-8s %s\n", "UID", "PID", "PPID", "C",
         "STIME", "TTY", "TIME", "CMD");
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!isdigit((unsigned char)de->d_name[0]))
      continue;
    pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
    struct stat st;
    struct proc_info p;
    /* Gone meanwhile, or another namespace: not ours. */
    if (pid_ns(pid, &st) < 0 || st.st_ino != ns.st_ino ||
        st.st_dev != ns.st_dev || read_proc(pid, &p) < 0)
      continue;
    double age = up - (double)p.start / (double)hz;
    int cpu = age > 0 ? (int)((double)p.ticks / (double)hz * 100.0 / age) : 0;
    cleanup_free char *user = format_user(p.uid);
    cleanup_free char *stime =
        format_stime(boot + (time_t)(p.start / (unsigned long long)hz));
    cleanup_free char *tty = format_tty(p.tty_nr);
    cleanup_free char *cputime =
        format_cputime(p.ticks / (unsigned long long)hz);
    cleanup_free char *cmd = read_cmdline(&p);
    printf("%-10s %-8d %-8d %-3d %-5s %-8s %-8s %s\n", user, (int)p.pid,
           (int)p.ppid, cpu, stime, tty, cputime, cmd);
  }
  return 0;
}
