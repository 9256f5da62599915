#!/usr/bin/env bats
# images.bats - the image store: import (formats, hostile tarballs, what is
# kept), images, image inspect, tag, rmi, layer sharing.

load helpers/common
load helpers/image

setup() {
  wb_setup
  TAR=$WB_TMP/rootfs.tar
  image_make_tar "$TAR"
}

teardown() {
  wb_teardown
}

# ---- import ----------------------------------------------------------------

@test "import plain, gzip, xz, zstd, bzip2 and stdin: one layer, id = sha256 of the tar" {
  local want
  want=$(sha256sum "$TAR" | cut -d' ' -f1)
  gzip -k "$TAR"
  xz -k "$TAR"
  zstd -q "$TAR"
  bzip2 -k "$TAR"
  for f in "$TAR" "$TAR.gz" "$TAR.xz" "$TAR.zst" "$TAR.bz2"; do
    image_import "$f"
  done
  run --separate-stderr wb import - <"$TAR.gz"
  assert_status 0
  [[ "$(image_count images)" -eq 6 ]] || fail "expected 6 images, got $(image_count images)"
  [[ "$(image_count layers)" -eq 1 ]] || fail "expected 1 layer, got $(ls "$WB_ROOT/layers")"
  [[ -d "$WB_ROOT/layers/$want/diff" ]] || fail "layer is not named sha256(tar) $want: $(ls "$WB_ROOT/layers")"
  [[ "$(jq -r .id "$WB_ROOT/layers/$want/layer.json")" == "$want" ]]
  cmp "$WB_ROOT/layers/$want/diff/etc/motd" <(printf 'hello\n')
  cmp "$WB_ROOT/layers/$want/diff/usr/share/doc/blob" "$(dirname "$TAR")"/tree.*/usr/share/doc/blob
  [[ -z "$(ls -A "$WB_ROOT/tmp")" ]] || fail "tmp not empty"
  # The store is private to root.
  [[ "$(stat -c %a "$WB_ROOT/images")" == 700 && "$(stat -c %a "$WB_ROOT/layers")" == 700 ]]
}

@test "import of the same tarball twice stores the layer once" {
  image_import "$TAR" one
  local first=$IMAGE_ID
  image_import "$TAR" two
  [[ "$IMAGE_ID" != "$first" ]] || fail "two imports gave the same image id"
  [[ "$(image_count images)" -eq 2 ]]
  [[ "$(image_count layers)" -eq 1 ]] || fail "layer stored twice: $(ls "$WB_ROOT/layers")"
  [[ "$(wb image inspect one | jq -r '.[0].RootFS.Layers[0]')" == \
     "$(wb image inspect two | jq -r '.[0].RootFS.Layers[0]')" ]]
}

@test "import prints sha256:<id>, tags REPO[:TAG], default tag latest" {
  image_import "$TAR" myimg
  [[ -f "$WB_ROOT/images/${IMAGE_ID#sha256:}.json" ]]
  run --separate-stderr wb image inspect myimg:latest
  assert_status 0
  [[ "$(jq -r '.[0].Id' <<<"$output")" == "$IMAGE_ID" ]]
  [[ "$(jq -c '.[0].RepoTags' <<<"$output")" == '["myimg:latest"]' ]]
  image_import "$TAR" other/img:v1.2
  run --separate-stderr wb image inspect other/img:v1.2
  assert_status 0
  # No repository: untagged.
  image_import "$TAR"
  run --separate-stderr wb image inspect "${IMAGE_ID#sha256:}"
  assert_status 0
  [[ "$(jq -c '.[0].RepoTags' <<<"$output")" == '[]' ]]
}

@test "import errors: missing file, not a tar, empty input, bad name: 125 and nothing left" {
  run --separate-stderr wb import "$WB_TMP/nope.tar"
  assert_one_line_error
  assert_contains "$stderr" "nope.tar"
  head -c 5000 /dev/urandom >"$WB_TMP/junk"
  run --separate-stderr wb import "$WB_TMP/junk"
  assert_one_line_error
  run --separate-stderr wb import - </dev/null
  assert_one_line_error
  assert_contains "$stderr" "empty"
  run --separate-stderr wb import "$TAR" 'Bad:Name'
  assert_one_line_error
  assert_contains "$stderr" "lowercase"
  run --separate-stderr wb import
  assert_one_line_error
  # A truncated gzip stream fails midway.
  gzip -c "$TAR" | head -c 20000 >"$WB_TMP/trunc.tar.gz"
  run --separate-stderr wb import "$WB_TMP/trunc.tar.gz"
  assert_one_line_error
  image_assert_store_empty
}

