#pragma once

#include <optional>
#include <string>

#include "core/error.hpp"
#include "formats/zone/name.hpp"
#include "store/config.hpp"
#include "store/object_id.hpp"
#include "store/repository.hpp"

// The `serial = auto` policy of robur.conf: the primary raises a zone's SOA serial itself when
// a push changes the zone's records without raising it.
namespace robur::dns {

// Returns true when robur.conf sets `serial = auto` for the zone: `[zone "NAME"] serial`
// when present (NAME with or without the trailing dot, in any case), else `[dns] serial`.
// The default is manual. Errors: invalid_argument for a value other than auto or manual.
[[nodiscard]] Result<bool> serial_is_auto(const store::Config& config, const zone::Name& zone);

// Raises the serial of every zone whose records changed between the commits before and after
// without a serial increase, for zones that robur.conf at after sets to `serial = auto`. The
// serials are rewritten in place and committed in one commit ("Raise serial of ZONE to N") on
// branch, which must still point to after. Returns the commit, or nullopt when no zone needed
// it or the branch moved meanwhile (the next move triggers another call).
// Errors: git_error or not_found when the commits cannot be read; invalid_argument for a bad
// `serial` value in robur.conf; io_error or dirty_worktree from the commit.
[[nodiscard]] Result<std::optional<store::ObjectId>>
raise_stale_serials(store::Repository& repository, const std::string& branch,
                    const store::ObjectId& before, const store::ObjectId& after);

} // namespace robur::dns
