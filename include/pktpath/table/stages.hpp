// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Stage sets: the named points of a packet path a table counts at, known at
// compile time.  Each stage names its predecessor, which makes the path a
// tree: stages with the same predecessor are alternatives (a packet reaches
// tcp_v4_rcv or udp_rcv, never both), and the drop between a stage and its
// successors is measured against their sum (see funnel.hpp).
//
// A stage set is a type with `static constexpr stage_def stages[]`, each
// predecessor an earlier index (or no_pred), names printable ASCII without
// spaces, shorter than PKTPATH_TABLE_NAME_LEN.  An enum of the indices is
// customary:
//
//   struct my_path {
//           enum : unsigned { rx, classify, tx };
//           static constexpr pktpath::stage_def stages[] = {
//                   {"rx", pktpath::no_pred}, {"classify", rx}, {"tx", classify}};
//   };
#ifndef PKTPATH_TABLE_STAGES_HPP
#define PKTPATH_TABLE_STAGES_HPP

#include <cstddef>
#include <type_traits>

#include "image.h"
#include "stages.h"

namespace pktpath {

inline constexpr int no_pred = -1;

struct stage_def {
	const char *name;
	int pred; // index of the stage before this one, or no_pred
};

// The stage sets of stages.h, where C and C++ read the same lists.
#define PKTPATH_STAGE_CXX_ROOT(p, name, layer, probes) {#name, no_pred},
#define PKTPATH_STAGE_CXX(p, name, pred, layer, probes) {#name, pred},

// The Linux receive path as far as the socket layer (docs/linux-rx-path.md); the
// two L4 handlers are alternatives after ip_rcv.
struct linux_rx {
	enum : unsigned { PKTPATH_STAGES_LINUX_RX(PKTPATH_STAGE_ENUM_ROOT, PKTPATH_STAGE_ENUM, ) };
	static constexpr stage_def stages[] = {PKTPATH_STAGES_LINUX_RX(PKTPATH_STAGE_CXX_ROOT, PKTPATH_STAGE_CXX, )};
};

// What the kernel module counts by default: linux_rx and its IPv6 twin.
struct kernel_rx {
	enum : unsigned { PKTPATH_STAGES_KERNEL_RX(PKTPATH_STAGE_ENUM_ROOT, PKTPATH_STAGE_ENUM, ) };
	static constexpr stage_def stages[] = {PKTPATH_STAGES_KERNEL_RX(PKTPATH_STAGE_CXX_ROOT, PKTPATH_STAGE_CXX, )};
};

// A driver's own receive path (kernel/driver.h): ring, NAPI poll, the stack's L3 entry.
struct driver_rx {
	enum : unsigned { PKTPATH_STAGES_DRIVER_RX(PKTPATH_STAGE_ENUM_ROOT, PKTPATH_STAGE_ENUM, ) };
	static constexpr stage_def stages[] = {PKTPATH_STAGES_DRIVER_RX(PKTPATH_STAGE_CXX_ROOT, PKTPATH_STAGE_CXX, )};
};

template <class Stages>
inline constexpr unsigned stage_count_v = static_cast<unsigned>(std::extent<decltype(Stages::stages)>::value);

namespace detail {
constexpr bool stage_name_ok(const char *s)
{
	std::size_t n = 0;
	for (; s[n]; n++)
		if (s[n] <= ' ' || s[n] > '~')
			return false;
	return n > 0 && n < PKTPATH_TABLE_NAME_LEN;
}

constexpr bool same_name(const char *a, const char *b)
{
	std::size_t i = 0;
	for (; a[i] && a[i] == b[i]; i++)
		;
	return a[i] == b[i];
}
} // namespace detail

// What the image format accepts, checked at compile time by stage_table.
template <class Stages>
constexpr bool valid_stage_set()
{
	constexpr unsigned n = stage_count_v<Stages>;
	if (n == 0 || n > PKTPATH_TABLE_MAX_STAGES)
		return false;
	for (unsigned i = 0; i < n; i++) {
		const stage_def &s = Stages::stages[i];
		if (!s.name || !detail::stage_name_ok(s.name))
			return false;
		if (s.pred != no_pred && (s.pred < 0 || static_cast<unsigned>(s.pred) >= i))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (detail::same_name(s.name, Stages::stages[j].name))
				return false;
	}
	return true;
}

} // namespace pktpath

#endif // PKTPATH_TABLE_STAGES_HPP
