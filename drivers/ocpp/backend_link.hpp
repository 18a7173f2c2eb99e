#pragma once
// One station's websocket to the operator's CSMS (fuseguard as OCPP local
// controller, docs/ocpp.md "Local controller"): the station's identity and
// subprotocol, basic auth, ws or wss (with fuseguard's client certificate for
// security profile 3). It reconnects by itself, backing off from 1 s to
// `reconnect_max_s` with jitter, so that a CSMS coming back is not hit by
// every station of the site in the same second. Text frames in and out;
// what they mean is the session's business (charger_relay.cpp).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "rpc.hpp"

namespace fuseguard::ocpp {

class BackendLink {
public:
    struct Target {
        std::string host;
        std::uint16_t port = 80;
        std::string path;  // the url's path with the identity appended
        Version version = Version::V16;
        std::optional<std::string> authorization;  // the Authorization header, "Basic ..."
        double reconnect_max_s = 60;
    };
    struct Handlers {
        std::function<void()> opened;
        std::function<void(std::string text)> received;
        // An attempt failed or an open link ended; another attempt follows.
        std::function<void(const std::string& cause)> lost;
    };
    // `tls`: the client context for wss://, none for ws://. It must outlive
    // the link.
    static std::shared_ptr<BackendLink> create(boost::asio::any_io_executor ex, boost::asio::ssl::context* tls,
                                               Target target, Handlers handlers);
    virtual ~BackendLink() = default;

    virtual void start() = 0;
    // Closes the link for good; no handler runs after this.
    virtual void stop() = 0;
    // Queues a text frame; false when the link is not open (nothing sent).
    virtual bool send(std::string text) = 0;
    bool is_open() const { return open_; }

protected:
    bool open_ = false;
};

// The client context for a wss:// backend: the CA bundle (the system's when
// none), the peer checked against the host name, fuseguard's own certificate
// when given. Throws std::exception with the reason.
boost::asio::ssl::context backend_tls_context(const std::optional<std::string>& ca,
                                              const std::optional<std::string>& cert,
                                              const std::optional<std::string>& key);

}  // namespace fuseguard::ocpp
