#!/usr/bin/env bats
# startup-libs.bats - container verbs load only what they need (issue 8):
# libarchive (with libxml2, ICU, libstdc++, nettle and the compressors) and
# libcrypto are in the image archive module (whalebox-archive.so), which
# only image verbs load.  Without the module, container verbs still work
# and image verbs fail with a clear error.

load helpers/common
load helpers/run

setup_file() {
  rt_setup_file
}

setup() {
  rt_setup
  DBG=$BATS_TEST_TMPDIR/ld
  mkdir -p "$DBG"
}

teardown() {
  rt_teardown
}

# Every object the dynamic loader opened in the processes `"$@"` started
# (whalebox, whalebox-monitor, container-exited), one per line: file=
# lines of LD_DEBUG=files, one output file per process.  The command must
# succeed (a verb that fails early loads little): its status is returned,
# and its stderr printed when it fails.
loaded_objects() {
  rm -f "$DBG"/out.*
  local rc=0
  LD_DEBUG=files LD_DEBUG_OUTPUT=$DBG/out "$@" >/dev/null 2>"$DBG/stderr" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "# $* exited $rc: $(cat "$DBG/stderr")" >&2
    return "$rc"
  fi
  cat "$DBG"/out.* 2>/dev/null | sed -n 's/.*[[:space:]]file=\([^[:space:]]*\).*/\1/p' | sort -u
}

assert_lean() {
  local what=$1 objs=$2 lib
  # The probe works: jansson is loaded by every whalebox process.
  assert_contains "$objs" "libjansson" || fail "($what: LD_DEBUG=files saw nothing?)"
  # (Not libstdc++: the sanitizer runtimes of an ASan build load it.)
  for lib in libarchive libcrypto libxml2 libicu libnettle whalebox-archive; do
    assert_not_contains "$objs" "$lib" || fail "$what loaded $lib"
  done
}

@test "run, exec, ps, inspect, logs, stop, rm load neither libarchive nor libcrypto" {
  local objs cid
  objs=$(loaded_objects wbrun --rm busybox true) || fail "run --rm failed"
  assert_lean "run --rm" "$objs"

  objs=$(loaded_objects wbrun -d --name lean busybox sleep 60) || fail "run -d failed"
  assert_lean "run -d (with its monitor)" "$objs"
  cid=$(only_container_id)

  objs=$(loaded_objects wbx exec lean true) || fail "exec failed"
  assert_lean "exec" "$objs"
  for verb in ps inspect logs; do
    if [[ $verb == ps ]]; then
      objs=$(loaded_objects wbx ps -a) || fail "ps failed"
    else
      objs=$(loaded_objects wbx "$verb" lean) || fail "$verb failed"
    fi
    assert_lean "$verb" "$objs"
  done
  objs=$(loaded_objects wbx stop -t 1 lean) || fail "stop failed"
  assert_lean "stop (and container-exited)" "$objs"
  objs=$(loaded_objects wbx rm -f "$cid") || fail "rm failed"
  assert_lean "rm" "$objs"
  rt_assert_clean "rm"
}

@test "image verbs load the archive module, and libarchive with it" {
  local objs
  objs=$(loaded_objects wbx save -o "$BATS_TEST_TMPDIR/bb.tar" busybox) || fail "save failed"
  assert_contains "$objs" "whalebox-archive.so"
  assert_contains "$objs" "libarchive"
  assert_contains "$objs" "libcrypto"
  [[ -s "$BATS_TEST_TMPDIR/bb.tar" ]] || fail "save wrote nothing"
}

# The module the installed layout would find; the tests need it absent.
installed_module() {
  meson introspect --installed "$WB_BUILD_DIR" 2>/dev/null |
    jq -r 'to_entries[] | select(.key | endswith("/whalebox-archive.so")) | .value'
}

# $1/whalebox: a copy of whalebox alone in a directory (nothing next to it)
# behind a wrapper that runs it in a mount namespace of its own, where an
# empty tmpfs hides the installed module's directory $2 when the host has
# one: the host's installation is the scratch prefix's, without the
# module, on every machine, and nothing is mounted on the host.
without_module() {
  local dir=$1 pkglib=$2
  mkdir -p "$dir/real"
  cp "$WB_BIN" "$dir/real/whalebox"
  cat >"$dir/whalebox" <<EOS
#!/bin/sh
exec unshare -m --propagation private -- sh -c '
  if [ -d "\$0" ]; then mount -t tmpfs -o mode=0755,size=64k wb-no-module "\$0" || exit 125; fi
  exec "\$@"' "$pkglib" "$dir/real/whalebox" "\$@"
EOS
  chmod +x "$dir/whalebox"
}

@test "without the archive module image verbs fail with 125 and say why; run still works" {
  local installed bin=$BATS_TEST_TMPDIR/bin
  installed=$(installed_module)
  [[ -n "$installed" ]] || fail "the build installs no whalebox-archive.so"
  without_module "$bin" "$(dirname "$installed")"
  local before
  before=$(tree_listing "$ROOT")
  WB_BIN=$bin/whalebox

  run --separate-stderr wbx import "$RT_BUSYBOX_TAR" other
  assert_error_line 125 "image archive support is not available: $installed: cannot open shared object file"
  run --separate-stderr wbx save -o "$BATS_TEST_TMPDIR/out.tar" busybox
  assert_error_line 125 "save: image archive support is not available"
  [[ ! -e "$BATS_TEST_TMPDIR/out.tar" ]] || fail "save left $BATS_TEST_TMPDIR/out.tar"
  run --separate-stderr wbx load -i "$RT_BUSYBOX_TAR"
  assert_error_line 125 "load: image archive support is not available"
  assert_equal "$(tree_listing "$ROOT")" "$before"

  # Container verbs do not need it.
  run --separate-stderr wbrun --rm busybox echo still-runs
  assert_status 0
  assert_equal "$output" "still-runs"
  rt_assert_clean "run without the module"

  # commit and export need it too, and create nothing without it.
  local images
  images=$(wbx images -q --no-trunc) || fail "images failed"
  [[ "$images" =~ ^(sha256:)?[0-9a-f]{64}$ ]] || fail "expected the one busybox image, got:" "$images"
  wbrun --name c1 busybox true
  run --separate-stderr wbx commit c1 img
  assert_error_line 125 "image archive support is not available"
  run --separate-stderr wbx export -o "$BATS_TEST_TMPDIR/exp.tar" c1
  assert_error_line 125 "image archive support is not available"
  [[ ! -e "$BATS_TEST_TMPDIR/exp.tar" ]] || fail "export left $BATS_TEST_TMPDIR/exp.tar"
  run --separate-stderr wbx images -q --no-trunc
  assert_status 0
  assert_equal "$output" "$images"
  wbx rm c1
}
