#!/usr/bin/python3
"""Send CardDAV addressbook-query and addressbook-multiget reports to robur serve caldav.

The test makes an address book with four contacts in vCard 3.0 and 4.0: non-ASCII names
(German, Greek, Spanish), several EMAILs, a grouped item1.EMAIL and one contact without
EMAIL. Each query checks the exact set of returned hrefs. The queries cover collations,
match types, group prefixes, structured N components, parameters, negation, anyof and
allof, and Depth 0. Further checks cover the 507 of a truncated result, the 403
preconditions, and address-data with a property selection and a version conversion.
"""

import http.client
import os
import sys
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from caldav_server import LOOPBACK, basic_authorization, run_server_test  # noqa: E402

PASSWORD = "query-secret"
BOOK = "/alice/contacts/family/"
DAV = "{DAV:}"
CARDDAV = "{urn:ietf:params:xml:ns:carddav}"

CONTACTS = {
    "jurgen.vcf": "BEGIN:VCARD\r\n"
                  "VERSION:4.0\r\n"
                  "UID:urn:uuid:4f1c2d3e-0000-4000-8000-000000000001\r\n"
                  "FN:Jürgen Groß\r\n"
                  "N:Groß;Jürgen;;;\r\n"
                  "EMAIL;TYPE=work:jurgen@work.example\r\n"
                  "EMAIL;TYPE=home:jurgen@home.example\r\n"
                  "item1.EMAIL:j.gross@club.example\r\n"
                  "item1.X-ABLabel:Verein\r\n"
                  "END:VCARD\r\n",
    "sophia.vcf": "BEGIN:VCARD\r\n"
                  "VERSION:3.0\r\n"
                  "UID:sophia-3\r\n"
                  "FN:Σοφία Παπαδοπούλου\r\n"
                  "N:Παπαδοπούλου;Σοφία;;;\r\n"
                  "EMAIL;TYPE=INTERNET:sophia@example.gr\r\n"
                  "END:VCARD\r\n",
    "ana.vcf": "BEGIN:VCARD\r\n"
               "VERSION:3.0\r\n"
               "UID:ana-3\r\n"
               "FN:Ana Núñez\r\n"
               "N:Núñez;Ana;;;\r\n"
               "EMAIL;TYPE=INTERNET,WORK:ana@work.example\r\n"
               "TEL;TYPE=CELL:+34 600 000 000\r\n"
               "END:VCARD\r\n",
    "bob.vcf": "BEGIN:VCARD\r\n"
               "VERSION:4.0\r\n"
               "UID:bob-4\r\n"
               "FN:Bob Stone\r\n"
               "N:Stone;Bob;;;\r\n"
               "TEL;TYPE=home:+1 555 0100\r\n"
               "END:VCARD\r\n",
}

ALL = {BOOK + name for name in CONTACTS}


def href(name):
    return BOOK + name


class Client:
    """One keep-alive HTTP connection with Basic authentication."""

    def __init__(self, port):
        self.connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        self.authorization = basic_authorization(PASSWORD)

    def request(self, method, path, body="", headers=None):
        all_headers = {"Authorization": self.authorization}
        all_headers.update(headers or {})
        self.connection.request(method, path, body=body.encode("utf-8"), headers=all_headers)
        response = self.connection.getresponse()
        return response.status, response.read().decode("utf-8")

    def report(self, path, body, depth="1"):
        headers = {"Content-Type": "application/xml; charset=utf-8"}
        if depth is not None:
            headers["Depth"] = depth
        return self.request("REPORT", path, body, headers)


def query(filter_xml, prop="<D:getetag/>", extra=""):
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
            f"<D:prop>{prop}</D:prop>{filter_xml}{extra}</C:addressbook-query>")


def text_filter(name, text, attributes="", test=""):
    return (f'<C:filter {test}><C:prop-filter name="{name}">'
            f"<C:text-match {attributes}>{text}</C:text-match></C:prop-filter></C:filter>")


