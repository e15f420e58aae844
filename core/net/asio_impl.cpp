// Boost.Asio compiled once for the whole project (BOOST_ASIO_SEPARATE_COMPILATION), so the
// translation units that use Asio only parse its declarations: a much shorter build on 2 cores.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
