#!/usr/bin/env bash
# robur hooks install: the pre-receive hook accepts a valid push and rejects an invalid one
# with path:line messages, leaving the branch where it was. The post-receive hook sends a
# NOTIFY for the zones a push to the served branch changed to hooks.notify-server, here a
# small UDP responder of this test on 127.0.0.1, and never fails the push.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
require_tool git

scratch_dir hooks
responder_pid=
on_exit() {
    stop_process "$responder_pid"
}
cd "$scratch"
git_env_identity Tester tester@example.com

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

cd "$scratch"
git init -q --bare other.git
printf '#!/bin/sh\nexit 0\n' >other.git/hooks/pre-receive
set +e
"$ROBUR" hooks install other.git 2>/dev/null
status=$?
set -e
check "foreign hook is not replaced" test "$status" -eq 1
check "foreign hook is left as it was" grep -q '^exit 0$' other.git/hooks/pre-receive
check "--force replaces a foreign hook" "$ROBUR" hooks install --force other.git

# Answers every datagram on a free port of 127.0.0.1 with the datagram itself, QR set: a
# NOERROR answer to a NOTIFY. Writes the port to the file $1 once it is bound.
start_responder() {
    /usr/bin/python3 -c '
import os, socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".new", "w") as out:
    out.write(str(sock.getsockname()[1]))
os.rename(sys.argv[1] + ".new", sys.argv[1])
sock.settimeout(300)
while True:
    data, peer = sock.recvfrom(65535)
    answer = bytearray(data)
    answer[2] |= 0x80
    sock.sendto(bytes(answer), peer)
' "$1" &
    responder_pid=$!
    for _ in $(seq 100); do
        if [ -s "$1" ]; then
            return 0
        fi
        kill -0 "$responder_pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "the UDP responder did not start" >&2
    return 1
}

cd "$scratch"
check "post-receive hook is installed" test -x server.git/hooks/post-receive
start_responder "$scratch/port"
port=$(cat "$scratch/port")
cd clone
git reset -q --hard origin/main

git config -f robur.conf hooks.notify-server "127.0.0.1:$port"
sed -i 's/2026010102 ;/2026010104 ;/' "$zone"
git commit -qam "Notify 127.0.0.1 after each push"
output=$(git push origin main 2>&1)
check "push with notify-server announces the changed zone" \
    grep -q "example.com: NOTIFY answered by 127.0.0.1:$port (NOERROR) after 1 attempt" <<<"$output"

git config -f robur.conf dns.threads 2
git commit -qam "Change only robur.conf"
output=$(git push origin main 2>&1)
check "push without zone changes notifies nothing" grep -q "no zone changed in" <<<"$output"

sed -i 's/2026010104 ;/2026010105 ;/' "$zone"
git commit -qam "A change on another branch"
output=$(git push origin HEAD:refs/heads/other 2>&1)
check "push to a branch that is not served notifies nothing" \
    test -z "$(grep -i notify <<<"$output" || true)"
git reset -q --hard origin/main

kill "$responder_pid"
wait "$responder_pid" 2>/dev/null || true
responder_pid=
sed -i 's/2026010104 ;/2026010106 ;/' "$zone"
git commit -qam "Push while the server is down"
set +e
output=$(git push origin main 2>&1)
status=$?
set -e
check "push succeeds when the NOTIFY is not answered" test "$status" -eq 0
check "unanswered NOTIFY is reported" grep -q "NOTIFY to 127.0.0.1:$port failed" <<<"$output"
check "branch moved despite the failed NOTIFY" \
    test "$(git -C ../server.git rev-parse main)" = "$(git rev-parse HEAD)"

git config -f robur.conf --unset hooks.notify-server
sed -i 's/2026010106 ;/2026010107 ;/' "$zone"
git commit -qam "Stop notifying"
output=$(git push origin main 2>&1)
check "push without notify-server sends nothing" \
    test -z "$(grep -i notify <<<"$output" || true)"
cd "$scratch"

echo "$passed passed, $failed failed"
test "$failed" -eq 0
