#!/usr/bin/env bash
# Integration test of the `robur zone` commands on fixture repositories built here: validate,
# import, list, show, export and diff, each with the bad input it must reject while leaving the
# repository exactly as it was (HEAD, `git status` and every file).
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/repository_checks.sh"

scratch_dir zone
git_identity "Zone Tester" "zones@example.com"

zone_text() { # zone_text SERIAL [EXTRA_LINE...]
    local serial=$1
    shift
    printf '$TTL 300\n@ IN SOA ns1 hostmaster %s 3600 600 86400 300\n@ IN NS ns1\nns1 IN A 192.0.2.1\n' \
        "$serial"
    local line
    for line in "$@"; do
        printf '%s\n' "$line"
    done
}

# A repository with a work tree: example.com includes zones/hosts.inc, example.org has no include.
repo="$scratch/repo"
git init -q "$repo"
mkdir -p "$repo/zones"
zone_text 1 '$INCLUDE hosts.inc' >"$repo/zones/example.com.zone"
echo 'www IN A 192.0.2.80' >"$repo/zones/hosts.inc"
zone_text 7 '; a comment that import and export keep' 'mail IN A 192.0.2.25' \
    >"$repo/zones/example.org.zone"
git -C "$repo" add -A
git -C "$repo" commit -q -m "Add zones"
cd "$repo"

echo "== validate: every zone of the work tree"
expect_ok zone validate
expect_text "$out" "zones/example.com.zone: zone example.com. is valid (serial 1, 4 records" "validate"
expect_text "$out" "zones/example.org.zone: zone example.org. is valid (serial 7" "validate"
expect_ok zone validate --json
expect_json "$out" "validate --json"
expect_text "$out" "[]" "validate --json of valid zones"
expect_ok zone validate example.com
expect_ok zone validate EXAMPLE.COM.
expect_ok zone validate zones/example.com.zone
expect_ok --repo "$repo" zone validate

echo "== validate: an edit of the included file alone needs a new serial"
echo 'www2 IN A 192.0.2.81' >>zones/hosts.inc
expect_rejection "$repo" 1 "zones/example.com.zone:2: error: serial 1 is not greater than the previous serial 1" \
    zone validate
expect_text "$out" "zone example.com. is invalid" "validate after an include edit"
run_robur zone validate --json
check
[ "$status" -eq 1 ] || fail "validate --json of an invalid zone exited $status"
expect_json "$out" "validate --json of an invalid zone"
expect_text "$out" '"path": "zones/example.com.zone", "line": 2' "validate --json location"
expect_text "$out" '"severity": "error"' "validate --json severity"
expect_text "$out" '"zone": "example.com."' "validate --json zone"
sed -i 's/hostmaster 1 /hostmaster 2 /' zones/example.com.zone
expect_ok zone validate
expect_ok zone validate --previous HEAD
git -C "$repo" checkout -q -- zones

echo "== validate: faults inside an included file name that file"
echo 'www IN CNAME ns1' >>zones/hosts.inc
sed -i 's/hostmaster 1 /hostmaster 2 /' zones/example.com.zone
expect_rejection "$repo" 1 "zones/hosts.inc:2: error: CNAME and other data at www.example.com." \
    zone validate example.com
git -C "$repo" checkout -q -- zones

echo "== validate: bad input"
expect_rejection "$repo" 1 "missing/example.com.zone not found" zone validate missing/example.com.zone
expect_rejection "$repo" 1 "zone example.net. not found" zone validate example.net
expect_rejection "$repo" 2 "invalid zone name bad..name" zone validate bad..name
expect_rejection "$repo" 1 "nosuchrev" zone validate --previous nosuchrev
expect_rejection "$repo" 2 "--origin applies to exactly one zone file" \
    zone validate --origin example.com zones/example.com.zone zones/example.org.zone
