#!/usr/bin/python3
"""Run robur serve caldav over TLS with a throwaway CA, and check its start-up rejections.

The test makes a CA and a certificate for localhost and 127.0.0.1 with the openssl command.
A python3-caldav client that trusts the CA discovers the calendar home, saves an event and
runs a calendar-query, and every write must be one commit by the authenticated user. A
client without the CA must fail the handshake. A plain-HTTP request to the TLS port must get
no calendar data, and a TLS 1.0 or 1.1 handshake must fail while TLS 1.2 and 1.3 succeed.

The start-up checks never send traffic off the machine. The server is only started with
addresses that are not assigned to this host (TEST-NET-3, RFC 5737) or with wildcard addresses.
Without TLS these must be rejected before any socket is bound. With TLS the policy passes and
binding fails. A certificate and key that do not match, or a key file that is missing or not
PEM, must stop the start with the file named.
"""

import datetime
import os
import socket
import ssl
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from caldav_server import (  # noqa: E402
    AUTHOR, LOOPBACK, SKIP, USER, basic_authorization, commits, make_repository, required_robur,
    run_test, serving)
from dns_peers import free_port  # noqa: E402

# TEST-NET-3 (RFC 5737): documentation addresses, assigned to no host.
FOREIGN_ADDRESS = "203.0.113.1"
PASSWORD = "tls-secret"
UTC = datetime.timezone.utc

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//robur test//EN
BEGIN:VEVENT
UID:tls-review@example.com
DTSTAMP:20260101T000000Z
DTSTART:20260115T100000Z
DTEND:20260115T110000Z
SUMMARY:Certificate review
END:VEVENT
END:VCALENDAR
"""

SERVER_EXTENSIONS = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
"""


