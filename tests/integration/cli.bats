#!/usr/bin/env bats
# cli.bats - the command line (issue 13, part 5): long options only when
# spelled in full, for every verb and every option it documents (the lists
# come from each verb's --help, so a new verb or option is covered without
# editing this file); the seed tool's single-dash spellings; `help`; a
# command that is missing, a terminal that is not there, a name too long:
# Docker's message and exit code, and nothing left behind.

load helpers/common
load helpers/run

setup_file() {
  rt_setup_file
}

setup() {
  rt_setup
}

teardown() {
  rt_teardown
}

# The commands `whalebox --help` lists.
listed_commands() {
  wbx --help | awk '/^Commands:/ { on = 1; next } on && !NF { exit } on { print $1 }'
}

# The subcommands a group's help lists ("image ls"), one per line.
listed_subcommands() {
  awk '/^Commands:/ { on = 1; next } on && !NF { on = 0 } on { print $1 }' <<<"$1"
}

# The long options a help text documents, one per line.
documented_options() {
  grep -oE -- '--[a-z][a-z0-9-]*' <<<"$1" | sort -u
}

# Every strict prefix ("--" and at least one letter) of each option in $2
# that is not itself one of them, tried on the command words in $1 (empty:
# the global flags) in both spellings, "--pre VALUE" and "--pre=VALUE":
# each must fail with 125 and "unknown flag: --pre".  Appends failures to
# $bad and counts the tries in $tried.
check_prefixes() {
  local words=$1 opts=$2 opt p n out rc value=$BATS_TEST_TMPDIR/flag-value
  local -a cmd
  read -r -a cmd <<<"$words"
  for opt in $opts; do
    for ((n = 3; n < ${#opt}; n++)); do
      p=${opt:0:n}
      grep -qx -- "$p" <<<"$opts" && continue
      for form in sep eq; do
        if [[ -z "$words" ]]; then
          if [[ $form == sep ]]; then
            out=$(wbx "$p" "$value" version 2>&1 >/dev/null) && rc=0 || rc=$?
          else
            out=$(wbx "$p=$value" version 2>&1 >/dev/null) && rc=0 || rc=$?
          fi
        elif [[ $form == sep ]]; then
          out=$(wbx "${cmd[@]}" "$p" "$value" 2>&1 >/dev/null) && rc=0 || rc=$?
        else
          out=$(wbx "${cmd[@]}" "$p=$value" 2>&1 >/dev/null) && rc=0 || rc=$?
        fi
        tried=$((tried + 1))
        [[ $rc -eq 125 && "$out" == "whalebox: unknown flag: $p;"* ]] ||
          bad+=("whalebox ${words:+$words }$p$([[ $form == sep ]] && echo " VALUE" || echo "=VALUE") -> $rc: $out")
      done
    done
  done
}

@test "an abbreviated long option is an unknown flag: every command, every option, every prefix" {
  local cmds c s help sub_help opts tried=0 seen=$BATS_TEST_TMPDIR/seen
  local -a bad=()
  : >"$seen"
  cmds=$(listed_commands)
  [[ $(wc -l <<<"$cmds") -gt 20 ]] || fail "too few commands in --help:" "$cmds"
  # The global flags.
  check_prefixes "" "$(documented_options "$(wbx --help)")"
  for c in $cmds; do
    help=$(wbx "$c" --help) || fail "'$c --help' failed"
    # Every command takes --help, documented or not.
    check_prefixes "$c" "$(printf '%s\n--help\n' "$(documented_options "$help")")"
    md5sum <<<"$help" >>"$seen"
    for s in $(listed_subcommands "$help"); do
      sub_help=$(wbx "$c" "$s" --help) || fail "'$c $s --help' failed"
      # "container run" is run: its parser is checked once.
      grep -qF "$(md5sum <<<"$sub_help")" "$seen" && continue
      md5sum <<<"$sub_help" >>"$seen"
      opts=$(printf '%s\n--help\n' "$(documented_options "$sub_help")")
      check_prefixes "$c $s" "$opts"
    done
  done
  echo "# $tried abbreviations tried" >&3
  [[ ${#bad[@]} -eq 0 ]] || fail "${#bad[@]} of $tried abbreviations were not refused:" "${bad[@]:0:20}"
  ((tried > 1000)) || fail "only $tried abbreviations tried"
  [[ -z "$(container_ids)" ]] || fail "a container was created"
}

@test "every long option in the parsers' tables is documented by some --help" {
  local all="" c s help names name missing=()
  all+=$(wbx --help)
  for c in $(listed_commands); do
    help=$(wbx "$c" --help)
    all+=$help
    for s in $(listed_subcommands "$help"); do
      all+=$(wbx "$c" "$s" --help)
    done
  done
  names=$(grep -ohE '\{"[a-z][a-z0-9-]*", *(no|required|optional)_argument' \
    "$WB_SOURCE_DIR"/core/main.c "$WB_SOURCE_DIR"/core/cli/*.c | cut -d'"' -f2 | sort -u)
  [[ $(wc -l <<<"$names") -gt 50 ]] || fail "too few options found in the sources:" "$names"
  for name in $names; do
    grep -qE -- "(^|[^a-z0-9-])--?$name([^a-z0-9-]|$)" <<<"$all" || missing+=("$name")
  done
  [[ ${#missing[@]} -eq 0 ]] || fail "options no --help mentions:" "${missing[@]}"
}

@test "full names and the seed tool's single-dash spellings still work" {
  local id
  id=$(wbrun -d -name seeded -cpushare 512 -cpuset 0 --pids-limit=64 \
    --memory 64m busybox sleep 60) || fail "run -d with -name, -cpushare, -cpuset failed"
  run --separate-stderr wbx inspect -f \
    '{{.Name}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.Memory}}' seeded
  assert_status 0
  assert_equal "$output" "/seeded 512 0 64 67108864"
  run --separate-stderr wbx update -cpushare 1024 -cpuset=0 seeded
  assert_status 0
  run --separate-stderr wbx inspect -f '{{.HostConfig.CpuShares}}' "$id"
  assert_equal "$output" "1024"
  # -u=USER as Docker reads it; -ti is -t -i (its terminal case is in
  # run-tty.bats): here stdin is no terminal, which only -t -i refuses.
  run --separate-stderr wbrun --rm -u=1000 -w=/tmp busybox sh -c 'id -u; pwd'
  assert_status 0
  assert_equal "$output" $'1000\n/tmp'
  run --separate-stderr wbrun --rm -ti busybox true </dev/null
  assert_error_line 1 "the input device is not a TTY"
  wbx rm -f "$id" >/dev/null
  rt_assert_clean "seed spellings"
}

@test "help COMMAND is COMMAND --help; help alone is --help" {
  local c s want
  run --separate-stderr wbx help
  assert_status 0
  assert_equal "$output" "$(wbx --help)"
  for c in $(listed_commands); do
    want=$(wbx "$c" --help)
    run --separate-stderr wbx help "$c"
    [[ $status -eq 0 ]] || fail "help $c exited $status" "$stderr"
    assert_equal "$output" "$want"
    for s in $(listed_subcommands "$want"); do
      run --separate-stderr wbx help "$c" "$s"
      [[ $status -eq 0 ]] || fail "help $c $s exited $status" "$stderr"
      assert_equal "$output" "$(wbx "$c" "$s" --help)"
    done
  done
  # Words after a command that has no subcommands are not run.
  run --separate-stderr wbx help run busybox touch /ran
  assert_status 0
  assert_equal "$output" "$(wbx run --help)"
  [[ -z "$(container_ids)" ]] || fail "help run created a container"
}

@test "help of an unknown command: 125 and one line" {
  run --separate-stderr wbx help frobnicate
  assert_error_line 125 "unknown command 'frobnicate'"
  assert_equal "$output" ""
}

@test "no command and none in the image: 125, docker's message, nothing left" {
  wbx import "$RT_BUSYBOX_TAR" nocmd >/dev/null || fail "import failed"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    for args in "--name n1 -v /data nocmd" "-d --name n2 -v /data nocmd" \
      "--rm -v named:/data nocmd" "--entrypoint= --name n3 busybox"; do
      # shellcheck disable=SC2086
      run --separate-stderr wbrun $args
      assert_error_line 125 "no command specified"
      assert_equal "$output" ""
      rt_assert_clean "run $args ($DRIVER)"
      assert_equal "$(wbx volume ls -q)" ""
    done
  done
  # The image's CMD, or a command given, runs.
  run --separate-stderr wbrun --rm nocmd echo given
  assert_status 0
  assert_equal "$output" "given"
}

@test "-i -t without a terminal on stdin: docker's message, exit 1, nothing left" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    for flags in "-it" "-ti" "-i -t" "--interactive --tty --rm" "-it --name tty1 -v /data"; do
      # shellcheck disable=SC2086
      run --separate-stderr wbrun $flags busybox sh -c 'echo ran' </dev/null
      assert_error_line 1 "the input device is not a TTY"
      assert_equal "$output" ""
      rt_assert_clean "run $flags ($DRIVER)"
      assert_equal "$(wbx volume ls -q)" ""
    done
    # A pipe is no terminal either: what it carries is not echoed back.
    run --separate-stderr bash -c 'echo typed | "$@"' _ "$WB_BIN" --config "$RT_CONF" \
      --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" --storage-driver "$DRIVER" \
      --cgroup-driver "$RT_CGDRIVER" run --cgroup-parent "$CGPARENT" --rm -it busybox cat
    assert_error_line 1 "the input device is not a TTY"
    assert_equal "$output" ""
    # As docker: -t alone, or -d, needs no terminal on stdin.
    run --separate-stderr wbrun --rm -t busybox echo t-only </dev/null
    assert_status 0
    assert_equal "$(tr -d '\r' <<<"$output")" "t-only"
    run --separate-stderr wbrun -d -it --name dit busybox sleep 30 </dev/null
    assert_status 0
    wbx rm -f dit >/dev/null
    rt_assert_clean "run ($DRIVER)"
  done
}

@test "exec -i -t without a terminal on stdin: docker's message, exit 1, nothing run" {
  local id
  id=$(wbrun -d busybox sleep 60) || fail "run -d failed"
  for flags in "-it" "-ti" "-i -t"; do
    # shellcheck disable=SC2086
    run --separate-stderr wbx exec $flags "$id" touch /ran </dev/null
    assert_error_line 1 "the input device is not a TTY"
    assert_equal "$output" ""
  done
  run --separate-stderr wbx exec "$id" test -e /ran
  assert_status 1
  # An unknown container is still that error first.
  run --separate-stderr wbx exec -it nosuchcontainer true </dev/null
  assert_error_line 125 "nosuchcontainer"
  # -t alone, or -d, needs no terminal on stdin.
  run --separate-stderr wbx exec -t "$id" sh -c 'tty' </dev/null
  assert_status 0
  assert_equal "$(tr -d '\r' <<<"$output")" "/dev/pts/0"
  run --separate-stderr wbx exec -d -it "$id" touch /ran-d </dev/null
  assert_status 0
  wbx rm -f "$id" >/dev/null
  rt_assert_clean "exec"
}

@test "a name of 129 characters: a message about its length, 125, nothing left" {
  local long128 long129
  long128=$(printf 'n%.0s' $(seq 128))
  long129=${long128}x
  run --separate-stderr wbrun --rm --name "$long129" busybox true
  assert_error_line 125 "129 characters, at most 128"
  assert_not_contains "$stderr" "[a-zA-Z0-9]"
  rt_assert_clean "129"
  run --separate-stderr wbrun --rm --name "bad/name" busybox true
  assert_error_line 125 "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
  run --separate-stderr wbrun --rm --name "$long128" busybox echo ok
  assert_status 0
  assert_equal "$output" "ok"
  rt_assert_clean "128"
}
