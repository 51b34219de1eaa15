// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// ring_view::attach on any bytes, as memory another process shares: it
// refuses with a named error or gives a view whose every operation stays in
// the slots.  What attach checks is the header a creator writes once (magic,
// version, capacity, element size and alignment, each side's sync); the
// indices are the peer's to keep, a peer can corrupt them at any time, so
// the single-producer and single-consumer operations (which never wait on
// the other side) run on them as they are.
#include <pktpath/ring/view.hpp>

#include "fuzz.hpp"

namespace {

template <class T, pktpath::sync P, pktpath::sync C>
void try_attach(std::uint8_t *mem, std::size_t n)
{
	pktpath::ring_error why = pktpath::ring_error::none;
	auto r = pktpath::ring_view<T, P, C>::attach(mem, n, &why);
	PKTPATH_FUZZ_CHECK(r.valid() == (why == pktpath::ring_error::none));
	if (!r.valid())
		return;
	PKTPATH_FUZZ_CHECK(r.size() <= r.capacity() && r.free_space() <= r.capacity());
	using view = pktpath::ring_view<T, P, C>;
	PKTPATH_FUZZ_CHECK(view::required_bytes(r.capacity()) <= n);
	if constexpr (P == pktpath::sync::single && C == pktpath::sync::single) {
		T buf[64] = {};
		PKTPATH_FUZZ_CHECK(r.dequeue_burst(buf, 64) <= 64);
		PKTPATH_FUZZ_CHECK(r.enqueue_burst(buf, 64) <= 64);
		T one{};
		(void)r.enqueue(one);
		(void)r.dequeue(one);
		auto p = r.peek(16);
		PKTPATH_FUZZ_CHECK(p.size() <= 16);
		r.release(p.size());
		auto s = r.reserve(16);
		PKTPATH_FUZZ_CHECK(s.size() <= 16);
		r.commit(s.size());
	}
	(void)r.drops();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	using pktpath::sync;
	const pktpath_fuzz::exact_copy mem(data, size, pktpath::ring_header::line_pair);
	try_attach<std::uint64_t, sync::single, sync::single>(mem.data(), size);
	try_attach<std::uint32_t, sync::single, sync::single>(mem.data(), size);
	try_attach<std::uint64_t, sync::multi, sync::multi>(mem.data(), size);
	try_attach<std::uint64_t, sync::single, sync::multi>(mem.data(), size);
	return 0;
}
