#!/bin/bash
# make-busybox-image.sh - build the default "busybox" image's root filesystem
# tarball from Debian's busybox-static, and optionally import it.
#
# Usage: scripts/make-busybox-image.sh [--tag NAME] OUT.tar [--import WHALEBOX_CMD...]
#
#   OUT.tar          the tarball to write (plain tar, `docker export` layout)
#   --tag NAME       image name for --import (default: busybox)
#   --import CMD...  then run `CMD... import OUT.tar NAME`; everything after
#                    --import is the whalebox command, e.g.
#                    --import build/core/whalebox --root /tmp/wb
#
# The tree: /bin/busybox (static) with every applet of `busybox --list-full`
# as a symlink to it, /etc/passwd and /etc/group (root, nobody 65534, app
# 1000), /tmp (1777), /root, /home/app (owned by app), empty /proc /sys /dev
# and empty /etc/hosts, /etc/hostname, /etc/resolv.conf (the runtime
# supplies those).  The tarball is reproducible: sorted names, numeric
# owners set explicitly (no root needed to build it) and one mtime
# ($SOURCE_DATE_EPOCH, else busybox's own), so the same busybox gives the
# same layer id.
set -euo pipefail

usage() {
  sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

out=
tag=busybox
import_cmd=()
while [[ $# -gt 0 ]]; do
  case $1 in
  -h | --help) usage 0 ;;
  --tag)
    [[ $# -ge 2 ]] || { echo "make-busybox-image: --tag needs a value" >&2; exit 2; }
    tag=$2
    shift 2
    ;;
  --import)
    shift
    import_cmd=("$@")
    [[ ${#import_cmd[@]} -gt 0 ]] || { echo "make-busybox-image: --import needs the whalebox command" >&2; exit 2; }
    break
    ;;
  -*) echo "make-busybox-image: unknown option $1" >&2; usage 2 ;;
  *)
    [[ -z $out ]] || { echo "make-busybox-image: more than one output path" >&2; exit 2; }
    out=$1
    shift
    ;;
  esac
done
[[ -n $out ]] || { echo "make-busybox-image: missing OUT.tar" >&2; usage 2; }

# busybox-static's binary; install the package when it is missing.
find_busybox() {
  dpkg -L busybox-static 2>/dev/null | grep -E '/s?bin/busybox$' | head -1
}
bb=$(find_busybox || true)
if [[ -z $bb || ! -x $bb ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "make-busybox-image: busybox-static is not installed (apt-get install busybox-static)" >&2
    exit 1
  fi
  echo "make-busybox-image: installing busybox-static" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2
  bb=$(find_busybox)
fi
if command -v ldd >/dev/null && ldd "$bb" >/dev/null 2>&1; then
  echo "make-busybox-image: $bb is dynamically linked; the image needs busybox-static" >&2
  exit 1
fi

umask 022
stage=$(mktemp -d "${TMPDIR:-/tmp}/wb-busybox.XXXXXX")
trap 'rm -rf -- "$stage"' EXIT
root=$stage/rootfs
mkdir -p "$root"

for d in bin sbin usr/bin usr/sbin etc dev proc sys tmp root home/app var/tmp run; do
  mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
cp -L "$bb" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"

# Applets as symlinks to /bin/busybox (absolute: resolved inside the
# container).
"$bb" --list-full | while read -r applet; do
  [[ $applet == bin/busybox || -z $applet ]] && continue
  case $applet in
  /* | *..*) echo "make-busybox-image: odd applet path $applet" >&2; exit 1 ;;
  esac
  mkdir -p "$root/$(dirname "$applet")"
  ln -sfn /bin/busybox "$root/$applet"
done

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
app:x:1000:
GROUP
: >"$root/etc/hosts"
: >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
chmod 0644 "$root"/etc/*

mtime=${SOURCE_DATE_EPOCH:-$(stat -L -c %Y "$bb")}
tar_common=(--format=gnu --sort=name --numeric-owner "--mtime=@$mtime" -C "$root")
tmp_out="$out.tmp.$$"
tar -cf "$tmp_out" "${tar_common[@]}" --owner=0 --group=0 --exclude=./home/app .
tar -rf "$tmp_out" "${tar_common[@]}" --owner=1000 --group=1000 ./home/app
mv -f "$tmp_out" "$out"
echo "make-busybox-image: wrote $out ($(stat -c %s "$out") bytes, $("$bb" --list-full | wc -l) applets)" >&2

if [[ ${#import_cmd[@]} -gt 0 ]]; then
  "${import_cmd[@]}" import "$out" "$tag"
fi
