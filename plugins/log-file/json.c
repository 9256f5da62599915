/* json.c - the json-file line format: writing and parsing one entry.
 *
 * A line is {"log":"<text>","stream":"stdout|stderr","time":"<RFC 3339>"}.
 * Text is escaped the way Docker's json-file escapes it, so tools that read
 * Docker's logs read ours byte for byte: '"' and '\\' backslashed, \n \r \t
 * by name, other control characters and the HTML-sensitive < > & as \u00XX,
 * U+2028/U+2029 as \u2028/\u2029, and every byte that is not part of valid
 * UTF-8 as \ufffd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log_file.h"

int lf_buf_reserve(struct lf_buf *b, size_t extra)
{
  if (b->cap - b->len >= extra)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->len < extra) {
    if (cap > SIZE_MAX / 2)
      return -ENOMEM;
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p)
    return -ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int lf_buf_append(struct lf_buf *b, const void *p, size_t n)
{
  int r = lf_buf_reserve(b, n);
  if (r < 0)
    return r;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  return 0;
}

void lf_buf_free(struct lf_buf *b)
{
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at p (n bytes available), 0 when the
 * byte at p does not start one.  Overlong forms, surrogates and code points
 * above U+10FFFF are invalid, as in the Unicode standard. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
  unsigned char c = p[0];
  unsigned char lo = 0x80, hi = 0xBF;
  size_t len;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (n < len || p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return len;
}

static int escape_text(struct lf_buf *out, const char *text, size_t len)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)text;
  /* Worst case: every byte becomes "\ufffd" (6 bytes). */
  if (len > (SIZE_MAX - 64) / 6)
    return -ENOMEM;
  int r = lf_buf_reserve(out, len * 6);
  if (r < 0)
    return r;
  char *o = out->data + out->len;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' &&
          c != '&') {
        *o++ = (char)c;
      } else if (c == '"' || c == '\\') {
        *o++ = '\\';
        *o++ = (char)c;
      } else if (c == '\n') {
        *o++ = '\\';
        *o++ = 'n';
      } else if (c == '\r') {
        *o++ = '\\';
        *o++ = 'r';
      } else if (c == '\t') {
        *o++ = '\\';
        *o++ = 't';
      } else {
        memcpy(o, "\\u00", 4);
        o[4] = hex[c >> 4];
        o[5] = hex[c & 0xF];
        o += 6;
      }
      i++;
      continue;
    }
    size_t n = utf8_seq_len(s + i, len - i);
    if (n == 0) {
      memcpy(o, "\\ufffd", 6);
      o += 6;
      i++;
    } else if (n == 3 && c == 0xE2 && s[i + 1] == 0x80 &&
               (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
      /* U+2028 and U+2029 end lines in JavaScript. */
      memcpy(o, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
      o += 6;
      i += 3;
    } else {
      memcpy(o, s + i, n);
      o += n;
      i += n;
    }
  }
  out->len = (size_t)(o - out->data);
  return 0;
}

int lf_format_entry(struct lf_buf *out, int stream, const struct timespec *ts,
                    const char *text, size_t len)
{
  int r = lf_buf_append(out, "{\"log\":\"", 8);
  if (r < 0)
    return r;
  r = escape_text(out, text, len);
  if (r < 0)
    return r;
  struct tm tm;
  time_t secs = ts->tv_sec;
  if (!gmtime_r(&secs, &tm))
    memset(&tm, 0, sizeof tm);
  char tail[128];
  /* Always nine fractional digits: a fixed width sorts as text and is
   * still RFC 3339 (Docker's own reader accepts any width). */
  int n = snprintf(tail, sizeof tail,
                   "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:"
                   "%02d.%09ldZ\"}\n",
                   stream == WB_STREAM_STDERR ? "stderr" : "stdout",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, (long)ts->tv_nsec);
  if (n < 0 || (size_t)n >= sizeof tail)
    return -EOVERFLOW;
  return lf_buf_append(out, tail, (size_t)n);
}

/* ---- parsing ------------------------------------------------------------ */

struct cursor {
  const char *p;
  const char *end;
};

