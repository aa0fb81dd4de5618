"""Run robur serve caldav on 127.0.0.1 for the CalDAV and CardDAV integration tests.

make_repository() makes a checked-out repository with the user alice, and serving() runs
`robur -v serve caldav` on it in the foreground, on a port that was free when it was picked,
until the block ends. Its log, folder/robur.log, shows each request. Readiness is polled with TCP
connections instead of a fixed wait.

run_test() runs a test body in a temporary folder. The body returns a list of failure messages,
and each is printed as a "FAIL: message" line. The folder is kept and named when the body
raises or fails, or when $ROBUR_KEEP_LOGS is set, and removed otherwise.
"""

import base64
import contextlib
import importlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dns_peers import LOOPBACK, free_port  # noqa: E402

USER = "alice"
AUTHOR = "Alice Example <alice@example.com>"
SKIP = 77


def required_robur(modules=(), commands=()):
    """Return $ROBUR, or print the skip reason and return None when ROBUR or a tool is missing."""
    missing = [] if os.environ.get("ROBUR") else ["ROBUR is not set"]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(f"the Python module {module} is not installed")
    missing += [f"the command {command} is not installed"
                for command in commands if shutil.which(command) is None]
    if missing:
        print(f"skipped: {'; '.join(missing)}")
        return None
    return os.environ["ROBUR"]


def git(repo, *args):
    """Run git in repo and return its output, or raise CalledProcessError when it fails."""
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def _log(repo, *args):
    """Return (author, subject) of each commit that `git log args` lists."""
    lines = git(repo, "log", "--format=%an <%ae>|%s", *args).splitlines()
    return [tuple(line.split("|", 1)) for line in lines]


def commits(repo):
    """Return (author, subject) of every commit on main, newest first."""
    return _log(repo, "main")


def commits_since(repo, base):
    """Return (author, subject) of the commits on main after base, oldest first."""
    return _log(repo, "--reverse", f"{base}..main")


def robur_cli(robur, repo, *args, stdin=None):
    """Run `robur --repo repo args` and return its output, or raise RuntimeError when it fails."""
    result = subprocess.run([robur, "--repo", repo, *args], input=stdin, text=True,
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"robur {' '.join(args)} exited {result.returncode}: "
                           f"{result.stderr.strip()}")
    return result.stdout


def make_repository(robur, folder, password):
    """Make the repository folder/repo on branch main with the user alice and return its path."""
    repo = os.path.join(folder, "repo")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    git(repo, "config", "user.name", "Test Admin")
    git(repo, "config", "user.email", "admin@example.com")
    robur_cli(robur, repo, "user", "add", USER, "--password-stdin", "--display-name",
              "Alice Example", "--email", "alice@example.com", stdin=password + "\n")
    return repo


def wait_for_port(port, process, name, timeout=30.0):
    """Poll until process accepts TCP connections on port, and raise if it exits or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with status {process.returncode} during start-up")
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not accept connections on port {port} within {timeout} s")


def stop(process):
    """Stop process with SIGTERM, then SIGKILL after 10 seconds, and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running(name, argv, log_path, port):
    """Start argv, yield the process once it listens on port, and stop it when the block ends."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, name)
        yield process
    finally:
        stop(process)


@contextlib.contextmanager
def serving(robur, repo, folder, *options):
    """Run `robur serve caldav` for repo on a free port and yield the port until the block ends."""
    port = free_port()
    argv = [robur, "--repo", repo, "-v", "serve", "caldav", "--listen", f"{LOOPBACK}:{port}",
            "--threads", "2", *options]
    with running("robur", argv, os.path.join(folder, "robur.log"), port):
        yield port


def basic_authorization(password, user=USER):
    """Return the value of an Authorization header with Basic credentials (RFC 7617)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


def run_test(prefix, body, success=None):
    """Run body(folder) in a temporary folder, print its failures and return the exit code."""
    folder = tempfile.mkdtemp(prefix=prefix)
    try:
        failures = body(folder)
    except Exception:
        print(f"logs kept in {folder}")
        raise
    for failure in failures:
        print(f"FAIL: {failure}")
    if failures:
        print(f"logs kept in {folder}")
        return 1
    if os.environ.get("ROBUR_KEEP_LOGS"):
        print(f"logs kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    if success:
        print(success)
    return 0


def run_server_test(prefix, password, client, success, modules=(), prepare=None):
    """Run client(port, repo) against a new robur serve caldav and return the test's exit code."""
    robur = required_robur(modules=modules)
    if robur is None:
        return SKIP

    def body(folder):
        repo = make_repository(robur, folder, password)
        if prepare is not None:
            prepare(repo)
        with serving(robur, repo, folder) as port:
            return client(port, repo)

    return run_test(prefix, body, success)


class CommitChecker:
    """Checks that each write adds exactly one commit by the authenticated user."""

    def __init__(self, repo):
        self.repo = repo
        self.count = len(commits(repo))
        self.failures = []

    def expect_one(self, action):
        """Record a failure unless exactly one commit by AUTHOR came since the previous check."""
        history = commits(self.repo)
        added = history[:len(history) - self.count]
        self.count = len(history)
        if len(added) != 1:
            self.failures.append(f"{action}: {len(added)} commits instead of 1: {added}")
        elif added[0][0] != AUTHOR:
            self.failures.append(f"{action}: commit '{added[0][1]}' has author {added[0][0]}")
