#!/usr/bin/python3
"""Serve a VPN made by robur with the real openvpn and connect real openvpn clients to it.

The test makes a repository with `robur init`, a VPN with `robur vpn new`, two clients with
`robur vpn client add`, exports both profiles and revokes one client. client.conf names the
test server 127.0.0.1:PORT, as a sysadmin would set the server's address, so the clients never
try another address. `robur serve vpn --dev null --listen 127.0.0.1:PORT` then runs openvpn,
and openvpn clients started with the exported profiles plus `--dev null` connect: the valid one
completes the handshake, the revoked one is refused by the CRL check. A commit that changes
server.conf restarts openvpn with it; a commit with a broken server.conf is rejected and the
running openvpn keeps the previous config. SIGTERM stops openvpn and removes the runtime folder.
The pre-receive hook of `robur hooks install` rejects a push of the broken commit.

Environment: ROBUR (robur binary). Exits 77 when openvpn is missing.
"""

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from dns_peers import free_port, git  # noqa: E402

ROBUR = os.environ.get("ROBUR", "robur")
TIMEOUT = 60
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def robur(repo, *args):
    result = subprocess.run([ROBUR, "--repo", repo, *args], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        print(f"robur {' '.join(args)} exited {result.returncode}: {result.stderr}",
              file=sys.stderr)
    return result


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except FileNotFoundError:
        return ""


def wait_for(condition, description, timeout=TIMEOUT):
    """Poll condition every 100 ms; fail the test with `description` when it stays false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    check(False, f"timed out after {timeout} s waiting for {description}")
    return False


class Process:
    """A child process with its output in a log file."""

    def __init__(self, args, log, cwd=None):
        self.log = log
        with open(log, "w", encoding="utf-8") as out:
            self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)

    def output(self):
        return read(self.log)

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def connect(workdir, profile, name):
    """Start an openvpn client with an exported profile, on no device."""
    return Process(["openvpn", "--config", profile, "--dev", "null", "--verb", "3"],
                   os.path.join(workdir, f"{name}.log"), cwd=workdir)


def make_vpn(repo, workdir, port):
    """Make the repository, the VPN and two client profiles; revoke bob. Returns profiles."""
    check(robur(repo, "init", repo).returncode == 0, "robur init succeeds")
    check(robur(repo, "vpn", "new", "office").returncode == 0, "robur vpn new succeeds")
    client_conf = os.path.join(repo, "vpn", "office", "client.conf")
    lines = [f"remote 127.0.0.1 {port}" if line.startswith("remote ") else line
             for line in read(client_conf).splitlines()]
    with open(client_conf, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    git(repo, "commit", "-q", "-am", "Point clients at the test server")

    profiles = {}
    for client in ("alice", "bob"):
        check(robur(repo, "vpn", "client", "add", "office", client).returncode == 0,
              f"robur vpn client add {client} succeeds")
        profiles[client] = os.path.join(workdir, f"{client}.ovpn")
        check(robur(repo, "vpn", "client", "export", "office", client, "-o",
                    profiles[client]).returncode == 0, f"robur vpn client export {client}")
        check(stat.S_IMODE(os.stat(profiles[client]).st_mode) == 0o600,
              f"profile of {client} has mode 0600")
    check(robur(repo, "vpn", "client", "revoke", "office", "bob").returncode == 0,
          "robur vpn client revoke bob succeeds")
    return profiles


def check_runtime_folder(runtime):
    check(stat.S_IMODE(os.stat(runtime).st_mode) == 0o700, "runtime folder has mode 0700")
    key = os.path.join(runtime, "pki", "private", "server.key")
    check(os.path.exists(key), "runtime folder holds the server key")
    if os.path.exists(key):
        check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "server key has mode 0600")


def check_clients(server, workdir, profiles):
    alice = connect(workdir, profiles["alice"], "alice")
    wait_for(lambda: "Initialization Sequence Completed" in alice.output(),
             "alice to complete the handshake")
    alice.stop()

    bob = connect(workdir, profiles["bob"], "bob")
    wait_for(lambda: "certificate revoked: CN=bob" in server.output(),
             "the server to reject bob's revoked certificate")
    bob.stop()
    check("Initialization Sequence Completed" not in bob.output(),
          "the revoked client never completes the handshake")


def commit_server_conf(repo, transform, message):
    server_conf = os.path.join(repo, "vpn", "office", "server.conf")
    with open(server_conf, encoding="utf-8") as file:
        text = file.read()
    with open(server_conf, "w", encoding="utf-8") as file:
        file.write(transform(text))
    git(repo, "commit", "-q", "-am", message)


def check_reloads(server, repo, runtime, workdir, profiles):
    served = os.path.join(runtime, "robur-served.conf")
    starts = server.output().count("openvpn started")
    commit_server_conf(repo, lambda text: text.replace("verb 3", "verb 4"), "Raise verbosity")
    wait_for(lambda: server.output().count("openvpn started") == starts + 1,
             "openvpn to restart after the commit")
    check("verb 4" in read(served), "the restarted openvpn reads the new server.conf")
    wait_for(lambda: "link local (bound)" in server.output().split("applying commit")[-1],
             "the restarted openvpn to listen")
    alice = connect(workdir, profiles["alice"], "alice-after-reload")
    wait_for(lambda: "Initialization Sequence Completed" in alice.output(),
             "alice to connect to the restarted openvpn")
    alice.stop()

    starts = server.output().count("openvpn started")
    commit_server_conf(repo, lambda text: text + "bikeshed-color green\n", "Break the config")
    wait_for(lambda: "commit rejected" in server.output(), "the broken commit to be rejected")
    check("bikeshed-color" in server.output(), "the log names the invalid option")
    check(server.output().count("openvpn started") == starts,
          "openvpn keeps running after the broken commit")
    check("verb 4" in read(served) and "bikeshed" not in read(served),
          "the runtime folder keeps the previous config")


def check_start_failures(repo):
    missing = robur(repo, "serve", "vpn", "nosuch", "--dev", "null")
    check(missing.returncode == 1, f"serving a missing VPN exits 1, not {missing.returncode}")
    check("vpn/nosuch/server.conf" in missing.stderr, "the error names the missing file")

    broken = robur(repo, "serve", "vpn", "office", "--dev", "null", "--listen",
                   f"127.0.0.1:{free_port()}", "--runtime-dir", os.path.join(repo, "..", "r2"))
    check(broken.returncode == 1, f"serving a broken config exits 1, not {broken.returncode}")
    check("vpn/office/server.conf:" in broken.stderr and "error:" in broken.stderr,
          "the failed start prints path:line: error: diagnostics")


def check_hook(workdir, repo):
    """Push to a bare repository with robur's hooks: the broken server.conf is rejected."""
    bare = os.path.join(workdir, "pushed.git")
    subprocess.run(["git", "init", "-q", "--bare", bare], check=True)
    check(robur(bare, "hooks", "install").returncode == 0, "robur hooks install succeeds")
    env = dict(os.environ, ROBUR=ROBUR)
    broken = subprocess.run(["git", "-C", repo, "push", bare, "main"], capture_output=True,
                            text=True, check=False, env=env)
    check(broken.returncode != 0, "the pre-receive hook rejects the broken server.conf")
    check("vpn/office/server.conf:" in broken.stderr and "bikeshed-color" in broken.stderr,
          "the rejected push lists the diagnostic")
    valid = subprocess.run(["git", "-C", repo, "push", bare, "main~1:refs/heads/main"],
                           capture_output=True, text=True, check=False, env=env)
    check(valid.returncode == 0, f"the hook accepts the valid commit: {valid.stderr}")


def main():
    if shutil.which("openvpn") is None:
        print("openvpn not found, skipping")
        return 77
    os.environ.update({"GIT_AUTHOR_NAME": "robur test", "GIT_AUTHOR_EMAIL": "test@robur.invalid",
                       "GIT_COMMITTER_NAME": "robur test",
                       "GIT_COMMITTER_EMAIL": "test@robur.invalid"})
    workdir = tempfile.mkdtemp(prefix="robur-serve-vpn-")
    repo = os.path.join(workdir, "repo")
    runtime = os.path.join(workdir, "run", "office")
    port = free_port()
    server = None
    try:
        profiles = make_vpn(repo, workdir, port)
        if failures:
            return 1
        server = Process([ROBUR, "--repo", repo, "serve", "vpn", "office", "--dev", "null",
                          "--listen", f"127.0.0.1:{port}", "--runtime-dir", runtime,
                          "--poll-interval", "200"], os.path.join(workdir, "serve.log"))
        if wait_for(lambda: "link local (bound)" in server.output(), "openvpn to listen"):
            check_runtime_folder(runtime)
            check_clients(server, workdir, profiles)
            check_reloads(server, repo, runtime, workdir, profiles)
        code = server.stop()
        check(code == 0, f"robur serve vpn exits 0 on SIGTERM, not {code}")
        check(not os.path.exists(runtime), "the runtime folder is removed on exit")
        check("vpn server stopped" in server.output(), "the stop is logged")
        check_start_failures(repo)
        check_hook(workdir, repo)
    finally:
        if server is not None:
            server.stop(signal.SIGKILL)
            if failures:
                print(server.output(), file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("serve vpn: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
