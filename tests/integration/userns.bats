#!/usr/bin/env bats
# userns.bats - user namespaces (issue 6): --uidmap/--gidmap and
# --userns=remap with the config's mapping, on both storage drivers, in run
# and exec: the maps the container sees, the host ids of its processes and
# files, volumes, commit, inspect, and every user error (125, one line,
# nothing left behind).

load helpers/common
load helpers/security

bats_require_minimum_version 1.5.0

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

MAP=0:100000:65536
HOST_ROOT=100000

# The host uid and gid (real) of pid $1, "uid:gid".
host_ids() {
  awk '$1 == "Uid:" {u = $2} $1 == "Gid:" {g = $2} END {print u ":" g}' \
    "/proc/$1/status"
}

# Every pid in the container $1's cgroup (whatever the controller layout).
container_pids() {
  local f
  f=$(find /sys/fs/cgroup -path "*/$SEC_CG/$1/cgroup.procs" 2>/dev/null | head -1)
  [[ -n "$f" ]] || fail "no cgroup.procs for $1"
  cat "$f"
}

# Nothing of a refused run: no container, no mount, no cgroup below ours.
assert_nothing_left() {
  run sec_wb overlay ps -aq
  assert_status 0
  [[ -z "$output" ]] || fail "containers left:" "$output"
  [[ -z "$(root_container_ids "$SEC_ROOT")" ]] ||
    fail "container directories left:" "$(root_container_ids "$SEC_ROOT")"
  [[ -z "$(root_names "$SEC_ROOT")" ]] || fail "names left:" "$(root_names "$SEC_ROOT")"
  [[ -z "$(root_rw_dirs "$SEC_ROOT")" ]] || fail "writable layers left:" "$(root_rw_dirs "$SEC_ROOT")"
  [[ -z "$(sec_mounts)" ]] || fail "mounts left:" "$(sec_mounts)"
  local left
  left=$(find /sys/fs/cgroup -path "*/$SEC_CG/*" -type d 2>/dev/null)
  [[ -z "$left" ]] || fail "cgroups left:" "$left"
}

# ---- what the container sees -----------------------------------------------

check_maps_inside() {
  run sec_in "$1" "$2" --uidmap "$MAP" -- \
    sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g'
  assert_status 0
  local want
  want=$(printf '%10s %10s %10s\n' 0 100000 65536)
  [[ "${lines[0]}" == "$want" && "${lines[1]}" == "$want" ]] ||
    fail "maps are not $MAP:" "$output"
  [[ "${lines[2]}" == 0 && "${lines[3]}" == 0 ]] ||
    fail "not root inside:" "$output"
}

check_separate_gidmap() {
  run sec_in "$1" "$2" --uidmap 0:100000:65536 --gidmap 0:200000:1000 \
    --gidmap 1000:300000:1000 -- cat /proc/self/gid_map
  assert_status 0
  [[ "$(awk '{print $1 ":" $2 ":" $3}' <<<"$output" | tr '\n' ' ')" == \
    "0:200000:1000 1000:300000:1000 " ]] || fail "gid_map:" "$output"
}

check_image_files_owned_by_root() {
  run sec_in "$1" "$2" --uidmap "$MAP" -- \
    sh -c 'stat -c "%u:%g" /bin/busybox /etc/passwd /'
  assert_status 0
  [[ "$(tr '\n' ' ' <<<"$output")" == "0:0 0:0 0:0 " ]] ||
    fail "the image's files do not belong to the container's root:" "$output"
}

check_caps_inside() {
  run sec_in "$1" "$2" --uidmap "$MAP" -- cat /proc/self/status
  assert_status 0
  local mask
  mask=$(sec_cap_mask "${SEC_DEFAULT_CAP_NUMBERS[@]}")
  sec_assert_caps "$output" 0000000000000000 "$mask" "$mask" "$mask" \
    0000000000000000
}

