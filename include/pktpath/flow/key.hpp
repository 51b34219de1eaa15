// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Flow key templates for C++: IPv4 and IPv6 5-tuples and the family-agnostic
// key whose layout is the C `pktpath_flow_key` (the table image's key).
#ifndef PKTPATH_FLOW_KEY_HPP
#define PKTPATH_FLOW_KEY_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "key.h"

namespace pktpath {

namespace family {
// Which addresses a key can hold.  addr_len is the stored address width.
struct v4 {
	static constexpr std::size_t addr_len = 4;
	static constexpr bool accepts(std::uint8_t flags) { return (flags & PKTPATH_KEY_IPV4) != 0; }
};
struct v6 {
	static constexpr std::size_t addr_len = 16;
	static constexpr bool accepts(std::uint8_t flags) { return (flags & PKTPATH_KEY_IPV6) != 0; }
};
struct any {
	static constexpr std::size_t addr_len = 16;
	static constexpr bool accepts(std::uint8_t flags)
	{
		return (flags & (PKTPATH_KEY_IPV4 | PKTPATH_KEY_IPV6)) != 0;
	}
};
} // namespace family

// A 5-tuple (plus optional VLAN id) over one address family.  Trivially
// copyable, no padding, so equality and hashing work on the raw bytes.
template <class Family>
struct five_tuple {
	using family_type = Family;
	static constexpr std::size_t addr_len = Family::addr_len;

	std::uint8_t src[addr_len];
	std::uint8_t dst[addr_len];
	std::uint16_t sport;
	std::uint16_t dport;
	std::uint16_t vlan;
	std::uint8_t proto;
	std::uint8_t flags;

	unsigned ipver() const { return pktpath_flags_ipver(flags); }
	bool has_ports() const { return (flags & PKTPATH_KEY_PORTS) != 0; }

	// Narrows the C key; false (and *this untouched) when the family does not fit.
	bool assign(const pktpath_flow_key &k)
	{
		if (!Family::accepts(k.flags))
			return false;
		std::memcpy(src, k.src, addr_len);
		std::memcpy(dst, k.dst, addr_len);
		sport = k.sport;
		dport = k.dport;
		vlan = k.vlan;
		proto = k.proto;
		flags = k.flags;
		return true;
	}

	// The C key of this one (addresses widened to 16 bytes, zero-filled).
	pktpath_flow_key c_key() const
	{
		pktpath_flow_key k{};
		std::memcpy(k.src, src, addr_len);
		std::memcpy(k.dst, dst, addr_len);
		k.sport = sport;
		k.dport = dport;
		k.vlan = vlan;
		k.proto = proto;
		k.flags = flags;
		return k;
	}

	// The direction-independent form of this key (pktpath_endpoints_make_symmetric).
	five_tuple symmetric() const
	{
		five_tuple r = *this;
		pktpath_endpoints_make_symmetric(r.src, r.dst, addr_len, &r.sport, &r.dport);
		return r;
	}

	friend bool operator==(const five_tuple &a, const five_tuple &b)
	{
		return std::memcmp(&a, &b, sizeof(five_tuple)) == 0;
	}
	friend bool operator!=(const five_tuple &a, const five_tuple &b) { return !(a == b); }
	// Byte order of the layout: stable across runs, good enough for sorting output.
	friend bool operator<(const five_tuple &a, const five_tuple &b)
	{
		return std::memcmp(&a, &b, sizeof(five_tuple)) < 0;
	}
};

using ipv4_5tuple = five_tuple<family::v4>;
using ipv6_5tuple = five_tuple<family::v6>;
using flow_key = five_tuple<family::any>;

static_assert(sizeof(ipv4_5tuple) == 16, "IPv4 key layout");
static_assert(sizeof(ipv6_5tuple) == 40, "IPv6 key layout");
static_assert(sizeof(flow_key) == sizeof(pktpath_flow_key), "flow_key is the C layout");
static_assert(offsetof(flow_key, sport) == offsetof(pktpath_flow_key, sport), "flow_key is the C layout");
static_assert(offsetof(flow_key, vlan) == offsetof(pktpath_flow_key, vlan), "flow_key is the C layout");
static_assert(offsetof(flow_key, proto) == offsetof(pktpath_flow_key, proto), "flow_key is the C layout");
static_assert(offsetof(flow_key, flags) == offsetof(pktpath_flow_key, flags), "flow_key is the C layout");
static_assert(std::is_trivially_copyable<flow_key>::value && std::is_standard_layout<flow_key>::value,
	      "keys are plain bytes");
static_assert(std::has_unique_object_representations<ipv4_5tuple>::value &&
		      std::has_unique_object_representations<ipv6_5tuple>::value &&
		      std::has_unique_object_representations<flow_key>::value,
	      "no padding: byte equality is key equality");

// The C view of a family-agnostic key (same bytes).
inline const pktpath_flow_key &as_c_key(const flow_key &k)
{
	return *reinterpret_cast<const pktpath_flow_key *>(&k);
}

} // namespace pktpath

#endif // PKTPATH_FLOW_KEY_HPP
