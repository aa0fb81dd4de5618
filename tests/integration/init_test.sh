#!/usr/bin/env bash
# Integration test of `robur init`: a new repository with and without a work tree, the
# author fallback, and every rejected case, which must leave the folder exactly as it was.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"

scratch_dir init
# A HOME without a Git identity, so that robur init falls back to its own author.
private_home

# Prints a listing of every path below $1 with its mode and content hash.
fingerprint() {
    (cd "$1" && find . -printf '%p %m %y\n' | sort && find . -type f -exec sha1sum {} + | sort)
}

# expect_rejection DIR ARGS...: robur must exit 1 with a message and leave DIR unchanged.
expect_rejection() {
    local dir=$1
    shift
    local before after
    before=$(fingerprint "$dir")
    run_robur "$@"
    after=$(fingerprint "$dir")
    [ "$status" -eq 1 ] || fail "robur $* exited $status, expected 1"
    [ -n "$err" ] || fail "robur $* printed no message"
    [ -z "$out" ] || fail "robur $* printed on stdout: $out"
    [ "$before" = "$after" ] || fail "robur $* changed $dir"
}

echo "== work tree repository with the fallback author"
git config --global user.name 2>/dev/null && fail "the test HOME has a Git identity"
run_robur init "$scratch/data"
[ "$status" -eq 0 ] || fail "init exited $status: $err"
[[ "$out" == "Initialised robur repository in $scratch/data (commit "*" on main)" ]] \
    || fail "unexpected output: $out"
[[ "$err" == *"robur <robur@localhost>"* ]] || fail "no note about the fallback author: $err"
data="$scratch/data"
first_commit=$(git -C "$data" log --format='%an <%ae>|%s')
[ "$first_commit" = "robur <robur@localhost>|Initialise robur repository" ] \
    || fail "unexpected first commit: $first_commit"
[ "$(git -C "$data" rev-list --count HEAD)" = 1 ] || fail "expected exactly one commit"
[ "$(git -C "$data" symbolic-ref HEAD)" = refs/heads/main ] || fail "HEAD is not main"
[ -z "$(git -C "$data" status --porcelain --untracked-files=all)" ] \
    || fail "git status is not clean: $(git -C "$data" status --porcelain)"
[ "$(git -C "$data" ls-files)" = $'keys/README\nrobur.conf\nzones/example.com.zone' ] \
    || fail "unexpected files: $(git -C "$data" ls-files)"
[ "$(stat -c %a "$data/keys/README")" = 600 ] || fail "keys/README is not mode 0600"
git -C "$data" reflog show main | grep -q 'commit (initial): Initialise robur repository' \
    || fail "no reflog entry for the first commit"
[ "$(git config -f "$data/robur.conf" --get-all dns.listen)" = $'127.0.0.1:5300\n[::1]:5300' ] \
    || fail "robur.conf has unexpected dns.listen values"
if command -v nsd-checkzone >/dev/null; then
    nsd-checkzone example.com "$data/zones/example.com.zone" >/dev/null \
        || fail "the example zone does not pass nsd-checkzone"
fi

echo "== author from the Git configuration"
git config --global user.name "Ada Admin"
git config --global user.email ada@example.net
run_robur init "$scratch/configured"
[ "$status" -eq 0 ] || fail "init exited $status: $err"
[ "$(git -C "$scratch/configured" log --format='%an <%ae>')" = "Ada Admin <ada@example.net>" ] \
    || fail "the first commit does not use user.name and user.email"
[[ "$err" != *"robur@localhost"* ]] || fail "fallback note printed although an identity is set"

echo "== current folder by default, JSON output"
mkdir "$scratch/here"
echo "notes" >"$scratch/here/NOTES"
status=0
out=$(cd "$scratch/here" && "$ROBUR" init --json 2>"$scratch/err") || status=$?
[ "$status" -eq 0 ] || fail "init in the current folder exited $status: $(cat "$scratch/err")"
commit=$(git -C "$scratch/here" rev-parse HEAD)
expected_json="{\"path\": \"$scratch/here\", \"bare\": false, \"branch\": \"main\","
expected_json+=" \"commit\": \"$commit\"}"
[ "$out" = "$expected_json" ] \
    || fail "unexpected JSON: $out"
