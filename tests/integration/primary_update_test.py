#!/usr/bin/python3
"""nsupdate changes to a zone served by robur land in Git, one commit per UPDATE.

robur serves a bare repository that contains example.com and example.net with one key file per
zone. The test checks, against `robur serve dns` on a free loopback port:

  - `nsupdate -y` with a `<label>._update.example.com` key adds, changes and deletes records;
    each UPDATE is one commit whose author is the key name, its result is served as soon as
    nsupdate returns, the serial rises, and the comments of the zone file survive;
  - UPDATE is rejected, with no commit, when it is unsigned (REFUSED), signed with an unknown
    key (NOTAUTH, TSIG error BADKEY), with a wrong secret (NOTAUTH, BADSIG), with a signature
    one hour old (NOTAUTH, BADTIME), with a key for another zone or with a transfer key
    (REFUSED or NOTAUTH);
  - the UPDATE faults of the DNS fault corpus: a CNAME beside other data is not applied, and two
    additions to one RRset with different TTLs leave the RRset with a single TTL.

Environment: ROBUR (robur binary); ROBUR_CORPUS_DIR for the corpus cases, which are skipped
when it is absent. Exits 77 when nsupdate, dig or dnspython is missing.
"""

import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.message
    import dns.query
    import dns.rdatatype
    import dns.update
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerError, free_port  # noqa: E402
from robur_primary import (  # noqa: E402
    ZONE, ZONE_FILE, Checks, commit_count, DataRepository, foreign_notify_targets,
    format_config, new_tsig_key, nsupdate, robur_binary, run, send_update, start_primary)
from secondaries import TsigKey, missing_tools, query_serial, tool_path  # noqa: E402

EXAMPLE_NET = """$ORIGIN example.net.
$TTL 3600
@    IN SOA ns1.example.net. hostmaster.example.net. 2026010101 7200 3600 1209600 3600
     IN NS  ns1.example.invalid.
ns1  IN A   192.0.2.1
"""


def lookup(port, name, rdtype):
    """Return the sorted rdata texts of name and rdtype that robur serves."""
    query = dns.message.make_query(name, rdtype)
    response = dns.query.udp(query, LOOPBACK, port=port, timeout=5)
    return sorted(rdata.to_text() for rrset in response.answer for rdata in rrset
                  if rrset.rdtype == dns.rdatatype.from_text(rdtype))


def answer_ttls(port, name, rdtype):
    """Return the TTL of each record of name and rdtype in robur's answer, as dig prints them.

    dnspython merges records of one RRset into one TTL, so dig shows what is on the wire.
    """
    result = subprocess.run(
        [tool_path("dig"), f"@{LOOPBACK}", "-p", str(port), "+noall", "+answer", name, rdtype],
        capture_output=True, text=True, check=False, timeout=10)
    return [int(line.split()[1]) for line in result.stdout.splitlines() if line.strip()]


def comments(text):
    """Return the comment texts of a master file, in order, for checking that edits keep them."""
    return [line[line.index(";"):].strip() for line in text.splitlines() if ";" in line
            and '"' not in line]


def setup(robur, root, port):
    """Make the repository with both zones and their keys; return (repository, keys)."""
    keys = {
        "update": new_tsig_key(robur, "nsupdate._update.example.com"),
        "transfer": new_tsig_key(robur, "ns2._transfer.example.com"),
        "other": new_tsig_key(robur, "other._update.example.net"),
    }
    repository = DataRepository(robur, os.path.join(root, "repo"))
    repository.write("keys/example.com._keys",
                     f"{keys['update'][1]}\n{keys['transfer'][1]}\n")
    repository.write("keys/example.net._keys", f"{keys['other'][1]}\n")
    repository.write("zones/example.net.zone", EXAMPLE_NET)
    repository.write("robur.conf", format_config([("dns", [("listen", f"{LOOPBACK}:{port}")])]))
    repository.raise_serial()
    repository.commit("Add example.net and the update keys")
    pushed = repository.push()
    if pushed.returncode != 0:
        raise RuntimeError(f"first push rejected:\n{pushed.stderr}")
    return repository, {role: key for role, (key, _) in keys.items()}


