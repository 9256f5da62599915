#!/usr/bin/env bats
# core.bats - the CLI of the core issue: help, version, errors and exit
# codes, info, plugins, driver selection and broken drivers, configuration.

load helpers/common

setup() {
  wb_setup
}

teardown() {
  remove_test_cgroups
  wb_teardown
}

# ---- version, help -----------------------------------------------------------

@test "--version prints the version and the plugin ABI" {
  run --separate-stderr wb --version
  assert_status 0
  [[ "$output" =~ ^whalebox\ version\ [0-9]+\.[0-9]+\.[0-9]+.*\(plugin\ ABI\ 1\.[0-9]+\)$ ]] ||
    fail "unexpected version line: $output"
  run --separate-stderr wb version
  assert_status 0
  assert_contains "$output" "whalebox"
}

@test "--help lists the commands and the global flags" {
  run --separate-stderr wb --help
  assert_status 0
  for word in info plugins version --config --root --plugin-dir \
    --storage-driver --cgroup-driver --log-driver --log-level; do
    assert_contains "$output" "$word"
  done
  run --separate-stderr "$WB_BIN" -h
  assert_status 0
  assert_contains "$output" "Usage: whalebox"
}

@test "every command has --help, which exits 0 and creates nothing" {
  run --separate-stderr wb --help
  assert_status 0
  local cmds
  cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$output" | awk 'NF && !/^Commands:/ {print $1}')
  [[ -n "$cmds" ]] || fail "no commands found in --help" "$output"
  for c in $cmds; do
    run --separate-stderr wb "$c" --help
    [[ "$status" -eq 0 ]] || fail "'$c --help' exited $status" "$stderr"
    assert_contains "$output" "Usage: whalebox"
  done
  for c in info plugins version; do
    assert_contains "$cmds" "$c"
  done
  [[ ! -e "$WB_ROOT" ]] || fail "--help created $WB_ROOT: $(tree_listing "$WB_ROOT")"
}

@test "unknown command: exit 125 and one line" {
  run --separate-stderr wb frobnicate
  assert_one_line_error
  assert_contains "$stderr" "unknown command 'frobnicate'"
}

@test "unknown global flag: exit 125 and one line" {
  run --separate-stderr wb --frobnicate info
  assert_one_line_error
  assert_contains "$stderr" "--frobnicate"
  run --separate-stderr wb -Z info
  assert_one_line_error
}

@test "global flag without its value: exit 125 and one line" {
  run --separate-stderr "$WB_BIN" --config "$WB_CONF" --root
  assert_one_line_error
  assert_contains "$stderr" "--root"
}

@test "unknown flag of a command: exit 125 and one line" {
  run --separate-stderr wb info --frobnicate
  assert_one_line_error
  assert_contains "$stderr" "--frobnicate"
  run --separate-stderr wb plugins --bogus
  assert_one_line_error
  run --separate-stderr wb info --format yaml
  assert_one_line_error
  assert_contains "$stderr" "yaml"
}

@test "no command: usage on stdout, exit 0, as docker" {
  run --separate-stderr wb
  assert_status 0
  assert_contains "$output" "Usage: whalebox"
  [[ -z "$stderr" ]] || fail "expected nothing on stderr, got: $stderr"
}

@test "--log-level bogus: exit 125 and one line; valid levels are accepted" {
  run --separate-stderr wb --log-level bogus info
  assert_one_line_error
  assert_contains "$stderr" "bogus"
  for level in debug info warn error; do
    run --separate-stderr wb --log-level "$level" version
    [[ "$status" -eq 0 ]] || fail "--log-level $level: exit $status" "$stderr"
  done
}

@test "a relative --root is refused" {
  run --separate-stderr "$WB_BIN" --config "$WB_CONF" --root relative/dir info
  assert_one_line_error
  assert_contains "$stderr" "absolute"
}

# ---- info --------------------------------------------------------------------

@test "info shows version, kernel, cgroup mode, state root and plugin dir" {
  run --separate-stderr wb info
  assert_status 0
  assert_contains "$output" "$(uname -r)"
  local mode
  mode=$(host_cgroup_mode)
  grep -Eq "^Cgroup mode: +$mode\$" <<<"$output" || fail "cgroup mode is not $mode" "$output"
  grep -Eq "^State root: +$WB_ROOT\$" <<<"$output" || fail "state root is not $WB_ROOT" "$output"
  grep -Eq "^Plugin directory: +$WB_PLUGIN_DIR\$" <<<"$output" || fail "plugin dir" "$output"
  assert_contains "$output" "storage"
  assert_contains "$output" "cgroup"
  assert_contains "$output" "log"
}

