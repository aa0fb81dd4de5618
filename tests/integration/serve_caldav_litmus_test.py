#!/usr/bin/python3
"""Run litmus's basic, copymove, props and http suites against robur serve caldav, Xandikos
and Radicale, each on a free loopback port with its own configuration in a temporary folder.

Fails when robur passes fewer tests than either peer in any suite, and when a write that
litmus made is not exactly one commit authored by the authenticated user.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from caldav_server import (  # noqa: E402
    AUTHOR, LOOPBACK, SKIP, USER, git, make_repository, required_robur, run_test, running,
    serving)
from dns_peers import free_port  # noqa: E402

PASSWORD = "litmus-secret"
SERVERS = ("robur", "xandikos", "radicale")
SUITES = ["basic", "copymove", "props", "http"]
WRITE_METHODS = {"PUT", "DELETE", "MKCOL", "MKCALENDAR", "COPY", "MOVE", "PROPPATCH"}
SUMMARY = re.compile(r"<- summary for `(\w+)': of (\d+) tests run: (\d+) passed, (\d+) failed")


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


def litmus_robur(robur, folder):
    """Run litmus against robur serve caldav as alice and return (counts, repository path)."""
    repo = make_repository(robur, folder, PASSWORD)
    with serving(robur, repo, folder) as port:
        counts = run_litmus(f"http://{LOOPBACK}:{port}/{USER}/files/", USER, PASSWORD,
                            os.path.join(folder, "litmus-robur.log"))
    return counts, repo


def litmus_xandikos(folder):
    """Run litmus against Xandikos with its default collections."""
    port = free_port()
    argv = ["xandikos", "-d", os.path.join(folder, "xandikos"), "--defaults", "-l", LOOPBACK,
            "-p", str(port)]
    with running("xandikos", argv, os.path.join(folder, "xandikos.log"), port):
        return run_litmus(f"http://{LOOPBACK}:{port}/user/", "user", "x",
                          os.path.join(folder, "litmus-xandikos.log"))


def litmus_radicale(folder):
    """Run litmus against Radicale without authentication."""
    port = free_port()
    config = os.path.join(folder, "radicale.conf")
    with open(config, "w") as out:
        out.write(f"[server]\nhosts = {LOOPBACK}:{port}\n"
                  "[auth]\ntype = none\n"
                  "[rights]\ntype = authenticated\n"
                  f"[storage]\nfilesystem_folder = {os.path.join(folder, 'radicale')}\n")
    with running("radicale", ["radicale", "--config", config],
                 os.path.join(folder, "radicale.log"), port):
        return run_litmus(f"http://{LOOPBACK}:{port}/litmus/", "litmus", "x",
                          os.path.join(folder, "litmus-radicale.log"))


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
        if author != AUTHOR:
            problems.append(f"commit '{subject}' has author {author}")
        if subject.split(" ", 1)[0] not in WRITE_METHODS:
            problems.append(f"commit subject '{subject}' does not start with the method")
    if len(authors) < 2:
        problems.append("litmus made no commit")
    return problems


def compare(robur, folder):
    """Run litmus against the three servers, print a table of the results and return failures."""
    results = {}
    results["robur"], repo = litmus_robur(robur, folder)
    results["xandikos"] = litmus_xandikos(folder)
    results["radicale"] = litmus_radicale(folder)

    print(f"{'suite':10} {'robur':>10} {'xandikos':>10} {'radicale':>10}")
    failures = []
    for suite in SUITES:
        cells = []
        for server in SERVERS:
            passed, failed = results[server].get(suite, (0, 0))
            cells.append(f"{passed}/{passed + failed}")
        print(f"{suite:10} {cells[0]:>10} {cells[1]:>10} {cells[2]:>10}")
        ours = results["robur"].get(suite, (0, 0))[0]
        for peer in ("xandikos", "radicale"):
            if ours < results[peer].get(suite, (0, 0))[0]:
                failures.append(f"robur passes fewer {suite} tests than {peer}")
    failures += check_commits(repo, os.path.join(folder, "robur.log"))
    return failures


def main():
    robur = required_robur(commands=("litmus", "xandikos", "radicale"))
    if robur is None:
        return SKIP
    return run_test("robur-litmus-", lambda folder: compare(robur, folder))


if __name__ == "__main__":
    sys.exit(main())
