#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "store/object_id.hpp"
#include "store/repository.hpp"
#include "servers/dns/update_serial.hpp"
#include "servers/dns/wire.hpp"

// Dynamic UPDATE (RFC 2136) applied to a zone file in the data repository: the file is edited
// in place and the change committed, one commit per UPDATE, with the signer as author.
namespace robur::dns {

struct UpdateOptions {
    std::string branch;            // "refs/heads/main"; empty: the branch HEAD names
    std::size_t max_attempts = 3;  // tries when the branch moved between read and commit
    std::optional<std::string> push_remote; // remote to push each commit to; unset: no push
    // Called before each commit attempt with the attempt number, counting from 1. Tests use it
    // to move the branch; the server leaves it empty.
    std::function<void(std::size_t attempt)> before_commit;
};

struct UpdateResult {
    Rcode rcode = Rcode::noerror;
    std::optional<store::ObjectId> commit; // the commit made; nullopt when nothing changed or refused
    std::string summary;                   // one line for the log: what changed or why refused
};

// Applies UPDATE requests to the zones of one branch. Not thread-safe: one caller at a time.
class ZoneUpdater {
public:
    ZoneUpdater(store::Repository repository, UpdateOptions options);

    // Applies one UPDATE request. message is the raw request; a final TSIG record (verified by
    // the caller) is skipped. author is the signing key's name, or the client address for an
    // unsigned update allowed by address; it becomes the commit's author name and email.
    //
    // Returns NOERROR with the commit once the change is committed, and NOERROR without a
    // commit when the update changed nothing. Otherwise nothing changes and the rcode is
    // FORMERR for a malformed request, NOTAUTH for a zone the branch does not contain, NOTZONE
    // for a name outside the zone, and NXDOMAIN, YXDOMAIN, NXRRSET or YXRRSET for a failed
    // prerequisite. REFUSED means the result would not be a valid zone, would change a record
    // made by $GENERATE, would change the RRSIG, NSEC, NSEC3, NSEC3PARAM or apex DNSKEY records
    // of a zone the server signs (dnssec = online), or would change a zone signed offline. SERVFAIL means the zone could not be read, edited or committed, for
    // example because the work tree has uncommitted edits to the zone's files.
    [[nodiscard]] UpdateResult apply(std::span<const std::uint8_t> message,
                                     const std::string& author);

    [[nodiscard]] store::Repository& repository() { return repository_; }

private:
    store::Repository repository_;
    UpdateOptions options_;
};

} // namespace robur::dns
