#include "formats/vcard/check.hpp"

#include <array>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "formats/vcard/content_line.hpp"
#include "formats/vcard/rules.hpp"

namespace robur::vcard {

namespace {

using detail::count_properties;
using detail::Findings;

constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

std::string trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return std::string(text);
}

ContentLine* find_property(RawCard& card, std::string_view name)
{
    for (auto& property : card.properties) {
        if (property.name == name) {
            return &property;
        }
    }
    return nullptr;
}

ContentLine new_property(std::string name, std::string value, std::uint32_t line)
{
    ContentLine property;
    property.name = std::move(name);
    property.value = std::move(value);
    property.line = line;
    property.changed = true;
    return property;
}

// Inserts `property` right after VERSION, or first when there is none.
void insert_after_version(RawCard& card, ContentLine property)
{
    auto position = card.properties.begin();
    if (!card.properties.empty() && card.properties.front().name == "VERSION") {
        ++position;
    }
    card.properties.insert(position, std::move(property));
}

// A UID derived from the vCard's bytes, so that importing the same file again finds the
// same contact: the SHA-256 of the bytes, laid out as a UUID of version 8 (RFC 9562
// section 5.8, "custom").
std::string derived_uid(std::string_view bytes)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
    digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x80);
    digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
    std::string hex;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            hex += '-';
        }
        hex += fmt::format("{:02x}", digest[i]);
    }
    return "urn:uuid:" + hex;
}

// Returns the version ("3.0" or "4.0") after checking VERSION, or an empty string when the
// vCard cannot be checked further.
std::string check_version(RawCard& card, Origin origin, Findings& findings)
{
    const std::size_t count = count_properties(card, "VERSION");
    if (count > 1) {
        findings.error(card.begin_line, "more than one VERSION property");
        return {};
    }
    if (count == 0) {
        if (origin == Origin::put) {
            findings.error(card.begin_line, "missing VERSION: add VERSION:3.0 or VERSION:4.0 "
                                            "right after BEGIN:VCARD");
            return {};
        }
        findings.warning(card.begin_line, "missing VERSION: read and stored as VERSION:4.0");
        card.properties.insert(card.properties.begin(),
                               new_property("VERSION", "4.0", card.begin_line));
        findings.rewrite = true;
        return "4.0";
    }

    ContentLine& version = *find_property(card, "VERSION");
    const std::string value = trim(version.value);
    if (value != version.value) {
        findings.warning(version.line, "VERSION value with surrounding spaces, trimmed");
        version.value = value;
        version.changed = true;
        findings.rewrite = true;
    }
    if (value == "2.1") {
        findings.error(version.line, "vCard 2.1 is not supported: convert it to 3.0 or 4.0");
        return {};
    }
    if (value != "3.0" && value != "4.0") {
        findings.error(version.line, fmt::format("unsupported VERSION {}: expected 3.0 or 4.0",
                                                 value));
        return {};
    }
    // RFC 6350 section 6.7.9: VERSION comes right after BEGIN:VCARD. RFC 2426 sets no order.
    if (value == "4.0" && card.properties.front().name != "VERSION") {
        findings.warning(version.line, "VERSION moved right after BEGIN:VCARD as vCard 4.0 "
                                       "requires");
        const auto position = std::find_if(card.properties.begin(), card.properties.end(),
                                           [](const ContentLine& p) { return p.name == "VERSION"; });
        ContentLine moved = *position;
        card.properties.erase(position);
        card.properties.insert(card.properties.begin(), std::move(moved));
        findings.rewrite = true;
    }
    return value;
}

// A formatted name and the property it came from.
struct DerivedName {
    std::string text;
    std::string_view source;
};