def responses(body):
    """Return {href: (status, {property tag: text})} of a multistatus body."""
    result = {}
    for response in ElementTree.fromstring(body).findall(f"{DAV}response"):
        path = response.findtext(f"{DAV}href")
        status = response.findtext(f"{DAV}status")
        properties = {}
        for propstat in response.findall(f"{DAV}propstat"):
            status = propstat.findtext(f"{DAV}status")
            for element in propstat.find(f"{DAV}prop"):
                properties[element.tag] = element.text or ""
        result[path] = (status, properties)
    return result


def expect_hrefs(client, failures, label, body, expected, path=BOOK, depth="1"):
    status, text = client.report(path, body, depth)
    if status != 207:
        failures.append(f"{label}: status {status}, expected 207: {text.strip()}")
        return {}
    found = responses(text)
    if set(found) != set(expected):
        failures.append(f"{label}: hrefs {sorted(found)}, expected {sorted(expected)}")
    return found


def expect_precondition(client, failures, label, body, precondition, content=None):
    status, text = client.report(BOOK, body)
    if status != 403:
        failures.append(f"{label}: status {status}, expected 403")
        return
    element = ElementTree.fromstring(text).find(precondition)
    if element is None:
        failures.append(f"{label}: DAV:error lacks {precondition}: {text}")
    elif content is not None and content not in ElementTree.tostring(element, "unicode"):
        failures.append(f"{label}: {precondition} does not name {content}: {text}")


def set_up(client, failures):
    mkcol = ('<?xml version="1.0" encoding="utf-8"?>'
             '<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
             "<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>"
             "<D:displayname>Family</D:displayname></D:prop></D:set></D:mkcol>")
    status, text = client.request("MKCOL", BOOK, mkcol, {"Content-Type": "application/xml"})
    if status != 201:
        raise RuntimeError(f"MKCOL {BOOK}: status {status}: {text}")
    for name, card in CONTACTS.items():
        status, text = client.request("PUT", href(name), card,
                                      {"Content-Type": "text/vcard; charset=utf-8",
                                       "If-None-Match": "*"})
        if status != 201:
            raise RuntimeError(f"PUT {name}: status {status}: {text}")


