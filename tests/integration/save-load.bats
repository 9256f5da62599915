#!/usr/bin/env bats
# save-load.bats - image archives and export (issue 5): OCI layout save and
# load round trips to the same bytes and ids, docker save archives,
# corrupted archives, skopeo and umoci interoperability both ways, export
# -> import.

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

# An image "x:1" over busybox with an added file, a whiteout and an opaque
# directory.
make_x() {
  wb_run --name x0 busybox sh -c 'mkdir -p /data && echo a >/data/a && echo b >/data/b' >/dev/null ||
    fail "run x0"
  wb commit x0 x:0 >/dev/null || fail "commit x0"
  wb_run --name x1 x:0 sh -c 'echo added >/added && rm /etc/group && rm -rf /data && mkdir /data && echo c >/data/c' \
    >/dev/null || fail "run x1"
  wb commit -m "the x image" x1 x:1 >/dev/null || fail "commit x1"
  wb rm x0 x1 >/dev/null
  wb rmi x:0 >/dev/null
}

image_id() {
  wb image inspect "$1" | jq -r '.[0].Id'
}

# A blob of an unpacked layout by digest.
blob() {
  echo "$1/blobs/sha256/${2#sha256:}"
}

# Check the x:1 image works.
assert_x_runs() {
  run --separate-stderr wb_run --rm "$1" sh -c 'cat /added; test ! -e /etc/group && echo nogroup; ls /data'
  assert_status 0
  [[ "$output" == "added"$'\n'"nogroup"$'\n'"c" ]] || fail "$1 holds: $output" "$stderr"
}

@test "save -> rmi -> load -> save: the same bytes, the same image id, the name back" {
  make_x
  local id
  id=$(image_id x:1)
  run --separate-stderr wb save -o "$WB_TMP/s1.tar" x:1
  assert_status 0
  [[ -z "$output" && -z "$stderr" ]] || fail "save printed: $output $stderr"
  wb save x:1 >"$WB_TMP/stdout.tar"
  cmp "$WB_TMP/s1.tar" "$WB_TMP/stdout.tar" || fail "save to stdout differs from -o"
  run --separate-stderr wb rmi x:1
  assert_status 0
  run --separate-stderr wb load -i "$WB_TMP/s1.tar"
  assert_status 0
  [[ "$output" == "Loaded image: x:1" ]] || fail "load printed: $output" "$stderr"
  [[ "$(image_id x:1)" == "$id" ]] || fail "id $id became $(image_id x:1)"
  wb save -o "$WB_TMP/s2.tar" x:1
  cmp "$WB_TMP/s1.tar" "$WB_TMP/s2.tar" || fail "the second save differs"
  assert_x_runs x:1
  run --separate-stderr wb history x:1
  assert_contains "$output" "the x image"
  # From stdin, and loading what is already there changes nothing.
  local before
  before=$(tree_listing "$WB_ROOT/layers")
  run --separate-stderr bash -c 'cat "$1" | "${@:2}" load' _ "$WB_TMP/s1.tar" \
    "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR"
  assert_status 0
  [[ "$output" == "Loaded image: x:1" ]] || fail "load from stdin: $output" "$stderr"
  [[ "$(tree_listing "$WB_ROOT/layers")" == "$before" ]] || fail "layers changed"
  [[ -z "$(ls "$WB_ROOT/tmp")" ]] || fail "R/tmp: $(ls "$WB_ROOT/tmp")"
}

@test "an imported image round-trips to the same archive; its layer is never stored twice" {
  wb save -o "$WB_TMP/b1.tar" busybox
  wb rmi busybox >/dev/null
  [[ -z "$(ls "$WB_ROOT/layers")" ]] || fail "layers left after rmi"
  run --separate-stderr wb load -i "$WB_TMP/b1.tar"
  assert_status 0
  [[ "$output" == "Loaded image: busybox:latest" ]] || fail "load: $output" "$stderr"
  local id
  id=$(image_id busybox)
  wb save -o "$WB_TMP/b2.tar" busybox
  cmp "$WB_TMP/b1.tar" "$WB_TMP/b2.tar" || fail "the second save differs"
  wb rmi busybox >/dev/null
  wb load -i "$WB_TMP/b2.tar" >/dev/null
  [[ "$(image_id busybox)" == "$id" ]] || fail "the id changed on the second round"
  # Loading while the image is there stores nothing new.
  wb tag busybox other
  wb load -i "$WB_TMP/b2.tar" >/dev/null
  [[ "$(ls "$WB_ROOT/layers" | wc -l)" -eq 1 ]] || fail "layers: $(ls "$WB_ROOT/layers")"
}

