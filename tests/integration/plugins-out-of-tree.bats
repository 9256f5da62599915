#!/usr/bin/env bats
# plugins-out-of-tree.bats - the proof that third parties can write drivers:
# install whalebox into a scratch prefix, build a storage and a log driver
# out of tree against the INSTALLED header and pkg-config file, and use them.
# Also: every real driver exports exactly one symbol.

load helpers/common

# One install for the whole file: a separate build of the source tree with
# --prefix under a scratch dir, so nothing touches the real system.
setup_file() {
  OOT=$(mktemp -d /tmp/wb-bats.XXXXXX)
  export OOT
  export OOT_PREFIX=$OOT/prefix
  meson setup "$OOT/build" "$WB_SOURCE_DIR" --prefix "$OOT_PREFIX" \
    -Doptimization=0 -Ddebug=false -Db_sanitize=none -Dtests=false \
    >"$OOT/setup.log" 2>&1 || { cat "$OOT/setup.log" >&2; return 1; }
  meson install -C "$OOT/build" >"$OOT/install.log" 2>&1 ||
    { tail -40 "$OOT/install.log" >&2; return 1; }
  OOT_PC_DIR=$(dirname "$(find "$OOT_PREFIX" -name whalebox-plugin.pc | head -1)")
  export OOT_PC_DIR
  write_thirdparty_source >"$OOT/thirdparty.c"
}

teardown_file() {
  if [[ -n "${OOT:-}" && "$OOT" == /tmp/wb-bats.* ]]; then
    rm -rf -- "$OOT"
  fi
}

setup() {
  wb_setup
}

teardown() {
  wb_teardown
}

# A driver as a third party would write it: only <whalebox/plugin.h>.
# TP_LOG selects the log flavour, else storage.
write_thirdparty_source() {
  cat <<'C'
#include <errno.h>
#include <stddef.h>
#include <whalebox/plugin.h>

static const struct wb_option tp_options[] = {
    {"greeting", WB_OPTION_STRING, "logged at init"},
    {NULL, 0, NULL},
};

static int tp_init(const struct wb_host *host, void **driver, wb_error *err)
{
  const char *greeting;
  (void)err;
  if (host->config_string(host, "greeting", &greeting) == 0)
    host->log(host, WB_LOG_WARN, "greeting: %s", greeting);
  *driver = (void *)host;
  return 0;
}

static void tp_fini(void *driver)
{
  (void)driver;
}

/* Non-static helpers and globals must stay hidden too. */
int tp_helper_that_stays_hidden(void);
int tp_helper_that_stays_hidden(void)
{
  return 0;
}
int tp_global_that_stays_hidden = 1;

static int tp_probe(void *driver, wb_error *err)
{
  (void)driver;
  (void)err;
  return tp_helper_that_stays_hidden() + tp_global_that_stays_hidden - 1;
}

#ifdef TP_LOG
static int tp_open(void *driver, const struct wb_log_target *t, void **handle,
                   wb_error *err)
{
  (void)t;
  (void)err;
  *handle = driver;
  return 0;
}

static int tp_write(void *handle, int stream, const struct timespec *ts,
                    const void *buf, size_t len, wb_error *err)
{
  (void)handle;
  (void)stream;
  (void)ts;
  (void)buf;
  (void)err;
  return (int)len;
}

static void tp_close(void *handle)
{
  (void)handle;
}

static const struct wb_log_ops tp_ops = {
    .size = sizeof(struct wb_log_ops),
    .open = tp_open,
    .write = tp_write,
    .close = tp_close,
};
#define TP_KIND WB_PLUGIN_LOG
#else
static int tp_op(void *driver, const struct wb_rootfs *fs, wb_error *err)
{
  (void)driver;
  (void)fs;
  (void)err;
  return 0;
}

static const struct wb_storage_ops tp_ops = {
    .size = sizeof(struct wb_storage_ops),
    .create = tp_op,
    .mount = tp_op,
    .umount = tp_op,
    .remove = tp_op,
};
#define TP_KIND WB_PLUGIN_STORAGE
#endif

static const struct wb_plugin tp_plugin = {
    .abi_major = WB_PLUGIN_ABI_MAJOR,
    .abi_minor = WB_PLUGIN_ABI_MINOR,
    .size = sizeof(struct wb_plugin),
    .kind = TP_KIND,
    .name = "thirdparty",
    .version = "9.9.9",
    .summary = "built out of tree by plugins-out-of-tree.bats",
    .options = tp_options,
    .init = tp_init,
    .fini = tp_fini,
    .probe = tp_probe,
    .ops = &tp_ops,
};

WB_PLUGIN_DEFINE(tp_plugin)
C
}

opkg() {
  PKG_CONFIG_PATH=$OOT_PC_DIR pkg-config "$@" whalebox-plugin
}

