#!/usr/bin/env bash
# Integration test of DNSSEC key rollovers: a ZSK pre-publish and a KSK double-DS rollover run
# end to end in a scratch repository, stepping through time with --now. Each step is one
# commit, and a step run too early is rejected with the time it becomes allowed. After each
# step the zone is signed by ldns-signzone and by `robur zone sign`. Both results must pass
# ldns-verify-zone with exactly the expected keys in their DNSKEY RRset. BIND's
# dnssec-settime reads and edits the key files robur writes.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"

require_tool --install "ldnsutils and bind9-dnssec-utils" \
    git python3 ldns-signzone ldns-verify-zone dnssec-settime

scratch_dir dnssec-rollover
git_identity "Ada Admin" ada@example.net

# Replaces the run_robur of lib/common.sh: runs robur on the repository, storing stdout, stderr
# and the exit status in $out, $err and $status.
run_robur() {
    status=0
    "$ROBUR" --repo "$repo" "$@" >"$scratch/out" 2>"$scratch/err" || status=$?
    out=$(cat "$scratch/out")
    err=$(cat "$scratch/err")
}

# The time OFFSET seconds after the start of the test, as YYYYMMDDHHMMSS in UTC.
start=$(date -u +%s)
at() {
    date -u -d "@$((start + $1))" +%Y%m%d%H%M%S
}
hour=3600

# json_field EXPRESSION: evaluates a Python expression over the JSON in $out, bound to d.
json_field() {
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$out"
}

# Runs a rollover step at OFFSET and checks that it commits exactly one commit.
step() {
    local kind=$1 offset=$2
    shift 2
    local before
    before=$(git -C "$repo" rev-parse HEAD)
    run_robur --json key dnssec rollover rollover.test "--$kind" --now "$(at "$offset")" "$@"
    if [ "$status" -ne 0 ]; then
        fail "$kind rollover at +${offset}s exited $status: $err"
        return
    fi
    [ "$(git -C "$repo" rev-list --count "$before"..HEAD)" = 1 ] \
        || fail "$kind rollover at +${offset}s did not make exactly one commit"
    [ -z "$(git -C "$repo" status --porcelain)" ] \
        || fail "work tree not clean after the $kind step: $(git -C "$repo" status --porcelain)"
}

# Runs a step at OFFSET that must be rejected as too early, naming ALLOWED as its time.
early_step() {
    local kind=$1 offset=$2 allowed=$3
    shift 3
    local before
    before=$(git -C "$repo" rev-parse HEAD)
    run_robur key dnssec rollover rollover.test "--$kind" --now "$(at "$offset")" "$@"
    [ "$status" -eq 1 ] || fail "early $kind step at +${offset}s exited $status, expected 1"
    [[ "$err" == *"allowed from $allowed"* ]] \
        || fail "early $kind step does not name the time $allowed: $err"
    [ "$(git -C "$repo" rev-parse HEAD)" = "$before" ] \
        || fail "the rejected $kind step made a commit"
}

# The key tags of the DNSKEY records in a master file, sorted and space-separated.
dnskey_tags() {
    awk '$4 == "DNSKEY"' "$1" | python3 -c '
import base64
import sys

def key_tag(rdata):
    total = 0
    for i, octet in enumerate(rdata):
        total += octet if i % 2 else octet << 8
    return (total + (total >> 16)) & 0xFFFF

tags = []
for line in sys.stdin:
    fields = line.split()
    flags, protocol, algorithm = int(fields[4]), int(fields[5]), int(fields[6])
    header = bytes([flags >> 8, flags & 255, protocol, algorithm])
    tags.append(key_tag(header + base64.b64decode("".join(fields[7:]))))
print(" ".join(str(tag) for tag in sorted(tags)))'
}

