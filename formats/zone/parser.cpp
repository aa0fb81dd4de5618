#include "formats/zone/parser.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "formats/zone/generate.hpp"
#include "formats/zone/rdata.hpp"
#include "formats/zone/rdata_fast.hpp"
#include "formats/zone/text.hpp"
#include "formats/zone/tokenizer.hpp"

namespace robur::zone {

namespace {

constexpr std::uint32_t max_ttl = 2147483647; // RFC 2181 section 8

// Types that only exist in queries or transactions (RFC 6895 section 3.1): OPT and the
// meta and QTYPE range 128-255, plus the reserved type 0.
bool is_meta_type(std::uint16_t type)
{
    return type == 0 || type == rrtype::opt || (type >= 128 && type <= 255);
}

// Per-record state kept until the whole zone has been read.
struct PendingRecord {
    bool class_written = false; // the class came from the file, not the default
    bool ttl_missing = false;   // no TTL, no $TTL and no default yet: take the SOA minimum
    bool dropped = false;
};

// The fields of a record line read so far; index is the next token.
struct RecordFields {
    std::size_t index = 0;
    std::optional<std::uint32_t> ttl;
    std::optional<std::uint16_t> rclass;
};

struct FileState {
    std::string path;
    Name origin;
    std::optional<Name> last_owner;
    bool last_owner_invalid = false; // the previous owner had an error: skip its continuations
    std::size_t depth = 0;
};

// Substitutes value into the owner and the fields after it. As in BIND, a quoted field after
// the owner is rdata text with blanks: its quotes are dropped and it is split into fields,
// where \" quotes a character-string.
Result<std::vector<Token>> expand_generate_fields(std::span<const Token> templates,
                                                  std::int64_t value)
{
    std::vector<Token> tokens;
    for (std::size_t i = 0; i < templates.size(); ++i) {
        auto substituted = generate::substitute(templates[i].text, value);
        if (!substituted) {
            return tl::unexpected(substituted.error());
        }
        if (i == 0 || !templates[i].quoted) {
            tokens.push_back(
                Token{std::move(*substituted), templates[i].quoted, templates[i].line});
            continue;
        }
        // Escaped quotes inside the field quote strings of the rdata.
        std::string rdata_text;
        for (std::size_t j = 0; j < substituted->size(); ++j) {
            const bool escaped_quote = (*substituted)[j] == '\\' && j + 1 < substituted->size() &&
                                       (*substituted)[j + 1] == '"';
            if (!escaped_quote) {
                rdata_text += (*substituted)[j];
            }
        }
        auto fields = tokenize_rdata(rdata_text);
        if (!fields) {
            return make_error(Errc::parse_error,
                              fmt::format("invalid $GENERATE rdata \"{}\"", *substituted));
        }
        tokens.insert(tokens.end(), fields->begin(), fields->end());
    }
    return tokens;
}

class Parser {
public:
    explicit Parser(const ParseOptions& options) : options_(options) {}

    void start(const std::string& path, const Name& origin)
    {
        zone_.origin = origin;
        zone_.files.push_back(path);
    }
    void parse_text(FileState& state, std::string_view text);
    ParseResult finish();

private:
    void handle_entry(FileState& state, const Entry& entry);
    void handle_directive(FileState& state, const Entry& entry);
    void directive_origin(FileState& state, const Entry& entry);
    void directive_ttl(FileState& state, const Entry& entry);
    void directive_include(FileState& state, const Entry& entry);
    void directive_generate(FileState& state, const Entry& entry);
    bool handle_record(FileState& state, std::span<const Token> tokens, bool inherits_owner,
                       std::uint32_t line);
    bool take_owner(FileState& state, std::span<const Token> tokens, bool inherits_owner,
                    std::uint32_t line);
    bool take_ttl_and_class(const FileState& state, std::span<const Token> tokens,
                            std::uint32_t line, RecordFields& fields);
    void resolve_classes();
    void resolve_ttls();
    void error(const std::string& path, std::uint32_t line, std::string message);
    void record_error(std::size_t index, std::string message);

