#!/usr/bin/env bats
# security.bats - the security defaults of issue 6, checked from inside the
# container, in `run` and in `exec` (into a running `sleep` container), on
# both storage drivers: capabilities, no_new_privs, seccomp (busybox and the
# static probe tests/helpers/syscall-probe.c), masked and read-only paths,
# device nodes, file descriptors, the working directory, the runtime binary,
# the recorded profile (state.json) and inspect.
#
# Each check is a function `check_NAME DRIVER MODE`; the @test lines below
# run it for every driver and mode.

load helpers/common
load helpers/security

setup_file() {
  sec_setup_file
}

teardown_file() {
  sec_teardown_file
}

setup() {
  sec_setup
}

teardown() {
  sec_teardown
}

DEFAULT_MASK=$(sec_cap_mask "${SEC_DEFAULT_CAP_NUMBERS[@]}")
ZERO=0000000000000000

# ---- capabilities ---------------------------------------------------------

check_default_caps() {
  [[ "$DEFAULT_MASK" == 00000000a80425fb ]] ||
    fail "the test's own mask is wrong: $DEFAULT_MASK"
  run sec_in "$1" "$2" -- cat /proc/self/status
  assert_status 0
  sec_assert_caps "$output" $ZERO "$DEFAULT_MASK" "$DEFAULT_MASK" \
    "$DEFAULT_MASK" $ZERO
}

check_user_caps() {
  run sec_in "$1" "$2" -u 1000 -- cat /proc/self/status
  assert_status 0
  [[ "$(sec_status_field Uid "$output")" == 1000 ]] ||
    fail "not running as uid 1000:" "$output"
  sec_assert_caps "$output" $ZERO $ZERO $ZERO "$DEFAULT_MASK" $ZERO
}

check_cap_drop_all() {
  run sec_in "$1" "$2" --cap-drop ALL -- cat /proc/self/status
  assert_status 0
  sec_assert_caps "$output" $ZERO $ZERO $ZERO $ZERO $ZERO
  # Root without CAP_CHOWN cannot give a file away.
  run sec_in "$1" "$2" --cap-drop ALL -- sh -c 'touch /tmp/f && chown 1000 /tmp/f'
  [[ "$status" -ne 0 ]] || fail "chown worked without CAP_CHOWN"
  assert_contains "$output" "Operation not permitted"
}

check_cap_drop_add() {
  # Docker: drops first, then adds.
  local want
  want=$(sec_cap_mask 10)
  run sec_in "$1" "$2" --cap-drop ALL --cap-add NET_BIND_SERVICE -- \
    cat /proc/self/status
  assert_status 0
  sec_assert_caps "$output" $ZERO "$want" "$want" "$want" $ZERO
  want=$(sec_cap_mask 0 1 3 4 5 6 7 8 10 18 27 29 31)
  run sec_in "$1" "$2" --cap-drop net_raw -- cat /proc/self/status
  assert_status 0
  sec_assert_caps "$output" $ZERO "$want" "$want" "$want" $ZERO
}

check_cap_add_sys_admin() {
  local want
  want=$(sec_cap_mask "${SEC_DEFAULT_CAP_NUMBERS[@]}" 21)
  run sec_in "$1" "$2" --cap-add SYS_ADMIN -- sh -c \
    'cat /proc/self/status && mkdir -p /mnt/t && mount -t tmpfs x /mnt/t &&
     grep " /mnt/t " /proc/self/mountinfo && umount /mnt/t && echo MOUNT-OK'
  assert_status 0
  sec_assert_caps "$output" $ZERO "$want" "$want" "$want" $ZERO
  assert_contains "$output" "MOUNT-OK"
  # Still filtered: only SYS_ADMIN's syscalls came back.
  [[ "$(sec_status_field Seccomp "$output")" == 2 ]] ||
    fail "seccomp is off with --cap-add SYS_ADMIN:" "$output"
}

check_privileged() {
  local full
  full=$(sec_full_cap_mask)
  run sec_in "$1" "$2" --privileged -- cat /proc/self/status
  assert_status 0
  sec_assert_caps "$output" $ZERO "$full" "$full" "$full" $ZERO
  [[ "$(sec_status_field Seccomp "$output")" == 0 ]] ||
    fail "--privileged: expected Seccomp 0:" "$output"
}