static void skip_ws(struct cursor *c)
{
  while (c->p < c->end &&
         (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n'))
    c->p++;
}

static int expect(struct cursor *c, char ch)
{
  skip_ws(c);
  if (c->p >= c->end || *c->p != ch)
    return -EINVAL;
  c->p++;
  return 0;
}

/* The raw bytes of a string (between the quotes, escapes left as they
 * are); the cursor ends after the closing quote. */
static int raw_string(struct cursor *c, const char **start, size_t *len)
{
  if (expect(c, '"') < 0)
    return -EINVAL;
  const char *s = c->p;
  while (c->p < c->end && *c->p != '"') {
    if (*c->p == '\\')
      c->p++;
    c->p++;
  }
  if (c->p >= c->end)
    return -EINVAL;
  *start = s;
  *len = (size_t)(c->p - s);
  c->p++;
  return 0;
}

static int hex4(const char *p, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = p[i];
    v <<= 4;
    if (ch >= '0' && ch <= '9')
      v |= (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f')
      v |= (unsigned)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F')
      v |= (unsigned)(ch - 'A' + 10);
    else
      return -EINVAL;
  }
  *out = v;
  return 0;
}

static int put_utf8(struct lf_buf *out, unsigned cp)
{
  char u[4];
  size_t n;
  if (cp < 0x80) {
    u[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  return lf_buf_append(out, u, n);
}

/* Decode the escapes of a raw string into out. */
static int unescape(const char *s, size_t len, struct lf_buf *out)
{
  int r = lf_buf_reserve(out, len);
  if (r < 0)
    return r;
  size_t i = 0;
  while (i < len) {
    const char *bs = memchr(s + i, '\\', len - i);
    size_t plain = bs ? (size_t)(bs - (s + i)) : len - i;
    r = lf_buf_append(out, s + i, plain);
    if (r < 0)
      return r;
    i += plain;
    if (i >= len)
      break;
    if (i + 1 >= len)
      return -EINVAL;
    char e = s[i + 1];
    char ch;
    i += 2;
    switch (e) {
    case '"':
    case '\\':
    case '/':
      ch = e;
      break;
    case 'b':
      ch = '\b';
      break;
    case 'f':
      ch = '\f';
      break;
    case 'n':
      ch = '\n';
      break;
    case 'r':
      ch = '\r';
      break;
    case 't':
      ch = '\t';
      break;
    case 'u': {
      unsigned cp, lo;
      if (len - i < 4 || hex4(s + i, &cp) < 0)
        return -EINVAL;
      i += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF && len - i >= 6 && s[i] == '\\' &&
          s[i + 1] == 'u' && hex4(s + i + 2, &lo) == 0 && lo >= 0xDC00 &&
          lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      } else if (cp >= 0xD800 && cp <= 0xDFFF) {
        cp = 0xFFFD; /* a lone surrogate */
      }
      r = put_utf8(out, cp);
      if (r < 0)
        return r;
      continue;
    }
    default:
      return -EINVAL;
    }
    r = lf_buf_append(out, &ch, 1);
    if (r < 0)
      return r;
  }
  return 0;
}

/* Skip any JSON value (Docker adds "attrs" objects with some options). */
static int skip_value(struct cursor *c, int depth)
{
  if (depth > 32)
    return -EINVAL;
  skip_ws(c);
  if (c->p >= c->end)
    return -EINVAL;
  const char *s;
  size_t n;
  char open = *c->p;
  if (open == '"')
    return raw_string(c, &s, &n);
  if (open == '{' || open == '[') {
    char close = open == '{' ? '}' : ']';
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
      c->p++;
      return 0;
    }
    for (;;) {
      if (open == '{' && (raw_string(c, &s, &n) < 0 || expect(c, ':') < 0))
        return -EINVAL;
      if (skip_value(c, depth + 1) < 0)
        return -EINVAL;
      skip_ws(c);
      if (c->p < c->end && *c->p == ',') {
        c->p++;
        continue;
      }
      return expect(c, close);
    }
  }
  /* Numbers, true, false, null. */
  const char *start = c->p;
  while (c->p < c->end &&
         (strchr("+-.eE", *c->p) || (*c->p >= '0' && *c->p <= '9') ||
          (*c->p >= 'a' && *c->p <= 'z')))
    c->p++;
  return c->p > start ? 0 : -EINVAL;
}

static int digits(const char **p, const char *end, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (*p >= end || **p < '0' || **p > '9')
      return -EINVAL;
    v = v * 10 + (**p - '0');
    (*p)++;
  }
  *out = v;
  return 0;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM). */
static int parse_time(const char *s, size_t len, struct timespec *ts)
{
  const char *p = s, *end = s + len;
  int year, mon, day, hour, min, sec;
  if (digits(&p, end, 4, &year) < 0 || p >= end || *p++ != '-' ||
      digits(&p, end, 2, &mon) < 0 || p >= end || *p++ != '-' ||
      digits(&p, end, 2, &day) < 0 || p >= end ||
      (*p != 'T' && *p != 't' && *p != ' '))
    return -EINVAL;
  p++;
  if (digits(&p, end, 2, &hour) < 0 || p >= end || *p++ != ':' ||
      digits(&p, end, 2, &min) < 0 || p >= end || *p++ != ':' ||
      digits(&p, end, 2, &sec) < 0)
    return -EINVAL;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
      sec > 60)
    return -EINVAL;
  long nsec = 0;
  if (p < end && *p == '.') {
    p++;
    int nd = 0;
    while (p < end && *p >= '0' && *p <= '9') {
      if (nd < 9) {
        nsec = nsec * 10 + (*p - '0');
        nd++;
      }
      p++;
    }
    if (nd == 0)
      return -EINVAL;
    for (; nd < 9; nd++)
      nsec *= 10;
  }
  long offset = 0;
  if (p < end && (*p == 'Z' || *p == 'z')) {
    p++;
  } else if (p < end && (*p == '+' || *p == '-')) {
    int sign = *p++ == '-' ? -1 : 1, oh, om;
    if (digits(&p, end, 2, &oh) < 0 || p >= end || *p++ != ':' ||
        digits(&p, end, 2, &om) < 0)
      return -EINVAL;
    offset = sign * (oh * 3600L + om * 60L);
  } else
    return -EINVAL;
  if (p != end)
    return -EINVAL;
  struct tm tm = {.tm_year = year - 1900,
                  .tm_mon = mon - 1,
                  .tm_mday = day,
                  .tm_hour = hour,
                  .tm_min = min,
                  .tm_sec = sec};
  time_t t = timegm(&tm);
  ts->tv_sec = t - offset;
  ts->tv_nsec = nsec;
  return 0;
}