# Container root is not host root: a host file only root may read, bind
# mounted in, stays closed to it (its DAC_OVERRIDE is the namespace's).
check_host_root_file_closed() {
  echo secret >"$SEC_TMP/secret"
  chmod 600 "$SEC_TMP/secret"
  chmod 755 "$SEC_TMP"
  run sec_in "$1" "$2" --uidmap "$MAP" -v "$SEC_TMP/secret:/secret:ro" -- \
    cat /secret
  [[ "$status" -ne 0 ]] || fail "container root read a host root-only file"
  assert_contains "$output" "Permission denied"
  # Without a user namespace the same read works (the test can fail).
  run sec_in "$1" "$2" -v "$SEC_TMP/secret:/secret:ro" -- cat /secret
  assert_status 0
  assert_contains "$output" secret
}

@test "userns: the container sees the mapping and is root in it [overlay run]" { check_maps_inside overlay run; }
@test "userns: the container sees the mapping and is root in it [overlay exec]" { check_maps_inside overlay exec; }
@test "userns: the container sees the mapping and is root in it [bind run]" { check_maps_inside bind run; }
@test "userns: the container sees the mapping and is root in it [bind exec]" { check_maps_inside bind exec; }
@test "userns: --gidmap sets its own gid map [overlay run]" { check_separate_gidmap overlay run; }
@test "userns: --gidmap sets its own gid map [bind exec]" { check_separate_gidmap bind exec; }
@test "userns: the image's files belong to the container's root [overlay run]" { check_image_files_owned_by_root overlay run; }
@test "userns: the image's files belong to the container's root [overlay exec]" { check_image_files_owned_by_root overlay exec; }
@test "userns: the image's files belong to the container's root [bind run]" { check_image_files_owned_by_root bind run; }
@test "userns: the image's files belong to the container's root [bind exec]" { check_image_files_owned_by_root bind exec; }
@test "userns: Docker's default capabilities, in the namespace [overlay run]" { check_caps_inside overlay run; }
@test "userns: Docker's default capabilities, in the namespace [bind exec]" { check_caps_inside bind exec; }
@test "userns: container root cannot read a host root-only file [overlay run]" { check_host_root_file_closed overlay run; }
@test "userns: container root cannot read a host root-only file [bind exec]" { check_host_root_file_closed bind exec; }

# ---- what the host sees ------------------------------------------------------

check_host_ids_of_processes() {
  sec_run_d "$1" --uidmap "$MAP" -- sleep 600
  local pid
  pid=$(sec_wb "$1" inspect --format '{{.State.Pid}}' "$CID")
  [[ "$(host_ids "$pid")" == "$HOST_ROOT:$HOST_ROOT" ]] ||
    fail "the container's process is $(host_ids "$pid") on the host"
  run sec_wb "$1" exec -d "$CID" sleep 300
  assert_status 0
  local p n=0
  for p in $(container_pids "$CID"); do
    [[ "$(host_ids "$p")" == "$HOST_ROOT:$HOST_ROOT" ]] ||
      fail "pid $p ($(cat "/proc/$p/cmdline" | tr '\0' ' ')) is $(host_ids "$p") on the host"
    n=$((n + 1))
  done
  [[ $n -ge 2 ]] || fail "expected the first process and the exec'd one, saw $n"
  # exec joins the container's user namespace, not the host's.
  local ns
  ns=$(sec_wb "$1" exec "$CID" readlink /proc/self/ns/user)
  [[ "$ns" == "$(readlink "/proc/$pid/ns/user")" ]] ||
    fail "exec is in $ns, the container in $(readlink "/proc/$pid/ns/user")"
  [[ "$ns" != "$(readlink /proc/self/ns/user)" ]] ||
    fail "the container is in the host's user namespace"
}