@test "info --format json: host facts" {
  run --separate-stderr wb info --format json
  assert_status 0
  local j=$output
  [[ "$(json .kernel <<<"$j")" == "$(uname -r)" ]] || fail "kernel" "$j"
  [[ "$(json .cgroup_mode <<<"$j")" == "$(host_cgroup_mode)" ]] || fail "cgroup_mode" "$j"
  [[ "$(json .root <<<"$j")" == "$WB_ROOT" ]] || fail "root" "$j"
  [[ "$(json .plugin_dir <<<"$j")" == "$WB_PLUGIN_DIR" ]] || fail "plugin_dir" "$j"
  [[ "$(json .abi_major <<<"$j")" == 1 ]] || fail "abi_major" "$j"
  [[ "$(json .config <<<"$j")" == "$WB_CONF" ]] || fail "config" "$j"
}

@test "info --format json: default drivers chosen, with the reason" {
  run --separate-stderr wb info --format json
  assert_status 0
  local j=$output
  [[ "$(json .drivers.storage.driver <<<"$j")" == storage-overlay ]] ||
    fail "storage driver is not storage-overlay" "$(json .drivers.storage <<<"$j")"
  [[ "$(json .drivers.log.driver <<<"$j")" == log-file ]] ||
    fail "log driver is not log-file" "$(json .drivers.log <<<"$j")"
  [[ "$(json .drivers.cgroup.requested <<<"$j")" == auto ]] || fail "cgroup requested" "$j"
  # auto shows every probe's result.
  [[ "$(json '.drivers.cgroup.probes | length' <<<"$j")" == 2 ]] ||
    fail "expected the probes of cgroup-v2 and cgroup-v1" "$(json .drivers.cgroup <<<"$j")"
  case "$(host_cgroup_mode)" in
  hybrid | legacy)
    [[ "$(json .drivers.cgroup.driver <<<"$j")" == cgroup-v1 ]] ||
      fail "on a $(host_cgroup_mode) host auto must pick cgroup-v1" "$(json .drivers.cgroup <<<"$j")"
    [[ "$(json '.drivers.cgroup.probes[] | select(.driver == "cgroup-v2") | .usable' <<<"$j")" == false ]] ||
      fail "cgroup-v2 must be unusable here" "$j"
    local why
    why=$(json '.drivers.cgroup.probes[] | select(.driver == "cgroup-v2") | .reason' <<<"$j")
    assert_contains "$why" "cgroup-v2"
    assert_contains "$(json .drivers.cgroup.reason <<<"$j")" "auto"
    ;;
  unified)
    [[ "$(json .drivers.cgroup.driver <<<"$j")" == cgroup-v2 ]] ||
      fail "on a unified host auto must pick cgroup-v2" "$j"
    ;;
  esac
}

@test "info: text output shows each kind's driver and the probes" {
  run --separate-stderr wb info
  assert_status 0
  grep -Eq '^ +storage +storage-overlay ' <<<"$output" || fail "storage line" "$output"
  grep -Eq '^ +log +log-file ' <<<"$output" || fail "log line" "$output"
  grep -Eq 'probe cgroup-v2: ' <<<"$output" || fail "cgroup-v2 probe line" "$output"
  grep -Eq 'probe cgroup-v1: ' <<<"$output" || fail "cgroup-v1 probe line" "$output"
}

@test "info: --storage-driver/--log-driver/--cgroup-driver flags override, from 'flag'" {
  # The cgroup driver this host's mode can use (auto would pick it too:
  # "from" tells the flag).
  local cg
  cg=$(host_cgroup_driver)
  run --separate-stderr wb --storage-driver bind --log-driver none --cgroup-driver "$cg" info --format json
  assert_status 0
  local j=$output
  [[ "$(json .drivers.storage.driver <<<"$j")" == storage-bind ]] || fail "storage" "$(json .drivers.storage <<<"$j")"
  [[ "$(json .drivers.storage.from <<<"$j")" == flag ]] || fail "storage from" "$j"
  [[ "$(json .drivers.log.driver <<<"$j")" == log-none ]] || fail "log" "$(json .drivers.log <<<"$j")"
  [[ "$(json .drivers.cgroup.driver <<<"$j")" == "cgroup-$cg" ]] || fail "cgroup" "$(json .drivers.cgroup <<<"$j")"
  [[ "$(json .drivers.cgroup.from <<<"$j")" == flag ]] || fail "cgroup from" "$j"
}

