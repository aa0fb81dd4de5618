#!/usr/bin/env bash
# Runs `robur serve dns` on loopback against a fixture repository and checks it with dig and
# kdig: UDP and TCP answers, the AA flag, the IPv6 listener, truncation, reload after a commit,
# a broken commit that keeps the previous zone, a port in use, SIGHUP and SIGTERM.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
require_tool git dig kdig python3

scratch_dir serve-dns
server_pid=
on_exit() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
}

pass() {
    echo "ok: $*"
}

have_ipv6() {
    python3 -c 'import socket; socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' \
        2>/dev/null
}

# Polls until the server answers over UDP, at most 10 s.
wait_ready() {
    local port=$1
    for _ in $(seq 100); do
        if dig @127.0.0.1 -p "$port" +time=1 +tries=1 +short example.com SOA >/dev/null 2>&1 &&
            [ -n "$(dig @127.0.0.1 -p "$port" +time=1 +tries=1 +short example.com SOA)" ]; then
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            echo "server exited early; log:"
            cat "$scratch/server.log"
            return 1
        fi
        sleep 0.1
    done
    echo "server did not answer within 10 s; log:"
    cat "$scratch/server.log"
    return 1
}

# Polls until `dig ARGS +short` prints the expected line, at most 10 s.
wait_for_answer() {
    local expected=$1
    shift
    for _ in $(seq 100); do
        if dig "$@" +short +time=1 +tries=1 | grep -qxF "$expected"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

commit() {
    git -C "$scratch/repo" -c user.name=Test -c user.email=test@example.com commit -qam "$1"
}

# The fixture repository: one zone with a large TXT RRset for the truncation check.
mkdir -p "$scratch/repo/zones"
git -C "$scratch/repo" init -q -b main
{
    cat <<'ZONE'
$ORIGIN example.com.
$TTL 3600
@       IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300
@       IN NS   ns1.example.com.
ns1     IN A    192.0.2.1
www     IN A    192.0.2.10
www     IN AAAA 2001:db8::10
ZONE
    for i in $(seq 1 40); do
        echo "big     IN TXT  \"record $i of a large RRset that does not fit into 512 octets\""
    done
} >"$scratch/repo/zones/example.com.zone"
git -C "$scratch/repo" add -A
commit "Add example.com"

port=$(free_port)
listen=(--listen "127.0.0.1:$port")
ipv6=no
if have_ipv6; then
    ipv6=yes
    listen+=(--listen "[::1]:$port")
fi

"$ROBUR" serve dns --repo "$scratch/repo" "${listen[@]}" --threads 2 --poll-interval 200 \
    --tcp-idle-timeout 2 >"$scratch/server.log" 2>&1 &
server_pid=$!
wait_ready "$port"

if grep -q "dns server started listen=127.0.0.1:$port.* zones=1 serial=example.com./2024010101" \
    "$scratch/server.log"; then
    pass "start line logged"
else
    fail "start line missing"
fi

# UDP and TCP answers with AA set.
udp=$(dig @127.0.0.1 -p "$port" +norec www.example.com A)
if grep -q "flags: qr aa;" <<<"$udp" && grep -q "192.0.2.10" <<<"$udp"; then
    pass "UDP answer with AA"
else
    fail "UDP answer: $udp"
fi
tcp=$(dig @127.0.0.1 -p "$port" +tcp +norec www.example.com AAAA)
if grep -q "flags: qr aa;" <<<"$tcp" && grep -q "2001:db8::10" <<<"$tcp"; then
    pass "TCP answer with AA"
else
    fail "TCP answer: $tcp"
fi
if [ "$ipv6" = yes ]; then
    if [ "$(dig @::1 -p "$port" +short www.example.com A)" = 192.0.2.10 ] &&
        [ "$(dig @::1 -p "$port" +tcp +short www.example.com A)" = 192.0.2.10 ]; then
        pass "IPv6 listener over UDP and TCP"
    else
        fail "IPv6 listener"
    fi
else
    echo "skip: ::1 is unavailable, IPv6 listener not tested"
fi

# kdig sends both queries over one TCP connection.
kdig_output=$(kdig @127.0.0.1 -p "$port" +tcp +keepopen www.example.com A ns1.example.com A)
if grep -q "192.0.2.10" <<<"$kdig_output" && grep -q "192.0.2.1$" <<<"$kdig_output"; then
    pass "kdig two queries on one TCP connection"
else
    fail "kdig +keepopen: $kdig_output"
fi

# A response larger than the advertised 512 octets is truncated over UDP, whole over TCP.
truncated=$(dig @127.0.0.1 -p "$port" +bufsize=512 +ignore +norec big.example.com TXT)
if grep -Eq "flags:[a-z ]* tc[ ;]" <<<"$truncated"; then
    pass "UDP truncation at 512 octets"
else
    fail "no TC over UDP: $truncated"
fi
if [ "$(dig @127.0.0.1 -p "$port" +tcp +short big.example.com TXT | wc -l)" -eq 40 ]; then
    pass "whole RRset over TCP"
else
    fail "TXT RRset over TCP is not complete"
fi

# A commit to the branch is served within the bound of wait_for_answer.
echo 'new     IN A    192.0.2.20' >>"$scratch/repo/zones/example.com.zone"
sed -i 's/2024010101/2024010102/' "$scratch/repo/zones/example.com.zone"
commit "Add new.example.com"
if wait_for_answer 192.0.2.20 @127.0.0.1 -p "$port" new.example.com A; then
    pass "reload after commit"
else
    fail "new.example.com not served after the commit"
fi
if grep -q "zones reloaded commit=$(git -C "$scratch/repo" rev-parse --short=7 HEAD) changed=1" \
    "$scratch/server.log"; then
    pass "reload logged"
else
    fail "reload line missing"
fi

# A broken commit keeps the previous version and logs the file and line.
echo 'broken  IN A    300.1.1.1' >>"$scratch/repo/zones/example.com.zone"
sed -i 's/2024010102/2024010103/' "$scratch/repo/zones/example.com.zone"
commit "Break example.com"
broken_line=$(grep -n '^broken' "$scratch/repo/zones/example.com.zone" | cut -d: -f1)
logged=no
for _ in $(seq 100); do
    if grep -q "zone rejected, keeping previous version zone=example.com. .*zones/example.com.zone:$broken_line:" \
        "$scratch/server.log"; then
        logged=yes
        break
    fi
    sleep 0.1
done
if [ "$logged" = yes ]; then
    pass "broken zone rejected with path:line"
else
    fail "rejection with zones/example.com.zone:$broken_line not logged"
fi
if [ "$(dig @127.0.0.1 -p "$port" +short new.example.com A)" = 192.0.2.20 ] &&
    [ "$(dig @127.0.0.1 -p "$port" +short example.com SOA | cut -d' ' -f3)" = 2024010102 ]; then
    pass "previous version still served"
else
    fail "previous version not served after a broken commit"
fi

# Removing the file stops serving the zone, and a new file adds one.
git -C "$scratch/repo" rm -q zones/example.com.zone
mkdir -p "$scratch/repo/zones"
cat >"$scratch/repo/zones/example.org.zone" <<'ZONE'
$ORIGIN example.org.
$TTL 300
@   IN SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 300
@   IN NS  ns1.example.org.
ns1 IN A   192.0.2.53
ZONE
git -C "$scratch/repo" add zones/example.org.zone
commit "Replace example.com with example.org"
if wait_for_answer 192.0.2.53 @127.0.0.1 -p "$port" ns1.example.org A &&
    dig @127.0.0.1 -p "$port" www.example.com A | grep -q "status: REFUSED"; then
    pass "removed zone dropped, new zone served"
else
    fail "zone removal or addition not applied"
fi

# SIGHUP forces a reload of every zone.
kill -HUP "$server_pid"
reloaded=no
for _ in $(seq 100); do
    if grep -q "reload requested signal=SIGHUP" "$scratch/server.log" &&
        [ "$(grep -c 'zones reloaded' "$scratch/server.log")" -ge 4 ]; then
        reloaded=yes
        break
    fi
    sleep 0.1
done
if [ "$reloaded" = yes ]; then
    pass "SIGHUP reload"
else
    fail "SIGHUP did not reload"
fi

# A second server on the same port fails with exit status 1.
set +e
"$ROBUR" serve dns --repo "$scratch/repo" --listen "127.0.0.1:$port" >"$scratch/second.log" 2>&1
status=$?
set -e
if [ "$status" -eq 1 ] && grep -q "127.0.0.1:$port: Address already in use" "$scratch/second.log"; then
    pass "port in use exits 1"
else
    fail "port in use: status $status, $(cat "$scratch/second.log")"
fi

# SIGTERM stops the server with exit status 0.
kill -TERM "$server_pid"
set +e
wait "$server_pid"
status=$?
set -e
server_pid=
if [ "$status" -eq 0 ] && grep -q "dns server stopped" "$scratch/server.log"; then
    pass "SIGTERM exits 0"
else
    fail "SIGTERM: exit status $status"
fi

# A bare repository follows `git push`, also after `git gc` has packed the branch's ref.
git clone -q --bare "$scratch/repo" "$scratch/bare.git"
port=$(free_port)
"$ROBUR" serve dns --repo "$scratch/bare.git" --ref main --listen "127.0.0.1:$port" --threads 1 \
    --poll-interval 60000 >"$scratch/bare.log" 2>&1 &
server_pid=$!
wait_for_answer 192.0.2.53 @127.0.0.1 -p "$port" ns1.example.org A
echo 'www IN A 192.0.2.80' >>"$scratch/repo/zones/example.org.zone"
sed -i 's/ 1 7200 / 2 7200 /' "$scratch/repo/zones/example.org.zone"
commit "Add www.example.org"
git -C "$scratch/repo" push -q "$scratch/bare.git" main
if wait_for_answer 192.0.2.80 @127.0.0.1 -p "$port" www.example.org A; then
    pass "bare repository reloads after git push"
else
    fail "bare repository did not reload after git push"
fi
git -C "$scratch/bare.git" gc -q
echo 'mail IN A 192.0.2.25' >>"$scratch/repo/zones/example.org.zone"
sed -i 's/ 2 7200 / 3 7200 /' "$scratch/repo/zones/example.org.zone"
commit "Add mail.example.org"
git -C "$scratch/repo" push -q "$scratch/bare.git" main
if wait_for_answer 192.0.2.25 @127.0.0.1 -p "$port" mail.example.org A; then
    pass "reload after git gc and git push"
else
    fail "no reload after git gc and git push"
fi
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=

# A repository without zones/ is refused.
mkdir -p "$scratch/empty"
git -C "$scratch/empty" init -q -b main
echo "# robur" >"$scratch/empty/README"
git -C "$scratch/empty" add -A
git -C "$scratch/empty" -c user.name=Test -c user.email=test@example.com commit -qm "Start"
set +e
"$ROBUR" serve dns --repo "$scratch/empty" --listen "127.0.0.1:$(free_port)" >"$scratch/empty.log" 2>&1
status=$?
set -e
if [ "$status" -eq 1 ] && grep -q "has no zones/ folder" "$scratch/empty.log"; then
    pass "repository without zones/ exits 1"
else
    fail "repository without zones/: status $status, $(cat "$scratch/empty.log")"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed; server log:"
    cat "$scratch/server.log"
    exit 1
fi
echo "all checks passed"
