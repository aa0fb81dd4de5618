#!/usr/bin/env bash
# Integration test of `robur card import|export|validate` on a fixture repository built here:
# one file per UID, re-import idempotence, repairs with warnings, rejections that leave the
# repository exactly as it was, and the shared corpus's vCards when it is present.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/repository_checks.sh"

: "${ROBUR_SOURCE_DIR:?set ROBUR_SOURCE_DIR to the source tree}"
data="$ROBUR_SOURCE_DIR/tests/data/vcard"

scratch_dir card
git_identity "Card Tester" "cards@example.com"

repo="$scratch/repo"
git init -q "$repo"
git -C "$repo" commit -q --allow-empty -m "Start"
cd "$repo"
book=contacts/alice/friends

# Import: three vCards, one without UID (generated), one whose UID needs escaping.
expect_ok card import "$data/contacts.vcf" --addressbook alice/friends
expect_text "$err" "contacts.vcf:21: warning: missing UID" "generated UID is reported"
expect_text "$out" "imported 3 contacts into alice/friends (3 added, 0 changed, 0 unchanged)" \
    "import summary"
expect_equal "$(git log -1 --format='%an <%ae>')" "Card Tester <cards@example.com>" "author"
expect_equal "$(git log -1 --format=%s)" \
    "Import 3 contacts into alice/friends (3 added, 0 changed, 0 unchanged)" "commit subject"
for name in .collection bob%2F..%2Fodd%20uid@example.com.vcf \
    urn%3Auuid%3A4fbe8971-0bc3-424c-9c26-36c3e1eff6b1.vcf; do
    check
    [ -f "$book/$name" ] || fail "import did not write $book/$name"
done
expect_equal "$(git ls-files $book | wc -l)" 4 "three vCards and .collection"
expect_text "$(git config -f $book/.collection collection.type)" addressbook ".collection type"
expect_equal "$(git status --porcelain)" "" "work tree matches the commit"
check
cmp -s <(sed -n 1,10p "$data/contacts.vcf") \
    "$book/urn%3Auuid%3A4fbe8971-0bc3-424c-9c26-36c3e1eff6b1.vcf" \
    || fail "a valid vCard is stored byte for byte"

# Re-import: nothing changes, no commit.
head_before=$(git rev-parse HEAD)
expect_ok card import "$data/contacts.vcf" --addressbook alice/friends
expect_text "$out" "nothing to commit" "re-import of the same file"
expect_equal "$(git rev-parse HEAD)" "$head_before" "re-import makes no commit"

# One card edited: one changed, two unchanged.
sed 's/FN:Bob Builder/FN:Robert Builder/' "$data/contacts.vcf" >"$scratch/edited.vcf"
expect_ok --json card import "$scratch/edited.vcf" --addressbook alice/friends
check
printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
result = json.load(sys.stdin)
assert result["added"] == 0, result
assert result["changed"] == 1, result
assert result["unchanged"] == 2, result
assert result["commit"], result
' || fail "--json import of one edited card: $out"
expect_equal "$(git log -1 --format=%s)" \
    "Import 3 contacts into alice/friends (0 added, 1 changed, 2 unchanged)" "edit commit"
expect_equal "$(git show --stat --format= HEAD | grep -c '|')" 1 "edit touches one file"

# Rejections leave everything as it was.
expect_rejection "$repo" 1 "mixed-versions.vcf:5: error: PHOTO: ENCODING is a vCard 3.0" \
    card import "$data/mixed-versions.vcf" --addressbook alice/friends
expect_text "$err" "mixed-versions.vcf:6: error: ADR: CHARSET" "every error is listed"
expect_rejection "$repo" 1 "latin1.vcf:4: error: invalid UTF-8 byte 0xFC" \
    card import "$data/latin1.vcf" --addressbook alice/friends
expect_rejection "$repo" 2 "invalid address book" \
    card import "$data/contacts.vcf" --addressbook alice
expect_rejection "$repo" 2 "invalid address book name '..'" \
    card import "$data/contacts.vcf" --addressbook alice/..
expect_rejection "$repo" 1 "cannot open" \
    card import "$scratch/missing.vcf" --addressbook alice/friends
mkdir -p calendars/alice/work
printf '[collection]\n\ttype = calendar\n' >calendars/alice/work/.collection
git add calendars && git commit -q -m "Add a calendar"
mkdir -p contacts/bob/cal
printf '[collection]\n\ttype = calendar\n' >contacts/bob/cal/.collection
git add contacts && git commit -q -m "Add a misplaced calendar"
expect_rejection "$repo" 1 "not an address book" \
    card import "$data/contacts.vcf" --addressbook bob/cal
# An uncommitted edit of a file the import would write is never overwritten.
echo "local edit" >>"$book/urn%3Auuid%3A4fbe8971-0bc3-424c-9c26-36c3e1eff6b1.vcf"
sed 's/FN:Ann Example/FN:Ann Changed/' "$data/contacts.vcf" >"$scratch/ann.vcf"
expect_rejection "$repo" 1 "urn%3Auuid%3A4fbe8971" \
    card import "$scratch/ann.vcf" --addressbook alice/friends
