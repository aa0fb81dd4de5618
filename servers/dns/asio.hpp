#pragma once

// The one way robur code includes Boost.Asio, so that every translation unit sees the same
// configuration.

// Boost 1.74's awaitable.hpp calls std::exchange without including <utility>.
#include <utility>

// Boost 1.74 enables co_await on clang only through the Coroutines TS macro, which clang 14 no
// longer defines in C++20 mode. Its C++20 coroutines work with Asio all the same.
#if defined(__clang__) && defined(__cpp_impl_coroutine) && !defined(BOOST_ASIO_HAS_CO_AWAIT)
#define BOOST_ASIO_HAS_CO_AWAIT 1
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace robur::dns {

namespace asio = boost::asio;

// SO_REUSEPORT, so that every worker thread binds its own socket to the same address and the
// kernel spreads datagrams and connections over them (Linux 3.9 and later).
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

} // namespace robur::dns
