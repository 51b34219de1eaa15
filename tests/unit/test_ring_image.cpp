// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// One ring for C and C++: the same scripted operations go through ring.h's C
// API in a C translation unit (ring_image.c, GNU C11, freestanding) and
// through ring_view, each on its own image.  After every operation the two
// images are byte for byte the same, and both sides agree with a model (a
// deque of the elements and a drop counter) on what moved and what was refused.
#include <catch2/catch.hpp>

#include <pktpath/ring/view.hpp>

#include "unit/ring_image.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <new>
#include <sstream>
#include <string>
#include <vector>

using pktpath::sync;

namespace {

using elem = ring_image_elem;
constexpr std::uint32_t capacity = 8;
constexpr std::uint32_t max_n = 12; // above the capacity: refused bulks and short bursts

bool same(const elem &a, const elem &b)
{
	return std::memcmp(&a, &b, sizeof a) == 0;
}

// An image's memory, its slots filled with a pattern init does not touch, so
// slots neither side wrote compare equal only if neither side wrote them.
struct image {
	static constexpr std::size_t bytes = sizeof(pktpath_ring_header) + capacity * sizeof(elem);
	image() : mem(::operator new (bytes, std::align_val_t{PKTPATH_RING_LINE_PAIR}))
	{
		std::memset(mem, 0xa5, bytes);
	}
	~image() { ::operator delete (mem, std::align_val_t{PKTPATH_RING_LINE_PAIR}); }
	image(const image &) = delete;
	image &operator=(const image &) = delete;
	pktpath_ring_header *header() const { return static_cast<pktpath_ring_header *>(mem); }
	void *mem;
};

// Where two images first differ, for the failure message ("" when equal).
std::string first_difference(const image &a, const image &b)
{
	const auto *x = static_cast<const unsigned char *>(a.mem);
	const auto *y = static_cast<const unsigned char *>(b.mem);
	for (std::size_t i = 0; i < image::bytes; ++i)
		if (x[i] != y[i]) {
			std::ostringstream s;
			s << "byte " << i << (i < sizeof(pktpath_ring_header) ? " (header)" : " (slots)") << ": C "
			  << unsigned{x[i]} << ", C++ " << unsigned{y[i]};
			return s.str();
		}
	return "";
}

// The ring indices can only start at 0 through the API; a 2^32 wrap needs
// them placed near the top by hand, the same way in both images.
void start_indices_at(pktpath_ring_header *h, std::uint32_t at)
{
	for (pktpath_ring_side *s : {&h->prod, &h->cons})
		s->head = s->tail = s->cached_other_tail = at;
}

template <class View>
std::uint32_t apply_cxx(View &v, const ring_image_op &op, elem *buf)
{
	switch (op.code) {
	case RING_IMAGE_ENQUEUE:
		return v.enqueue(buf[0]);
	case RING_IMAGE_DEQUEUE:
		return v.dequeue(buf[0]);
	case RING_IMAGE_ENQUEUE_BULK:
		return v.enqueue_bulk(buf, op.n);
	case RING_IMAGE_ENQUEUE_BURST:
		return v.enqueue_burst(buf, op.n);
	case RING_IMAGE_DEQUEUE_BULK:
		return v.dequeue_bulk(buf, op.n);
	case RING_IMAGE_DEQUEUE_BURST:
		return v.dequeue_burst(buf, op.n);
	case RING_IMAGE_RESERVE_COMMIT:
		if constexpr (View::producer_sync == sync::single) {
			auto s = v.reserve(op.n);
			const std::uint32_t keep = std::min(op.keep, s.size());
			for (std::uint32_t i = 0; i < keep; ++i)
				s[i] = buf[i];
			v.commit(keep);
			return s.size();
		}
		break;
	case RING_IMAGE_PEEK_RELEASE:
		if constexpr (View::consumer_sync == sync::single) {
			auto s = v.peek(op.n);
			for (std::uint32_t i = 0; i < s.size(); ++i)
				buf[i] = s[i];
			v.release(std::min(op.keep, s.size()));
			return s.size();
		}
		break;
	case RING_IMAGE_COUNT_DROPS:
		v.count_drops(op.n);
		return 0;
	case RING_IMAGE_OPCODES:
		break;
	}
	FAIL("operation " << op.code << " is not scripted for this ring");
	return 0;
}

// What a bounded FIFO does, written without the ring's indices.
struct model {
	std::deque<elem> q;
	std::uint64_t drops = 0;
	std::uint32_t refused_bulks = 0, short_bursts = 0;

