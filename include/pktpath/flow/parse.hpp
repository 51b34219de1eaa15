// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// C++ face of the one-pass parser in parse.h: typed link types and a template
// that fills any key type of key.hpp.  The parsing itself lives only in parse.h.
#ifndef PKTPATH_FLOW_PARSE_HPP
#define PKTPATH_FLOW_PARSE_HPP

#include <cstddef>
#include <cstdint>

#include "key.hpp"
#include "parse.h"

namespace pktpath {

using status = pktpath_status;
using parse_result = pktpath_parse_result;

enum class linktype : std::uint32_t {
	null = PKTPATH_LINKTYPE_NULL,
	ethernet = PKTPATH_LINKTYPE_ETHERNET,
	raw_dlt12 = PKTPATH_LINKTYPE_RAW_DLT12,
	raw_dlt14 = PKTPATH_LINKTYPE_RAW_DLT14,
	raw = PKTPATH_LINKTYPE_RAW,
	loop = PKTPATH_LINKTYPE_LOOP,
	linux_sll = PKTPATH_LINKTYPE_LINUX_SLL,
	ipv4 = PKTPATH_LINKTYPE_IPV4,
	ipv6 = PKTPATH_LINKTYPE_IPV6,
	linux_sll2 = PKTPATH_LINKTYPE_LINUX_SLL2,
};

// What the caller wants in the key; combine with |.
namespace parse_flags {
inline constexpr unsigned none = 0;
inline constexpr unsigned vlan = PKTPATH_PARSE_VLAN;
inline constexpr unsigned inner = PKTPATH_PARSE_INNER;
inline constexpr unsigned symmetric = PKTPATH_PARSE_SYMMETRIC;
} // namespace parse_flags

inline const char *status_name(unsigned s)
{
	return pktpath_status_name(s);
}
inline bool has_key(unsigned s)
{
	return pktpath_status_has_key(s) != 0;
}

inline parse_result parse(const void *frame, std::size_t caplen, std::uint32_t lt, unsigned flags = 0)
{
	parse_result r;
	pktpath_parse(frame, caplen, lt, flags, &r);
	return r;
}

inline parse_result parse(const void *frame, std::size_t caplen, linktype lt, unsigned flags = 0)
{
	return parse(frame, caplen, static_cast<std::uint32_t>(lt), flags);
}

// A parse narrowed to one key type.  A frame of a family the key cannot hold
// (IPv6 into ipv4_5tuple) reports unsupported_l3.
template <class Key>
struct parsed {
	Key key;
	status st;
	std::uint32_t l2_off;
	std::uint32_t l3_off;
	std::uint32_t l4_off;

	bool has_key() const { return pktpath::has_key(st); }
};

template <class Key>
parsed<Key> parse_as(const void *frame, std::size_t caplen, std::uint32_t lt, unsigned flags = 0)
{
	parse_result r;
	parsed<Key> out{};
	out.st = pktpath_parse(frame, caplen, lt, flags, &r);
	out.l2_off = r.l2_off;
	out.l3_off = r.l3_off;
	out.l4_off = r.l4_off;
	if (pktpath_status_has_key(r.status) && !out.key.assign(r.key))
		out.st = PKTPATH_UNSUPPORTED_L3;
	return out;
}

template <class Key>
parsed<Key> parse_as(const void *frame, std::size_t caplen, linktype lt, unsigned flags = 0)
{
	return parse_as<Key>(frame, caplen, static_cast<std::uint32_t>(lt), flags);
}

} // namespace pktpath

#endif // PKTPATH_FLOW_PARSE_HPP
