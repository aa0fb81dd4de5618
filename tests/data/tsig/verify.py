#!/usr/bin/python3
"""Verify a TSIG-signed DNS message with dnspython; tsig_test.cpp runs this on messages robur signed.

Usage: verify.py FILE[,FILE...] KEY_NAME ALGORITHM SECRET_BASE64 [REQUEST_MAC_HEX]
Several comma-separated files are the messages of one multi-message answer, such as AXFR, in
order. Exits 0 when dnspython accepts the signature, 1 when it rejects it, 77 without dnspython.
"""

import binascii
import sys

try:
    import dns.message
    import dns.tsigkeyring
except ImportError:
    sys.exit(77)


def main():
    paths, key_name, algorithm, secret = sys.argv[1:5]
    mac = binascii.unhexlify(sys.argv[5]) if len(sys.argv) > 5 else b""
    keyring = dns.tsigkeyring.from_text({key_name: (algorithm, secret)})
    multi = "," in paths
    context = None
    for path in paths.split(","):
        with open(path, "rb") as source:
            wire = source.read()
        try:
            message = dns.message.from_wire(wire, keyring=keyring, request_mac=mac,
                                            tsig_ctx=context, multi=multi)
        except Exception as error:  # dnspython raises several exception types for bad MACs
            print(f"dnspython rejected {path}: {error!r}", file=sys.stderr)
            return 1
        context = message.tsig_ctx
        mac = message.mac
    return 0


if __name__ == "__main__":
    sys.exit(main())
