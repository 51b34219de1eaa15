// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Ring semantics: create/attach contract, full/empty, wrap-around (slot array
// and 32-bit indices), bulk vs burst, zero-copy, drop accounting, a shared
// mapping across fork(), and multi-threaded exactly-once stress tests.
#include <catch2/catch.hpp>

#include <pktpath/ring/ring.hpp>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

using pktpath::ring_error;
using pktpath::ring_header;
using pktpath::sync;

namespace {

// Aligned scratch memory for placement tests.
struct arena {
	explicit arena(std::size_t n) : bytes(n), mem(::operator new (n, std::align_val_t{128})) {}
	~arena() { ::operator delete (mem, std::align_val_t{128}); }
	arena(const arena &) = delete;
	arena &operator=(const arena &) = delete;
	std::size_t bytes;
	void *mem;
};

template <class R>
std::vector<std::uint64_t> drain(R &r)
{
	std::vector<std::uint64_t> out;
	std::uint64_t v;
	while (r.dequeue(v))
		out.push_back(v);
	return out;
}

// Moves every index of an empty ring to `at`, to test 32-bit wrap-around
// without 4 billion operations.
void set_indices(pktpath_ring_header *h, std::uint32_t at)
{
	h->prod.head = at;
	h->prod.tail = at;
	h->prod.cached_other_tail = at;
	h->cons.head = at;
	h->cons.tail = at;
	h->cons.cached_other_tail = at;
}

} // namespace

TEST_CASE("ring: create validates memory and capacity", "[ring]")
{
	using view = pktpath::ring_view<std::uint64_t>;
	arena a(view::required_bytes(64));
	ring_error why = ring_error::none;

	CHECK_FALSE(view::create(nullptr, a.bytes, 64, &why).valid());
	CHECK(why == ring_error::null_memory);
	CHECK_FALSE(view::create(static_cast<char *>(a.mem) + 8, a.bytes - 8, 16, &why).valid());
	CHECK(why == ring_error::misaligned);
	CHECK_FALSE(view::create(a.mem, a.bytes - 1, 64, &why).valid());
	CHECK(why == ring_error::too_small);
	for (std::uint32_t bad : {0u, 3u, 48u, 0x80000001u}) {
		CHECK_FALSE(view::create(a.mem, a.bytes, bad, &why).valid());
		CHECK(why == ring_error::bad_capacity);
	}
	CHECK(view::required_bytes(64) == sizeof(ring_header) + 64 * 8);

	view v = view::create(a.mem, a.bytes, 64, &why);
	REQUIRE(v.valid());
	CHECK(why == ring_error::none);
	CHECK(v.capacity() == 64);
	CHECK(v.empty());
	CHECK(v.free_space() == 64);
	CHECK(v.drops() == 0);
}

TEST_CASE("ring: attach checks what the creator recorded", "[ring]")
{
	using spsc64 = pktpath::ring_view<std::uint64_t>;
	arena a(spsc64::required_bytes(16));
	ring_error why = ring_error::none;

	std::memset(a.mem, 0, a.bytes);
	CHECK_FALSE(spsc64::attach(a.mem, a.bytes, &why).valid());
	CHECK(why == ring_error::bad_magic);

	spsc64 made = spsc64::create(a.mem, a.bytes, 16);
	REQUIRE(made.valid());

	spsc64 same = spsc64::attach(a.mem, a.bytes, &why);
	REQUIRE(same.valid());
	CHECK(same.capacity() == 16);
	CHECK(made.enqueue(42));
	std::uint64_t v = 0;
	CHECK(same.dequeue(v));
	CHECK(v == 42);

	CHECK_FALSE(spsc64::attach(a.mem, a.bytes - 1, &why).valid());
	CHECK(why == ring_error::too_small);
	CHECK_FALSE((pktpath::ring_view<std::uint32_t>::attach(a.mem, a.bytes, &why).valid()));
	CHECK(why == ring_error::mismatch);
	CHECK_FALSE(
		(pktpath::ring_view<std::uint64_t, sync::multi, sync::single>::attach(a.mem, a.bytes, &why).valid()));
	CHECK(why == ring_error::mismatch);
	CHECK_FALSE(
		(pktpath::ring_view<std::uint64_t, sync::single, sync::multi>::attach(a.mem, a.bytes, &why).valid()));
	CHECK(why == ring_error::mismatch);

	made.header()->version = 99;
	CHECK_FALSE(spsc64::attach(a.mem, a.bytes, &why).valid());
	CHECK(why == ring_error::bad_version);
}

