#!/usr/bin/env bash
# Integration test of `robur vpn validate` on a fixture repository built here. It covers every
# VPN, named VPNs, a config on disk with an include and a referenced file, --json and --rev. It
# checks the exit codes 0 (valid, warnings allowed), 1 (errors or a missing VPN) and 2 (usage),
# and that validation leaves the repository as it was.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"

scratch_dir vpn-validate
git_identity "VPN Tester" "vpn@example.com"

# Runs robur and compares its exit code; output goes to $scratch/out and $scratch/err.
expect_exit() {
    local expected=$1
    shift
    local actual=0
    "$ROBUR" "$@" >"$scratch/out" 2>"$scratch/err" || actual=$?
    if [ "$actual" -ne "$expected" ]; then
        fail "robur $* exited $actual, expected $expected; stderr: $(cat "$scratch/err")"
    fi
}

expect_in() {
    local file=$1 text=$2
    grep -qF -- "$text" "$file" || fail "expected '$text' in $(basename "$file"): $(cat "$file")"
}

repo="$scratch/repo"
git init -q "$repo"
cd "$repo"
"$ROBUR" init >/dev/null
"$ROBUR" vpn new office >/dev/null
"$ROBUR" vpn new lab >/dev/null
good_head=$(git rev-parse HEAD)

# Every VPN of HEAD, then one by name.
expect_exit 0 vpn validate
expect_in "$scratch/out" "vpn/office: valid"
expect_in "$scratch/out" "vpn/lab: valid"
expect_exit 0 --json vpn validate office
expect_in "$scratch/out" '"target": "vpn/office", "valid": true'

# A broken server config committed on top: an extra parameter on line 2 and an unknown option.
printf 'verb 3\nverb 4 5\nfrobnicate yes\n' >>vpn/lab/server.conf
lines=$(wc -l <vpn/lab/server.conf)
git commit -qam "Break lab"
broken_head=$(git rev-parse HEAD)
broken_status=$(git status --porcelain)
expect_exit 1 vpn validate
expect_in "$scratch/out" "vpn/office: valid"
expect_in "$scratch/out" "vpn/lab: invalid"
expect_in "$scratch/err" "vpn/lab/server.conf:$((lines - 1)): error: Unrecognized option or missing or extra parameter(s): verb"
expect_in "$scratch/err" "vpn/lab/server.conf:$lines: error: Unrecognized option or missing or extra parameter(s): frobnicate"
expect_exit 1 --json vpn validate lab
expect_in "$scratch/out" '"valid": false'
expect_in "$scratch/out" "\"line\": $lines, \"severity\": \"error\""
expect_exit 0 vpn validate office
expect_exit 0 vpn validate --rev "$good_head" lab

# Missing VPNs and invalid names.
expect_exit 1 vpn validate nosuch
expect_in "$scratch/err" "nosuch"
expect_exit 2 vpn validate ../etc
expect_exit 2 vpn validate --no-such-option

# A config on disk: its include and its files resolve against its folder.
disk="$scratch/disk"
mkdir -p "$disk/keys"
cp vpn/office/pki/tls-crypt.key "$disk/keys/tls.key"
printf 'verb 3\n' >"$disk/common.conf"
printf 'dev tun\nclient\nremote 192.0.2.1 1194\nconfig common.conf\ntls-crypt keys/tls.key\n' \
    >"$disk/client.conf"
expect_exit 0 vpn validate --file "$disk/client.conf"
printf 'config missing.conf\n' >>"$disk/client.conf"
expect_exit 1 vpn validate --file "$disk/client.conf"
expect_in "$scratch/err" "$disk/client.conf:6: error: Error opening configuration file: missing.conf"
expect_exit 1 vpn validate --file "$disk/absent.conf"

# Nothing above changed the repository.
[ "$(git rev-parse HEAD)" = "$broken_head" ] || fail "validate moved HEAD"
[ "$(git status --porcelain)" = "$broken_status" ] || fail "validate changed the work tree"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "vpn validate: all checks passed"
