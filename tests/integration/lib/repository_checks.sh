# shellcheck shell=bash
# Checks of robur commands that must leave a repository as it was when they fail. Source it
# after lib/common.sh. Each check counts itself in $checks, so a script can report how many
# passed.

checks=0

# check: counts one check. A script calls it before a test that calls fail itself.
check() {
    checks=$((checks + 1))
}

# repository_state REPO: prints what a failed command must not change: HEAD, the branches,
# `git status` (in a repository with a work tree) and every file.
repository_state() {
    local repo=$1
    git -C "$repo" rev-parse HEAD 2>/dev/null || true
    git -C "$repo" for-each-ref --format='%(refname) %(objectname)'
    if [ "$(git -C "$repo" rev-parse --is-bare-repository)" = false ]; then
        git -C "$repo" status --porcelain --untracked-files=all
    fi
    (cd "$repo" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 -r sha1sum)
}

# expect_ok ARGS...: robur must exit 0.
expect_ok() {
    check
    run_robur "$@"
    [ "$status" -eq 0 ] || fail "robur $* exited $status, expected 0: $err"
}

# expect_rejection REPO CODE TEXT ARGS...: robur must exit CODE, name TEXT on stderr and leave
# REPO unchanged.
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

# expect_text HAYSTACK NEEDLE WHAT: HAYSTACK must contain NEEDLE.
expect_text() {
    check
    [[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in: $1"
}

# expect_equal ACTUAL EXPECTED WHAT: the two strings must be equal.
expect_equal() {
    check
    [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# expect_json TEXT WHAT: TEXT must parse as JSON.
expect_json() {
    check
    printf '%s' "$1" | python3 -c 'import json, sys; json.load(sys.stdin)' \
        || fail "$2: output is not JSON: $1"
}
