#!/usr/bin/python3
"""Concurrent UPDATEs and git pushes to one branch lose nothing.

Four client threads send 50 signed UPDATEs each (200 in all) to `robur serve dns`, each adding
its own TXT record, while the test pushes commits that add A records to the same branch from a
clone. A push that is rejected because robur committed in between is retried as a user would:
`git pull --rebase`, and when the rebase stops on a conflict (the serial line always
conflicts), the change is made again on the new head. At the end:

  - every UPDATE answered NOERROR is in the zone file of the final branch, and each one is
    exactly one commit whose author is the key name;
  - every pushed commit is in the branch history and its record is in the final zone;
  - every UPDATE was answered NOERROR, because robur re-applies an UPDATE when the branch moved;
  - `robur zone validate` passes on the branch, and robur serves its serial.

Environment: ROBUR (robur binary). Exits 77 when git or dnspython is missing.
"""

import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.update
    import dns.zone
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerError, free_port  # noqa: E402
from robur_primary import (  # noqa: E402
    ZONE, ZONE_FILE, Checks, DataRepository, foreign_notify_targets, format_config,
    new_tsig_key, robur_binary, run, send_update, start_primary)
from secondaries import missing_tools, query_serial  # noqa: E402

CLIENTS = 4
UPDATES_PER_CLIENT = 50
PUSHES = 8
# Mean seconds a client waits between its UPDATEs (uniform from 0 to twice this). Without
# pauses robur commits every few tens of milliseconds and no push lands before the UPDATEs end,
# because a rebase and push take longer than that.
MEAN_PAUSE = 0.3
# In every cycle of CYCLE seconds the clients send for the first part and rest for the last
# QUIET seconds. A push takes a fetch, a rebase and the hooks, up to half a second in a
# sanitizer build, and robur commits about 13 UPDATEs a second while the clients send. So
# without the rest no push might land before the UPDATEs end.
CYCLE = 3.0
QUIET = 1.0
# Attempts for one push before the test gives up on it. A push fails when robur committed after
# the fetch before it, which under this load happens up to about 20 times in a row.
PUSH_ATTEMPTS = 100
# Seconds the whole exchange may take before the clients stop sending.
DEADLINE = 50.0


def update_name(client, index):
    return f"c{client}-{index}.race.{ZONE}."


def wait_for_sending_part(started):
    """Sleep to the end of the current cycle's rest, if it is in one."""
    into_cycle = (time.monotonic() - started) % CYCLE
    if into_cycle >= CYCLE - QUIET:
        time.sleep(CYCLE - into_cycle)


def run_client(port, key, client, results, started, stop_at):
    """Send this client's UPDATEs one after the other; store each rcode in results."""
    pauses = random.Random(client)
    for index in range(UPDATES_PER_CLIENT):
        time.sleep(pauses.uniform(0, 2 * MEAN_PAUSE))
        wait_for_sending_part(started)
        if time.monotonic() > stop_at:
            results[(client, index)] = "not sent (deadline)"
            continue
        message = dns.update.UpdateMessage(ZONE)
        message.add(update_name(client, index), 300, "TXT", f'"client {client} update {index}"')
        message.use_tsig(key.keyring(), keyname=key.name)
        try:
            rcode, tsig_error = send_update(port, message, key=key, tcp=True, timeout=15)
            results[(client, index)] = rcode if tsig_error == "NOERROR" else f"{rcode}/{tsig_error}"
        except OSError as error:
            results[(client, index)] = f"no response: {error}"


def redo_push_change(repository, number):
    """Append this push's record and raise the serial in the clone, then commit."""
    repository.append(ZONE_FILE, f"push{number} IN A 198.51.100.{number}")
    repository.raise_serial()
    repository.commit(f"Add push{number}")


def push_with_retries(repository, number):
    """Push one change, rebasing on robur's commits as often as needed; return the commit id
    that reached the branch, or None after PUSH_ATTEMPTS."""
    redo_push_change(repository, number)
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        pushed = repository.push()
        if pushed.returncode == 0:
            print(f"push{number} landed at attempt {attempt}")
            return repository.git("rev-parse", "HEAD").stdout.strip()
        rebased = repository.git("pull", "-q", "--rebase", "origin", repository.branch,
                                 check=False)
        if rebased.returncode != 0:
            # The serial line (and often the end of the file) changed on both sides: make the
            # change again on the branch as it is now.
            repository.git("rebase", "--abort", check=False)
            repository.git("reset", "-q", "--hard", f"origin/{repository.branch}")
            redo_push_change(repository, number)
    return None


def final_zone(repository):
    """Parse the zone file of the final branch with dnspython."""
    text = repository.show(ZONE_FILE)
    return dns.zone.from_text(text, origin=f"{ZONE}.", relativize=False, check_origin=True)


def has_record(zone, name, rdtype):
    return zone.get_rdataset(name, rdtype) is not None