@test "an import sweeps what a crashed import left in R/tmp, and only that" {
  image_import "$TAR" first
  mkdir -p "$WB_ROOT/tmp/import-crashed/diff/etc" "$WB_ROOT/tmp/someone-else"
  : >"$WB_ROOT/tmp/import-crashed/diff/etc/passwd"
  image_import "$TAR" second
  [[ ! -e "$WB_ROOT/tmp/import-crashed" ]] || fail "stale import directory kept"
  [[ -d "$WB_ROOT/tmp/someone-else" ]] || fail "swept a directory that is not ours"
}

# ---- hostile tarballs ------------------------------------------------------

hostile() { # $1 = expected message part; spec on stdin
  image_tar_from_spec "$WB_TMP/evil.tar"
  run --separate-stderr wb import "$WB_TMP/evil.tar" evil
  assert_one_line_error
  assert_contains "$stderr" "$1"
  image_assert_store_empty
  [[ ! -e "$WB_TMP/evil" && ! -e /evil && ! -e /abs-whalebox-test ]] || fail "something escaped"
}

@test "hostile: '../evil' is refused" {
  hostile "entry '../evil': '..' would escape" <<'EOF2'
file ok hi
file ../evil pwned
EOF2
  hostile "'..' would escape" <<'EOF2'
dir a
file a/../../evil pwned
EOF2
}

@test "hostile: an absolute name is refused" {
  hostile "entry '/abs-whalebox-test': absolute paths are not allowed" <<'EOF2'
file /abs-whalebox-test pwned
EOF2
}

@test "hostile: a file written through a symlink pointing out is refused" {
  local before
  before=$(stat -c %Y /etc/passwd)
  hostile "entry 'link/passwd': refusing to write through the symbolic link 'link'" <<'EOF2'
symlink link /etc
file link/passwd pwned
EOF2
  hostile "refusing to write through the symbolic link 'up'" <<'EOF2'
symlink up ../../../../..
dir up/tmp/wb-evil-dir
EOF2
  [[ "$(stat -c %Y /etc/passwd)" == "$before" ]]
  [[ ! -e /tmp/wb-evil-dir ]]
}

@test "hostile: hard links to outside targets are refused" {
  hostile "hard link target '../../etc/passwd': '..' would escape" <<'EOF2'
hardlink h ../../etc/passwd
EOF2
  hostile "hard link target '/etc/passwd': absolute paths are not allowed" <<'EOF2'
hardlink h /etc/passwd
EOF2
  hostile "refusing to write through the symbolic link 'l'" <<'EOF2'
symlink l /etc
hardlink h l/passwd
EOF2
  hostile "hard link target 'missing' is not in the image" <<'EOF2'
hardlink h missing
EOF2
}

# ---- what import keeps -----------------------------------------------------

