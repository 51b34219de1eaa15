// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Text forms of key fields, written into caller buffers (no allocation):
// IPv4 dotted quad, IPv6 in RFC 5952 canonical form (what tshark and
// inet_ntop print), so reports and oracles compare as plain strings.
#ifndef PKTPATH_FLOW_FORMAT_HPP
#define PKTPATH_FLOW_FORMAT_HPP

#include <cstddef>
#include <cstdint>

#include "key.hpp"

namespace pktpath {

// Longest textual address ("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") plus NUL.
inline constexpr std::size_t addr_text_max = 46;

namespace detail {
inline char *put_dec(char *o, unsigned v)
{
	char tmp[10];
	int n = 0;
	do {
		tmp[n++] = static_cast<char>('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*o++ = tmp[--n];
	return o;
}

inline char *put_ipv4(char *o, const std::uint8_t *a)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*o++ = '.';
		o = put_dec(o, a[i]);
	}
	return o;
}

inline char *put_hex16(char *o, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	bool started = false;
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xf;
		if (d || started || shift == 0) {
			*o++ = digits[d];
			started = true;
		}
	}
	return o;
}
} // namespace detail

// Writes the address (4 or 16 bytes by ipver) and a NUL into out[addr_text_max];
// returns the length.
inline std::size_t format_addr(const std::uint8_t *addr, unsigned ipver, char *out)
{
	char *o = out;
	if (ipver == 4) {
		o = detail::put_ipv4(o, addr);
	} else {
		unsigned w[8];
		for (int i = 0; i < 8; i++)
			w[i] = static_cast<unsigned>(addr[2 * i]) << 8 | addr[2 * i + 1];
		// The longest run of two or more zero groups becomes "::" (the first on a tie).
		int best = -1, best_len = 0;
		for (int i = 0; i < 8;) {
			int j = i;
			while (j < 8 && w[j] == 0)
				j++;
			if (j - i > best_len && j - i >= 2) {
				best = i;
				best_len = j - i;
			}
			i = (j == i) ? i + 1 : j;
		}
		// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) keep the dotted tail.
		bool v4_tail = best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff));
		int groups = v4_tail ? 6 : 8;
		for (int i = 0; i < groups; i++) {
			if (i == best) {
				*o++ = ':';
				if (i == 0)
					*o++ = ':';
				i += best_len - 1;
				continue;
			}
			o = detail::put_hex16(o, w[i]);
			if (i + 1 < groups)
				*o++ = ':';
		}
		if (v4_tail) {
			if (o[-1] != ':')
				*o++ = ':';
			o = detail::put_ipv4(o, addr + 12);
		}
	}
	*o = '\0';
	return static_cast<std::size_t>(o - out);
}

template <class Key>
std::size_t format_src(const Key &k, char *out)
{
	return format_addr(k.src, k.ipver(), out);
}
template <class Key>
std::size_t format_dst(const Key &k, char *out)
{
	return format_addr(k.dst, k.ipver(), out);
}

} // namespace pktpath

#endif // PKTPATH_FLOW_FORMAT_HPP
