#!/usr/bin/python3
"""Measure robur, Radicale and Xandikos on the same calendar of generated events.

The script generates events with a fixed seed, spread over two years from 2026-01-01: mostly
single events in UTC, about 10% weekly recurring, some all-day, some in Europe/Berlin with a
VTIMEZONE. It loads the same .ics files into each server (robur through `robur cal import`,
Radicale by writing its filesystem storage, Xandikos by committing them into the Git
repository of its default calendar). Then it starts one server at a time on 127.0.0.1 on a
free port, pinned with taskset, and drives it with wrk.

Before the load runs, every request is sent once to each server. The member names in its
207 response must equal the set the script computes from the generated events, so a server
that returns errors fast cannot win. --allow-mismatch measures a server that differs anyway
and notes the difference in the table.

With --put-size, it instead sends single-event PUTs to an empty calendar of each server and
reports the size of the server's storage (`du -sb`) right after the last PUT, and again after
the server finished its background packing (robur only) and stopped.

Output: markdown tables on standard output, progress on standard error.
"""

import argparse
import base64
import concurrent.futures
import datetime
import http.client
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ElementTree
import zoneinfo

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOPBACK = "127.0.0.1"
USER = "alice"
PASSWORD = "bench-secret"
CALENDAR = "bench"
DAV = "{DAV:}"
UTC = datetime.timezone.utc
FIRST_DAY = datetime.datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 730
BERLIN_ZONE = zoneinfo.ZoneInfo("Europe/Berlin")

# The VTIMEZONE the Berlin events carry, with CRLF line ends.
with open(os.path.join(SOURCE_DIR, "tests/data/icalendar/europe-berlin-vtimezone.ics"),
          encoding="utf-8", newline="") as vtimezone:
    BERLIN = vtimezone.read()

PROPFIND_BODY = """<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/><D:resourcetype/></D:prop>
</D:propfind>"""

QUERY_BODY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/>{data}</D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{start}" end="{end}"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"""


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def utc_text(moment):
    return moment.strftime("%Y%m%dT%H%M%SZ")


class Event:
    """One generated event: its file name, its text and when its instances are."""

    def __init__(self, name, text, start, end, count):
        self.name = name
        self.text = text
        self.start = start  # aware datetime of the first instance
        self.end = end
        self.count = count  # weekly instances; None for a single event, 0 for no end

    def overlaps(self, range_start, range_end):
        """Apply RFC 4791 section 9.9 to every instance: start < range end, end > range start."""
        week = datetime.timedelta(weeks=1)
        limit = 1 if self.count is None else self.count or None
        index = 0
        while limit is None or index < limit:
            start = self.start + index * week
            if start >= range_end:
                return False
            if self.end + index * week > range_start:
                return True
            index += 1
        return False


def make_event(index, rng):
    """Return one generated Event."""
    uid = f"bench-{index:05d}@robur.example"
    day = FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))
    start = day.replace(hour=rng.randrange(7, 20), minute=rng.choice([0, 15, 30, 45]))
    end = start + datetime.timedelta(minutes=rng.choice([30, 45, 60, 90, 120, 180]))
    kind = rng.random()
    count = None
    lines = ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20251201T120000Z",
             f"SUMMARY:Event {index}", f"LOCATION:Room {rng.randrange(1, 40)}",
             f"DESCRIPTION:Generated event {index} for the CalDAV benchmark"]
    timezone = ""
    if kind < 0.10:
        lines += [f"DTSTART:{utc_text(start)}", f"DTEND:{utc_text(end)}"]
        count = 0 if kind < 0.02 else rng.randrange(4, 27)
        lines.append(f"RRULE:FREQ=WEEKLY;COUNT={count}" if count else "RRULE:FREQ=WEEKLY")
    elif kind < 0.15:
        following = day + datetime.timedelta(days=1)
        lines += [f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{following:%Y%m%d}"]
        # A floating DATE, read as UTC as every server here reads it.
        start, end = day, following
    elif kind < 0.30:
        timezone = BERLIN
        lines += [f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}",
                  f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}"]
        start = start.replace(tzinfo=BERLIN_ZONE)
        end = end.replace(tzinfo=BERLIN_ZONE)
    else:
        lines += [f"DTSTART:{utc_text(start)}", f"DTEND:{utc_text(end)}"]
    lines.append("END:VEVENT")
    body = "\r\n".join(lines) + "\r\n"
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//robur//bench//EN\r\n" + timezone +
            body + "END:VCALENDAR\r\n")
    # The file name robur's `cal import` derives from this UID, so hrefs compare across servers.
    return Event(f"{uid}.ics", text, start, end, count)


