#!/usr/bin/python3
"""Run litmus's basic, copymove, props and http suites against robur serve caldav, Xandikos
and Radicale, each on a free loopback port with its own configuration in a temporary folder.

Fails when robur passes fewer tests than either peer in any suite, and when a write that
litmus made is not exactly one commit authored by the authenticated user.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from dns_peers import free_port  # noqa: E402

LOOPBACK = "127.0.0.1"
SUITES = ["basic", "copymove", "props", "http"]
WRITE_METHODS = {"PUT", "DELETE", "MKCOL", "MKCALENDAR", "COPY", "MOVE", "PROPPATCH"}
SUMMARY = re.compile(r"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")


def wait_for_port(port, process, name, timeout=30.0):
    """Poll until the server accepts TCP connections; raise when it exits or times out."""
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


def run_litmus(url, user, password, log_path):
    """Run each suite on its own, because litmus stops at the first suite that fails, and
    return {suite: (passed, failed)}."""
    with open(log_path, "wb") as log:
        for suite in SUITES:
            subprocess.run(["litmus", url, user, password], stdout=log,
                           stderr=subprocess.STDOUT, env=dict(os.environ, TESTS=suite),
                           timeout=300, check=False)
    counts = {}
    with open(log_path, errors="replace") as log:
        for match in SUMMARY.finditer(log.read()):
            counts[match.group(1)] = (int(match.group(3)), int(match.group(4)))
    return counts


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def start_robur(robur, folder):
    repo = os.path.join(folder, "repo")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    git(repo, "config", "user.name", "Test Admin")
    git(repo, "config", "user.email", "admin@example.com")
    subprocess.run([robur, "--repo", repo, "user", "add", "alice", "--password-stdin",
                    "--display-name", "Alice Example", "--email", "alice@example.com"],
                   input="litmus-secret\n", text=True, check=True, capture_output=True)
    port = free_port()
    log = open(os.path.join(folder, "robur.log"), "wb")
    process = subprocess.Popen([robur, "--repo", repo, "-v", "serve", "caldav", "--listen",
                                f"{LOOPBACK}:{port}", "--threads", "2"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for_port(port, process, "robur")
    return process, repo, port


def start_xandikos(folder):
    port = free_port()
    log = open(os.path.join(folder, "xandikos.log"), "wb")
    process = subprocess.Popen(["xandikos", "-d", os.path.join(folder, "xandikos"), "--defaults",
                                "-l", LOOPBACK, "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for_port(port, process, "xandikos")
    return process, port


def start_radicale(folder):
    port = free_port()
    config = os.path.join(folder, "radicale.conf")
    with open(config, "w") as out:
        out.write(f"[server]\nhosts = {LOOPBACK}:{port}\n"
                  "[auth]\ntype = none\n"
                  "[rights]\ntype = authenticated\n"
                  f"[storage]\nfilesystem_folder = {os.path.join(folder, 'radicale')}\n")
    log = open(os.path.join(folder, "radicale.log"), "wb")
    process = subprocess.Popen(["radicale", "--config", config],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    wait_for_port(port, process, "radicale")
    return process, port


def check_commits(repo, log_path):
    """Every successful write is one commit by Alice; return a list of problems."""
    problems = []
    with open(log_path, errors="replace") as log:
        text = log.read()
    writes = [m for m in re.finditer(r"request method=(\w+) target=(\S+) status=(\d+) user=alice",
                                     text)
              if m.group(1) in WRITE_METHODS and m.group(3).startswith("2")]
    committed = re.findall(r"\[caldav\] commit id=(\w+) user=alice", text)
    if len(writes) != len(committed):
        problems.append(f"{len(writes)} successful writes but {len(committed)} commits logged")
    authors = git(repo, "log", "--format=%an <%ae>|%s", "main").splitlines()
    for line in authors[:-1]:  # the last one is the user add commit
        author, subject = line.split("|", 1)
        if author != "Alice Example <alice@example.com>":
            problems.append(f"commit '{subject}' has author {author}")
        if subject.split(" ", 1)[0] not in WRITE_METHODS:
            problems.append(f"commit subject '{subject}' does not start with the method")
    if len(authors) < 2:
        problems.append("litmus made no commit")
    return problems


def main():
    robur = os.environ.get("ROBUR")
    missing = [tool for tool in ("litmus", "xandikos", "radicale") if shutil.which(tool) is None]
    if not robur or missing:
        print(f"skipped: ROBUR unset or tools missing: {', '.join(missing) or 'ROBUR'}")
        return 77

    folder = tempfile.mkdtemp(prefix="robur-litmus-")
    processes = []
    try:
        process, repo, port = start_robur(robur, folder)
        processes.append(process)
        results = {"robur": run_litmus(f"http://{LOOPBACK}:{port}/alice/files/", "alice",
                                       "litmus-secret", os.path.join(folder, "litmus-robur.log"))}
        stop(process)

        process, port = start_xandikos(folder)
        processes.append(process)
        results["xandikos"] = run_litmus(f"http://{LOOPBACK}:{port}/user/", "user", "x",
                                         os.path.join(folder, "litmus-xandikos.log"))
        stop(process)

        process, port = start_radicale(folder)
        processes.append(process)
        results["radicale"] = run_litmus(f"http://{LOOPBACK}:{port}/litmus/", "litmus", "x",
                                         os.path.join(folder, "litmus-radicale.log"))
        stop(process)

        print(f"{'suite':10} {'robur':>10} {'xandikos':>10} {'radicale':>10}")
        failures = []
        for suite in SUITES:
            cells = []
            for server in ("robur", "xandikos", "radicale"):
                passed, failed = results[server].get(suite, (0, 0))
                cells.append(f"{passed}/{passed + failed}")
            print(f"{suite:10} {cells[0]:>10} {cells[1]:>10} {cells[2]:>10}")
            ours = results["robur"].get(suite, (0, 0))[0]
            for peer in ("xandikos", "radicale"):
                if ours < results[peer].get(suite, (0, 0))[0]:
                    failures.append(f"robur passes fewer {suite} tests than {peer}")
        failures += check_commits(repo, os.path.join(folder, "robur.log"))
        for failure in failures:
            print(f"FAIL: {failure}")
        if failures:
            print(f"logs kept in {folder}")
            return 1
        if os.environ.get("ROBUR_KEEP_LOGS"):
            print(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
        return 0
    finally:
        for process in processes:
            stop(process)


if __name__ == "__main__":
    sys.exit(main())
