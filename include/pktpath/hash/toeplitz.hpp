// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Toeplitz RSS hash, bit-exact with the value a NIC writes into the RX
// descriptor: input is source address, destination address, then source and
// destination port (only when the key has ports), all in network byte order.
// Lets software predict which RX queue (and so which CPU) a flow lands on.
#ifndef PKTPATH_HASH_TOEPLITZ_HPP
#define PKTPATH_HASH_TOEPLITZ_HPP

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "../flow/key.hpp"

namespace pktpath {

// Microsoft's published RSS key (its verification suite uses it).  Linux
// drivers mostly program a random key instead: `ethtool -x DEV` shows it,
// and a toeplitz_key built from those bytes predicts that NIC.
inline constexpr std::uint8_t microsoft_rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

// An RSS key plus its lookup tables: the hash is linear over GF(2), so the
// contribution of every possible byte value at every input position is
// precomputed and hashing costs one load and one xor per input byte.
// 48 KiB: build it once (constexpr, static or long-lived), never per packet.
// Key bytes past size() count as zero.
class toeplitz_key {
public:
	static constexpr std::size_t max_size = 52;            // enough for a 48-byte input
	static constexpr std::size_t max_input = max_size - 4; // a 32-bit window per input bit

	// `len` must be <= max_size (asserted; longer keys are truncated).
	constexpr toeplitz_key(const std::uint8_t *key, std::size_t len) noexcept
	    : len_(len <= max_size ? len : max_size)
	{
		assert(len <= max_size);
		for (std::size_t i = 0; i < len_; ++i)
			key_[i] = key[i];
		for (std::size_t pos = 0; pos < max_input; ++pos) {
			std::uint32_t *t = table_[pos];
			// Doubling: once entries [0, bit) exist, [bit, 2*bit) are them
			// xor the window of that one bit (MSB of the byte is bit 0).
			for (unsigned s = 0; s < 8; ++s) {
				const unsigned bit = 1u << s;
				const std::uint32_t w = window(pos * 8 + 7 - s);
				for (unsigned b = 0; b < bit; ++b)
					t[b | bit] = t[b] ^ w;
			}
		}
	}
	template <std::size_t N>
	constexpr explicit toeplitz_key(const std::uint8_t (&key)[N]) noexcept : toeplitz_key(key, N)
	{
		static_assert(N <= max_size, "RSS key longer than toeplitz_key::max_size");
	}

	constexpr const std::uint8_t *data() const noexcept { return key_; }
	constexpr std::size_t size() const noexcept { return len_; }

	// Hash contribution of byte value `b` at input offset `pos` (< max_input).
	constexpr std::uint32_t lookup(std::size_t pos, std::uint8_t b) const noexcept { return table_[pos][b]; }

private:
	// The 32 key bits starting at bit `i` (MSB first).  i / 8 + 4 < max_size.
	constexpr std::uint32_t window(std::size_t i) const noexcept
	{
		const std::size_t at = i / 8;
		std::uint64_t w = 0;
		for (std::size_t j = 0; j < 5; ++j)
			w = (w << 8) | key_[at + j];
		return static_cast<std::uint32_t>(w >> (8 - i % 8));
	}

	std::uint8_t key_[max_size]{};
	std::size_t len_;
	std::uint32_t table_[max_input][256]{};
};

// Built at compile time: a default toeplitz_hash costs nothing to create.
inline constexpr toeplitz_key microsoft_toeplitz_key{microsoft_rss_key};

// The definition, one input bit at a time (for tests and for checking other
// implementations; far too slow for packets).  Key bits past key_len are zero.
inline std::uint32_t toeplitz_reference(const std::uint8_t *key, std::size_t key_len, const void *data,
					std::size_t len) noexcept
{
	const auto *in = static_cast<const std::uint8_t *>(data);
	auto key_bit = [&](std::size_t i) -> std::uint32_t {
		return i / 8 < key_len ? (key[i / 8] >> (7 - i % 8)) & 1u : 0u;
	};
	std::uint32_t h = 0;
	for (std::size_t i = 0; i < len * 8; ++i) {
		if (!((in[i / 8] >> (7 - i % 8)) & 1u))
			continue;
		std::uint32_t w = 0;
		for (std::size_t j = 0; j < 32; ++j)
			w = (w << 1) | key_bit(i + j);
		h ^= w;
	}
	return h;
}

// Hash policy: a pointer to a toeplitz_key (default: the Microsoft key), so
// it is cheap to copy into containers.  The key must outlive the functor.
class toeplitz_hash {
public:
	constexpr toeplitz_hash() noexcept : key_(&microsoft_toeplitz_key) {}
	constexpr explicit toeplitz_hash(const toeplitz_key &key) noexcept : key_(&key) {}

	const toeplitz_key &key() const noexcept { return *key_; }

	// Raw input (already in network byte order); len <= toeplitz_key::max_input.
	std::uint32_t bytes(const void *data, std::size_t len) const noexcept
	{
		assert(len <= toeplitz_key::max_input);
		const auto *p = static_cast<const std::uint8_t *>(data);
		std::uint32_t h = 0;
		for (std::size_t i = 0; i < len; ++i)
			h ^= key_->lookup(i, p[i]);
		return h;
	}

	template <class Family>
	std::uint32_t operator()(const five_tuple<Family> &k) const noexcept
	{
		if constexpr (std::is_same<Family, family::any>::value)
			return by_flags(k);
		else
			return tuple<Family::addr_len>(k);
	}
	std::uint32_t operator()(const pktpath_flow_key &k) const noexcept { return by_flags(k); }

private:
	// A family-agnostic key holding IPv4 hashes 4 address bytes, as a NIC does.
	template <class Key>
	std::uint32_t by_flags(const Key &k) const noexcept
	{
		return (k.flags & PKTPATH_KEY_IPV4) ? tuple<4>(k) : tuple<16>(k);
	}

	// Ports are stored in host order; their network-order bytes are hi, lo.
	template <std::size_t AddrLen, class Key>
	std::uint32_t tuple(const Key &k) const noexcept
	{
		const toeplitz_key &t = *key_;
		std::uint32_t h = addresses(t, k.src, k.dst, std::make_index_sequence<AddrLen>());
		if (k.flags & PKTPATH_KEY_PORTS) {
			constexpr std::size_t at = 2 * AddrLen;
			h ^= t.lookup(at, static_cast<std::uint8_t>(k.sport >> 8)) ^
			     t.lookup(at + 1, static_cast<std::uint8_t>(k.sport)) ^
			     t.lookup(at + 2, static_cast<std::uint8_t>(k.dport >> 8)) ^
			     t.lookup(at + 3, static_cast<std::uint8_t>(k.dport));
		}
		return h;
	}

	// Unrolled by the fold: every table offset is a constant, so each byte
	// costs a load and an xor (as a loop it measured ~1.8x slower).
	template <std::size_t... I>
	static std::uint32_t addresses(const toeplitz_key &t, const std::uint8_t *src, const std::uint8_t *dst,
				       std::index_sequence<I...>) noexcept
	{
		return (... ^ (t.lookup(I, src[I]) ^ t.lookup(sizeof...(I) + I, dst[I])));
	}

	const toeplitz_key *key_;
};

} // namespace pktpath

#endif // PKTPATH_HASH_TOEPLITZ_HPP
