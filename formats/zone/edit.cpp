#include "formats/zone/edit.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "formats/zone/parser.hpp"
#include "formats/zone/text.hpp"

namespace robur::zone {

namespace {

// One field of a scanned entry: where its bytes are (quotes included) and its text as written.
struct Field {
    std::size_t offset = 0;
    std::size_t length = 0;
    bool quoted = false;
    std::string text;
};

// One entry of a master file with the bytes it occupies: whole lines, from the start of its
// first line to just past the newline of its last line (or the end of the file).
struct ScannedEntry {
    std::uint32_t line = 0;
    std::size_t begin = 0;
    std::size_t end = 0;
    bool inherits_owner = false;
    std::vector<Field> fields;
    std::optional<Name> origin; // $ORIGIN in force at the entry; nullopt when not known
};

bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

bool ends_word(char c)
{
    return is_blank(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"' || c == '\0';
}

// Splits master-file text into entries with the same rules as Tokenizer (parentheses,
// comments, quotes, escapes), keeping the byte offsets that Tokenizer drops.
class EntryScanner {
public:
    explicit EntryScanner(std::string_view text) : text_(text) {}

    // Reads the next entry that has fields; false at the end of the text.
    bool next(ScannedEntry& entry)
    {
        while (position_ < text_.size()) {
            entry = ScannedEntry{};
            entry.line = line_;
            entry.begin = position_;
            entry.inherits_owner = text_[position_] == ' ' || text_[position_] == '\t';
            read_entry(entry);
            entry.end = position_;
            if (!entry.fields.empty()) {
                return true;
            }
        }
        return false;
    }

private:
    void read_entry(ScannedEntry& entry)
    {
        int depth = 0;
        while (position_ < text_.size()) {
            const char c = text_[position_];
            if (c == '\n') {
                ++line_;
                ++position_;
                if (depth == 0) {
                    return;
                }
            } else if (c == ';') {
                while (position_ < text_.size() && text_[position_] != '\n') {
                    ++position_;
                }
            } else if (c == '(' || c == ')') {
                depth = c == '(' ? depth + 1 : std::max(depth - 1, 0);
                ++position_;
            } else if (c == '"') {
                read_quoted(entry);
            } else if (is_blank(c) || c == '\0') {
                ++position_;
            } else {
                read_word(entry);
            }
        }
    }

    void read_quoted(ScannedEntry& entry)
    {
        Field field{position_, 0, true, {}};
        ++position_;
        while (position_ < text_.size() && text_[position_] != '\n') {
            const char c = text_[position_];
            if (c == '"') {
                ++position_;
                break;
            }
            if (c == '\\' && position_ + 1 < text_.size() && text_[position_ + 1] != '\n') {
                field.text += c;
                ++position_;
            }
            field.text += text_[position_++];
        }
        field.length = position_ - field.offset;
        entry.fields.push_back(std::move(field));
    }

    void read_word(ScannedEntry& entry)
    {
        Field field{position_, 0, false, {}};
        while (position_ < text_.size() && !ends_word(text_[position_])) {
            const char c = text_[position_];
            if (c == '\\' && position_ + 1 < text_.size() && text_[position_ + 1] != '\n' &&
                text_[position_ + 1] != '\0') {
                field.text += c;
                ++position_;
            }
            field.text += text_[position_++];
        }
        field.length = position_ - field.offset;
        entry.fields.push_back(std::move(field));
    }

    std::string_view text_;
    std::size_t position_ = 0;
    std::uint32_t line_ = 1;
};

bool is_directive(const ScannedEntry& entry)
{
    const Field& first = entry.fields.front();
    return !entry.inherits_owner && !first.quoted && first.text.front() == '$';
}

bool is_generate(const ScannedEntry& entry)
{
    return is_directive(entry) && text::equals_ignoring_case(entry.fields.front().text, "$GENERATE");
}

// The entries of a file and the $ORIGIN in force after its last line.
struct ScannedFile {
    std::vector<ScannedEntry> entries;
    std::optional<Name> end_origin;
};

// Scans a file and notes the $ORIGIN in force at each entry. origin is nullopt for an
// included file, whose starting origin depends on the $INCLUDE line that reads it.
ScannedFile scan_file(std::string_view text, std::optional<Name> origin)
{
    ScannedFile scanned;
    EntryScanner scanner(text);
    ScannedEntry entry;
    while (scanner.next(entry)) {
        entry.origin = origin;
        const bool sets_origin = is_directive(entry) && entry.fields.size() == 2 &&
                                 text::equals_ignoring_case(entry.fields[0].text, "$ORIGIN");
        if (sets_origin) {
            auto parsed = origin ? Name::parse(entry.fields[1].text, *origin)
                                 : Name::parse(entry.fields[1].text);
            origin = parsed ? std::optional<Name>(*parsed) : std::nullopt;
        }
        scanned.entries.push_back(std::move(entry));
    }
    scanned.end_origin = std::move(origin);
    return scanned;
}

// Positions of the fields of a record entry, found the way the parser reads them: an owner
// unless the line starts with a blank, then a TTL and a class in either order, then the type.
struct RecordLayout {
    std::size_t after_owner = 0;
    std::optional<std::size_t> ttl;
    std::optional<std::size_t> rclass;
    std::size_t type = 0;
};

std::optional<RecordLayout> record_layout(const ScannedEntry& entry)
{
    RecordLayout layout;
    std::size_t index = entry.inherits_owner ? 0 : 1;
    layout.after_owner = index;
    for (; index < entry.fields.size() && !entry.fields[index].quoted; ++index) {
        const std::string& text = entry.fields[index].text;
        if (!layout.ttl && !text.empty() && text.front() >= '0' && text.front() <= '9') {
            layout.ttl = index;
        } else if (!layout.rclass && class_from_string(text)) {
            layout.rclass = index;
        } else {
            break;
        }
    }
    if (index >= entry.fields.size()) {
        return std::nullopt;
    }
    layout.type = index;
    return layout;
}

// The owner as written in a new line: relative to the origin in force when it is known and
// the name lies below it, else absolute.
std::string owner_text(const Name& owner, const std::optional<Name>& origin)
{
    return origin ? owner.to_string_relative(*origin) : owner.to_string();
}

// Formats "owner TTL class type rdata" in the layout of style, an existing record entry with
// an owner, a TTL and a class: tab-separated when it uses tabs, else with its fields' columns
// where they can be kept. Without such a style the fields are separated by single spaces.
std::string format_line(const Record& record, const std::optional<Name>& origin,
                        std::string_view text, const ScannedEntry* style)
{
    const std::array<std::string, 5> parts{owner_text(record.owner, origin),
                                           std::to_string(record.ttl),
                                           class_to_string(record.rclass),
                                           type_to_string(record.type),
                                           rdata_to_string(record.type, record.rdata)};
    std::array<std::optional<std::size_t>, 5> columns{};
    bool tabs = false;
    const auto layout = style ? record_layout(*style) : std::nullopt;
    // Columns are copied only from a line with the same fields as the new one.
    if (style && layout && !style->inherits_owner && layout->ttl && layout->rclass) {
        const std::size_t line_end = text.find('\n', style->begin);
        auto column_of = [&](std::optional<std::size_t> index) -> std::optional<std::size_t> {
            if (!index || *index >= style->fields.size() ||
                style->fields[*index].offset > line_end) {
                return std::nullopt;
            }
            return style->fields[*index].offset - style->begin;
        };
        // A field counts as aligned when more than one blank precedes it.
        auto aligned_column = [&](std::size_t index) -> std::optional<std::size_t> {
            const auto column = column_of(index);
            const Field& previous = style->fields[index - 1];
            if (!column || style->fields[index].offset <= previous.offset + previous.length + 1) {
                return std::nullopt;
            }
            return column;
        };
        columns = {std::size_t{0}, aligned_column(*layout->ttl), aligned_column(*layout->rclass),
                   aligned_column(layout->type), aligned_column(layout->type + 1)};
        const std::size_t type_offset = style->fields[layout->type].offset;
        tabs = text.substr(style->begin, type_offset - style->begin).find('\t') !=
               std::string_view::npos;
    }

    std::string line = parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) {
        if (tabs) {
            line += '\t';
        } else {
            const std::size_t target = columns[i].value_or(0);
            line.append(target > line.size() ? target - line.size() : 1, ' ');
        }
        line += parts[i];
    }
    return line;
}

// One replacement of the bytes [begin, end) of a file; begin == end inserts.
struct Splice {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string text;
    std::size_t sequence = 0; // keeps insertions at one offset in the order they were made
};

// The entries of one file and the splices made to it so far.
struct FileEdit {
    std::string_view text;
    std::vector<ScannedEntry> entries;
    std::optional<Name> end_origin;
    std::map<std::uint32_t, std::size_t> by_line; // first line -> index into entries
    std::map<std::size_t, Name> removed;          // entry index -> owner of its record
    std::set<std::size_t> replaced;
    std::vector<Splice> splices;
};

class ZoneEditor {
public:
    ZoneEditor(const Zone& zone, const FileTexts& files) : zone_(zone), files_(files) {}

