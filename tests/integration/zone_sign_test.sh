#!/usr/bin/env bash
# Integration test of `robur zone sign`. Signing commits the zone file with the user's text
# kept and a generated block that ldns-verify-zone and kzonecheck accept. Signing again after
# an edit renews only the changed RRset's signatures and raises the serial. NSEC3 options, the
# three algorithms and zones of the shared corpus sign and verify. Failures leave HEAD and the
# work tree as they were, and the pre-receive hook rejects a push with a bogus signature.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"

require_tool --install "git, ldnsutils and knot-dnssecutils" git ldns-verify-zone kzonecheck

scratch_dir zone-sign
git_identity "Ada Admin" ada@example.net

# verify_with_peers NAME FILE ORIGIN [PEERS]: the peers (default "ldns knot", empty for none)
# must accept the signed zone file.
verify_with_peers() {
    local name=$1 file=$2 origin=$3 peers=${4-ldns knot}
    if [[ " $peers " == *" ldns "* ]] && ! ldns-verify-zone "$file" >"$scratch/peer.log" 2>&1; then
        fail "$name: ldns-verify-zone rejects the signed zone: $(tail -5 "$scratch/peer.log")"
    fi
    if [[ " $peers " == *" knot "* ]] &&
        ! kzonecheck -o "$origin" -d on "$file" >"$scratch/peer.log" 2>&1; then
        fail "$name: kzonecheck rejects the signed zone: $(tail -5 "$scratch/peer.log")"
    fi
}

# The peers that read a corpus file as robur does. ldns 1.8.3 mishandles the second level of
# escaping in SVCB alpn values (RFC 9460 appendix A.1), and kzonecheck 3.2.6 rejects the SVCB
# record on line 16 of bind-good-svcb.db, so their verdict on those files is no evidence about
# the signer.
corpus_peers() {
    case "$1" in
    ok/bind-good-svcb.db) echo "" ;;
    ok/nsd-svcb-rfc9460-test-vectors.zone) echo "knot" ;;
    *) echo "ldns knot" ;;
    esac
}

# The state a failed command must leave alone: HEAD, the index and the work tree.
repo_state() {
    git -C "$1" rev-parse HEAD
    git -C "$1" status --porcelain
    find "$1" -path "$1/.git" -prune -o -type f -print0 | sort -z | xargs -0 sha256sum
}

# expect_failure NAME REPO EXPECTED_STATUS PATTERN ROBUR_ARGS...: the command fails with the
# status and a message matching PATTERN, and the repository is unchanged.
expect_failure() {
    local name=$1 repo=$2 expected=$3 pattern=$4
    shift 4
    local before
    before=$(repo_state "$repo")
    run_robur --repo "$repo" "$@"
    if [ "$status" -ne "$expected" ]; then
        fail "$name: exit status $status, expected $expected (stderr: $err)"
    fi
    if ! grep -q -- "$pattern" <<<"$err"; then
        fail "$name: stderr lacks \"$pattern\": $err"
    fi
    if [ "$(repo_state "$repo")" != "$before" ]; then
        fail "$name: the repository changed"
    fi
}

# RRSIG lines of a file, for comparing two signings.
rrsig_lines() {
    grep -P '\tRRSIG\t' "$1" | sort
}

repo="$scratch/repo"
zone="$repo/zones/example.com.zone"
"$ROBUR" init "$repo" >/dev/null

# --- Failures before the zone has keys.
expect_failure "no keys" "$repo" 1 "robur key dnssec new example.com" zone sign example.com
expect_failure "bad --salt" "$repo" 2 "invalid --salt" zone sign example.com --nsec3 --salt xyz
expect_failure "salt without NSEC3" "$repo" 2 "need NSEC3" zone sign example.com --salt ab
expect_failure "too many iterations" "$repo" 2 "invalid --iterations" \
    zone sign example.com --nsec3 --iterations 151
expect_failure "refresh not below validity" "$repo" 2 "must be shorter" \
    zone sign example.com --validity 5d --refresh 6d
expect_failure "unknown zone" "$repo" 1 "not found" zone sign example.org

