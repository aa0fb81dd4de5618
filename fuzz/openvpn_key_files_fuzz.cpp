// libFuzzer target for the OpenVPN key file parsers: static key V1, tls-crypt-v2 server and
// client keys, PEM framing, and the format check of every file kind a config references.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/openvpn/key_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    static_cast<void>(robur::openvpn::parse_static_key(text, "fuzz.key"));
    static_cast<void>(robur::openvpn::parse_pem_blocks(text, "fuzz.pem"));
    static_cast<void>(robur::openvpn::parse_tls_crypt_v2_server_key(text, "fuzz.key"));
    static_cast<void>(robur::openvpn::parse_tls_crypt_v2_client_key(text, "fuzz.key"));

    using robur::openvpn::KeyFileKind;
    for (const auto kind : {KeyFileKind::static_key, KeyFileKind::tls_crypt_v2_any,
                            KeyFileKind::certificates, KeyFileKind::private_key, KeyFileKind::crl,
                            KeyFileKind::dh_parameters}) {
        static_cast<void>(robur::openvpn::check_key_file(kind, text, "fuzz.key"));
    }
    return 0;
}