	std::uint32_t push(const elem *in, std::uint32_t n, bool bulk)
	{
		const std::uint32_t room = capacity - static_cast<std::uint32_t>(q.size());
		const std::uint32_t k = n <= room ? n : (bulk ? 0 : room);
		refused_bulks += bulk && k == 0 && n != 0;
		short_bursts += !bulk && k != n;
		q.insert(q.end(), in, in + k);
		drops += n - k;
		return k;
	}

	// Copies up to n (all n or none when bulk) to out; pops `take` of them.
	std::uint32_t look(elem *out, std::uint32_t n, bool bulk, std::uint32_t take)
	{
		const auto size = static_cast<std::uint32_t>(q.size());
		const std::uint32_t k = n <= size ? n : (bulk ? 0 : size);
		std::copy(q.begin(), q.begin() + k, out);
		q.erase(q.begin(), q.begin() + std::min(take, k));
		return k;
	}

	std::uint32_t apply(const ring_image_op &op, elem *buf)
	{
		switch (op.code) {
		case RING_IMAGE_ENQUEUE:
			return push(buf, 1, true);
		case RING_IMAGE_DEQUEUE:
			return look(buf, 1, true, 1);
		case RING_IMAGE_ENQUEUE_BULK:
			return push(buf, op.n, true);
		case RING_IMAGE_ENQUEUE_BURST:
			return push(buf, op.n, false);
		case RING_IMAGE_DEQUEUE_BULK:
			return look(buf, op.n, true, op.n);
		case RING_IMAGE_DEQUEUE_BURST:
			return look(buf, op.n, false, op.n);
		case RING_IMAGE_RESERVE_COMMIT: {
			// A reservation is not a drop: what is not committed is abandoned.
			const std::uint32_t k = std::min(op.n, capacity - static_cast<std::uint32_t>(q.size()));
			q.insert(q.end(), buf, buf + std::min(op.keep, k));
			return k;
		}
		case RING_IMAGE_PEEK_RELEASE:
			return look(buf, op.n, false, op.keep);
		case RING_IMAGE_COUNT_DROPS:
			drops += op.n;
			return 0;
		case RING_IMAGE_OPCODES:
			break;
		}
		return 0;
	}
};

// A deterministic mix of every operation the ring's two sides allow.
std::vector<ring_image_op> script(bool zero_copy_prod, bool zero_copy_cons, std::size_t count)
{
	std::vector<ring_image_op> ops;
	std::uint64_t state = 0x9e3779b97f4a7c15ull;
	auto next = [&state](std::uint32_t below) {
		state = state * 6364136223846793005ull + 1442695040888963407ull;
		return static_cast<std::uint32_t>((state >> 33) % below);
	};
	while (ops.size() < count) {
		auto code = static_cast<ring_image_opcode>(next(RING_IMAGE_OPCODES));
		if ((code == RING_IMAGE_RESERVE_COMMIT && !zero_copy_prod) ||
		    (code == RING_IMAGE_PEEK_RELEASE && !zero_copy_cons))
			continue;
		ops.push_back({code, next(max_n + 1), next(max_n + 1)});
	}
	return ops;
}

} // namespace

