#!/usr/bin/env bats
# volumes.bats - bind mounts and volumes (issue 5): persistence across
# containers, ro, container paths through symlinks in the image that point
# at the host's /etc, named and anonymous volumes, bad specs.

load helpers/common
load helpers/container

setup_file() {
  container_setup_file
}

setup() {
  container_setup
}

teardown() {
  container_teardown
}

# The volume names, one per line.
volumes() {
  wb volume ls -q
}

# ---- bind mounts ---------------------------------------------------------------

@test "-v HOST:CTR: data written survives rm and is seen by the next container" {
  mkdir "$WB_TMP/data"
  run --separate-stderr wb_run --rm -v "$WB_TMP/data:/data" busybox sh -c 'echo kept >/data/f'
  assert_status 0
  [[ "$(cat "$WB_TMP/data/f")" == kept ]] || fail "the host does not see the file"
  run --separate-stderr wb_run --rm -v "$WB_TMP/data:/srv/x" busybox cat /srv/x/f
  assert_status 0
  [[ "$output" == kept ]] || fail "the next container read: $output" "$stderr"
}

@test "-v HOST:CTR:ro is read-only inside, the host file unchanged; rw is writable" {
  mkdir "$WB_TMP/ro"
  echo original >"$WB_TMP/ro/f"
  run --separate-stderr wb_run --rm -v "$WB_TMP/ro:/ro:ro" busybox sh -c 'echo changed >/ro/f'
  [[ "$status" -ne 0 ]] || fail "writing to a :ro volume succeeded"
  assert_contains "$stderr" "Read-only file system"
  [[ "$(cat "$WB_TMP/ro/f")" == original ]] || fail "the host file changed"
  run --separate-stderr wb_run --rm -v "$WB_TMP/ro:/ro:ro" busybox sh -c 'touch /ro/new'
  [[ "$status" -ne 0 ]] || fail "creating a file in a :ro volume succeeded"
  [[ ! -e "$WB_TMP/ro/new" ]] || fail "a file appeared on the host"
  run --separate-stderr wb_run --rm --mount "type=bind,source=$WB_TMP/ro,target=/m,readonly" \
    busybox sh -c 'echo x >/m/f'
  [[ "$status" -ne 0 ]] || fail "--mount readonly is writable"
  run --separate-stderr wb_run --rm -v "$WB_TMP/ro:/rw:rw" busybox sh -c 'echo changed >/rw/f'
  assert_status 0
  [[ "$(cat "$WB_TMP/ro/f")" == changed ]] || fail ":rw did not write through"
}

@test "a missing host path is created, as Docker does" {
  [[ ! -e "$WB_TMP/new/deep" ]]
  run --separate-stderr wb_run --rm -v "$WB_TMP/new/deep:/d" busybox sh -c 'echo hi >/d/f'
  assert_status 0
  [[ -d "$WB_TMP/new/deep" && "$(cat "$WB_TMP/new/deep/f")" == hi ]] ||
    fail "the host path was not created: $(tree_listing "$WB_TMP/new")"
}

# An image whose /evil is a symlink to /etc and /up a relative one that
# climbs out (../../../../etc): a volume target through them lands in the
# container's /etc, never the host's.
make_symlink_image() {
  python3 - "$BATS_FILE_TMPDIR/busybox.tar" "$WB_TMP/evil.tar" <<'PY'
import sys, tarfile
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(src) as s, tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for m in s.getmembers():
        t.addfile(m, s.extractfile(m) if m.isfile() else None)
    for name, target in (("evil", "/etc"), ("up", "../../../../../../etc")):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.SYMTYPE
        ti.linkname = target
        t.addfile(ti)
PY
  wb import "$WB_TMP/evil.tar" evil >/dev/null || fail "cannot import the symlink image"
}

