// Feeds arbitrary bytes to the reader of BIND's DNSSEC key files (.private), paired with a
// fixed valid .key file, since key files may come from any BIND installation.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/dnssec/key_file.hpp"

namespace {

constexpr std::string_view public_key_file =
    "example.com. IN DNSKEY 257 3 13 "
    "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n";

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view private_text(reinterpret_cast<const char*>(data), size);
    static_cast<void>(robur::dnssec::parse_key_files(public_key_file, "K.key", private_text,
                                                     "K.private"));
    static_cast<void>(robur::dnssec::parse_public_key_file(private_text, "K.key"));
    return 0;
}