@test "info: a driver given as an absolute .so path" {
  run --separate-stderr wb --storage-driver "$WB_TEST_PLUGIN_DIR/storage-dummy.so" info --format json
  assert_status 0
  [[ "$(json .drivers.storage.driver <<<"$output")" == storage-dummy ]] || fail "storage" "$output"
  [[ "$(json .drivers.storage.path <<<"$output")" == "$WB_TEST_PLUGIN_DIR/storage-dummy.so" ]] ||
    fail "path" "$output"
}

# A broken driver chosen for a kind: info still exits 0 but reports the file
# and the problem in one line, and nothing is created for that driver.
info_with_broken_storage() {
  local file=$1 problem=$2
  run --separate-stderr wb --storage-driver "$WB_TEST_PLUGIN_DIR/$file" info --format json
  assert_status 0
  local e
  e=$(json .drivers.storage.error <<<"$output")
  assert_contains "$e" "$WB_TEST_PLUGIN_DIR/$file"
  assert_contains "$e" "$problem"
  [[ "$e" != *$'\n'* ]] || fail "error is more than one line" "$e"
  [[ "$(json .drivers.storage.driver <<<"$output")" == null ]] || fail "a driver was chosen" "$output"
  [[ -z "$(ls -A "$WB_ROOT/drivers" 2>/dev/null | grep '^storage-')" ]] ||
    fail "a storage driver dir was created" "$(tree_listing "$WB_ROOT")"
}

@test "info: broken storage drivers are reported with file and problem" {
  info_with_broken_storage storage-badmajor.so "ABI 2.0"
  info_with_broken_storage storage-newminor.so "newer"
  info_with_broken_storage storage-nogetter.so "no whalebox_plugin_entry symbol"
  info_with_broken_storage storage-wrongkind.so "is a log driver, not a storage driver"
  info_with_broken_storage storage-textfile.so "not a shared object"
  info_with_broken_storage storage-empty.so "not a shared object"
  info_with_broken_storage storage-nullop.so "mount"
  info_with_broken_storage storage-doesnotexist.so "not found"
}

@test "info: a driver whose probe fails is reported with its reason" {
  run --separate-stderr wb --storage-driver "$WB_TEST_PLUGIN_DIR/storage-probefail.so" info --format json
  assert_status 0
  assert_contains "$(json .drivers.storage.error <<<"$output")" "the frobnicator is not available on this host"
}

@test "info: garbage with an ELF header does not crash whalebox" {
  for f in storage-elfjunk.so storage-elfheader.so storage-truncated.so; do
    run --separate-stderr wb --storage-driver "$WB_TEST_PLUGIN_DIR/$f" info --format json
    [[ "$status" -eq 0 ]] || fail "$f: exit $status (a crash?)" "$stderr"
    assert_contains "$(json .drivers.storage.error <<<"$output")" "$WB_TEST_PLUGIN_DIR/$f"
  done
}

# ---- plugins -----------------------------------------------------------------

# The status of driver <kind>-<name> in `plugins --format json` output.
plugin_field() {
  json ".[] | select(.kind == \"$1\" and .name == \"$2\") | .$3" <<<"$output"
}

