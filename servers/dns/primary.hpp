#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "servers/dns/access.hpp"
#include "servers/dns/asio.hpp"
#include "servers/dns/key_store.hpp"
#include "servers/dns/listen_address.hpp"
#include "servers/dns/published.hpp"
#include "servers/dns/query_handler.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/zone_index.hpp"
#include "servers/dns/zone_set_loader.hpp"
#include "store/object_id.hpp"
#include "store/repository.hpp"
#include "store/snapshot.hpp"

namespace robur::dns {

class Reloader;
class NotifySender;
class ZoneHistory;
class ZoneUpdater;

// The keys and access settings of the commit being served, replaced with every load.
struct PrimaryState {
    RepositoryKeys keys;
    AccessPolicy policy;
    store::ObjectId commit;
};

struct PrimaryOptions {
    std::string branch; // "refs/heads/main"
    // How long an UPDATE waits for the server to load its commit before it is answered.
    std::chrono::milliseconds reload_wait{3000};
    // The remote each UPDATE commit is pushed to, when set (robur.conf dns.push-remote).
    std::optional<std::string> push_remote;
    // The addresses and ports the server answers on; NOTIFY is never sent to them.
    std::vector<ListenAddress> own_addresses;
};

// What makes `robur serve dns` a primary: it answers the requests that the query threads
// defer (zone transfers, NOTIFY, UPDATE and TSIG-signed queries), checks their signatures and
// the access settings, commits updates, and sends NOTIFY to the secondaries of every zone
// whose serial changed. Transfers and signed queries run on one thread, NOTIFY and UPDATE on
// another, so a long transfer never delays an update.
class Primary {
public:
    // repository commits updates; history_repository, a second handle on the same repository,
    // reads the history for IXFR on the transfer thread.
    Primary(const Published<ZoneSet>& zones, store::Repository repository,
            store::Repository history_repository, PrimaryOptions options);
    Primary(const Primary&) = delete;
    Primary& operator=(const Primary&) = delete;
    ~Primary();

    // The reloader that publishes the zones; NOTIFY and UPDATE ask it to read the branch.
    // IXFR of the zones it signs comes from its journal. Call before start().
    void set_reloader(Reloader& reloader);

    void start();
    void stop();

    // Takes over a deferred request; callable from any thread.
    void submit(std::vector<std::uint8_t> query, const QueryContext& context,
                std::shared_ptr<ResponseStream> stream);

    // Called by the reloader after each load: reads the keys and robur.conf of the commit,
    // then sends NOTIFY for zones whose serial changed.
    void loaded(const store::Snapshot& snapshot, const LoadSummary& summary);

private:
    struct Request;

    void process(Request& request);
    void answer_signed_query(Request& request);
    void answer_transfer(Request& request);
    void answer_notify(Request& request);
    void answer_update(Request& request);
    void send_rcode(Request& request, Rcode rcode);
    void send_signed(Request& request, std::vector<std::uint8_t> answer);
    [[nodiscard]] const CompiledZone* find_zone(const ZoneSet& zones, const zone::Name& name) const;
    void notify_changed_zones(const LoadSummary& summary, const PrimaryState& state);
    void raise_serials(const store::ObjectId& before, const store::ObjectId& after,
                       unsigned attempt = 0);

    const Published<ZoneSet>& zones_;
    Published<PrimaryState> state_;
    PrimaryOptions options_;
    Reloader* reloader_ = nullptr;

    asio::io_context transfer_io_;
    asio::io_context update_io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> transfer_work_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> update_work_;
    std::thread transfer_thread_;
    std::thread update_thread_;

    Responder responder_;                  // transfer thread only
    std::unique_ptr<ZoneHistory> history_; // transfer thread only
    std::unique_ptr<NotifySender> notifier_;
    std::unique_ptr<ZoneUpdater> updater_; // update thread only

    // Reload thread only: the serials of the last load, and its commit.
    std::map<std::string, std::uint32_t> serials_;
    std::optional<store::ObjectId> last_commit_;

    std::shared_ptr<spdlog::logger> logger_;
};

} // namespace robur::dns
