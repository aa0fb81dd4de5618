#!/usr/bin/python3
"""BIND and Knot secondaries provision robur's zones from its catalog zone (RFC 9432).

robur serves two zones and the catalog zone that robur.conf's dns.catalog names. A BIND 9
named and a Knot knotd are configured with the catalog zone only: named as a catalog-zones
consumer, knotd with catalog-role interpret. Both must then serve the two member zones. A
third zone committed afterwards reaches them through the catalog's NOTIFY and transfer
without a change to their configuration, and a removed zone is dropped by them.

Environment: ROBUR (robur binary). Exits 77 when named, knotd or dnspython is missing.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.message  # noqa: F401
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerProcess, free_port, git  # noqa: E402
from secondaries import (  # noqa: E402
    BindSecondary, KnotSecondary, missing_tools, query_serial, stop_all)

ROBUR = os.environ.get("ROBUR", "robur")
CATALOG = "catalog.invalid."
TIMEOUT = 20.0

ZONE = """$TTL 300
@   IN SOA ns1.example.net. hostmaster.example.net. {serial} 3600 900 604800 300
    IN NS  ns1.example.net.
www IN A   127.0.0.{serial}
"""

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}")


class CatalogBind(BindSecondary):
    """named whose only configured zone is the catalog; members come from it."""

    def write_config(self):
        argv = super().write_config()
        config = argv[-1]
        with open(config) as handle:
            text = handle.read()
        consumer = (
            f'    catalog-zones {{ zone "{CATALOG}" default-masters {{ {LOOPBACK} port'
            f' {self.primary_port}; }} in-memory yes min-update-interval 1; }};\n'
        )
        text = text.replace("    min-retry-time 1;\n};", "    min-retry-time 1;\n" + consumer + "};", 1)
        with open(config, "w") as handle:
            handle.write(text)
        return argv


class CatalogKnot(KnotSecondary):
    """knotd that interprets the catalog and creates its members from a template."""

    def write_config(self):
        argv = super().write_config()
        with open(self.config) as handle:
            text = handle.read()
        member_template = (
            "  - id: member\n"
            f"    storage: {self.workdir}\n"
            "    master: primary\n"
            "    acl: [notify_unsigned]\n"
            "    zonefile-sync: -1\n"
            "zone:\n"
        )
        text = text.replace("zone:\n", member_template, 1)
        text = text.replace(
            f'  - domain: "{CATALOG}"\n',
            f'  - domain: "{CATALOG}"\n    catalog-role: interpret\n'
            "    catalog-template: member\n",
            1,
        )
        with open(self.config, "w") as handle:
            handle.write(text)
        return argv


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def wait_for(condition, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def main():
    missing = missing_tools("named", "knotd")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77

    with tempfile.TemporaryDirectory(prefix="robur-catalog-") as workdir:
        repo = os.path.join(workdir, "repo")
        port = free_port()
        bind = CatalogBind(os.path.join(workdir, "named"), port, [CATALOG])
        knot = CatalogKnot(os.path.join(workdir, "knotd"), port, [CATALOG])
        os.makedirs(bind.workdir)
        os.makedirs(knot.workdir)

        for zone in ("example.com", "example.org"):
            write(os.path.join(repo, "zones", f"{zone}.zone"), ZONE.format(serial=1))
        write(os.path.join(repo, "robur.conf"),
              "[dns]\n"
              f"\tcatalog = {CATALOG}\n"
              f"\tallow-transfer = {LOOPBACK}\n"
              # Members are notified too, so that a new member's first transfer is quick.
              "[zone \"example.net\"]\n"
              f"\talso-notify = {LOOPBACK}:{bind.port}\n"
              f"\talso-notify = {LOOPBACK}:{knot.port}\n"
              f"[zone \"{CATALOG.rstrip('.')}\"]\n"
              f"\talso-notify = {LOOPBACK}:{bind.port}\n"
              f"\talso-notify = {LOOPBACK}:{knot.port}\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "Two zones and a catalog")

        argv = [ROBUR, "--repo", repo, "serve", "dns", "--listen", f"{LOOPBACK}:{port}"]
        robur = ServerProcess("robur", argv, os.path.join(workdir, "robur.log"), port)
        secondaries = []
        try:
            check(wait_for(lambda: query_serial(port, CATALOG) is not None, 10),
                  "robur does not serve the catalog zone")
            for secondary in (bind, knot):
                secondaries.append(secondary.start())
                secondary.wait_until_running()

            for secondary in secondaries:
                for zone in ("example.com.", "example.org."):
                    check(wait_for(lambda s=secondary, z=zone: s.serial(z) == 1),
                          f"{secondary.kind} does not serve member {zone} from the catalog")

            write(os.path.join(repo, "zones", "example.net.zone"), ZONE.format(serial=1))
            os.remove(os.path.join(repo, "zones", "example.org.zone"))
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "Add example.net, remove example.org")

            for secondary in secondaries:
                check(wait_for(lambda s=secondary: s.serial("example.net.") == 1),
                      f"{secondary.kind} did not add the new member example.net.")
                check(wait_for(lambda s=secondary: s.serial("example.org.") is None),
                      f"{secondary.kind} still serves the removed member example.org.")
        finally:
            stop_all(secondaries + [robur])
            if failures:
                for secondary in secondaries:
                    print(f"--- {secondary.kind} log\n{secondary.log_tail(40)}")
                print(f"--- robur log\n{robur.log_tail(40)}")

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("BIND and Knot provisioned robur's zones from its catalog")
    return 0


if __name__ == "__main__":
    sys.exit(main())
