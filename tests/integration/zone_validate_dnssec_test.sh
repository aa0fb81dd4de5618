#!/usr/bin/env bash
# Integration test of `robur zone validate --dnssec`: the signed example zone of the corpus
# verifies, a zone signed by BIND's dnssec-signzone with a key from `robur key dnssec new`
# verifies, one flipped RRSIG octet is an error naming the record, signatures that expire
# within --expiring-within are warnings, and an unsigned zone is an error.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
require_tool dnssec-signzone

scratch_dir validate-dnssec
git_env_identity "robur test" test@robur.invalid

# Replaces the run_robur of lib/common.sh: runs robur, storing stdout and stderr together and
# the exit status in $out and $status.
run_robur() {
    status=0
    out=$("$ROBUR" "$@" 2>&1) || status=$?
}

corpus="${ROBUR_CORPUS_DIR:-}/dns/ok/knot-rfc4035-example-nsec.signed"
if [ -f "$corpus" ]; then
    run_robur zone validate --dnssec --origin example. "$corpus"
    [ "$status" -eq 0 ] || fail "corpus RFC 4035 example zone rejected: $out"
else
    echo "corpus not found at ${ROBUR_CORPUS_DIR:-(unset)}, skipping the corpus zone"
fi

repo="$scratch/repo"
"$ROBUR" init "$repo" >/dev/null
"$ROBUR" --repo "$repo" key dnssec new example.com --algorithm ecdsap256sha256 --csk >/dev/null

# BIND signs the zone with robur's key; signatures valid for 30 days, one record per line.
signed="$scratch/example.com.signed"
(cd "$scratch" && dnssec-signzone -q -K "$repo/keys/dnssec/example.com" -o example.com -S -z \
    -e now+2592000 -O full -f "$signed" "$repo/zones/example.com.zone" >/dev/null)

run_robur zone validate --dnssec --origin example.com "$signed"
[ "$status" -eq 0 ] || fail "zone signed by dnssec-signzone rejected: $out"
grep -q "expire" <<<"$out" && fail "signatures valid for 30 days reported as expiring by default: $out"

run_robur zone validate --dnssec --expiring-within 40d --origin example.com "$signed"
[ "$status" -eq 0 ] || fail "expiring signatures made validation fail: $out"
grep -q "warning" <<<"$out" || fail "no warning for signatures expiring within 40 days: $out"

# Flip one base64 character of the signature of the www record's RRSIG.
tampered="$scratch/tampered.signed"
/usr/bin/python3 - "$signed" "$tampered" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
for index, line in enumerate(lines):
    fields = line.split()
    if len(fields) > 8 and fields[0].startswith("www.") and "RRSIG" in fields:
        last = fields[-1]
        fields[-1] = ("B" if last[0] != "B" else "C") + last[1:]
        lines[index] = " ".join(fields)
        break
else:
    sys.exit("no RRSIG on a www line found")
open(sys.argv[2], "w").write("\n".join(lines))
PY
run_robur zone validate --dnssec --origin example.com "$tampered"
[ "$status" -eq 1 ] || fail "tampered RRSIG accepted (exit $status): $out"
grep -q "www.example.com" <<<"$out" || fail "tampered RRSIG error does not name www.example.com: $out"

run_robur --repo "$repo" zone validate --dnssec
[ "$status" -eq 1 ] || fail "unsigned zone passed --dnssec (exit $status)"
grep -q "no DNSKEY" <<<"$out" || fail "unsigned zone: no 'no DNSKEY' message: $out"

run_robur --repo "$repo" zone validate --dnssec --expiring-within soon
[ "$status" -eq 2 ] || fail "bad --expiring-within exited $status, expected 2"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "robur zone validate --dnssec checks signatures"
