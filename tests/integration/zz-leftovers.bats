#!/usr/bin/env bats
# zz-leftovers.bats - the safety net after all other integration tests (the
# name sorts last, and meson runs the .bats files one at a time in that
# order): no mount, cgroup, state root or whalebox process of a test is
# left on the host.  Each test file cleans up after itself; this file only
# looks, and fails loudly naming what it found.  It removes nothing: what it
# finds may say which cleanup path is broken.
#
# The names it looks for are the test conventions: state roots
# /var/tmp/wb-test.* (helpers/run.bash, helpers/security.bash),
# /tmp/wb-bats.* (helpers/common.bash) and ${TMPDIR:-/tmp}/wb-limits.*
# (helpers/limits.bash: the file's root is <that>/root), cgroup parents
# wb-test-*.

load helpers/common

# The scratch directories the tests make, one glob per line (unexpanded).
scratch_globs() {
  echo '/var/tmp/wb-test.*'
  echo '/tmp/wb-bats.*'
  echo "${TMPDIR:-/tmp}/wb-limits.*"
  [[ "${TMPDIR:-/tmp}" == /tmp ]] || echo '/tmp/wb-limits.*'
}

# Is $1 (a state root, or a path in one) under a test's scratch directory?
is_test_path() {
  local g
  while read -r g; do
    # shellcheck disable=SC2053 # $g is a glob
    [[ "$1" == $g ]] && return 0
  done < <(scratch_globs)
  return 1
}

# Lines of $1 (may be empty) reported with a title, as a failure.
report() {
  local title=$1 found=$2
  [[ -z "$found" ]] || fail "$title:" "$found"
}

@test "no mount of a test is left on the host" {
  report "mounts left by the tests (/proc/self/mountinfo)" \
    "$(grep -E 'wb-test|wb-bats|wb-limits' /proc/self/mountinfo || true)"
}

@test "no cgroup of a test is left" {
  local found=() d sub
  for d in /sys/fs/cgroup/wb-test-* /sys/fs/cgroup/*/wb-test-*; do
    [[ -d "$d" ]] || continue
    # A container cgroup below the parent is whalebox's leak; an empty
    # parent is a test that did not remove its --cgroup-parent.
    sub=$(find "$d" -mindepth 1 -type d | head -5 | tr '\n' ' ')
    found+=("$d${sub:+ (containers: $sub)}")
  done
  report "cgroup directories left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}

@test "no state root or scratch directory of a test is left" {
  local found=() d g
  while read -r g; do
    for d in $g; do
      [[ -e "$d" ]] && found+=("$d")
    done
  done < <(scratch_globs)
  report "state roots left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}

@test "no runroot of a test is left in /dev/shm" {
  # Each names its state root in a file "root".
  local found=() d
  for d in /dev/shm/whalebox-*; do
    [[ -f "$d/root" ]] || continue
    is_test_path "$(cat "$d/root")" && found+=("$d ($(cat "$d/root"))")
  done
  report "runroots left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}

@test "no whalebox process of a test is still running" {
  local found=() p cmd root
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ "$cmd" == *whalebox*" --root "* ]] || continue
    root=${cmd#*" --root "}
    is_test_path "${root%% *}" && found+=("${p#/proc/}: $cmd")
  done
  report "whalebox processes left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}