def generate(count, seed):
    rng = random.Random(seed)
    return [make_event(index, rng) for index in range(count)]


def basic_authorization():
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return f"Basic {token}"


class Server:
    """One server under test: prepares its storage, then starts and stops it."""

    name = ""

    def __init__(self, folder, cpus):
        self.folder = os.path.join(folder, self.name)
        self.cpus = cpus
        self.port = free_port()
        self.process = None
        os.makedirs(self.folder)

    def calendar_path(self):
        raise NotImplementedError

    def storage(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def start(self):
        log_file = open(os.path.join(self.folder, "server.log"), "ab")
        self.process = subprocess.Popen(["taskset", "-c", self.cpus, *self.command()],
                                        stdout=log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.process.returncode}; "
                                   f"see {self.folder}/server.log")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not accept connections on port {self.port}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def version(self):
        return ""

    def settle(self, timeout):
        """Wait until the server's background storage work ends; return the seconds waited."""
        return 0.0

    def cpu_seconds(self):
        """Return the user and system CPU time of the server process so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Robur(Server):
    name = "robur"

    def __init__(self, folder, cpus, binary):
        super().__init__(folder, cpus)
        self.binary = binary
        self.repo = os.path.join(self.folder, "repo")

    def robur(self, *args, stdin=None):
        subprocess.run([self.binary, "--repo", self.repo, *args], input=stdin, text=True,
                       check=True, capture_output=True)

    def prepare(self, events):
        subprocess.run(["git", "init", "-q", "-b", "main", self.repo], check=True)
        for key, value in (("user.name", "Bench"), ("user.email", "bench@example.com")):
            subprocess.run(["git", "-C", self.repo, "config", key, value], check=True)
        self.robur("user", "add", USER, "--password-stdin", stdin=PASSWORD + "\n")
        if not events:
            # An empty calendar: import one event and remove it again in Git.
            events = generate(1, 0)
            self.import_events(events)
            subprocess.run(["git", "-C", self.repo, "rm", "-q",
                            f"calendars/{USER}/{CALENDAR}/{events[0].name}"], check=True)
            subprocess.run(["git", "-C", self.repo, "commit", "-q", "-m", "Empty calendar"],
                           check=True)
            return
        self.import_events(events)

    def import_events(self, events):
        source = os.path.join(self.folder, "import.ics")
        with open(source, "w", newline="") as output:
            output.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//robur//bench//EN\r\n")
            output.write(BERLIN)
            for event in events:
                start = event.text.index("BEGIN:VEVENT")
                output.write(event.text[start:event.text.rindex("END:VCALENDAR")])
            output.write("END:VCALENDAR\r\n")
        self.robur("cal", "import", source, "--calendar", f"{USER}/{CALENDAR}")

    def calendar_path(self):
        return f"/{USER}/calendars/{CALENDAR}/"

    def storage(self):
        return self.repo

    def settle(self, timeout):
        """Wait until every pack the server started is written, and no new one starts for
        three seconds, or until `timeout` seconds have passed."""
        began = time.monotonic()
        quiet_since = began
        while time.monotonic() - began < timeout:
            with open(os.path.join(self.folder, "server.log"), errors="replace") as server_log:
                text = server_log.read()
            started = text.count("packing started")
            ended = text.count("objects packed") + text.count("packing failed")
            if started > ended:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= 3:
                break
            time.sleep(0.5)
        return time.monotonic() - began

    def command(self):
        return [self.binary, "--repo", self.repo, "serve", "caldav", "--listen",
                f"{LOOPBACK}:{self.port}", "--threads", "1"]

    def version(self):
        result = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return result.stdout.strip()


class Radicale(Server):
    name = "radicale"

    def prepare(self, events):
        self.root = os.path.join(self.folder, "collections")
        calendar = os.path.join(self.root, "collection-root", USER, CALENDAR)
        os.makedirs(calendar)
        with open(os.path.join(calendar, ".Radicale.props"), "w") as props:
            props.write('{"tag": "VCALENDAR", "D:displayname": "bench"}')
        for event in events:
            with open(os.path.join(calendar, event.name), "w", newline="") as output:
                output.write(event.text)
        with open(os.path.join(self.folder, "users"), "w") as users:
            users.write(f"{USER}:{PASSWORD}\n")
        with open(os.path.join(self.folder, "config"), "w") as config:
            config.write(f"[server]\nhosts = {LOOPBACK}:{self.port}\n"
                         f"[auth]\ntype = htpasswd\n"
                         f"htpasswd_filename = {self.folder}/users\n"
                         f"htpasswd_encryption = plain\n"
                         f"[storage]\nfilesystem_folder = {self.root}\n"
                         f"[logging]\nlevel = warning\n")

    def calendar_path(self):
        return f"/{USER}/{CALENDAR}/"

    def storage(self):
        return self.root

    def command(self):
        return ["radicale", "--config", os.path.join(self.folder, "config")]

    def version(self):
        return package_version("radicale")


class Xandikos(Server):
    name = "xandikos"

    def prepare(self, events):
        self.root = os.path.join(self.folder, "root")
        # Let Xandikos create its default calendar, then commit the files into it.
        self.start_defaults()
        calendar = os.path.join(self.root, "user", "calendars", "calendar")
        for event in events:
            with open(os.path.join(calendar, event.name), "w", newline="") as output:
                output.write(event.text)
        if events:
            subprocess.run(["git", "-C", calendar, "add", "-A"], check=True)
            subprocess.run(["git", "-C", calendar, "-c", "user.name=Bench", "-c",
                            "user.email=bench@example.com", "commit", "-q", "-m", "Import"],
                           check=True)

    def start_defaults(self):
        self.defaults = True
        self.start()
        self.stop()
        self.defaults = False

    def calendar_path(self):
        return "/user/calendars/calendar/"

    def storage(self):
        return self.root

    def command(self):
        command = ["xandikos", "-d", self.root, "-l", LOOPBACK, "-p", str(self.port)]
        return command + (["--defaults"] if getattr(self, "defaults", False) else [])

    def version(self):
        return package_version("xandikos")


def package_version(package):
    result = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package],
                            capture_output=True, text=True)
    return result.stdout.strip()


def request(server, method, path, body="", headers=None):
    connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=600)
    all_headers = {"Authorization": basic_authorization(),
                   "Content-Type": "application/xml; charset=utf-8"}
    all_headers.update(headers or {})
    connection.request(method, path, body=body.encode(), headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data


def member_names(server, method, path, body, headers):
    """Send one request and return the names of the members with a 200 propstat."""
    status, data = request(server, method, path, body, headers)
    if status != 207:
        raise RuntimeError(f"{server.name}: {method} {path} returned {status}: {data[:300]!r}")
    names = set()
    for response in ElementTree.fromstring(data).iter(f"{DAV}response"):
        href = response.findtext(f"{DAV}href").rstrip("/")
        if href.rstrip("/") == path.rstrip("/"):
            continue
        ok = any("200" in (propstat.findtext(f"{DAV}status") or "") and
                 propstat.find(f"{DAV}prop/{DAV}getetag") is not None
                 for propstat in response.iter(f"{DAV}propstat"))
        if ok:
            names.add(urllib.parse.unquote(href.rsplit("/", 1)[1]))
    return names


def scenarios(month, events):
    """Return (name, method, body, headers, expected member names) of each measured request."""
    start = datetime.datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    query = {"start": utc_text(start), "end": utc_text(end)}
    in_month = {event.name for event in events if event.overlaps(start, end)}
    return [
        ("PROPFIND Depth 1", "PROPFIND", PROPFIND_BODY, {"Depth": "1"},
         {event.name for event in events}),
        ("calendar-query, getetag", "REPORT", QUERY_BODY.format(data="", **query),
         {"Depth": "1"}, in_month),
        ("calendar-query, calendar-data", "REPORT",
         QUERY_BODY.format(data="<C:calendar-data/>", **query), {"Depth": "1"}, in_month),
    ]


def check_members(server, checks, allowed):
    """Send each request once (which also fills the server's caches) and compare the members
    with the expected ones. Returns {request name: note} for allowed mismatches."""
    notes = {}
    for name, method, body, headers, expected in checks:
        began = time.monotonic()
        found = member_names(server, method, server.calendar_path(), body, headers)
        log(f"{server.name}: {name}: {len(found)} members, {len(expected)} expected, "
            f"{time.monotonic() - began:.3f} s")
        if found == expected:
            continue
        missing = sorted(expected - found)
        extra = sorted(found - expected)
        message = (f"{server.name}: {name}: {len(missing)} expected members missing "
                   f"{missing[:5]}, {len(extra)} unexpected {extra[:5]}")
        if server.name not in allowed:
            raise RuntimeError(message + "; pass --allow-mismatch to measure it anyway")
        log("warning: " + message)
        notes[name] = f"{len(found & expected)} of {len(expected)} expected, {len(extra)} extra"
    return notes


def lua_string(text):
    return "[==[" + text + "]==]"


def write_wrk_script(folder, method, body, headers):
    path = os.path.join(folder, f"wrk-{method.lower()}-{abs(hash(body))}.lua")
    with open(path, "w") as script:
        script.write(f"wrk.method = \"{method}\"\n")
        script.write(f"wrk.body = {lua_string(body)}\n")
        all_headers = {"Authorization": basic_authorization(),
                       "Content-Type": "application/xml; charset=utf-8", **headers}
        for name, value in all_headers.items():
            script.write(f"wrk.headers[\"{name}\"] = \"{value}\"\n")
    return path


def load_shape(args, latency):
    """Return (connections, seconds) of a wrk run for a request that took `latency` seconds.

    wrk counts only the requests that completed within the run. So a slow request gets one
    connection and a run of 20 times its latency, at most --max-duration. The request cut off
    at the end then lowers the rate by at most 5%, or more where the cap applies."""
    if latency < args.slow_request:
        return args.connections, args.duration
    return 1, min(args.max_duration, max(args.duration, math.ceil(20 * latency)))


def run_wrk(server, path, script, cpus, connections, duration):
    command = ["taskset", "-c", cpus, "wrk", "-t", "1", "-c", str(connections), "-d",
               f"{duration}s", "--timeout", "300s", "-s", script,
               f"http://{LOOPBACK}:{server.port}{path}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise RuntimeError(f"{server.name}: wrk reported errors:\n{output}")
    totals = re.search(r"([0-9]+) requests in ([0-9.]+)(ms|s|m)", output)
    if not totals:
        raise RuntimeError(f"{server.name}: no request count in wrk output:\n{output}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[totals.group(3)]
    return int(totals.group(1)), float(totals.group(2)) * scale


def load_average():
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def benchmark(args, servers, folder, events):
    checks = scenarios(args.month, events)
    results = {name: {server.name: [] for server in servers} for name, *_ in checks}
    notes = {}
    loads = []
    allowed = args.allow_mismatch.split(",") if args.allow_mismatch else []
    for server in servers:
        server.start()
        try:
            notes[server.name] = check_members(server, checks, allowed)
        finally:
            server.stop()
    for run in range(args.runs):
        for server in servers:
            server.start()
            try:
                for name, method, body, headers, _ in checks:
                    # A first request fills the caches that a server keeps in memory, and
                    # the time of the second sets the shape of the wrk run.
                    member_names(server, method, server.calendar_path(), body, headers)
                    began = time.monotonic()
                    member_names(server, method, server.calendar_path(), body, headers)
                    latency = time.monotonic() - began
                    script = write_wrk_script(folder, method, body, headers)
                    connections, duration = load_shape(args, latency)
                    cpu_before = server.cpu_seconds()
                    requests, seconds = run_wrk(server, server.calendar_path(), script,
                                                args.client_cpus, connections, duration)
                    cpu = server.cpu_seconds() - cpu_before
                    loads.append(load_average())
                    log(f"run {run + 1}: {server.name}: {name}: {requests / seconds:.1f} req/s, "
                        f"{requests / cpu if cpu else 0:.1f} req per CPU second, "
                        f"wrk -c {connections} -d {duration}s")
                    results[name][server.name].append((requests / seconds,
                                                       requests / cpu if cpu else 0.0))
            finally:
                server.stop()
    expected = {name: len(members) for name, *_, members in checks}
    return results, expected, notes, loads


def print_tables(results, expected, notes):
    for name, by_server in results.items():
        rates = {server: [rate for rate, _ in runs] for server, runs in by_server.items()}
        per_cpu = {server: statistics.median(cpu for _, cpu in runs)
                   for server, runs in by_server.items()}
        medians = {server: statistics.median(values) for server, values in rates.items()}
        print(f"\n{name} ({expected[name]} members expected)\n")
        print("| server | req/s median (min-max) | req per server CPU second | "
              "req/s robur/server | per CPU second robur/server | members |")
        print("|---|---:|---:|---:|---:|---|")
        for server in by_server:
            ratio = medians.get("robur", 0) / medians[server] if medians[server] else 0
            cpu_ratio = per_cpu.get("robur", 0) / per_cpu[server] if per_cpu[server] else 0
            members = notes.get(server, {}).get(name, "as expected")
            print(f"| {server} | {medians[server]:.1f} ({min(rates[server]):.1f}-"
                  f"{max(rates[server]):.1f}) | {per_cpu[server]:.1f} | {ratio:.1f} | "
                  f"{cpu_ratio:.1f} | {members} |")


def put_events(server, events, concurrency):
    """PUT every event as its own resource, `concurrency` at a time; return seconds taken."""
    def put_chunk(chunk):
        connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=600)
        for event in chunk:
            connection.request("PUT", server.calendar_path() + event.name,
                               body=event.text.encode(),
                               headers={"Authorization": basic_authorization(),
                                        "Content-Type": "text/calendar; charset=utf-8",
                                        "If-None-Match": "*"})
            response = connection.getresponse()
            response.read()
            if response.status not in (201, 204):
                raise RuntimeError(f"{server.name}: PUT {event.name} returned "
                                   f"{response.status}")
        connection.close()

    chunks = [events[i::concurrency] for i in range(concurrency)]
    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(put_chunk, chunks))
    return time.monotonic() - began


def disk_usage(path):
    output = subprocess.run(["du", "-sb", path], capture_output=True, text=True,
                            check=True).stdout
    return int(output.split()[0])


def measure_put_size(args, servers, events):
    print(f"\n{len(events)} single-event PUTs, {args.put_concurrency} at a time\n")
    print("| server | seconds | PUT/s | bytes after the last PUT (du -sb) | per event | "
          "seconds waited for background work | bytes after that and the stop | per event |")
    print("|---|---|---|---|---|---|---|---|")
    for server in servers:
        server.start()
        try:
            seconds = put_events(server, events, args.put_concurrency)
            loaded = disk_usage(server.storage())
            settled_after = server.settle(args.max_duration)
        finally:
            server.stop()
        # The second size is measured after the server stopped, so storage work that a server
        # does in the background or at shutdown counts.
        size = disk_usage(server.storage())
        log(f"{server.name}: {seconds:.1f} s, {loaded} bytes after the last PUT, {size} bytes "
            f"after waiting {settled_after:.0f} s for background work and the stop")
        print(f"| {server.name} | {seconds:.1f} | {len(events) / seconds:.1f} | {loaded} | "
              f"{loaded / len(events):.0f} | {settled_after:.0f} | {size} | "
              f"{size / len(events):.0f} |")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--robur", default=os.path.join(SOURCE_DIR, "build/release/cli/robur"),
                        help="robur binary (default: build/release/cli/robur)")
    parser.add_argument("-n", "--events", type=int, default=10000,
                        help="events in the calendar (default: 10000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--month", default="2026-06",
                        help="month of the calendar-query time-range, YYYY-MM (default: 2026-06)")
    parser.add_argument("-d", "--duration", type=int, default=15,
                        help="wrk run time per server and query in seconds (default: 15)")
    parser.add_argument("-c", "--connections", type=int, default=4,
                        help="wrk connections (default: 4)")
    parser.add_argument("--slow-request", type=float, default=0.2,
                        help="seconds above which a request is measured with one connection "
                             "and at least 20 requests in a run (default: 0.2)")
    parser.add_argument("--max-duration", type=int, default=240,
                        help="maximum wrk run time in seconds for slow requests, and with "
                             "--put-size the longest wait for a server's background work "
                             "(default: 240)")
    parser.add_argument("-r", "--runs", type=int, default=3,
                        help="runs per server, alternating between servers; medians are "
                             "reported (default: 3)")
    parser.add_argument("-s", "--server-cpus", default="1" if os.cpu_count() > 1 else "0",
                        help="CPU list for the servers, as taskset takes it (default: 1)")
    parser.add_argument("-S", "--client-cpus", default="0",
                        help="CPU list for wrk (default: 0)")
    parser.add_argument("-o", "--servers", default="robur,radicale,xandikos",
                        help="comma-separated servers to measure "
                             "(default: robur,radicale,xandikos)")
    parser.add_argument("--allow-mismatch", default="",
                        help="comma-separated servers measured even when their responses "
                             "miss expected members or contain others (default: none)")
    parser.add_argument("--put-size", action="store_true",
                        help="measure single-event PUTs and the storage size instead")
    parser.add_argument("--put-concurrency", type=int, default=4,
                        help="PUT requests in flight with --put-size (default: 4)")
    parser.add_argument("-k", "--keep", action="store_true",
                        help="keep the temporary folder with storage, scripts and logs")
    return parser.parse_args()


def make_servers(args, folder):
    servers = []
    for name in args.servers.split(","):
        if name == "robur":
            servers.append(Robur(folder, args.server_cpus, args.robur))
        elif name == "radicale":
            servers.append(Radicale(folder, args.server_cpus))
        elif name == "xandikos":
            servers.append(Xandikos(folder, args.server_cpus))
        else:
            raise SystemExit(f"error: unknown server '{name}'; use robur, radicale or xandikos")
    return servers


def main():
    args = parse_arguments()
    for tool in ("wrk", "taskset", "radicale", "xandikos"):
        if shutil.which(tool) is None and tool in ("wrk", "taskset", *args.servers.split(",")):
            raise SystemExit(f"error: {tool} is not installed; run scripts/install-deps")
    if "robur" in args.servers.split(",") and not os.access(args.robur, os.X_OK):
        raise SystemExit(f"error: robur binary '{args.robur}' not found; build it with "
                         "cmake --preset release && cmake --build build/release")
    folder = tempfile.mkdtemp(prefix="robur-caldav-bench-")
    servers = []
    try:
        events = generate(args.events, args.seed)
        servers = make_servers(args, folder)
        for server in servers:
            log(f"{server.name}: preparing {server.folder}")
            server.prepare([] if args.put_size else events)
        print(f"Servers: " + ", ".join(f"{server.name} {server.version()}" for server in servers))
        if args.put_size:
            measure_put_size(args, servers, events)
            return
        results, expected, notes, loads = benchmark(args, servers, folder, events)
        print(f"\n{args.events} events, seed {args.seed}, wrk -c {args.connections} "
              f"-d {args.duration}s, {args.runs} runs; load average after each wrk run, "
              f"first and last: {loads[0]}; {loads[-1]}")
        print_tables(results, expected, notes)
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