@test "import keeps owners, modes, setuid, devices, fifos, hard links, symlinks, xattrs, mtimes" {
  image_tar_from_spec "$WB_TMP/rich.tar" <<'EOF2'
dir bin 0755
file bin/su suid 4755
file bin/owned data 0640 1000:1001
hardlink bin/su-link bin/su
symlink bin/abs /etc/outside/target
symlink bin/rel ../etc/x
dir dev 0755
chardev dev/null 1 3
fifo dev/pipe
dir etc 0750
xattr etc/tagged user.foo bar
file etc/x content 0600
file etc/wide everyone 0777
dir shared 2775 0:1001
file shared/root-owned r 0644 0:0
file shared/group-owned g 0664 0:1001
EOF2
  image_import "$WB_TMP/rich.tar" rich
  local d
  d=$(image_layer_dir rich)
  [[ "$(stat -c '%a %u %g' "$d/bin/su")" == "4755 0 0" ]] || fail "su: $(stat -c '%a %u %g' "$d/bin/su")"
  [[ "$(stat -c '%a %u %g' "$d/bin/owned")" == "640 1000 1001" ]]
  [[ "$(stat -c %i "$d/bin/su")" == "$(stat -c %i "$d/bin/su-link")" ]] || fail "hard link not kept"
  [[ "$(stat -c %h "$d/bin/su")" == 2 ]]
  [[ "$(readlink "$d/bin/abs")" == /etc/outside/target ]]
  [[ "$(readlink "$d/bin/rel")" == ../etc/x ]]
  [[ "$(stat -c '%F %t:%T %a' "$d/dev/null")" == "character special file 1:3 666" ]] ||
    fail "dev/null: $(stat -c '%F %t:%T %a' "$d/dev/null")"
  [[ "$(stat -c %F "$d/dev/pipe")" == fifo ]]
  [[ "$(stat -c %a "$d/etc")" == 750 ]]
  [[ "$(stat -c %a "$d/etc/x")" == 600 ]]
  # Bits the umask would drop at creation; a set-gid directory whose group
  # a new file would inherit, though the entry says otherwise.
  [[ "$(stat -c %a "$d/etc/wide")" == 777 ]] || fail "etc/wide: $(stat -c %a "$d/etc/wide")"
  [[ "$(stat -c '%a %u %g' "$d/shared")" == "2775 0 1001" ]] || fail "shared: $(stat -c '%a %u %g' "$d/shared")"
  [[ "$(stat -c '%a %u %g' "$d/shared/root-owned")" == "644 0 0" ]] ||
    fail "shared/root-owned: $(stat -c '%a %u %g' "$d/shared/root-owned")"
  [[ "$(stat -c '%a %u %g' "$d/shared/group-owned")" == "664 0 1001" ]] ||
    fail "shared/group-owned: $(stat -c '%a %u %g' "$d/shared/group-owned")"
  [[ "$(py 'os.getxattr(sys.argv[1], "user.foo").decode()' "$d/etc/tagged")" == bar ]] ||
    fail "xattr user.foo not kept"
  # mtimes, directories included (set after their contents).
  [[ "$(stat -c %Y "$d/etc/x")" == 1600000000 ]]
  [[ "$(stat -c %Y "$d/etc")" == 1600000000 ]] || fail "dir mtime $(stat -c %Y "$d/etc")"
  [[ "$(stat -c %Y "$d/bin")" == 1600000000 ]]
}

@test "import keeps modes under a default ACL, which masks new files' modes instead of the umask" {
  image_tar_from_spec "$WB_TMP/acl.tar" <<'EOF2'
dir bin 0755
file bin/tool x 0755
EOF2
  mkdir -p "$WB_ROOT/tmp"
  # A default ACL on tmp/ (inherited by each import's directories) whose
  # mask gives new files' group r-- only.
  python3 -c 'import os, struct, sys
e = lambda tag, perm: struct.pack("<HHI", tag, perm, 0xFFFFFFFF)
acl = struct.pack("<I", 2) + e(0x01, 7) + e(0x04, 7) + e(0x10, 4) + e(0x20, 5)
os.setxattr(sys.argv[1], "system.posix_acl_default", acl)' "$WB_ROOT/tmp" 2>/dev/null ||
    skip "$(stat -f -c %T "$WB_ROOT") takes no POSIX ACL"
  image_import "$WB_TMP/acl.tar" acl
  local d
  d=$(image_layer_dir acl)
  [[ "$(stat -c %a "$d/bin/tool")" == 755 ]] || fail "bin/tool is $(stat -c %a "$d/bin/tool")"
}

@test "import keeps a sparse file's size when it ends in a hole" {
  local src=$WB_TMP/sparse-src
  mkdir -p "$src"
  printf 'head' >"$src/holes"
  truncate -s 3M "$src/holes"
  tar --sparse --format=gnu -cf "$WB_TMP/sparse.tar" -C "$src" holes
  image_import "$WB_TMP/sparse.tar" sparse
  local d
  d=$(image_layer_dir sparse)
  [[ "$(stat -c %s "$d/holes")" == 3145728 ]] || fail "size $(stat -c %s "$d/holes")"
  [[ "$(head -c 4 "$d/holes")" == head ]]
  # The hole stays a hole.
  (($(stat -c %b "$d/holes") * $(stat -c %B "$d/holes") < 1048576)) ||
    fail "the hole was written out: $(stat -c '%b blocks of %B' "$d/holes")"
}