@test "a container path through an image symlink to /etc never touches the host's /etc" {
  make_symlink_image
  mkdir "$WB_TMP/vol"
  echo from-volume >"$WB_TMP/vol/f"
  local name=wb-test-$$-$RANDOM
  [[ ! -e "/etc/$name" ]] || skip "/etc/$name exists on the host"
  local host_etc
  host_etc=$(ls -la --time-style=full-iso /etc)
  run --separate-stderr wb_run --rm -v "$WB_TMP/vol:/evil/$name" evil cat "/etc/$name/f"
  assert_status 0
  [[ "$output" == from-volume ]] || fail "the container did not see the volume: $output" "$stderr"
  run --separate-stderr wb_run --rm -v "$WB_TMP/vol:/up/$name.2" evil cat "/etc/$name.2/f"
  assert_status 0
  [[ "$output" == from-volume ]] || fail "relative symlink: $output" "$stderr"
  # A target that is itself the symlink: mounted over the container's /etc.
  run --separate-stderr wb_run --rm -v "$WB_TMP/vol:/evil:ro" evil cat /etc/f
  assert_status 0
  [[ "$output" == from-volume ]] || fail "symlink target: $output" "$stderr"
  [[ ! -e "/etc/$name" && ! -e "/etc/$name.2" ]] || fail "the host's /etc was touched"
  [[ "$(ls -la --time-style=full-iso /etc)" == "$host_etc" ]] || fail "the host's /etc changed"
  [[ -z "$(test_mounts)" ]] || fail "mounts left: $(test_mounts)"
}

# ---- named volumes ---------------------------------------------------------------