check_host_ids_of_files() {
  sec_run_d "$1" --uidmap "$MAP" -- \
    sh -c 'mkdir -p /srv/d && chown 1000:1001 /srv/d && echo x >/etc/made-here; sleep 600'
  local f n=0 i
  for i in $(seq 50); do
    f=$(find "$SEC_ROOT/containers/$CID" -name made-here 2>/dev/null | head -1)
    [[ -n "$f" ]] && break
    sleep 0.1
  done
  [[ -n "$f" ]] || fail "made-here not found under the container's directory"
  [[ "$(stat -c %u:%g "$f")" == "$HOST_ROOT:$HOST_ROOT" ]] ||
    fail "$f is $(stat -c %u:%g "$f") on the host"
  f=$(find "$SEC_ROOT/containers/$CID" -path '*/srv/d' | head -1)
  [[ "$(stat -c %u:%g "$f")" == "101000:101001" ]] ||
    fail "$f (1000:1001 inside) is $(stat -c %u:%g "$f") on the host"
  # The image's layers are not touched by the mapping.
  for f in "$SEC_ROOT"/layers/*/diff/bin/busybox; do
    [[ "$(stat -c %u "$f")" == 0 ]] || fail "layer file $f changed owner"
    n=$((n + 1))
  done
  [[ $n -ge 1 ]] || fail "no layer found"
}

@test "userns: every process of the container is the mapped uid on the host [overlay]" { check_host_ids_of_processes overlay; }
@test "userns: every process of the container is the mapped uid on the host [bind]" { check_host_ids_of_processes bind; }
@test "userns: files container root creates are the mapped ids on the host [overlay]" { check_host_ids_of_files overlay; }
@test "userns: files container root creates are the mapped ids on the host [bind]" { check_host_ids_of_files bind; }

check_volume_ownership() {
  local host=$SEC_TMP/vol
  mkdir "$host"
  chmod 777 "$host"
  run sec_in "$1" run --uidmap "$MAP" -v "$host:/data" -v /anon -- \
    sh -c 'touch /data/by-root /anon/by-root && mkdir /data/d && stat -c %u /anon'
  assert_status 0
  [[ "$output" == 0 ]] || fail "the anonymous volume is not container root's:" "$output"
  [[ "$(stat -c %u:%g "$host/by-root")" == "$HOST_ROOT:$HOST_ROOT" ]] ||
    fail "a file container root made in a volume is $(stat -c %u:%g "$host/by-root")"
  [[ "$(stat -c %u "$host/d")" == "$HOST_ROOT" ]] || fail "directory owner"
  # A named volume created by run is given to the container's root too.
  run sec_in "$1" run --uidmap "$MAP" -v named-$1:/n -- \
    sh -c 'touch /n/f && stat -c %u /n/f'
  assert_status 0
  [[ "$output" == 0 ]] || fail "named volume:" "$output"
  [[ "$(stat -c %u "$SEC_ROOT/volumes/named-$1/_data/f")" == "$HOST_ROOT" ]] ||
    fail "named volume file on the host"
  sec_wb "$1" volume rm "named-$1" >/dev/null
}

@test "userns: files in volumes belong to the mapped root [overlay]" { check_volume_ownership overlay; }
@test "userns: files in volumes belong to the mapped root [bind]" { check_volume_ownership bind; }

@test "userns: /etc/hosts, /etc/hostname and /etc/resolv.conf are container root's" {
  run sec_in overlay run --uidmap "$MAP" -- \
    sh -c 'echo "10.0.0.1 db" >>/etc/hosts && stat -c %u /etc/hosts /etc/hostname /etc/resolv.conf'
  assert_status 0
  [[ "$(tr '\n' ' ' <<<"$output")" == "0 0 0 " ]] || fail "owners:" "$output"
}

check_read_only_root() {
  run sec_in "$1" run --uidmap "$MAP" --read-only -- \
    sh -c 'stat -c %u /bin/busybox; touch /x'
  [[ "$status" -ne 0 ]] || fail "wrote to a read-only root"
  [[ "${lines[0]}" == 0 ]] || fail "owner on a read-only root:" "$output"
  assert_contains "$output" "Read-only file system"
}

@test "userns: --read-only root keeps the mapping [overlay]" { check_read_only_root overlay; }
@test "userns: --read-only root keeps the mapping [bind]" { check_read_only_root bind; }

# ---- lifecycle: commit, restart, inspect -------------------------------------

check_commit_unmaps() {
  run sec_wb "$1" run --name "c-$1" --cgroup-parent "$SEC_CG" --uidmap "$MAP" \
    busybox sh -c 'echo x >/f; chown 5:6 /f; mkdir /d; rm /bin/ls'
  assert_status 0
  run sec_wb "$1" commit "c-$1" "userns-$1"
  assert_status 0
  # The layer holds container ids, so the image runs the same anywhere.
  run sec_wb "$1" run --rm --cgroup-parent "$SEC_CG" "userns-$1" \
    sh -c 'stat -c %u:%g /f /d; ls /bin/ls'
  [[ "${lines[0]}" == 5:6 && "${lines[1]}" == 0:0 ]] ||
    fail "committed owners are not the container's:" "$output"
  assert_contains "$output" "No such file"
  run sec_wb "$1" rm "c-$1"
  assert_status 0
  run sec_wb "$1" rmi "userns-$1"
  assert_status 0
}

@test "userns: commit writes container ids, not host ids [overlay]" { check_commit_unmaps overlay; }
@test "userns: commit writes container ids, not host ids [bind]" { check_commit_unmaps bind; }

# A file capability that container root sets is stored by the kernel as a
# v3 capability naming the host uid of its root (rootid=100000).  The
# committed layer must name the container's root (a plain v2 capability):
# with the host's uid the capability is ignored without a user namespace,
# and exec fails with EOVERFLOW under another mapping.  busybox has no
# setcap, so the host writes exactly what the kernel would.
check_commit_file_caps() {
  command -v setcap >/dev/null ||
    skip "setcap (libcap) is not installed: cannot write a file capability"
  sec_run_d "$1" --uidmap "$MAP" -- \
    sh -c 'mkdir /c && cp /bin/busybox /c/cat && touch /c/done; sleep 600'
  local f i
  for i in $(seq 50); do
    f=$(find "$SEC_ROOT/containers/$CID" -path '*/c/done' 2>/dev/null | head -1)
    [[ -n "$f" ]] && break
    sleep 0.1
  done
  [[ -n "$f" ]] || fail "/c/done not found under the container's directory"
  setcap -n "$HOST_ROOT" cap_net_raw+ep "${f%/done}/cat" ||
    fail "setcap -n $HOST_ROOT failed"
  run sec_wb "$1" commit "$CID" "caps-$1"
  assert_status 0
  local map
  for map in "" "--uidmap=0:200000:65536"; do
    run sec_wb "$1" run --rm --cgroup-parent "$SEC_CG" ${map:+"$map"} \
      --security-opt no-new-privileges=false -u 1000 "caps-$1" \
      /c/cat /proc/self/status
    assert_status 0
    [[ "$(sec_status_field CapEff "$output")" == 0000000000002000 ]] ||
      fail "committed file capability (run ${map:-without a user namespace}):" \
        "$(grep -E '^Cap' <<<"$output")"
  done
  run sec_wb "$1" rm -f "$CID"
  run sec_wb "$1" rmi "caps-$1"
  assert_status 0
}