# Build both third-party drivers into $WB_TMP/out; echo nothing.
build_thirdparty() {
  mkdir -p "$WB_TMP/out"
  local cflags
  cflags=$(opkg --cflags) || fail "pkg-config --cflags whalebox-plugin failed"
  # shellcheck disable=SC2086
  cc -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror $cflags \
    -o "$WB_TMP/out/storage-thirdparty.so" "$OOT/thirdparty.c" ||
    fail "the storage driver does not compile against the installed header"
  # shellcheck disable=SC2086
  cc -shared -fPIC -fvisibility=hidden -Wall -Wextra -Werror -DTP_LOG $cflags \
    -o "$WB_TMP/out/log-thirdparty.so" "$OOT/thirdparty.c" ||
    fail "the log driver does not compile against the installed header"
}

# A plugin directory: links to every driver in $1 plus the third-party ones.
make_plugin_dir() {
  local from=$1 pd=$WB_TMP/plugins f
  mkdir -p "$pd"
  for f in "$from"/*.so; do
    ln -s "$f" "$pd/"
  done
  cp "$WB_TMP/out/storage-thirdparty.so" "$WB_TMP/out/log-thirdparty.so" "$pd/"
  echo "$pd"
}

installed_plugindir() {
  opkg --variable=plugindir
}

# The installed whalebox, with this test's state root.
iwb() {
  "$OOT_PREFIX/bin/whalebox" --root "$WB_ROOT" "$@"
}

@test "meson install into a prefix lays out binary, drivers, config, header, .pc" {
  [[ -x "$OOT_PREFIX/bin/whalebox" ]] || fail "no $OOT_PREFIX/bin/whalebox"
  [[ -f "$OOT_PREFIX/include/whalebox/plugin.h" ]] || fail "no installed header"
  [[ -f "$OOT_PREFIX/etc/whalebox/whalebox.conf" ]] || fail "no installed whalebox.conf"
  [[ -f "$OOT_PC_DIR/whalebox-plugin.pc" ]] || fail "no whalebox-plugin.pc"
  local pd
  pd=$(installed_plugindir)
  [[ "$pd" == "$OOT_PREFIX"/* ]] || fail "plugindir $pd is not under the prefix"
  local d
  for d in "$WB_PLUGIN_DIR"/*.so; do
    [[ -f "$pd/$(basename "$d")" ]] || fail "$(basename "$d") not installed into $pd"
  done
  [[ "$(opkg --cflags)" == *"-I$OOT_PREFIX/include"* ]] || fail "cflags: $(opkg --cflags)"
}

@test "the installed whalebox finds its installed config and drivers by default" {
  run --separate-stderr env -u WHALEBOX_CONFIG "$OOT_PREFIX/bin/whalebox" --root "$WB_ROOT" info --format json
  assert_status 0
  [[ "$(json .config <<<"$output")" == "$OOT_PREFIX/etc/whalebox/whalebox.conf" ]] ||
    fail "config is not the installed one" "$output"
  [[ "$(json .plugin_dir <<<"$output")" == "$(installed_plugindir)" ]] ||
    fail "plugin_dir is not the installed one" "$output"
  [[ "$(json .drivers.log.driver <<<"$output")" == log-file ]] || fail "log-file not loaded" "$output"
}

@test "the installed whalebox loads its installed archive module for image verbs" {
  local mod
  mod=$(find "$OOT_PREFIX" -name whalebox-archive.so)
  [[ "$mod" == "$OOT_PREFIX"/lib*/whalebox/whalebox-archive.so ]] ||
    fail "whalebox-archive.so not installed in <libdir>/whalebox: '$mod'"
  [[ ! -e "$OOT_PREFIX/bin/whalebox-archive.so" ]] || fail "module installed next to the binary"
  mkdir -p "$WB_TMP/tree/etc"
  echo hello >"$WB_TMP/tree/etc/greeting"
  tar -C "$WB_TMP/tree" -cf "$WB_TMP/tree.tar" .
  run --separate-stderr env -u WHALEBOX_CONFIG LD_DEBUG=files LD_DEBUG_OUTPUT="$WB_TMP/ld" \
    "$OOT_PREFIX/bin/whalebox" --root "$WB_ROOT" import "$WB_TMP/tree.tar" tree
  assert_status 0
  [[ "$output" == sha256:* ]] || fail "import printed: $output" "stderr: $stderr"
  grep -qF "file=$mod" "$WB_TMP"/ld.* || fail "the installed module $mod was not the one loaded"
  run iwb images -q
  assert_status 0
  [[ -n "$output" ]] || fail "no image after import"
}

@test "the installed header is warning-free in C and C++" {
  local cflags
  cflags=$(opkg --cflags)
  # shellcheck disable=SC2086
  echo '#include <whalebox/plugin.h>' | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only $cflags -x c - ||
    fail "header fails in C11"
  if command -v c++ >/dev/null; then
    # shellcheck disable=SC2086
    echo '#include <whalebox/plugin.h>' | c++ -Wall -Wextra -Werror -fsyntax-only $cflags -x c++ - ||
      fail "header fails in C++"
  fi
}