"$ROBUR" --repo "$repo" key dnssec new example.com --ksk >/dev/null
"$ROBUR" --repo "$repo" key dnssec new example.com --zsk >/dev/null

# --- First signing.
head_before=$(git -C "$repo" rev-parse HEAD)
serial_before=$(grep -o '[0-9]\{10\} ; serial' "$zone" | cut -d' ' -f1)
run_robur --repo "$repo" zone sign example.com
if [ "$status" -ne 0 ]; then
    fail "first signing failed: $err"
fi
if [ "$(git -C "$repo" rev-parse HEAD~1)" != "$head_before" ]; then
    fail "first signing did not make one commit"
fi
subject=$(git -C "$repo" log -1 --format=%s)
if ! grep -q '^Sign example\.com\.: [0-9]* RRsets signed, 0 signatures kept, NSEC$' <<<"$subject"; then
    fail "unexpected commit subject: $subject"
fi
if [ -n "$(git -C "$repo" status --porcelain)" ]; then
    fail "the work tree differs from the commit after signing"
fi
if ! grep -q "^; Addresses of the zone's own name servers\.$" "$zone"; then
    fail "the comments of the zone file were not kept"
fi
if ! grep -q '^;; robur zone sign: ' "$zone"; then
    fail "the signed file has no marker line"
fi
serial_after=$(grep -o '[0-9]\{10\} ; serial' "$zone" | cut -d' ' -f1)
if [ "$serial_after" -le "$serial_before" ]; then
    fail "the serial was not raised: $serial_before -> $serial_after"
fi
verify_with_peers "first signing" "$zone" example.com
run_robur --repo "$repo" zone validate
if [ "$status" -ne 0 ]; then
    fail "robur zone validate rejects the signed zone: $err"
fi

# --- Signing again without a change commits nothing.
head_signed=$(git -C "$repo" rev-parse HEAD)
run_robur --repo "$repo" zone sign example.com
if [ "$status" -ne 0 ] || [ "$(git -C "$repo" rev-parse HEAD)" != "$head_signed" ]; then
    fail "signing an unchanged zone made a commit or failed: $err"
fi
if ! grep -q "no change" <<<"$out"; then
    fail "signing an unchanged zone did not say so: $out"
fi

# --- An edit renews only the edited RRset's signature (and the SOA's, for the serial).
cp "$zone" "$scratch/signed-1.zone"
sed -i 's/^\(mail *IN A *\)192\.0\.2\.25$/\1192.0.2.26/' "$zone"
git -C "$repo" commit -qam "Move mail to 192.0.2.26"
run_robur --repo "$repo" --json zone sign example.com
if [ "$status" -ne 0 ]; then
    fail "signing after an edit failed: $err"
fi
changed=$(comm -13 <(rrsig_lines "$scratch/signed-1.zone") <(rrsig_lines "$zone") |
    awk '{print $1, $5}' | sort | tr '\n' ' ')
if [ "$changed" != "example.com. SOA mail.example.com. A " ]; then
    fail "signing after an edit changed other signatures: $changed"
fi
if ! grep -q '"rrsets_signed":2,' <<<"$out" || ! grep -q '"serial_raised":true' <<<"$out"; then
    fail "unexpected JSON summary after an edit: $out"
fi
serial_edit=$(grep -o '[0-9]\{10\} ; serial' "$zone" | cut -d' ' -f1)
if [ "$serial_edit" -le "$serial_after" ]; then
    fail "the serial was not raised after an edit: $serial_after -> $serial_edit"
fi
verify_with_peers "after an edit" "$zone" example.com

# --- A raised serial is kept.
sed -i "s/$serial_edit ; serial/$((serial_edit + 5)) ; serial/" "$zone"
git -C "$repo" commit -qam "Raise the serial by hand"
run_robur --repo "$repo" zone sign example.com
if ! grep -q "$((serial_edit + 5)) ; serial" "$zone"; then
    fail "a serial the user raised was changed again"
fi