// Derives a formatted name from the first of N, ORG, NICKNAME and EMAIL that has text.
DerivedName derive_formatted_name(RawCard& card)
{
    if (const auto* name = find_property(card, "N")) {
        const auto parts = split_value(name->value, ';');
        std::string text;
        // N is family;given;additional;prefix;suffix and FN reads prefix given additional
        // family suffix.
        for (const std::size_t index : {3, 1, 2, 0, 4}) {
            if (index < parts.size()) {
                const std::string part = trim(unescape_text(parts[index]));
                if (part.empty()) {
                    continue;
                }
                if (!text.empty()) {
                    text += ' ';
                }
                text += part;
            }
        }
        if (!text.empty()) {
            return {text, "N"};
        }
    }
    for (const std::string_view name : {"ORG", "NICKNAME", "EMAIL"}) {
        if (const auto* property = find_property(card, name)) {
            const auto first = split_value(property->value, name == "ORG" ? ';' : ',');
            const std::string text = trim(unescape_text(first.front()));
            if (!text.empty()) {
                return {text, name};
            }
        }
    }
    return {};
}

void check_names(RawCard& card, std::string_view version, Findings& findings)
{
    if (count_properties(card, "FN") == 0) {
        const DerivedName derived = derive_formatted_name(card);
        if (derived.text.empty()) {
            findings.error(card.begin_line, "missing FN, which vCard 3.0 and 4.0 require, and "
                                            "no N, ORG, NICKNAME or EMAIL to derive it from");
        } else {
            findings.warning(card.begin_line,
                             fmt::format("missing FN: set to \"{}\" from {}", derived.text,
                                         derived.source));
            insert_after_version(card,
                                 new_property("FN", escape_text(derived.text), card.begin_line));
            findings.rewrite = true;
        }
    } else if (trim(find_property(card, "FN")->value).empty()) {
        findings.warning(find_property(card, "FN")->line, "FN is empty");
    }

    // RFC 2426 section 3.1.2: N is required in vCard 3.0; RFC 6350 made it optional.
    if (version == "3.0" && count_properties(card, "N") == 0) {
        findings.warning(card.begin_line, "missing N, which vCard 3.0 requires: added an empty "
                                          "N");
        insert_after_version(card, new_property("N", ";;;;", card.begin_line));
        findings.rewrite = true;
    }
}

// Returns the UID text after checking it, empty when it is missing or invalid.
std::string check_uid(RawCard& card, std::string_view bytes, Origin origin, Findings& findings)
{
    const std::size_t count = count_properties(card, "UID");
    if (count > 1) {
        findings.error(card.begin_line, fmt::format("{} UID properties; a vCard has one", count));
        return {};
    }
    if (count == 1) {
        const auto* uid = find_property(card, "UID");
        std::string text = trim(unescape_text(uid->value));
        if (text.empty()) {
            findings.error(uid->line, "UID is empty");
        }
        return text;
    }
    if (origin == Origin::put) {
        findings.error(card.begin_line, "missing UID, which a CardDAV address object resource "
                                        "requires (RFC 6352 section 5.1)");
        return {};
    }
    std::string uid = derived_uid(bytes);
    findings.warning(card.begin_line,
                     fmt::format("missing UID: added UID {} derived from the vCard's content", uid));
    card.properties.push_back(new_property("UID", uid, card.begin_line));
    findings.rewrite = true;
    return uid;
}

// Checks one vCard read from `bytes` (its own text) and fills `result`.
void check_raw_card(RawCard& card, std::string_view bytes, Origin origin, Findings& findings,
                    CheckedCard& result)
{
    if (card.end_line == 0 || card.malformed) {
        return; // read_cards reported the missing END:VCARD or the malformed line
    }
    findings.rewrite = findings.rewrite || card.blank_lines;
    const std::string version = check_version(card, origin, findings);
    if (version.empty()) {
        return;
    }
    check_names(card, version, findings);
    const std::string uid = check_uid(card, bytes, origin, findings);
    detail::check_properties(card, version, findings);
    if (has_errors(findings.diagnostics)) {
        return;
    }

    const auto* name = find_property(card, "FN");
    result.card = CardSummary{uid, version, name ? unescape_text(name->value) : std::string()};
    if (findings.rewrite) {
        result.repaired = write_card(card);
    }
}