git checkout -q -- "$book"

# Import from standard input into a new address book.
check
status=0
"$ROBUR" card import - --addressbook alice/work <"$data/contacts.vcf" >/dev/null 2>&1 \
    || status=$?
[ "$status" -eq 0 ] || fail "import from standard input exited $status"

# Export: all vCards of the book, and they import back unchanged.
expect_ok card export alice/friends -o "$scratch/export.vcf"
expect_text "$out" "exported 3 contacts of alice/friends" "export summary"
expect_equal "$(grep -c '^BEGIN:VCARD' "$scratch/export.vcf")" 3 "export holds every card"
expect_ok card import "$scratch/export.vcf" --addressbook alice/friends
expect_text "$out" "nothing to commit" "exported cards import back unchanged"
first_import=$(git log --format=%H --grep "^Import 3 contacts into alice/friends (3 added")
expect_ok card export alice/friends --rev "$first_import"
expect_text "$out" "FN:Bob Builder" "export of an older commit"
expect_rejection "$repo" 1 "address book alice/none not found" card export alice/none

# Validate: the committed books, a single file, files outside the repository.
expect_ok card validate contacts/alice
expect_text "$out" "checked 6 vCards: 0 errors" "validate two address books"
expect_rejection "$repo" 1 "type = calendar" card validate
expect_ok --json card validate --file "$data/contacts.vcf"
expect_text "$out" '"cards": 3' "validate --file counts cards"
expect_rejection "$repo" 1 "mixed-versions.vcf:5: error" card validate --file \
    "$data/mixed-versions.vcf"
# A stored file that breaks the CardDAV rules (no UID) is an error in the repository.
printf 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:No UID\r\nEND:VCARD\r\n' >"$book/no-uid.vcf"
cp "$book/urn%3Auuid%3A4fbe8971-0bc3-424c-9c26-36c3e1eff6b1.vcf" "$book/copy.vcf"
git add "$book" && git commit -q -m "Add broken cards"
expect_rejection "$repo" 1 "no-uid.vcf:1: error: missing UID" card validate "$book"
expect_text "$err" "is also the UID of" "duplicate UIDs in one book"

# Convert: both directions give vCards that pass the checks, and the same version is kept.
expect_ok card convert "$data/contacts.vcf" --to 3.0 -o "$scratch/v3.vcf"
expect_text "$out" "converted 3 vCards to version 3.0" "convert summary"
expect_equal "$(grep -c '^VERSION:3.0' "$scratch/v3.vcf")" 3 "every vCard is 3.0"
expect_text "$(cat "$scratch/v3.vcf")" "TEL;TYPE=pref:+1-555-0100" "tel: URI becomes text"
expect_ok card validate --file "$scratch/v3.vcf"
expect_ok card convert "$scratch/v3.vcf" --to 4.0 -o "$scratch/v4.vcf"
expect_equal "$(grep -c '^VERSION:4.0' "$scratch/v4.vcf")" 3 "every vCard is 4.0"
expect_text "$(cat "$scratch/v4.vcf")" "PHOTO:data:image/png;base64,iVBORw0KGgo=" \
    "inline photo becomes a data: URI"
expect_ok card validate --file "$scratch/v4.vcf"
expect_rejection "$repo" 2 "" card convert "$data/contacts.vcf" --to 2.1
expect_rejection "$repo" 1 "nothing converted" card convert "$data/latin1.vcf" --to 3.0

# The shared corpus: ok/ files import, bad/ files are rejected or repaired as documented.
corpus="${ROBUR_CORPUS_DIR:-}/cal"
if [ -d "$corpus" ]; then
    for file in "$corpus"/ok/*.vcf; do
        expect_ok card import "$file" --addressbook corpus/ok
    done
    expect_ok card import "$corpus/bad/vcard30-missing-fn-n.vcf" --addressbook corpus/bad
    expect_text "$err" "warning: missing FN" "SOGo card without FN is repaired"
    expect_ok card import "$corpus/bad/vcard30-photo-data-uri-with-encoding-b.vcf" \
        --addressbook corpus/bad
    expect_rejection "$repo" 1 "vcard40-with-v3-params-photo-b.vcf:14: error" \
        card import "$corpus/bad/vcard40-with-v3-params-photo-b.vcf" --addressbook corpus/bad
    expect_ok card validate contacts/corpus
else
    echo "corpus not found at $corpus, skipping its checks"
fi

# Help and usage.
expect_ok card --help
expect_text "$out" "import" "card --help lists import"
expect_rejection "$repo" 2 "" card import "$data/contacts.vcf"

echo "card_cli: $((checks - failures)) passed, $failures failed"
if [ "$failures" -ne 0 ]; then
    exit 1
fi