expect_rejection "$repo" 2 "" zone validate --no-such-option
expect_rejection "$repo" 1 "no Git repository" --repo "$scratch/home" zone validate
zone_text 2 '$INCLUDE ../../outside.inc' >zones/example.com.zone
expect_rejection "$repo" 1 'zones/example.com.zone:5: error: $INCLUDE "../../outside.inc" failed: ../../outside.inc leaves the work tree' \
    zone validate
git -C "$repo" checkout -q -- zones
echo 'bad..zone IN A 192.0.2.1' >zones/bad..zone
expect_rejection "$repo" 1 "zones/bad..zone: error: zone file name zones/bad..zone does not name a zone" \
    zone validate
rm zones/bad..zone

echo "== validate: a commit against its parent, as a Git hook checks it"
hookrepo="$scratch/hookrepo"
git clone -q "$repo" "$hookrepo"
echo 'www2 IN A 192.0.2.81' >>"$hookrepo/zones/hosts.inc"
git -C "$hookrepo" commit -q -a -m "Edit hosts without a new serial"
expect_ok --repo "$hookrepo" zone validate --rev HEAD~1
expect_rejection "$hookrepo" 1 "zones/example.com.zone:2: error: serial 1 is not greater than the previous serial 1 in zones/example.com.zone (HEAD~1)" \
    --repo "$hookrepo" zone validate --rev HEAD
expect_rejection "$hookrepo" 1 "(HEAD~1)" --repo "$hookrepo" zone validate --rev HEAD example.com
first=$(git -C "$hookrepo" rev-parse HEAD~1)
expect_rejection "$hookrepo" 1 "($first)" \
    --repo "$hookrepo" zone validate --rev HEAD --previous "$first"
expect_ok --repo "$hookrepo" zone validate --rev HEAD --previous HEAD
expect_rejection "$hookrepo" 1 "nosuchrev" --repo "$hookrepo" zone validate --rev nosuchrev

echo "== validate: zone files outside a repository"
outside="$scratch/outside"
mkdir -p "$outside/sub"
zone_text 3 '$INCLUDE sub/hosts.inc' >"$outside/example.net.zone"
echo 'www IN A 192.0.2.80' >"$outside/sub/hosts.inc"
expect_ok zone validate "$outside/example.net.zone"
expect_text "$out" "zone example.net. is valid (serial 3, 4 records" "validate of a file"
expect_ok zone validate --origin other.test "$outside/example.net.zone"
expect_text "$out" "zone other.test. is valid" "validate --origin"
zone_text 3 '$INCLUDE ../escape.inc' >"$outside/escape.net.zone"
expect_rejection "$repo" 1 "$outside/escape.net.zone:5: error: \$INCLUDE \"../escape.inc\" failed: ../escape.inc leaves the folder" \
    zone validate "$outside/escape.net.zone"
expect_rejection "$repo" 1 "$outside/none.zone not found" zone validate "$outside/none.zone"

