// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Shared helpers of the table tests: deterministic keys.
#ifndef PKTPATH_TEST_TABLE_UTIL_HPP
#define PKTPATH_TEST_TABLE_UTIL_HPP

#include <pktpath/flow/key.hpp>

#include <cstdint>

namespace table_test {

// A distinct IPv4 TCP flow per i: 10.(i>>16).(i>>8).i:(1024 + i%50000) > 192.0.2.1:80.
inline pktpath::flow_key key(std::uint32_t i, std::uint8_t proto = 6)
{
	pktpath::flow_key k{};
	k.src[0] = 10;
	k.src[1] = static_cast<std::uint8_t>(i >> 16);
	k.src[2] = static_cast<std::uint8_t>(i >> 8);
	k.src[3] = static_cast<std::uint8_t>(i);
	k.dst[0] = 192;
	k.dst[1] = 0;
	k.dst[2] = 2;
	k.dst[3] = 1;
	k.sport = static_cast<std::uint16_t>(1024 + i % 50000);
	k.dport = 80;
	k.proto = proto;
	k.flags = PKTPATH_KEY_IPV4 | PKTPATH_KEY_PORTS;
	return k;
}

inline pktpath::ipv4_5tuple key4(std::uint32_t i)
{
	pktpath::ipv4_5tuple k{};
	k.assign(pktpath::as_c_key(key(i)));
	return k;
}

} // namespace table_test

#endif // PKTPATH_TEST_TABLE_UTIL_HPP
