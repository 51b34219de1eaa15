// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Shared helpers of the capture tests and the fuzz seeds: captures built byte
// by byte in either byte order (pcap records, pcapng blocks), deterministic
// payloads, and frame comparison.
#ifndef PKTPATH_TEST_CAPTURE_UTIL_HPP
#define PKTPATH_TEST_CAPTURE_UTIL_HPP

#include <pktpath/capture/frame.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace capture_test {

// Bytes in a chosen byte order.
struct bytes {
	bool big = false;
	std::vector<std::uint8_t> v;

	explicit bytes(bool big_endian = false) : big(big_endian) {}
	bytes &u8(std::uint8_t x)
	{
		v.push_back(x);
		return *this;
	}
	bytes &uint(std::uint64_t x, int n)
	{
		for (int i = 0; i < n; ++i)
			v.push_back(static_cast<std::uint8_t>(x >> 8 * (big ? n - 1 - i : i)));
		return *this;
	}
	bytes &u16(std::uint16_t x) { return uint(x, 2); }
	bytes &u32(std::uint32_t x) { return uint(x, 4); }
	bytes &u64(std::uint64_t x) { return uint(x, 8); }
	bytes &raw(const std::vector<std::uint8_t> &x)
	{
		v.insert(v.end(), x.begin(), x.end());
		return *this;
	}
	bytes &pad4()
	{
		while (v.size() % 4)
			v.push_back(0);
		return *this;
	}
	std::size_t size() const { return v.size(); }
};

// Deterministic bytes: payload(n, seed) differs for every seed.
inline std::vector<std::uint8_t> payload(std::size_t n, unsigned seed)
{
	std::vector<std::uint8_t> p(n);
	for (std::size_t i = 0; i < n; ++i)
		p[i] = static_cast<std::uint8_t>(seed * 131 + i * 7);
	return p;
}

inline std::vector<std::uint8_t> pcap_header(bool big, bool nsec, std::uint32_t linktype_field = 1,
					     std::uint16_t major = 2, std::uint16_t minor = 4,
					     std::uint32_t snaplen = 65535)
{
	bytes b(big);
	b.u32(nsec ? 0xa1b23c4du : 0xa1b2c3d4u).u16(major).u16(minor).u32(0).u32(0).u32(snaplen).u32(linktype_field);
	return b.v;
}

inline std::vector<std::uint8_t> pcap_record(bool big, std::uint32_t sec, std::uint32_t frac,
					     const std::vector<std::uint8_t> &data, std::uint32_t origlen)
{
	bytes b(big);
	b.u32(sec).u32(frac).u32(static_cast<std::uint32_t>(data.size())).u32(origlen).raw(data);
	return b.v;
}

// pcapng blocks (draft-ietf-opsawg-pcapng): a block is type, total length,
// body padded to 4, total length again.
inline std::vector<std::uint8_t> block(bool big, std::uint32_t type, const std::vector<std::uint8_t> &body)
{
	bytes b(big);
	const auto len = static_cast<std::uint32_t>(12 + (body.size() + 3) / 4 * 4);
	b.u32(type).u32(len).raw(body).pad4().u32(len);
	return b.v;
}

inline std::vector<std::uint8_t> option(bool big, std::uint16_t code, const std::vector<std::uint8_t> &value)
{
	bytes b(big);
	b.u16(code).u16(static_cast<std::uint16_t>(value.size())).raw(value).pad4();
	return b.v;
}

inline std::vector<std::uint8_t> end_of_options(bool big)
{
	return bytes(big).u32(0).v;
}

inline std::vector<std::uint8_t> shb(bool big, std::uint16_t major = 1, std::uint16_t minor = 0,
				     const std::vector<std::uint8_t> &opts = {})
{
	bytes b(big);
	b.u32(0x1a2b3c4d).u16(major).u16(minor).u64(~0ull).raw(opts);
	return block(big, 0x0a0d0d0a, b.v);
}

inline std::vector<std::uint8_t> idb(bool big, std::uint16_t linktype, std::uint32_t snaplen,
				     const std::vector<std::uint8_t> &opts = {})
{
	bytes b(big);
	b.u16(linktype).u16(0).u32(snaplen).raw(opts);
	return block(big, 1, b.v);
}

inline std::vector<std::uint8_t> epb(bool big, std::uint32_t iface, std::uint64_t ticks,
				     const std::vector<std::uint8_t> &data, std::uint32_t origlen,
				     const std::vector<std::uint8_t> &opts = {})
{
	bytes b(big);
	b.u32(iface).u32(static_cast<std::uint32_t>(ticks >> 32)).u32(static_cast<std::uint32_t>(ticks));
	b.u32(static_cast<std::uint32_t>(data.size())).u32(origlen).raw(data).pad4().raw(opts);
	return block(big, 6, b.v);
}

inline std::vector<std::uint8_t> legacy_pb(bool big, std::uint16_t iface, std::uint64_t ticks,
					   const std::vector<std::uint8_t> &data, std::uint32_t origlen)
{
	bytes b(big);
	b.u16(iface).u16(0).u32(static_cast<std::uint32_t>(ticks >> 32)).u32(static_cast<std::uint32_t>(ticks));
	b.u32(static_cast<std::uint32_t>(data.size())).u32(origlen).raw(data);
	return block(big, 2, b.v);
}

inline std::vector<std::uint8_t> spb(bool big, const std::vector<std::uint8_t> &data, std::uint32_t origlen)
{
	bytes b(big);
	b.u32(origlen).raw(data);
	return block(big, 3, b.v);
}

inline bool same_bytes(const pktpath::capture::frame &f, const std::vector<std::uint8_t> &p)
{
	return f.caplen == p.size() && std::memcmp(f.data, p.data(), p.size()) == 0;
}

} // namespace capture_test

#endif // PKTPATH_TEST_CAPTURE_UTIL_HPP
