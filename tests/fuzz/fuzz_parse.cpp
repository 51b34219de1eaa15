// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The frame parser on any bytes, under every link type it knows (and one it
// does not) and every combination of the caller's flags.  Input: a byte
// choosing the link type, a byte of flags, then the frame, copied to a
// buffer of exactly its size.  Checks, besides no crash and no read past the
// frame: parse_invariants.hpp; the C and C++ entry points agree; the C++
// narrowing to each key family agrees with the C key; a symmetric parse is
// the symmetric form of the plain one.
#include <pktpath/flow/key.hpp>
#include <pktpath/flow/parse.hpp>

#include <cstring>

#include "fuzz.hpp"
#include "parse_invariants.hpp"

namespace {

template <class Key>
void check_narrowing(const std::uint8_t *p, std::size_t n, std::uint32_t lt, unsigned flags,
		     const pktpath_parse_result &r)
{
	const pktpath::parsed<Key> k = pktpath::parse_as<Key>(p, n, lt, flags);
	PKTPATH_FUZZ_CHECK(k.l2_off == r.l2_off && k.l3_off == r.l3_off && k.l4_off == r.l4_off);
	if (!pktpath_status_has_key(r.status)) {
		PKTPATH_FUZZ_CHECK(k.st == r.status);
		return;
	}
	Key want{};
	if (want.assign(r.key)) {
		PKTPATH_FUZZ_CHECK(k.st == r.status && k.key == want);
		const pktpath_flow_key c = k.key.c_key();
		PKTPATH_FUZZ_CHECK(pktpath_key_equal(&c, &r.key));
	} else {
		PKTPATH_FUZZ_CHECK(k.st == PKTPATH_UNSUPPORTED_L3);
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	if (size < 2)
		return 0;
	const std::uint32_t lt = pktpath_fuzz::parse_linktypes[data[0] % pktpath_fuzz::parse_linktype_count];
	const unsigned flags = data[1] & (PKTPATH_PARSE_VLAN | PKTPATH_PARSE_INNER | PKTPATH_PARSE_SYMMETRIC);
	const pktpath_fuzz::exact_copy frame(data + 2, size - 2);
	const std::uint8_t *p = frame.data();
	const std::size_t n = frame.size();

	pktpath_parse_result r;
	const enum pktpath_status st = pktpath_parse(p, n, lt, flags, &r);
	PKTPATH_FUZZ_CHECK(st == r.status);
	if (const char *why = pktpath_fuzz::parse_violation(n, flags, r)) {
		std::fprintf(stderr, "link type %u, flags %u: %s\n", lt, flags, why);
		PKTPATH_FUZZ_CHECK(why == nullptr);
	}

	const pktpath::parse_result cxx = pktpath::parse(p, n, lt, flags);
	PKTPATH_FUZZ_CHECK(std::memcmp(&cxx, &r, sizeof r) == 0);
	check_narrowing<pktpath::ipv4_5tuple>(p, n, lt, flags, r);
	check_narrowing<pktpath::ipv6_5tuple>(p, n, lt, flags, r);
	check_narrowing<pktpath::flow_key>(p, n, lt, flags, r);

	if (!(flags & PKTPATH_PARSE_SYMMETRIC)) {
		pktpath_parse_result s;
		pktpath_parse(p, n, lt, flags | PKTPATH_PARSE_SYMMETRIC, &s);
		PKTPATH_FUZZ_CHECK(s.status == r.status && s.l3_off == r.l3_off && s.l4_off == r.l4_off);
		if (pktpath_status_has_key(r.status)) {
			pktpath_flow_key want = r.key;
			pktpath_key_make_symmetric(&want);
			PKTPATH_FUZZ_CHECK(pktpath_key_equal(&want, &s.key));
		}
	}
	return 0;
}
