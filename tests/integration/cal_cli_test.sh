#!/usr/bin/env bash
# Integration test of the `robur cal` commands on a repository built here. Every corpus file
# of cal/ok imports and round-trips: re-importing its export makes no commit, and importing the
# export into a fresh calendar gives the same export. Every cal/bad file is rejected with its
# line or repaired with a warning as docs/calendars.md lists. A failed command leaves the
# repository exactly as it was.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/repository_checks.sh"

corpus="${ROBUR_CORPUS_DIR:-}/cal"
if [ ! -d "$corpus/ok" ]; then
    echo "corpus not found at $corpus"
    exit 77
fi

scratch_dir cal
git_identity "Cal Tester" "cal@example.com"

head_of() {
    git -C "$repo" rev-parse HEAD 2>/dev/null || echo none
}

repo="$scratch/repo"
git init -q "$repo"
cd "$repo"

echo "== import, re-import and round trip of every cal/ok file"
for file in "$corpus"/ok/*.ics; do
    name=$(basename "$file" .ics)
    expect_ok cal import "$file" --calendar "alice/$name"
    expect_text "$out" "commit " "import $name"
    after_import=$(head_of)

    expect_ok cal import "$file" --calendar "alice/$name"
    expect_text "$out" "nothing to commit" "re-import of $name"
    [ "$(head_of)" = "$after_import" ] || fail "re-import of $name made a commit"

    expect_ok cal export "alice/$name" -o "$scratch/$name.export.ics"
    expect_ok cal import "$scratch/$name.export.ics" --calendar "alice/$name"
    expect_text "$out" "nothing to commit" "import of the export of $name"
    [ "$(head_of)" = "$after_import" ] || fail "import of the export of $name made a commit"

    expect_ok cal import "$scratch/$name.export.ics" --calendar "alice/$name-copy"
    expect_ok cal export "alice/$name-copy" -o "$scratch/$name.copy.ics"
    check
    # The copy's display name is the export's X-WR-CALNAME, so the two exports are equal.
    cmp -s "$scratch/$name.export.ics" "$scratch/$name.copy.ics" \
        || fail "export of a re-imported $name differs: $(diff "$scratch/$name.export.ics" "$scratch/$name.copy.ics" | head -5)"
done

echo "== commit author and message"
check
[ "$(git log -1 --format='%an <%ae>')" = "Cal Tester <cal@example.com>" ] || fail "wrong author: $(git log -1 --format='%an <%ae>')"
expect_text "$(git log --format=%s)" "Import 1 event into alice/allday-rrule (1 added, 0 changed, 0 unchanged)" "commit message"

echo "== validate and list"
expect_ok cal validate
expect_text "$out" "0 errors" "validate"
expect_ok cal validate --json
expect_json "$out" "validate --json"
expect_ok cal validate alice/allday-rrule
expect_ok cal list
expect_text "$out" "alice/allday-rrule" "list"
expect_ok cal list --json
expect_json "$out" "list --json"
expect_ok cal list alice/w-europe-standard-time-exdate --json
expect_json "$out" "list of one calendar"
expect_text "$out" '"recurring":true' "list of one calendar"

echo "== cal/bad: rejected with the line, or repaired with a warning"
# file, expected exit status of import, text on stderr
while read -r bad code text; do
    if [ "$code" -eq 0 ]; then
        expect_ok cal import "$corpus/bad/$bad" --calendar alice/bad
        expect_text "$err" "$text" "import of $bad"
    else
        expect_rejection "$repo" "$code" "$text" cal import "$corpus/bad/$bad" --calendar alice/bad
    fi
done <<'CASES'
all-components-multi-uid.ics 0 all-components-multi-uid.ics:42: warning: VAVAILABILITY is missing DTSTAMP
attach-base64-no-dtstamp-dtstart.ics 1 attach-base64-no-dtstamp-dtstart.ics:4: error: VEVENT is missing the required property DTSTART
bom-no-version.ics 1 bom-no-version.ics:1: error: VCALENDAR is missing the required property VERSION
duplicate-uid-no-recurrence-id.ics 1 duplicate-uid-no-recurrence-id.ics:18: error: second VEVENT with UID 'def'
exchange-cdo-byday-with-spaces.ics 0 exchange-cdo-byday-with-spaces.ics:25: warning: RRULE contains blanks
floating-dtstart-tzid-dtend.ics 0 floating-dtstart-tzid-dtend.ics:11: warning: DTEND is zoned but DTSTART
invalid-tzoffset.ics 1 invalid-tzoffset.ics:9: error: invalid TZOFFSETFROM '+5328'
missing-end-vevent.ics 1 missing-end-vevent.ics:4: error: missing END:VEVENT
recurrence-id-without-master-no-prodid.ics 0 recurrence-id-without-master-no-prodid.ics:1: warning: VCALENDAR is missing PRODID
vevent-without-uid.ics 0 vevent-without-uid.ics:4: warning: VEVENT is missing UID
vjournal-blank-lines-floating-dtstamp.ics 0 vjournal-blank-lines-floating-dtstamp.ics:25: warning: DTSTAMP is not in UTC
CASES

echo "== stored resources pass the PUT checks, and the faults cases"
expect_ok cal validate
for fault in windows-tzid-with-floating-exdate custom-vtimezone-kept vtimezone-with-only-tzid \
    floating-start-zoned-end weekly-series-started-before-range; do
    expect_ok cal import "$corpus/faults/$fault.ics" --calendar alice/faults
done
expect_ok cal export alice/faults
expect_text "$out" "TZID:Custom-Plus-Eleven" "export keeps a custom VTIMEZONE"
expect_text "$out" "TZID=W. Europe Standard Time:20260123T110000" "export keeps a Windows TZID as written"
expect_rejection "$repo" 1 "unknown time zone 'local;VALUE=DATE-TIME'" \
    cal import "$corpus/faults/tzid-quoted-swallows-value-param.ics" --calendar alice/faults

echo "== bad input leaves the repository alone"
printf 'BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:l1\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T100000Z\nSUMMARY:caf\xe9\nEND:VEVENT\nEND:VCALENDAR\n' >"$scratch/latin1.ics"
expect_rejection "$repo" 1 "latin1.ics:8:12: error: invalid UTF-8 byte 0xE9" cal import "$scratch/latin1.ics" --calendar alice/work
expect_rejection "$repo" 1 "cannot open" cal import "$scratch/missing.ics" --calendar alice/work
expect_rejection "$repo" 2 "invalid calendar 'alice'" cal import "$corpus/ok/allday-rrule.ics" --calendar alice
expect_rejection "$repo" 2 "invalid calendar name '.hidden'" cal import "$corpus/ok/allday-rrule.ics" --calendar alice/.hidden
expect_rejection "$repo" 2 "invalid user name" cal import "$corpus/ok/allday-rrule.ics" --calendar ../x/work
expect_rejection "$repo" 1 "calendar bob/none not found" cal export bob/none
expect_rejection "$repo" 1 "error" cal validate --file "$scratch/latin1.ics"

echo "== an edited file in the work tree blocks an import that would overwrite it"
stored=$(ls calendars/alice/rrule-plus-rdate/*.ics | head -1)
echo "X-LOCAL-EDIT:1" >>"$stored"
sed 's/^SUMMARY:.*/SUMMARY:Changed/' "$corpus/ok/rrule-plus-rdate.ics" >"$scratch/changed.ics"
expect_rejection "$repo" 1 "robur: " cal import "$scratch/changed.ics" --calendar alice/rrule-plus-rdate
git checkout -q -- "$stored"