def check_results(checks, repository, robur, port, key, results, pushed, start_commit):
    acknowledged = [item for item, rcode in results.items() if rcode == "NOERROR"]
    others = {item: rcode for item, rcode in results.items() if rcode != "NOERROR"}
    print(f"{len(acknowledged)} of {len(results)} UPDATEs answered NOERROR;"
          f" {sum(1 for c in pushed if c)} of {PUSHES} pushes landed")
    checks.check(not others, f"UPDATEs not answered NOERROR: {sorted(others.items())[:10]}")

    zone = final_zone(repository)
    missing = [update_name(*item) for item in acknowledged
               if not has_record(zone, update_name(*item), "TXT")]
    checks.check(not missing, f"{len(missing)} acknowledged UPDATEs are not in the final zone,"
                 f" e.g. {missing[:5]}")

    authors = repository.bare_git("log", "--format=%an", f"{start_commit}..{repository.branch}")
    by_key = sum(1 for author in authors.stdout.split()
                 if author.rstrip(".") == key.name.rstrip("."))
    checks.check(by_key == len(acknowledged),
                 f"{by_key} commits by {key.name}, expected one per acknowledged UPDATE"
                 f" ({len(acknowledged)})")

    for number, commit in enumerate(pushed, start=1):
        if not checks.check(commit is not None, f"push{number} did not land in"
                            f" {PUSH_ATTEMPTS} attempts"):
            continue
        ancestor = repository.bare_git("merge-base", "--is-ancestor", commit, repository.branch,
                                       check=False)
        checks.check(ancestor.returncode == 0,
                     f"pushed commit {commit} (push{number}) is not in the branch history")
        checks.check(has_record(zone, f"push{number}.{ZONE}.", "A"),
                     f"push{number} A is not in the final zone")

    validated = run([robur, "--repo", repository.bare, "zone", "validate"], check=False)
    checks.check(validated.returncode == 0,
                 f"robur zone validate on the final branch: exit {validated.returncode}:"
                 f" {validated.stdout}{validated.stderr}")

    serial = zone.get_rdataset(f"{ZONE}.", "SOA")[0].serial
    deadline = time.monotonic() + 3
    while query_serial(port, ZONE) != serial and time.monotonic() < deadline:
        time.sleep(0.05)
    served = query_serial(port, ZONE)
    checks.check(served == serial, f"robur serves serial {served}, the branch has {serial}")


def run_test(robur, root):
    checks = Checks()
    port = free_port()
    key, dnskey = new_tsig_key(robur, "race._update.example.com")
    repository = DataRepository(robur, os.path.join(root, "repo"))
    repository.write("keys/example.com._keys", f"{dnskey}\n")
    repository.write("robur.conf", format_config([("dns", [("listen", f"{LOOPBACK}:{port}")])]))
    repository.raise_serial()
    repository.commit("Add the update key")
    if repository.push().returncode != 0:
        raise RuntimeError("first push rejected")
    start_commit = repository.head()

    primary = start_primary(robur, repository, port, root, verbose=False)
    try:
        primary.wait_until_answering(f"{ZONE}.")
        results = {}
        started = time.monotonic()
        stop_at = started + DEADLINE
        threads = [threading.Thread(target=run_client,
                                    args=(port, key, client, results, started, stop_at))
                   for client in range(CLIENTS)]
        for thread in threads:
            thread.start()
        pushed = []
        during = 0
        for number in range(1, PUSHES + 1):
            pushed.append(push_with_retries(repository, number))
            during += len(results) < CLIENTS * UPDATES_PER_CLIENT
        for thread in threads:
            thread.join()
        print(f"exchange took {time.monotonic() - started:.1f} s;"
              f" {during} pushes landed while UPDATEs were still being sent")
        with open(primary.log_path, errors="replace") as log:
            retried = log.read().count('reason="branch moved"')
        print(f"robur re-applied an UPDATE {retried} times because the branch moved")
        checks.check(during > 0, "no push landed while UPDATEs were being sent, so the test"
                     " did not race them: raise UPDATES_PER_CLIENT")
        primary.raise_if_exited()
        check_results(checks, repository, robur, port, key, results, pushed, start_commit)
    except ServerError as error:
        checks.check(False, str(error))
    finally:
        primary.stop()
        foreign = foreign_notify_targets(primary.log_path)
        checks.check(not foreign, f"robur sent NOTIFY beyond 127.0.0.1: {foreign}")
        if checks.failures:
            print(f"robur log {primary.log_path}:\n{primary.log_tail(40)}", file=sys.stderr)
    return checks.exit_code()


def main():
    missing = missing_tools("git")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77
    robur = robur_binary()
    with tempfile.TemporaryDirectory(prefix="robur-primary-race-") as root:
        return run_test(robur, root)


if __name__ == "__main__":
    sys.exit(main())
