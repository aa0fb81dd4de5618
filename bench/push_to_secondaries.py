#!/usr/bin/python3
"""Measure the time from `git push` returning until BIND and Knot secondaries serve the change.

The script builds the setup of the primary_secondaries integration test in a temporary folder:
a bare repository with robur's hooks, a clone, robur.conf with both secondaries as
also-notify targets (each with its own TSIG transfer key), `robur serve dns` on a free port of
127.0.0.1, and BIND 9 named and Knot knotd as secondaries on their own free ports. Then, RUNS
times, it adds a record to example.com, raises the serial, commits, pushes, and polls robur
and both secondaries with SOA queries until each serves the new serial.

It prints one line per run and then the median and maximum of each time in milliseconds: the
duration of `git push` (with robur's hooks: validation, then a NOTIFY to robur), and from its
return until robur, named, knotd and both secondaries serve the new serial. The last column,
push+both, runs from the start of `git push`.

Usage: bench/push_to_secondaries.py [--robur PATH] [--runs N] [--interval SECONDS]
                                    [--timeout SECONDS] [--verbose] [--keep]
The robur binary defaults to $ROBUR, else build/release/cli/robur of this source tree.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration", "lib"))

from dns_peers import LOOPBACK, ServerError, free_port  # noqa: E402
from robur_primary import (  # noqa: E402
    ZONE, ZONE_FILE, DataRepository, foreign_notify_targets, format_config, new_tsig_key,
    start_primary)
from secondaries import (  # noqa: E402
    BindSecondary, KnotSecondary, missing_tools, query_serial, stop_all)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_robur = os.environ.get("ROBUR") or os.path.join(SOURCE_DIR, "build", "release",
                                                            "cli", "robur")
    parser.add_argument("--robur", default=default_robur,
                        help="robur binary (default: $ROBUR, else build/release/cli/robur)")
    parser.add_argument("--runs", type=int, default=20, help="pushes to time (default: 20)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder with the repository and every log")
    parser.add_argument("--verbose", action="store_true",
                        help="run robur with -v, so that its log shows every request")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="seconds to wait before each push (default: 1), because BIND and Knot"
                        " delay a refresh that follows their previous transfer closely")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds a run may take before it counts as failed (default: 10)")
    return parser.parse_args()


def wait_for_all(servers, serial, timeout):
    """Poll each (label, port) in servers until it serves serial for the zone.

    Returns {label: seconds} from the call; a server that never does gets None.
    """
    start = time.monotonic()
    pending = dict(servers)
    reached = {label: None for label in pending}
    while pending and time.monotonic() - start < timeout:
        for label, port in list(pending.items()):
            if query_serial(port, ZONE, timeout=0.2) == serial:
                reached[label] = time.monotonic() - start
                del pending[label]
        if pending:
            time.sleep(0.002)
    return reached


def set_up(robur, root, robur_port):
    """Make the repository and the two secondaries (not started yet); return them."""
    named_key, named_dnskey = new_tsig_key(robur, "named._transfer.example.com")
    knot_key, knot_dnskey = new_tsig_key(robur, "knot._transfer.example.com")
    named = BindSecondary(os.path.join(root, "named"), robur_port, [ZONE], named_key)
    knot = KnotSecondary(os.path.join(root, "knotd"), robur_port, [ZONE], knot_key)

    # The hooks come after the first push: its post-receive hook would send a NOTIFY to a
    # robur that is not running yet, and wait for it.
    repository = DataRepository(robur, os.path.join(root, "repo"), hooks=False)
    repository.write("keys/example.com._keys", f"{named_dnskey}\n{knot_dnskey}\n")
    repository.write("robur.conf", format_config([
        ("dns", [("listen", f"{LOOPBACK}:{robur_port}"), ("allow-notify", LOOPBACK)]),
        (f'zone "{ZONE}"', [
            ("also-notify", f"{LOOPBACK}:{named.port} key {named_key.name}"),
            ("also-notify", f"{LOOPBACK}:{knot.port} key {knot_key.name}"),
        ]),
        ("hooks", [("notify-server", f"{LOOPBACK}:{robur_port}")]),
    ]))
    repository.raise_serial()
    repository.commit("Serve example.com to a BIND and a Knot secondary")
    if repository.push().returncode != 0:
        raise RuntimeError("the first push was rejected")
    repository.install_hooks()
    return repository, named, knot


def report(results):
    labels = ["push", "robur", "named", "knotd", "both", "push+both"]
    print(f"\n{len(results)} runs, milliseconds: push is the time `git push` took (hooks"
          " included), push+both from its start, the others from its return until the new serial"
          " is served")
    print("| time | median | max |")
    print("|---|---:|---:|")
    for label in labels:
        values = [run[label] * 1000 for run in results]
        print(f"| {label} | {statistics.median(values):.0f} | {max(values):.0f} |")


def measure(arguments, root):
    robur = os.path.abspath(arguments.robur)
    os.environ["ROBUR"] = robur
    robur_port = free_port()
    repository, named, knot = set_up(robur, root, robur_port)
    primary = start_primary(robur, repository, robur_port, root, verbose=arguments.verbose)
    servers = [primary, named, knot]
    try:
        primary.wait_until_answering(f"{ZONE}.")
        for secondary in (named, knot):
            os.makedirs(secondary.workdir)
            secondary.start()
        for secondary in (named, knot):
            secondary.wait_until_running()
            secondary.wait_for_serial(ZONE, repository.serial(), timeout=arguments.timeout)

        targets = [("robur", robur_port), ("named", named.port), ("knotd", knot.port)]
        results = []
        failures = []
        for run in range(1, arguments.runs + 1):
            time.sleep(arguments.interval)
            repository.append(ZONE_FILE, f"run{run} IN A 192.0.2.{run % 250 + 1}")
            serial = repository.raise_serial()
            repository.commit(f"Add run{run}")
            push_started = time.monotonic()
            pushed = repository.push()
            push_seconds = time.monotonic() - push_started
            if pushed.returncode != 0:
                raise RuntimeError(f"push {run} was rejected:\n{pushed.stderr}")
            reached = wait_for_all(targets, serial, arguments.timeout)
            late = [label for label, seconds in reached.items() if seconds is None]
            if late:
                # The next push sends a new NOTIFY, so a secondary that missed one catches up.
                failures.append(f"run {run}: {', '.join(late)} did not serve serial {serial}"
                                f" within {arguments.timeout} s")
                print(failures[-1], flush=True)
                continue
            times = {"push": push_seconds, **reached}
            times["both"] = max(times["named"], times["knotd"])
            times["push+both"] = push_seconds + times["both"]
            results.append(times)
            print(f"run {run}: serial {serial}: " + ", ".join(
                f"{label} {seconds * 1000:.0f} ms" for label, seconds in times.items()))
        if results:
            report(results)
        if failures:
            print(f"{len(failures)} of {arguments.runs} runs left out: a secondary missed the new"
                  f" serial for {arguments.timeout} s")
        transfers = {s.kind: [kind for kind, _ in s.transfers(ZONE)] for s in (named, knot)}
        for kind, kinds in transfers.items():
            print(f"{kind}: {kinds.count('IXFR')} IXFR and {kinds.count('AXFR')} AXFR received")
        return 1 if failures else 0
    finally:
        stop_all(servers)
        foreign = foreign_notify_targets(primary.log_path)
        if foreign:
            print(f"robur sent NOTIFY beyond 127.0.0.1: {foreign}", file=sys.stderr)


def main():
    arguments = parse_arguments()
    missing = missing_tools("named", "knotd", "git")
    if missing:
        print(f"{', '.join(missing)} not found", file=sys.stderr)
        return 2
    if not os.path.exists(arguments.robur):
        print(f"robur binary {arguments.robur} not found: build it or pass --robur PATH",
              file=sys.stderr)
        return 2
    root = tempfile.mkdtemp(prefix="robur-bench-push-")
    try:
        return measure(arguments, root)
    except (RuntimeError, ServerError) as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        if arguments.keep:
            print(f"repository and logs kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