@test "userns: commit keeps file capabilities usable outside the mapping [overlay]" { check_commit_file_caps overlay; }
@test "userns: commit keeps file capabilities usable outside the mapping [bind]" { check_commit_file_caps bind; }

@test "userns: a stopped container starts again under its mapping" {
  sec_run_d overlay --uidmap "$MAP" -- sh -c 'cat /proc/self/uid_map; sleep 600'
  run sec_wb overlay stop -t 1 "$CID"
  assert_status 0
  run sec_wb overlay start "$CID"
  assert_status 0
  local pid
  pid=$(sec_wb overlay inspect --format '{{.State.Pid}}' "$CID")
  [[ "$(host_ids "$pid")" == "$HOST_ROOT:$HOST_ROOT" ]] ||
    fail "restarted process is $(host_ids "$pid") on the host"
}

@test "userns: a container whose recorded mapping was lost is refused, never run as host root" {
  sec_run_d overlay --uidmap "$MAP" -- sleep 600
  run sec_wb overlay stop -t 1 "$CID"
  assert_status 0
  local st=$SEC_ROOT/containers/$CID/state.json
  jq '.Security.UidMap = []' "$st" >"$st.new" && mv "$st.new" "$st"
  run -125 --separate-stderr sec_wb overlay start "$CID"
  assert_one_line_error
  assert_contains "$stderr" "its user namespace mapping (private) in state.json is missing or damaged"
  [[ "$(sec_wb overlay inspect --format '{{.State.Status}}' "$CID")" == exited ]] ||
    fail "the container started"
}

