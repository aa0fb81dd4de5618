// libFuzzer target for the OpenVPN config parser: any bytes must give directives or
// diagnostics, never a crash, and the writer must give back the input bytes unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "formats/openvpn/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace robur::openvpn;

    // A fixed small file that includes itself, so includes and their depth limit run too.
    const IncludeReader read_include = [](std::string_view) -> robur::Result<std::string> {
        return std::string("verb 3\nconfig again.conf\n");
    };

    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto outcome = parse_config(text, "fuzz.conf", read_include);
    if (write_config(outcome.config) != text) {
        std::abort();
    }

    // A quoted parameter must read back as itself; openvpn cannot carry a newline or NUL in one.
    const auto end = text.find_first_of(std::string_view("\n\0", 2));
    const auto argument = std::string(text.substr(0, end));
    const auto quoted = parse_config("setenv FUZZ " + quote_argument(argument) + "\n", "q.conf",
                                     nullptr);
    const auto* setenv = quoted.config.find("setenv");
    if (argument.size() < 100 && (setenv == nullptr || setenv->args.at(1) != argument)) {
        std::abort();
    }
    return 0;
}
