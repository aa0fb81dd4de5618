#include "formats/openvpn/line_reader.hpp"

#include "formats/openvpn/tokenizer.hpp"

namespace robur::openvpn {

namespace {

constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

} // namespace

std::string_view LineReader::next_chunk() const
{
    const auto rest = text_.substr(position_);
    auto length = rest.find('\n');
    length = length == std::string_view::npos ? rest.size() : length + 1;
    if (from_file_ && length > max_line_chunk) {
        length = max_line_chunk;
    }
    return rest.substr(0, length);
}

std::optional<PhysicalLine> LineReader::next_line()
{
    if (position_ >= text_.size()) {
        return std::nullopt;
    }

    PhysicalLine line;
    line.start = position_;
    line.number = ++line_number_;
    const auto chunk = next_chunk();
    line.too_long = from_file_ && chunk.size() == max_line_chunk && chunk.back() != '\n';

    // A line that is too long is skipped as a whole, newline included.
    auto end = text_.find('\n', position_);
    end = end == std::string_view::npos ? text_.size() : end + 1;
    if (!line.too_long) {
        end = position_ + chunk.size();
    }
    line.end = end;
    line.content = text_.substr(position_, end - position_);
    line.first_chunk = chunk;
    if (from_file_ && line.number == 1 && line.content.starts_with(utf8_bom)) {
        line.content.remove_prefix(utf8_bom.size());
    }
    position_ = end;
    return line;
}

InlineBlock LineReader::read_inline_block(std::string_view close_tag)
{
    InlineBlock block;
    while (position_ < text_.size()) {
        const auto chunk = next_chunk();
        position_ += chunk.size();
        ++line_number_;

        auto trimmed = chunk;
        while (!trimmed.empty() && is_blank(trimmed.front())) {
            trimmed.remove_prefix(1);
        }
        if (trimmed.starts_with(close_tag)) {
            block.closed = true;
            break;
        }
        block.content.append(chunk);
    }
    block.end = position_;
    return block;
}

} // namespace robur::openvpn
