// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A flow filter on parsed frames: protocol, address or prefix (IPv4 or IPv6;
// either side, source or destination), port (either side, source or
// destination) and outer VLAN id.  Every criterion set must hold; a frame
// without a flow key never matches a non-empty filter.  Matching reads only
// the parse result: no allocation, a few compares per frame.
//
//   pktpath::replay::flow_filter f;
//   char why[96];
//   if (!f.set("proto", "udp", why, sizeof why) || !f.set("dst", "2001:db8::/32", why, sizeof why)) ...
//   if (f.match(parse_result)) ...
#ifndef PKTPATH_REPLAY_FILTER_HPP
#define PKTPATH_REPLAY_FILTER_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <arpa/inet.h>

#include "../flow/format.hpp"
#include "../flow/filter.h"
#include "../flow/proto.h"

namespace pktpath::replay {

// A prefix's text, "10.0.0.0/8"; "192.0.2.1" is /32. False (p unchanged) unless ADDR or ADDR/LEN.
inline bool parse_prefix(const char *text, pktpath_prefix &p)
{
	char buf[64];
	const char *slash = std::strchr(text, '/');
	const std::size_t n = slash ? static_cast<std::size_t>(slash - text) : std::strlen(text);
	if (n == 0 || n >= sizeof buf)
		return false;
	std::memcpy(buf, text, n);
	buf[n] = '\0';
	pktpath_prefix q{};
	if (inet_pton(AF_INET, buf, q.addr) == 1)
		q.ipver = 4;
	else if (inet_pton(AF_INET6, buf, q.addr) == 1)
		q.ipver = 6;
	else
		return false;
	const unsigned max = q.ipver == 4 ? 32 : 128;
	q.len = static_cast<std::uint8_t>(max);
	if (slash) {
		char *end = nullptr;
		const unsigned long l = std::strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || l > max)
			return false;
		q.len = static_cast<std::uint8_t>(l);
	}
	p = q;
	return true;
}

inline std::string prefix_text(const pktpath_prefix &p)
{
	char a[addr_text_max];
	format_addr(p.addr, p.ipver, a);
	return std::string(a) + "/" + std::to_string(p.len);
}

// flow/filter.h's filter, set from text.
class flow_filter {
public:
	// Criteria: "proto" (a name of flow/proto.h such as tcp, udp, icmp6, or a number),
	// "host", "src", "dst" (prefixes), "port", "sport", "dport", "vlan".
	// False with a message in why[why_len] for an unknown criterion or value.
	bool set(const char *what, const char *value, char *why, std::size_t why_len)
	{
		const int c = pktpath_filter_criterion_from_name(what);
		if (c < 0) {
			std::snprintf(why, why_len, "unknown filter criterion '%s'", what);
			return false;
		}
		const unsigned crit = static_cast<unsigned>(c);
		bool ok;
		if (pktpath_filter_criterion_is_prefix(crit)) {
			pktpath_prefix p;
			ok = parse_prefix(value, p) &&
			     pktpath_flow_filter_set_prefix(&f_, crit, p.addr, p.ipver, p.len) == 0;
		} else {
			const int proto = crit == PKTPATH_FILTER_PROTO ? pktpath_proto_from_name(value) : -1;
			std::uint32_t v = 0;
			ok = (proto >= 0 ? (v = static_cast<std::uint32_t>(proto), true) : parse_num(value, v)) &&
			     pktpath_flow_filter_set_number(&f_, crit, v) == 0;
		}
		if (!ok)
			std::snprintf(why, why_len, "bad %s '%s'", what, value);
		return ok;
	}

	bool empty() const { return f_.set == 0; }

	bool match(const pktpath_parse_result &r) const { return pktpath_flow_filter_match(&f_, &r) != 0; }

	const pktpath_flow_filter &c_filter() const { return f_; }

	// "proto 17 and dst 10.0.0.0/8 and port 53", or "" when empty.
	std::string text() const
	{
		std::string t;
		for (unsigned c = 0; c < PKTPATH_FILTER_CRITERIA; c++) {
			if (!pktpath_filter_has(&f_, c))
				continue;
			t += t.empty() ? "" : " and ";
			t += pktpath_filter_criterion_name(c);
			t += ' ';
			t += pktpath_filter_criterion_is_prefix(c) ? prefix_text(prefix_of(c))
								   : std::to_string(number_of(c));
		}
		return t;
	}

private:
	static bool parse_num(const char *s, std::uint32_t &out)
	{
		char *end = nullptr;
		const long v = std::strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || v < 0 || v > 65535)
			return false;
		out = static_cast<std::uint32_t>(v);
		return true;
	}

	const pktpath_prefix &prefix_of(unsigned c) const
	{
		return c == PKTPATH_FILTER_HOST ? f_.host : c == PKTPATH_FILTER_SRC ? f_.src : f_.dst;
	}

	unsigned number_of(unsigned c) const
	{
		switch (c) {
		case PKTPATH_FILTER_PROTO:
			return f_.proto;
		case PKTPATH_FILTER_PORT:
			return f_.port;
		case PKTPATH_FILTER_SPORT:
			return f_.sport;
		case PKTPATH_FILTER_DPORT:
			return f_.dport;
		default:
			return f_.vlan;
		}
	}

	pktpath_flow_filter f_{};
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_FILTER_HPP
