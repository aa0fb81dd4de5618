#!/usr/bin/env bash
# Integration test of the `robur vpn` PKI commands: new, client add/export/revoke, crl renew,
# list --json and import, checked with openssl and the real easyrsa on the same pki/ folder.
# Every rejected command must leave the repository (refs and work tree) exactly as it was.
set -euo pipefail

. "$(dirname "$0")/lib/common.sh"

require_tool git openssl jq
easyrsa=/usr/share/easy-rsa/easyrsa
if [[ ! -x $easyrsa ]]; then
    easyrsa=$(command -v easyrsa || true)
fi

scratch_dir vpn-pki
private_home
git_env_identity "Test Admin" admin@example.com

expect_ok() {
    run_robur "$@"
    if [[ $status -ne 0 ]]; then
        fail "robur $* exited $status: $err"
    fi
}

# The state a failed command must not change: every ref, the index and the work tree.
fingerprint() {
    (cd "$repo" && git for-each-ref && git status --porcelain --ignored &&
        find . -path ./.git -prune -o -type f -exec sha1sum {} + | sort)
}

# expect_rejection STATUS ARGS...: robur must exit STATUS with a message, changing nothing.
expect_rejection() {
    local expected=$1
    shift
    local before after
    before=$(fingerprint)
    run_robur "$@"
    after=$(fingerprint)
    if [[ $status -ne $expected ]]; then
        fail "robur $* exited $status, expected $expected (stderr: $err)"
    fi
    if [[ -z $err ]]; then
        fail "robur $* printed no error message"
    fi
    if [[ $before != "$after" ]]; then
        fail "robur $* changed the repository"
    fi
}

repo="$scratch/repo"
git init -q -b main "$repo"
cd "$repo"
git commit -q --allow-empty -m "Initial commit"

# --- vpn new -------------------------------------------------------------------------------
expect_ok vpn new office --remote vpn.example.com --port 1194 --network 10.9.0.0/24
pki="$repo/vpn/office/pki"
for file in server.conf client.conf pki/ca.crt pki/private/ca.key pki/issued/server.crt \
    pki/private/server.key pki/crl.pem pki/index.txt pki/serial pki/tls-crypt.key; do
    [[ -f $repo/vpn/office/$file ]] || fail "vpn new did not write vpn/office/$file"
done
[[ $(git log --oneline | wc -l) -eq 2 ]] || fail "vpn new did not make exactly one commit"
grep -q '^server 10.9.0.0 255.255.255.0$' vpn/office/server.conf ||
    fail "server.conf lacks the --network subnet"
grep -q '^remote vpn.example.com 1194$' vpn/office/client.conf ||
    fail "client.conf lacks the remote line"
openssl verify -purpose sslserver -CAfile "$pki/ca.crt" "$pki/issued/server.crt" >/dev/null ||
    fail "openssl does not verify the server certificate"
openssl crl -noout -CAfile "$pki/ca.crt" -in "$pki/crl.pem" 2>/dev/null ||
    fail "openssl does not verify the CRL"

expect_rejection 1 vpn new office
expect_rejection 2 vpn new ../evil
expect_rejection 2 vpn new rsa-vpn --algorithm dsa
expect_rejection 2 vpn new badnet --network 10.9.0.1/24
expect_rejection 2 vpn new badtemplate --template nosuch

expect_ok vpn new home --algorithm ed25519 --template full-tunnel --proto tcp
grep -q 'redirect-gateway' vpn/home/server.conf || fail "full-tunnel template not used"
openssl x509 -noout -text -in vpn/home/pki/ca.crt | grep -q ED25519 ||
    fail "--algorithm ed25519 did not make an Ed25519 CA"

# --- client add / export -------------------------------------------------------------------
expect_ok vpn client add office alice --days 30
openssl verify -purpose sslclient -CAfile "$pki/ca.crt" "$pki/issued/alice.crt" >/dev/null ||
    fail "openssl does not verify alice's certificate"
expect_ok vpn client add office bob
expect_rejection 1 vpn client add office alice
expect_rejection 2 vpn client add office ../alice
expect_rejection 2 vpn client add office 'a/b'
expect_rejection 1 vpn client add nosuch alice

expect_ok vpn client export office alice -o "$scratch/alice.ovpn"
[[ $(stat -c %a "$scratch/alice.ovpn") == 600 ]] || fail "the exported profile is not mode 0600"
for tag in ca cert key tls-crypt; do
    grep -q "^<$tag>$" "$scratch/alice.ovpn" || fail "the profile has no <$tag> block"
done
first_block=$(grep -n '^<' "$scratch/alice.ovpn" | head -1 | cut -d: -f1)
last_directive=$(grep -n '^remote-cert-tls' "$scratch/alice.ovpn" | cut -d: -f1)
[[ $last_directive -lt $first_block ]] || fail "plain directives do not come before the blocks"
expect_ok vpn client export office bob
grep -q '^<key>$' <<<"$out" || fail "export to stdout printed no profile"

# --- list --json ---------------------------------------------------------------------------
expect_ok --json vpn list office
[[ $(jq -r '.vpns[0].certificates[] | select(.name=="alice") | .status' <<<"$out") == valid ]] ||
    fail "list --json does not show alice as valid: $out"
[[ $(jq -r '.vpns[0].crl_number' <<<"$out") == 1 ]] || fail "the first CRL is not number 1: $out"