TEMPLATE_TEST_CASE("ring image: C and C++ leave the same bytes after every operation", "[ring][image]",
		   (pktpath::ring_view<elem, sync::single, sync::single>),
		   (pktpath::ring_view<elem, sync::multi, sync::single>),
		   (pktpath::ring_view<elem, sync::single, sync::multi>),
		   (pktpath::ring_view<elem, sync::multi, sync::multi>))
{
	constexpr auto prod = static_cast<std::uint32_t>(TestType::producer_sync);
	constexpr auto cons = static_cast<std::uint32_t>(TestType::consumer_sync);
	const std::uint32_t start = GENERATE(0u, 0xfffffffbu);
	image c_img, cxx_img;
	REQUIRE(first_difference(c_img, cxx_img).empty());

	pktpath_ring c;
	REQUIRE(ring_image_c_init(c_img.mem, image::bytes, capacity, prod, cons, &c) == PKTPATH_RING_OK);
	pktpath::ring_error why = pktpath::ring_error::bad_magic;
	TestType v = TestType::create(cxx_img.mem, image::bytes, capacity, &why);
	REQUIRE(v.valid());
	CHECK(why == pktpath::ring_error::none);
	INFO("after init: " << first_difference(c_img, cxx_img));
	REQUIRE(first_difference(c_img, cxx_img).empty());
	// Each language accepts the other's header.
	CHECK(TestType::attach(c_img.mem, image::bytes).valid());
	pktpath_ring attached;
	CHECK(pktpath_ring_attach(cxx_img.mem, image::bytes, sizeof(elem), alignof(elem), prod, cons, &attached) ==
	      PKTPATH_RING_OK);

	start_indices_at(c_img.header(), start);
	start_indices_at(cxx_img.header(), start);

	model m;
	std::uint32_t value = 1;
	const auto ops = script(TestType::producer_sync == sync::single, TestType::consumer_sync == sync::single, 3000);
	for (std::size_t i = 0; i < ops.size(); ++i) {
		const ring_image_op &op = ops[i];
		elem in[max_n], c_buf[max_n], cxx_buf[max_n], m_buf[max_n];
		for (elem &e : in) {
			e = elem{{value, ~value, value * 2654435761u}};
			++value;
		}
		std::copy(in, in + max_n, c_buf);
		std::copy(in, in + max_n, cxx_buf);
		std::copy(in, in + max_n, m_buf);

		const std::uint32_t c_moved = ring_image_c_apply(&c, op, c_buf);
		const std::uint32_t cxx_moved = apply_cxx(v, op, cxx_buf);
		const std::uint32_t m_moved = m.apply(op, m_buf);

		INFO("operation " << i << ": code " << op.code << " n " << op.n << " keep " << op.keep);
		REQUIRE(c_moved == m_moved);
		REQUIRE(cxx_moved == m_moved);
		const bool out = op.code == RING_IMAGE_DEQUEUE || op.code == RING_IMAGE_DEQUEUE_BULK ||
				 op.code == RING_IMAGE_DEQUEUE_BURST || op.code == RING_IMAGE_PEEK_RELEASE;
		for (std::uint32_t k = 0; out && k < m_moved; ++k) {
			REQUIRE(same(c_buf[k], m_buf[k]));
			REQUIRE(same(cxx_buf[k], m_buf[k]));
		}
		const std::string diff = first_difference(c_img, cxx_img);
		INFO("images differ at " << diff);
		REQUIRE(diff.empty());
		REQUIRE(pktpath_ring_drops(&c) == m.drops);
		REQUIRE(v.drops() == m.drops);
		REQUIRE(pktpath_ring_count(&c) == m.q.size());
		REQUIRE(v.size() == m.q.size());
	}
	// The script did reach what it is there to compare.
	CHECK(m.refused_bulks > 0);
	CHECK(m.short_bursts > 0);
	if (start != 0)
		CHECK(c_img.header()->prod.tail < start); // the indices wrapped past 2^32
}
