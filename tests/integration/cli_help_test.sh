#!/usr/bin/env bash
# Every command answers --help with exit 0, usage errors exit 2, and every man page renders
# without groff warnings.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
: "${ROBUR_SOURCE_DIR:?ROBUR_SOURCE_DIR must name the source tree}"

# Every command path, found by walking the "Subcommands:" lists of --help from the top.
discover() {
    local prefix=$1 output
    # shellcheck disable=SC2086 # the command words are split on purpose
    output=$("$ROBUR" $prefix --help 2>&1) || { fail "robur $prefix --help exited non-zero"; return; }
    grep -q "Usage:" <<<"$output" || fail "robur $prefix --help printed no usage line"
    commands+=("$prefix")
    local name
    while read -r name; do
        discover "${prefix:+$prefix }$name"
    done < <(sed -n '/^Subcommands:/,/^$/{/^  [a-z]/s/^  \([a-z0-9-]*\).*/\1/p}' <<<"$output")
}
commands=()
discover ""

set +e
"$ROBUR" --no-such-option >/dev/null 2>&1
status=$?
set -e
[ "$status" -eq 2 ] || fail "unknown option exited $status, expected 2"

set +e
"$ROBUR" no-such-command >/dev/null 2>&1
status=$?
set -e
[ "$status" -eq 2 ] || fail "unknown command exited $status, expected 2"

version=$("$ROBUR" --version)
grep -Eq '^robur [0-9]+\.[0-9]+\.[0-9]+$' <<<"$version" || fail "unexpected --version output: $version"

for page in "$ROBUR_SOURCE_DIR"/man/*.1; do
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
    if [ -n "$warnings" ]; then
        fail "$(basename "$page") renders with warnings: $warnings"
    fi
done

for page in robur robur-zone robur-serve robur-key robur-notify; do
    [ -f "$ROBUR_SOURCE_DIR/man/$page.1" ] || fail "man page $page.1 is missing"
done

# Every command is documented: "robur GROUP ..." in man/robur-GROUP.1 when that page exists,
# else in robur(1).
declare -A rendered=()
for page in "$ROBUR_SOURCE_DIR"/man/*.1; do
    rendered[$page]=$(LC_ALL=C MANWIDTH=250 man -l "$page" 2>/dev/null | tr -s ' ')
done
for command in "${commands[@]}"; do
    [ -n "$command" ] || continue
    page="$ROBUR_SOURCE_DIR/man/robur-${command%% *}.1"
    [ -f "$page" ] || page="$ROBUR_SOURCE_DIR/man/robur.1"
    if ! grep -qF "robur $command" <<<"${rendered[$page]}"; then
        fail "robur $command is not documented in $(basename "$page")"
    fi
done

checked=$(( 2 * ${#commands[@]} + 3 ))
if [ "$failures" -ne 0 ]; then
    echo "$((checked - failures)) passed, $failures failed"
    exit 1
fi
echo "$checked passed, 0 failed"