# --- A tampered block is not trusted: the bad signature is replaced.
sed -i '0,/\tRRSIG\tA 13 3/s/\(\tRRSIG\tA 13 3 [^ ]* [^ ]* [^ ]* [^ ]* [^ ]* \)[A-Za-z0-9+\/]\{4\}/\1AAAA/' "$zone"
git -C "$repo" commit -qam "Damage a signature"
if ldns-verify-zone "$zone" >/dev/null 2>&1; then
    fail "the damaged signature still verifies, so the test damaged nothing"
fi
run_robur --repo "$repo" zone sign example.com
verify_with_peers "after a damaged signature" "$zone" example.com

# --- NSEC3 with salt, iterations and opt-out.
run_robur --repo "$repo" zone sign example.com --nsec3 --salt ab12 --iterations 3 --opt-out
if [ "$status" -ne 0 ]; then
    fail "NSEC3 signing failed: $err"
fi
if ! grep -qP '^example\.com\.\t[0-9]+\tIN\tNSEC3PARAM\t1 0 3 (AB12|ab12)$' "$zone"; then
    fail "no NSEC3PARAM with the salt and iterations: $(grep NSEC3PARAM "$zone")"
fi
if ! grep -qP '\tNSEC3\t1 1 3 ' "$zone"; then
    fail "the NSEC3 records lack the opt-out flag"
fi
if grep -qP '\tNSEC\t' "$zone"; then
    fail "NSEC records remain after switching to NSEC3"
fi
verify_with_peers "NSEC3" "$zone" example.com

# --- NSEC3 from robur.conf, and --nsec overriding it.
printf '[zone "example.com"]\n\tnsec3 = yes\n\tnsec3-iterations = 0\n' >>"$repo/robur.conf"
git -C "$repo" commit -qam "Sign example.com with NSEC3"
run_robur --repo "$repo" zone sign example.com
if ! grep -qP '\tNSEC3PARAM\t1 0 0 -$' "$zone"; then
    fail "robur.conf's NSEC3 settings were not used: $(grep NSEC3PARAM "$zone")"
fi
run_robur --repo "$repo" zone sign example.com --nsec
if grep -q 'NSEC3' "$zone" || ! grep -qP '\tNSEC\t' "$zone"; then
    fail "--nsec did not replace the NSEC3 chain"
fi
verify_with_peers "--nsec" "$zone" example.com

# --- Failures after signing: an online zone and an invalid zone leave everything alone.
cp "$repo/robur.conf" "$scratch/robur.conf"
printf '\tdnssec = online\n' >>"$repo/robur.conf"
git -C "$repo" commit -qam "Sign example.com online"
expect_failure "online zone" "$repo" 1 "dnssec = online" zone sign example.com
cp "$scratch/robur.conf" "$repo/robur.conf"
git -C "$repo" commit -qam "Sign example.com offline again"

printf 'www2 IN CNAME www\nwww2 IN A 192.0.2.99\n' >>"$zone"
git -C "$repo" commit -qam "Break the zone"
expect_failure "invalid zone" "$repo" 1 "is invalid" zone sign example.com
git -C "$repo" revert --no-edit HEAD >/dev/null

# A work tree edit to the zone file makes the commit fail before anything is written.
echo "; an uncommitted note" >>"$zone"
before_dirty=$(git -C "$repo" rev-parse HEAD)
run_robur --repo "$repo" zone sign example.com --full
if [ "$status" -eq 0 ] || [ "$(git -C "$repo" rev-parse HEAD)" != "$before_dirty" ]; then
    fail "signing over an uncommitted edit did not fail cleanly (status $status)"
fi
git -C "$repo" checkout -q -- zones/example.com.zone

# --- Each algorithm, each as a CSK.
for algorithm in ecdsap256sha256 ed25519 rsasha256; do
    other="$scratch/repo-$algorithm"
    "$ROBUR" init "$other" >/dev/null
    "$ROBUR" --repo "$other" key dnssec new example.com --algorithm "$algorithm" >/dev/null
    run_robur --repo "$other" zone sign example.com
    if [ "$status" -ne 0 ]; then
        fail "$algorithm: signing failed: $err"
        continue
    fi
    verify_with_peers "$algorithm" "$other/zones/example.com.zone" example.com
done