@test "userns: inspect shows the mode and the maps" {
  sec_run_d overlay --uidmap 0:100000:1000 --gidmap 0:200000:1000 -- sleep 600
  run sec_wb overlay inspect "$CID"
  assert_status 0
  [[ "$(jq -c '.[0].Security | [.UsernsMode, .UidMap, .GidMap]' <<<"$output")" == \
    '["private",["0:100000:1000"],["0:200000:1000"]]' ]] ||
    fail "inspect:" "$(jq -c '.[0].Security' <<<"$output")"
  run sec_wb overlay rm -f "$CID"
  sec_run_d overlay -- sleep 600
  run sec_wb overlay inspect "$CID"
  [[ "$(jq -c '.[0].Security | [.UsernsMode, .UidMap, .GidMap]' <<<"$output")" == \
    '["host",[],[]]' ]] || fail "inspect without userns:" "$output"
}

@test "userns: --userns=remap takes the mapping from userns.remap in the config" {
  printf 'userns: { remap = "0:300000:65536"; };\n' >"$SEC_TMP/remap.conf"
  run "$WB_BIN" --config "$SEC_TMP/remap.conf" --root "$SEC_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" --cgroup-driver "$SEC_CGROUP_DRIVER" \
    run --rm --cgroup-parent "$SEC_CG" --userns=remap busybox \
    cat /proc/self/uid_map
  assert_status 0
  [[ "$(awk '{print $1 ":" $2 ":" $3}' <<<"$output")" == 0:300000:65536 ]] ||
    fail "uid_map:" "$output"
  # --userns=host (Docker's opt-out) is no user namespace.
  run sec_wb overlay run --rm --cgroup-parent "$SEC_CG" --userns=host busybox \
    cat /proc/self/uid_map
  assert_status 0
  [[ "$(awk '{print $1 ":" $2 ":" $3}' <<<"$output")" == 0:0:4294967295 ]] ||
    fail "uid_map with --userns=host:" "$output"
}

# ---- user errors -----------------------------------------------------------

# refused WANT-MESSAGE RUN-OPTIONS...: run fails with 125, one line, nothing
# created.
refused() {
  local want=$1
  shift
  run -125 --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
    "$@" busybox true
  assert_one_line_error
  assert_contains "$stderr" "$want"
  assert_nothing_left
}

@test "userns errors: malformed and impossible mappings" {
  refused 'invalid --uidmap "0:x:5": expected CONTAINER_ID:HOST_ID:COUNT' --uidmap 0:x:5
  refused 'invalid --uidmap "0:1": expected' --uidmap 0:1
  refused 'invalid uid mapping 0:100000:0: the range is empty' --uidmap 0:100000:0
  refused 'container id 0 (root) is not mapped' --uidmap 1:100000:10
  refused 'container ids of 5:200000:10 overlap another range' --uidmap 0:100000:10,5:200000:10
  refused 'host ids of 100:100005:10 overlap another range' --uidmap 0:100000:10 --uidmap 100:100005:10
  refused 'the range goes past 4294967294' --uidmap 0:4294967290:10
  refused 'invalid gid mapping' --uidmap 0:100000:10 --gidmap 1:100000:10
}

@test "userns errors: conflicting flags and a missing config mapping" {
  refused 'invalid --userns "private": expected host or remap' --userns private
  refused '--userns=host cannot be combined with --uidmap' --userns host --uidmap 0:100000:10
  refused '--gidmap needs --uidmap as well' --gidmap 0:100000:10
  refused '--privileged cannot be used with a user namespace' --privileged --uidmap 0:100000:10
  refused '--userns=remap needs a mapping: set userns.remap' --userns remap
  refused '--userns=remap takes its mapping from the configuration' \
    --userns remap --uidmap 0:100000:10
}