# Checks a signed master file at OFFSET: ldns-verify-zone accepts it then, its DNSKEY RRset
# contains exactly the key tags EXPECTED, and no RRSIG is made by a key of RETIRED.
check_signed() {
    local file=$1 offset=$2 expected=$3 name=$4 retired=${5:-}
    ldns-verify-zone -t "$(at "$offset")" "$file" >"$scratch/verify.log" 2>&1 \
        || fail "$name: ldns-verify-zone rejected the zone: $(cat "$scratch/verify.log")"
    local tags
    tags=$(dnskey_tags "$file")
    [ "$tags" = "$expected" ] || fail "$name: DNSKEY RRset has keys $tags, expected $expected"
    for tag in $retired; do
        ! grep -q "RRSIG.* $tag rollover.test" "$file" || fail "$name: retired key $tag signs"
    done
}

# Signs the committed zone at OFFSET in two ways and checks both with check_signed:
# - ldns-signzone with the keys `robur key dnssec list` reports as active then, plus the
#   DNSKEYs of keys it reports as published or inactive, which checks the key states;
# - `robur zone sign --now`, which commits the signed zone as a user would.
sign_and_verify() {
    local offset=$1 expected=$2 name=$3 retired=${4:-}
    run_robur --json key dnssec list rollover.test --now "$(at "$offset")"
    [ "$status" -eq 0 ] || { fail "$name: key dnssec list exited $status: $err"; return; }

    # The user's part only: robur zone sign appends its records after a marker line.
    local zone="$scratch/$name.zone" signing=() published
    sed '/^;; robur zone sign:/,$d' "$repo/zones/rollover.test.zone" >"$zone"
    mapfile -t signing < <(json_field '"\n".join(d["keys"][i]["file"][:-4]
        for i in range(len(d["keys"])) if d["keys"][i]["state"] == "active")')
    published=$(json_field '"\n".join(k["file"] for k in d["keys"]
        if k["state"] in ("published", "inactive"))')
    for file in $published; do
        grep -v '^;' "$repo/$file" >>"$zone"
    done
    local keys=()
    for stem in "${signing[@]}"; do
        keys+=("$repo/$stem")
    done
    local inception expiration
    inception=$(at $((offset - hour)))
    expiration=$(at $((offset + 30 * 24 * hour)))
    if ldns-signzone -i "$inception" -e "$expiration" -o rollover.test -f "$zone.signed" \
        "$zone" "${keys[@]}" >"$scratch/sign.log" 2>&1; then
        check_signed "$zone.signed" "$offset" "$expected" "$name (ldns-signzone)" "$retired"
    else
        fail "$name: ldns-signzone failed: $(cat "$scratch/sign.log")"
    fi

    run_robur zone sign rollover.test --now "$(at "$offset")"
    if [ "$status" -ne 0 ]; then
        fail "$name: robur zone sign exited $status: $err"
        return
    fi
    # The committed file names no $ORIGIN, because robur takes it from the file name.
    # shellcheck disable=SC2016 # a literal $ORIGIN directive
    { echo '$ORIGIN rollover.test.'; cat "$repo/zones/rollover.test.zone"; } >"$zone.robur"
    check_signed "$zone.robur" "$offset" "$expected" "$name (robur zone sign)" "$retired"
}

