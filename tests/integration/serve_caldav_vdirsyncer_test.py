#!/usr/bin/python3
"""Sync robur serve caldav with local vdir folders through vdirsyncer, in both directions.

vdirsyncer discovers the collections from the server's root URL: the principal, then the
calendar and address book homes. It creates the calendar "work" on the server from 1,000
local events (single, weekly with an override and an EXDATE, all-day, and in a VTIMEZONE)
and a local folder for the calendar "team", which `robur cal import` made on the server. The
address book "family" starts with 60 local contacts and 40 imported on the server.

After the first sync, a read-only pair downloads the events of one day through a
calendar-query with a time-range, and metasync copies display names and a color both ways.
Then the test changes events and contacts on the server, through HTTP and through
`robur cal import` as another client would, and syncs them down. Last, it edits, deletes and
adds local files and syncs them up. It checks that every write is exactly one commit by the
user whose message names the UID, and that a sync right after each step changes nothing: no
commit, no local file touched, and no vdirsyncer action.
"""

import datetime
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TEST_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(TEST_DIR, "lib"))
from caldav_server import (  # noqa: E402
    AUTHOR, LOOPBACK, SKIP, USER, basic_authorization, commits_since, git, make_repository,
    required_robur, robur_cli, run_test, serving)

PASSWORD = "vdir-secret"
EVENT_COUNT = 1000
LOCAL_CONTACTS = 60
SERVER_CONTACTS = 40
TEAM_EVENTS = 5
# Collection properties that `vdirsyncer metasync` copies, per pair, in its config syntax.
METADATA = {"calendars": '["displayname", "color"]', "contacts": '["displayname"]'}
# The pairs that sync every collection both ways.
PAIRS = ("calendars", "contacts")
# The day whose events the pair "range" downloads.
RANGE_DAY = datetime.date(2026, 1, 15)
# vdirsyncer prints one of these lines for every item it writes to either side.
ACTION = re.compile(r"^(Copying \((uploading|updating)\) item|Deleting item) (\S+) (to|from) "
                    r"(\S+)", re.MULTILINE)

# The VTIMEZONE the Berlin events carry, with CRLF line ends.
with open(os.path.join(TEST_DIR, "..", "data", "icalendar", "europe-berlin-vtimezone.ics"),
          encoding="utf-8", newline="") as vtimezone:
    BERLIN_VTIMEZONE = vtimezone.read()


def event_uid(index):
    # Every tenth UID has an "@", which vdirsyncer 0.19 does not put in a URL, so those events
    # get a random resource name on the server while the others are named after their UID.
    return f"event-{index:04d}@robur.test" if index % 10 == 0 else f"vdir-event-{index:04d}"


def calendar_text(body, timezone=False):
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//robur vdirsyncer test//EN\r\n" +
            (BERLIN_VTIMEZONE if timezone else "") + body + "END:VCALENDAR\r\n")


def make_event(index, summary=None, sequence=0):
    """Return (UID, SUMMARY, iCalendar text) of test event `index`, whose kind is index % 4:
    single, weekly with an override and an EXDATE, all-day, or in Europe/Berlin."""
    uid = event_uid(index)
    kind = ("single", "weekly", "all-day", "berlin")[index % 4]
    summary = summary or f"Event {index:04d} ({kind})"
    day = datetime.date(2026, 1, 1) + datetime.timedelta(days=index % 365)
    date = day.strftime("%Y%m%d")
    common = f"UID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSEQUENCE:{sequence}\r\n"

    if kind == "single":
        body = (f"BEGIN:VEVENT\r\n{common}DTSTART:{date}T100000Z\r\n"
                f"DTEND:{date}T110000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n")
        return uid, summary, calendar_text(body)

    if kind == "weekly":
        # Six weekly instances at 08:00: the third is excluded, and the second moved to
        # 09:00 on the day before.
        second = (day + datetime.timedelta(days=7)).strftime("%Y%m%d")
        moved = (day + datetime.timedelta(days=6)).strftime("%Y%m%d")
        third = (day + datetime.timedelta(days=14)).strftime("%Y%m%d")
        body = (f"BEGIN:VEVENT\r\n{common}DTSTART:{date}T080000Z\r\n"
                f"DTEND:{date}T083000Z\r\nRRULE:FREQ=WEEKLY;COUNT=6\r\n"
                f"EXDATE:{third}T080000Z\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\n"
                f"BEGIN:VEVENT\r\n{common}RECURRENCE-ID:{second}T080000Z\r\n"
                f"DTSTART:{moved}T090000Z\r\nDTEND:{moved}T093000Z\r\n"
                f"SUMMARY:{summary} (moved)\r\nEND:VEVENT\r\n")
        return uid, summary, calendar_text(body)

    if kind == "all-day":
        following = (day + datetime.timedelta(days=1)).strftime("%Y%m%d")
        body = (f"BEGIN:VEVENT\r\n{common}DTSTART;VALUE=DATE:{date}\r\n"
                f"DTEND;VALUE=DATE:{following}\r\nSUMMARY:{summary}\r\n"
                "TRANSP:TRANSPARENT\r\nEND:VEVENT\r\n")
        return uid, summary, calendar_text(body)

    body = (f"BEGIN:VEVENT\r\n{common}DTSTART;TZID=Europe/Berlin:{date}T140000\r\n"
            f"DTEND;TZID=Europe/Berlin:{date}T153000\r\nSUMMARY:{summary}\r\n"
            "LOCATION:Room 4\r\nEND:VEVENT\r\n")
    return uid, summary, calendar_text(body, timezone=True)