class UpdateChecks:
    """The checks of one test run against one robur."""

    def __init__(self, checks, repository, port, keys):
        self.checks = checks
        self.repository = repository
        self.port = port
        self.keys = keys

    def nsupdate_one_commit(self, label, commands):
        """Run one nsupdate send; check it succeeded and made exactly one commit by the key."""
        before = commit_count(self.repository)
        serial = query_serial(self.port, ZONE)
        result = nsupdate(self.port, [f"zone {ZONE}", *commands, "send"], self.keys["update"])
        self.checks.check(result.returncode == 0,
                          f"{label}: nsupdate exit {result.returncode}: {result.stdout}"
                          f"{result.stderr}")
        self.checks.check(commit_count(self.repository) == before + 1,
                          f"{label}: {commit_count(self.repository) - before} commits, expected 1")
        author = self.repository.bare_git("log", "-1", "--format=%an").stdout.strip()
        self.checks.check(author.rstrip(".") == self.keys["update"].name.rstrip("."),
                          f"{label}: commit author {author!r}, expected the key name"
                          f" {self.keys['update'].name}")
        served = query_serial(self.port, ZONE)
        self.checks.check(served is not None and serial is not None and served > serial,
                          f"{label}: served serial {served} did not rise from {serial}")

    def add_change_delete(self):
        before_text = self.repository.show(ZONE_FILE)
        self.nsupdate_one_commit("add", [
            "update add added.example.com. 300 IN A 192.0.2.50",
            'update add added.example.com. 300 IN TXT "added by nsupdate"',
        ])
        # Queried once, right after nsupdate returned: an UPDATE is acknowledged only after
        # its commit is served.
        self.checks.check(lookup(self.port, "added.example.com", "A") == ["192.0.2.50"],
                          "add: added.example.com A is not served right after nsupdate")
        after_text = self.repository.show(ZONE_FILE)
        self.checks.check("192.0.2.50" in after_text,
                          "add: the committed zone file has no 192.0.2.50")
        self.checks.check(comments(after_text) == comments(before_text),
                          f"add: the comments of the zone file changed:\n{after_text}")

        self.nsupdate_one_commit("change", [
            "update delete mail.example.com. A 192.0.2.25",
            "update add mail.example.com. 3600 IN A 192.0.2.26",
        ])
        self.checks.check(lookup(self.port, "mail.example.com", "A") == ["192.0.2.26"],
                          "change: mail.example.com A is not 192.0.2.26")
        changed_text = self.repository.show(ZONE_FILE)
        self.checks.check(comments(changed_text) == comments(before_text),
                          f"change: the comments of the zone file changed:\n{changed_text}")
        self.checks.check(not re.search(r"\b192\.0\.2\.25\b", changed_text),
                          "change: the old mail address is still in the zone file")

        self.nsupdate_one_commit("delete", ["update delete added.example.com. A"])
        self.checks.check(lookup(self.port, "added.example.com", "A") == [],
                          "delete: added.example.com A is still served")
        self.checks.check(lookup(self.port, "added.example.com", "TXT")
                          == ['"added by nsupdate"'],
                          "delete: deleting the A RRset also removed the TXT RRset")

    def rejected(self, label, key, expected_rcodes, expected_tsig, clock_offset=0,
                 name="rejected.example.com"):
        """Send a signed (or unsigned) UPDATE that must be rejected without a commit."""
        before = commit_count(self.repository)
        message = dns.update.UpdateMessage(ZONE)
        message.add(name, 300, "A", "192.0.2.99")
        if key is not None:
            message.use_tsig(key.keyring(), keyname=key.name)
        try:
            rcode, tsig_error = send_update(self.port, message, key=key, tcp=False,
                                            clock_offset=clock_offset)
        except OSError as error:
            self.checks.check(False, f"{label}: no response: {error}")
            return
        self.checks.check(rcode in expected_rcodes,
                          f"{label}: rcode {rcode}, expected {' or '.join(expected_rcodes)}")
        if expected_tsig is not None:
            self.checks.check(tsig_error == expected_tsig,
                              f"{label}: response TSIG {tsig_error}, expected {expected_tsig}")
        self.checks.check(commit_count(self.repository) == before,
                          f"{label}: a rejected UPDATE made a commit")
        self.checks.check(lookup(self.port, name, "A") == [],
                          f"{label}: the rejected record {name} is served")

    def rejections(self):
        update_key = self.keys["update"]
        unknown = TsigKey.generate("nobody._update.example.com")
        wrong_secret = TsigKey.generate(update_key.name, update_key.algorithm)
        self.rejected("unsigned", None, ["REFUSED"], "unsigned")
        self.rejected("unknown key", unknown, ["NOTAUTH"], "BADKEY")
        self.rejected("wrong secret", wrong_secret, ["NOTAUTH"], "BADSIG")
        # RFC 8945 section 5.2.3: outside the fudge (300 s) of the server's clock.
        self.rejected("signature one hour old", update_key, ["NOTAUTH"], "BADTIME",
                      clock_offset=-3600)
        self.rejected("key of example.net", self.keys["other"], ["REFUSED", "NOTAUTH"], None)
        # A transfer key is verified, so the refusal is signed with it (RFC 8945 section 5.3).
        self.rejected("transfer key", self.keys["transfer"], ["REFUSED"], "NOERROR")

        before = commit_count(self.repository)
        result = nsupdate(self.port, [f"zone {ZONE}",
                                      "update add unsigned.example.com. 300 IN A 192.0.2.98",
                                      "send"])
        self.checks.check(result.returncode != 0 and "REFUSED" in result.stdout + result.stderr,
                          f"unsigned nsupdate: exit {result.returncode}, output"
                          f" {result.stdout + result.stderr!r}, expected REFUSED")
        self.checks.check(commit_count(self.repository) == before,
                          "unsigned nsupdate: made a commit")

    def corpus_script(self, corpus, name):
        """Return the nsupdate commands of a corpus case without its server line, or None."""
        path = os.path.join(corpus, "dns", "faults", name)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as source:
            return [line.rstrip("\n") for line in source
                    if line.strip() and not line.startswith("server ")]

    def corpus_faults(self, corpus, robur):
        cname = self.corpus_script(corpus, "update-cname-beside-a.nsupdate")
        ttl = self.corpus_script(corpus, "update-rrset-ttl.nsupdate")
        if cname is None or ttl is None:
            print(f"corpus not found at {corpus}, skipping the two corpus UPDATE faults")
            return

        before = commit_count(self.repository)
        result = nsupdate(self.port, cname, self.keys["update"])
        print(f"CNAME beside A: nsupdate exit {result.returncode} {result.stdout.strip()}"
              f" {result.stderr.strip()}")
        self.checks.check(lookup(self.port, "host1.example.com", "A") == ["192.0.2.10"],
                          "CNAME beside A: host1 A from the first UPDATE is not served")
        self.checks.check(lookup(self.port, "host1.example.com", "CNAME") == [],
                          "CNAME beside A: a CNAME was added beside the A record")
        self.checks.check(commit_count(self.repository) == before + 1,
                          f"CNAME beside A: {commit_count(self.repository) - before} commits,"
                          " expected 1 (the A record only)")
        self.check_zone_valid(robur, "CNAME beside A")

        result = nsupdate(self.port, ttl, self.keys["update"])
        self.checks.check(result.returncode == 0,
                          f"RRset TTL: nsupdate exit {result.returncode}: {result.stdout}"
                          f"{result.stderr}")
        self.checks.check(lookup(self.port, "test.example.com", "A")
                          == ["192.0.2.111", "192.0.2.112"],
                          "RRset TTL: test.example.com does not have both addresses")
        ttls = answer_ttls(self.port, "test.example.com", "A")
        self.checks.check(len(ttls) == 2 and len(set(ttls)) == 1,
                          f"RRset TTL: the RRset is served with TTLs {ttls}, expected one TTL")
        self.check_zone_valid(robur, "RRset TTL")

    def check_zone_valid(self, robur, label):
        result = run([robur, "--repo", self.repository.bare, "zone", "validate"], check=False)
        self.checks.check(result.returncode == 0 and "0 warnings" in result.stdout,
                          f"{label}: robur zone validate on the branch: exit {result.returncode}:"
                          f" {result.stdout}{result.stderr}")


def run_test(robur, root, corpus):
    checks = Checks()
    port = free_port()
    repository, keys = setup(robur, root, port)
    primary = start_primary(robur, repository, port, root)
    try:
        primary.wait_until_answering(f"{ZONE}.")
        update = UpdateChecks(checks, repository, port, keys)
        update.add_change_delete()
        update.rejections()
        update.corpus_faults(corpus, robur)
        update.check_zone_valid(robur, "after all updates")
        primary.raise_if_exited()
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
    missing = missing_tools("nsupdate", "dig", "git")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77
    robur = robur_binary()
    corpus = os.environ.get("ROBUR_CORPUS_DIR", "")
    with tempfile.TemporaryDirectory(prefix="robur-primary-update-") as root:
        return run_test(robur, root, corpus)


if __name__ == "__main__":
    sys.exit(main())
