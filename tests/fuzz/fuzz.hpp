// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// What every fuzz target shares: an invariant check that aborts (so
// libFuzzer, and the regression runner, report the input), and exact-size
// copies of the input, so a sanitizer sees a read one byte past it.
#ifndef PKTPATH_TESTS_FUZZ_FUZZ_HPP
#define PKTPATH_TESTS_FUZZ_FUZZ_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <pktpath/flow/parse.h>

#define PKTPATH_FUZZ_CHECK(cond)                                                                          \
	do {                                                                                              \
		if (!(cond)) {                                                                            \
			std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			std::abort();                                                                     \
		}                                                                                         \
	} while (0)

namespace pktpath_fuzz {

// fuzz_parse's input is [link type index][flags][frame]: the link types it
// parses under (the last one a user DLT the parser does not know).
inline constexpr std::uint32_t parse_linktypes[] = {PKTPATH_LINKTYPE_ETHERNET,
						    PKTPATH_LINKTYPE_NULL,
						    PKTPATH_LINKTYPE_LOOP,
						    PKTPATH_LINKTYPE_RAW,
						    PKTPATH_LINKTYPE_RAW_DLT12,
						    PKTPATH_LINKTYPE_RAW_DLT14,
						    PKTPATH_LINKTYPE_LINUX_SLL,
						    PKTPATH_LINKTYPE_LINUX_SLL2,
						    PKTPATH_LINKTYPE_IPV4,
						    PKTPATH_LINKTYPE_IPV6,
						    147};
inline constexpr std::size_t parse_linktype_count = sizeof(parse_linktypes) / sizeof(parse_linktypes[0]);

// n bytes of data at an address aligned to `align`, with nothing readable
// after them: the allocation is exactly n bytes (posix_memalign, unlike
// aligned_alloc, takes any size; ASan poisons from the n-th byte on, even
// inside its 8-byte granule).
class exact_copy {
public:
	exact_copy(const std::uint8_t *data, std::size_t n, std::size_t align = alignof(std::max_align_t)) : n_(n)
	{
		void *p = nullptr;
		if (posix_memalign(&p, align, n ? n : 1) != 0)
			std::abort();
		buf_.reset(static_cast<std::uint8_t *>(p));
		if (n)
			std::memcpy(buf_.get(), data, n);
	}
	std::uint8_t *data() const { return buf_.get(); }
	std::size_t size() const { return n_; }

private:
	struct free_fn {
		void operator()(std::uint8_t *p) const { std::free(p); }
	};
	std::size_t n_;
	std::unique_ptr<std::uint8_t, free_fn> buf_;
};

} // namespace pktpath_fuzz

#endif // PKTPATH_TESTS_FUZZ_FUZZ_HPP
