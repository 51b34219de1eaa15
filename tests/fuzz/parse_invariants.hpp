// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// What must hold of any parse, whatever the bytes: the fuzz target and the
// parser's unit tests check the same invariants.
#ifndef PKTPATH_TESTS_FUZZ_PARSE_INVARIANTS_HPP
#define PKTPATH_TESTS_FUZZ_PARSE_INVARIANTS_HPP

#include <pktpath/flow/parse.h>

#include <cstddef>
#include <cstring>

namespace pktpath_fuzz {

// nullptr when r is a possible result of parsing n bytes with these flags,
// else the invariant r breaks.
inline const char *parse_violation(std::size_t n, unsigned flags, const pktpath_parse_result &r)
{
	static const pktpath_flow_key none{};
	const pktpath_flow_key &k = r.key;
	if (r.status >= PKTPATH_STATUS_COUNT)
		return "status outside the vocabulary";
	if (r.l2_off > n)
		return "l2_off past the frame";
	if (r.l3_off != PKTPATH_NO_OFFSET && r.l3_off > n)
		return "l3_off past the frame";
	if (r.l4_off != PKTPATH_NO_OFFSET && (r.l4_off > n || r.l4_end > n || r.l4_off > r.l4_end))
		return "l4_off or l4_end past the frame";
	if (r.l4_off != PKTPATH_NO_OFFSET && (r.l3_off == PKTPATH_NO_OFFSET || r.l4_off < r.l3_off))
		return "a transport header without its IP header before it";
	if (r.headers > PKTPATH_MAX_HEADERS + 1)
		return "more stacked headers than the bound";
	if (r.tunnel != PKTPATH_TUNNEL_NONE && !(flags & PKTPATH_PARSE_INNER))
		return "a tunnel removed without PKTPATH_PARSE_INNER";
	if (pktpath_status_has_key(r.status)) {
		const unsigned v = pktpath_key_ipver(&k);
		if (v != 4 && v != 6)
			return "a keyed status without an address family";
		if ((k.flags & PKTPATH_KEY_IPV4) && (k.flags & PKTPATH_KEY_IPV6))
			return "both address families";
		if (r.l3_off == PKTPATH_NO_OFFSET)
			return "a key without an IP header";
		if (v == 4 && (std::memcmp(k.src + 4, none.src, 12) != 0 || std::memcmp(k.dst + 4, none.dst, 12) != 0))
			return "IPv4 key with bytes beyond its 4-byte addresses";
		if (k.flags & PKTPATH_KEY_PORTS) {
			if (r.status != PKTPATH_OK)
				return "ports on a status without them";
			if (r.l4_off == PKTPATH_NO_OFFSET || r.l4_off + 4 > n)
				return "ports read from outside the frame";
		} else if (k.sport || k.dport) {
			return "port values without PKTPATH_KEY_PORTS";
		}
		if (r.status == PKTPATH_NONFIRST_FRAGMENT && !(r.info & PKTPATH_INFO_FRAG_LATER))
			return "a later fragment without its info bit";
		if (!(flags & PKTPATH_PARSE_VLAN) && k.vlan)
			return "a VLAN id not asked for";
		if (flags & PKTPATH_PARSE_SYMMETRIC) {
			pktpath_flow_key s = k;
			pktpath_key_make_symmetric(&s);
			if (!pktpath_key_equal(&s, &k))
				return "a symmetric key that is not in symmetric form";
		}
	} else if (r.l3_off == PKTPATH_NO_OFFSET && !pktpath_key_equal(&k, &none)) {
		return "a partial key without an IP header";
	}
	return nullptr;
}

} // namespace pktpath_fuzz

#endif // PKTPATH_TESTS_FUZZ_PARSE_INVARIANTS_HPP