def event_instances(index):
    """Return the (start, end) pairs in UTC of the instances of test event `index`, as
    make_event writes it."""
    kind = index % 4
    day = datetime.date(2026, 1, 1) + datetime.timedelta(days=index % 365)
    midnight = datetime.datetime.combine(day, datetime.time(), datetime.timezone.utc)
    hours = datetime.timedelta(hours=1)
    if kind == 0:
        return [(midnight + 10 * hours, midnight + 11 * hours)]
    if kind == 1:
        weeks = [midnight + datetime.timedelta(days=7 * week) for week in range(6)]
        instances = [(start + 8 * hours, start + 8.5 * hours) for start in weeks]
        moved = weeks[1] - 24 * hours
        instances[1] = (moved + 9 * hours, moved + 9.5 * hours)  # the override
        del instances[2]  # the EXDATE
        return instances
    if kind == 2:
        return [(midnight, midnight + 24 * hours)]
    # 14:00 to 15:30 in Berlin is UTC+1 in winter and UTC+2 in summer.
    offset = 2 if datetime.date(2026, 3, 29) <= day < datetime.date(2026, 10, 25) else 1
    return [(midnight + (14 - offset) * hours, midnight + (15.5 - offset) * hours)]


def make_card(index, name=None):
    """Return (UID, FN, vCard text) of test contact `index`: vCard 4.0 for odd indexes,
    3.0 for even ones."""
    uid = f"vdir-contact-{index:03d}"
    name = name or f"Contact {index:03d}"
    if index % 2:
        text = (f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{name}\r\n"
                f"N:{index:03d};Contact;;;\r\nEMAIL;TYPE=work:contact{index:03d}@example.com\r\n"
                f"TEL;VALUE=uri;TYPE=cell:tel:+49-30-555-{index:04d}\r\nEND:VCARD\r\n")
    else:
        text = (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\n"
                f"N:{index:03d};Contact;;;\r\n"
                f"EMAIL;TYPE=INTERNET:contact{index:03d}@example.com\r\n"
                f"TEL;TYPE=CELL:+49 30 555 {index:04d}\r\nEND:VCARD\r\n")
    return uid, name, text


def make_team_event(index, summary=None):
    uid = f"team-{index}"
    summary = summary or f"Team meeting {index}"
    body = (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:202602{index + 1:02d}T120000Z\r\nDTEND:202602{index + 1:02d}T130000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\n")
    return uid, summary, calendar_text(body)


def head(repo):
    return git(repo, "rev-parse", "main").strip()


def server_blobs(repo, folder):
    """Return {file name: blob id} of the files in a folder at main."""
    listing = git(repo, "ls-tree", f"main:{folder}").splitlines()
    return {line.split("\t", 1)[1]: line.split()[2] for line in listing}


def server_files(repo, folder, suffix):
    """Return {file name: bytes} of the files ending in `suffix` in a folder at main."""
    entries = [(name, blob) for name, blob in server_blobs(repo, folder).items()
               if name.endswith(suffix)]
    # One `git cat-file --batch` reads every blob: "<id> blob <size>\n<bytes>\n" each.
    output = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], check=True,
                            capture_output=True,
                            input="".join(f"{blob}\n" for _, blob in entries).encode()).stdout
    files = {}
    offset = 0
    for name, _ in entries:
        header_end = output.index(b"\n", offset)
        size = int(output[offset:header_end].split()[2])
        files[name] = output[header_end + 1:header_end + 1 + size]
        offset = header_end + 1 + size + 1
    return files


