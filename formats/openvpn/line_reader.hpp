#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace robur::openvpn {

// One line as openvpn's config reader sees it, with its place in the text.
struct PhysicalLine {
    std::size_t start = 0;    // offset of the line's first byte
    std::size_t end = 0;      // offset just past its newline
    std::uint32_t number = 0; // line number, counted as openvpn counts it
    std::string_view content; // the bytes to tokenise (a UTF-8 BOM on line 1 left out)
    bool too_long = false;    // the line exceeds openvpn's line buffer
    std::string_view first_chunk; // the part openvpn prints in its "line too long" error
};

// The body of an inline block and where the block ends.
struct InlineBlock {
    std::string content;
    bool closed = false;  // false when the text ended before the end tag
    std::size_t end = 0;  // offset just past the end tag line (or the text's end)
};

// Reads a config text line by line the way openvpn 2.6 does. A file (`from_file`) is read with
// fgets() into a 256-byte buffer: an inline block's long line counts as several lines, and an
// option line may hold at most 254 bytes before its newline. A <connection> block's body is split
// on newlines with neither rule.
class LineReader {
public:
    LineReader(std::string_view text, bool from_file) : text_(text), from_file_(from_file) {}

    // Returns the next line, or nullopt at the end of the text.
    std::optional<PhysicalLine> next_line();

    // Reads the lines after an inline block's start tag up to and including the first line
    // that starts with `close_tag` after blanks. The body is everything in between.
    InlineBlock read_inline_block(std::string_view close_tag);

private:
    // The next piece openvpn's line buffer takes: up to and including a newline, at most
    // 255 bytes when reading a file.
    std::string_view next_chunk() const;

    std::string_view text_;
    bool from_file_;
    std::size_t position_ = 0;
    std::uint32_t line_number_ = 0;
};

} // namespace robur::openvpn
