#!/usr/bin/env bats
# zz-leftovers.bats - the safety net after all other integration tests (the
# name sorts last, and meson runs the .bats files one at a time in that
# order): no mount, cgroup, state root or whalebox process of a test is
# left on the host.  Each test file cleans up after itself; this file only
# looks, and fails loudly naming what it found.  It removes nothing: what it
# finds may say which cleanup path is broken.
#
# The names it looks for are the test conventions: state roots
# /var/tmp/wb-test.* (helpers/run.bash) and /tmp/wb-bats.*
# (helpers/common.bash), cgroup parents wb-test-*.

load helpers/common

# Lines of $1 (may be empty) reported with a title, as a failure.
report() {
  local title=$1 found=$2
  [[ -z "$found" ]] || fail "$title:" "$found"
}

@test "no mount of a test is left on the host" {
  report "mounts left by the tests (/proc/self/mountinfo)" \
    "$(grep -E 'wb-test|wb-bats' /proc/self/mountinfo || true)"
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
  local found=() d
  for d in /var/tmp/wb-test.* /tmp/wb-bats.*; do
    [[ -e "$d" ]] && found+=("$d")
  done
  report "state roots left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}

@test "no runroot of a test is left in /dev/shm" {
  # Each names its state root in a file "root".
  local found=() d
  for d in /dev/shm/whalebox-*; do
    [[ -f "$d/root" ]] || continue
    [[ "$(cat "$d/root")" == /var/tmp/wb-test.* || "$(cat "$d/root")" == /tmp/wb-bats.* ]] &&
      found+=("$d ($(cat "$d/root"))")
  done
  report "runroots left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}

@test "no whalebox process of a test is still running" {
  local found=() p cmd
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    [[ "$cmd" == *whalebox*" --root "/var/tmp/wb-test.* || "$cmd" == *whalebox*" --root "/tmp/wb-bats.* ]] &&
      found+=("${p#/proc/}: $cmd")
  done
  report "whalebox processes left by the tests" "$(printf '%s\n' "${found[@]}" | sed '/^$/d')"
}