    Result<void> remove(const Record& record);
    Result<void> change_ttl(const Record& record, std::uint32_t ttl);
    Result<void> replace(const Record& old_record, const Record& new_record);
    Result<void> set_serial(std::uint32_t serial);
    Result<void> add(const Record& record);
    void restore_owners();
    [[nodiscard]] FileTexts finish() const;

private:
    Result<FileEdit*> file(const std::string& path);
    Result<std::pair<FileEdit*, std::size_t>> locate(const Record& record, bool editable);
    void splice(FileEdit& file, std::size_t begin, std::size_t end, std::string text);
    [[nodiscard]] const Record* find_anchor(const Record& record) const;
    [[nodiscard]] bool is_removed(const Record& record) const;

    const Zone& zone_;
    const FileTexts& files_;
    std::map<std::string, FileEdit> edits_;
    std::size_t sequence_ = 0;
};

Result<FileEdit*> ZoneEditor::file(const std::string& path)
{
    const auto found = edits_.find(path);
    if (found != edits_.end()) {
        return &found->second;
    }
    const auto text = files_.find(path);
    if (text == files_.end()) {
        return make_error(Errc::not_found, fmt::format("zone file {} was not provided", path));
    }
    const bool is_master = !zone_.files.empty() && zone_.files.front() == path;
    FileEdit edit;
    edit.text = text->second;
    ScannedFile scanned =
        scan_file(edit.text, is_master ? std::optional<Name>(zone_.origin) : std::nullopt);
    edit.entries = std::move(scanned.entries);
    edit.end_origin = std::move(scanned.end_origin);
    for (std::size_t i = 0; i < edit.entries.size(); ++i) {
        edit.by_line.emplace(edit.entries[i].line, i);
    }
    return &edits_.emplace(path, std::move(edit)).first->second;
}

Result<std::pair<FileEdit*, std::size_t>> ZoneEditor::locate(const Record& record, bool editable)
{
    auto edit = file(record.where.path);
    if (!edit) {
        return tl::unexpected(edit.error());
    }
    const auto found = (*edit)->by_line.find(record.where.line);
    if (found == (*edit)->by_line.end()) {
        return make_error(Errc::not_found,
                          fmt::format("no entry starts at {}:{} for the record {}",
                                      record.where.path, record.where.line,
                                      record_to_string(record)),
                          record.where);
    }
    if (editable && is_generate((*edit)->entries[found->second])) {
        return make_error(Errc::unsupported,
                          fmt::format("the record {} is made by $GENERATE, which cannot be "
                                      "changed one record at a time; edit the directive instead",
                                      record_to_string(record)),
                          record.where);
    }
    return std::pair{*edit, found->second};
}

void ZoneEditor::splice(FileEdit& file, std::size_t begin, std::size_t end, std::string text)
{
    file.splices.push_back(Splice{begin, end, std::move(text), sequence_++});
}

Result<void> ZoneEditor::remove(const Record& record)
{
    auto located = locate(record, true);
    if (!located) {
        return tl::unexpected(located.error());
    }
    auto [edit, index] = *located;
    if (edit->removed.emplace(index, record.owner).second) {
        const ScannedEntry& entry = edit->entries[index];
        splice(*edit, entry.begin, entry.end, {});
    }
    return {};
}

Result<void> ZoneEditor::change_ttl(const Record& record, std::uint32_t ttl)
{
    auto located = locate(record, true);
    if (!located) {
        return tl::unexpected(located.error());
    }
    auto [edit, index] = *located;
    if (edit->removed.count(index) != 0 || edit->replaced.count(index) != 0) {
        return {}; // the entry is rewritten whole
    }
    const ScannedEntry& entry = edit->entries[index];
    const auto layout = record_layout(entry);
    if (!layout) {
        return make_error(Errc::invalid_argument,
                          fmt::format("cannot find the type of the record at {}:{}",
                                      record.where.path, record.where.line),
                          record.where);
    }
    if (layout->ttl) {
        const Field& field = entry.fields[*layout->ttl];
        splice(*edit, field.offset, field.offset + field.length, std::to_string(ttl));
    } else {
        const std::size_t offset = entry.fields[layout->after_owner].offset;
        splice(*edit, offset, offset, fmt::format("{} ", ttl));
    }
    return {};
}

Result<void> ZoneEditor::replace(const Record& old_record, const Record& new_record)
{
    auto located = locate(old_record, true);
    if (!located) {
        return tl::unexpected(located.error());
    }
    auto [edit, index] = *located;
    const ScannedEntry& entry = edit->entries[index];
    edit->replaced.insert(index);
    splice(*edit, entry.begin, entry.end,
           format_line(new_record, entry.origin, edit->text, &entry) + "\n");
    return {};
}

Result<void> ZoneEditor::set_serial(std::uint32_t serial)
{
    const auto soa = std::find_if(zone_.records.begin(), zone_.records.end(), [&](const Record& r) {
        return r.type == rrtype::soa && r.owner == zone_.origin;
    });
    if (soa == zone_.records.end()) {
        return make_error(Errc::not_found,
                          fmt::format("zone {} has no SOA record", zone_.origin.to_string()));
    }
    auto located = locate(*soa, true);
    if (!located) {
        return tl::unexpected(located.error());
    }
    auto [edit, index] = *located;
    const ScannedEntry& entry = edit->entries[index];
    const auto layout = record_layout(entry);
    // SOA rdata: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM (RFC 1035 section 3.3.13).
    const std::size_t serial_index = layout ? layout->type + 3 : entry.fields.size();
    if (edit->replaced.count(index) != 0 || serial_index >= entry.fields.size() ||
        entry.fields[serial_index].quoted) {
        return make_error(Errc::invalid_argument,
                          fmt::format("cannot find the serial of the SOA record at {}:{}",
                                      soa->where.path, soa->where.line),
                          soa->where);
    }
    const Field& field = entry.fields[serial_index];
    splice(*edit, field.offset, field.offset + field.length, std::to_string(serial));
    return {};
}

bool ZoneEditor::is_removed(const Record& record) const
{
    const auto edit = edits_.find(record.where.path);
    if (edit == edits_.end()) {
        return false;
    }
    const auto found = edit->second.by_line.find(record.where.line);
    return found != edit->second.by_line.end() && edit->second.removed.count(found->second) != 0;
}

// Returns the record a new record goes after: the last kept one with the same owner and type,
// else the last kept one with the same owner. Returns nullptr when the owner has no kept record.
const Record* ZoneEditor::find_anchor(const Record& record) const
{
    const Record* same_owner = nullptr;
    const Record* same_type = nullptr;
    for (const Record& existing : zone_.records) {
        if (existing.owner != record.owner || is_removed(existing)) {
            continue;
        }
        same_owner = &existing;
        if (existing.type == record.type) {
            same_type = &existing;
        }
    }
    return same_type ? same_type : same_owner;
}

Result<void> ZoneEditor::add(const Record& record)
{
    if (const Record* anchor = find_anchor(record)) {
        auto located = locate(*anchor, false);
        if (!located) {
            return tl::unexpected(located.error());
        }
        auto [edit, index] = *located;
        const ScannedEntry& entry = edit->entries[index];
        // A $GENERATE line has no record layout to copy.
        const ScannedEntry* style = is_directive(entry) ? nullptr : &entry;
        splice(*edit, entry.end, entry.end,
               format_line(record, entry.origin, edit->text, style) + "\n");
        return {};
    }

    if (zone_.files.empty()) {
        return make_error(Errc::not_found,
                          fmt::format("zone {} has no master file", zone_.origin.to_string()));
    }
    auto edit = file(zone_.files.front());
    if (!edit) {
        return tl::unexpected(edit.error());
    }
    // The last record entry with an owner of its own gives the style.
    const ScannedEntry* style = nullptr;
    for (const ScannedEntry& entry : (*edit)->entries) {
        if (!is_directive(entry) && !entry.inherits_owner) {
            style = &entry;
        }
    }
    const std::size_t end = (*edit)->text.size();
    splice(**edit, end, end,
           format_line(record, (*edit)->end_origin, (*edit)->text, style) + "\n");
    return {};
}

// Writes the owner on the first kept line that inherited it from a removed entry, so that no
// blank-owner line silently changes owner.
// NOTE: this works within one file. An included file whose first lines inherit the owner of
// a removed record in the including file is not fixed; callers that parse the result again
// (as ZoneUpdater does) see the changed owner and reject the edit.
void ZoneEditor::restore_owners()
{
    for (auto& [path, edit] : edits_) {
        std::optional<Name> lost_owner;
        for (std::size_t i = 0; i < edit.entries.size(); ++i) {
            const ScannedEntry& entry = edit.entries[i];
            if (is_directive(entry)) {
                continue;
            }
            const auto removed = edit.removed.find(i);
            if (removed != edit.removed.end()) {
                if (!entry.inherits_owner) {
                    lost_owner = removed->second;
                }
                continue;
            }
            if (entry.inherits_owner && lost_owner && edit.replaced.count(i) == 0) {
                splice(edit, entry.begin, entry.begin, owner_text(*lost_owner, entry.origin));
            }
            lost_owner.reset();
        }
    }
}

FileTexts ZoneEditor::finish() const
{
    FileTexts changed;
    for (const auto& [path, edit] : edits_) {
        if (edit.splices.empty()) {
            continue;
        }
        std::vector<const Splice*> order;
        for (const Splice& item : edit.splices) {
            order.push_back(&item);
        }
        // Insertions at an offset go before a replacement starting there.
        std::sort(order.begin(), order.end(), [](const Splice* left, const Splice* right) {
            const bool left_inserts = left->begin == left->end;
            const bool right_inserts = right->begin == right->end;
            if (left->begin != right->begin) {
                return left->begin < right->begin;
            }
            if (left_inserts != right_inserts) {
                return left_inserts;
            }
            return left->sequence < right->sequence;
        });

        std::string output;
        std::size_t cursor = 0;
        for (const Splice* item : order) {
            if (item->begin > cursor) {
                output.append(edit.text.substr(cursor, item->begin - cursor));
            }
            const bool at_end = item->begin == edit.text.size();
            if (at_end && !item->text.empty() && !output.empty() && output.back() != '\n') {
                output += '\n';
            }
            output += item->text;
            cursor = std::max(cursor, item->end);
        }
        if (cursor < edit.text.size()) {
            output.append(edit.text.substr(cursor));
        }
        changed.emplace(path, std::move(output));
    }
    return changed;
}

} // namespace

Result<FileTexts> edit_zone_files(const Zone& zone, const FileTexts& files, const ZoneEdit& edit)
{
    ZoneEditor editor(zone, files);
    for (const Record& record : edit.removed) {
        if (auto done = editor.remove(record); !done) {
            return tl::unexpected(done.error());
        }
    }
    for (const auto& [old_record, new_record] : edit.replaced) {
        if (auto done = editor.replace(old_record, new_record); !done) {
            return tl::unexpected(done.error());
        }
    }
    for (const auto& [record, ttl] : edit.ttl_changes) {
        if (auto done = editor.change_ttl(record, ttl); !done) {
            return tl::unexpected(done.error());
        }
    }
    if (edit.serial) {
        if (auto done = editor.set_serial(*edit.serial); !done) {
            return tl::unexpected(done.error());
        }
    }
    for (const Record& record : edit.added) {
        if (auto done = editor.add(record); !done) {
            return tl::unexpected(done.error());
        }
    }
    editor.restore_owners();
    return editor.finish();
}

} // namespace robur::zone
