#!/usr/bin/python3
"""Drive robur serve caldav with python3-caldav as a calendar client would.

The client discovers the principal and calendar home from the server URL alone and makes a
calendar. It saves a weekly recurring event with an override and an EXDATE, an event in a
Windows zone and an all-day event. Then it searches a range with expansion, requests
free-busy, updates one event and deletes one.

Checks the exact instance start times that the search returns, that the server expanded them
itself (no RRULE in the REPORT response), and that every write is exactly one commit
authored by the authenticated user.
"""

import datetime
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from caldav_server import LOOPBACK, USER, CommitChecker, run_server_test  # noqa: E402

PASSWORD = "client-secret"
UTC = datetime.timezone.utc

WEEKLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//robur test//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:weekly-standup@example.com
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20260105T090000
DTEND;TZID=Europe/Berlin:20260105T100000
RRULE:FREQ=WEEKLY;COUNT=6
EXDATE;TZID=Europe/Berlin:20260119T090000
SUMMARY:Stand-up
END:VEVENT
BEGIN:VEVENT
UID:weekly-standup@example.com
DTSTAMP:20260101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20260126T090000
DTSTART;TZID=Europe/Berlin:20260127T140000
DTEND;TZID=Europe/Berlin:20260127T150000
SUMMARY:Stand-up (moved to Tuesday)
END:VEVENT
END:VCALENDAR
"""

WINDOWS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:outlook-review@example.com
DTSTAMP:20260101T000000Z
DTSTART;TZID="W. Europe Standard Time":20260114T150000
DTEND;TZID="W. Europe Standard Time":20260114T160000
SUMMARY:Budget review
END:VEVENT
END:VCALENDAR
"""

ALL_DAY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//robur test//EN
BEGIN:VEVENT
UID:offsite-day@example.com
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260120
DTEND;VALUE=DATE:20260121
SUMMARY:Offsite
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
"""

RANGE_START = datetime.datetime(2026, 1, 10, tzinfo=UTC)
RANGE_END = datetime.datetime(2026, 2, 1, tzinfo=UTC)

# The instances in [10 January, 1 February): 12 January 09:00 Berlin, the Windows-zone event,
# the all-day event, and the override on 27 January 14:00 Berlin. 19 January is excluded and
# 26 January is replaced by the override.
EXPECTED_STARTS = [
    "2026-01-12T08:00:00+00:00",
    "2026-01-14T14:00:00+00:00",
    "2026-01-20",
    "2026-01-27T13:00:00+00:00",
]

EXPAND_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data><C:expand start="20260110T000000Z" end="20260201T000000Z"/>
  </C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20260110T000000Z" end="20260201T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>
"""

FREE_BUSY_QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:time-range start="20260110T000000Z" end="20260201T000000Z"/>
</C:free-busy-query>
"""


def start_text(event):
    """Return the DTSTART of a one-instance event: a date, or a date-time in UTC."""
    component = event.icalendar_instance.walk("VEVENT")[0]
    start = component["DTSTART"].dt
    if isinstance(start, datetime.datetime):
        return start.astimezone(UTC).isoformat()
    return start.isoformat()


def check_search(calendar, failures):
    found = calendar.search(start=RANGE_START, end=RANGE_END, event=True, expand=True)
    starts = sorted(start_text(event) for event in found)
    if starts != EXPECTED_STARTS:
        failures.append(f"expanded search returned {starts}, expected {EXPECTED_STARTS}")


def check_server_expansion(client, calendar, failures):
    response = client.report(str(calendar.url), EXPAND_QUERY, depth=1)
    text = response.raw if isinstance(response.raw, str) else response.raw.decode()
    if response.status != 207:
        failures.append(f"expand REPORT returned status {response.status}")
    for needle in ("RECURRENCE-ID:20260112T080000Z", "DTSTART:20260127T130000Z",
                   "RECURRENCE-ID:20260126T080000Z", "DTSTART:20260114T140000Z"):
        if needle not in text:
            failures.append(f"expand REPORT response lacks {needle}")
    for absent in ("RRULE", "EXDATE", "TZID"):
        if absent in text:
            failures.append(f"expand REPORT response still contains {absent}")


def check_free_busy(client, calendar, failures):
    response = client.request(str(calendar.url), "REPORT", FREE_BUSY_QUERY,
                              {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    text = response.raw if isinstance(response.raw, str) else response.raw.decode()
    if response.status != 200:
        failures.append(f"free-busy-query returned status {response.status}")
    busy = sorted(line.split(":", 1)[1] for line in text.replace("\r\n ", "").splitlines()
                  if line.startswith("FREEBUSY"))
    # The all-day event is transparent, so only the three timed instances are busy.
    expected = ["20260112T080000Z/20260112T090000Z", "20260114T140000Z/20260114T150000Z",
                "20260127T130000Z/20260127T140000Z"]
    if busy != expected:
        failures.append(f"free-busy periods {busy}, expected {expected}")


def run_client(url, repo):
    import caldav  # Debian's python3-caldav

    checker = CommitChecker(repo)
    failures = checker.failures
    client = caldav.DAVClient(url=url, username=USER, password=PASSWORD)
    principal = client.principal()
    calendar = principal.make_calendar(cal_id="work")
    checker.expect_one("make calendar")

    saved = {}
    for name, text in (("weekly", WEEKLY), ("windows", WINDOWS), ("all-day", ALL_DAY)):
        saved[name] = calendar.save_event(text)
        checker.expect_one(f"save {name} event")

    home_calendars = [item.url.path for item in principal.calendars()]
    if calendar.url.path not in home_calendars:
        failures.append(f"calendar {calendar.url} not listed in the home: {home_calendars}")

    check_search(calendar, failures)
    by_summary = [item.url.path for item in calendar.search(event=True, summary="Stand-up")]
    if len(by_summary) != 1 or not by_summary[0].endswith(".ics"):
        failures.append(f"search by SUMMARY returned {by_summary}, expected the weekly event")
    check_server_expansion(client, calendar, failures)
    check_free_busy(client, calendar, failures)

    event = calendar.event_by_uid("outlook-review@example.com")
    component = event.icalendar_instance.walk("VEVENT")[0]
    component["SUMMARY"] = "Budget review (room 2)"
    event.save()
    checker.expect_one("update event")
    reread = calendar.event_by_uid("outlook-review@example.com")
    if "Budget review (room 2)" not in reread.data:
        failures.append("the updated SUMMARY was not stored")

    calendar.event_by_uid("offsite-day@example.com").delete()
    checker.expect_one("delete event")
    remaining = calendar.search(start=RANGE_START, end=RANGE_END, event=True, expand=True)
    starts = sorted(start_text(item) for item in remaining)
    if "2026-01-20" in starts or len(starts) != 3:
        failures.append(f"after the delete the search returned {starts}")
    return failures


def main():
    return run_server_test(
        "robur-caldav-client-", PASSWORD,
        lambda port, repo: run_client(f"http://{LOOPBACK}:{port}/", repo),
        "ok: discovery, three events, expanded search, free-busy, update and delete",
        modules=("caldav",))


if __name__ == "__main__":
    sys.exit(main())