    const ParseOptions& options_;
    std::optional<std::uint32_t> default_ttl_; // from the last $TTL
    Zone zone_;
    std::vector<PendingRecord> pending_; // parallel to zone_.records
    std::vector<Diagnostic> diagnostics_;
    // Reading position of each diagnostic: 2 * records read before it + 1 for faults found
    // while reading, 2 * (index + 1) for faults of record index found afterwards.
    std::vector<std::size_t> diagnostic_positions_;
};

void Parser::error(const std::string& path, std::uint32_t line, std::string message)
{
    diagnostics_.push_back(
        Diagnostic{Severity::error, SourceLocation{path, line, 0}, std::move(message)});
    diagnostic_positions_.push_back(2 * zone_.records.size() + 1);
}

void Parser::record_error(std::size_t index, std::string message)
{
    const SourceLocation& where = zone_.records[index].where;
    diagnostics_.push_back(Diagnostic{Severity::error, where, std::move(message)});
    diagnostic_positions_.push_back(2 * (index + 1));
}

void Parser::parse_text(FileState& state, std::string_view text)
{
    Tokenizer tokenizer(text);
    Entry entry;
    while (tokenizer.next(entry)) {
        handle_entry(state, entry);
    }
}

void Parser::handle_entry(FileState& state, const Entry& entry)
{
    if (entry.error) {
        error(state.path, entry.error_line, *entry.error);
        // The owner of a faulty line is unknown, so its continuation lines are skipped too.
        if (!entry.inherits_owner) {
            state.last_owner_invalid = true;
        }
        return;
    }
    const Token& first = entry.tokens.front();
    // Quoted text is never syntax: a quoted "$TTL" is an owner name.
    if (!first.quoted && !first.text.empty() && first.text.front() == '$') {
        handle_directive(state, entry);
        return;
    }
    handle_record(state, entry.tokens, entry.inherits_owner, entry.line);
}

void Parser::handle_directive(FileState& state, const Entry& entry)
{
    const std::string& name = entry.tokens.front().text;
    if (text::equals_ignoring_case(name, "$ORIGIN")) {
        directive_origin(state, entry);
    } else if (text::equals_ignoring_case(name, "$TTL")) {
        directive_ttl(state, entry);
    } else if (text::equals_ignoring_case(name, "$INCLUDE")) {
        directive_include(state, entry);
    } else if (text::equals_ignoring_case(name, "$GENERATE")) {
        directive_generate(state, entry);
    } else {
        error(state.path, entry.line,
              fmt::format("unknown directive \"{}\": expected $ORIGIN, $TTL, $INCLUDE or "
                          "$GENERATE",
                          name));
    }
}

void Parser::directive_origin(FileState& state, const Entry& entry)
{
    if (entry.tokens.size() != 2) {
        error(state.path, entry.line,
              entry.tokens.size() < 2
                  ? std::string("$ORIGIN without a domain name")
                  : fmt::format("extra text \"{}\" after $ORIGIN", entry.tokens[2].text));
        return;
    }
    auto origin = Name::parse(entry.tokens[1].text, state.origin);
    if (!origin) {
        error(state.path, entry.line, fmt::format("invalid $ORIGIN: {}", origin.error().message));
        return;
    }
    state.origin = std::move(*origin);
}

void Parser::directive_ttl(FileState& state, const Entry& entry)
{
    if (entry.tokens.size() != 2) {
        error(state.path, entry.line,
              entry.tokens.size() < 2
                  ? std::string("$TTL without a value")
                  : fmt::format("extra text \"{}\" after $TTL", entry.tokens[2].text));
        return;
    }
    auto ttl = parse_ttl(entry.tokens[1].text);
    if (!ttl) {
        error(state.path, entry.line, fmt::format("invalid $TTL: {}", ttl.error().message));
        return;
    }
    // A $TTL in an included file stays in force after the file ends: RFC 1035 section 5.1
    // restores only the origin of the including file.
    default_ttl_ = *ttl;
}

void Parser::directive_include(FileState& state, const Entry& entry)
{
    if (entry.tokens.size() < 2 || entry.tokens.size() > 3) {
        error(state.path, entry.line,
              entry.tokens.size() < 2
                  ? std::string("$INCLUDE without a file name")
                  : fmt::format("extra text \"{}\" after $INCLUDE", entry.tokens[3].text));
        return;
    }
    auto target = text::unescape(entry.tokens[1].text);
    if (!target) {
        error(state.path, entry.line, fmt::format("invalid $INCLUDE: {}", target.error().message));
        return;
    }
    if (!options_.include) {
        error(state.path, entry.line,
              fmt::format("$INCLUDE \"{}\" cannot be read: this zone is parsed without access "
                          "to other files",
                          *target));
        return;
    }
    if (state.depth + 1 > options_.max_include_depth) {
        error(state.path, entry.line,
              fmt::format("$INCLUDE \"{}\" nests more than {} files deep", *target,
                          options_.max_include_depth));
        return;
    }
    Name origin = state.origin;
    if (entry.tokens.size() == 3) {
        auto parsed = Name::parse(entry.tokens[2].text, state.origin);
        if (!parsed) {
            error(state.path, entry.line,
                  fmt::format("invalid origin in $INCLUDE: {}", parsed.error().message));
            return;
        }
        origin = std::move(*parsed);
    }
    auto file = options_.include(state.path, *target);
    if (!file) {
        error(state.path, entry.line,
              fmt::format("$INCLUDE \"{}\" failed: {}", *target, file.error().message));
        return;
    }
    if (std::find(zone_.files.begin(), zone_.files.end(), file->path) == zone_.files.end()) {
        zone_.files.push_back(file->path);
    }

    // The origin given to $INCLUDE, and any $ORIGIN inside the file, apply only there
    // (RFC 1035 section 5.1). The included file starts with the including file's owner.
    FileState included{file->path, std::move(origin), state.last_owner, state.last_owner_invalid,
                       state.depth + 1};
    parse_text(included, file->text);
}

void Parser::directive_generate(FileState& state, const Entry& entry)
{
    const auto arguments = std::span(entry.tokens).subspan(1);
    if (arguments.size() < 4) {
        error(state.path, entry.line,
              "$GENERATE needs a range, an owner, a type and rdata: "
              "$GENERATE start-stop[/step] lhs [ttl] [class] type rhs");
        return;
    }
    auto range = generate::parse_range(arguments[0].text);
    if (!range) {
        error(state.path, entry.line, range.error().message);
        return;
    }
    if (range->count() > options_.max_generate_records) {
        error(state.path, entry.line,
              fmt::format("$GENERATE range \"{}\" makes {} records, above the limit of {}",
                          arguments[0].text, range->count(), options_.max_generate_records));
        return;
    }

    const auto templates = arguments.subspan(1);
    for (std::int64_t value = range->start; value <= range->stop; value += range->step) {
        auto tokens = expand_generate_fields(templates, value);
        if (!tokens) {
            error(state.path, entry.line, tokens.error().message);
            return;
        }
        // One faulty template gives the same fault for every value: report it once.
        if (!handle_record(state, *tokens, false, entry.line)) {
            return;
        }
    }
}

bool Parser::take_owner(FileState& state, std::span<const Token> tokens, bool inherits_owner,
                        std::uint32_t line)
{
    if (inherits_owner) {
        if (state.last_owner_invalid) {
            return false; // already reported at the line that named the owner
        }
        if (!state.last_owner) {
            error(state.path, line,
                  "missing owner name: the line starts with a blank, but no record before it "
                  "has an owner to repeat");
            return false;
        }
        return true;
    }

    auto owner = tokens[0].text.empty()
                     ? Result<Name>(make_error(Errc::parse_error, "empty owner name"))
                     : Name::parse(tokens[0].text, state.origin);
    if (!owner) {
        error(state.path, line, owner.error().message);
        state.last_owner_invalid = true;
        return false;
    }
    state.last_owner = std::move(*owner);
    state.last_owner_invalid = false;
    return true;
}

bool Parser::take_ttl_and_class(const FileState& state, std::span<const Token> tokens,
                                std::uint32_t line, RecordFields& fields)
{
    // TTL and class may come in either order (RFC 1035 section 5.1), each at most once.
    for (; fields.index < tokens.size() && !tokens[fields.index].quoted; ++fields.index) {
        const std::string& field = tokens[fields.index].text;
        if (!fields.ttl && !field.empty() && field.front() >= '0' && field.front() <= '9') {
            auto parsed = parse_ttl(field);
            if (!parsed) {
                error(state.path, line, parsed.error().message);
                return false;
            }
            fields.ttl = *parsed;
        } else if (auto parsed = fields.rclass ? std::nullopt : class_from_string(field)) {
            if (*parsed == rrclass::none || *parsed == rrclass::any) {
                error(state.path, line,
                      fmt::format("class {} cannot appear in a zone file", field));
                return false;
            }
            fields.rclass = *parsed;
        } else {
            return true;
        }
    }
    return true;
}

bool Parser::handle_record(FileState& state, std::span<const Token> tokens, bool inherits_owner,
                           std::uint32_t line)
{
    if (!take_owner(state, tokens, inherits_owner, line)) {
        return false;
    }
    const Name& owner = *state.last_owner;
    RecordFields fields{inherits_owner ? 0U : 1U, std::nullopt, std::nullopt};
    if (!take_ttl_and_class(state, tokens, line, fields)) {
        return false;
    }

    const std::size_t index = fields.index;
    if (index >= tokens.size()) {
        error(state.path, line,
              fmt::format("missing type in the record for \"{}\"", owner.to_string()));
        return false;
    }
    const auto type = tokens[index].quoted ? std::nullopt : type_from_string(tokens[index].text);
    if (!type) {
        const std::string& field = tokens[index].text;
        const bool repeated =
            (fields.ttl && parse_ttl(field)) || (fields.rclass && class_from_string(field));
        error(state.path, line,
              repeated ? fmt::format("unknown type \"{}\": a record has one TTL and one class, "
                                     "each at most once",
                                     field)
                       : fmt::format("unknown type \"{}\"", field));
        return false;
    }
    if (is_meta_type(*type)) {
        error(state.path, line,
              fmt::format("type {} cannot appear in a zone file", type_to_string(*type)));
        return false;
    }
    // The fast reader handles the plain form of the common types; anything else, including
    // every error, goes through rdata_from_text.
    const auto rdata_tokens = tokens.subspan(index + 1);
    auto fast = fast_rdata_from_text(*type, rdata_tokens, state.origin);
    auto rdata = fast ? Result<std::vector<std::uint8_t>>(std::move(*fast))
                      : rdata_from_text(*type, rdata_tokens, state.origin);
    if (!rdata) {
        error(state.path, line, rdata.error().message);
        return false;
    }

    // RFC 2308 section 4: a record without a TTL takes the $TTL default, never the TTL of
    // the record before it.
    const std::optional<std::uint32_t> default_ttl =
        default_ttl_ ? default_ttl_ : options_.default_ttl;
    zone_.records.push_back(Record{owner, *type, fields.rclass.value_or(rrclass::in),
                                   fields.ttl.value_or(default_ttl.value_or(0)), std::move(*rdata),
                                   SourceLocation{state.path, line, 0}});
    pending_.push_back(
        PendingRecord{fields.rclass.has_value(), !fields.ttl && !default_ttl, false});
    return true;
}

// The zone's class is the class written on its apex SOA record, else on the first record
// that has one. Records without a class take it, and records of another class are an error.
void Parser::resolve_classes()
{
    std::optional<std::uint16_t> zone_class;
    for (std::size_t i = 0; i < zone_.records.size() && !zone_class; ++i) {
        const Record& record = zone_.records[i];
        if (record.type == rrtype::soa && record.owner == zone_.origin &&
            pending_[i].class_written) {
            zone_class = record.rclass;
        }
    }
    for (std::size_t i = 0; i < zone_.records.size() && !zone_class; ++i) {
        if (pending_[i].class_written) {
            zone_class = zone_.records[i].rclass;
        }
    }
    const std::uint16_t resolved = zone_class.value_or(rrclass::in);

    for (std::size_t i = 0; i < zone_.records.size(); ++i) {
        Record& record = zone_.records[i];
        if (!pending_[i].class_written) {
            record.rclass = resolved;
        } else if (record.rclass != resolved) {
            record_error(i, fmt::format("class {} of this record does not match the zone's "
                                        "class {}",
                                        class_to_string(record.rclass), class_to_string(resolved)));
            pending_[i].dropped = true;
        }
    }
}

// Records read before any $TTL and without a TTL of their own take the SOA minimum field,
// the default TTL of zone files written before $TTL existed (RFC 2308 section 4).
void Parser::resolve_ttls()
{
    std::optional<std::uint32_t> soa_minimum;
    for (const auto& record : zone_.records) {
        if (record.type == rrtype::soa && record.rdata.size() >= 20 &&
            (record.owner == zone_.origin || !soa_minimum)) {
            const auto* field = record.rdata.data() + record.rdata.size() - 4;
            soa_minimum = (std::uint32_t{field[0]} << 24) | (std::uint32_t{field[1]} << 16) |
                          (std::uint32_t{field[2]} << 8) | std::uint32_t{field[3]};
            if (record.owner == zone_.origin) {
                break;
            }
        }
    }
    for (std::size_t i = 0; i < zone_.records.size(); ++i) {
        if (!pending_[i].ttl_missing || pending_[i].dropped) {
            continue;
        }
        if (!soa_minimum) {
            record_error(i, "no TTL specified: give the record a TTL or add a $TTL directive "
                            "before it");
            pending_[i].dropped = true;
            continue;
        }
        zone_.records[i].ttl = std::min(*soa_minimum, max_ttl);
    }
}

ParseResult Parser::finish()
{
    resolve_classes();
    resolve_ttls();

    std::vector<Record> kept;
    kept.reserve(zone_.records.size());
    for (std::size_t i = 0; i < zone_.records.size(); ++i) {
        if (!pending_[i].dropped) {
            kept.push_back(std::move(zone_.records[i]));
        }
    }
    zone_.records = std::move(kept);

    // Class and TTL faults are found after the last line; put them back in reading order.
    std::vector<std::size_t> order(diagnostics_.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [this](std::size_t left, std::size_t right) {
        return diagnostic_positions_[left] < diagnostic_positions_[right];
    });
    std::vector<Diagnostic> sorted;
    sorted.reserve(order.size());
    for (const std::size_t index : order) {
        sorted.push_back(std::move(diagnostics_[index]));
    }
    return ParseResult{std::move(zone_), std::move(sorted)};
}

} // namespace

Result<std::uint32_t> parse_ttl(std::string_view text)
{
    const auto seconds = text::parse_duration(text, 4294967295U);
    if (!seconds) {
        return make_error(Errc::parse_error,
                          fmt::format("invalid TTL \"{}\": expected seconds or a duration such "
                                      "as 1h30m",
                                      text));
    }
    if (*seconds > max_ttl) {
        return make_error(Errc::parse_error,
                          fmt::format("TTL \"{}\" ({} seconds) is above the maximum of {}", text,
                                      *seconds, max_ttl));
    }
    return static_cast<std::uint32_t>(*seconds);
}

ParseResult parse_zone(std::string_view text, std::string_view path, const ParseOptions& options)
{
    Parser parser(options);
    FileState state{std::string(path), options.origin, std::nullopt, false, 0};
    parser.start(state.path, options.origin);
    parser.parse_text(state, text);
    return parser.finish();
}

} // namespace robur::zone