def stored_uid(data):
    """Return the UID of stored iCalendar or vCard bytes."""
    return re.search(rb"^UID:(.*?)\r?$", data, re.MULTILINE).group(1).decode()


def read_text(path):
    with open(path, encoding="utf-8", newline="") as data:
        return data.read()


class Dav:
    """A minimal HTTP client that writes to the server as a second CalDAV client would."""

    def __init__(self, port):
        self.base = f"http://{LOOPBACK}:{port}"
        self.authorization = basic_authorization(PASSWORD)

    def request(self, method, path, body=None, headers=None):
        """Send a request and return (status, headers, body), also for 4xx and 5xx."""
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", self.authorization)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def put(self, path, text, content_type, etag=None):
        headers = {"Content-Type": content_type}
        if etag is None:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = etag
        return self.request("PUT", path, text.encode(), headers)[0]

    def etag(self, path):
        status, headers, _ = self.request("GET", path)
        return headers.get("ETag") if status == 200 else None

    def delete(self, path, etag):
        return self.request("DELETE", path, headers={"If-Match": etag})[0]


def local_state(folder):
    """Return {relative path: (mtime in ns, SHA-256)} of every file below `folder`."""
    state = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as data:
                digest = hashlib.sha256(data.read()).hexdigest()
            state[os.path.relpath(path, folder)] = (os.stat(path).st_mtime_ns, digest)
    return state


def local_uids(folder):
    """Return {UID: file text} of the items in a local vdir folder."""
    found = {}
    for name in os.listdir(folder):
        text = read_text(os.path.join(folder, name))
        match = re.search(r"^UID:(.*?)\r?$", text, re.MULTILINE)
        if match:
            found[match.group(1)] = text
    return found


def write_file(path, text):
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)


