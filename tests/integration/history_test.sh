#!/usr/bin/env bash
# Integration test of `robur log` and `robur revert` against git itself. The commits listed
# must be the ones `git log` lists for the same path. A revert must give the reverted files
# their parent's version, or be rejected with the repository left exactly as it was.
set -euo pipefail

: "${ROBUR:?set ROBUR to the robur binary}"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/robur-history-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# A private HOME, so the test never reads the user's Git configuration.
export HOME="$scratch/home"
export XDG_CONFIG_HOME="$HOME/.config"
export GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
unset GIT_DIR GIT_WORK_TREE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME \
    GIT_COMMITTER_EMAIL EMAIL GIT_CEILING_DIRECTORIES || true
git config --global user.name "History Tester"
git config --global user.email "history@example.com"
git config --global init.defaultBranch main

failures=0
checks=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
check() {
    checks=$((checks + 1))
}

run_robur() {
    status=0
    "$ROBUR" "$@" >"$scratch/out" 2>"$scratch/err" || status=$?
    out=$(cat "$scratch/out")
    err=$(cat "$scratch/err")
}

repository_state() {
    local repo=$1
    git -C "$repo" rev-parse HEAD 2>/dev/null || true
    git -C "$repo" for-each-ref --format='%(refname) %(objectname)'
    if [ "$(git -C "$repo" rev-parse --is-bare-repository)" = false ]; then
        git -C "$repo" status --porcelain --untracked-files=all
        (cd "$repo" && find . -path ./.git -prune -o -type f -print0 | sort -z |
            xargs -0 -r sha1sum)
    fi
}

expect_ok() {
    check
    run_robur "$@"
    [ "$status" -eq 0 ] || fail "robur $* exited $status, expected 0: $err"
}

expect_rejection() {
    local repo=$1 code=$2 text=$3
    shift 3
    check
    local before after
    before=$(repository_state "$repo")
    run_robur "$@"
    after=$(repository_state "$repo")
    [ "$status" -eq "$code" ] || fail "robur $* exited $status, expected $code: $err"
    [[ "$err" == *"$text"* ]] || fail "robur $* did not name '$text' on stderr: $err"
    [ "$before" = "$after" ] || fail "robur $* changed $repo"
}

expect_equal() {
    check
    [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

expect_text() {
    check
    [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in: $1"
}

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