@test "save writes an OCI image layout: index, manifest, config, tar layers, sha256 everywhere" {
  make_x
  wb tag x:1 x:alias
  wb save -o "$WB_TMP/s.tar" x:1 x:alias busybox
  mkdir "$WB_TMP/s"
  tar -C "$WB_TMP/s" -xf "$WB_TMP/s.tar"
  local L=$WB_TMP/s
  [[ "$(jq -r .imageLayoutVersion "$L/oci-layout")" == 1.0.0 ]] || fail "oci-layout"
  local f
  for f in "$L"/blobs/sha256/*; do
    [[ "$(sha256sum <"$f" | cut -d' ' -f1)" == "$(basename "$f")" ]] || fail "blob $f: wrong digest"
  done
  [[ "$(jq -r .mediaType "$L/index.json")" == application/vnd.oci.image.index.v1+json ]] || fail "index mediaType"
  [[ "$(jq -r '.manifests | length' "$L/index.json")" -eq 3 ]] || fail "index: $(cat "$L/index.json")"
  [[ "$(jq -r '[.manifests[].annotations["io.containerd.image.name"]] | join(" ")' "$L/index.json")" == \
    "x:1 x:alias busybox:latest" ]] || fail "names: $(cat "$L/index.json")"
  [[ "$(jq -r '.manifests[1].annotations["org.opencontainers.image.ref.name"]' "$L/index.json")" == alias ]] ||
    fail "ref.name"
  local m c
  m=$(blob "$L" "$(jq -r '.manifests[0].digest' "$L/index.json")")
  [[ "$(jq -r '.manifests[0].digest' "$L/index.json")" == "$(jq -r '.manifests[1].digest' "$L/index.json")" ]] ||
    fail "two names of one image have two manifests"
  [[ "$(jq -r .mediaType "$m")" == application/vnd.oci.image.manifest.v1+json ]] || fail "manifest mediaType"
  [[ "$(jq -r '[.layers[].mediaType] | unique | join(" ")' "$m")" == application/vnd.oci.image.layer.v1.tar ]] ||
    fail "layer media types: $(cat "$m")"
  c=$(blob "$L" "$(jq -r .config.digest "$m")")
  [[ "$(jq -r '.rootfs.diff_ids | join(" ")' "$c")" == "$(jq -r '[.layers[].digest] | join(" ")' "$m")" ]] ||
    fail "diff_ids are not the (uncompressed) layer digests"
  [[ "$(jq -r '.history | map(select(.empty_layer != true)) | length' "$c")" -eq "$(jq -r '.layers | length' "$m")" ]] ||
    fail "history does not match the layers: $(jq .history "$c")"
  [[ "$(jq -r .os "$c")" == linux ]] || fail "os"
  [[ "$(jq -r '.history[-1].comment' "$c")" == "the x image" ]] || fail "history comment"
  local top
  top=$(blob "$L" "$(jq -r '.layers[-1].digest' "$m")")
  tar -tf "$top" | grep -qx 'etc/.wh.group' || fail "no whiteout entry: $(tar -tf "$top")"
  tar -tf "$top" | grep -qx 'data/.wh..wh..opq' || fail "no opaque entry: $(tar -tf "$top")"
  # docker save's manifest.json points at the same blobs.
  [[ "$(jq -r '.[0].RepoTags | join(" ")' "$L/manifest.json")" == "x:1 x:alias" ]] || fail "RepoTags"
  [[ "$(jq -r '.[0].Config' "$L/manifest.json")" == "blobs/sha256/$(basename "$c")" ]] || fail "Config"
}

@test "load reads docker save archives, gzip'd layers and symlinked layer files" {
  make_x
  wb save -o "$WB_TMP/s.tar" x:1
  mkdir "$WB_TMP/s" "$WB_TMP/d"
  tar -C "$WB_TMP/s" -xf "$WB_TMP/s.tar"
  python3 - "$WB_TMP/s" "$WB_TMP/d" <<'PY'
import gzip, json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
blob = lambda d: os.path.join(src, "blobs", "sha256", d.split(":")[1])
index = json.load(open(os.path.join(src, "index.json")))
man = json.load(open(blob(index["manifests"][0]["digest"])))
cfg = man["config"]["digest"].split(":")[1]
shutil.copy(blob(man["config"]["digest"]), os.path.join(dst, cfg + ".json"))
layers = []
for i, l in enumerate(man["layers"]):
    d = os.path.join(dst, "l%d" % i)
    os.mkdir(d)
    if i == 0:      # compressed
        with open(blob(l["digest"]), "rb") as f, gzip.open(os.path.join(d, "layer.tar"), "wb") as g:
            shutil.copyfileobj(f, g)
    elif i == 1:    # a symlink to the real file, as docker writes duplicates
        os.mkdir(os.path.join(dst, "real"))
        shutil.copy(blob(l["digest"]), os.path.join(dst, "real", "layer.tar"))
        os.symlink("../real/layer.tar", os.path.join(d, "layer.tar"))
    else:
        shutil.copy(blob(l["digest"]), os.path.join(d, "layer.tar"))
    layers.append("l%d/layer.tar" % i)
json.dump([{"Config": cfg + ".json", "RepoTags": ["legacy:1"], "Layers": layers}],
          open(os.path.join(dst, "manifest.json"), "w"))
PY
  tar -C "$WB_TMP/d" -czf "$WB_TMP/docker.tar.gz" .
  wb rmi x:1 >/dev/null
  run --separate-stderr wb load -i "$WB_TMP/docker.tar.gz"
  assert_status 0
  [[ "$output" == "Loaded image: legacy:1" ]] || fail "load printed: $output" "$stderr"
  assert_x_runs legacy:1
}

@test "load refuses corrupted or hostile archives with 125 and leaves nothing" {
  make_x
  wb save -o "$WB_TMP/s.tar" x:1
  wb rmi x:1 >/dev/null
  local before
  before=$(tree_listing "$WB_ROOT")
  mkdir "$WB_TMP/s"
  tar -C "$WB_TMP/s" -xf "$WB_TMP/s.tar"
  local L=$WB_TMP/s m top
  m=$(blob "$L" "$(jq -r '.manifests[0].digest' "$L/index.json")")
  top=$(blob "$L" "$(jq -r '.layers[-1].digest' "$m")")
  # A layer whose bytes do not match its digest.
  cp -r "$L" "$WB_TMP/bad1"
  printf 'X' | dd of="$(blob "$WB_TMP/bad1" "$(jq -r '.layers[-1].digest' "$m")")" bs=1 seek=600 conv=notrunc 2>/dev/null
  tar -C "$WB_TMP/bad1" -cf "$WB_TMP/bad1.tar" .
  run --separate-stderr wb load -i "$WB_TMP/bad1.tar"
  assert_one_line_error
  assert_contains "$stderr" "does not match its digest"
  # A manifest naming a blob that is not there.
  cp -r "$L" "$WB_TMP/bad2"
  rm "$(blob "$WB_TMP/bad2" "$(jq -r '.layers[-1].digest' "$m")")"
  tar -C "$WB_TMP/bad2" -cf "$WB_TMP/bad2.tar" .
  run --separate-stderr wb load -i "$WB_TMP/bad2.tar"
  assert_one_line_error
  assert_contains "$stderr" "not in the archive"
  # docker save layer paths that link to the host or climb out of the
  # archive, each to a host copy of the real top layer: were they
  # followed, the image would load.
  local host_layer=$WB_TMP/host-layer.tar n climb
  cp "$top" "$host_layer"
  n=$(jq -r '.layers | length' "$m")
  climb=../../../../../../../../../..$host_layer
  local bad
  for bad in link climb; do
    mkdir -p "$WB_TMP/$bad"
    cp "$(blob "$L" "$(jq -r .config.digest "$m")")" "$WB_TMP/$bad/c.json"
    local i layers=()
    for ((i = 0; i < n - 1; i++)); do
      mkdir "$WB_TMP/$bad/l$i"
      cp "$(blob "$L" "$(jq -r ".layers[$i].digest" "$m")")" "$WB_TMP/$bad/l$i/layer.tar"
      layers+=("l$i/layer.tar")
    done
    if [[ $bad == link ]]; then
      mkdir "$WB_TMP/$bad/top"
      ln -s "$host_layer" "$WB_TMP/$bad/top/layer.tar"
      layers+=(top/layer.tar)
    else
      layers+=("$climb")
    fi
    jq -n --argjson l "$(printf '%s\n' "${layers[@]}" | jq -R . | jq -s .)" \
      '[{"Config": "c.json", "RepoTags": ["evil:1"], "Layers": $l}]' >"$WB_TMP/$bad/manifest.json"
    tar -C "$WB_TMP/$bad" -cf "$WB_TMP/$bad.tar" .
  done
  run --separate-stderr wb load -i "$WB_TMP/link.tar"
  assert_one_line_error
  assert_contains "$stderr" "top/layer.tar: not in the archive"
  run --separate-stderr wb load -i "$WB_TMP/climb.tar"
  assert_one_line_error
  assert_contains "$stderr" "$climb: not in the archive"
  # Not an archive at all, an empty input, a missing file.
  echo "hello" >"$WB_TMP/not.tar"
  run --separate-stderr wb load -i "$WB_TMP/not.tar"
  assert_one_line_error
  assert_contains "$stderr" "not an image archive"
  : >"$WB_TMP/empty.tar"
  run --separate-stderr wb load -i "$WB_TMP/empty.tar"
  assert_one_line_error
  assert_contains "$stderr" "not an image archive"
  run --separate-stderr wb load -i "$WB_TMP/missing.tar"
  assert_one_line_error
  assert_contains "$stderr" "$WB_TMP/missing.tar: No such file or directory"
  [[ "$(tree_listing "$WB_ROOT")" == "$before" ]] ||
    fail "the state root changed:" "$(diff <(echo "$before") <(tree_listing "$WB_ROOT"))"
}

@test "save errors: unknown image, nothing written; export errors" {
  run --separate-stderr wb save -o "$WB_TMP/out.tar" busybox nope:1
  assert_one_line_error
  assert_contains "$stderr" "unable to find image 'nope:1'"
  [[ -z "$(ls "$WB_TMP" | grep out.tar)" ]] || fail "a file was left: $(ls "$WB_TMP")"
  run --separate-stderr wb save
  assert_one_line_error
  run --separate-stderr wb export -o "$WB_TMP/e.tar" nosuch
  assert_one_line_error
  [[ -z "$(ls "$WB_TMP" | grep e.tar)" ]] || fail "a file was left: $(ls "$WB_TMP")"
}

# ---- export ---------------------------------------------------------------------

@test "export -> import: the flattened file system, without whiteouts or volume contents" {
  mkdir "$WB_TMP/vol"
  run --separate-stderr wb_run --name e1 -v "$WB_TMP/vol:/vol" busybox sh -c \
    'echo added >/added && rm /etc/group && echo in-volume >/vol/f && mkdir -p /var/x && echo y >/var/x/y'
  assert_status 0
  run --separate-stderr wb export -o "$WB_TMP/e.tar" e1
  assert_status 0
  wb export e1 >"$WB_TMP/e2.tar"
  cmp "$WB_TMP/e.tar" "$WB_TMP/e2.tar" || fail "export to stdout differs from -o"
  local list
  list=$(tar -tf "$WB_TMP/e.tar")
  grep -q '\.wh\.' <<<"$list" && fail "whiteouts in the export:" "$(grep '\.wh\.' <<<"$list")"
  grep -qx 'etc/group' <<<"$list" && fail "a deleted file is in the export"
  grep -qx 'bin/busybox' <<<"$list" || fail "the image's files are missing"
  grep -qx 'vol/f' <<<"$list" && fail "the volume's contents were exported"
  grep -qx 'etc/hostname' <<<"$list" && [[ "$(tar -xOf "$WB_TMP/e.tar" etc/hostname)" != "" ]] &&
    fail "the runtime's /etc/hostname was exported"
  run --separate-stderr wb import "$WB_TMP/e.tar" exported:1
  assert_status 0
  run --separate-stderr wb_run --rm exported:1 sh -c 'cat /added /var/x/y; test ! -e /etc/group && echo nogroup'
  assert_status 0
  [[ "$output" == "added"$'\n'"y"$'\n'"nogroup" ]] || fail "the imported export holds: $output" "$stderr"
  [[ -z "$(ls "$WB_ROOT/tmp")" ]] || fail "R/tmp: $(ls "$WB_ROOT/tmp")"
}

@test "export of a running container" {
  run_d busybox sh -c 'echo live >/live; exec sleep 300'
  local cid=$CID
  wait_for 5 test -n "$(state_field "$cid" .State.Pid)"
  wait_for 5 test -e "/proc/$(state_field "$cid" .State.Pid)/root/live"
  run --separate-stderr wb export -o "$WB_TMP/live.tar" "$cid"
  assert_status 0
  [[ "$(tar -xOf "$WB_TMP/live.tar" live)" == live ]] || fail "the running container's file is missing"
  [[ "$(state_field "$cid" .State.Status)" == running ]] || fail "the container stopped"
}

# ---- interoperability -------------------------------------------------------------

@test "skopeo accepts a saved image, and what skopeo writes loads and runs" {
  command -v skopeo >/dev/null || skip "skopeo is not installed (apt-get install skopeo)"
  make_x
  wb save -o "$WB_TMP/s.tar" x:1
  run skopeo copy "oci-archive:$WB_TMP/s.tar" "oci:$WB_TMP/sk:x:1"
  [[ "$status" -eq 0 ]] || fail "skopeo copy oci-archive -> oci failed:" "$output"
  run skopeo inspect "oci:$WB_TMP/sk:x:1"
  [[ "$status" -eq 0 ]] || fail "skopeo inspect failed:" "$output"
  [[ "$(jq -r '.Layers | length' <<<"$output")" -eq 3 ]] || fail "skopeo sees: $output"
  run skopeo copy "oci:$WB_TMP/sk:x:1" "oci-archive:$WB_TMP/back.tar:back:2"
  [[ "$status" -eq 0 ]] || fail "skopeo copy oci -> oci-archive failed:" "$output"
  wb rmi x:1 >/dev/null
  run --separate-stderr wb load -i "$WB_TMP/back.tar"
  assert_status 0
  [[ "$output" == "Loaded image: back:2" ]] || fail "load printed: $output" "$stderr"
  assert_x_runs back:2
}

@test "umoci unpacks a saved image, and an image umoci builds loads and runs" {
  command -v umoci >/dev/null || skip "umoci is not installed (apt-get install umoci)"
  make_x
  wb save -o "$WB_TMP/s.tar" x:1
  mkdir "$WB_TMP/lay"
  tar -C "$WB_TMP/lay" -xf "$WB_TMP/s.tar"
  run umoci unpack --image "$WB_TMP/lay:1" "$WB_TMP/bundle"
  [[ "$status" -eq 0 ]] || fail "umoci unpack failed:" "$output"
  local r=$WB_TMP/bundle/rootfs
  [[ "$(cat "$r/added")" == added && ! -e "$r/etc/group" && "$(ls "$r/data")" == c && -x "$r/bin/busybox" ]] ||
    fail "umoci's rootfs: $(ls "$r") / $(ls "$r/data")"

  # umoci builds an image from the busybox tree plus a file, gzip'd layers.
  mkdir -p "$WB_TMP/tree"
  tar -C "$WB_TMP/tree" -xf "$BATS_FILE_TMPDIR/busybox.tar"
  echo "made by umoci" >"$WB_TMP/tree/umoci.txt"
  local U=$WB_TMP/ulayout
  umoci init --layout "$U" >/dev/null || fail "umoci init"
  umoci new --image "$U:u" >/dev/null || fail "umoci new"
  run umoci insert --image "$U:u" "$WB_TMP/tree" /
  [[ "$status" -eq 0 ]] || fail "umoci insert failed:" "$output"
  umoci config --image "$U:u" --config.cmd cat --config.cmd /umoci.txt >/dev/null || fail "umoci config"
  tar -C "$U" -cf "$WB_TMP/u.tar" .
  run --separate-stderr wb load -i "$WB_TMP/u.tar"
  assert_status 0
  # ref.name "u" is a tag without a repository: loaded by id, as docker does.
  [[ "$output" =~ ^Loaded\ image\ ID:\ sha256:([0-9a-f]{64})$ ]] || fail "load printed: $output" "$stderr"
  local id=${BASH_REMATCH[1]}
  run --separate-stderr wb_run --rm "$id"
  assert_status 0
  [[ "$output" == "made by umoci" ]] || fail "the umoci image printed: $output" "$stderr"
}