class Vdirsyncer:
    """Runs vdirsyncer with a configuration of three pairs: calendars and contacts, which
    sync every collection both ways, and range, which downloads the events of one day."""

    def __init__(self, folder, port):
        self.local = os.path.join(folder, "local")
        self.config = os.path.join(folder, "vdirsyncer.conf")
        self.log = os.path.join(folder, "vdirsyncer.log")
        self.status = os.path.join(folder, "status")
        url = f"http://{LOOPBACK}:{port}/"

        # Both remote storages get the server's root URL, so vdirsyncer must find the
        # principal, the home sets and the collections on its own.
        storages = []
        for pair, remote_type, extension in (("calendars", "caldav", ".ics"),
                                             ("contacts", "carddav", ".vcf")):
            os.makedirs(os.path.join(self.local, pair), exist_ok=True)
            storages.append(f'[pair {pair}]\na = "local_{pair}"\nb = "robur_{pair}"\n'
                            'collections = ["from a", "from b"]\n'
                            f'metadata = {METADATA[pair]}\n\n'
                            f'[storage local_{pair}]\ntype = "filesystem"\n'
                            f'path = "{os.path.join(self.local, pair)}/"\n'
                            f'fileext = "{extension}"\n\n'
                            f'[storage robur_{pair}]\ntype = "{remote_type}"\nurl = "{url}"\n'
                            f'username = "{USER}"\npassword = "{PASSWORD}"\n')

        # A pair without collections syncs the storages' own URLs. With a date range and
        # item_types, vdirsyncer lists the calendar through a calendar-query REPORT with a
        # time-range filter in place of PROPFIND.
        os.makedirs(os.path.join(self.local, "range"))
        storages.append('[pair range]\na = "local_range"\nb = "robur_range"\n'
                        'collections = null\n\n'
                        '[storage local_range]\ntype = "filesystem"\n'
                        f'path = "{os.path.join(self.local, "range")}/"\nfileext = ".ics"\n\n'
                        '[storage robur_range]\ntype = "caldav"\nread_only = true\n'
                        f'url = "{url}{USER}/calendars/work/"\n'
                        f'username = "{USER}"\npassword = "{PASSWORD}"\n'
                        'item_types = ["VEVENT"]\n'
                        f'start_date = "datetime({RANGE_DAY.year}, {RANGE_DAY.month}, '
                        f'{RANGE_DAY.day})"\n'
                        f'end_date = "datetime({RANGE_DAY.year}, {RANGE_DAY.month}, '
                        f'{RANGE_DAY.day}) + timedelta(days=1)"\n')

        with open(self.config, "w") as out:
            out.write(f'[general]\nstatus_path = "{self.status}/"\n\n')
            out.write("\n".join(storages))

    def run(self, *args, answers=""):
        """Run one vdirsyncer command and return its output. Raise when it fails."""
        started = time.monotonic()
        result = subprocess.run(["vdirsyncer", "-c", self.config, *args], input=answers,
                                text=True, capture_output=True, timeout=300, check=False)
        output = result.stdout + result.stderr
        with open(self.log, "a") as log:
            log.write(f"$ vdirsyncer {' '.join(args)} ({time.monotonic() - started:.1f} s, "
                      f"exit {result.returncode})\n{output}\n")
        if result.returncode != 0:
            raise RuntimeError(f"vdirsyncer {' '.join(args)} exited {result.returncode}:\n"
                               f"{output}")
        return output

    def server_etags(self, pair, collection):
        """Return {resource name: ETag} that vdirsyncer 0.19 recorded for the server side of
        a collection in its status database, from PUT responses and multiget reports."""
        database = sqlite3.connect(os.path.join(self.status, pair, f"{collection}.items"))
        try:
            rows = database.execute("SELECT href_b, etag_b FROM status").fetchall()
        finally:
            database.close()
        return {urllib.parse.unquote(href.rsplit("/", 1)[1]): etag for href, etag in rows}

    def metasync(self):
        """Run `vdirsyncer metasync` and return the copied properties as (name, destination)."""
        output = self.run("metasync", *PAIRS)
        return re.findall(r"^Copying (\S+) to (\S+)", output, re.MULTILINE)

    def sync(self, pairs=PAIRS):
        """Run `vdirsyncer sync` and return its actions as (action, ident, destination)."""
        output = self.run("sync", *pairs)
        return [(match.group(1), match.group(3), match.group(5))
                for match in ACTION.finditer(output)]


class Checks:
    """Collects failures, and compares the repository and the local folders around syncs."""

    def __init__(self, repo, vdir):
        self.repo = repo
        self.vdir = vdir
        self.failures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)

    def expect_commits(self, step, base, expected):
        """Check that the commits after `base` are exactly one per expected write, in any
        order, each authored by the user. A write is (method, UID) or (method, UID, SUMMARY
        or FN), and its commit subject must name each of them."""
        added = commits_since(self.repo, base)
        self.expect(len(added) == len(expected),
                    f"{step}: {len(added)} commits, expected {len(expected)}")
        wrong_authors = [subject for author, subject in added if author != AUTHOR]
        self.expect(not wrong_authors,
                    f"{step}: {len(wrong_authors)} commits not authored by {AUTHOR}, the first: "
                    f"{wrong_authors[:1]}")
        unmatched = []
        remaining = [subject for _, subject in added]
        for method, uid, *summary in expected:
            needles = [f"(UID {uid})", *(f": {text} (" for text in summary)]
            match = next((subject for subject in remaining if subject.startswith(method + " ")
                          and all(needle in subject for needle in needles)), None)
            if match is None:
                unmatched.append(f"{method} {' '.join(needles)}")
            else:
                remaining.remove(match)
        self.expect(not unmatched, f"{step}: no commit for {len(unmatched)} writes, the first: "
                                   f"{unmatched[:3]}")
        self.expect(not remaining, f"{step}: unexpected commits, the first: {remaining[:3]}")

    def expect_idle_sync(self, step):
        """Run a second sync and check that it changes nothing on either side."""
        base = head(self.repo)
        before = local_state(self.vdir.local)
        actions = self.vdir.sync()
        self.expect(not actions, f"{step}: the second sync acted: {actions[:5]}")
        self.expect(head(self.repo) == base,
                    f"{step}: the second sync made commits: {commits_since(self.repo, base)[:3]}")
        after = local_state(self.vdir.local)
        changed = sorted(path for path in set(before) | set(after)
                         if before.get(path) != after.get(path))
        self.expect(not changed, f"{step}: the second sync changed local files: {changed[:5]}")


