#pragma once
// `fuseguard --view`: the site on the terminal, redrawn every second on
// stdout (the log stays on stderr): the budget per fuse and phase, what is
// deducted and why, each station's state and limit, active notifications.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <ostream>
#include <string>

#include "site_controller.hpp"

namespace fuseguard::controller {

// One frame of the view, as text (no terminal codes).
std::string render_view(const SiteController& site);

class TerminalView {
public:
    TerminalView(boost::asio::io_context& io, std::function<const SiteController*()> site, std::ostream& out);
    void start();
    void stop() { timer_.cancel(); }

private:
    void draw();
    boost::asio::steady_timer timer_;
    std::function<const SiteController*()> site_;
    std::ostream& out_;
};

}  // namespace fuseguard::controller
