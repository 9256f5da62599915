/* log.h - the one logging helper: leveled, to stderr, never mixed with the
 * container's own output. */
#ifndef WB_LOG_H
#define WB_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <whalebox/plugin.h>

void wb_log_set_level(int level);
int wb_log_get_level(void);
/* "debug", "info", "warn", "error" -> level; -1 if unknown. */
int wb_log_parse_level(const char *name);
/* Where the lines go: stderr, unless a writer is set (whalebox-monitor,
 * whose stderr is /dev/null, keeps them in a file of the container's).
 * The line ends with '\n'. */
void wb_log_set_writer(void (*writer)(int level, const char *line, size_t len));
void wb_logv(int level, const char *prefix, const char *fmt, va_list ap);
void wb_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* At debug level: "<phase> at N.NNN ms" since the first call, to see
 * where a command spends its time. */
void wb_log_phase(const char *phase);

#define wb_debug(...) wb_log(WB_LOG_DEBUG, __VA_ARGS__)
#define wb_info(...) wb_log(WB_LOG_INFO, __VA_ARGS__)
#define wb_warn(...) wb_log(WB_LOG_WARN, __VA_ARGS__)

#endif
