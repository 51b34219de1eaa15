// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Flow hash policies, interchangeable as template parameters:
//   fast_hash     - the default (fast.h), same value in the kernel and userspace
//   crc32c_hash   - CRC32C, one instruction per 8 bytes on x86-64
//   toeplitz_hash - the NIC's RSS hash, to predict the RX queue of a flow
// Each is `std::uint32_t operator()(const Key &) const` plus `bytes(p, len)`.
// std::hash<five_tuple<F>> uses fast_hash, so keys work in std containers.
#ifndef PKTPATH_HASH_HASH_HPP
#define PKTPATH_HASH_HASH_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "../flow/key.hpp"
#include "crc32c.hpp"
#include "fast.h"
#include "toeplitz.hpp"

namespace pktpath {

// Hash policy over the key's bytes (keys are padding-free, so equal keys have
// equal bytes).  Not keyed against adversaries; `seed` varies placement.
class fast_hash {
public:
	constexpr explicit fast_hash(std::uint64_t seed = 0) noexcept : seed_(seed) {}

	std::uint32_t bytes(const void *data, std::size_t len) const noexcept
	{
		return pktpath_hash_fast32(data, len, seed_);
	}

	template <class Key, class = std::enable_if_t<std::has_unique_object_representations<Key>::value>>
	std::uint32_t operator()(const Key &k) const noexcept
	{
		return bytes(&k, sizeof(k));
	}

private:
	std::uint64_t seed_;
};

} // namespace pktpath

namespace std {
template <class Family>
struct hash<pktpath::five_tuple<Family>> {
	size_t operator()(const pktpath::five_tuple<Family> &k) const noexcept { return pktpath::fast_hash()(k); }
};
} // namespace std

#endif // PKTPATH_HASH_HASH_HPP
