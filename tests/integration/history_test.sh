#!/usr/bin/env bash
# Integration test of `robur log` and `robur revert` against git itself. The commits listed
# must be the ones `git log` lists for the same path. A revert must give the reverted files
# their parent's version, or be rejected with the repository left exactly as it was.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/repository_checks.sh"

scratch_dir history
git_identity "History Tester" "history@example.com"

# robur_ids ARGS...: the commit ids `robur log --json ARGS` lists, one a line.
robur_ids() {
    "$ROBUR" log --json "$@" | /usr/bin/python3 -c '
import json, sys
for commit in json.load(sys.stdin):
    print(commit["id"])'
}

repo="$scratch/repo"
git init -q "$repo"
cd "$repo"
mkdir -p contacts/alice/friends calendars/alice/work
printf 'one\n' >contacts/alice/friends/a.vcf
GIT_AUTHOR_NAME="Alice" GIT_AUTHOR_EMAIL="alice@example.com" \
    GIT_AUTHOR_DATE="2026-01-02T03:04:05+01:00" git add -A
GIT_AUTHOR_NAME="Alice" GIT_AUTHOR_EMAIL="alice@example.com" \
    GIT_AUTHOR_DATE="2026-01-02T03:04:05+01:00" git commit -q -m "Add a" -m "Body line."
printf 'event\n' >calendars/alice/work/e.ics
git add -A && git commit -q -m "Add e"
printf 'two\n' >contacts/alice/friends/b.vcf
printf 'one, edited\n' >contacts/alice/friends/a.vcf
git add -A && git commit -q -m "Edit a, add b"
git rm -q calendars/alice/work/e.ics && git commit -q -m "Remove e"
chmod +x contacts/alice/friends/b.vcf && git add -A && git commit -q -m "Make b executable"

# log lists the commits git log lists, for the whole history, a folder and a file.
for path in "" contacts calendars/alice/work/e.ics contacts/alice/friends/b.vcf; do
    check
    if [ -z "$path" ]; then
        expected=$(git log --format=%H)
        actual=$(robur_ids)
    else
        expected=$(git log --format=%H -- "$path")
        actual=$(robur_ids "$path")
    fi
    [ "$expected" = "$actual" ] || fail "robur log $path: expected $expected, got $actual"
done
check
[ "$(robur_ids -n 2)" = "$(git log -2 --format=%H)" ] || fail "robur log -n 2"
expect_ok log contacts/alice/friends/a.vcf
expect_text "$out" "Author: Alice <alice@example.com>" "log shows the author"
expect_text "$out" "Date:   2026-01-02 03:04:05 +0100" "log shows the date in its offset"
expect_text "$out" "    Body line." "log shows the message body"
expect_ok --json log contacts/alice/friends/a.vcf
expect_text "$out" '"date": "2026-01-02T03:04:05+01:00"' "--json date"
expect_ok log --oneline
expect_equal "$(printf '%s\n' "$out" | wc -l)" 5 "one line per commit"
expect_ok log no/such/path
expect_equal "$out" "" "a path no commit touched"
expect_rejection "$repo" 2 "invalid" log ../outside

# Revert a commit that edited one file and added another.
edit=$(git rev-parse HEAD~2)
expect_rejection "$repo" 1 "contacts/alice/friends/b.vcf" revert "$edit"
expect_text "$err" "changed since" "a later mode change is a conflict"
git revert --no-edit HEAD >/dev/null # undo the mode change with git itself
expect_ok revert "$edit"
expect_text "$out" "removed contacts/alice/friends/b.vcf" "revert removes the added file"
expect_text "$out" "restored contacts/alice/friends/a.vcf" "revert restores the edited file"
expect_equal "$(git log -1 --format=%s)" "Revert \"Edit a, add b\"" "revert subject"
expect_equal "$(git log -1 --format=%b)" "This reverts commit $edit." "revert body"
expect_equal "$(git log -1 --format='%an <%ae>')" "History Tester <history@example.com>" \
    "revert author"
expect_equal "$(git rev-parse HEAD:contacts/alice/friends)" \
    "$(git rev-parse "$edit~1:contacts/alice/friends")" "tree of the parent restored"
expect_equal "$(git status --porcelain)" "" "work tree follows the revert"
expect_equal "$(cat contacts/alice/friends/a.vcf)" "one" "work tree file restored"
check
[ ! -e contacts/alice/friends/b.vcf ] || fail "work tree file removed"

# Reverting it again finds nothing to do; reverting the revert brings the edit back.
expect_rejection "$repo" 1 "nothing to revert" revert "$edit"
expect_ok revert HEAD
expect_equal "$(cat contacts/alice/friends/a.vcf)" "one, edited" "revert of a revert"

# Revert restores a removed file with its content.
remove=$(git log --format=%H -1 --grep '^Remove e$')
expect_ok revert "$remove"
expect_equal "$(cat calendars/alice/work/e.ics)" "event" "removed file restored"

# A conflict: the file changed after the commit to revert.
printf 'three\n' >contacts/alice/friends/a.vcf
git commit -q -am "Edit a again"
expect_rejection "$repo" 1 "changed since" revert HEAD~2 # the revert that restored a

# An uncommitted edit of a file the revert would write is never overwritten.
printf 'local\n' >>contacts/alice/friends/a.vcf
expect_rejection "$repo" 1 "contacts/alice/friends/a.vcf" revert HEAD
git checkout -q -- contacts

# Unknown commits, merges and usage errors.
expect_rejection "$repo" 1 "not" revert 0123456789abcdef0123456789abcdef01234567
git checkout -q -b side HEAD~1
printf 'side\n' >side.txt && git add side.txt && git commit -q -m "Side"
git checkout -q main
git merge -q --no-edit side
expect_rejection "$repo" 1 "merge" revert HEAD
expect_rejection "$repo" 2 "" revert

# A bare repository: revert moves the branch and needs no work tree.
git clone -q --bare "$repo" "$scratch/bare.git"
expect_ok --repo "$scratch/bare.git" revert HEAD~1
expect_equal "$(git -C "$scratch/bare.git" log -1 --format=%s)" "Revert \"Edit a again\"" \
    "revert in a bare repository"
expect_equal "$(git -C "$scratch/bare.git" show HEAD:contacts/alice/friends/a.vcf)" \
    "one, edited" "bare revert content"

echo "history: $((checks - failures)) passed, $failures failed"
if [ "$failures" -ne 0 ]; then
    exit 1
fi
