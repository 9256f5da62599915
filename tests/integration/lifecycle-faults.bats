#!/usr/bin/env bats
# lifecycle-faults.bats - a container's state under faults (issue 13, 4):
# commands killed halfway, run concurrently, a state file that cannot be
# read, a full disk, a monitor that is gone.  The state must never lie and
# nothing may hang.  The kill-at-random-instant loops are in
# kill-loops.bats.

load helpers/common
load helpers/container

setup_file() {
  container_setup_file
}

setup() {
  container_setup
  wbx_init
}

teardown() {
  # A container left frozen (what these tests reproduce) cannot be killed:
  # thaw this test's own cgroups first.
  local f
  for f in /sys/fs/cgroup/freezer/"${WB_CG_PARENT:-none}"/*/freezer.state; do
    [[ -e "$f" ]] && echo THAWED >"$f" 2>/dev/null
  done
  container_teardown
}

# The v1 freezer file of container $1's cgroup.
freezer_file() {
  echo "/sys/fs/cgroup/freezer/$WB_CG_PARENT/$1/freezer.state"
}

freezer_state() {
  cat "$(freezer_file "$1")" 2>/dev/null
}

need_freezer() {
  [[ "$WB_CGROUP_DRIVER" == v1 ]] || skip "needs the cgroup-v1 driver (have $WB_CGROUP_DRIVER)"
  [[ -d /sys/fs/cgroup/freezer ]] || skip "no v1 freezer hierarchy at /sys/fs/cgroup/freezer"
}

# The whalebox binary with this test's settings, as a command line rather
# than the wb function: `"${WBX[@]}" ... &` makes $! whalebox's own pid
# (a function in the background is a subshell, which a kill would hit
# instead).
wbx_init() {
  WBX=("$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR"
    --cgroup-driver "$WB_CGROUP_DRIVER")
}

# A running container whose commit takes a while (its diff copies 150 MB
# and 2000 files): the window in which it is frozen is wide enough to hit.
run_big() {
  run_d "$@" busybox sh -c 'dd if=/dev/zero of=/big bs=1M count=150 2>/dev/null
    mkdir /many; i=0; while [ $i -lt 2000 ]; do echo $i >/many/$i; i=$((i + 1)); done
    echo ready; exec sleep 300'
  wait_for 20 eval '[[ "$(wb logs "$CID")" == ready ]]'
}

# ---- 5. a full disk ------------------------------------------------------------------

@test "a full disk does not lose the exit code: stop records it in place; it stays once space is back" {
  command -v unshare >/dev/null || skip "unshare is not installed"
  # Everything whalebox does in this test happens in a mount namespace of
  # its own, on a small tmpfs mounted only there: the host sees nothing.
  local script=$BATS_TEST_TMPDIR/fulldisk.sh root=$WB_TMP/fullroot
  mkdir -p "$root"
  cat >"$script" <<'EOF'
set -u
root=$1 tar=$2
mount -t tmpfs -o size=24m,mode=0700 wb-test-fulldisk "$root" || exit 99
wb() {
  "$WB_BIN" --config "$WB_CONF" --root "$root" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$WB_CGROUP_DRIVER" "$@"
}
cleanup() {
  rm -f "$root/fill"
  local ids
  ids=$(wb ps -aq --no-trunc 2>/dev/null)
  [ -z "$ids" ] || wb rm -f $ids >/dev/null 2>&1
  local home
  home=$(readlink "$root/run")
  case $home in /dev/shm/whalebox-*) rm -rf -- "$home" ;; esac
}
trap cleanup EXIT
wb import "$tar" busybox >/dev/null || exit 98
id=$(wb run -d --cgroup-parent "$WB_CG_PARENT" busybox sleep 300) || exit 97
echo "id $id"
dd if=/dev/zero of="$root/fill" bs=64k >/dev/null 2>&1
echo "free $(df --output=avail -k "$root" | tail -1 | tr -d ' ')"
wb stop -t 0 "$id" >/dev/null
echo "stop $?"
echo "state $(jq -r '"\(.State.Status) \(.State.ExitCode)"' "$root/containers/$id/state.json")"
echo "ps $(wb ps -a --format json | jq -r .Status)"
rm -f "$root/fill"
echo "ps-after $(wb ps -a --format json | jq -r .Status)"
echo "state-after $(jq -r '"\(.State.Status) \(.State.ExitCode)"' "$root/containers/$id/state.json")"
EOF
  run unshare -m --propagation private bash "$script" "$root" "$BATS_FILE_TMPDIR/busybox.tar"
  echo "$output"
  assert_status 0
  assert_contains "$output" "free 0"
  # Before the fix: stop 0, state "running -1", ps "Exited (unknown)".
  assert_contains "$output" "state exited 137"
  [[ "$output" =~ ps\ Exited\ \(137\) ]] || fail "ps: $output"
  [[ "$output" =~ ps-after\ Exited\ \(137\) ]] || fail "ps after: $output"
  assert_contains "$output" "state-after exited 137"
  [[ -z "$(mounts_under "$root")" ]] || fail "the tmpfs is visible on the host"
}