echo "== a changed event is rewritten, and --json reports it"
expect_ok --json cal import "$scratch/changed.ics" --calendar alice/rrule-plus-rdate
expect_json "$out" "import --json"
expect_text "$out" '"status":"changed"' "import --json"
expect_text "$(git log -1 --format=%s)" "(0 added, 1 changed, 0 unchanged)" "commit message of a change"

echo "== convert: ics to jCal and back"
expect_ok cal convert --to jcal "$corpus/ok/w-europe-standard-time-exdate.ics" -o "$scratch/w.json"
expect_json "$(cat "$scratch/w.json")" "convert --to jcal"
expect_ok cal convert --to ics "$scratch/w.json" -o "$scratch/w.ics"
expect_ok cal import "$scratch/w.ics" --calendar alice/w-europe-standard-time-exdate
expect_text "$out" "nothing to commit" "import of a jCal round trip"
check
"$ROBUR" cal convert --to jcal - <"$corpus/ok/allday-rrule.ics" | "$ROBUR" cal convert --to ics - \
    | grep -q "RRULE:" || fail "convert through a pipe lost the RRULE"
printf '[not json' >"$scratch/broken.json"
expect_rejection "$repo" 1 "invalid JSON" cal convert --to ics "$scratch/broken.json"

echo "$checks checks, $failures failures"
[ "$failures" -eq 0 ]
