#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

namespace robur::dns {

// The current version of an immutable value shared by the query threads, such as the zone set.
// One thread publishes new versions; any thread reads. A reader sees either the old or the new
// version, never a mix, and a version stays alive while any reader keeps it.
template <typename T> class Published {
public:
    // Makes value the current version. Returns its generation, which counts publications from 1.
    std::uint64_t publish(std::shared_ptr<const T> value)
    {
        current_.store(std::move(value), std::memory_order_release);
        return generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
    }

    // The current version; null before the first publish().
    [[nodiscard]] std::shared_ptr<const T> load() const
    {
        return current_.load(std::memory_order_acquire);
    }

    [[nodiscard]] std::uint64_t generation() const
    {
        return generation_.load(std::memory_order_acquire);
    }

    // A per-thread cache of the current version. get() costs one atomic load of the generation
    // while nothing changes, and takes a reference on the new version only after a publish(),
    // so the query path does not touch the shared reference count.
    class Reader {
    public:
        explicit Reader(const Published& source) : source_(&source) {}

        // The current version, valid until the next get() on this reader; null before the
        // first publish().
        [[nodiscard]] const T* get()
        {
            const auto generation = source_->generation();
            if (generation != generation_) {
                // Loading the generation first means a publish() racing with this call at
                // worst makes the next get() refresh again.
                cached_ = source_->load();
                generation_ = generation;
            }
            return cached_.get();
        }

    private:
        const Published* source_;
        std::shared_ptr<const T> cached_;
        std::uint64_t generation_ = 0;
    };

private:
    std::atomic<std::shared_ptr<const T>> current_;
    std::atomic<std::uint64_t> generation_{0};
};

} // namespace robur::dns