@test "plugins lists the real drivers with kind, name, version, ABI, path" {
  run --separate-stderr wb plugins --format json
  assert_status 0
  local d
  for d in storage-overlay storage-bind cgroup-v1 cgroup-v2 log-file log-none; do
    local kind=${d%%-*} name=${d#*-}
    [[ "$(plugin_field "$kind" "$name" path)" == "$WB_PLUGIN_DIR/$d.so" ]] ||
      fail "$d not listed from $WB_PLUGIN_DIR" "$output"
    [[ "$(plugin_field "$kind" "$name" abi)" =~ ^1\.[0-9]+$ ]] || fail "$d: abi" "$output"
    [[ -n "$(plugin_field "$kind" "$name" version)" ]] || fail "$d: version" "$output"
  done
  # Declared features: both storage drivers take user namespaces.
  [[ "$(plugin_field storage overlay 'features | join(",")')" == userns ]] ||
    fail "storage-overlay features" "$output"
  [[ "$(plugin_field storage bind 'features | join(",")')" == userns ]] ||
    fail "storage-bind features" "$output"
  [[ "$(plugin_field log file 'features | length')" == 0 ]] ||
    fail "log-file features" "$output"
}

@test "plugins: usable drivers on this host" {
  run --separate-stderr wb plugins --format json
  assert_status 0
  local d
  for d in storage-overlay storage-bind "cgroup-$(host_cgroup_driver)" log-file log-none; do
    local kind=${d%%-*} name=${d#*-}
    [[ "$(plugin_field "$kind" "$name" status)" == usable ]] ||
      fail "$d is not usable: $(plugin_field "$kind" "$name" error)" "$output"
  done
}

@test "plugins: cgroup-v2 is unusable on a hybrid host, naming the missing controllers" {
  [[ "$(host_cgroup_mode)" == hybrid ]] ||
    skip_cgroup_mode "only a hybrid host has a cgroup2 mount without the controllers"
  run --separate-stderr wb plugins --format json
  assert_status 0
  [[ "$(plugin_field cgroup v2 status)" == unusable ]] || fail "cgroup-v2 status" "$output"
  local why
  why=$(plugin_field cgroup v2 error)
  # The controllers whalebox needs that the unified hierarchy lacks here.
  local c missing=0
  for c in memory cpu pids; do
    if ! grep -qw "$c" /sys/fs/cgroup/unified/cgroup.controllers; then
      assert_contains "$why" "$c"
      missing=1
    fi
  done
  [[ $missing -eq 1 ]] || fail "test assumption: some controller should be missing"
}

@test "plugins: cgroup-v1 is unusable on a unified host, naming the missing hierarchies" {
  [[ "$(host_cgroup_mode)" == unified ]] ||
    skip_cgroup_mode "only a unified host has no cgroup v1 hierarchies"
  run --separate-stderr wb plugins --format json
  assert_status 0
  [[ "$(plugin_field cgroup v1 status)" == unusable ]] || fail "cgroup-v1 status" "$output"
  local why c
  why=$(plugin_field cgroup v1 error)
  for c in memory cpu cpuset pids freezer; do
    assert_contains "$why" "$c"
  done
  assert_contains "$why" "not mounted as cgroup v1 hierarchies"
}

@test "plugins: text output has a header and one row per driver" {
  run --separate-stderr wb plugins
  assert_status 0
  grep -Eq '^KIND +NAME +VERSION +ABI +STATUS +PATH' <<<"$output" || fail "header" "$output"
  grep -Eq "^storage +overlay .* $WB_PLUGIN_DIR/storage-overlay.so\$" <<<"$output" || fail "overlay row" "$output"
}

@test "plugins: broken files are listed with their reasons" {
  # The ELF garbage files have a test of their own (below): leave them out
  # so that a crash on them does not hide these results.
  local pd=$WB_TMP/plugins f
  mkdir "$pd"
  for f in "$WB_TEST_PLUGIN_DIR"/*.so; do
    case "$f" in
    *-elf*.so | *-truncated.so) ;;
    *) ln -s "$f" "$pd/" ;;
    esac
  done
  run --separate-stderr wb --plugin-dir "$pd" plugins --format json
  assert_status 0
  local j=$output
  check() {
    local file=$1 status=$2 problem=$3 e
    e=$(json ".[] | select(.path == \"$pd/$file\") | .status + \"|\" + (.error // \"\")" <<<"$j")
    [[ -n "$e" ]] || fail "$file not listed" "$j"
    [[ "${e%%|*}" == "$status" ]] || fail "$file: status ${e%%|*}, expected $status" "$e"
    assert_contains "${e#*|}" "$problem"
  }
  check storage-badmajor.so error "ABI 2.0"
  check storage-newminor.so error "newer"
  check storage-nogetter.so error "no whalebox_plugin_entry symbol"
  check storage-nullentry.so error "returned NULL"
  check storage-textfile.so error "not a shared object"
  check storage-empty.so error "not a shared object"
  check storage-smallops.so error "ops table"
  check storage-nullop.so error "mount"
  check storage-probefail.so unusable "the frobnicator is not available on this host"
  # A file's name must say the driver's kind and name (issue 13): a second
  # "dup" and a log driver in storage-*.so are refused, not listed as what
  # they declare.
  check storage-dup-b.so error "declares name 'dup', but its file name says 'dup-b'"
  check storage-wrongkind.so error "is a log driver, but its file name says storage"
  check storage-dummy.so usable ""
  check log-dummy.so usable ""
}

@test "plugins: a directory of garbage does not crash whalebox" {
  run --separate-stderr wb --plugin-dir "$WB_TEST_PLUGIN_DIR" plugins
  [[ "$status" -eq 0 ]] || fail "exit $status (a crash?)" "$stderr"
  local f
  for f in "$WB_TEST_PLUGIN_DIR"/*.so; do
    assert_contains "$output" "$f"
  done
}

@test "plugins: a missing plugin directory is one error line" {
  run --separate-stderr wb --plugin-dir "$WB_TMP/nowhere" plugins
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/nowhere"
}

# ---- commands that need a driver ---------------------------------------------

# A command that needs a broken driver fails with 125, one line naming the
# file and the problem, and leaves nothing in the state root.  Containers
# get a cgroup parent of their own, removed by teardown.  The image: the
# host's busybox (the runs never get as far as executing it).
make_wbtest_image() {
  WB_CGROUP_PARENT=wb-test-core-$$-$RANDOM
  printf 'cgroup: { parent = "%s"; };\n' "$WB_CGROUP_PARENT" >"$WB_CONF"
  mkdir -p "$WB_TMP/rootfs/bin"
  cp "$(command -v busybox)" "$WB_TMP/rootfs/bin/busybox"
  ln -s busybox "$WB_TMP/rootfs/bin/sh"
  ln -s busybox "$WB_TMP/rootfs/bin/true"
  tar -C "$WB_TMP/rootfs" -cf "$WB_TMP/rootfs.tar" .
  run --separate-stderr wb import "$WB_TMP/rootfs.tar" wbtest:latest
  assert_status 0
}

# Remove the (empty) cgroups our containers may have left under our own
# parent; never touches anything else.
remove_test_cgroups() {
  [[ -n "${WB_CGROUP_PARENT:-}" && "$WB_CGROUP_PARENT" == wb-test-* ]] || return 0
  local d
  for d in /sys/fs/cgroup/"$WB_CGROUP_PARENT" /sys/fs/cgroup/*/"$WB_CGROUP_PARENT"; do
    [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  return 0
}

# The drivers' own state directories (<root>/drivers/<kind>-<name>, made
# by init for every driver that loads) are not container state: ignored.
run_with_broken_driver() {
  local flag=$1 file=$2 problem=$3
  local before after filter='^\./drivers(/[^/]+)?$'
  before=$(tree_listing "$WB_ROOT" | grep -Ev "$filter")
  run --separate-stderr wb "$flag" "$WB_TEST_PLUGIN_DIR/$file" run --rm wbtest:latest /bin/true
  assert_one_line_error
  assert_contains "$stderr" "$WB_TEST_PLUGIN_DIR/$file"
  assert_contains "$stderr" "$problem"
  after=$(tree_listing "$WB_ROOT" | grep -Ev "$filter")
  [[ "$before" == "$after" ]] || fail "the state root changed:" "$(diff <(echo "$before") <(echo "$after"))"
}

@test "run with a broken storage driver: 125, one line, nothing created" {
  make_wbtest_image
  run_with_broken_driver --storage-driver storage-badmajor.so "ABI 2.0"
  run_with_broken_driver --storage-driver storage-newminor.so "newer"
  run_with_broken_driver --storage-driver storage-nogetter.so "no whalebox_plugin_entry symbol"
  run_with_broken_driver --storage-driver storage-wrongkind.so "is a log driver, not a storage driver"
  run_with_broken_driver --storage-driver storage-textfile.so "not a shared object"
  run_with_broken_driver --storage-driver storage-doesnotexist.so "not found"
  run_with_broken_driver --storage-driver storage-probefail.so "the frobnicator is not available"
  remove_test_cgroups
}

@test "run with a broken cgroup driver: 125, one line, nothing created" {
  make_wbtest_image
  run_with_broken_driver --cgroup-driver storage-badmajor.so "ABI 2.0"
  run_with_broken_driver --cgroup-driver storage-dummy.so "is a storage driver, not a cgroup driver"
  remove_test_cgroups
}

@test "run with a broken log driver: 125, one line, nothing created" {
  make_wbtest_image
  run_with_broken_driver --log-driver storage-dummy.so "is a storage driver, not a log driver"
  run_with_broken_driver --log-driver storage-textfile.so "not a shared object"
  remove_test_cgroups
}

# ---- configuration -----------------------------------------------------------

@test "a malformed config file: exit 125, one line with path:line" {
  printf 'root = "%s";\nstorage: {\n  driver = ;\n};\n' "$WB_ROOT" >"$WB_TMP/bad.conf"
  run --separate-stderr "$WB_BIN" --config "$WB_TMP/bad.conf" info
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/bad.conf:3"
  [[ ! -e "$WB_ROOT" ]] || fail "state root created"
}

@test "an unknown key or a wrong type in the config: exit 125 with path:line" {
  printf '\n\nvolumes = "/x";\n' >"$WB_TMP/unknown.conf"
  run --separate-stderr "$WB_BIN" --config "$WB_TMP/unknown.conf" --root "$WB_ROOT" info
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/unknown.conf:3"
  assert_contains "$stderr" "volumes"
  printf 'root = "%s";\ncgroup: { parent = 7; };\n' "$WB_ROOT" >"$WB_TMP/type.conf"
  run --separate-stderr "$WB_BIN" --config "$WB_TMP/type.conf" info
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/type.conf:2"
  assert_contains "$stderr" "parent"
}

@test "an unknown option in a driver's group is an error, not ignored" {
  printf 'log: {\n  driver = "file";\n  file: {\n    max_sise = "10m";\n  };\n};\n' >"$WB_TMP/drv.conf"
  run --separate-stderr "$WB_BIN" --config "$WB_TMP/drv.conf" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" info --format json
  assert_status 0
  local e
  e=$(json .drivers.log.error <<<"$output")
  assert_contains "$e" "$WB_TMP/drv.conf:4"
  assert_contains "$e" "max_sise"
}

@test "--config with a missing file: exit 125, one line" {
  run --separate-stderr "$WB_BIN" --config "$WB_TMP/missing.conf" --root "$WB_ROOT" info
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/missing.conf"
}

@test "\$WHALEBOX_CONFIG is honoured, and --config beats it" {
  printf 'root = "%s";\nstorage: { driver = "bind"; };\n' "$WB_TMP/envroot" >"$WB_TMP/env.conf"
  WHALEBOX_CONFIG=$WB_TMP/env.conf run --separate-stderr "$WB_BIN" --plugin-dir "$WB_PLUGIN_DIR" info --format json
  assert_status 0
  [[ "$(json .config <<<"$output")" == "$WB_TMP/env.conf" ]] || fail "config" "$output"
  [[ "$(json .root <<<"$output")" == "$WB_TMP/envroot" ]] || fail "root" "$output"
  [[ "$(json .drivers.storage.requested <<<"$output")" == bind ]] || fail "storage" "$output"
  [[ "$(json .drivers.storage.from <<<"$output")" == config ]] || fail "from" "$output"
  WHALEBOX_CONFIG=$WB_TMP/env.conf run --separate-stderr "$WB_BIN" --config "$WB_CONF" \
    --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR" info --format json
  assert_status 0
  [[ "$(json .config <<<"$output")" == "$WB_CONF" ]] || fail "--config should win" "$output"
  WHALEBOX_CONFIG=$WB_TMP/absent.conf run --separate-stderr "$WB_BIN" --root "$WB_ROOT" info
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/absent.conf"
}

@test "flags override the config file for one command" {
  printf 'root = "%s";\nplugin_dir = "%s";\nstorage: { driver = "bind"; };\n' \
    "$WB_TMP/confroot" "$WB_TMP/nowhere" >"$WB_TMP/c.conf"
  run --separate-stderr "$WB_BIN" --config "$WB_TMP/c.conf" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" --storage-driver overlay info --format json
  assert_status 0
  [[ "$(json .root <<<"$output")" == "$WB_ROOT" ]] || fail "root" "$output"
  [[ "$(json .plugin_dir <<<"$output")" == "$WB_PLUGIN_DIR" ]] || fail "plugin_dir" "$output"
  [[ "$(json .drivers.storage.requested <<<"$output")" == overlay ]] || fail "storage" "$output"
  [[ "$(json .drivers.storage.from <<<"$output")" == flag ]] || fail "from" "$output"
}

@test "the shipped etc/whalebox.conf is accepted" {
  run --separate-stderr "$WB_BIN" --config "$WB_SOURCE_DIR/etc/whalebox.conf" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" info --format json
  assert_status 0
  [[ "$(json .drivers.log.error <<<"$output")" == null ]] ||
    fail "log-file rejects the shipped config" "$(json .drivers.log <<<"$output")"
}