def prepare_server(robur, repo, folder):
    """Import the calendar "team" and 40 contacts of "family" as another client would."""
    team = os.path.join(folder, "team.ics")
    events = [make_team_event(index)[2] for index in range(TEAM_EVENTS)]
    # One VCALENDAR with every event, as an export from another program would have.
    first = events[0].replace("PRODID:", "X-WR-CALNAME:Team\r\nPRODID:", 1)
    write_file(team, first.replace("END:VCALENDAR\r\n", "") +
               "".join(text[text.index("BEGIN:VEVENT"):text.index("END:VCALENDAR")]
                       for text in events[1:]) + "END:VCALENDAR\r\n")
    robur_cli(robur, repo, "cal", "import", team, "--calendar", f"{USER}/team")
    family = os.path.join(folder, "family.vcf")
    write_file(family, "".join(make_card(index)[2]
                               for index in range(LOCAL_CONTACTS,
                                                  LOCAL_CONTACTS + SERVER_CONTACTS)))
    robur_cli(robur, repo, "card", "import", family, "--addressbook", f"{USER}/family")


def prepare_local(vdir):
    """Write 1,000 events to the local calendar "work" and 60 contacts to "family"."""
    work = os.path.join(vdir.local, "calendars", "work")
    family = os.path.join(vdir.local, "contacts", "family")
    os.makedirs(work)
    os.makedirs(family)
    for index in range(EVENT_COUNT):
        uid, _, text = make_event(index)
        write_file(os.path.join(work, uid.replace("@", "_at_") + ".ics"), text)
    for index in range(LOCAL_CONTACTS):
        uid, _, text = make_card(index)
        write_file(os.path.join(family, uid + ".vcf"), text)


def check_discovery(checks, vdir, repo, robur_log):
    base = head(repo)
    # `vdirsyncer discover` prompts before it creates a missing collection, here "work" on
    # the server and "team" in the local folder, so the test answers yes.
    output = vdir.run("discover", answers="y\n" * 4)
    added = commits_since(repo, base)
    checks.expect(len(added) == 1 and added[0][1].startswith("MKCOL /alice/calendars/work/")
                  and added[0][0] == AUTHOR,
                  f"discover: expected one MKCOL commit by {AUTHOR} for the calendar work, "
                  f"got {added}")
    checks.expect(os.path.isdir(os.path.join(vdir.local, "calendars", "team")),
                  f"discover did not create the local calendar team:\n{output}")
    with open(robur_log, errors="replace") as log:
        text = log.read()
    for target in ("/alice/calendars/", "/alice/contacts/"):
        checks.expect(f"method=PROPFIND target={target} " in text,
                      f"discover did not read the home {target} from the principal")