int lf_parse_entry(const char *line, size_t len, struct lf_buf *text,
                   int *stream, struct timespec *ts)
{
  struct cursor c = {line, line + len};
  int have_log = 0, have_stream = 0, have_time = 0;
  text->len = 0;
  if (expect(&c, '{') < 0)
    return -EINVAL;
  skip_ws(&c);
  if (c.p < c.end && *c.p == '}')
    return -EINVAL;
  for (;;) {
    const char *key, *val;
    size_t klen, vlen;
    if (raw_string(&c, &key, &klen) < 0 || expect(&c, ':') < 0)
      return -EINVAL;
    if (klen == 3 && memcmp(key, "log", 3) == 0) {
      if (raw_string(&c, &val, &vlen) < 0 || unescape(val, vlen, text) < 0)
        return -EINVAL;
      have_log = 1;
    } else if (klen == 6 && memcmp(key, "stream", 6) == 0) {
      if (raw_string(&c, &val, &vlen) < 0)
        return -EINVAL;
      if (vlen == 6 && memcmp(val, "stdout", 6) == 0)
        *stream = WB_STREAM_STDOUT;
      else if (vlen == 6 && memcmp(val, "stderr", 6) == 0)
        *stream = WB_STREAM_STDERR;
      else
        return -EINVAL;
      have_stream = 1;
    } else if (klen == 4 && memcmp(key, "time", 4) == 0) {
      if (raw_string(&c, &val, &vlen) < 0 || parse_time(val, vlen, ts) < 0)
        return -EINVAL;
      have_time = 1;
    } else if (skip_value(&c, 0) < 0) {
      return -EINVAL;
    }
    skip_ws(&c);
    if (c.p < c.end && *c.p == ',') {
      c.p++;
      continue;
    }
    if (expect(&c, '}') < 0)
      return -EINVAL;
    break;
  }
  skip_ws(&c);
  if (c.p != c.end || !have_log || !have_stream || !have_time)
    return -EINVAL;
  return 0;
}
