# shellcheck disable=SC2154,SC2034 # bats sets output/stderr; IMAGE_ID is for the tests
# image.bash - helpers for the image store tests (import, images, rmi, tag).
#
# Load after helpers/common.  Tarballs are built by python3's tarfile module
# so hostile entries (.., absolute names, links out) can be written exactly.

# A small root filesystem tree in $1 (no busybox needed).
image_make_tree() {
  local d=$1
  mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/usr/share/doc"
  chmod 1777 "$d/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
  printf 'hello\n' >"$d/etc/motd"
  head -c 100000 /dev/urandom >"$d/usr/share/doc/blob"
  ln -s ../etc/motd "$d/bin/motd-link"
}

# A plain tar of image_make_tree in $1 (deterministic member order).
image_make_tar() {
  local out=$1 tree
  tree=$(mktemp -d "$WB_TMP/tree.XXXXXX")
  image_make_tree "$tree"
  python3 - "$tree" "$out" <<'PY'
import os, sys, tarfile
src, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for dirpath, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            p = os.path.join(dirpath, name)
            t.add(p, arcname=os.path.relpath(p, src), recursive=False)
PY
}

# Build a tarball from a list of entries given on stdin, one per line:
#   dir NAME [MODE]            file NAME CONTENT [MODE] [UID:GID]
#   symlink NAME TARGET        hardlink NAME TARGET
#   chardev NAME MAJOR MINOR   fifo NAME
#   xattr NAME KEY VALUE       (a file carrying a pax SCHILY.xattr header)
image_tar_from_spec() {
  python3 -c '
import io, sys, tarfile, time
out = sys.argv[1]
now = int(time.time())
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        kind, name = f[0], f[1]
        ti = tarfile.TarInfo(name)
        ti.mtime = 1600000000
        data = None
        if kind == "dir":
            ti.type = tarfile.DIRTYPE
            ti.mode = int(f[2], 8) if len(f) > 2 else 0o755
            if len(f) > 3:
                ti.uid, ti.gid = map(int, f[3].split(":"))
        elif kind == "file":
            data = f[2].encode()
            ti.size = len(data)
            ti.mode = int(f[3], 8) if len(f) > 3 else 0o644
            if len(f) > 4:
                ti.uid, ti.gid = map(int, f[4].split(":"))
        elif kind == "symlink":
            ti.type = tarfile.SYMTYPE
            ti.linkname = f[2]
        elif kind == "hardlink":
            ti.type = tarfile.LNKTYPE
            ti.linkname = f[2]
        elif kind == "chardev":
            ti.type = tarfile.CHRTYPE
            ti.devmajor, ti.devminor = int(f[2]), int(f[3])
            ti.mode = 0o666
        elif kind == "fifo":
            ti.type = tarfile.FIFOTYPE
            ti.mode = 0o600
        elif kind == "xattr":
            data = b"x"
            ti.size = 1
            ti.pax_headers = {"SCHILY.xattr." + f[2]: f[3]}
        else:
            sys.exit("bad spec line: " + line)
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
' "$1"
}

# The store holds no image, no layer and no temporary directory.
image_assert_store_empty() {
  local d
  for d in images layers tmp; do
    if [[ -d "$WB_ROOT/$d" ]]; then
      [[ -z "$(ls -A "$WB_ROOT/$d")" ]] ||
        fail "$WB_ROOT/$d is not empty:" "$(tree_listing "$WB_ROOT/$d")"
    fi
  done
}

# Number of entries in a store directory.
image_count() {
  if [[ -d "$WB_ROOT/$1" ]]; then
    ls -A "$WB_ROOT/$1" | wc -l
  else
    echo 0
  fi
}

# The diff directory of the single layer of image $1.
image_layer_dir() {
  local id
  id=$(wb image inspect "$1" | jq -r '.[0].RootFS.Layers[-1]') || return 1
  echo "$WB_ROOT/layers/${id#sha256:}/diff"
}

# Import the tarball $1 (more args: repo and flags), expecting success; the
# id ("sha256:...") is in $IMAGE_ID.
image_import() {
  run --separate-stderr wb import "$@"
  assert_status 0
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import printed: $output" "$stderr"
  IMAGE_ID=$output
}

# A python3 expression's value, for xattrs and file types.
py() {
  python3 -c "import os, stat, sys; print($1)" "${@:2}"
}
