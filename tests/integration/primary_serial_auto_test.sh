#!/usr/bin/env bash
# Integration test of `serial = auto`: a commit that changes a zone's records without raising
# its serial makes `robur serve dns` commit a raised serial itself and serve it, while a zone
# under the default manual policy keeps its serial and gets no commit.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
require_tool dig

scratch_dir serial-auto
server_pid=
on_exit() {
    stop_process "$server_pid"
}

git_env_identity "robur test" test@robur.invalid

serial_of() {
    dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" "$1" SOA 2>/dev/null | awk '{print $3}'
}

# wait_for_serial ZONE WANTED: polls for up to 5 s.
wait_for_serial() {
    for _ in $(seq 1 100); do
        [ "$(serial_of "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

repo="$scratch/repo"
mkdir -p "$repo/zones"
for zone in auto.example manual.example; do
    printf '$TTL 300\n@ IN SOA ns1 hostmaster 5 3600 900 604800 300\n  IN NS ns1\nns1 IN A 127.0.0.1\n' \
        >"$repo/zones/$zone.zone"
done
printf '[zone "auto.example"]\n\tserial = auto\n' >"$repo/robur.conf"
git -C "$repo" init -q -b main
git -C "$repo" add -A
git -C "$repo" commit -q -m "Two zones"

port=$(free_port)
"$ROBUR" --repo "$repo" serve dns --listen "127.0.0.1:$port" >"$scratch/serve.log" 2>&1 &
server_pid=$!
wait_for_serial auto.example. 5 || fail "server did not start serving serial 5"

for zone in auto.example manual.example; do
    echo "www IN A 127.0.0.2" >>"$repo/zones/$zone.zone"
done
git -C "$repo" commit -q -a -m "Add www without raising the serials"

wait_for_serial auto.example. 6 || fail "auto.example: raised serial 6 not served: $(serial_of auto.example.)"
subject=$(git -C "$repo" log -1 --format=%s)
[ "$subject" = "Raise serial of auto.example to 6" ] || fail "last commit is '$subject'"
# The server may commit before `git rev-parse HEAD` could run here, so the commit is found
# by its subject.
previous=$(git -C "$repo" log -1 --format=%s HEAD~1)
[ "$previous" = "Add www without raising the serials" ] ||
    fail "the raise follows '$previous', not the commit that changed the records"
grep -q "5 3600 900" "$repo/zones/manual.example.zone" || fail "manual.example serial changed"
[ "$(serial_of manual.example.)" = 5 ] || fail "manual.example serves $(serial_of manual.example.), not 5"
[ -z "$(git -C "$repo" status --porcelain)" ] || fail "work tree not clean after the raise"

if [ "$failures" -ne 0 ]; then
    sed -n '1,40p' "$scratch/serve.log" >&2
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "serial = auto raised and served the serial"
