// libFuzzer target for the master-file parser: any bytes must give records or diagnostics,
// never a crash, and whatever parses must survive the writer and parse again.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formats/zone/parser.hpp"
#include "formats/zone/writer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace robur::zone;

    ParseOptions options;
    options.origin = Name::parse("example.com.").value();
    options.max_generate_records = 256; // keeps each input fast; the limit itself is tested
    options.include = [](std::string_view, std::string_view target) -> robur::Result<IncludedFile> {
        // A fixed small file, so that $INCLUDE and its depth limit are exercised too.
        return IncludedFile{std::string(target), "inc 60 A 192.0.2.1\n$INCLUDE again\n"};
    };

    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = parse_zone(text, "fuzz.zone", options);
    const std::string written = format_zone(result.zone);

    ParseOptions reparse_options;
    reparse_options.origin = result.zone.origin;
    const auto again = parse_zone(written, "formatted", reparse_options);
    if (!again.ok()) {
        __builtin_trap(); // the writer produced text its own parser rejects
    }
    return 0;
}
