#!/usr/bin/env bats
# commit.bats - commit as a new layer, history, and layer sharing (issue
# 5): added files, whiteouts, opaque directories, running containers (the
# freezer), --change, history, rmi keeping shared layers.

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

# commit, expecting success; the id (64-hex) in $IMG.
commit_ok() {
  run --separate-stderr wb commit "$@"
  assert_status 0
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "commit printed: $output" "$stderr"
  IMG=${output#sha256:}
}

# The layer ids of an image, bottom first.
image_layers() {
  wb image inspect "$1" | jq -r '.[0].RootFS.Layers[]' | sed 's/^sha256://'
}

top_layer_dir() {
  echo "$WB_ROOT/layers/$(image_layers "$1" | tail -1)/diff"
}

@test "commit: a file added in the container is in the new image, on one new layer" {
  run --separate-stderr wb_run --name c1 busybox sh -c 'mkdir -p /opt/app && echo hello >/opt/app/greeting'
  assert_status 0
  commit_ok c1 app:v1
  local base_layers new_layers
  base_layers=$(image_layers busybox)
  new_layers=$(image_layers app:v1)
  [[ "$(wc -l <<<"$new_layers")" -eq $(($(wc -l <<<"$base_layers") + 1)) ]] ||
    fail "expected one more layer:" "$new_layers"
  [[ "$(head -n -1 <<<"$new_layers")" == "$base_layers" ]] || fail "the base layers are not shared"
  # The new layer holds the change only.
  local top
  top=$(top_layer_dir app:v1)
  [[ "$(cat "$top/opt/app/greeting")" == hello ]] || fail "not in the new layer"
  [[ ! -e "$top/bin/busybox" ]] || fail "the new layer copied the image"
  [[ ! -e "$top/etc/hosts" && ! -e "$top/etc/hostname" && ! -e "$top/etc/resolv.conf" ]] ||
    fail "runtime files were committed: $(ls "$top/etc")"
  run --separate-stderr wb_run --rm app:v1 cat /opt/app/greeting
  assert_status 0
  [[ "$output" == hello ]] || fail "the new image has: $output" "$stderr"
  # The layer id is the sha256 of the layer's tar as save writes it.
  run wb save app:v1
  [[ -z "$(ls "$WB_ROOT/tmp")" ]] || fail "R/tmp not empty: $(ls "$WB_ROOT/tmp")"
}

@test "commit: a file deleted from the image stays deleted (whiteout)" {
  run --separate-stderr wb_run --name c1 busybox rm /etc/group
  assert_status 0
  commit_ok c1 nogroup
  local top
  top=$(top_layer_dir nogroup)
  [[ "$(stat -c '%F %t:%T' "$top/etc/group")" == "character special file 0:0" ]] ||
    fail "no whiteout in the layer: $(stat -c '%F %t:%T' "$top/etc/group" 2>&1)"
  run --separate-stderr wb_run --rm nogroup sh -c 'test ! -e /etc/group && test -e /etc/passwd'
  assert_status 0
  # The saved layer carries it as a .wh. entry.
  wb save -o "$WB_TMP/s.tar" nogroup
  mkdir "$WB_TMP/s"
  tar -C "$WB_TMP/s" -xf "$WB_TMP/s.tar"
  local digest
  digest=$(jq -r '.layers[-1].digest' "$WB_TMP/s/blobs/sha256/$(jq -r '.manifests[0].digest' "$WB_TMP/s/index.json" | cut -d: -f2)")
  tar -tf "$WB_TMP/s/blobs/sha256/${digest#sha256:}" | grep -qx 'etc/.wh.group' ||
    fail "no etc/.wh.group in the layer tar:" "$(tar -tf "$WB_TMP/s/blobs/sha256/${digest#sha256:}")"
}

@test "commit: a replaced directory stays replaced (opaque)" {
  run --separate-stderr wb_run --name c1 busybox sh -c 'mkdir /data && echo a >/data/a && echo b >/data/b'
  assert_status 0
  commit_ok c1 withdata
  run --separate-stderr wb_run --name c2 withdata sh -c 'rm -rf /data && mkdir /data && echo c >/data/c'
  assert_status 0
  commit_ok c2 replaced
  run --separate-stderr wb_run --rm replaced ls /data
  assert_status 0
  [[ "$output" == c ]] || fail "/data in the new image: $output"
  local top
  top=$(top_layer_dir replaced)
  if [[ "$(wb info --format json | jq -r .drivers.storage.driver)" == storage-overlay ]]; then
    [[ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode())' "$top/data")" == y ]] ||
      fail "data is not opaque in the layer"
  fi
  # The base image is untouched.
  run --separate-stderr wb_run --rm withdata ls /data
  [[ "$output" == "a"$'\n'"b" ]] || fail "the base image changed: $output"
}

@test "commit of a running container freezes it meanwhile and leaves it running" {
  run_d busybox sh -c 'echo running >/state; exec sleep 300'
  local cid=$CID pid
  wait_for 5 test -n "$(state_field "$cid" .State.Pid)"
  pid=$(state_field "$cid" .State.Pid)
  wait_for 5 test -e "/proc/$pid/root/state"
  if [[ "$WB_CGROUP_DRIVER" == v1 || "$WB_CGROUP_DRIVER" == v2 ]]; then
    commit_ok "$cid" live:1
  else
    run --separate-stderr wb commit "$cid" live:1
    assert_one_line_error
    assert_contains "$stderr" "cannot pause: the cgroup driver has no freezer"
    commit_ok -p=false "$cid" live:1
  fi
  [[ "$(state_field "$cid" .State.Status)" == running ]] || fail "the container stopped"
  local f=/sys/fs/cgroup/freezer/$WB_CG_PARENT/$cid/freezer.state
  if [[ -e "$f" ]]; then
    [[ "$(cat "$f")" == THAWED ]] || fail "left $(cat "$f")"
  fi
  grep -q '^State:.*[RS]' "/proc/$pid/status" || fail "process: $(grep State "/proc/$pid/status")"
  commit_ok --pause=false "$cid" live:2
  run --separate-stderr wb_run --rm live:1 cat /state
  assert_status 0
  [[ "$output" == running ]] || fail "live:1 has: $output"
}

@test "commit takes the container's command and env; -c changes, -m and -a go in history" {
  run --separate-stderr wb_run --name c1 -e GREETING=hi busybox sh -c 'echo "$GREETING from the image"'
  assert_status 0
  commit_ok -m "first commit" -a "Jane <jane@example.com>" c1 cmd:1
  run --separate-stderr wb_run --rm cmd:1
  assert_status 0
  [[ "$output" == "hi from the image" ]] || fail "default command printed: $output" "$stderr"
  commit_ok -c 'CMD ["sh", "-c", "echo $A-$B"]' -c 'ENV A=1 B=2' -c 'WORKDIR /tmp' c1 cmd:2
  run --separate-stderr wb_run --rm cmd:2
  assert_status 0
  [[ "$output" == "1-2" ]] || fail "changed command printed: $output" "$stderr"
  run --separate-stderr wb_run --rm cmd:2 pwd
  [[ "$output" == /tmp ]] || fail "WORKDIR: $output"
  run --separate-stderr wb commit -c 'FROB x' c1 cmd:3
  assert_one_line_error
  assert_contains "$stderr" "unknown instruction"

  run --separate-stderr wb history cmd:1
  assert_status 0
  [[ "${#lines[@]}" -eq 3 ]] || fail "history has ${#lines[@]} lines:" "$output"
  [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]] || fail "header: ${lines[0]}"
  local id1
  id1=$(wb image inspect cmd:1 | jq -r '.[0].Id')
  [[ "${lines[1]}" == "${id1:7:12}"* ]] || fail "newest first: ${lines[1]}"
  assert_contains "${lines[1]}" "first commit"
  assert_contains "${lines[1]}" 'sh -c echo "$GREETING from the image"'
  local bb
  bb=$(wb image inspect busybox | jq -r '.[0].Id')
  [[ "${lines[2]}" == "${bb:7:12}"* ]] || fail "the base step is the stored busybox: ${lines[2]}"
  run --separate-stderr wb history -q cmd:1
  [[ "$output" == "${id1:7:12}"$'\n'"${bb:7:12}" ]] || fail "history -q: $output"
  run --separate-stderr wb history --no-trunc -H=false cmd:1
  assert_contains "${lines[1]}" "$id1"
  run --separate-stderr wb image history cmd:1
  assert_status 0
  run --separate-stderr wb history nope:1
  assert_one_line_error
  assert_contains "$stderr" "unable to find image 'nope:1'"
}

@test "commit errors: unknown container, bad tag; nothing left behind" {
  local layers
  layers=$(ls "$WB_ROOT/layers")
  run --separate-stderr wb commit nosuch
  assert_one_line_error
  assert_contains "$stderr" "nosuch"
  run --separate-stderr wb_run --name c1 busybox true
  run --separate-stderr wb commit c1 'Bad:Tag:x'
  assert_one_line_error
  run --separate-stderr wb commit
  assert_one_line_error
  run --separate-stderr wb commit -p=maybe c1
  assert_one_line_error
  [[ "$(ls "$WB_ROOT/layers")" == "$layers" ]] || fail "a layer was left"
  [[ -z "$(ls "$WB_ROOT/tmp")" ]] || fail "R/tmp: $(ls "$WB_ROOT/tmp")"
  [[ "$(wb images -q | wc -l)" -eq 1 ]] || fail "an image was left: $(wb images)"
}

@test "an unchanged container commits an empty layer; the same change twice is one layer" {
  run --separate-stderr wb_run --name c1 busybox true
  commit_ok c1 same:1
  commit_ok c1 same:2
  [[ "$(image_layers same:1)" == "$(image_layers same:2)" ]] || fail "different layers"
  local n
  n=$(ls "$WB_ROOT/layers" | wc -l)
  [[ "$n" -eq $(($(image_layers busybox | wc -l) + 1)) ]] || fail "$n layers stored"
}

@test "rmi keeps the layers another image uses; the last image takes them" {
  run --separate-stderr wb_run --name c1 busybox sh -c 'echo 1 >/one'
  commit_ok c1 img:1
  wb rm c1 >/dev/null
  run --separate-stderr wb_run --name c2 img:1 sh -c 'echo 2 >/two'
  commit_ok c2 img:2
  wb rm c2 >/dev/null
  local l1 l2
  l1=$(image_layers img:1)
  l2=$(image_layers img:2)
  run --separate-stderr wb rmi img:1
  assert_status 0
  local l
  for l in $l2; do
    [[ -d "$WB_ROOT/layers/$l/diff" ]] || fail "layer $l of img:2 was removed"
  done
  run --separate-stderr wb_run --rm img:2 cat /one /two
  assert_status 0
  [[ "$output" == "1"$'\n'"2" ]] || fail "img:2 reads: $output"
  run --separate-stderr wb rmi img:2
  assert_status 0
  for l in $l1 $l2; do
    if ! grep -qx "$l" <(image_layers busybox); then
      [[ ! -e "$WB_ROOT/layers/$l" ]] || fail "layer $l is left"
    fi
  done
}