@test "import converts .wh. whiteouts into overlay whiteouts and opaque dirs" {
  image_tar_from_spec "$WB_TMP/wh.tar" <<'EOF2'
dir gone
file gone/.wh.deleted x
dir opq
file opq/.wh..wh..opq x
file opq/kept y
file .wh..wh.plnk x
EOF2
  image_import "$WB_TMP/wh.tar" wh
  local d
  d=$(image_layer_dir wh)
  [[ "$(stat -c '%F %t:%T' "$d/gone/deleted")" == "character special file 0:0" ]] ||
    fail "whiteout: $(stat -c '%F %t:%T' "$d/gone/deleted" 2>&1)"
  [[ ! -e "$d/gone/.wh.deleted" ]]
  [[ "$(py 'os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode()' "$d/opq")" == y ]] ||
    fail "opaque xattr missing"
  [[ ! -e "$d/opq/.wh..wh..opq" && -f "$d/opq/kept" && ! -e "$d/.wh..wh.plnk" ]]
}

@test "--change CMD/ENV/WORKDIR/ENTRYPOINT/USER and -m show in image inspect" {
  image_import "$TAR" conf -c 'CMD ["sh", "-c", "echo hi"]' --change 'ENV A=1 B="two words"' \
    --change 'ENV A=3' -c 'WORKDIR /srv' -c 'WORKDIR app' -c 'ENTRYPOINT ["/bin/tini"]' \
    -c 'USER app' -m 'my message'
  run --separate-stderr wb image inspect conf
  assert_status 0
  local j=$output
  [[ "$(jq -c '.[0].Config.Cmd' <<<"$j")" == '["sh","-c","echo hi"]' ]]
  [[ "$(jq -c '.[0].Config.Env' <<<"$j")" == '["A=3","B=two words"]' ]]
  [[ "$(jq -r '.[0].Config.WorkingDir' <<<"$j")" == /srv/app ]]
  [[ "$(jq -c '.[0].Config.Entrypoint' <<<"$j")" == '["/bin/tini"]' ]]
  [[ "$(jq -r '.[0].Config.User' <<<"$j")" == app ]]
  [[ "$(jq -r '.[0].Comment' <<<"$j")" == "my message" ]]
  # Shell form; unset fields are null/empty.
  image_import "$TAR" shell -c 'CMD echo $HOME'
  run --separate-stderr wb image inspect shell
  [[ "$(jq -c '.[0].Config.Cmd' <<<"$output")" == '["/bin/sh","-c","echo $HOME"]' ]]
  [[ "$(jq -c '.[0].Config.Entrypoint' <<<"$output")" == null ]]
  [[ "$(jq -r '.[0].RootFS.Type' <<<"$output")" == layers ]]
}

@test "--change with an unknown instruction: 125 before reading anything" {
  run --separate-stderr wb import "$TAR" x -c 'FROB x'
  assert_one_line_error
  assert_contains "$stderr" "unknown instruction 'FROB'"
  run --separate-stderr wb import "$TAR" x -c 'EXPOSE 80'
  assert_one_line_error
  image_assert_store_empty
}

# ---- images ----------------------------------------------------------------

