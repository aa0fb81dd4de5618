#!/usr/bin/env bash
# Integration test of DNSSEC keys: `robur key dnssec new` commits BIND key files for each
# algorithm, `robur zone ds` agrees with dnssec-dsfromkey and ldns-key2ds, and BIND's
# dnssec-signzone signs a zone with the committed keys so that dnssec-verify and
# ldns-verify-zone accept the result. Everything runs on local files.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"

require_tool --install "bind9-utils, bind9 and ldnsutils" \
    git dnssec-signzone dnssec-verify dnssec-dsfromkey ldns-key2ds ldns-verify-zone

scratch_dir dnssec-keys
git_identity "Ada Admin" ada@example.net

# The rdata of DS lines ("... DS 12345 13 2 HEX"), in lower case and sorted, whatever the tool.
ds_rdata() {
    sed -n 's/.*[[:space:]]DS[[:space:]]\+//p' | tr '[:upper:]' '[:lower:]' | sort
}

# sign_and_verify NAME REPO [-z]: signs a copy of the repository's example.com zone with
# dnssec-signzone -S from keys/dnssec/example.com and checks it with dnssec-verify and
# ldns-verify-zone. -z signs every RRset with the KSK, which a zone with only a CSK needs.
sign_and_verify() {
    local name=$1 repo=$2 ksk_only=${3:-}
    local zone="$scratch/$name.zone"
    cp "$repo/zones/example.com.zone" "$zone"
    # -d keeps the dsset file that dnssec-signzone writes out of the current folder.
    # shellcheck disable=SC2086 # an empty option must vanish
    if ! dnssec-signzone -K "$repo/keys/dnssec/example.com" -d "$scratch" -o example.com -S \
        $ksk_only -f "$zone.signed" "$zone" >"$scratch/sign.log" 2>&1; then
        fail "$name: dnssec-signzone failed: $(cat "$scratch/sign.log")"
        return
    fi
    # shellcheck disable=SC2086
    dnssec-verify $ksk_only -o example.com "$zone.signed" >"$scratch/verify.log" 2>&1 \
        || fail "$name: dnssec-verify rejected the signed zone: $(cat "$scratch/verify.log")"
    ldns-verify-zone "$zone.signed" >"$scratch/verify.log" 2>&1 \
        || fail "$name: ldns-verify-zone rejected the signed zone: $(cat "$scratch/verify.log")"
}

for algorithm in ecdsap256sha256 ed25519 rsasha256; do
    echo "== $algorithm CSK"
    repo="$scratch/$algorithm"
    "$ROBUR" init "$repo" >/dev/null
    head_before=$(git -C "$repo" rev-parse HEAD)

    (cd "$repo" && "$ROBUR" key dnssec new example.com --algorithm "$algorithm" >/dev/null) \
        || fail "$algorithm: key dnssec new in the work tree failed"
    run_robur --repo "$repo" key dnssec new example.com --algorithm "$algorithm" --json
    [ "$status" -eq 0 ] || fail "$algorithm: key dnssec new exited $status: $err"
    tag=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key_tag"])' <<<"$out")
    flags=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["flags"])' <<<"$out")
    [ "$flags" = 257 ] || fail "$algorithm: CSK has flags $flags, expected 257"

    number=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dnskey"].split()[6])' \
        <<<"$out")
    stem=$(printf 'Kexample.com.+%03d+%05d' "$number" "$tag")
    key_file="$repo/keys/dnssec/example.com/$stem.key"
    private_file="$repo/keys/dnssec/example.com/$stem.private"
    [ -f "$key_file" ] || fail "$algorithm: $key_file is missing"
    [ -f "$private_file" ] || fail "$algorithm: $private_file is missing"
    [ "$(stat -c %a "$private_file")" = 600 ] || fail "$algorithm: .private is not mode 0600"

    # Two keys were made (one from the work tree, one with --repo): two commits, each
    # adding the two files of one key.
    [ "$(git -C "$repo" rev-list --count "$head_before"..HEAD)" = 2 ] \
        || fail "$algorithm: expected two new commits"
    subject=$(git -C "$repo" log -1 --format=%s)
    [[ "$subject" =~ ^Add\ DNSSEC\ CSK\ $tag\ for\ example\.com\ \([A-Z0-9]+\)$ ]] \
        || fail "$algorithm: unexpected commit subject: $subject"
    [ "$(git -C "$repo" show --name-only --format= HEAD | sort)" = \
        "keys/dnssec/example.com/$stem.key"$'\n'"keys/dnssec/example.com/$stem.private" ] \
        || fail "$algorithm: the commit does not hold exactly the two key files"
    [ -z "$(git -C "$repo" status --porcelain)" ] \
        || fail "$algorithm: work tree not clean: $(git -C "$repo" status --porcelain)"

    run_robur --repo "$repo" zone ds example.com
    [ "$status" -eq 0 ] || fail "$algorithm: zone ds exited $status: $err"
    ours=$(ds_rdata <<<"$out")
    bind=$(for f in "$repo"/keys/dnssec/example.com/K*.key; do dnssec-dsfromkey -2 "$f"; done \
        | ds_rdata)
    ldns=$(for f in "$repo"/keys/dnssec/example.com/K*.key; do ldns-key2ds -n -2 "$f"; done \
        | ds_rdata)
    [ "$ours" = "$bind" ] || fail "$algorithm: zone ds differs from dnssec-dsfromkey: $ours / $bind"
    [ "$ours" = "$ldns" ] || fail "$algorithm: zone ds differs from ldns-key2ds: $ours / $ldns"

    run_robur --repo "$repo" zone ds example.com --digest sha384
    ours=$(ds_rdata <<<"$out")
    bind=$(for f in "$repo"/keys/dnssec/example.com/K*.key; do
        dnssec-dsfromkey -a SHA-384 "$f"
    done | ds_rdata)
    [ "$ours" = "$bind" ] || fail "$algorithm: SHA-384 DS differs from dnssec-dsfromkey"

    sign_and_verify "$algorithm" "$repo" -z