echo "== validate: the shared corpus"
corpus="${ROBUR_CORPUS_DIR:-}/dns"
if [ -f "$corpus/origins.txt" ]; then
    while read -r path origin; do
        case "$path" in
        ok/*)
            check
            run_robur zone validate --origin "$origin" "$corpus/$path"
            [ "$status" -eq 0 ] || fail "corpus $path: exit $status: $err"
            ;;
        bad/*)
            check
            run_robur zone validate --origin "$origin" "$corpus/$path"
            [ "$status" -eq 1 ] || fail "corpus $path: exit $status, expected 1"
            [[ "$err" == *"$corpus/$path"*": error: "* ]] || fail "corpus $path: no located error: $err"
            ;;
        esac
    done < <(grep -v '^#' "$corpus/origins.txt")
else
    echo "corpus not found at $corpus, skipping the corpus checks"
fi

echo "== import"
printf '; kept verbatim\n' >"$outside/example.net.zone.tmp"
zone_text 1 'web IN A 192.0.2.8 ; trailing comment' >>"$outside/example.net.zone.tmp"
mv "$outside/example.net.zone.tmp" "$scratch/example.net.zone"
before=$(git rev-parse HEAD)
expect_ok zone import "$scratch/example.net.zone"
expect_text "$out" "imported zone example.net. as zones/example.net.zone" "import"
check
[ "$(git rev-parse HEAD~1)" = "$before" ] || fail "import did not make exactly one commit"
check
[ "$(git log -1 --format=%s)" = "Import zone example.net" ] || fail "import message: $(git log -1 --format=%s)"
check
[ "$(git log -1 --format='%an <%ae>')" = "Zone Tester <zones@example.com>" ] || fail "import author"
check
cmp -s "$scratch/example.net.zone" zones/example.net.zone || fail "import did not keep the file verbatim"
check
[ -z "$(git status --porcelain)" ] || fail "import left the work tree dirty: $(git status --porcelain)"

zone_text 1 'a IN A 192.0.2.1' >"$scratch/a.test.zone"
zone_text 1 '$INCLUDE sub/hosts.inc' >"$outside/b.test.zone"
expect_ok zone import "$scratch/a.test.zone" "$outside/b.test.zone"
check
[ "$(git log -1 --format=%s)" = "Import zones a.test, b.test" ] || fail "import message: $(git log -1 --format=%s)"
check
grep -q '^\$INCLUDE' zones/b.test.zone && fail "import kept an \$INCLUDE"
expect_text "$(cat zones/b.test.zone)" "www.b.test." "import flattens included records"

echo "== import: bad input"
zone_text 2 'www IN CNAME ns1' 'www IN A 192.0.2.3' >"$scratch/bad.test.zone"
expect_rejection "$repo" 1 "$scratch/bad.test.zone:6: error: CNAME and other data at www.bad.test." \
    zone import "$scratch/bad.test.zone"
expect_rejection "$repo" 1 "bad.test.zone:6" zone import "$scratch/a.test.zone" "$scratch/bad.test.zone"
expect_rejection "$repo" 1 "$scratch/none.zone not found" zone import "$scratch/none.zone"
expect_rejection "$repo" 2 "--zone applies to exactly one file" \
    zone import --zone x.test "$scratch/a.test.zone" "$scratch/bad.test.zone"
expect_rejection "$repo" 2 "given twice" zone import "$scratch/a.test.zone" "$scratch/a.test.zone"
mkdir -p "$scratch/changed"
zone_text 1 'a IN A 192.0.2.99' >"$scratch/changed/a.test.zone"
expect_rejection "$repo" 1 "serial 1 is not greater than the previous serial 1" \
    zone import "$scratch/changed/a.test.zone"
zone_text 2 'a IN A 192.0.2.99' >"$scratch/changed/a.test.zone"
echo '; local edit' >>zones/a.test.zone
expect_rejection "$repo" 1 "zones/a.test.zone" zone import "$scratch/changed/a.test.zone"
git checkout -q -- zones
expect_rejection "$repo" 1 "$scratch/nonexistent" --repo "$scratch/nonexistent" zone import "$scratch/a.test.zone"
zone_text 1 >zones/inplace.test.zone
expect_rejection "$repo" 1 "zones/inplace.test.zone is already the zone file in the work tree" \
    zone import zones/inplace.test.zone
rm zones/inplace.test.zone
expect_ok zone import "$scratch/changed/a.test.zone"

echo "== list"
expect_ok zone list
expect_text "$out" "example.com.	1	4	zones/example.com.zone" "list"
expect_text "$out" "a.test.	2	4	zones/a.test.zone" "list"
expect_ok zone list --json
expect_json "$out" "list --json"
expect_text "$out" '{"zone": "example.org.", "path": "zones/example.org.zone", "serial": 7, "records": 4, "parses": true}' \
    "list --json"
expect_ok zone list --rev HEAD~3
expect_text "$out" "example.org." "list --rev"
check
[[ "$out" == *"a.test."* ]] && fail "list --rev HEAD~3 shows a later zone"
expect_rejection "$repo" 1 "nosuchrev" zone list --rev nosuchrev

echo "== show"
expect_ok zone show example.com
expect_text "$out" '$ORIGIN example.com.' "show"
expect_text "$out" "www.example.com.	300	IN	A	192.0.2.80" "show includes included records"
expect_ok zone show example.com. --rev HEAD~1
expect_rejection "$repo" 1 "zone example.invalid. not found in HEAD" zone show example.invalid
expect_rejection "$repo" 2 "invalid zone name" zone show 'a..b'
expect_rejection "$repo" 1 "nosuchrev" zone show example.com --rev nosuchrev
expect_rejection "$repo" 2 "" zone show

echo "== export"
expect_ok zone export example.org
check
[ "$out" = "$(cat zones/example.org.zone)" ] || fail "export of a zone without \$INCLUDE is not the committed file"
expect_ok zone export example.com -o "$scratch/export.zone"
expect_text "$(cat "$scratch/export.zone")" "www.example.com." "export flattens includes"
check
grep -q '^\$INCLUDE' "$scratch/export.zone" && fail "export kept an \$INCLUDE"
expect_ok zone validate --origin example.com "$scratch/export.zone"
expect_rejection "$repo" 1 "zone example.invalid. not found" zone export example.invalid
expect_rejection "$repo" 1 "cannot create $scratch/no/such/folder.zone" \
    zone export example.com -o "$scratch/no/such/folder.zone"

echo "== diff"
expect_ok zone diff
check
[ -z "$out" ] || fail "diff of a clean work tree printed: $out"
echo 'www2 IN A 192.0.2.81' >>zones/hosts.inc
expect_ok zone diff
expect_text "$out" "--- HEAD:zones/example.com.zone (serial 1)" "diff header"
expect_text "$out" "+++ work tree:zones/example.com.zone (serial 1)" "diff header"
expect_text "$out" "+www2.example.com.	300	IN	A	192.0.2.81" "diff line"
expect_ok zone diff --json
expect_json "$out" "diff --json"
expect_text "$out" '"added": [{"owner": "www2.example.com.", "ttl": 300, "class": "IN", "type": "A", "rdata": "192.0.2.81"}]' \
    "diff --json"
git checkout -q -- zones
expect_ok zone diff HEAD~1 HEAD
expect_text "$out" "+a.a.test.	300	IN	A	192.0.2.99" "diff of two revisions"
expect_text "$out" "-a.a.test.	300	IN	A	192.0.2.1" "diff of two revisions"
expect_ok zone diff HEAD~3
expect_text "$out" "--- /dev/null" "diff of an added zone"
expect_rejection "$repo" 1 "nosuchrev" zone diff nosuchrev
expect_rejection "$repo" 2 "" zone diff HEAD~1 HEAD HEAD

echo "== diff: a long TXT string and its 255-octet split are the same record"
long=$(printf 'x%.0s' $(seq 1 300))
zone_text 3 "t IN TXT \"$long\"" >zones/txt.test.zone
git add zones/txt.test.zone
git commit -q -m "Add txt.test"
zone_text 3 "t IN TXT \"${long:0:255}\" \"${long:255}\"" >zones/txt.test.zone
expect_ok zone diff
check
[ -z "$out" ] || fail "diff of a split TXT string printed: $out"
expect_ok zone validate txt.test
git checkout -q -- zones

echo "== bare repository"
git clone -q --bare "$repo" "$scratch/bare.git"
cd "$scratch/bare.git"
expect_ok zone validate
expect_text "$out" "zone txt.test. is valid" "validate in a bare repository"
expect_ok zone list
expect_ok zone diff HEAD~1
expect_text "$out" "+++ HEAD:zones/txt.test.zone" "diff in a bare repository"
expect_rejection "$scratch/bare.git" 2 "bare repository has no work tree" zone diff
zone_text 3 'x IN A 192.0.2.1' >"$scratch/x.test.zone"
expect_ok zone import "$scratch/x.test.zone"
check
[ "$(git log -1 --format=%s)" = "Import zone x.test" ] || fail "import into a bare repository"
cd "$repo"

echo "zone_cli: $((checks - failures)) passed, $failures failed"
if [ "$failures" -ne 0 ]; then
    exit 1
fi