# --- revoke --------------------------------------------------------------------------------
alice_serial=$(openssl x509 -noout -serial -in "$pki/issued/alice.crt" | cut -d= -f2)
expect_ok vpn client revoke office alice
grep -q "^R.*$alice_serial" "$pki/index.txt" || fail "index.txt does not mark alice revoked"
openssl crl -noout -text -in "$pki/crl.pem" | grep -q "$alice_serial" ||
    fail "the CRL does not list alice's serial"
[[ -f $pki/revoked/certs_by_serial/$alice_serial.crt ]] ||
    fail "revoke did not move alice's certificate under revoked/ as easy-rsa does"
expect_rejection 1 vpn client revoke office alice
expect_rejection 1 vpn client export office alice -o "$scratch/revoked.ovpn"
[[ ! -e $scratch/revoked.ovpn ]] || fail "export of a revoked client wrote a file"
expect_ok --json vpn list office
[[ $(jq -r '.vpns[0].certificates[] | select(.name=="alice") | .status' <<<"$out") == revoked ]] ||
    fail "list --json does not show alice as revoked"
[[ $(jq -r '.vpns[0].crl_number' <<<"$out") == 2 ]] || fail "revoke did not bump the CRL number"

# --- crl renew -----------------------------------------------------------------------------
expect_ok --json vpn crl renew office --crl-days 10
[[ $(jq -r .crl_number <<<"$out") == 3 ]] || fail "crl renew reported the wrong number: $out"
openssl crl -noout -text -in "$pki/crl.pem" | grep -q "$alice_serial" ||
    fail "the renewed CRL lost alice's serial"
expect_rejection 1 vpn crl renew nosuch

# --- easyrsa on robur's pki ----------------------------------------------------------------
if [[ -n $easyrsa ]]; then
    export EASYRSA_PKI="$pki" EASYRSA_BATCH=1
    (cd "$scratch" && "$easyrsa" build-client-full carol nopass >/dev/null 2>&1) ||
        fail "easyrsa build-client-full failed on robur's pki"
    (cd "$scratch" && "$easyrsa" show-cert bob >/dev/null 2>&1) ||
        fail "easyrsa show-cert failed on robur's pki"
    git add -A vpn/office/pki && git commit -q -m "Add carol with easyrsa"
    expect_ok --json vpn list office
    [[ $(jq -r '.vpns[0].certificates[] | select(.name=="carol") | .status' <<<"$out") == valid ]] ||
        fail "robur list does not read the client easyrsa added: $out"
    expect_ok vpn client revoke office carol
    unset EASYRSA_PKI
fi

# --- import --------------------------------------------------------------------------------
if [[ -n $easyrsa ]]; then
    legacy="$scratch/legacy"
    mkdir -p "$legacy"
    (
        cd "$legacy"
        export EASYRSA_PKI="$legacy/pki" EASYRSA_BATCH=1
        "$easyrsa" init-pki >/dev/null 2>&1
        EASYRSA_REQ_CN="Legacy CA" "$easyrsa" build-ca nopass >/dev/null 2>&1
        "$easyrsa" build-server-full server nopass >/dev/null 2>&1
        "$easyrsa" build-client-full dave nopass >/dev/null 2>&1
        "$easyrsa" gen-crl >/dev/null 2>&1
    ) || fail "easyrsa could not build the legacy pki"
    openvpn --genkey secret "$legacy/ta.key" 2>/dev/null ||
        cp "$pki/tls-crypt.key" "$legacy/ta.key"
    cat >"$legacy/server.conf" <<CONF
# a hand-written server
port 1195
proto udp
dev tun
server 10.10.0.0 255.255.255.0
ca $legacy/pki/ca.crt
cert pki/issued/server.crt
key pki/private/server.key
crl-verify pki/crl.pem
tls-auth ta.key 0
dh none
CONF
    expect_rejection 1 vpn import office --config "$legacy/server.conf" --easyrsa "$legacy/pki"
    expect_ok vpn import legacy --config "$legacy/server.conf" --easyrsa "$legacy/pki" \
        --remote vpn.example.com
    grep -q '^ca pki/ca.crt$' vpn/legacy/server.conf || fail "import did not rewrite ca"
    grep -q '^tls-auth pki/ta.key 0$' vpn/legacy/server.conf || fail "import did not keep tls-auth's direction"
    grep -q '^# a hand-written server$' vpn/legacy/server.conf || fail "import lost a comment"
    expect_ok --json vpn list legacy
    [[ $(jq -r '.vpns[0].certificates[] | select(.name=="dave") | .status' <<<"$out") == valid ]] ||
        fail "imported easyrsa clients are not listed: $out"
    expect_ok vpn client add legacy erin
    expect_ok vpn client export legacy erin -o "$scratch/erin.ovpn"
    grep -q '^key-direction 1$' "$scratch/erin.ovpn" || fail "tls-auth profile lacks key-direction 1"
    grep -q '^<tls-auth>$' "$scratch/erin.ovpn" || fail "tls-auth profile lacks <tls-auth>"

    printf 'dev tun\nca missing.crt\n' >"$scratch/broken.conf"
    expect_rejection 1 vpn import broken --config "$scratch/broken.conf"
fi

if [[ $failures -ne 0 ]]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "vpn pki test passed"
