#!/usr/bin/env bash
# Integration test of the dns-primary-git layout: a repository with zone files named by their
# zone and `_keys` files at its root is served as it is by `robur serve dns`, and
# `robur zone import-repo` moves it to zones/ and keys/ in one commit, keeping each file's
# text. A source with a broken zone imports nothing.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
require_tool dig

scratch_dir import-repo
server_pid=
on_exit() {
    stop_process "$server_pid"
}

git_env_identity "robur test" test@robur.invalid

flat="$scratch/flat"
mkdir -p "$flat"
cat >"$flat/example.com" <<'ZONE'
; kept by the import: a comment in the zone file
$ORIGIN example.com.
$TTL 300
@    IN SOA ns1 hostmaster 7 3600 900 604800 300
     IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   192.0.2.80
ZONE
cat >"$flat/example.org" <<'ZONE'
$ORIGIN example.org.
$TTL 300
@    IN SOA ns1.example.com. hostmaster.example.com. 3 3600 900 604800 300
     IN NS  ns1.example.com.
mail IN A   192.0.2.25
ZONE
echo 'host._update.example.com. DNSKEY 0 3 163 Ap1XpewqCkG4lscHVws4uVVYDh9XJnYm2BSVBLH3Sbk=' \
    >"$flat/example.com._keys"
echo '# zones of example.com and example.org' >"$flat/README.md"
git -C "$flat" init -q -b main
git -C "$flat" add -A
git -C "$flat" commit -q -m "Zones in the flat layout"

# Served as it is.
port=$(free_port)
"$ROBUR" --repo "$flat" serve dns --listen "127.0.0.1:$port" >"$scratch/serve.log" 2>&1 &
server_pid=$!
answer=
for _ in $(seq 1 100); do
    answer=$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$port" www.example.com A 2>/dev/null) && [ -n "$answer" ] && break
    sleep 0.05
done
[ "$answer" = "192.0.2.80" ] || fail "flat layout: www.example.com not served (got '$answer')"
answer=$(dig +short @127.0.0.1 -p "$port" mail.example.org A)
[ "$answer" = "192.0.2.25" ] || fail "flat layout: mail.example.org not served (got '$answer')"
grep -q "zones=2" "$scratch/serve.log" || fail "flat layout: README.md or _keys taken for a zone"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=

# Imported into a new repository without commits.
target="$scratch/target"
git init -q -b main "$target"
"$ROBUR" --repo "$target" zone import-repo "$flat" >"$scratch/import.out" 2>&1 ||
    fail "import-repo failed: $(cat "$scratch/import.out")"
[ "$(git -C "$target" rev-list --count HEAD)" = 1 ] || fail "import-repo made no single commit"
cmp -s "$flat/example.com" "$target/zones/example.com.zone" ||
    fail "zones/example.com.zone differs from the source file"
[ -f "$target/zones/example.org.zone" ] || fail "zones/example.org.zone missing"
cmp -s "$flat/example.com._keys" "$target/keys/example.com._keys" || fail "keys file not moved"
[ ! -e "$target/zones/README.md.zone" ] || fail "README.md imported as a zone"
"$ROBUR" --repo "$target" zone validate >/dev/null 2>&1 || fail "imported zones do not validate"

# Importing again would overwrite: refused, nothing changed.
head=$(git -C "$target" rev-parse HEAD)
if "$ROBUR" --repo "$target" zone import-repo "$flat" >"$scratch/again.out" 2>&1; then
    fail "second import-repo succeeded"
fi
grep -q "already exists" "$scratch/again.out" || fail "second import: no 'already exists' message"
[ "$(git -C "$target" rev-parse HEAD)" = "$head" ] || fail "second import moved the branch"

# A broken zone in the source: path:line message, nothing imported.
printf 'www IN A 192.0.2.300\n' >>"$flat/example.org"
git -C "$flat" commit -q -a -m "Break example.org"
other="$scratch/other"
"$ROBUR" init "$other" >/dev/null
git -C "$other" rm -q zones/example.com.zone
git -C "$other" commit -q -m "Remove the example zone"
head=$(git -C "$other" rev-parse HEAD)
if "$ROBUR" --repo "$other" zone import-repo "$flat" >"$scratch/broken.out" 2>&1; then
    fail "import-repo of a broken zone succeeded"
fi
grep -q "example.org:6:" "$scratch/broken.out" || fail "broken zone: no path:line message: $(cat "$scratch/broken.out")"
[ "$(git -C "$other" rev-parse HEAD)" = "$head" ] || fail "broken import moved the branch"

# A repository already in robur's layout is not imported.
if "$ROBUR" --repo "$other" zone import-repo "$target" >"$scratch/layout.out" 2>&1; then
    fail "import-repo of a robur repository succeeded"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "dns-primary-git layout served and imported"