TEST_CASE("ring: indices another process corrupted never move a copy outside the slots", "[ring][errors]")
{
	// A peer sharing the memory can write anything into the indices; the
	// ring cannot tell, but caps every claim at its capacity (found by
	// tests/fuzz/fuzz_ring_attach.cpp: a burst of 64 from an 8-slot ring
	// read 456 bytes past it).  The arena is exactly the ring, so ASan sees
	// any access beyond it.
	using spsc64 = pktpath::ring_view<std::uint64_t>;
	using mpmc64 = pktpath::ring_view<std::uint64_t, sync::multi, sync::multi>;
	arena a(spsc64::required_bytes(8));
	spsc64 r = spsc64::create(a.mem, a.bytes, 8);
	REQUIRE(r.valid());
	std::uint64_t buf[64] = {};
	r.header()->prod.tail = 1000; // 1000 "published" elements in 8 slots
	r.header()->cons.cached_other_tail = 1000;
	CHECK(r.dequeue_burst(buf, 64) == 8);
	CHECK(r.size() <= 8);
	r.header()->cons.tail = 5000; // a consumer "ahead" of the producer
	r.header()->prod.cached_other_tail = 5000;
	CHECK(r.enqueue_burst(buf, 64) == 8);
	CHECK(r.peek(64).size() <= 8);
	CHECK(r.reserve(64).size() <= 8);

	arena m(mpmc64::required_bytes(4));
	mpmc64 q = mpmc64::create(m.mem, m.bytes, 4);
	REQUIRE(q.valid());
	q.header()->prod.head = q.header()->prod.tail = 77;
	CHECK(q.dequeue_burst(buf, 64) == 4);
}

TEST_CASE("ring: round_up_capacity", "[ring]")
{
	CHECK(ring_header::round_up_capacity(0) == 1);
	CHECK(ring_header::round_up_capacity(1) == 1);
	CHECK(ring_header::round_up_capacity(1001) == 1024);
	CHECK(ring_header::round_up_capacity(2002) == 2048);
	CHECK(ring_header::round_up_capacity(1u << 31) == (1u << 31));
	CHECK(ring_header::round_up_capacity((1u << 31) + 1) == 0);
}

TEMPLATE_TEST_CASE("ring: full, empty, FIFO order and drops", "[ring]", pktpath::spsc_ring<std::uint64_t>,
		   pktpath::mpsc_ring<std::uint64_t>, pktpath::spmc_ring<std::uint64_t>,
		   pktpath::mpmc_ring<std::uint64_t>)
{
	TestType r(8);
	REQUIRE(r.valid());
	std::uint64_t v = 0;
	CHECK_FALSE(r.dequeue(v));

	for (std::uint64_t i = 0; i < 8; ++i)
		CHECK(r.enqueue(100 + i));
	CHECK(r.full());
	CHECK(r.size() == 8);
	CHECK_FALSE(r.enqueue(999));
	CHECK(r.drops() == 1);

	CHECK(drain(r) == std::vector<std::uint64_t>{100, 101, 102, 103, 104, 105, 106, 107});
	CHECK(r.empty());
	CHECK_FALSE(r.dequeue(v));
	CHECK(r.drops() == 1); // an empty dequeue is not a drop
}

TEMPLATE_TEST_CASE("ring: bulk is all-or-nothing, burst takes what fits", "[ring]", pktpath::spsc_ring<std::uint64_t>,
		   pktpath::mpmc_ring<std::uint64_t>)
{
	TestType r(8);
	const std::uint64_t in[6] = {1, 2, 3, 4, 5, 6};
	std::uint64_t out[16] = {};

	CHECK(r.enqueue_bulk(in, 5) == 5);
	CHECK(r.enqueue_bulk(in, 4) == 0); // 3 free
	CHECK(r.drops() == 4);
	CHECK(r.size() == 5);
	CHECK(r.enqueue_burst(in, 4) == 3);
	CHECK(r.drops() == 5); // the one that did not fit
	CHECK(r.full());
	CHECK(r.enqueue_burst(in, 2) == 0);
	CHECK(r.drops() == 7);

	CHECK(r.dequeue_bulk(out, 9) == 0);
	CHECK(r.size() == 8);
	CHECK(r.dequeue_bulk(out, 2) == 2);
	CHECK(out[0] == 1);
	CHECK(out[1] == 2);
	CHECK(r.dequeue_burst(out, 16) == 6);
	const std::uint64_t rest[6] = {3, 4, 5, 1, 2, 3};
	CHECK(std::equal(rest, rest + 6, out));
	CHECK(r.dequeue_burst(out, 16) == 0);
	CHECK(r.enqueue_burst(in, 0) == 0);
	CHECK(r.drops() == 7);
}