def openssl(folder, *args):
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def make_certificates(folder):
    """Write ca.pem, server.pem, server.key, other.key (a key of no certificate) and
    encrypted.key (server.key behind a passphrase)."""
    openssl(folder, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=robur test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl(folder, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(folder, "server.ext"), "w", encoding="utf-8") as extensions:
        extensions.write(SERVER_EXTENSIONS)
    openssl(folder, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem")
    openssl(folder, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", "other.key")
    openssl(folder, "pkey", "-in", "server.key", "-aes-256-cbc", "-passout", "pass:secret",
            "-out", "encrypted.key")
    return {name: os.path.join(folder, name)
            for name in ("ca.pem", "server.pem", "server.key", "other.key", "encrypted.key")}


def check_trusted_client(url, repo, ca_file, failures):
    """Discovery, a PUT and a calendar-query over TLS with a client that trusts the CA."""
    import caldav  # Debian's python3-caldav

    before = len(commits(repo))
    client = caldav.DAVClient(url=url, username=USER, password=PASSWORD,
                              ssl_verify_cert=ca_file)
    principal = client.principal()
    calendar = principal.make_calendar(cal_id="work")
    calendar.save_event(EVENT)

    added = commits(repo)[:len(commits(repo)) - before]
    if len(added) != 2:
        failures.append(f"make calendar and PUT added {len(added)} commits, expected 2: {added}")
    for author, subject in added:
        if author != AUTHOR:
            failures.append(f"commit '{subject}' has author {author}, expected {AUTHOR}")

    found = calendar.search(start=datetime.datetime(2026, 1, 15, tzinfo=UTC),
                            end=datetime.datetime(2026, 1, 16, tzinfo=UTC), event=True)
    uids = [str(item.icalendar_instance.walk("VEVENT")[0]["UID"]) for item in found]
    if uids != ["tls-review@example.com"]:
        failures.append(f"calendar-query over TLS returned UIDs {uids}")
    return found[0].url.path if found else "/"


def check_untrusted_client(url, repo, failures):
    """A client with only the system CAs must fail the handshake and write nothing."""
    import caldav

    before = len(commits(repo))
    client = caldav.DAVClient(url=url, username=USER, password=PASSWORD)
    try:
        client.principal()
        failures.append("a client that does not trust the CA completed a request")
    except Exception as error:  # requests wraps the ssl error in several layers
        if "CERTIFICATE_VERIFY_FAILED" not in repr(error):
            failures.append(f"the untrusted client failed for another reason: {error!r}")
    if len(commits(repo)) != before:
        failures.append("the untrusted client's attempt added a commit")


def check_plain_http(port, event_path, failures):
    """A plain-HTTP GET with valid credentials to the TLS port must get no calendar data."""
    request = (f"GET {event_path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
               f"Authorization: {basic_authorization(PASSWORD)}\r\n"
               "Connection: close\r\n\r\n").encode()
    received = b""
    with socket.create_connection((LOOPBACK, port), timeout=10) as connection:
        connection.sendall(request)
        try:
            while chunk := connection.recv(4096):
                received += chunk
        except (socket.timeout, ConnectionResetError):
            pass
    if b"BEGIN:VCALENDAR" in received or received.startswith(b"HTTP/1.1 2"):
        failures.append(f"plain HTTP to the TLS port got calendar data: {received[:200]!r}")


def handshake(port, ca_file, version):
    """Return the protocol a handshake pinned to `version` agreed on; raise ssl.SSLError."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca_file)
    # Level 0 lets this client offer TLS 1.0 and 1.1, so that the rejection comes from the
    # server.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 and 1.1 on purpose
        context.minimum_version = version
        context.maximum_version = version
    with socket.create_connection((LOOPBACK, port), timeout=10) as connection:
        with context.wrap_socket(connection, server_hostname="localhost") as tls:
            return tls.version()


def check_protocol_versions(port, ca_file, failures):
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        try:
            agreed = handshake(port, ca_file, version)
            failures.append(f"a {version.name} handshake succeeded with {agreed}")
        except ssl.SSLError as error:
            # NO_PROTOCOLS_AVAILABLE means the client could not offer the version at all, so
            # the server was never asked.
            if "NO_PROTOCOLS_AVAILABLE" in str(error):
                print(f"note: this Python cannot offer {version.name}; the server went untested")
            elif "ALERT_PROTOCOL_VERSION" not in str(error):
                failures.append(f"a {version.name} handshake failed without the server's "
                                f"protocol_version alert: {error}")
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        try:
            agreed = handshake(port, ca_file, version)
            if agreed != version.name.replace("_", "."):
                failures.append(f"a {version.name} handshake agreed on {agreed}")
        except ssl.SSLError as error:
            failures.append(f"a {version.name} handshake failed: {error}")


def address_is_local(address):
    """Return True when this host could bind `address`, that is when it is one of its own."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
            return True
        except OSError:
            return False


def run_start(robur, repo, args):
    """Start robur serve caldav and return (exit status, output), or None as the status when it
    keeps running for 20 s."""
    try:
        result = subprocess.run([robur, "--repo", repo, "serve", "caldav", *args],
                                capture_output=True, text=True, timeout=20,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "still running after 20 s: it started instead of failing"
    return result.returncode, result.stdout + result.stderr


def expect_start_failure(robur, repo, args, needles, failures):
    status, output = run_start(robur, repo, args)
    if status is None or status == 0:
        failures.append(f"serve caldav {' '.join(args)}: status {status}, expected a failure: "
                        f"{output.strip()}")
        return
    for needle in needles:
        if needle not in output:
            failures.append(f"serve caldav {' '.join(args)}: the message lacks '{needle}': "
                            f"{output.strip()}")


def check_listen_policy(robur, repo, files, failures):
    port = free_port()
    if address_is_local(FOREIGN_ADDRESS):
        print(f"note: {FOREIGN_ADDRESS} is assigned to this host; its checks are skipped")
    else:
        # Without TLS the address is rejected before binding, so the error is the policy's.
        expect_start_failure(robur, repo, ["--listen", f"{FOREIGN_ADDRESS}:{port}"],
                             ["plain HTTP", f"{FOREIGN_ADDRESS}:{port}"], failures)
        # With TLS the policy accepts the address, so start-up reaches bind, which fails.
        expect_start_failure(robur, repo, ["--listen", f"{FOREIGN_ADDRESS}:{port}",
                                           "--tls-cert", files["server.pem"],
                                           "--tls-key", files["server.key"]],
                             [f"cannot listen on {FOREIGN_ADDRESS}:{port}"], failures)
        # A loopback address next to it does not make plain HTTP acceptable.
        expect_start_failure(robur, repo, ["--listen", f"{LOOPBACK}:{port}",
                                           "--listen", f"{FOREIGN_ADDRESS}:{port}"],
                             ["plain HTTP", f"{FOREIGN_ADDRESS}:{port}"], failures)
    for wildcard in (f"0.0.0.0:{port}", f"[::]:{port}"):
        expect_start_failure(robur, repo, ["--listen", wildcard], ["plain HTTP", wildcard],
                             failures)


def check_tls_files(robur, repo, folder, files, failures):
    listen = ["--listen", f"{LOOPBACK}:{free_port()}"]
    missing = os.path.join(folder, "missing.key")
    not_pem = os.path.join(folder, "not-pem.key")
    with open(not_pem, "w", encoding="utf-8") as key:
        key.write("this is not a PEM private key\n")
    cases = [
        (["--tls-cert", files["server.pem"], "--tls-key", files["other.key"]],
         files["other.key"]),
        (["--tls-cert", files["server.pem"], "--tls-key", missing], missing),
        # The start must fail instead of waiting for a passphrase on the terminal.
        (["--tls-cert", files["server.pem"], "--tls-key", files["encrypted.key"]],
         files["encrypted.key"]),
        (["--tls-cert", files["server.pem"], "--tls-key", not_pem], not_pem),
        (["--tls-cert", os.path.join(folder, "missing.pem"), "--tls-key", files["server.key"]],
         os.path.join(folder, "missing.pem")),
        (["--tls-cert", files["server.pem"]], "--tls-key"),
    ]
    for args, named in cases:
        expect_start_failure(robur, repo, listen + args, [named], failures)


def run_checks(robur, folder):
    """Run the start-up checks, then the client checks against a TLS server, and return failures."""
    failures = []
    files = make_certificates(folder)
    repo = make_repository(robur, folder, PASSWORD)
    check_listen_policy(robur, repo, files, failures)
    check_tls_files(robur, repo, folder, files, failures)

    with serving(robur, repo, folder, "--tls-cert", files["server.pem"],
                 "--tls-key", files["server.key"]) as port:
        url = f"https://{LOOPBACK}:{port}/"
        event_path = check_trusted_client(url, repo, files["ca.pem"], failures)
        check_untrusted_client(url, repo, failures)
        check_plain_http(port, event_path, failures)
        check_protocol_versions(port, files["ca.pem"], failures)
    return failures


def main():
    robur = required_robur(modules=("caldav",), commands=("openssl",))
    if robur is None:
        return SKIP
    return run_test("robur-caldav-tls-", lambda folder: run_checks(robur, folder),
                    "ok: CalDAV over TLS, untrusted client, plain HTTP, old TLS versions, "
                    "start-up checks")


if __name__ == "__main__":
    sys.exit(main())