def check_matching(client, failures):
    cases = [
        ("FN contains GROß (unicode-casemap titlecases)", text_filter("FN", "GROß"),
         {href("jurgen.vcf")}),
        ("FN contains GROSS (RFC 5051 maps no ß to SS)", text_filter("FN", "GROSS"), set()),
        ("FN contains JU+0308RGEN (NFKD matches the precomposed ü)",
         text_filter("FN", "JU\u0308RGEN"), {href("jurgen.vcf")}),
        ("FN contains upper-case Greek", text_filter("FN", "ΣΟΦΊΑ"), {href("sophia.vcf")}),
        ("FN ÑEZ under i;ascii-casemap", text_filter("FN", "ÑEZ", 'collation="i;ascii-casemap"'),
         set()),
        ("FN ñez under i;ascii-casemap", text_filter("FN", "ñEZ", 'collation="i;ascii-casemap"'),
         {href("ana.vcf")}),
        ("FN Núñez under i;octet", text_filter("FN", "Núñez", 'collation="i;octet"'),
         {href("ana.vcf")}),
        ("FN núñez under i;octet", text_filter("FN", "núñez", 'collation="i;octet"'), set()),
        ("FN equals", text_filter("FN", "bob stone", 'match-type="equals"'), {href("bob.vcf")}),
        ("FN starts-with", text_filter("FN", "an", 'match-type="starts-with"'),
         {href("ana.vcf")}),
        ("FN ends-with", text_filter("FN", "ού", 'match-type="ends-with"'), set()),
        ("FN ends-with Greek", text_filter("FN", "ΟΎΛΟΥ", 'match-type="ends-with"'),
         {href("sophia.vcf")}),
        ("N component equals", text_filter("N", "núñez", 'match-type="equals"'),
         {href("ana.vcf")}),
        ("any EMAIL of several", text_filter("EMAIL", "home.example"), {href("jurgen.vcf")}),
        ("EMAIL ends-with .example",
         text_filter("EMAIL", ".example", 'match-type="ends-with"'),
         {href("jurgen.vcf"), href("ana.vcf")}),
        ("grouped EMAIL by plain name", text_filter("EMAIL", "club"), {href("jurgen.vcf")}),
        ("grouped EMAIL by group", text_filter("item1.EMAIL", "club"), {href("jurgen.vcf")}),
        ("other group", text_filter("item2.EMAIL", "club"), set()),
        ("EMAIL negated", text_filter("EMAIL", "example.gr", 'negate-condition="yes"'),
         {href("jurgen.vcf"), href("ana.vcf")}),
        ("EMAIL is-not-defined",
         '<C:filter><C:prop-filter name="EMAIL"><C:is-not-defined/></C:prop-filter></C:filter>',
         {href("bob.vcf")}),
        ("TEL defined", '<C:filter><C:prop-filter name="TEL"/></C:filter>',
         {href("ana.vcf"), href("bob.vcf")}),
        ("EMAIL TYPE work",
         '<C:filter><C:prop-filter name="EMAIL"><C:param-filter name="TYPE">'
         '<C:text-match match-type="equals">WORK</C:text-match></C:param-filter>'
         "</C:prop-filter></C:filter>",
         {href("jurgen.vcf"), href("ana.vcf")}),
        ("EMAIL without TYPE",
         '<C:filter><C:prop-filter name="EMAIL"><C:param-filter name="TYPE">'
         "<C:is-not-defined/></C:param-filter></C:prop-filter></C:filter>",
         {href("jurgen.vcf")}),
        ("anyof of two prop-filters",
         '<C:filter test="anyof"><C:prop-filter name="FN"><C:text-match>bob</C:text-match>'
         '</C:prop-filter><C:prop-filter name="EMAIL"><C:text-match>example.gr</C:text-match>'
         "</C:prop-filter></C:filter>",
         {href("bob.vcf"), href("sophia.vcf")}),
        ("allof of two prop-filters",
         '<C:filter test="allof"><C:prop-filter name="FN"><C:text-match>a</C:text-match>'
         '</C:prop-filter><C:prop-filter name="TEL"/></C:filter>',
         {href("ana.vcf")}),
        ("prop-filter allof on one EMAIL",
         '<C:filter><C:prop-filter name="EMAIL" test="allof"><C:text-match>home</C:text-match>'
         '<C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match>'
         "</C:param-filter></C:prop-filter></C:filter>",
         set()),
        ("empty filter", "<C:filter/>", ALL),
    ]
    for label, filter_xml, expected in cases:
        expect_hrefs(client, failures, label, query(filter_xml), expected)


def check_depth_and_limit(client, failures):
    gross = query(text_filter("FN", "groß"))
    expect_hrefs(client, failures, "Depth 0 on the address book", gross, set(), depth="0")
    expect_hrefs(client, failures, "Depth 0 on a matching card", gross, {href("jurgen.vcf")},
                 path=href("jurgen.vcf"), depth="0")
    expect_hrefs(client, failures, "Depth 0 on another card", gross, set(),
                 path=href("bob.vcf"), depth="0")
    expect_hrefs(client, failures, "no Depth header", gross, {href("jurgen.vcf")}, depth=None)

    limited = query("<C:filter/>", extra="<C:limit><C:nresults>2</C:nresults></C:limit>")
    status, text = client.report(BOOK, limited)
    found = responses(text) if status == 207 else {}
    truncation = found.pop(BOOK, (None, {}))
    if status != 207 or len(found) != 2 or not set(found) <= ALL:
        failures.append(f"limit 2: status {status}, hrefs {sorted(found)}")
    if truncation[0] != "HTTP/1.1 507 Insufficient Storage" or \
            "number-of-matches-within-limits" not in text:
        failures.append(f"limit 2: no 507 with number-of-matches-within-limits: {text}")
    enough = query("<C:filter/>", extra="<C:limit><C:nresults>4</C:nresults></C:limit>")
    expect_hrefs(client, failures, "limit 4 of 4", enough, ALL)