@test "images: columns, one row per tag, <none> for untagged, sizes like docker" {
  image_import "$TAR" busybox
  local id=${IMAGE_ID#sha256:}
  wb tag busybox busybox:v2
  image_import "$TAR"
  local untagged=${IMAGE_ID#sha256:}
  run --separate-stderr wb images
  assert_status 0
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]] || fail "header: ${lines[0]}"
  [[ "${#lines[@]}" -eq 4 ]] || fail "expected 3 rows" "$output"
  local size
  size=$(jq -r .size "$WB_ROOT/images/$id.json")
  (( size > 100000 && size < 200000 )) || fail "size $size"
  # 100 kB of blob plus small files: docker prints e.g. "100kB".
  assert_contains "$output" "kB"
  [[ "$output" =~ busybox\ +latest\ +${id:0:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +[0-9.]+kB ]] ||
    fail "no busybox:latest row" "$output"
  [[ "$output" =~ busybox\ +v2\ +${id:0:12} ]] || fail "no v2 row" "$output"
  [[ "$output" =~ \<none\>\ +\<none\>\ +${untagged:0:12} ]] || fail "no <none> row" "$output"
  # Newest first.
  [[ "${lines[1]}" == *"${untagged:0:12}"* ]] || fail "not newest first" "$output"
  # Filter by repository.
  run --separate-stderr wb images busybox:v2
  [[ "${#lines[@]}" -eq 2 && "${lines[1]}" == busybox*v2* ]] || fail "$output"
  run --separate-stderr wb image ls
  assert_status 0
  [[ "${#lines[@]}" -eq 4 ]]
}

@test "images -q prints each image id once; --no-trunc the full id" {
  image_import "$TAR" a
  wb tag a b
  image_import "$TAR"
  run --separate-stderr wb images -q
  assert_status 0
  [[ "${#lines[@]}" -eq 2 ]] || fail "$output"
  for l in "${lines[@]}"; do [[ "$l" =~ ^[0-9a-f]{12}$ ]] || fail "bad id line $l"; done
  run --separate-stderr wb images -q --no-trunc
  [[ "${lines[1]}" =~ ^sha256:[0-9a-f]{64}$ ]]
  # Empty store: header only, nothing created by a read.
  rm -rf "$WB_ROOT"
  run --separate-stderr wb images
  assert_status 0
  [[ "${#lines[@]}" -eq 1 ]]
  [[ ! -e "$WB_ROOT" ]] || fail "images created the state root"
}

@test "images --format json: one object per line" {
  image_import "$TAR" j:1
  run --separate-stderr wb images --format json
  assert_status 0
  [[ "${#lines[@]}" -eq 1 ]]
  [[ "$(jq -r '.Repository + " " + .Tag + " " + .ID' <<<"${lines[0]}")" == "j 1 ${IMAGE_ID:7:12}" ]]
  [[ "$(jq -r .SizeBytes <<<"${lines[0]}")" -gt 100000 ]]
  run --separate-stderr wb images --format yaml
  assert_one_line_error
}

# ---- tag, rmi, layers ------------------------------------------------------

@test "tag adds a name; a tag moves from one image to another" {
  image_import "$TAR" first
  local a=$IMAGE_ID
  image_import "$TAR" second
  local b=$IMAGE_ID
  run --separate-stderr wb tag first shared:x
  assert_status 0
  [[ "$(wb image inspect shared:x | jq -r '.[0].Id')" == "$a" ]]
  wb tag "${b:7:10}" shared:x
  [[ "$(wb image inspect shared:x | jq -r '.[0].Id')" == "$b" ]]
  [[ "$(wb image inspect first | jq -c '.[0].RepoTags')" == '["first:latest"]' ]]
  run --separate-stderr wb tag nope new
  assert_one_line_error
  assert_contains "$stderr" "unable to find image 'nope:latest'"
  run --separate-stderr wb tag first 'UPPER'
  assert_one_line_error
  run --separate-stderr wb tag first
  assert_one_line_error
}

@test "rmi: a tag at a time, the last tag removes the image and its layer" {
  image_import "$TAR" img:1
  local id=${IMAGE_ID#sha256:}
  wb tag img:1 img:2
  run --separate-stderr wb rmi img:1
  assert_status 0
  [[ "$output" == "Untagged: img:1" ]] || fail "$output"
  [[ -f "$WB_ROOT/images/$id.json" ]]
  run --separate-stderr wb rmi img:2
  assert_status 0
  assert_contains "$output" "Untagged: img:2"
  assert_contains "$output" "Deleted: sha256:$id"
  image_assert_store_empty
}

@test "rmi by id removes the image and all its tags; image rm is rmi" {
  image_import "$TAR" x:1
  wb tag x:1 x:2
  run --separate-stderr wb image rm "${IMAGE_ID:7:8}"
  assert_status 0
  assert_contains "$output" "Untagged: x:1"
  assert_contains "$output" "Untagged: x:2"
  image_assert_store_empty
  image_import "$TAR" y
  run --separate-stderr wb rmi "$IMAGE_ID"
  assert_status 0
  image_assert_store_empty
}

@test "rmi keeps a layer another image still uses" {
  image_import "$TAR" one
  image_import "$TAR" two
  local layer
  layer=$(ls "$WB_ROOT/layers")
  wb rmi one
  [[ -d "$WB_ROOT/layers/$layer/diff/etc" ]] || fail "shared layer removed"
  wb rmi two
  image_assert_store_empty
}

@test "rmi of an unknown image: 125 and docker's message" {
  run --separate-stderr wb rmi nope
  assert_one_line_error
  [[ "$stderr" == "whalebox: unable to find image 'nope:latest'" ]] || fail "$stderr"
  image_import "$TAR" keep
  run --separate-stderr wb rmi nope keep
  assert_status 125
  assert_contains "$output" "Untagged: keep:latest"
  assert_contains "$stderr" "unable to find image 'nope:latest'"
}

@test "rmi is refused while a container uses the image, -f only untags" {
  image_import "$TAR" used
  local id=${IMAGE_ID#sha256:} cid
  cid=$(printf 'c%.0s' {1..64})
  mkdir -p "$WB_ROOT/containers/$cid"
  printf '{"ID":"%s","ImageID":"sha256:%s"}\n' "$cid" "$id" >"$WB_ROOT/containers/$cid/state.json"
  run --separate-stderr wb rmi used
  assert_one_line_error
  assert_contains "$stderr" "unable to remove image used: image is used by container ${cid:0:12}"
  [[ -f "$WB_ROOT/images/$id.json" ]]
  run --separate-stderr wb rmi -f used
  assert_status 0
  assert_contains "$output" "Untagged: used:latest"
  [[ -f "$WB_ROOT/images/$id.json" ]] || fail "-f removed an image a container uses"
  [[ "$(image_count layers)" -eq 1 ]]
  rm -rf "$WB_ROOT/containers/$cid"
  run --separate-stderr wb rmi "$id"
  assert_status 0
  image_assert_store_empty
}

@test "image inspect: several images, unknown one fails with 125 after printing the others" {
  image_import "$TAR" a
  image_import "$TAR" b
  run --separate-stderr wb image inspect a b
  assert_status 0
  [[ "$(jq length <<<"$output")" -eq 2 ]]
  [[ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")" =~ ^sha256:[0-9a-f]{64}$ ]]
  run --separate-stderr wb image inspect a nope
  assert_status 125
  [[ "$(jq length <<<"$output")" -eq 1 ]]
  assert_contains "$stderr" "unable to find image 'nope:latest'"
  run --separate-stderr wb image frob
  assert_one_line_error
}

@test "an ambiguous id prefix is refused" {
  # Import until two image ids share their first hex digit.
  local ids=() p
  for _ in $(seq 1 17); do
    image_import "$TAR"
    ids+=("${IMAGE_ID:7:1}")
  done
  p=$(printf '%s\n' "${ids[@]}" | sort | uniq -d | head -1)
  [[ -n "$p" ]]
  run --separate-stderr wb image inspect "sha256:$p"
  assert_status 125
  assert_contains "$stderr" "ambiguous"
}

# ---- the default busybox image ---------------------------------------------

@test "make-busybox-image.sh builds a reproducible busybox rootfs and imports it" {
  dpkg -L busybox-static >/dev/null 2>&1 || skip "busybox-static is not installed (the script would apt-get it)"
  run "$WB_SOURCE_DIR/scripts/make-busybox-image.sh" "$WB_TMP/bb.tar" --import \
    "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT"
  assert_status 0
  [[ "${lines[-1]}" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "$output"
  local d
  d=$(image_layer_dir busybox)
  [[ -x "$d/bin/busybox" && ! -L "$d/bin/busybox" ]]
  [[ "$(readlink "$d/bin/sh")" == /bin/busybox ]]
  [[ "$(readlink "$d/usr/bin/env")" == /bin/busybox ]]
  grep -q '^root:x:0:0:' "$d/etc/passwd"
  grep -q '^nobody:x:65534:65534:' "$d/etc/passwd"
  grep -q '^app:x:1000:1000:' "$d/etc/passwd"
  grep -q '^app:x:1000:' "$d/etc/group"
  [[ "$(stat -c %a "$d/tmp")" == 1777 ]]
  [[ "$(stat -c '%u:%g' "$d/home/app")" == 1000:1000 ]]
  [[ -d "$d/proc" && -d "$d/sys" && -d "$d/dev" && -f "$d/etc/hosts" && ! -s "$d/etc/hosts" ]]
  # Statically linked: it runs in the bare tree.
  run chroot "$d" /bin/sh -c 'echo hello from busybox'
  assert_status 0
  [[ "$output" == "hello from busybox" ]]
  # Reproducible: the same busybox gives the same layer.
  "$WB_SOURCE_DIR/scripts/make-busybox-image.sh" "$WB_TMP/bb2.tar" 2>/dev/null
  cmp "$WB_TMP/bb.tar" "$WB_TMP/bb2.tar"
}