def check_first_sync(checks, vdir, repo):
    base = head(repo)
    started = time.monotonic()
    actions = vdir.sync()
    elapsed = time.monotonic() - started
    uploads = [action for action in actions if action[2].startswith("robur_")]
    checks.expect(len(uploads) == EVENT_COUNT + LOCAL_CONTACTS,
                  f"first sync: {len(uploads)} uploads, expected {EVENT_COUNT + LOCAL_CONTACTS}")
    expected = ([("PUT", *make_event(index)[:2]) for index in range(EVENT_COUNT)] +
                [("PUT", *make_card(index)[:2]) for index in range(LOCAL_CONTACTS)])
    checks.expect_commits("first sync", base, expected)

    work = server_files(repo, f"calendars/{USER}/work", ".ics")
    checks.expect(len(work) == EVENT_COUNT,
                  f"first sync: the server calendar holds {len(work)} resources")
    checks.expect({stored_uid(data) for data in work.values()} ==
                  {event_uid(index) for index in range(EVENT_COUNT)},
                  "first sync: the server calendar does not hold every local UID")
    sample = make_event(7)
    checks.expect(sample[2].encode() in work.values(),
                  "first sync: the server did not store the bytes of event 7 unchanged")
    family = server_files(repo, f"contacts/{USER}/family", ".vcf")
    checks.expect(len(family) == LOCAL_CONTACTS + SERVER_CONTACTS,
                  f"first sync: the server address book holds {len(family)} contacts")

    team = local_uids(os.path.join(vdir.local, "calendars", "team"))
    checks.expect(sorted(team) == sorted(make_team_event(index)[0]
                                         for index in range(TEAM_EVENTS)),
                  f"first sync: the local calendar team holds {sorted(team)}")
    contacts = local_uids(os.path.join(vdir.local, "contacts", "family"))
    checks.expect(len(contacts) == LOCAL_CONTACTS + SERVER_CONTACTS,
                  f"first sync: the local address book holds {len(contacts)} contacts")
    # The ETag of a PUT response, and of a report, must be the stored blob id that later
    # PROPFINDs return. Otherwise the next sync downloads those items again to compare them.
    for pair, collection, folder in (("calendars", "work", f"calendars/{USER}/work"),
                                     ("calendars", "team", f"calendars/{USER}/team"),
                                     ("contacts", "family", f"contacts/{USER}/family")):
        blobs = {name: f'"{blob}"' for name, blob in server_blobs(repo, folder).items()}
        recorded = vdir.server_etags(pair, collection)
        wrong = sorted(name for name in set(blobs) | set(recorded)
                       if not name.startswith(".") and blobs.get(name) != recorded.get(name))
        checks.expect(not wrong, f"first sync: {len(wrong)} ETags of {folder} recorded by "
                                 f"vdirsyncer differ from the blob ids, the first: {wrong[:3]}")
    print(f"first sync: {len(actions)} actions in {elapsed:.1f} s")


def check_range_sync(checks, vdir, repo):
    """Download the events of RANGE_DAY through a calendar-query, and check that exactly the
    events with an instance overlapping that day arrive, then that a second sync is idle."""
    start = datetime.datetime.combine(RANGE_DAY, datetime.time(), datetime.timezone.utc)
    end = start + datetime.timedelta(days=1)
    expected = sorted(event_uid(index) for index in range(EVENT_COUNT)
                      if any(begin < end and finish > start
                             for begin, finish in event_instances(index)))
    base = head(repo)
    actions = vdir.sync(("range",))
    found = sorted(local_uids(os.path.join(vdir.local, "range")))
    checks.expect(found == expected, f"range sync: downloaded {found}, expected {expected}")
    checks.expect(len(actions) == len(expected),
                  f"range sync: {len(actions)} actions for {len(expected)} events")
    before = local_state(os.path.join(vdir.local, "range"))
    actions = vdir.sync(("range",))
    checks.expect(not actions, f"the second range sync acted: {actions}")
    checks.expect(local_state(os.path.join(vdir.local, "range")) == before,
                  "the second range sync changed local files")
    checks.expect(head(repo) == base, "the range syncs made commits")


def check_metasync(checks, vdir, repo):
    """Copy the local calendar's name and color to the server, and the names of the
    imported calendar and address book to the local folders. `robur card import` names a
    new address book after its folder. A second metasync must then copy nothing."""
    work = os.path.join(vdir.local, "calendars", "work")
    write_file(os.path.join(work, "displayname"), "Work calendar")
    write_file(os.path.join(work, "color"), "#3A87AD")
    base = head(repo)
    copied = vdir.metasync()
    expected = [("displayname", "robur_calendars/work"), ("color", "robur_calendars/work"),
                ("displayname", "local_calendars/team"),
                ("displayname", "local_contacts/family")]
    checks.expect(sorted(copied) == sorted(expected),
                  f"metasync copied {copied}, expected {expected}")
    added = commits_since(repo, base)
    checks.expect(len(added) == 2 and all(author == AUTHOR and subject.startswith("PROPPATCH ")
                                          for author, subject in added),
                  f"metasync: expected two PROPPATCH commits by {AUTHOR}, got {added}")
    collection = git(repo, "show", f"main:calendars/{USER}/work/.collection")
    for value in ("Work calendar", "#3A87AD"):
        checks.expect(value in collection, f"metasync: .collection of work lacks {value}:\n"
                                           f"{collection}")
    for folder, name in (("calendars/team", "Team"), ("contacts/family", "family")):
        path = os.path.join(vdir.local, folder, "displayname")
        checks.expect(os.path.exists(path) and read_text(path) == name,
                      f"metasync did not copy the display name {name} to {folder}")

    base = head(repo)
    copied = vdir.metasync()
    checks.expect(not copied, f"the second metasync copied {copied}")
    checks.expect(head(repo) == base, "the second metasync made commits")


