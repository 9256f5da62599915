#!/usr/bin/env bash
# style.sh - check every C file of core/, plugins/, include/ and tests/
# against the repository's .clang-format.  Exit 1, listing the files and the
# first diagnostics, when one is not formatted.  Fix with
#   clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v clang-format >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "style: installing clang-format" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang-format >&2
  else
    echo "style: clang-format is not installed (apt-get install clang-format)" >&2
    exit 1
  fi
fi

mapfile -t files < <(find core plugins include tests -type f -name '*.[ch]' 2>/dev/null | LC_ALL=C sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "style: no C files found under core/ plugins/ include/ tests/" >&2
  exit 1
fi

bad=()
for f in "${files[@]}"; do
  if ! out=$(clang-format --style=file --dry-run --Werror "$f" 2>&1); then
    bad+=("$f")
    printf '%s\n' "$out" | head -n 12 | sed 's/^/  /'
  fi
done

if [[ ${#bad[@]} -gt 0 ]]; then
  echo "style: ${#bad[@]} of ${#files[@]} files are not formatted by .clang-format:"
  printf '  %s\n' "${bad[@]}"
  echo "style: fix with: clang-format -i ${bad[*]}"
  exit 1
fi
echo "style: ${#files[@]} files formatted as .clang-format says"