TEMPLATE_TEST_CASE("ring: wrap-around of the slot array and of 32-bit indices", "[ring]",
		   pktpath::spsc_ring<std::uint64_t>, pktpath::mpmc_ring<std::uint64_t>)
{
	TestType r(4);
	auto start = GENERATE(0u, std::numeric_limits<std::uint32_t>::max() - 6);
	set_indices(r.header(), start);

	std::uint64_t next_in = 0, next_out = 0;
	std::uint64_t buf[3];
	for (int round = 0; round < 20; ++round) {
		for (auto &b : buf)
			b = next_in++;
		REQUIRE(r.enqueue_burst(buf, 3) == 3);
		CHECK(r.size() == 3);
		std::uint64_t got[3] = {};
		REQUIRE(r.dequeue_bulk(got, 3) == 3);
		for (auto g : got)
			CHECK(g == next_out++);
	}
	CHECK(r.empty());
	CHECK(r.drops() == 0);
}

TEST_CASE("ring: zero-copy reserve/commit and peek/release", "[ring]")
{
	pktpath::spsc_ring<std::uint64_t> r(8);

	// 6 in, 6 out: the next reservation starts at slot 6 and wraps.
	for (int i = 0; i < 6; ++i)
		r.enqueue(0);
	std::uint64_t sink[6];
	r.dequeue_bulk(sink, 6);

	auto s = r.reserve(5);
	REQUIRE(s.size() == 5);
	CHECK(s.first_len == 2);        // slots 6, 7 ...
	CHECK(s.second == s.first - 6); // ... then 0, 1, 2
	for (std::uint32_t i = 0; i < s.size(); ++i)
		s[i] = 10 + i;
	CHECK(r.empty()); // nothing visible before commit

	r.commit(4); // the fifth slot is abandoned
	CHECK(r.size() == 4);

	auto p = r.peek(8);
	REQUIRE(p.size() == 4);
	CHECK(p.first_len == 2);
	for (std::uint32_t i = 0; i < p.size(); ++i)
		CHECK(p[i] == 10 + i);
	p[0] = 77; // the consumer owns peeked slots until release
	r.release(1);
	CHECK(r.size() == 3);

	std::uint64_t v = 0;
	REQUIRE(r.dequeue(v));
	CHECK(v == 11);

	// A reservation is capped by the free space; reserve does not count
	// drops, the producer does if it drops the rest.
	auto big = r.reserve(100);
	CHECK(big.size() == 6);
	r.commit(0);
	CHECK(r.size() == 2);
	CHECK(r.drops() == 0);
	r.count_drops(94);
	CHECK(r.drops() == 94);

	auto none = r.peek(0);
	CHECK(none.empty());
}

TEST_CASE("ring: owning form rejects bad capacity and moves", "[ring]")
{
	pktpath::spsc_ring<std::uint64_t> bad(12);
	CHECK_FALSE(bad.valid());
	// An absurd size is refused, not a crash: 2^31 slots of 256 bytes is 512 GiB.
	struct big {
		std::uint8_t b[256];
	};
	pktpath::spsc_ring<big> huge(1u << 31);
	CHECK_FALSE(huge.valid());

	pktpath::spsc_ring<std::uint64_t> a(4);
	REQUIRE(a.valid());
	a.enqueue(5);
	pktpath::spsc_ring<std::uint64_t> b(std::move(a));
	CHECK_FALSE(a.valid());
	REQUIRE(b.valid());
	std::uint64_t v = 0;
	CHECK(b.dequeue(v));
	CHECK(v == 5);

	pktpath::spsc_ring<std::uint64_t> c(2);
	c = std::move(b);
	CHECK(c.capacity() == 4);
	CHECK_FALSE(b.valid());

	// A view is a non-owning handle onto the same ring.
	pktpath::ring_view<std::uint64_t> view = c;
	view.enqueue(9);
	CHECK(c.size() == 1);
}

TEST_CASE("ring: two processes share a ring in a shared mapping", "[ring]")
{
	using view = pktpath::ring_view<std::uint64_t>;
	constexpr std::uint64_t n = 20000;
	const std::size_t bytes = view::required_bytes(64);
	void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(mem != MAP_FAILED);
	REQUIRE(view::create(mem, bytes, 64).valid());

	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		// The child attaches as a second process would and produces.
		view p = view::attach(mem, bytes);
		if (!p.valid())
			_exit(2);
		for (std::uint64_t i = 0; i < n;) {
			if (p.enqueue_burst(&i, 1) == 1)
				++i;
			else
				std::this_thread::yield();
		}
		_exit(0);
	}

	view c = view::attach(mem, bytes);
	REQUIRE(c.valid());
	std::uint64_t expect = 0;
	bool in_order = true;
	while (expect < n) {
		std::uint64_t v;
		if (c.dequeue(v))
			in_order = in_order && v == expect++;
		else
			std::this_thread::yield();
	}
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0);
	CHECK(in_order);
	CHECK(c.empty());
	munmap(mem, bytes);
}