@test "an out-of-tree driver exports exactly one symbol" {
  build_thirdparty
  local f syms
  for f in "$WB_TMP"/out/*.so; do
    syms=$(nm -D --defined-only "$f" | awk '{print $NF}')
    [[ "$syms" == whalebox_plugin_entry ]] || fail "$f exports: $syms"
  done
}

@test "every real driver exports exactly one symbol: whalebox_plugin_entry" {
  local f syms n=0
  for f in "$WB_PLUGIN_DIR"/*.so; do
    syms=$(nm -D --defined-only "$f" | awk '{print $NF}')
    [[ "$syms" == whalebox_plugin_entry ]] || fail "$(basename "$f") exports:" "$syms"
    n=$((n + 1))
  done
  [[ $n -gt 0 ]] || fail "no drivers in $WB_PLUGIN_DIR"
}

@test "plugins lists the out-of-tree storage and log drivers as usable" {
  build_thirdparty
  local pd
  pd=$(make_plugin_dir "$(installed_plugindir)")
  run --separate-stderr iwb --plugin-dir "$pd" plugins --format json
  assert_status 0
  local k
  for k in storage log; do
    local e
    e=$(json ".[] | select(.kind == \"$k\" and .name == \"thirdparty\") | .status + \" \" + .version + \" \" + .path" <<<"$output")
    [[ "$e" == "usable 9.9.9 $pd/$k-thirdparty.so" ]] || fail "$k-thirdparty: '$e'" "$output"
  done
  run --separate-stderr iwb --plugin-dir "$pd" plugins
  assert_status 0
  grep -Eq "^storage +thirdparty +9\.9\.9 .*usable" <<<"$output" || fail "text listing" "$output"
  grep -Eq "^log +thirdparty +9\.9\.9 .*usable" <<<"$output" || fail "text listing" "$output"
}

@test "--storage-driver/--log-driver thirdparty select the out-of-tree drivers" {
  build_thirdparty
  local pd
  pd=$(make_plugin_dir "$(installed_plugindir)")
  run --separate-stderr iwb --plugin-dir "$pd" --storage-driver thirdparty --log-driver thirdparty info --format json
  assert_status 0
  [[ "$(json .drivers.storage.driver <<<"$output")" == storage-thirdparty ]] || fail "storage" "$output"
  [[ "$(json .drivers.storage.from <<<"$output")" == flag ]] || fail "storage from" "$output"
  [[ "$(json .drivers.storage.version <<<"$output")" == 9.9.9 ]] || fail "storage version" "$output"
  [[ "$(json .drivers.log.driver <<<"$output")" == log-thirdparty ]] || fail "log" "$output"
  run --separate-stderr iwb --plugin-dir "$pd" --storage-driver thirdparty --log-driver thirdparty info
  assert_status 0
  grep -Eq '^ +storage +storage-thirdparty \(flag: thirdparty\)' <<<"$output" || fail "text" "$output"
  grep -Eq '^ +log +log-thirdparty \(flag: thirdparty\)' <<<"$output" || fail "text" "$output"
}

@test "an out-of-tree driver by absolute path, outside the plugin directory" {
  build_thirdparty
  run --separate-stderr iwb --storage-driver "$WB_TMP/out/storage-thirdparty.so" \
    --log-driver "$WB_TMP/out/log-thirdparty.so" info --format json
  assert_status 0
  [[ "$(json .drivers.storage.path <<<"$output")" == "$WB_TMP/out/storage-thirdparty.so" ]] || fail "storage" "$output"
  [[ "$(json .drivers.log.driver <<<"$output")" == log-thirdparty ]] || fail "log" "$output"
}

@test "the config selects an out-of-tree driver and hands it its own group" {
  build_thirdparty
  local pd
  pd=$(make_plugin_dir "$(installed_plugindir)")
  printf 'storage: {\n  driver = "thirdparty";\n  thirdparty: { greeting = "hello from the config"; };\n};\n' >"$WB_TMP/tp.conf"
  run --separate-stderr iwb --config "$WB_TMP/tp.conf" --plugin-dir "$pd" info --format json
  assert_status 0
  [[ "$(json .drivers.storage.driver <<<"$output")" == storage-thirdparty ]] || fail "storage" "$output"
  [[ "$(json .drivers.storage.from <<<"$output")" == config ]] || fail "from" "$output"
  assert_contains "$stderr" "greeting: hello from the config"
  # Keys the driver does not declare are refused with file:line.
  printf 'storage: {\n  driver = "thirdparty";\n  thirdparty: {\n    greetings = "typo";\n  };\n};\n' >"$WB_TMP/bad.conf"
  run --separate-stderr iwb --config "$WB_TMP/bad.conf" --plugin-dir "$pd" info --format json
  assert_status 0
  local e
  e=$(json .drivers.storage.error <<<"$output")
  assert_contains "$e" "$WB_TMP/bad.conf:4"
  assert_contains "$e" "greetings"
}

@test "the build-tree whalebox loads the out-of-tree drivers too" {
  build_thirdparty
  local pd
  pd=$(make_plugin_dir "$WB_PLUGIN_DIR")
  run --separate-stderr wb --plugin-dir "$pd" --storage-driver thirdparty --log-driver thirdparty info --format json
  assert_status 0
  [[ "$(json .drivers.storage.driver <<<"$output")" == storage-thirdparty ]] || fail "storage" "$output"
  [[ "$(json .drivers.log.driver <<<"$output")" == log-thirdparty ]] || fail "log" "$output"
}
