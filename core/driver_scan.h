/* driver_scan.h - look at drivers in child processes with a time limit, for
 * `plugins` and `info`, as GStreamer's plugin scanner does.
 *
 * The guard (driver_guard.h) already turns most crashes and hangs of a
 * driver into errors, but `plugins` is the tool a user runs when a driver
 * misbehaves: it must list every driver even when one does what the guard
 * cannot catch (_exit(), blocking our signals, corrupting the heap), and a
 * driver that prints to stdout must not break `--format json`.  So each
 * look runs in a fork with stdout sent to stderr, returns one JSON object
 * through a pipe, and is killed if it outlives its time limit.  All looks
 * of one command run at once: a hanging driver costs its limit, not the
 * sum of them. */
#ifndef WB_DRIVER_SCAN_H
#define WB_DRIVER_SCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Runs in the child: returns the object to hand back (owned by the
 * caller; NULL is reported as a failure). */
typedef json_t *(*wb_scan_fn)(void *arg);

struct wb_scan {
  /* in */
  wb_scan_fn fn;
  void *arg;
  /* out, after wb_scan_run: the child's object, or NULL and `failure`,
   * e.g. "crashed in probe() with signal 11 (Segmentation fault)" or
   * "did not answer within 40 s (in init() of storage-x)". */
  json_t *result;
  char *failure;

  /* private */
  pid_t pid;
  int fd;
  char *buf;
  size_t len;
  int status;
};

/* Run every scan in its own child, all at once, and wait for them, killing
 * those still running after limit_s seconds. */
void wb_scan_run(struct wb_scan *scans, size_t n, unsigned limit_s);
void wb_scan_clear(struct wb_scan *s);

#endif
