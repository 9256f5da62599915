# common.bash - shared setup for the bats integration tests.
#
# Load with `load helpers/common` from a .bats file.  Every test gets its own
# state root ($WB_ROOT) under a scratch directory ($WB_TMP) that teardown
# removes, so tests never touch /var/lib/whalebox and leave nothing behind.
# meson sets WB_BIN, WB_PLUGIN_DIR, WB_TEST_PLUGIN_DIR, WB_SOURCE_DIR and
# WB_BUILD_DIR (see tests/meson.build).

: "${WB_BIN:?WB_BIN is not set: run the tests through meson test}"
: "${WB_PLUGIN_DIR:?WB_PLUGIN_DIR is not set}"
: "${WB_TEST_PLUGIN_DIR:?WB_TEST_PLUGIN_DIR is not set}"

bats_require_minimum_version 1.5.0

# Call from setup(): a fresh scratch dir and state root.  An empty config
# file keeps an installed /usr/local/etc/whalebox/whalebox.conf (or a
# $WHALEBOX_CONFIG of the caller) from changing what the tests see.
wb_setup() {
  WB_TMP=$(mktemp -d /tmp/wb-bats.XXXXXX)
  WB_ROOT=$WB_TMP/root
  WB_CONF=$WB_TMP/empty.conf
  : >"$WB_CONF"
  unset WHALEBOX_CONFIG
  export WB_TMP WB_ROOT WB_CONF
}

# The runroot of root $1 (names and the state of foreground --rm
# containers): <root>/run is a symlink to /dev/shm/whalebox-<random>, which
# outlives the root unless removed.  Prints that directory, or nothing.
runroot_home() {
  local t
  t=$(readlink "$1/run" 2>/dev/null) || return 0
  [[ "$t" == /dev/shm/whalebox-* && "$t" != /dev/shm/*/* ]] && echo "$t"
  return 0
}

# Teardowns remove the runroot of a root of theirs with the root.
remove_runroot() {
  [[ -n "${1:-}" ]] || return 0
  local home
  home=$(runroot_home "$1")
  [[ -z "$home" ]] || rm -rf -- "$home"
}

# Mount points on the host under $1 (field 5 of mountinfo, or mounts of
# something under $1, field 4): whalebox mounts nothing on the host, so
# each is a leak.
mounts_under() {
  awk -v d="$1" '(index($5, d) == 1 || index($4, d) == 1) { print $5 }' /proc/self/mountinfo
}

# The containers whose state is under root $1: on disk and in the runroot.
root_container_ids() {
  local d
  for d in "$1/containers" "$1/run/containers"; do
    [[ -d "$d" ]] && ls -A "$d"
  done
  return 0
}

# state.json of container $2 under root $1, wherever it is.
root_state_path() {
  if [[ -e "$1/run/containers/$2" ]]; then
    echo "$1/run/containers/$2/state.json"
  else
    echo "$1/containers/$2/state.json"
  fi
}

# Container names under root $1, one per line.
root_names() {
  [[ -d "$1/run/names" ]] && ls -A "$1/run/names"
  return 0
}

# The container that name $2 points to under root $1.
root_name_target() {
  readlink "$1/run/names/$2"
}

# Writable layers of foreground --rm containers under root $1.
root_rw_dirs() {
  [[ -d "$1/rw" ]] && find "$1/rw" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
  return 0
}

# Call from teardown().  Refuse to remove anything but our own scratch dir.
wb_teardown() {
  if [[ -n "${WB_TMP:-}" && "$WB_TMP" == /tmp/wb-bats.* ]]; then
    remove_runroot "${WB_ROOT:-}"
    rm -rf -- "$WB_TMP"
  fi
}

# whalebox with this test's state root, config and the built drivers.
wb() {
  "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR" "$@"
}

# The cgroup mode as the mounts say it, computed independently of whalebox.
host_cgroup_mode() {
  local t
  t=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null) || { echo none; return; }
  if [[ "$t" == cgroup2fs ]]; then
    echo unified
  elif [[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" == cgroup2fs ]]; then
    echo hybrid
  else
    echo legacy
  fi
}

# The cgroup driver for the host's mode: v2 on a unified host, else v1.
host_cgroup_driver() {
  if [[ "$(host_cgroup_mode)" == unified ]]; then
    echo v2
  else
    echo v1
  fi
}

# Skip a test that does not apply to the host's cgroup mode, saying so in
# the one form tests/run.sh accepts from a fresh machine: "cgroup mode
# MODE: why".  Every other skip fails a run.sh run.
skip_cgroup_mode() {
  skip "cgroup mode $(host_cgroup_mode): $*"
}

# Assertions that print what they saw when they fail.
fail() {
  printf '# %s\n' "$@" >&2
  return 1
}

assert_status() {
  [[ "$status" -eq "$1" ]] || fail "expected exit status $1, got $status" "output: $output"
}

assert_contains() {
  [[ "$1" == *"$2"* ]] || fail "expected to find: $2" "in: $1"
}

assert_not_contains() {
  [[ "$1" != *"$2"* ]] || fail "did not expect: $2" "in: $1"
}

# After `run --separate-stderr`: failed with 125, said one line on stderr
# (prefixed "whalebox: "), nothing on stdout.
assert_one_line_error() {
  assert_status 125
  [[ -z "$output" ]] || fail "expected no stdout, got: $output"
  [[ "${#stderr_lines[@]}" -eq 1 ]] ||
    fail "expected exactly one line on stderr, got ${#stderr_lines[@]}:" "$stderr"
  assert_contains "$stderr" "whalebox: "
}

# JSON queries: jq when present, else python3.
json() {
  local filter=$1
  if command -v jq >/dev/null; then
    jq -r "$filter"
  else
    fail "jq is needed (scripts/install-deps.sh installs it)"
  fi
}

# A listing of a directory tree, to compare before/after a failing command.
tree_listing() {
  if [[ -e "$1" ]]; then
    (cd "$1" && find . | LC_ALL=C sort)
  fi
}