def check_errors(client, failures):
    expect_precondition(client, failures, "unknown collation",
                        query(text_filter("FN", "x", 'collation="i;x-klingon"')),
                        f"{CARDDAV}supported-collation", "i;x-klingon")
    expect_precondition(client, failures, "unknown match-type",
                        query(text_filter("FN", "x", 'match-type="regex"')),
                        f"{CARDDAV}supported-filter", 'name="FN"')
    expect_precondition(client, failures, "time-range in a prop-filter",
                        query('<C:filter><C:prop-filter name="REV"><C:time-range/>'
                              "</C:prop-filter></C:filter>"),
                        f"{CARDDAV}supported-filter", 'name="REV"')
    expect_precondition(client, failures, "address-data version 2.1",
                        query("<C:filter/>", prop='<C:address-data version="2.1"/>'),
                        f"{CARDDAV}supported-address-data")
    status, _ = client.report(BOOK, query("", extra=""))
    if status != 400:
        failures.append(f"query without a filter: status {status}, expected 400")
    status, _ = client.report("/alice/files/", query("<C:filter/>"))
    if status not in (403, 404):
        failures.append(f"query on a plain collection: status {status}, expected 403 or 404")


def check_address_data(client, failures):
    selected = query(text_filter("FN", "jürgen"),
                     prop='<D:getetag/><C:address-data><C:prop name="EMAIL"/></C:address-data>')
    found = expect_hrefs(client, failures, "address-data selection", selected,
                         {href("jurgen.vcf")})
    data = found.get(href("jurgen.vcf"), (None, {}))[1].get(f"{CARDDAV}address-data", "")
    lines = [line for line in data.replace("\r\n", "\n").split("\n") if line]
    expected = ["BEGIN:VCARD", "VERSION:4.0",
                "UID:urn:uuid:4f1c2d3e-0000-4000-8000-000000000001",
                "EMAIL;TYPE=work:jurgen@work.example", "EMAIL;TYPE=home:jurgen@home.example",
                "item1.EMAIL:j.gross@club.example", "END:VCARD"]
    if lines != expected:
        failures.append(f"address-data with prop EMAIL returned {lines}")

    multiget = ('<?xml version="1.0" encoding="utf-8"?>'
                '<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
                '<D:prop><C:address-data version="4.0"><C:prop name="FN"/></C:address-data>'
                f"</D:prop><D:href>{href('sophia.vcf')}</D:href></C:addressbook-multiget>")
    found = expect_hrefs(client, failures, "multiget as 4.0", multiget, {href("sophia.vcf")},
                         depth="0")
    data = found.get(href("sophia.vcf"), (None, {}))[1].get(f"{CARDDAV}address-data", "")
    lines = [line for line in data.replace("\r\n", "\n").split("\n") if line]
    if lines != ["BEGIN:VCARD", "VERSION:4.0", "UID:sophia-3", "FN:Σοφία Παπαδοπούλου",
                 "END:VCARD"]:
        failures.append(f"multiget address-data version 4.0 returned {lines}")


def check_supported_reports(client, failures):
    body = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
            "<D:supported-report-set/></D:prop></D:propfind>")
    status, text = client.request("PROPFIND", BOOK, body,
                                  {"Depth": "0", "Content-Type": "application/xml"})
    reports = [element.tag for element in ElementTree.fromstring(text).iter()
               if element.tag.startswith(CARDDAV)]
    if status != 207 or f"{CARDDAV}addressbook-query" not in reports:
        failures.append(f"supported-report-set of the address book lacks addressbook-query: "
                        f"{text}")


def run_client(port, _repo):
    """Fill the address book, run every query check and return the failures."""
    failures = []
    client = Client(port)
    set_up(client, failures)
    check_matching(client, failures)
    check_depth_and_limit(client, failures)
    check_errors(client, failures)
    check_address_data(client, failures)
    check_supported_reports(client, failures)
    return failures


def main():
    return run_server_test(
        "robur-carddav-query-", PASSWORD, run_client,
        "ok: addressbook-query filters, Depth, limit, preconditions and address-data")


if __name__ == "__main__":
    sys.exit(main())