@test "userns errors: a bad userns.remap in the config names the file" {
  printf 'userns: { remap = "0:100000"; };\n' >"$SEC_TMP/bad.conf"
  run -125 --separate-stderr "$WB_BIN" --config "$SEC_TMP/bad.conf" \
    --root "$SEC_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$SEC_CGROUP_DRIVER" \
    run --rm --cgroup-parent "$SEC_CG" --userns=remap busybox true
  assert_one_line_error
  assert_contains "$stderr" "userns.remap in $SEC_TMP/bad.conf"
  assert_nothing_left
}

@test "userns errors: a storage driver without user namespace support (ABI 1.0) is refused by name" {
  run -125 --separate-stderr "$WB_BIN" --config "$SEC_ROOT/empty.conf" \
    --root "$SEC_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$SEC_CGROUP_DRIVER" \
    --storage-driver "$WB_TEST_PLUGIN_DIR/storage-abi10.so" \
    run --rm --cgroup-parent "$SEC_CG" --uidmap "$MAP" busybox true
  assert_one_line_error
  assert_contains "$stderr" \
    "storage driver storage-abi10 does not support user namespaces"
  assert_nothing_left
  # The same driver runs containers without a user namespace: it loads.
  run "$WB_BIN" --config "$SEC_ROOT/empty.conf" --root "$SEC_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" \
    --storage-driver "$WB_TEST_PLUGIN_DIR/storage-abi10.so" info
  assert_status 0
}

