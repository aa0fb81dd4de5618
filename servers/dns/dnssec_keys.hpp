#pragma once

// Reads a zone's DNSSEC keys from a commit: the BIND key file pairs in
// keys/dnssec/<zone>/K<zone>.+AAA+TTTTT.{key,private}.

#include <vector>

#include "core/error.hpp"
#include "formats/dnssec/key_file.hpp"
#include "formats/zone/name.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

// Reads every K*.key and K*.private pair in the key folder of zone in the snapshot, in file
// name order; an absent folder gives no keys. Other files in the folder are ignored. Each .key
// needs its .private, because a key robur publishes without signing still has to be able to
// sign once it becomes active. A DNSKEY published for a key held elsewhere (a second signer)
// belongs in the zone file instead. Errors: parse errors naming the file and line.
// invalid_argument for a .key or .private file without its partner and for a key whose owner
// name is not the zone.
Result<std::vector<dnssec::KeyFiles>> load_dnssec_keys(const store::Snapshot& snapshot,
                                                       const zone::Name& zone);

// Lists the K*.key and K*.private files in the key folder of zone with their blob ids, in path
// order, so that a loader can tell whether the keys changed between two commits. An absent
// folder gives an empty list. Errors: those of Snapshot::list other than not_found.
Result<std::vector<store::Entry>> dnssec_key_files(const store::Snapshot& snapshot,
                                                   const zone::Name& zone);

} // namespace robur::dns