def change_server(checks, robur, repo, dav, folder):
    """Add, change and delete events and contacts on the server. Return the expected local
    result as ({UID: SUMMARY or FN that the local file must contain}, {deleted UIDs})."""
    base = head(repo)
    calendar = f"/{USER}/calendars/work/"
    book = f"/{USER}/contacts/family/"
    expected = {}
    deleted = set()

    for index in (EVENT_COUNT, EVENT_COUNT + 1):
        uid, summary, text = make_event(index)
        status = dav.put(f"{calendar}{uid.replace('@', '%40')}.ics", text, "text/calendar")
        checks.expect(status == 201, f"server change: PUT of new event {uid} returned {status}")
        expected[uid] = summary
    uid, summary, text = make_event(5, summary="Event 0005 changed on the server", sequence=1)
    path = f"{calendar}{uid}.ics"
    status = dav.put(path, text, "text/calendar", dav.etag(path))
    checks.expect(status == 204, f"server change: PUT of changed event {uid} returned {status}")
    expected[uid] = summary
    uid = event_uid(6)
    status = dav.delete(f"{calendar}{uid}.ics", dav.etag(f"{calendar}{uid}.ics"))
    checks.expect(status == 204, f"server change: DELETE of event {uid} returned {status}")
    deleted.add(uid)

    uid, name, text = make_card(LOCAL_CONTACTS + SERVER_CONTACTS)
    status = dav.put(f"{book}{uid}.vcf", text, "text/vcard")
    checks.expect(status == 201, f"server change: PUT of new contact {uid} returned {status}")
    expected[uid] = name
    uid, name, text = make_card(1, name="Contact 001 changed on the server")
    path = f"{book}{uid}.vcf"
    status = dav.put(path, text, "text/vcard", dav.etag(path))
    checks.expect(status == 204, f"server change: PUT of changed contact {uid} returned {status}")
    expected[uid] = name
    uid = make_card(LOCAL_CONTACTS)[0]  # one that was imported on the server
    status = dav.delete(f"{book}{uid}.vcf", dav.etag(f"{book}{uid}.vcf"))
    checks.expect(status == 204, f"server change: DELETE of contact {uid} returned {status}")
    deleted.add(uid)

    checks.expect_commits("server change over HTTP", base, [
        ("PUT", event_uid(EVENT_COUNT)), ("PUT", event_uid(EVENT_COUNT + 1)),
        ("PUT", event_uid(5)), ("DELETE", event_uid(6)),
        ("PUT", make_card(LOCAL_CONTACTS + SERVER_CONTACTS)[0]), ("PUT", make_card(1)[0]),
        ("DELETE", make_card(LOCAL_CONTACTS)[0])])

    # Another client: `robur cal import` adds one event and changes one, in one commit.
    base = head(repo)
    added = make_event(EVENT_COUNT + 2)
    changed = make_event(8, summary="Event 0008 changed by an import", sequence=1)
    imported = os.path.join(folder, "import.ics")
    write_file(imported, added[2].replace("END:VCALENDAR\r\n", "") +
               changed[2][changed[2].index("BEGIN:VEVENT"):])
    robur_cli(robur, repo, "cal", "import", imported, "--calendar", f"{USER}/work")
    checks.expect(len(commits_since(repo, base)) == 1,
                  f"server change: cal import made {len(commits_since(repo, base))} commits")
    expected[added[0]] = added[1]
    expected[changed[0]] = changed[1]
    return expected, deleted


def check_sync_down(checks, vdir, repo, expected, deleted):
    base = head(repo)
    actions = vdir.sync()
    downloads = [action for action in actions if action[2].startswith("local_")]
    checks.expect(len(downloads) == len(actions) == len(expected) + len(deleted),
                  f"sync down: {len(actions)} actions, expected {len(expected) + len(deleted)} "
                  f"to the local side: {actions}")
    checks.expect(head(repo) == base, "sync down: the sync made commits on the server")
    local = local_uids(os.path.join(vdir.local, "calendars", "work"))
    local.update(local_uids(os.path.join(vdir.local, "contacts", "family")))
    for uid, text in expected.items():
        checks.expect(uid in local and text in local[uid],
                      f"sync down: the local copy of {uid} lacks '{text}'")
    for uid in deleted:
        checks.expect(uid not in local, f"sync down: {uid} was not deleted locally")


