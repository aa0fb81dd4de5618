#!/usr/bin/env bash
# Every command answers --help with exit 0, usage errors exit 2, and every man page renders
# without groff warnings.
set -euo pipefail

: "${ROBUR:?ROBUR must name the robur binary}"
: "${ROBUR_SOURCE_DIR:?ROBUR_SOURCE_DIR must name the source tree}"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

commands=(
    ""
    "init"
    "zone" "zone validate" "zone import" "zone import-repo" "zone list" "zone show" "zone export" "zone diff"
    "zone ds"
    "serve" "serve dns"
    "key" "key tsig" "key tsig new" "key dnssec" "key dnssec new"
    "hooks" "hooks install"
    "notify"
)
for command in "${commands[@]}"; do
    # shellcheck disable=SC2086 # the command words are split on purpose
    if ! output=$("$ROBUR" $command --help 2>&1); then
        fail "robur $command --help exited non-zero"
        continue
    fi
    if ! grep -q "Usage:" <<<"$output"; then
        fail "robur $command --help printed no usage line"
    fi
done

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

checked=$(( ${#commands[@]} + 3 ))
if [ "$failures" -ne 0 ]; then
    echo "$((checked - failures)) passed, $failures failed"
    exit 1
fi
echo "$checked passed, 0 failed"
