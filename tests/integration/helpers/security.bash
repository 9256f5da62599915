# shellcheck shell=bash disable=SC2154,SC2034 # bats sets output, status, lines; the .bats uses the rest
# security.bash - setup and helpers for security.bats (issue 6).
#
# One state root per file (/var/tmp/wb-test.sec.*: under /var/tmp, so
# overlay's upper dirs are on a real file system, and named as
# zz-leftovers.bats looks for) with the "busybox" image, the syscall probe
# (tests/helpers/syscall-probe.c, built static with cc) in a directory that
# every container gets read-only at /probe, and one cgroup parent per file.
# Every test removes its containers; teardown_file removes the root and the
# cgroup parent directories.
#
# Load after helpers/common:
#   load helpers/common
#   load helpers/security
#   setup_file() { sec_setup_file; }
#   teardown_file() { sec_teardown_file; }
#   setup() { sec_setup; }
#   teardown() { sec_teardown; }

# Docker's 14 default capabilities, by number (linux/capability.h).
SEC_DEFAULT_CAP_NUMBERS=(0 1 3 4 5 6 7 8 10 13 18 27 29 31)
SEC_DEFAULT_CAP_NAMES=(CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
  SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP)

# A capability mask as /proc/PID/status prints it (16 hex digits) from a
# list of capability numbers.
sec_cap_mask() {
  local m=0 c
  for c in "$@"; do
    m=$((m | (1 << c)))
  done
  printf '%016x\n' "$m"
}

# Every capability that the runtime itself holds (it runs with the test's
# own sets; a sandbox may lack some of the kernel's capabilities), as a mask:
# what --privileged can give.
sec_full_cap_mask() {
  awk '$1 == "CapPrm:" {print $2}' /proc/self/status
}

sec_setup_file() {
  : "${WB_SOURCE_DIR:?WB_SOURCE_DIR is not set}"
  SEC_ROOT=$(mktemp -d /var/tmp/wb-test.sec.XXXXXX)
  SEC_CG=wb-test-$$-sec
  SEC_PROBE_DIR=$BATS_FILE_TMPDIR/probe
  if [[ -e /sys/fs/cgroup/memory ]]; then
    SEC_CGROUP_DRIVER=v1
  else
    SEC_CGROUP_DRIVER=auto
  fi
  export SEC_ROOT SEC_CG SEC_PROBE_DIR SEC_CGROUP_DRIVER
  mkdir -p "$SEC_PROBE_DIR"
  cc -static -O2 -Wall -Wextra -Werror -o "$SEC_PROBE_DIR/syscall-probe" \
    "$WB_SOURCE_DIR/tests/helpers/syscall-probe.c" ||
    fail "cannot build tests/helpers/syscall-probe.c (cc -static)"
  local tar=$BATS_FILE_TMPDIR/busybox.tar
  "$WB_SOURCE_DIR/scripts/make-busybox-image.sh" "$tar" >/dev/null ||
    fail "scripts/make-busybox-image.sh failed"
  : >"$SEC_ROOT/empty.conf"
  sec_wb overlay import "$tar" busybox >/dev/null ||
    fail "cannot import the busybox image"
}

# Mounts under the state root, as the host sees them.
sec_mounts() {
  [[ -n "${SEC_ROOT:-}" ]] || return 0
  mounts_under "$SEC_ROOT"
}

sec_remove_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/"$SEC_CG" /sys/fs/cgroup/"$SEC_CG"; do
    [[ -d "$d" ]] || continue
    # Only directories: rmdir of a cgroup still in use fails, as it should.
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

sec_teardown_file() {
  [[ -n "${SEC_CG:-}" ]] && sec_remove_cgroups
  if [[ -n "${SEC_ROOT:-}" && "$SEC_ROOT" == /var/tmp/wb-test.sec.* ]]; then
    remove_runroot "$SEC_ROOT"
    # Never rm -rf through a mount that was left behind.
    if [[ -n "$(sec_mounts)" ]]; then
      echo "# mounts left under $SEC_ROOT, not removing it: $(sec_mounts)" >&2
      return 1
    fi
    rm -rf -- "$SEC_ROOT"
  fi
}

sec_setup() {
  unset WHALEBOX_CONFIG
  SEC_TMP=$(mktemp -d "$BATS_TEST_TMPDIR/sec.XXXXXX")
  SEC_EXEC_OPTS=()
}

# Field 22 of /proc/PID/stat (start time), empty when gone or a zombie.
sec_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  [[ "$1" == Z ]] && return 0
  echo "${20}"
}

# Kill pid $1 if it is still the process that started at $2.
sec_kill_if_same() {
  [[ -n "$1" && "$1" -gt 0 && -n "$2" && "$2" != 0 ]] || return 0
  [[ "$(sec_start_time "$1")" == "$2" ]] && kill -9 "$1" 2>/dev/null
  return 0
}