[ "$(git -C "$scratch/here" status --porcelain)" = "?? NOTES" ] \
    || fail "an unrelated file was touched: $(git -C "$scratch/here" status --porcelain)"

echo "== --repo names the folder when DIR is absent"
run_robur --repo "$scratch/from-option" init
[ "$status" -eq 0 ] || fail "init with --repo exited $status: $err"
[ "$(git -C "$scratch/from-option" rev-list --count HEAD)" = 1 ] || fail "no commit in --repo"

echo "== bare repository"
run_robur init --bare "$scratch/served.git"
[ "$status" -eq 0 ] || fail "init --bare exited $status: $err"
[[ "$out" == "Initialised bare robur repository in $scratch/served.git (commit "*" on main)" ]] \
    || fail "unexpected output: $out"
[ "$(git -C "$scratch/served.git" rev-parse --is-bare-repository)" = true ] || fail "not bare"
[ "$(git -C "$scratch/served.git" log --format=%s)" = "Initialise robur repository" ] \
    || fail "unexpected bare history"
git -C "$scratch/served.git" reflog show main | grep -q 'commit (initial)' \
    || fail "no reflog entry in the bare repository"
git clone -q "$scratch/served.git" "$scratch/clone"
[ -f "$scratch/clone/zones/example.com.zone" ] || fail "a clone has no example zone"

echo "== an empty repository made by git init is used"
git init -q -b main "$scratch/empty"
run_robur init "$scratch/empty"
[ "$status" -eq 0 ] || fail "init of an empty repository exited $status: $err"
[ "$(git -C "$scratch/empty" rev-list --count HEAD)" = 1 ] || fail "expected one commit"

echo "== rejected cases leave everything unchanged"
expect_rejection "$data" init "$data"
[[ "$err" == *"already contains a Git repository with commits"* ]] || fail "message: $err"

mkdir -p "$scratch/has-conf"
echo "[dns]" >"$scratch/has-conf/robur.conf"
expect_rejection "$scratch/has-conf" init "$scratch/has-conf"
[[ "$err" == *"robur.conf already exists"* ]] || fail "message: $err"

mkdir -p "$scratch/has-zones/zones"
echo "; mine" >"$scratch/has-zones/zones/example.org.zone"
expect_rejection "$scratch/has-zones" init "$scratch/has-zones"
[[ "$err" == *"zones already exists and is not empty"* ]] || fail "message: $err"

mkdir -p "$scratch/busy"
echo "data" >"$scratch/busy/file"
expect_rejection "$scratch/busy" init --bare "$scratch/busy"
[[ "$err" == *"is not empty"* ]] || fail "message: $err"

expect_rejection "$scratch/served.git" init --bare "$scratch/served.git"
expect_rejection "$scratch/served.git" init "$scratch/served.git"
[[ "$err" == *"run robur init --bare"* ]] || fail "message: $err"
expect_rejection "$data" init --bare "$data"
[[ "$err" == *"without --bare"* ]] || fail "message: $err"

git init -q -b main "$scratch/with-commit"
git -C "$scratch/with-commit" commit -q --allow-empty -m "Existing work"
expect_rejection "$scratch/with-commit" init "$scratch/with-commit"

mkdir "$scratch/plain"
echo "a file" >"$scratch/plain/file"
expect_rejection "$scratch/plain" init "$scratch/plain/file"
[[ "$err" == *"is not a folder"* ]] || fail "message: $err"

echo "== usage errors exit 2"
run_robur init --no-such-option
[ "$status" -eq 2 ] || fail "an unknown option exited $status, expected 2"
run_robur init "$scratch/a" "$scratch/b"
[ "$status" -eq 2 ] || fail "two folders exited $status, expected 2"
[ ! -e "$scratch/a" ] || fail "a usage error created a folder"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all init checks passed"
