#!/usr/bin/env bash
# install-deps.sh - install what building and testing Whalebox needs, on
# Debian 12 as root.  Does nothing (and needs no network) when everything is
# already installed.  qemu for the cgroup-v2 VM tests is installed by the VM
# harness itself on first use.
set -euo pipefail

# The tests' tools: strace (run.bats, runroot.bats, limits.bats),
# setcap from libcap2-bin (userns.bats), chattr and lsattr from e2fsprogs
# (runroot.bats).  A test that lacks one skips, and tests/run.sh fails the
# run for that skip.
packages=(
  build-essential meson ninja-build pkg-config
  libconfig-dev libcap-dev libseccomp-dev libarchive-dev libjansson-dev
  libssl-dev libcmocka-dev
  bats busybox-static python3 jq zstd xz-utils bzip2 clang-format
  skopeo umoci
  strace libcap2-bin e2fsprogs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed'; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: run as root to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
