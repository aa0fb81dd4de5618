#!/usr/bin/env bash
# robur hooks install: the pre-receive hook accepts a valid push and rejects an invalid one
# with path:line messages, leaving the branch where it was.
set -euo pipefail

: "${ROBUR:?ROBUR must name the robur binary}"
command -v git >/dev/null || { echo "git not found, skipping"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.com

passed=0
failed=0
check() {
    local description=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "FAIL: $description" >&2
        failed=$((failed + 1))
    fi
}

"$ROBUR" init --bare server.git >/dev/null
"$ROBUR" hooks install server.git >/dev/null
check "hook is executable" test -x server.git/hooks/pre-receive
check "reinstalling replaces robur's own hook" "$ROBUR" hooks install server.git

git clone -q server.git clone
cd clone
zone=zones/example.com.zone

sed -i 's/2026010101 ;/2026010102 ;/' "$zone"
git commit -qam "Raise the serial"
check "valid push is accepted" git push -q origin main
accepted=$(git -C ../server.git rev-parse main)

sed -i 's/^mail .*IN A .*192\.0\.2\.25$/mail IN A 192.0.2.300/' "$zone"
sed -i 's/2026010102 ;/2026010103 ;/' "$zone"
git commit -qam "Break an address"
set +e
output=$(git push origin main 2>&1)
status=$?
set -e
check "invalid push is rejected" test "$status" -ne 0
check "rejection names path, line and value" \
    grep -q 'zones/example.com.zone:[0-9]*: error: invalid IPv4 address "192.0.2.300"' <<<"$output"
check "branch unchanged after rejection" test "$(git -C ../server.git rev-parse main)" = "$accepted"

git reset -q --hard origin/main
echo "extra IN A 192.0.2.99" >>"$zone"
git commit -qam "Add a record without raising the serial"
set +e
output=$(git push origin main 2>&1)
status=$?
set -e
check "push without a serial increase is rejected" test "$status" -ne 0
check "rejection names the serial" grep -q 'is not greater than the previous serial' <<<"$output"
check "branch unchanged after serial rejection" \
    test "$(git -C ../server.git rev-parse main)" = "$accepted"

cd "$work"
git init -q --bare other.git
printf '#!/bin/sh\nexit 0\n' >other.git/hooks/pre-receive
set +e
"$ROBUR" hooks install other.git 2>/dev/null
status=$?
set -e
check "foreign hook is not replaced" test "$status" -eq 1
check "foreign hook is left as it was" grep -q '^exit 0$' other.git/hooks/pre-receive
check "--force replaces a foreign hook" "$ROBUR" hooks install --force other.git

echo "$passed passed, $failed failed"
test "$failed" -eq 0