ReadLimits read_limits(const Limits& limits)
{
    return ReadLimits{limits.max_line_length, limits.max_properties};
}

bool size_within_limit(std::string_view bytes, const Limits& limits, Findings& findings)
{
    if (bytes.size() <= limits.max_resource_size) {
        return true;
    }
    findings.error(1, fmt::format("{} bytes exceed the limit of {} bytes for one resource",
                                  bytes.size(), limits.max_resource_size));
    return false;
}

} // namespace

CheckedCard check_card(std::string_view bytes, std::string_view path, const Limits& limits,
                       Origin origin)
{
    CheckedCard result;
    Findings findings{std::string(path), {}, false};
    if (!size_within_limit(bytes, limits, findings)) {
        result.diagnostics = std::move(findings.diagnostics);
        return result;
    }
    if (bytes.starts_with(byte_order_mark)) {
        findings.warning(1, "UTF-8 byte order mark removed");
        bytes.remove_prefix(byte_order_mark.size());
        findings.rewrite = true;
    }

    auto parsed = read_cards(bytes, path, read_limits(limits));
    findings.diagnostics.insert(findings.diagnostics.end(), parsed.diagnostics.begin(),
                                parsed.diagnostics.end());
    if (parsed.cards.empty() && !has_errors(findings.diagnostics)) {
        findings.error(1, "no vCard found: the resource must start with BEGIN:VCARD");
    }
    if (parsed.cards.size() > 1) {
        findings.error(parsed.cards[1].begin_line,
                       fmt::format("{} vCards in one resource; CardDAV stores one per resource "
                                   "(RFC 6352 section 5.1), so import the file with `robur card "
                                   "import` to split it",
                                   parsed.cards.size()));
    }
    if (parsed.cards.size() == 1 && !has_errors(findings.diagnostics)) {
        check_raw_card(parsed.cards.front(), bytes, origin, findings, result);
    }
    if (has_errors(findings.diagnostics)) {
        result.card.reset();
        result.repaired.reset();
    }
    result.diagnostics = std::move(findings.diagnostics);
    return result;
}

CheckedFile check_card_file(std::string_view bytes, std::string_view path, const Limits& limits)
{
    CheckedFile result;
    std::string_view text = bytes;
    Findings file_findings{std::string(path), {}, false};
    if (text.starts_with(byte_order_mark)) {
        file_findings.warning(1, "UTF-8 byte order mark ignored");
        text.remove_prefix(byte_order_mark.size());
    }
    auto parsed = read_cards(text, path, read_limits(limits));
    file_findings.diagnostics.insert(file_findings.diagnostics.end(), parsed.diagnostics.begin(),
                                     parsed.diagnostics.end());
    if (parsed.cards.empty() && !has_errors(file_findings.diagnostics)) {
        file_findings.error(1, "no vCard found (BEGIN:VCARD ... END:VCARD)");
    }

    std::map<std::string, std::uint32_t> uid_lines;
    for (auto& card : parsed.cards) {
        const std::string_view card_bytes =
            text.substr(card.begin_offset, card.end_offset - card.begin_offset);
        FileCard entry;
        entry.line = card.begin_line;
        Findings findings{std::string(path), {}, false};
        if (size_within_limit(card_bytes, limits, findings)) {
            check_raw_card(card, card_bytes, Origin::import, findings, entry.checked);
        }
        entry.checked.diagnostics = std::move(findings.diagnostics);
        if (!entry.checked.card) {
            result.cards.push_back(std::move(entry));
            continue;
        }
        const auto [previous, inserted] = uid_lines.emplace(entry.checked.card->uid, card.begin_line);
        if (!inserted) {
            file_findings.error(card.begin_line,
                                fmt::format("UID {} is also the UID of the vCard on line {}",
                                            entry.checked.card->uid, previous->second));
        }
        entry.text = entry.checked.repaired ? *entry.checked.repaired : std::string(card_bytes);
        result.cards.push_back(std::move(entry));
    }
    result.diagnostics = std::move(file_findings.diagnostics);
    return result;
}

} // namespace robur::vcard