// ---- concurrency: every element exactly once (and in order where FIFO) ----

namespace {

// Small deterministic burst sizes, different per thread.
std::uint32_t burst_size(std::uint64_t &state)
{
	state = state * 6364136223846793005ull + 1442695040888963407ull;
	return 1 + static_cast<std::uint32_t>(state >> 60); // 1..16
}

} // namespace

TEST_CASE("ring: SPSC stress, every element once and in order", "[ring][concurrent]")
{
	constexpr std::uint64_t n = 200000;
	pktpath::spsc_ring<std::uint64_t> r(64);
	const bool zero_copy = GENERATE(false, true);

	std::thread producer([&] {
		std::uint64_t rng = 1, next = 0;
		std::uint64_t buf[16];
		while (next < n) {
			std::uint32_t k = burst_size(rng);
			if (k > n - next)
				k = static_cast<std::uint32_t>(n - next);
			if (zero_copy) {
				auto s = r.reserve(k);
				for (std::uint32_t i = 0; i < s.size(); ++i)
					s[i] = next + i;
				r.commit(s.size());
				next += s.size();
			} else {
				for (std::uint32_t i = 0; i < k; ++i)
					buf[i] = next + i;
				next += r.enqueue_burst(buf, k);
			}
		}
	});

	std::uint64_t expect = 0, rng = 2, misordered = 0;
	std::uint64_t buf[16];
	while (expect < n) {
		std::uint32_t k = burst_size(rng);
		if (zero_copy) {
			auto s = r.peek(k);
			for (std::uint32_t i = 0; i < s.size(); ++i)
				misordered += s[i] != expect++;
			r.release(s.size());
		} else {
			std::uint32_t got = r.dequeue_burst(buf, k);
			for (std::uint32_t i = 0; i < got; ++i)
				misordered += buf[i] != expect++;
		}
	}
	producer.join();
	CHECK(misordered == 0);
	CHECK(expect == n);
	CHECK(r.empty());
}

TEMPLATE_TEST_CASE("ring: multi-producer/consumer stress, every element exactly once", "[ring][concurrent]",
		   pktpath::mpmc_ring<std::uint64_t>, pktpath::mpsc_ring<std::uint64_t>)
{
	constexpr unsigned producers = 2;
	constexpr unsigned consumers = TestType::consumer_sync == sync::multi ? 2 : 1;
	constexpr std::uint64_t per_producer = 50000;
	constexpr std::uint64_t total = producers * per_producer;
	// A small ring keeps every claim racing on the indices.
	TestType r(GENERATE(16u, 64u)); // bursts are 1..16

	std::vector<std::atomic<std::uint8_t>> seen(total);
	std::atomic<std::uint64_t> received{0};
	std::atomic<std::uint64_t> misordered{0};
	std::vector<std::thread> threads;

	// Value = producer * per_producer + sequence: each producer's values rise.
	for (unsigned p = 0; p < producers; ++p) {
		threads.emplace_back([&, p] {
			std::uint64_t rng = p + 10, next = 0, buf[16];
			while (next < per_producer) {
				std::uint32_t k = burst_size(rng);
				if (k > per_producer - next)
					k = static_cast<std::uint32_t>(per_producer - next);
				for (std::uint32_t i = 0; i < k; ++i)
					buf[i] = p * per_producer + next + i;
				next += (rng & 1) ? r.enqueue_bulk(buf, k) : r.enqueue_burst(buf, k);
			}
		});
	}
	for (unsigned c = 0; c < consumers; ++c) {
		threads.emplace_back([&, c] {
			std::uint64_t rng = c + 20, buf[16];
			std::uint64_t last[producers];
			for (auto &l : last)
				l = std::numeric_limits<std::uint64_t>::max();
			while (received.load(std::memory_order_relaxed) < total) {
				std::uint32_t got = r.dequeue_burst(buf, burst_size(rng));
				for (std::uint32_t i = 0; i < got; ++i) {
					std::uint64_t v = buf[i];
					std::uint64_t from = v / per_producer;
					// FIFO per producer, as seen by each consumer.
					if (last[from] != std::numeric_limits<std::uint64_t>::max() && v <= last[from])
						misordered.fetch_add(1);
					last[from] = v;
					seen[v].fetch_add(1, std::memory_order_relaxed);
				}
				received.fetch_add(got, std::memory_order_relaxed);
				if (got == 0)
					std::this_thread::yield();
			}
		});
	}
	for (auto &t : threads)
		t.join();

	std::uint64_t once = 0;
	for (auto &s : seen)
		once += s.load() == 1;
	CHECK(once == total);
	CHECK(received.load() == total);
	CHECK(misordered.load() == 0);
	CHECK(r.empty());
}
