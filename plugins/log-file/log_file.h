/* log_file.h - internals of the log-file driver, shared by its files. */
#ifndef WB_LOG_FILE_H
#define WB_LOG_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <whalebox/plugin.h>

/* Longest log text of one entry, as Docker's json-file: a longer line is
 * split into several entries, so writing never needs unbounded memory. */
#define LF_ENTRY_MAX (16 * 1024)
/* Longest JSON line the reader accepts; longer ones are skipped (an entry
 * we wrote is at most about 6 * LF_ENTRY_MAX). */
#define LF_READ_LINE_MAX (1024 * 1024)
/* Upper bound of max-file, which bounds the renames of one rotation. */
#define LF_MAX_FILE_LIMIT 1000

#define LF_LOG_NAME "container.log"
#define LF_DEFAULT_MAX_SIZE (10 * 1024 * 1024)
#define LF_DEFAULT_MAX_FILE 3

struct lf_driver {
  const struct wb_host *host;
  int64_t max_size; /* from the config group, or the default */
  int64_t max_file;
};

/* A growable byte buffer. */
struct lf_buf {
  char *data;
  size_t len;
  size_t cap;
};

int lf_buf_reserve(struct lf_buf *b, size_t extra);
int lf_buf_append(struct lf_buf *b, const void *p, size_t n);
void lf_buf_free(struct lf_buf *b);

/* Append one JSON line (with its '\n') for an entry.  -ENOMEM only. */
int lf_format_entry(struct lf_buf *out, int stream, const struct timespec *ts,
                    const char *text, size_t len);
/* Parse one line (without '\n'); the log text goes to *text (reset
 * first).  0, or -EINVAL when the line is not an entry. */
int lf_parse_entry(const char *line, size_t len, struct lf_buf *text,
                   int *stream, struct timespec *ts);

/* "container.log" for 0, "container.log.<n>" otherwise. */
int lf_file_name(char *buf, size_t size, long index);
/* The n of "container.log.<n>", 0 for "container.log", -1 otherwise. */
long lf_file_index(const char *name);

/* The ops, one file per concern. */
int lf_open(void *driver, const struct wb_log_target *t, void **handle,
            wb_error *err);
int lf_write(void *handle, int stream, const struct timespec *ts,
             const void *buf, size_t len, wb_error *err);
void lf_close(void *handle);
int lf_read(void *driver, const struct wb_log_target *t,
            const struct wb_log_reader *reader, wb_error *err);
int lf_remove(void *driver, const struct wb_log_target *t, wb_error *err);

#endif
