#include "servers/dns/signed_journal.hpp"

#include <algorithm>

namespace robur::dns {

namespace {

std::size_t record_count(const ZoneStep& step)
{
    return step.deleted.size() + step.added.size() + 2;
}

} // namespace

void SignedJournal::add(const zone::Zone& signed_zone)
{
    auto content = transfer_content(signed_zone);
    const auto key = signed_zone.origin.lowercase().to_string();
    const std::lock_guard lock(mutex_);
    if (content.records.empty()) {
        zones_.erase(key);
        return;
    }
    auto found = zones_.find(key);
    if (found == zones_.end()) {
        zones_.emplace(key, Entry{std::move(content), {}, 0});
        return;
    }
    Entry& entry = found->second;
    if (transfer_serial(entry.content) == transfer_serial(content)) {
        entry.steps.clear();
        entry.step_records = 0;
    } else {
        entry.steps.push_back(make_step(entry.content, content));
        entry.step_records += record_count(entry.steps.back());
    }
    entry.content = std::move(content);
    trim(entry);
}

void SignedJournal::trim(Entry& entry) const
{
    while (!entry.steps.empty() &&
           (entry.steps.size() > limits_.max_steps ||
            (limits_.limit_to_zone_size && entry.step_records > entry.content.records.size()))) {
        entry.step_records -= record_count(entry.steps.front());
        entry.steps.pop_front();
    }
}

void SignedJournal::forget(const zone::Name& origin)
{
    const std::lock_guard lock(mutex_);
    zones_.erase(origin.lowercase().to_string());
}

bool SignedJournal::contains(const zone::Name& origin) const
{
    const std::lock_guard lock(mutex_);
    return zones_.contains(origin.lowercase().to_string());
}

std::size_t SignedJournal::step_count(const zone::Name& origin) const
{
    const std::lock_guard lock(mutex_);
    const auto found = zones_.find(origin.lowercase().to_string());
    return found == zones_.end() ? 0 : found->second.steps.size();
}

std::shared_ptr<const ZoneSteps> SignedJournal::steps(const zone::Name& origin, std::uint32_t from,
                                                      std::uint32_t to) const
{
    const std::lock_guard lock(mutex_);
    const auto found = zones_.find(origin.lowercase().to_string());
    if (found == zones_.end()) {
        return nullptr;
    }
    if (from == to) {
        return std::make_shared<const ZoneSteps>();
    }
    const auto& steps = found->second.steps;
    const auto first = std::find_if(steps.begin(), steps.end(), [from](const ZoneStep& step) {
        return step_serials(step).first == from;
    });
    auto result = std::make_shared<ZoneSteps>();
    for (auto step = first; step != steps.end(); ++step) {
        result->push_back(*step);
        if (step_serials(*step).second == to) {
            return result;
        }
    }
    return nullptr;
}

} // namespace robur::dns