sec_teardown() {
  # Remember every process the test started, in case rm -f misses one.
  local procs=() d
  for d in "$SEC_ROOT"/containers/*/state.json "$SEC_ROOT"/run/containers/*/state.json; do
    [[ -f "$d" ]] || continue
    procs+=("$(jq -r '"\(.State.Pid) \(.State.StartTime) \(.State.MonitorPid) \(.State.MonitorStartTime)"' "$d" 2>/dev/null)")
  done
  local ids
  ids=$(sec_wb overlay ps -aq --no-trunc 2>/dev/null)
  # shellcheck disable=SC2086
  [[ -z "$ids" ]] || sec_wb overlay rm -f $ids >/dev/null 2>&1 || true
  local p
  for p in "${procs[@]}"; do
    # shellcheck disable=SC2086
    set -- $p
    sec_kill_if_same "${3:-}" "${4:-}"
    sec_kill_if_same "${1:-}" "${2:-}"
  done
  local left
  left=$(sec_wb overlay ps -aq --no-trunc 2>/dev/null)
  [[ -z "$left" ]] || fail "containers left after rm -f: $left"
}

# whalebox with this file's root, the built drivers and storage driver $1.
sec_wb() {
  local driver=$1
  shift
  "$WB_BIN" --config "$SEC_ROOT/empty.conf" --root "$SEC_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" --storage-driver "$driver" \
    --cgroup-driver "$SEC_CGROUP_DRIVER" "$@"
}

# sec_run_d DRIVER RUN-OPTIONS... -- COMMAND...: a detached busybox
# container with the probe at /probe; its id in $CID.
sec_run_d() {
  local driver=$1 opts=()
  shift
  while [[ $# -gt 0 && "$1" != -- ]]; do
    opts+=("$1")
    shift
  done
  shift
  CID=$(sec_wb "$driver" run -d --cgroup-parent "$SEC_CG" \
    -v "$SEC_PROBE_DIR:/probe:ro" "${opts[@]}" busybox "$@") ||
    fail "run -d ${opts[*]} busybox $* failed"
  [[ "$CID" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed: $CID"
}

# sec_in DRIVER MODE RUN-OPTIONS... -- COMMAND...
#   MODE run:  `run --rm RUN-OPTIONS busybox COMMAND`
#   MODE exec: `run -d RUN-OPTIONS busybox sleep 600`, then
#              `exec ${SEC_EXEC_OPTS[@]} ID COMMAND`, then `rm -f ID`
# The command's output and exit status are the function's.  Use with bats'
# `run`.
sec_in() {
  local driver=$1 mode=$2 opts=()
  shift 2
  while [[ $# -gt 0 && "$1" != -- ]]; do
    opts+=("$1")
    shift
  done
  shift
  if [[ "$mode" == run ]]; then
    sec_wb "$driver" run --rm --cgroup-parent "$SEC_CG" \
      -v "$SEC_PROBE_DIR:/probe:ro" "${opts[@]}" busybox "$@"
    return
  fi
  local cid rc
  cid=$(sec_wb "$driver" run -d --cgroup-parent "$SEC_CG" \
    -v "$SEC_PROBE_DIR:/probe:ro" "${opts[@]}" busybox sleep 600) || {
    echo "sec_in: run -d ${opts[*]} failed" >&2
    return 125
  }
  sec_wb "$driver" exec "${SEC_EXEC_OPTS[@]}" "$cid" "$@"
  rc=$?
  sec_wb "$driver" rm -f "$cid" >/dev/null 2>&1 ||
    echo "sec_in: rm -f $cid failed" >&2
  return "$rc"
}

# The value of field $1 (e.g. CapEff) in /proc/self/status output ($2).
sec_status_field() {
  awk -v f="$1:" '$1 == f {print $2}' <<<"$2"
}

# Assert the five capability sets in /proc/self/status output $1:
# inheritable, permitted, effective, bounding, ambient.
sec_assert_caps() {
  local out=$1 want_inh=$2 want_prm=$3 want_eff=$4 want_bnd=$5 want_amb=$6
  local f want got
  for f in CapInh:"$want_inh" CapPrm:"$want_prm" CapEff:"$want_eff" \
    CapBnd:"$want_bnd" CapAmb:"$want_amb"; do
    want=${f#*:}
    got=$(sec_status_field "${f%%:*}" "$out")
    [[ "$got" == "$want" ]] ||
      fail "${f%%:*}: expected $want, got '${got}'" "status: $out"
  done
}

# From `syscall-probe syscalls` output ($1): the result for syscall $2.
sec_probe_result() {
  awk -v n="$2" '$1 == n {print $2}' <<<"$1"
}

# The masked and read-only paths of issue 6 that exist on this host.
sec_host_paths() {
  local p
  for p in "$@"; do
    [[ -e "$p" ]] && echo "$p"
  done
  return 0
}
