#!/usr/bin/python3
"""Check the CalDAV semantics that depend on collection state against robur serve caldav.

A calendar gets a calendar-timezone (Europe/Berlin rules) by PROPPATCH. python3-caldav then
searches it: a floating event at 09:00 must be found at 08:00Z, where Berlin's 09:00 is, and
a calendar-query with CALDAV:timezone-id must read it in New York time instead. free-busy
reports the floating event in Berlin time. With caldav.max-collection-size = 3 in robur.conf,
a fourth event gets 507 with DAV:quota-not-exceeded and no commit. A MOVE that replaces a
collection by a resource in the checked-out repository is one commit and leaves a clean work
tree.
"""

import datetime
import http.client
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from caldav_server import (  # noqa: E402
    LOOPBACK, USER, CommitChecker, basic_authorization, commits, git, run_server_test)

PASSWORD = "semantics-secret"

UTC = datetime.timezone.utc

BERLIN = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//robur test//EN
BEGIN:VTIMEZONE
TZID:Berlin Rules
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
END:VCALENDAR
"""
PROPPATCH_TIMEZONE = f"""<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><C:calendar-timezone><![CDATA[{BERLIN}]]></C:calendar-timezone></D:prop></D:set>
</D:propertyupdate>
"""


def event(uid, start, end, extra=""):
    return (f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//robur test//EN\nBEGIN:VEVENT\nUID:{uid}\n"
            f"DTSTAMP:20260101T000000Z\nDTSTART{start}\nDTEND{end}\nSUMMARY:{uid}\n{extra}"
            "END:VEVENT\nEND:VCALENDAR\n")


FLOATING = event("floating@example.com", ":20260301T090000", ":20260301T100000")
ALL_DAY = event("all-day@example.com", ";VALUE=DATE:20260301", ";VALUE=DATE:20260302",
                "TRANSP:TRANSPARENT\n")
THIRD = event("third@example.com", ":20260310T090000Z", ":20260310T100000Z")
FOURTH = event("fourth@example.com", ":20260311T090000Z", ":20260311T100000Z")

NEW_YORK_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
  <C:timezone-id>America/New_York</C:timezone-id>
</C:calendar-query>
"""
FREE_BUSY_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:time-range start="20260301T000000Z" end="20260302T000000Z"/>
</C:free-busy-query>
"""


class Http:
    """Plain requests with Basic authentication, for what python3-caldav does not send."""

    def __init__(self, port):
        self.port = port
        self.authorization = basic_authorization(PASSWORD)

    def send(self, method, path, body="", headers=None):
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=30)
        all_headers = {"Authorization": self.authorization,
                       "Content-Type": "application/xml; charset=utf-8"}
        all_headers.update(headers or {})
        connection.request(method, path, body=body.encode(), headers=all_headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        return response.status, text


def found_uids(calendar, start, end):
    return sorted(str(item.icalendar_instance.walk("VEVENT")[0]["UID"])
                  for item in calendar.search(start=start, end=end, event=True))


def check_floating(calendar, web, failures):
    # 09:00 floating in Berlin (UTC+1 on 1 March) is 08:00Z; read as UTC it would be 09:00Z.
    # The all-day event covers the whole of 1 March in Berlin, so it is found at both times.
    at_eight = found_uids(calendar, datetime.datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
                          datetime.datetime(2026, 3, 1, 8, 30, tzinfo=UTC))
    if at_eight != ["all-day@example.com", "floating@example.com"]:
        failures.append(f"search at 08:00Z found {at_eight}, expected both events")
    at_nine_thirty = found_uids(calendar, datetime.datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
                                datetime.datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    if at_nine_thirty != ["all-day@example.com"]:
        failures.append(f"search at 09:30Z found {at_nine_thirty}, expected the all-day event")
    # The all-day event starts at 23:00Z on 28 February in Berlin and ends at 23:00Z on 1 March.
    evening = found_uids(calendar, datetime.datetime(2026, 2, 28, 23, 0, tzinfo=UTC),
                         datetime.datetime(2026, 2, 28, 23, 30, tzinfo=UTC))
    if evening != ["all-day@example.com"]:
        failures.append(f"search at 23:00Z on 28 February found {evening}")
    late = found_uids(calendar, datetime.datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
                      datetime.datetime(2026, 3, 2, 0, 0, tzinfo=UTC))
    if late:
        failures.append(f"search at 23:30Z on 1 March found {late}, expected nothing")

    path = calendar.url.path
    status, text = web.send("REPORT", path, NEW_YORK_QUERY.format(
        start="20260301T140000Z", end="20260301T143000Z"), {"Depth": "1"})
    if status != 207 or "floating" not in text:
        failures.append(f"calendar-query in New York time: {status} {text[:300]}")
    status, text = web.send("REPORT", path, NEW_YORK_QUERY.format(
        start="20260301T080000Z", end="20260301T083000Z"), {"Depth": "1"})
    if status != 207 or "floating" in text:
        failures.append(f"calendar-query in New York time matched at 08:00Z: {status}")
    status, text = web.send("REPORT", path, NEW_YORK_QUERY.replace(
        "America/New_York", "Nowhere/Atlantis").format(start="20260301T000000Z",
                                                      end="20260302T000000Z"), {"Depth": "1"})
    if status != 403 or "valid-timezone" not in text:
        failures.append(f"unknown timezone-id gave {status} {text[:300]}")

    status, text = web.send("REPORT", path, FREE_BUSY_QUERY, {"Depth": "1"})
    busy = [line for line in text.splitlines() if line.startswith("FREEBUSY")]
    if status != 200 or busy != ["FREEBUSY;FBTYPE=BUSY:20260301T080000Z/20260301T090000Z"]:
        failures.append(f"free-busy returned {status} {busy}")


def check_quota(calendar, repo, checker, failures):
    import caldav  # Debian's python3-caldav
    calendar.save_event(THIRD)
    checker.expect_one("save the third event")
    try:
        calendar.save_event(FOURTH)
        failures.append("the fourth event was stored beyond max-collection-size")
    except caldav.lib.error.DAVError as error:
        if "507" not in str(error) and "Insufficient" not in str(error):
            failures.append(f"the fourth event failed with {error}, expected 507")
    if len(commits(repo)) != checker.count:
        failures.append("the rejected event made a commit")


def check_type_change(web, repo, checker, failures):
    for method, path, body in (("MKCOL", "/alice/files/dir/", ""),
                               ("PUT", "/alice/files/dir/a.txt", "a"),
                               ("PUT", "/alice/files/f.txt", "f")):
        status, _ = web.send(method, path, body, {"Content-Type": "text/plain"})
        if status != 201:
            failures.append(f"{method} {path} returned {status}")
        checker.expect_one(f"{method} {path}")
    status, text = web.send("MOVE", "/alice/files/f.txt", "",
                            {"Destination": "/alice/files/dir", "Overwrite": "T"})
    if status != 204:
        failures.append(f"MOVE over a collection returned {status} {text}")
    checker.expect_one("MOVE a resource over a collection")
    with open(os.path.join(repo, "files", USER, "dir"), encoding="utf-8") as moved:
        if moved.read() != "f":
            failures.append("the work tree does not hold the moved file at files/alice/dir")
    status_lines = git(repo, "status", "--porcelain", "--untracked-files=all")
    if status_lines:
        failures.append(f"the work tree is not clean after the MOVE: {status_lines}")


def run_client(port, repo):
    import caldav  # Debian's python3-caldav
    checker = CommitChecker(repo)
    failures = checker.failures
    web = Http(port)
    client = caldav.DAVClient(url=f"http://{LOOPBACK}:{port}/", username=USER, password=PASSWORD)
    calendar = client.principal().make_calendar(cal_id="work")
    checker.expect_one("make calendar")
    status, text = web.send("PROPPATCH", calendar.url.path, PROPPATCH_TIMEZONE)
    if status != 207 or "200" not in text:
        failures.append(f"PROPPATCH calendar-timezone returned {status} {text[:300]}")
    checker.expect_one("set calendar-timezone")
    for name, text in (("floating", FLOATING), ("all-day", ALL_DAY)):
        calendar.save_event(text)
        checker.expect_one(f"save the {name} event")

    check_floating(calendar, web, failures)
    check_quota(calendar, repo, checker, failures)
    check_type_change(web, repo, checker, failures)
    return failures


def limit_collection_size(repo):
    """Commit caldav.max-collection-size = 3 to robur.conf in repo."""
    with open(os.path.join(repo, "robur.conf"), "a", encoding="utf-8") as config:
        config.write("[caldav]\n\tmax-collection-size = 3\n")
    git(repo, "add", "robur.conf")
    git(repo, "commit", "-q", "-m", "Limit collections to three members")


def main():
    return run_server_test(
        "robur-caldav-semantics-", PASSWORD, run_client,
        "ok: floating times in the calendar's and the request's zone, quota, one-commit MOVE",
        modules=("caldav",), prepare=limit_collection_size)


if __name__ == "__main__":
    sys.exit(main())