sorted() {
    tr ' ' '\n' <<<"$*" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

repo="$scratch/repo"
"$ROBUR" init "$repo" >/dev/null
cat >"$scratch/rollover.test.zone" <<'ZONE'
$TTL 3600
@    IN SOA ns1 hostmaster 2026010101 7200 3600 1209600 300
@    IN NS  ns1
ns1  IN A   192.0.2.1
www  7200 IN A 192.0.2.2
ZONE
run_robur zone import "$scratch/rollover.test.zone"
[ "$status" -eq 0 ] || fail "zone import exited $status: $err"
cat >>"$repo/robur.conf" <<'CONF'
[zone "rollover.test"]
	dnssec = offline
	dnskey-ttl = 1h
	propagation-delay = 1h
	parent-ds-ttl = 2h
	parent-propagation-delay = 30m
CONF
git -C "$repo" commit -qam "Sign rollover.test offline"

run_robur --json key dnssec new rollover.test --ksk
ksk=$(json_field 'd["key_tag"]')
run_robur --json key dnssec new rollover.test --zsk
zsk=$(json_field 'd["key_tag"]')

echo "== list"
run_robur --json key dnssec list rollover.test --now "$(at 60)"
[ "$status" -eq 0 ] || fail "key dnssec list exited $status: $err"
[ "$(json_field '" ".join(k["role"] + ":" + k["state"] for k in d["keys"])' | tr ' ' '\n' \
    | sort | tr '\n' ' ')" = "KSK:active ZSK:active " ] || fail "unexpected key list: $out"
[ "$(json_field 'd["rollovers"][0]["next_step"]')" = 1 ] || fail "ZSK rollover not at step 1"
[ "$(json_field 'len(d["keys"][0]["ds"]) + len(d["keys"][1]["ds"])')" = 1 ] \
    || fail "expected one DS record, for the KSK: $out"
sign_and_verify 60 "$(sorted "$ksk" "$zsk")" start

echo "== ZSK pre-publish rollover"
step zsk $((1 * hour))
new_zsk=$(json_field 'd["new_key"]')
[ "$(json_field 'd["next_earliest"]')" = "$(at $((3 * hour)))" ] \
    || fail "ZSK step 2 should be allowed after DNSKEY TTL + propagation delay: $out"
sign_and_verify $((1 * hour + 60)) "$(sorted "$ksk" "$zsk" "$new_zsk")" zsk-step1
run_robur --json key dnssec list rollover.test --now "$(at $((1 * hour + 60)))"
[ "$(json_field '[k["state"] for k in d["keys"] if k["key_tag"] == '"$new_zsk"'][0]')" \
    = published ] || fail "the pre-published ZSK is not in state published: $out"

early_step zsk $((2 * hour)) "$(date -u -d "@$((start + 3 * hour))" '+%Y-%m-%d %H:%M:%S UTC')"
step zsk $((3 * hour))
# Step 3 waits for the largest TTL of the zone (www, 2h) plus the propagation delay (1h).
[ "$(json_field 'd["next_earliest"]')" = "$(at $((6 * hour)))" ] \
    || fail "ZSK step 3 should wait for the largest TTL + propagation delay: $out"
sign_and_verify $((3 * hour + 60)) "$(sorted "$ksk" "$zsk" "$new_zsk")" zsk-step2 "$zsk"

early_step zsk $((5 * hour)) "$(date -u -d "@$((start + 6 * hour))" '+%Y-%m-%d %H:%M:%S UTC')"
step zsk $((6 * hour))
[ "$(json_field 'd["next_step"]')" = None ] || fail "the ZSK rollover did not complete: $out"
[ ! -e "$repo/keys/dnssec/rollover.test/Krollover.test.+013+$(printf %05d "$zsk").key" ] \
    || fail "the old ZSK's files are still there"
sign_and_verify $((6 * hour + 60)) "$(sorted "$ksk" "$new_zsk")" zsk-step3 "$zsk"

echo "== KSK double-DS rollover"
base=$((7 * hour))
step ksk $base
new_ksk=$(json_field 'd["new_key"]')
[[ "$(json_field 'd["ds_to_add"][0]')" == *" DS $new_ksk 13 2 "* ]] \
    || fail "KSK step 1 did not print the new DS: $out"
sign_and_verify $((base + 60)) "$(sorted "$ksk" "$new_zsk")" ksk-step1
# The DS is published at the parent one hour after step 1: step 2 waits for the parent's DS
# TTL (2h) and propagation delay (30m) after that.
published_at=$(at $((base + hour)))
early_step ksk $((base + 3 * hour)) \
    "$(date -u -d "@$((start + base + 3 * hour + 1800))" '+%Y-%m-%d %H:%M:%S UTC')" \
    --ds-published-at "$published_at"
run_robur key dnssec rollover rollover.test --ksk --now "$(at $((base + 4 * hour)))" \
    --ds-published-at "$(at $((base - hour)))"
[ "$status" -eq 1 ] || fail "a DS published before the key was created exited $status"
step ksk $((base + 4 * hour)) --ds-published-at "$published_at"
sign_and_verify $((base + 4 * hour + 60)) "$(sorted "$new_ksk" "$new_zsk")" ksk-step2 "$ksk"
run_robur zone ds rollover.test
[ "$(wc -l <<<"$out")" = 2 ] || fail "both DS records should stay until step 3: $out"

early_step ksk $((base + 5 * hour)) \
    "$(date -u -d "@$((start + base + 6 * hour))" '+%Y-%m-%d %H:%M:%S UTC')"
step ksk $((base + 6 * hour))
[[ "$(json_field 'd["ds_to_remove"][0]')" == *" DS $ksk 13 2 "* ]] \
    || fail "KSK step 3 did not print the old DS to remove: $out"
run_robur zone ds rollover.test
[[ "$(wc -l <<<"$out")" = 1 && "$out" == *" DS $new_ksk "* ]] \
    || fail "only the new KSK's DS should remain: $out"
sign_and_verify $((base + 6 * hour + 60)) "$(sorted "$new_ksk" "$new_zsk")" ksk-step3

echo "== --force and usage errors"
step zsk $((14 * hour))
before=$(git -C "$repo" rev-parse HEAD)
run_robur key dnssec rollover rollover.test --zsk --now "$(at $((14 * hour)))" --force
[ "$status" -eq 0 ] || fail "--force exited $status: $err"
[[ "$err" == *"warning: --force"* ]] || fail "--force gave no warning: $err"
[ "$(git -C "$repo" rev-list --count "$before"..HEAD)" = 1 ] || fail "--force made no commit"
run_robur key dnssec rollover rollover.test
[ "$status" -eq 2 ] || fail "rollover without --zsk or --ksk exited $status, expected 2"
run_robur key dnssec rollover rollover.test --zsk --ksk
[ "$status" -eq 2 ] || fail "--zsk --ksk exited $status, expected 2"
run_robur key dnssec rollover rollover.test --zsk --now tomorrow
[ "$status" -eq 2 ] || fail "a malformed --now exited $status, expected 2"
run_robur key dnssec rollover rollover.test --zsk --ds-published-at "$(at 0)"
[ "$status" -eq 2 ] || fail "--ds-published-at with --zsk exited $status, expected 2"
run_robur key dnssec rollover example.org --zsk
[ "$status" -eq 1 ] || fail "an unknown zone exited $status, expected 1"

echo "== BIND's dnssec-settime on robur's files"
folder="$repo/keys/dnssec/rollover.test"
stem="Krollover.test.+013+$(printf %05d "$new_ksk")"
dnssec-settime -p all "$folder/$stem" >"$scratch/settime.out" 2>&1 \
    || fail "dnssec-settime cannot read robur's key: $(cat "$scratch/settime.out")"
grep -q '^Activate: .*20[0-9][0-9]$' "$scratch/settime.out" \
    || fail "dnssec-settime found no Activate time: $(cat "$scratch/settime.out")"
(cd "$folder" && dnssec-settime -R 20300101000000 -D 20300201000000 "$stem" >/dev/null 2>&1) \
    || fail "dnssec-settime cannot edit robur's key"
git -C "$repo" commit -qam "Schedule the revocation of KSK $new_ksk"
run_robur --json key dnssec list rollover.test --now 20300115000000
[ "$status" -eq 0 ] || fail "key dnssec list after dnssec-settime exited $status: $err"
[ "$(json_field '[k["timing"].get("Revoke") for k in d["keys"] if k["key_tag"] == '"$new_ksk"'][0]')" \
    = 20300101000000 ] || fail "robur did not read the Revoke time dnssec-settime wrote: $out"
[ "$(json_field '[k["state"] for k in d["keys"] if k["key_tag"] == '"$new_ksk"'][0]')" \
    = revoked ] || fail "the KSK is not revoked after its Revoke time: $out"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all DNSSEC rollover checks passed"