@test "caps: Docker's default set, inheritable and ambient empty [overlay run]" { check_default_caps overlay run; }
@test "caps: Docker's default set, inheritable and ambient empty [overlay exec]" { check_default_caps overlay exec; }
@test "caps: Docker's default set, inheritable and ambient empty [bind run]" { check_default_caps bind run; }
@test "caps: Docker's default set, inheritable and ambient empty [bind exec]" { check_default_caps bind exec; }
@test "caps: -u 1000 has empty permitted and effective sets [overlay run]" { check_user_caps overlay run; }
@test "caps: -u 1000 has empty permitted and effective sets [overlay exec]" { check_user_caps overlay exec; }
@test "caps: -u 1000 has empty permitted and effective sets [bind run]" { check_user_caps bind run; }
@test "caps: -u 1000 has empty permitted and effective sets [bind exec]" { check_user_caps bind exec; }
@test "caps: --cap-drop ALL empties every set [overlay run]" { check_cap_drop_all overlay run; }
@test "caps: --cap-drop ALL empties every set [overlay exec]" { check_cap_drop_all overlay exec; }
@test "caps: --cap-drop ALL empties every set [bind run]" { check_cap_drop_all bind run; }
@test "caps: --cap-drop ALL empties every set [bind exec]" { check_cap_drop_all bind exec; }
@test "caps: --cap-drop ALL --cap-add X is X; --cap-drop one [overlay run]" { check_cap_drop_add overlay run; }
@test "caps: --cap-drop ALL --cap-add X is X; --cap-drop one [overlay exec]" { check_cap_drop_add overlay exec; }
@test "caps: --cap-drop ALL --cap-add X is X; --cap-drop one [bind run]" { check_cap_drop_add bind run; }
@test "caps: --cap-drop ALL --cap-add X is X; --cap-drop one [bind exec]" { check_cap_drop_add bind exec; }
@test "caps: --cap-add SYS_ADMIN, and mount works [overlay run]" { check_cap_add_sys_admin overlay run; }
@test "caps: --cap-add SYS_ADMIN, and mount works [overlay exec]" { check_cap_add_sys_admin overlay exec; }
@test "caps: --cap-add SYS_ADMIN, and mount works [bind run]" { check_cap_add_sys_admin bind run; }
@test "caps: --cap-add SYS_ADMIN, and mount works [bind exec]" { check_cap_add_sys_admin bind exec; }
@test "caps: --privileged has every capability and no seccomp [overlay run]" { check_privileged overlay run; }
@test "caps: --privileged has every capability and no seccomp [overlay exec]" { check_privileged overlay exec; }
@test "caps: --privileged has every capability and no seccomp [bind run]" { check_privileged bind run; }
@test "caps: --privileged has every capability and no seccomp [bind exec]" { check_privileged bind exec; }

@test "caps: exec -u 1000 into a root container has empty permitted and effective sets" {
  SEC_EXEC_OPTS=(-u 1000)
  run sec_in overlay exec -- cat /proc/self/status
  assert_status 0
  [[ "$(sec_status_field Uid "$output")" == 1000 ]] || fail "uid: $output"
  sec_assert_caps "$output" $ZERO $ZERO $ZERO "$DEFAULT_MASK" $ZERO
}

@test "caps: unknown capability names are refused before anything is created" {
  run --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
    --cap-add BOGUS busybox true
  assert_one_line_error
  assert_contains "$stderr" "BOGUS"
  run --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
    --cap-drop CAP_NOPE busybox true
  assert_one_line_error
  assert_contains "$stderr" "CAP_NOPE"
  run sec_wb overlay ps -aq
  [[ -z "$output" ]] || fail "a container was left: $output"
}

# ---- no_new_privs and seccomp mode ---------------------------------------------

check_nnp_seccomp() {
  run sec_in "$1" "$2" -- cat /proc/self/status
  assert_status 0
  [[ "$(sec_status_field NoNewPrivs "$output")" == 1 ]] || fail "NoNewPrivs:" "$output"
  [[ "$(sec_status_field Seccomp "$output")" == 2 ]] || fail "Seccomp:" "$output"

  run sec_in "$1" "$2" --security-opt no-new-privileges=false -- cat /proc/self/status
  assert_status 0
  [[ "$(sec_status_field NoNewPrivs "$output")" == 0 ]] ||
    fail "no-new-privileges=false: NoNewPrivs:" "$output"
  # The filter stays on without no_new_privs, and so do the capabilities.
  [[ "$(sec_status_field Seccomp "$output")" == 2 ]] ||
    fail "no-new-privileges=false: Seccomp:" "$output"
  sec_assert_caps "$output" $ZERO "$DEFAULT_MASK" "$DEFAULT_MASK" \
    "$DEFAULT_MASK" $ZERO

  run sec_in "$1" "$2" --security-opt seccomp=unconfined -- cat /proc/self/status
  assert_status 0
  [[ "$(sec_status_field Seccomp "$output")" == 0 ]] ||
    fail "seccomp=unconfined: Seccomp:" "$output"
  [[ "$(sec_status_field NoNewPrivs "$output")" == 1 ]] ||
    fail "seccomp=unconfined: NoNewPrivs:" "$output"
}

@test "NoNewPrivs 1 and Seccomp 2 by default; no-new-privileges=false, seccomp=unconfined [overlay run]" { check_nnp_seccomp overlay run; }
@test "NoNewPrivs 1 and Seccomp 2 by default; no-new-privileges=false, seccomp=unconfined [overlay exec]" { check_nnp_seccomp overlay exec; }
@test "NoNewPrivs 1 and Seccomp 2 by default; no-new-privileges=false, seccomp=unconfined [bind run]" { check_nnp_seccomp bind run; }
@test "NoNewPrivs 1 and Seccomp 2 by default; no-new-privileges=false, seccomp=unconfined [bind exec]" { check_nnp_seccomp bind exec; }

@test "NoNewPrivs: -u 1000 with no-new-privileges=false still gets the filter" {
  run sec_in overlay exec -u 1000 --security-opt no-new-privileges=false -- \
    cat /proc/self/status
  assert_status 0
  [[ "$(sec_status_field NoNewPrivs "$output")" == 0 ]] || fail "NoNewPrivs:" "$output"
  [[ "$(sec_status_field Seccomp "$output")" == 2 ]] || fail "Seccomp:" "$output"
}

