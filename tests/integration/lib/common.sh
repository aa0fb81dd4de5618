# shellcheck shell=bash
# Set-up shared by the integration shell tests. Source it right after `set -euo pipefail`:
#   . "$(dirname "$0")/lib/common.sh"
# It checks that ROBUR names the robur binary and defines the helpers below. Checks count
# their failures in $failures; each script reports the count and sets its exit status itself.

: "${ROBUR:?set ROBUR to the robur binary}"

failures=0

# fail MESSAGE...: prints MESSAGE as a failed check on stderr and counts it.
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# require_tool [--install PACKAGES] TOOL...: exits 77, which CTest counts as skipped, when a
# TOOL is not in PATH. PACKAGES names what to install in the message.
require_tool() {
    local packages=
    if [ "${1:-}" = --install ]; then
        packages=$2
        shift 2
    fi
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null; then
            echo "$tool not found, skipping${packages:+ (install $packages)}"
            exit 77
        fi
    done
}

# scratch_dir NAME: sets $scratch to a new folder under $TMPDIR, removed when the script exits.
# A script that starts background processes defines on_exit to stop them; it runs first.
scratch_dir() {
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/robur-$1-test.XXXXXX")
    trap remove_scratch EXIT
}

# The EXIT trap of scratch_dir. The script's exit status survives it.
remove_scratch() {
    if declare -F on_exit >/dev/null; then
        on_exit || true
    fi
    rm -rf "$scratch"
}

# private_home: gives git an empty HOME under $scratch and clears the variables that would
# point it at another repository or identity, so the test never reads the user's
# configuration. The HOME has no Git identity; git_identity adds one.
private_home() {
    export HOME="$scratch/home"
    export XDG_CONFIG_HOME="$HOME/.config"
    export GIT_CONFIG_NOSYSTEM=1
    mkdir -p "$HOME"
    unset GIT_DIR GIT_WORK_TREE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME \
        GIT_COMMITTER_EMAIL EMAIL GIT_CEILING_DIRECTORIES || true
}

# git_identity NAME EMAIL: makes a private HOME whose Git configuration names NAME <EMAIL> as
# the user and main as the branch that `git init` creates.
git_identity() {
    private_home
    git config --global user.name "$1"
    git config --global user.email "$2"
    git config --global init.defaultBranch main
}

# git_env_identity NAME EMAIL: sets NAME <EMAIL> as the Git author and committer through the
# environment, which takes precedence over any Git configuration.
git_env_identity() {
    export GIT_AUTHOR_NAME=$1 GIT_AUTHOR_EMAIL=$2
    export GIT_COMMITTER_NAME=$1 GIT_COMMITTER_EMAIL=$2
}

# stop_process PID: sends SIGTERM to PID, a background job of the script, and waits for it to
# end. An empty PID means no process.
stop_process() {
    if [ -n "$1" ]; then
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}

# run_robur ARGS...: runs robur, storing stdout, stderr and the exit status in $out, $err and
# $status. Needs $scratch.
run_robur() {
    status=0
    "$ROBUR" "$@" >"$scratch/out" 2>"$scratch/err" || status=$?
    out=$(cat "$scratch/out")
    err=$(cat "$scratch/err")
}

# free_port: prints a TCP port on 127.0.0.1 that is free now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