# --- The pre-receive hook rejects a pushed zone with a bogus signature.
"$ROBUR" init --bare "$scratch/server.git" >/dev/null
"$ROBUR" hooks install "$scratch/server.git" >/dev/null
git -C "$repo" push -q "$scratch/server.git" main:main --force 2>"$scratch/push.log" ||
    fail "pushing the signed zone was rejected: $(cat "$scratch/push.log")"
sed -i '0,/\tRRSIG\tA 13 3/s/\(\tRRSIG\tA 13 3 [^ ]* [^ ]* [^ ]* [^ ]* [^ ]* \)[A-Za-z0-9+\/]\{4\}/\1AAAA/' "$zone"
sed -i "s/\([0-9]\{10\}\) ; serial/\1 ; serial/" "$zone"
serial_now=$(grep -o '[0-9]\{10\} ; serial' "$zone" | cut -d' ' -f1)
sed -i "s/$serial_now ; serial/$((serial_now + 1)) ; serial/" "$zone"
git -C "$repo" commit -qam "Damage a signature"
if git -C "$repo" push -q "$scratch/server.git" main:main 2>"$scratch/push.log"; then
    fail "a push with a damaged signature was accepted"
elif ! grep -q "zones/example.com.zone:[0-9]*: error: invalid RRSIG" "$scratch/push.log" ||
    ! grep -q "run robur zone sign example.com." "$scratch/push.log"; then
    fail "the rejection lacks the location or the hint: $(cat "$scratch/push.log")"
fi

# --- Zones of the shared corpus, through the CLI, with NSEC and with NSEC3.
corpus="${ROBUR_CORPUS_DIR:-}/dns"
if [ -z "${ROBUR_CORPUS_DIR:-}" ] || [ ! -f "$corpus/origins.txt" ]; then
    echo "corpus not found at ${ROBUR_CORPUS_DIR:-(ROBUR_CORPUS_DIR unset)}, skipping the corpus zones"
else
    signed_count=0
    while read -r path origin; do
        case "$path" in
        ok/*) ;;
        *) continue ;;
        esac
        name=$(basename "$path")
        corpus_repo="$scratch/corpus-$name"
        "$ROBUR" init "$corpus_repo" >/dev/null
        rm "$corpus_repo/zones/example.com.zone"
        git -C "$corpus_repo" commit -qam "Start without the example zone"
        run_robur --repo "$corpus_repo" zone import "$corpus/$path" --zone "$origin"
        if [ "$status" -ne 0 ]; then
            echo "$path: not imported, so not signed: $(head -1 <<<"$err")"
            continue
        fi
        "$ROBUR" --repo "$corpus_repo" key dnssec new "$origin" >/dev/null
        run_robur --repo "$corpus_repo" zone sign "$origin"
        if [ "$status" -ne 0 ]; then
            fail "$path: NSEC signing failed: $err"
            continue
        fi
        # Corpus files lack $ORIGIN and $TTL lines that the peers need, and peers fill in
        # missing TTLs differently, so they check the zone as robur reads and serves it.
        "$ROBUR" --repo "$corpus_repo" zone show "$origin" >"$scratch/export.zone"
        verify_with_peers "$path (NSEC)" "$scratch/export.zone" "$origin" "$(corpus_peers "$path")"
        run_robur --repo "$corpus_repo" zone sign "$origin" --nsec3 --full
        if [ "$status" -ne 0 ]; then
            fail "$path: NSEC3 signing failed: $err"
            continue
        fi
        "$ROBUR" --repo "$corpus_repo" zone show "$origin" >"$scratch/export.zone"
        verify_with_peers "$path (NSEC3)" "$scratch/export.zone" "$origin" "$(corpus_peers "$path")"
        run_robur --repo "$corpus_repo" zone validate
        if [ "$status" -ne 0 ]; then
            fail "$path: robur zone validate rejects the signed file: $err"
        fi
        signed_count=$((signed_count + 1))
    done <"$corpus/origins.txt"
    if [ "$signed_count" -lt 5 ]; then
        fail "only $signed_count corpus zones were signed"
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "zone sign: all checks passed"