done

echo "== KSK and ZSK"
repo="$scratch/pair"
"$ROBUR" init "$repo" >/dev/null
run_robur --repo "$repo" key dnssec new example.com --ksk
[ "$status" -eq 0 ] || fail "--ksk exited $status: $err"
[[ "$out" == *"KSK"* ]] || fail "--ksk did not name the role: $out"
[[ "$out" == *" IN DS "* ]] || fail "--ksk printed no DS record: $out"
run_robur --repo "$repo" key dnssec new example.com --zsk
[ "$status" -eq 0 ] || fail "--zsk exited $status: $err"
[[ "$out" != *" DS "* ]] || fail "--zsk printed a DS record: $out"
git -C "$repo" log -1 --format=%s | grep -q '^Add DNSSEC ZSK ' || fail "ZSK commit subject"
run_robur --repo "$repo" zone ds example.com
[ "$(wc -l <<<"$out")" = 1 ] || fail "zone ds printed more than the KSK's DS: $out"
sign_and_verify pair "$repo"

echo "== errors"
run_robur --repo "$repo" key dnssec new example.org
[ "$status" -eq 1 ] || fail "unknown zone exited $status, expected 1"
[[ "$err" == *"example.org"* ]] || fail "the error does not name the zone: $err"
run_robur --repo "$repo" key dnssec new example.com --algorithm rsasha1
[ "$status" -eq 2 ] || fail "an unsupported algorithm exited $status, expected 2"
run_robur --repo "$repo" key dnssec new example.com --ksk --zsk
[ "$status" -eq 2 ] || fail "--ksk --zsk exited $status, expected 2"
run_robur --repo "$repo" zone ds example.com --digest sha1
[ "$status" -eq 2 ] || fail "--digest sha1 exited $status, expected 2"
run_robur --repo "$repo" zone ds example.org
[ "$status" -eq 1 ] || fail "zone ds without keys exited $status, expected 1"
run_robur --repo "$repo" zone ds example.com --rev HEAD~2
[ "$status" -eq 1 ] || fail "zone ds before the first key exited $status, expected 1"
run_robur --repo "$repo" zone ds example.com --rev HEAD~1 --json
[ "$status" -eq 0 ] || fail "zone ds --rev HEAD~1 exited $status: $err"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["ds"]) == 1, d' <<<"$out" \
    || fail "zone ds --json: unexpected output: $out"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all DNSSEC key checks passed"