@test "volume create, ls, inspect, rm: the lifecycle of a named volume" {
  run --separate-stderr wb volume create data1
  assert_status 0
  [[ "$output" == data1 ]] || fail "create printed: $output"
  run --separate-stderr wb volume create data1
  assert_status 0 # creating an existing volume is fine, as in docker
  run --separate-stderr wb volume create
  assert_status 0
  [[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "an unnamed volume got: $output"
  local anon=$output
  run --separate-stderr wb volume ls
  assert_status 0
  [[ "${lines[0]}" == "DRIVER    VOLUME NAME" ]] || fail "ls header: ${lines[0]}"
  assert_contains "$output" "local     data1"
  assert_contains "$output" "local     $anon"
  run --separate-stderr wb volume inspect data1
  assert_status 0
  [[ "$(jq -r '.[0].Name' <<<"$output")" == data1 ]] || fail "inspect: $output"
  [[ "$(jq -r '.[0].Driver' <<<"$output")" == local ]] || fail "inspect: $output"
  local mp
  mp=$(jq -r '.[0].Mountpoint' <<<"$output")
  [[ "$mp" == "$WB_ROOT/volumes/data1/_data" && -d "$mp" ]] || fail "Mountpoint: $mp"
  run --separate-stderr wb volume rm data1 "$anon"
  assert_status 0
  [[ -z "$(volumes)" ]] || fail "volumes left: $(volumes)"
  [[ -z "$(ls "$WB_ROOT/volumes")" ]] || fail "files left: $(ls -A "$WB_ROOT/volumes")"
}

@test "volume errors: bad name, unknown volume (rm -f ignores it), inspect" {
  run --separate-stderr wb volume create 'bad/name'
  assert_one_line_error
  assert_contains "$stderr" 'invalid volume name "bad/name"'
  run --separate-stderr wb volume create .hidden
  assert_one_line_error
  run --separate-stderr wb volume rm nope
  assert_one_line_error
  assert_contains "$stderr" "no such volume: nope"
  run --separate-stderr wb volume rm -f nope
  assert_status 0
  run --separate-stderr wb volume inspect nope
  assert_status 125
  assert_contains "$stderr" "no such volume: nope"
  run --separate-stderr wb volume frobnicate
  assert_one_line_error
}

@test "-v NAME:/data creates the volume; its data outlives the containers" {
  run --separate-stderr wb_run --rm -v data2:/data busybox sh -c 'echo persisted >/data/f'
  assert_status 0
  [[ "$(volumes)" == data2 ]] || fail "volumes: $(volumes)"
  [[ "$(cat "$WB_ROOT/volumes/data2/_data/f")" == persisted ]] || fail "not in _data"
  run --separate-stderr wb_run --rm -v data2:/other:ro busybox cat /other/f
  assert_status 0
  [[ "$output" == persisted ]] || fail "the next container read: $output" "$stderr"
}

@test "a volume in use cannot be removed (125), then can once the container is gone" {
  run --separate-stderr wb_run --name user -v busy:/data busybox true
  assert_status 0
  local cid
  cid=$(wb ps -aq --no-trunc)
  run --separate-stderr wb volume rm busy
  assert_one_line_error
  assert_contains "$stderr" "volume is in use"
  assert_contains "$stderr" "${cid:0:12}"
  run --separate-stderr wb volume rm -f busy
  assert_status 125
  [[ "$(volumes)" == busy ]] || fail "the volume went: $(volumes)"
  run --separate-stderr wb volume prune -f -a
  assert_status 0
  [[ "$(volumes)" == busy ]] || fail "prune removed a volume in use"
  wb rm user >/dev/null
  run --separate-stderr wb volume rm busy
  assert_status 0
  [[ -z "$(volumes)" ]] || fail "volumes left: $(volumes)"
}

@test "-v /path makes an anonymous volume: rm -v removes it, rm keeps it, prune takes it" {
  run --separate-stderr wb_run --name a1 -v /scratch busybox sh -c 'echo x >/scratch/f'
  assert_status 0
  local v1
  v1=$(volumes)
  [[ "$v1" =~ ^[0-9a-f]{64}$ ]] || fail "anonymous volume: $v1"
  run --separate-stderr wb_run --name named -v keep:/keep busybox true
  assert_status 0
  run --separate-stderr wb rm -v a1 named
  assert_status 0
  [[ "$(volumes)" == keep ]] || fail "after rm -v: $(volumes)"
  run --separate-stderr wb_run --name a2 -v /scratch busybox true
  assert_status 0
  local v2
  v2=$(volumes | grep -v '^keep$')
  wb rm a2 >/dev/null
  [[ -n "$v2" && "$(volumes | grep -c .)" -eq 2 ]] || fail "rm without -v removed it: $(volumes)"
  # prune: anonymous volumes only, without -a
  run --separate-stderr wb volume prune -f
  assert_status 0
  assert_contains "$output" "$v2"
  assert_contains "$output" "Total reclaimed space:"
  [[ "$(volumes)" == keep ]] || fail "after prune: $(volumes)"
  run --separate-stderr wb volume prune -f -a
  assert_status 0
  [[ -z "$(volumes)" ]] || fail "after prune -a: $(volumes)"
}

@test "volume prune asks first and does nothing without a yes" {
  wb volume create keepme >/dev/null
  run --separate-stderr bash -c 'echo n | "$0" --config "$1" --root "$2" --plugin-dir "$3" volume prune -a' \
    "$WB_BIN" "$WB_CONF" "$WB_ROOT" "$WB_PLUGIN_DIR"
  assert_status 0
  assert_contains "$stderr" "Are you sure you want to continue?"
  [[ "$(volumes)" == keepme ]] || fail "prune without a yes removed: $(volumes)"
}

# ---- bad specs --------------------------------------------------------------------

@test "bad -v specs are refused with 125 and nothing is created" {
  local before
  before=$(tree_listing "$WB_ROOT")
  local spec
  for spec in ":/x" "$WB_TMP/h:relative" "$WB_TMP/h:/y:bogus" "$WB_TMP/h:/" \
    "$WB_TMP/h://" "$WB_TMP/h:" "bad name!:/x" "a:b:c:d" "relative"; do
    run --separate-stderr wb_run --rm -v "$spec" busybox true
    assert_status 125
    assert_contains "$stderr" "invalid volume specification"
    [[ -z "$output" ]] || fail "stdout for $spec: $output"
  done
  [[ ! -e "$WB_TMP/h" ]] || fail "the host path of a bad spec was created"
  [[ "$(tree_listing "$WB_ROOT")" == "$before" ]] ||
    fail "the state root changed:" "$(diff <(echo "$before") <(tree_listing "$WB_ROOT"))"
}