@test "userns: storage-overlay without idmapped layers uses an owned copy" {
  # What happens on kernels or file systems without idmapped mounts
  # (forced here by the driver's option).
  printf 'storage: { overlay: { idmapped_layers = false; }; };\n' \
    >"$SEC_TMP/copy.conf"
  local wbc=("$WB_BIN" --config "$SEC_TMP/copy.conf" --root "$SEC_ROOT"
    --plugin-dir "$WB_PLUGIN_DIR" --cgroup-driver "$SEC_CGROUP_DRIVER")
  CID=$("${wbc[@]}" run -d --cgroup-parent "$SEC_CG" --uidmap "$MAP" busybox \
    sh -c 'touch /made-here; sleep 600') || fail "run -d failed"
  run "${wbc[@]}" exec "$CID" stat -c %u:%g /bin/busybox /etc/passwd
  assert_status 0
  [[ "$(tr '\n' ' ' <<<"$output")" == "0:0 0:0 " ]] || fail "owners:" "$output"
  local lower=$SEC_ROOT/containers/$CID/storage/lower
  [[ -d "$lower" ]] || fail "no owned copy at $lower"
  [[ "$(stat -c %u:%g "$lower/bin/busybox")" == "$HOST_ROOT:$HOST_ROOT" ]] ||
    fail "the copy is $(stat -c %u:%g "$lower/bin/busybox") on the host"
  # The shared layers keep their owners.
  local f
  for f in "$SEC_ROOT"/layers/*/diff/bin/busybox; do
    [[ "$(stat -c %u "$f")" == 0 ]] || fail "layer file $f changed owner"
  done
  run "${wbc[@]}" rm -f "$CID"
  assert_status 0
  [[ ! -e "$SEC_ROOT/containers/$CID" ]] || fail "container directory left"
}

check_unmapped_image_ids() {
  local tar=$SEC_TMP/odd.tar
  cp "$BATS_FILE_TMPDIR/busybox.tar" "$tar"
  mkdir -p "$SEC_TMP/extra"
  echo odd >"$SEC_TMP/extra/odd"
  # An image file owned by an id the container cannot have (above 65535):
  # it must show as nobody, never as a mapped id (100005 - 100000 = 5).
  tar -rf "$tar" -C "$SEC_TMP/extra" --owner=100005 --group=100005 \
    --numeric-owner odd
  run sec_wb "$1" import "$tar" "odd-$1"
  assert_status 0
  [[ "${2:-}" == copy ]] &&
    printf 'storage: { overlay: { idmapped_layers = false; }; };\n' \
      >"$SEC_ROOT/empty.conf"
  run sec_wb "$1" run --rm --cgroup-parent "$SEC_CG" --uidmap "$MAP" \
    "odd-$1" stat -c %u:%g /odd
  : >"$SEC_ROOT/empty.conf"
  assert_status 0
  [[ "$output" == 65534:65534 ]] || fail "an unmapped image id shows as:" "$output"
  [[ "$1" == overlay ]] && check_overlay_variant "${2:-idmapped}" "odd-$1"
  run sec_wb "$1" rmi "odd-$1"
  assert_status 0
}

# Is the running kernel at least version $1.$2?
kernel_at_least() {
  local major minor
  IFS=. read -r major minor _ <<<"$(uname -r)"
  ((major > $1 || (major == $1 && ${minor%%[!0-9]*} >= $2)))
}

# The overlay variant ($1: idmapped or copy) is the one that ran for image
# $2.  The copy variant, and the idmapped one before Linux 6.13 (overlay
# takes idmapped lower layers from 6.13 on: README), make an owned copy
# of the layers (<container>/storage/lower), where the unmapped id became
# the host's overflow id, not the mapped 100005; idmapped layers make none.
check_overlay_variant() {
  [[ "$1" == copy ]] &&
    printf 'storage: { overlay: { idmapped_layers = false; }; };\n' \
      >"$SEC_ROOT/empty.conf"
  local rc=0
  CID=$(sec_wb overlay run -d --cgroup-parent "$SEC_CG" --uidmap "$MAP" "$2" sleep 600) || rc=$?
  : >"$SEC_ROOT/empty.conf"
  [[ $rc -eq 0 && "$CID" =~ ^[0-9a-f]{64}$ ]] || fail "run -d $2 failed: $CID"
  run sec_wb overlay exec "$CID" stat -c %u:%g /odd
  assert_status 0
  [[ "$output" == 65534:65534 ]] || fail "[$1 run -d] an unmapped image id shows as:" "$output"
  local lower=$SEC_ROOT/containers/$CID/storage/lower
  if [[ "$1" == copy ]] || ! kernel_at_least 6 13; then
    [[ -d "$lower" ]] || fail "no owned copy at $lower"
    [[ "$(stat -c %u:%g "$lower/odd")" == 65534:65534 ]] ||
      fail "the copy of /odd is $(stat -c %u:%g "$lower/odd") on the host"
  else
    [[ ! -e "$lower" ]] || fail "idmapped layers, yet an owned copy at $lower"
  fi
  run sec_wb overlay rm -f "$CID"
  assert_status 0
}

@test "userns: image ids outside the mapping show as nobody [overlay idmapped]" { check_unmapped_image_ids overlay; }
@test "userns: image ids outside the mapping show as nobody [overlay copy]" { check_unmapped_image_ids overlay copy; }
@test "userns: image ids outside the mapping show as nobody [bind]" { check_unmapped_image_ids bind; }

@test "userns errors: -u with an id the mapping does not cover says so, in run and exec" {
  run -125 --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
    --uidmap 0:100000:1000 -u 5000 busybox true
  assert_one_line_error
  assert_contains "$stderr" "uid 5000 is not mapped in the container's user namespace"
  run -125 --separate-stderr sec_wb overlay run --rm --cgroup-parent "$SEC_CG" \
    --uidmap 0:100000:1000 -u 0:5000 busybox true
  assert_one_line_error
  assert_contains "$stderr" "gid 5000 is not mapped in the container's user namespace"
  assert_nothing_left
  sec_run_d overlay --uidmap 0:100000:1000 -- sleep 600
  run -125 --separate-stderr sec_wb overlay exec -u 0:4000 "$CID" true
  assert_one_line_error
  assert_contains "$stderr" "gid 4000 is not mapped in the container's user namespace"
}