@test "security-opt: bad values are refused with one line and leave nothing" {
  local opt
  for opt in bogus seccomp= seccomp=/nonexistent/profile.json \
    no-new-privileges=maybe; do
    run --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
      --security-opt "$opt" busybox true
    assert_one_line_error
  done
  printf '{"defaultAction": ' >"$SEC_TMP/broken.json"
  run --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
    --security-opt "seccomp=$SEC_TMP/broken.json" busybox true
  assert_one_line_error
  assert_contains "$stderr" "broken.json"
  run sec_wb overlay ps -aq
  [[ -z "$output" ]] || fail "a container was left: $output"
}

# ---- seccomp: the probe -------------------------------------------------------

# Refused with EPERM by the default profile (issue 6's list and the other
# capability-tied ones).
SEC_EPERM=(keyctl add_key request_key unshare setns mount umount2 pivot_root
  kexec_load bpf perf_event_open userfaultfd open_by_handle_at swapon reboot
  init_module finit_module delete_module ptrace process_vm_readv kcmp
  settimeofday clock_settime iopl ioperm personality clone_newuser
  i386_getpid x32_getpid)

check_probe_default() {
  run sec_in "$1" "$2" -- /probe/syscall-probe syscalls
  assert_status 0
  local name got bad=()
  for name in "${SEC_EPERM[@]}"; do
    got=$(sec_probe_result "$output" "$name")
    [[ "$got" == EPERM ]] || bad+=("$name=$got")
  done
  # clone3 cannot be filtered on its flags: ENOSYS makes libc fall back.
  for name in clone3 clone3_plain; do
    got=$(sec_probe_result "$output" "$name")
    [[ "$got" == ENOSYS ]] || bad+=("$name=$got (want ENOSYS)")
  done
  for name in getpid personality_query; do
    got=$(sec_probe_result "$output" "$name")
    [[ "$got" == OK ]] || bad+=("$name=$got (want OK)")
  done
  [[ ${#bad[@]} -eq 0 ]] || fail "unexpected results: ${bad[*]}" "$output"
}

check_probe_unconfined() {
  # The same calls without the filter: what the kernel itself says, which
  # shows that the EPERMs above come from the filter.
  run sec_in "$1" "$2" --security-opt seccomp=unconfined -- \
    /probe/syscall-probe syscalls
  assert_status 0
  local name got bad=()
  for name in keyctl add_key request_key setns mount umount2 perf_event_open \
    clone3 clone3_plain getpid; do
    got=$(sec_probe_result "$output" "$name")
    [[ -n "$got" && "$got" != EPERM ]] || bad+=("$name=$got")
  done
  [[ ${#bad[@]} -eq 0 ]] || fail "EPERM without seccomp: ${bad[*]}" "$output"
}

check_probe_sys_admin() {
  run sec_in "$1" "$2" --cap-add SYS_ADMIN -- /probe/syscall-probe syscalls
  assert_status 0
  local name got bad=()
  # Back with CAP_SYS_ADMIN: the kernel's own answer to the bad arguments.
  for name in mount umount2 pivot_root; do
    got=$(sec_probe_result "$output" "$name")
    [[ "$got" == EFAULT ]] || bad+=("$name=$got (want EFAULT)")
  done
  got=$(sec_probe_result "$output" setns)
  [[ "$got" == EBADF ]] || bad+=("setns=$got (want EBADF)")
  for name in unshare clone_newuser clone3 clone3_plain; do
    got=$(sec_probe_result "$output" "$name")
    [[ -n "$got" && "$got" != EPERM && "$got" != ENOSYS ]] ||
      bad+=("$name=$got (want not filtered)")
  done
  # Not tied to CAP_SYS_ADMIN: still refused.
  for name in keyctl add_key request_key reboot init_module kexec_load \
    ptrace i386_getpid x32_getpid; do
    got=$(sec_probe_result "$output" "$name")
    [[ "$got" == EPERM ]] || bad+=("$name=$got (want EPERM)")
  done
  [[ ${#bad[@]} -eq 0 ]] || fail "unexpected results: ${bad[*]}" "$output"
}

@test "seccomp: the probe's blocked syscalls fail with EPERM, clone3 with ENOSYS [overlay run]" { check_probe_default overlay run; }
@test "seccomp: the probe's blocked syscalls fail with EPERM, clone3 with ENOSYS [overlay exec]" { check_probe_default overlay exec; }
@test "seccomp: the probe's blocked syscalls fail with EPERM, clone3 with ENOSYS [bind run]" { check_probe_default bind run; }
@test "seccomp: the probe's blocked syscalls fail with EPERM, clone3 with ENOSYS [bind exec]" { check_probe_default bind exec; }
@test "seccomp: unconfined, the kernel answers the probe itself [overlay run]" { check_probe_unconfined overlay run; }
@test "seccomp: unconfined, the kernel answers the probe itself [overlay exec]" { check_probe_unconfined overlay exec; }
@test "seccomp: --cap-add SYS_ADMIN brings back exactly its syscalls [overlay run]" { check_probe_sys_admin overlay run; }
@test "seccomp: --cap-add SYS_ADMIN brings back exactly its syscalls [overlay exec]" { check_probe_sys_admin overlay exec; }
@test "seccomp: --cap-add SYS_ADMIN brings back exactly its syscalls [bind run]" { check_probe_sys_admin bind run; }
@test "seccomp: --cap-add SYS_ADMIN brings back exactly its syscalls [bind exec]" { check_probe_sys_admin bind exec; }

@test "seccomp: socket(AF_VSOCK) is refused, as in Docker's default profile" {
  run sec_in overlay run -- /probe/syscall-probe syscalls socket_vsock socket_unix
  assert_status 0
  [[ "$(sec_probe_result "$output" socket_vsock)" == EPERM ]] ||
    fail "socket(AF_VSOCK) was not filtered:" "$output"
  [[ "$(sec_probe_result "$output" socket_unix)" == OK ]] ||
    fail "socket(AF_UNIX) failed:" "$output"
}

# ---- seccomp: custom profile (Docker's JSON format) -------------------------

sec_deny_mkdir_profile() {
  cat >"$1" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}
  ]
}
EOF
}

check_custom_profile() {
  local prof=$SEC_TMP/deny-mkdir.json
  sec_deny_mkdir_profile "$prof"
  run sec_in "$1" "$2" --security-opt "seccomp=$prof" -- sh -c \
    'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status
     mkdir /tmp/newdir; echo "mkdir=$?"
     touch /tmp/newfile; echo "touch=$?"
     /probe/syscall-probe syscalls keyctl'
  assert_status 0
  assert_contains "$output" "mkdir=1"
  assert_contains "$output" "Operation not permitted"
  assert_contains "$output" "touch=0"
  # Only mkdir is denied: the default profile is not added on top.
  assert_contains "$output" "keyctl OK"
  [[ "$(sec_status_field Seccomp "$output")" == 2 ]] || fail "Seccomp:" "$output"
}

@test "seccomp=FILE: a Docker JSON profile denying mkdir [overlay run]" { check_custom_profile overlay run; }
@test "seccomp=FILE: a Docker JSON profile denying mkdir [overlay exec]" { check_custom_profile overlay exec; }
@test "seccomp=FILE: a Docker JSON profile denying mkdir [bind run]" { check_custom_profile bind run; }
@test "seccomp=FILE: a Docker JSON profile denying mkdir [bind exec]" { check_custom_profile bind exec; }

@test "seccomp=FILE: the profile's rules (profile also visible at its path inside)" {
  # Checks the JSON rules alone: the profile's directory is also mounted at
  # the same path inside, so it does not matter where it is read.
  local dir=$SEC_TMP/profiles
  mkdir -p "$dir"
  sec_deny_mkdir_profile "$dir/deny-mkdir.json"
  run sec_in overlay run -v "$dir:$dir:ro" \
    --security-opt "seccomp=$dir/deny-mkdir.json" -- sh -c \
    'mkdir /tmp/newdir; echo "mkdir=$?"; touch /tmp/newfile; echo "touch=$?"
     /probe/syscall-probe syscalls keyctl'
  assert_status 0
  assert_contains "$output" "mkdir=1"
  assert_contains "$output" "touch=0"
  assert_contains "$output" "keyctl OK"
}

@test "seccomp=FILE: exec applies the profile the container was started with" {
  local prof=$SEC_TMP/deny-mkdir.json
  sec_deny_mkdir_profile "$prof"
  sec_run_d overlay --security-opt "seccomp=$prof" -- sleep 600
  # Changing or removing the file afterwards changes nothing (Docker keeps
  # the profile, not its path).
  printf '{"defaultAction": "SCMP_ACT_ALLOW"}\n' >"$prof"
  run sec_wb overlay exec "$CID" sh -c 'mkdir /tmp/d; echo "mkdir=$?"'
  assert_status 0
  assert_contains "$output" "mkdir=1"
  rm -f "$prof"
  run sec_wb overlay exec "$CID" sh -c 'mkdir /tmp/d; echo "mkdir=$?"'
  assert_status 0
  assert_contains "$output" "mkdir=1"
}

# ---- busybox: what root in the container cannot do ----------------------------

# The nodes a container makes (it has CAP_MKNOD, as in Docker) are of
# /dev/zero, c 1 5, which every host has: opening one is refused only by
# the nodev mount flag, with EACCES ("Permission denied").  (A node of a
# device the host lacks would fail with ENXIO, nodev or not.)
SEC_NODE_CHECK='
  try_node() {
    if mknod "$1" c 1 5; then echo "MKNOD-OK $1"; else echo "MKNOD-FAILED $1"; fi
    if head -c1 "$1" >/dev/null 2>"$1.err"; then
      echo "OPENED $1"
    else
      echo "REFUSED $1: $(cat "$1.err")"
    fi
  }'

# Output of the SEC_NODE_CHECK script ($1): node $2 was made and opening it
# was refused with "Permission denied".
assert_node_refused() {
  assert_contains "$1" "MKNOD-OK $2"
  assert_not_contains "$1" "OPENED $2"
  local line
  line=$(grep -F "REFUSED $2:" <<<"$1") || fail "no result for $2" "$1"
  assert_contains "$line" "Permission denied"
}

check_busybox_refusals() {
  run sec_in "$1" "$2" -- sh -c "$SEC_NODE_CHECK"'
    unshare -n true && echo UNSHARE-WORKED
    mkdir -p /mnt/t; mount -t tmpfs x /mnt/t && echo MOUNT-WORKED
    try_node /tmp/zero
    try_node /dev/shm/zero
    try_node /dev/zero2
    echo h >/proc/sysrq-trigger && echo SYSRQ-WRITTEN
    echo 1 >/proc/sys/vm/drop_caches && echo PROC-SYS-WRITTEN
    echo x >/sys/kernel/uevent_helper && echo SYS-WRITTEN
    touch /sys/newfile && echo SYS-TOUCHED
    echo done'
  assert_contains "$output" "done"
  # mknod itself is allowed, opening is not: on the root file system, the
  # /dev/shm tmpfs and the /dev tmpfs.
  local node
  for node in /tmp/zero /dev/shm/zero /dev/zero2; do
    assert_node_refused "$output" "$node"
  done
  local w
  for w in UNSHARE-WORKED MOUNT-WORKED SYSRQ-WRITTEN PROC-SYS-WRITTEN \
    SYS-WRITTEN SYS-TOUCHED; do
    assert_not_contains "$output" "$w"
  done
}

check_ro_mounts() {
  # /sys and /proc/sys are read-only mounts; /proc/sysrq-trigger too where
  # the host has it.
  run sec_in "$1" "$2" -- cat /proc/self/mountinfo
  assert_status 0
  local p opts
  for p in /sys /proc/sys $(sec_host_paths /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs); do
    opts=$(awk -v p="$p" '$5 == p {o = $6} END {print o}' <<<"$output")
    [[ -n "$opts" ]] || fail "no mount on $p:" "$output"
    [[ ",$opts," == *,ro,* ]] || fail "$p is mounted $opts" "$output"
  done
  # No cgroup file system is reachable at all (or it is read-only).
  while read -r p opts; do
    [[ ",$opts," == *,ro,* ]] || fail "cgroup file system $p is mounted $opts"
  done < <(awk '{for (i = 7; i <= NF; i++) if ($i == "-") {if ($(i+1) ~ /^cgroup/) print $5, $6; break}}' <<<"$output")
}

check_masked() {
  local files=() dirs=() p
  for p in $(sec_host_paths /proc/kcore /proc/keys /proc/timer_list \
    /proc/sched_debug /proc/latency_stats /proc/timer_stats /proc/interrupts); do
    files+=("$p")
  done
  for p in $(sec_host_paths /proc/acpi /proc/scsi /proc/asound /sys/firmware \
    /sys/devices/virtual/powercap); do
    dirs+=("$p")
  done
  [[ ${#files[@]} -gt 0 ]] || skip "none of the masked /proc files exists on this host"
  # shellcheck disable=SC2016
  run sec_in "$1" "$2" -- sh -c '
    for f in "$@"; do
      case $f in
      file:*) f=${f#file:}; echo "$f $(head -c 4096 "$f" 2>/dev/null | wc -c)";;
      dir:*) f=${f#dir:}; echo "$f $(ls -A "$f" 2>/dev/null | wc -l)";;
      esac
    done
    cat /proc/self/mountinfo' sh \
    "${files[@]/#/file:}" "${dirs[@]/#/dir:}"
  assert_status 0
  for p in "${files[@]}" "${dirs[@]}"; do
    [[ "$(awk -v p="$p" 'NF == 2 && $1 == p {print $2}' <<<"$output")" == 0 ]] ||
      fail "$p is not empty in the container" "$output"
    # Masked by a mount, not by chance empty.
    awk -v p="$p" '$5 == p {found = 1} END {exit !found}' <<<"$output" ||
      fail "no mount masks $p" "$output"
  done
}

@test "busybox: unshare, mount, reading created device nodes, writes to /proc and /sys fail [overlay run]" { check_busybox_refusals overlay run; }
@test "busybox: unshare, mount, reading created device nodes, writes to /proc and /sys fail [overlay exec]" { check_busybox_refusals overlay exec; }
@test "busybox: unshare, mount, reading created device nodes, writes to /proc and /sys fail [bind run]" { check_busybox_refusals bind run; }
@test "busybox: unshare, mount, reading created device nodes, writes to /proc and /sys fail [bind exec]" { check_busybox_refusals bind exec; }
@test "mounts: /sys, /proc/sys and the read-only /proc paths are read-only [overlay run]" { check_ro_mounts overlay run; }
@test "mounts: /sys, /proc/sys and the read-only /proc paths are read-only [overlay exec]" { check_ro_mounts overlay exec; }
@test "mounts: /sys, /proc/sys and the read-only /proc paths are read-only [bind run]" { check_ro_mounts bind run; }
@test "mounts: /sys, /proc/sys and the read-only /proc paths are read-only [bind exec]" { check_ro_mounts bind exec; }
@test "mounts: the masked paths that exist on the host are empty [overlay run]" { check_masked overlay run; }
@test "mounts: the masked paths that exist on the host are empty [overlay exec]" { check_masked overlay exec; }
@test "mounts: the masked paths that exist on the host are empty [bind run]" { check_masked bind run; }
@test "mounts: the masked paths that exist on the host are empty [bind exec]" { check_masked bind exec; }

@test "mounts: a device node created in a writable volume cannot be opened" {
  local vol=$SEC_TMP/vol
  mkdir -p "$vol"
  run sec_in overlay run -v "$vol:/vol" -- sh -c "$SEC_NODE_CHECK"'
    try_node /vol/zero
    echo done'
  assert_contains "$output" "done"
  assert_node_refused "$output" /vol/zero
  # What the container made is the host's /dev/zero.
  [[ "$(stat -c '%F %t:%T' "$vol/zero")" == "character special file 1:5" ]] ||
    fail "$vol/zero is $(stat -c '%F %t:%T' "$vol/zero")"
}

@test "mounts: --privileged does not mask (the masking above is the runtime's)" {
  [[ -n "$(head -c 100 /proc/timer_list 2>/dev/null)" ]] ||
    skip "the host has no /proc/timer_list with content"
  run sec_in overlay run --privileged -- sh -c 'head -c 100 /proc/timer_list | wc -c'
  assert_status 0
  [[ "$output" -gt 0 ]] || fail "/proc/timer_list is empty even with --privileged"
}

# ---- file descriptors, working directory -----------------------------------------

check_fds() {
  run sec_in "$1" "$2" -- /probe/syscall-probe fds
  assert_status 0
  local fds
  fds=$(awk '{print $1}' <<<"$output" | paste -sd' ')
  [[ "$fds" == "0 1 2" ]] || fail "open fds: $fds" "$output"
  # busybox ls, opening the directory itself: one more, nothing else.
  run sec_in "$1" "$2" -- ls /proc/self/fd
  assert_status 0
  fds=$(paste -sd' ' <<<"$output")
  [[ "$fds" == "0 1 2 3" ]] || fail "ls /proc/self/fd: $fds"
}

check_cwd() {
  run sec_in "$1" "$2" -w /tmp -- sh -c \
    'pwd; readlink /proc/self/cwd; /probe/syscall-probe cwd'
  assert_status 0
  [[ "$output" == $'/tmp\n/tmp\ngetcwd /tmp\nreadlink /tmp' ]] ||
    fail "working directory:" "$output"
}

check_cwd_inherited_fd() {
  # CVE-2024-21626: a working directory through /proc/self/fd/N must not
  # reach a directory fd that the runtime holds (here one its caller left
  # open on a host directory).
  local hostdir=$SEC_TMP/hostdir
  mkdir -p "$hostdir"
  : >"$hostdir/host-marker-$$"
  run sec_in "$1" "$2" -w /proc/self/fd/9 -- sh -c \
    'ls -a; /probe/syscall-probe cwd' 9<"$hostdir"
  assert_not_contains "$output" "host-marker-$$"
  if [[ "$status" -eq 0 ]]; then
    assert_not_contains "$output" "getcwd ENOENT"
    assert_not_contains "$output" "$hostdir"
  fi
}

@test "fds: only 0 1 2 reach the process [overlay run]" { check_fds overlay run; }
@test "fds: only 0 1 2 reach the process [overlay exec]" { check_fds overlay exec; }
@test "fds: only 0 1 2 reach the process [bind run]" { check_fds bind run; }
@test "fds: only 0 1 2 reach the process [bind exec]" { check_fds bind exec; }
@test "cwd: -w /tmp is the working directory, inside the root [overlay run]" { check_cwd overlay run; }
@test "cwd: -w /tmp is the working directory, inside the root [overlay exec]" { check_cwd overlay exec; }
@test "cwd: -w /tmp is the working directory, inside the root [bind run]" { check_cwd bind run; }
@test "cwd: -w /tmp is the working directory, inside the root [bind exec]" { check_cwd bind exec; }
@test "cwd: -w /proc/self/fd/9 cannot reach a host directory fd [overlay run]" { check_cwd_inherited_fd overlay run; }
@test "cwd: -w /proc/self/fd/9 cannot reach a host directory fd [overlay exec]" { check_cwd_inherited_fd overlay exec; }

@test "fds: run -d gives the process only 0 1 2" {
  sec_run_d overlay -- /probe/syscall-probe fds
  run sec_wb overlay wait "$CID"
  [[ "$output" == 0 ]] || fail "wait: $output"
  run sec_wb overlay logs "$CID"
  assert_status 0
  local fds
  fds=$(awk '{print $1}' <<<"$output" | paste -sd' ')
  [[ "$fds" == "0 1 2" ]] || fail "open fds: $fds" "$output"
}

@test "cwd: exec -w DIR is the working directory, inside the root" {
  SEC_EXEC_OPTS=(-w /etc)
  run sec_in overlay exec -w /tmp -- /probe/syscall-probe cwd
  assert_status 0
  [[ "$output" == $'getcwd /etc\nreadlink /etc' ]] || fail "exec -w:" "$output"
}

# ---- the runtime binary ----------------------------------------------------------

check_exe() {
  run sec_in "$1" "$2" -- sh -c \
    'ls -l /proc/1/exe; for p in /proc/[0-9]*; do readlink $p/exe; done
     /probe/syscall-probe exe-write'
  assert_status 0
  assert_contains "${lines[0]}" "/proc/1/exe -> /bin/busybox"
  local l
  for l in "${lines[@]:1}"; do
    case $l in
    /bin/busybox | /probe/syscall-probe | "") ;;
    [0-9]*\ ETXTBSY | [0-9]*\ EACCES | [0-9]*\ ENOENT) ;;
    *) fail "unexpected line: $l" "$output" ;;
    esac
  done
  assert_not_contains "$output" OPENED-FOR-WRITING
}

@test "exe: /proc/*/exe are container binaries that cannot be opened for writing [overlay run]" { check_exe overlay run; }
@test "exe: /proc/*/exe are container binaries that cannot be opened for writing [overlay exec]" { check_exe overlay exec; }
@test "exe: /proc/*/exe are container binaries that cannot be opened for writing [bind run]" { check_exe bind run; }
@test "exe: /proc/*/exe are container binaries that cannot be opened for writing [bind exec]" { check_exe bind exec; }

@test "exe: no whalebox process is visible in the container during exec" {
  sec_run_d overlay -- sleep 600
  # A second exec still running while we look, once it runs `sleep 5`
  # (before that its process is briefly the runtime: the race test below).
  sec_wb overlay exec "$CID" sleep 5 &
  local bg=$!
  local i
  for ((i = 0; i < 50; i++)); do
    run sec_wb overlay exec "$CID" ps -o pid,ppid,comm,args
    [[ "$output" =~ [0-9]+\ +0\ sleep\ +sleep\ 5 ]] && break
    sleep 0.1
  done
  [[ "$output" =~ [0-9]+\ +0\ sleep\ +sleep\ 5 ]] ||
    fail "exec sleep 5 does not show as sleep:" "$output"
  assert_not_contains "$output" whalebox
  run sec_wb overlay exec "$CID" sh -c 'for p in /proc/[0-9]*; do readlink $p/exe; done'
  assert_not_contains "$output" whalebox
  kill "$bg" 2>/dev/null || true
  wait "$bg" || true
}

check_exe_race() {
  # CVE-2019-5736: while exec sets up, its process is in the container's
  # pid namespace running the runtime's binary.  A container process that
  # grabs /proc/PID/exe then holds the host binary (and can open it for
  # writing once no whalebox runs).  A copy of the binary is used, so the
  # real one is never at stake, and the probe never writes anyway.  A long
  # $PATH for the exec'd command widens the window; the probe only opens.
  local wb=$BATS_TEST_TMPDIR/whalebox-copy
  cp "$WB_BIN" "$wb"
  # The runtime looks for its monitor next to itself.
  cp "$(dirname "$WB_BIN")/whalebox-monitor" "$BATS_TEST_TMPDIR/"
  local devino
  devino=$(stat -L -c '%d:%i' "$wb")
  local WB_BIN=$wb
  sec_run_d "$1" -- sleep 600
  sec_wb "$1" exec -d "$CID" sh -c \
    "/probe/syscall-probe exe-scan $devino 6000 >/tmp/scan.out 2>&1" ||
    fail "exec -d of the scanner failed"
  local path i
  path=$(printf '/x%.0s:' $(seq 1 20000))
  for ((i = 0; i < 50; i++)); do
    run sec_wb "$1" exec "$CID" cat /tmp/scan.out
    [[ "$output" == *scanning* ]] && break
    sleep 0.1
  done
  for ((i = 0; i < 20; i++)); do
    sec_wb "$1" exec -e "PATH=${path}/bin" "$CID" true
    run sec_wb "$1" exec "$CID" cat /tmp/scan.out
    [[ "$output" == *LEAK* ]] && break
  done
  for ((i = 0; i < 100; i++)); do
    run sec_wb "$1" exec "$CID" cat /tmp/scan.out
    [[ "$output" == *LEAK* || "$output" == *none* ]] && break
    sleep 0.1
  done
  assert_not_contains "$output" LEAK
  assert_contains "$output" none
}

@test "exe: a container process cannot get hold of the runtime binary during exec [overlay]" { check_exe_race overlay; }
@test "exe: a container process cannot get hold of the runtime binary during exec [bind]" { check_exe_race bind; }

# ---- the recorded profile -----------------------------------------------------------

@test "state.json: Security records the effective profile" {
  local want
  want=$(printf 'CAP_%s\n' "${SEC_DEFAULT_CAP_NAMES[@]}" | LC_ALL=C sort | paste -sd' ')
  sec_run_d overlay -- sleep 600
  local st=$SEC_ROOT/containers/$CID/state.json
  [[ "$(jq -r '.Security.EffectiveCaps | sort | join(" ")' "$st")" == "$want" ]] ||
    fail "EffectiveCaps: $(jq -c .Security.EffectiveCaps "$st")" "want: $want"
  [[ "$(jq -r .Security.Seccomp "$st")" == default ]] || fail "Seccomp: $(jq -c .Security "$st")"
  [[ "$(jq -r .Security.NoNewPrivileges "$st")" == true ]] || fail "NoNewPrivileges"
  local p
  for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/acpi \
    /proc/scsi /proc/latency_stats /sys/firmware /sys/devices/virtual/powercap; do
    jq -e --arg p "$p" '.Security.MaskedPaths | index($p)' "$st" >/dev/null ||
      fail "MaskedPaths lacks $p: $(jq -c .Security.MaskedPaths "$st")"
  done
  for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /proc/fs; do
    jq -e --arg p "$p" '.Security.ReadonlyPaths | index($p)' "$st" >/dev/null ||
      fail "ReadonlyPaths lacks $p: $(jq -c .Security.ReadonlyPaths "$st")"
  done

  sec_run_d overlay --cap-drop ALL --cap-add CAP_KILL \
    --security-opt seccomp=unconfined --security-opt no-new-privileges=false -- sleep 600
  st=$SEC_ROOT/containers/$CID/state.json
  [[ "$(jq -r '.Security.EffectiveCaps | join(" ")' "$st")" == CAP_KILL ]] ||
    fail "EffectiveCaps: $(jq -c .Security "$st")"
  [[ "$(jq -r .Security.Seccomp "$st")" == unconfined ]] || fail "Seccomp: $(jq -c .Security "$st")"
  [[ "$(jq -r .Security.NoNewPrivileges "$st")" == false ]] || fail "NoNewPrivileges"

  sec_run_d overlay --privileged -- sleep 600
  st=$SEC_ROOT/containers/$CID/state.json
  [[ "$(jq -r '.Security.EffectiveCaps | length' "$st")" -eq \
    $(($(cat /proc/sys/kernel/cap_last_cap) + 1)) ]] ||
    fail "privileged EffectiveCaps: $(jq -c .Security.EffectiveCaps "$st")"
  [[ "$(jq -r '.Security.MaskedPaths | length' "$st")" -eq 0 ]] || fail "privileged MaskedPaths"
}

@test "inspect: shows the effective capabilities, seccomp profile, masked and read-only paths" {
  sec_run_d overlay --cap-drop NET_RAW -- sleep 600
  run --separate-stderr sec_wb overlay inspect "$CID"
  assert_status 0
  local j=$output
  local caps
  caps=$(jq -r '.[0].Security.EffectiveCaps // empty | join(" ")' <<<"$j")
  [[ -n "$caps" ]] || fail "inspect has no Security.EffectiveCaps" "$(jq -c '.[0] | keys' <<<"$j")"
  assert_contains "$caps" CAP_CHOWN
  assert_not_contains "$caps" CAP_NET_RAW
  [[ "$(jq -r '.[0].Security.Seccomp' <<<"$j")" == default ]] || fail "Seccomp"
  [[ "$(jq -r '.[0].Security.NoNewPrivileges' <<<"$j")" == true ]] || fail "NoNewPrivileges"
  jq -e '.[0].Security.MaskedPaths | index("/proc/kcore")' <<<"$j" >/dev/null ||
    fail "MaskedPaths"
  jq -e '.[0].Security.ReadonlyPaths | index("/proc/sys")' <<<"$j" >/dev/null ||
    fail "ReadonlyPaths"
}

@test "seccomp: a damaged compiled-filter cache is never used, in run and exec" {
  # Containers take their compiled filter from <root>/cache: a file there
  # that does not match what would be compiled is ignored and replaced.
  run sec_in overlay run -- true
  assert_status 0
  local f n=0
  for f in "$SEC_ROOT"/cache/seccomp-*.bpf; do
    # The default profile's (earlier tests leave others).
    grep -q "^profile default\$" "$f" 2>/dev/null || continue
    # As if another whalebox had written it: a description that differs
    # by one character, and a program that allows everything.
    python3 - "$f" <<'PY'
import struct, sys
p = sys.argv[1]
data = open(p, 'rb').read()
end = data.index(b'\nprofile default\n') + len(b'\nprofile default\n')
desc = data[:end].replace(b'\nwhalebox ', b'\nwhalebox 9', 1)
allow = struct.pack('<HBBI', 0x06, 0, 0, 0x7fff0000)  # BPF_RET ALLOW
open(p, 'wb').write(desc + allow)
PY
    n=$((n + 1))
  done
  [[ $n -ge 1 ]] || fail "no compiled filter under $SEC_ROOT/cache"
  local m name got
  for m in run exec; do
    run sec_in overlay "$m" -- sh -c 'grep ^Seccomp: /proc/self/status; unshare -U true'
    [[ "$status" -ne 0 ]] || fail "unshare worked under a damaged cache [$m]"
    assert_contains "$output" "Seccomp:	2"
    assert_contains "$output" "Operation not permitted"
    # "Seccomp: 2" is also what the allow-all program shows: the default
    # profile's refusals must hold, for calls that the kernel itself
    # allows here (check_probe_unconfined), and clone3's ENOSYS.
    run sec_in overlay "$m" -- /probe/syscall-probe syscalls keyctl mount setns clone3
    assert_status 0
    for name in keyctl mount setns; do
      got=$(sec_probe_result "$output" "$name")
      [[ "$got" == EPERM ]] || fail "$name gave '$got' under a damaged cache [$m], not EPERM" "$output"
    done
    got=$(sec_probe_result "$output" clone3)
    [[ "$got" == ENOSYS ]] || fail "clone3 gave '$got' under a damaged cache [$m], not ENOSYS" "$output"
  done
}