def change_local(vdir):
    """Edit, delete and add local events and contacts. Return the expected server result as
    ({UID: exact text}, {deleted UIDs}, [(method, UID) of each expected commit])."""
    work = os.path.join(vdir.local, "calendars", "work")
    family = os.path.join(vdir.local, "contacts", "family")
    expected = {}
    deleted = set()
    writes = []
    for index in (10, 11, 12):
        uid, _, text = make_event(index, summary=f"Event {index:04d} changed locally",
                                  sequence=1)
        write_file(os.path.join(work, uid.replace("@", "_at_") + ".ics"), text)
        expected[uid] = text
        writes.append(("PUT", uid))
    for index in (13, 14):
        uid = event_uid(index)
        os.remove(os.path.join(work, uid + ".ics"))
        deleted.add(uid)
        writes.append(("DELETE", uid))
    uid, _, text = make_event(EVENT_COUNT + 3)
    write_file(os.path.join(work, uid + ".ics"), text)
    expected[uid] = text
    writes.append(("PUT", uid))

    uid, _, text = make_card(2, name="Contact 002 changed locally")
    write_file(os.path.join(family, uid + ".vcf"), text)
    expected[uid] = text
    writes.append(("PUT", uid))
    uid = make_card(3)[0]
    os.remove(os.path.join(family, uid + ".vcf"))
    deleted.add(uid)
    writes.append(("DELETE", uid))
    uid, _, text = make_card(LOCAL_CONTACTS + SERVER_CONTACTS + 1)
    write_file(os.path.join(family, uid + ".vcf"), text)
    expected[uid] = text
    writes.append(("PUT", uid))
    return expected, deleted, writes


def check_sync_up(checks, vdir, repo, expected, deleted, writes):
    base = head(repo)
    actions = vdir.sync()
    uploads = [action for action in actions if action[2].startswith("robur_")]
    checks.expect(len(uploads) == len(actions) == len(writes),
                  f"sync up: {len(actions)} actions, expected {len(writes)} to the server: "
                  f"{actions}")
    checks.expect_commits("sync up", base, writes)
    stored = {}
    for folder, suffix in ((f"calendars/{USER}/work", ".ics"),
                           (f"contacts/{USER}/family", ".vcf")):
        for data in server_files(repo, folder, suffix).values():
            stored[stored_uid(data)] = data.decode()
    for uid, text in expected.items():
        checks.expect(stored.get(uid) == text,
                      f"sync up: the server does not hold the local bytes of {uid}")
    for uid in deleted:
        checks.expect(uid not in stored, f"sync up: {uid} is still on the server")


def run(robur, folder):
    # A private HOME, so neither git nor vdirsyncer reads the user's configuration.
    os.environ["HOME"] = os.path.join(folder, "home")
    os.makedirs(os.environ["HOME"])
    repo = make_repository(robur, folder, PASSWORD)
    with serving(robur, repo, folder) as port:
        vdir = Vdirsyncer(folder, port)
        checks = Checks(repo, vdir)
        prepare_server(robur, repo, folder)
        prepare_local(vdir)
        check_discovery(checks, vdir, repo, os.path.join(folder, "robur.log"))
        check_first_sync(checks, vdir, repo)
        checks.expect_idle_sync("after the first sync")
        check_range_sync(checks, vdir, repo)
        check_metasync(checks, vdir, repo)

        expected, deleted = change_server(checks, robur, repo, Dav(port), folder)
        check_sync_down(checks, vdir, repo, expected, deleted)
        checks.expect_idle_sync("after the sync down")

        expected, deleted, writes = change_local(vdir)
        check_sync_up(checks, vdir, repo, expected, deleted, writes)
        checks.expect_idle_sync("after the sync up")
        return checks.failures


def main():
    robur = required_robur(commands=("vdirsyncer",))
    if robur is None:
        return SKIP
    return run_test("robur-vdirsyncer-", lambda folder: run(robur, folder),
                    f"ok: {EVENT_COUNT} events and {LOCAL_CONTACTS + SERVER_CONTACTS} contacts "
                    "synced both ways, one commit per write, idle second syncs")


if __name__ == "__main__":
    sys.exit(main())
