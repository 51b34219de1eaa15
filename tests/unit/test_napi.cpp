// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The poll group against Linux 6.1 net_rx_action semantics, driven by a
// manual clock: exact poll sequences, budget and time squeezes, MISSED
// schedules, backlog drops as enqueue_to_backlog counts them, RPS steering,
// and threaded runs where no frame may be lost or stranded.
#include <catch2/catch.hpp>

#include <pktpath/poll/backlog.hpp>
#include <pktpath/poll/clock.hpp>
#include <pktpath/poll/group.hpp>
#include <pktpath/poll/irq.hpp>
#include <pktpath/poll/rps.hpp>
#include <pktpath/ring/ring.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// The deterministic cases run under both sync policies: the threaded pieces
// and the single-threaded ones the replay simulation uses must agree.
template <pktpath::sync S>
struct policy {
	using group = pktpath::poll_group<pktpath::manual_clock, S>;
	using napi = pktpath::basic_napi<S>;
	using irq = pktpath::basic_irq_line<S>;
	template <class T, class Deliver>
	using backlog = pktpath::backlog<T, Deliver, S>;
};
using threaded = policy<pktpath::sync::multi>;
using single_thread = policy<pktpath::sync::single>;

namespace {

// One line per event: "A:64>64" is a poll of A with budget 64 that did 64,
// "A:rearm" a re-arm, "--" the end of a poll_round().
struct trace {
	std::vector<std::string> lines;
	void add(std::string s) { lines.push_back(std::move(s)); }
};

// A queue holding `pending` frames; optional hooks run inside poll().
struct fake_queue {
	std::string name;
	int pending;
	trace *log;
	pktpath::manual_clock *clock = nullptr;
	std::chrono::microseconds cost{0}; // clock advance per poll
	std::function<void()> during_poll{};

	fake_queue(std::string n, int frames, trace *t, pktpath::manual_clock *clk = nullptr,
		   std::chrono::microseconds c = {})
	    : name(std::move(n)), pending(frames), log(t), clock(clk), cost(c)
	{
	}

	int poll(int budget)
	{
		int work = std::min(budget, pending);
		pending -= work;
		if (clock)
			clock->advance(cost);
		if (during_poll)
			during_poll();
		log->add(name + ":" + std::to_string(budget) + ">" + std::to_string(work));
		return work;
	}
	void rearm() { log->add(name + ":rearm"); }
};

struct to_vector {
	std::vector<int> *out;
	void operator()(int v) const { out->push_back(v); }
};

template <class Group>
std::vector<std::string> run_rounds(Group &g, trace &t, int max_rounds)
{
	for (int i = 0; i < max_rounds && g.pending(); ++i) {
		g.poll_round();
		t.add("--");
	}
	return t.lines;
}

} // namespace

TEMPLATE_TEST_CASE("napi: 100/10/500 frames, weight 64, budget 300: the 6.1 sequence", "[napi]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g; // defaults: budget 300, 2000 us
	fake_queue a{"A", 100, &t}, b{"B", 10, &t}, c{"C", 500, &t};
	typename TestType::napi na(a), nb(b), nc(c);
	g.add(na);
	g.add(nb);
	g.add(nc);
	CHECK(na.weight() == 64);
	CHECK(na.schedule());
	CHECK(nb.schedule());
	CHECK(nc.schedule());

	// Each queue is polled at most once per round with its full weight; a
	// queue that used all of it waits for the next round (repoll list).  The
	// budget never runs out: 3 x 64 < 300, so time_squeeze stays 0.
	std::vector<std::string> want = {
		"A:64>64", "B:64>10", "B:rearm", "C:64>64", "--", // 138
		"A:64>36", "A:rearm", "C:64>64", "--",            // 100
		"C:64>64", "--",      "C:64>64", "--",      "C:64>64", "--", "C:64>64",
		"--",      "C:64>64", "--",      "C:64>52", "C:rearm", "--",
	};
	CHECK(run_rounds(g, t, 20) == want);
	CHECK_FALSE(g.pending());
	CHECK(g.poll_round() == 0);

	auto s = g.stats();
	CHECK(s.processed == 610);
	CHECK(s.time_squeeze == 0);
	CHECK(s.repolls == 8); // A once, C seven times
	CHECK(s.polls == 11);
	CHECK(s.rounds == 8);
	CHECK(nc.stats().repolls == 7);
	CHECK(nc.stats().rearms == 1);
	CHECK(nb.stats().processed == 10);
	// One clock read per round for the limit, one after each poll.
	CHECK(g.clock().reads() == 8 + 11);
}

TEMPLATE_TEST_CASE("napi: budget squeeze ends the round; unreached queues go first next round", "[napi]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g;
	std::vector<std::unique_ptr<fake_queue>> q;
	std::vector<std::unique_ptr<typename TestType::napi>> n;
	for (int i = 1; i <= 6; ++i) {
		q.push_back(std::make_unique<fake_queue>("q" + std::to_string(i), 100, &t));
		n.push_back(std::make_unique<typename TestType::napi>(*q.back()));
		g.add(*n.back());
		n.back()->schedule();
	}

	// Round 1: four polls leave 300 - 256 = 44; q5's 64 takes it to -20:
	// time_squeeze, and the clock is not read after that poll.  q6 is not
	// reached; it leads round 2, ahead of the repolls q1..q5.
	g.poll_round();
	CHECK(g.stats().budget_exhausted == 1);
	CHECK(g.stats().time_squeeze == 1);
	CHECK(g.clock().reads() == 1 + 4);
	t.add("--");
	std::vector<std::string> want = {
		"q1:64>64", "q2:64>64", "q3:64>64", "q4:64>64", "q5:64>64", "--",       "q6:64>64",
		"q1:64>36", "q1:rearm", "q2:64>36", "q2:rearm", "q3:64>36", "q3:rearm", "q4:64>36",
		"q4:rearm", "q5:64>36", "q5:rearm", "--",       "q6:64>36", "q6:rearm", "--",
	};
	CHECK(run_rounds(g, t, 10) == want);
	auto s = g.stats();
	CHECK(s.time_squeeze == 1);
	CHECK(s.budget_exhausted == 1);
	CHECK(s.time_exhausted == 0);
	CHECK(s.processed == 600);
}

TEMPLATE_TEST_CASE("napi: like the kernel, a spent budget counts a squeeze even with nothing left", "[napi]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g(pktpath::poll_config{10, 2000us});
	fake_queue a{"A", 10, &t};
	typename TestType::napi na(a);
	g.add(na);
	na.schedule();
	g.poll_round();
	CHECK(t.lines == std::vector<std::string>{"A:64>10", "A:rearm"});
	CHECK_FALSE(g.pending());
	CHECK(g.stats().time_squeeze == 1);
	CHECK(g.stats().budget_exhausted == 1);
}

TEMPLATE_TEST_CASE("napi: time limit with the manual clock (now >= limit ends the round)", "[napi]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g; // 2000 us
	std::vector<std::unique_ptr<fake_queue>> q;
	std::vector<std::unique_ptr<typename TestType::napi>> n;
	for (int i = 1; i <= 5; ++i) {
		q.push_back(std::make_unique<fake_queue>("q" + std::to_string(i), 1000, &t, &g.clock(), 500us));
		n.push_back(std::make_unique<typename TestType::napi>(*q.back()));
		g.add(*n.back());
		n.back()->schedule();
	}

	// 500 us per poll: after q4 the clock reads exactly the limit.  The
	// budget (300 - 256 = 44) is not spent, so this is a time squeeze.
	g.poll_round();
	CHECK(t.lines == std::vector<std::string>{"q1:64>64", "q2:64>64", "q3:64>64", "q4:64>64"});
	auto s = g.stats();
	CHECK(s.time_exhausted == 1);
	CHECK(s.budget_exhausted == 0);
	CHECK(s.time_squeeze == 1);

	// Just under the limit, the round goes on to q5 and the budget ends it.
	for (auto &x : q)
		x->cost = 499us;
	t.lines.clear();
	g.poll_round();
	CHECK(t.lines == std::vector<std::string>{"q5:64>64", "q1:64>64", "q2:64>64", "q3:64>64", "q4:64>64"});
	s = g.stats();
	CHECK(s.time_exhausted == 1);
	CHECK(s.budget_exhausted == 1);
	CHECK(s.time_squeeze == 2);
}

TEST_CASE("virtual_clock: time moves only by advance(); a group on it ends a round at its limit", "[napi]")
{
	pktpath::poll_group<pktpath::virtual_clock, pktpath::sync::single> g; // 2000 us
	CHECK(g.clock().now().time_since_epoch() == 0ns);
	struct costly {
		pktpath::virtual_clock *clock;
		int poll(int budget)
		{
			clock->advance(1000us);
			return budget;
		}
		void rearm() {}
	};
	costly a{&g.clock()}, b{&g.clock()}, c{&g.clock()};
	pktpath::basic_napi<pktpath::sync::single> na{a}, nb{b}, nc{c};
	for (auto *n : {&na, &nb, &nc}) {
		g.add(*n);
		n->schedule();
	}
	// 1000 us a poll: the second one reaches the limit, c waits.
	CHECK(g.poll_round() == 128);
	CHECK(g.stats().time_exhausted == 1);
	CHECK(g.clock().now().time_since_epoch() == 2000us);
}

TEMPLATE_TEST_CASE("napi: schedule() while scheduled is MISSED: polled again, not re-armed", "[napi]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g;
	fake_queue a{"A", 5, &t};
	typename TestType::napi na(a);
	typename TestType::napi unbound(a);
	CHECK_FALSE(unbound.schedule()); // not in a group
	g.add(na);

	CHECK_FALSE(na.scheduled());
	CHECK(na.schedule());
	CHECK(na.scheduled());
	CHECK_FALSE(na.schedule()); // already scheduled: MISSED
	CHECK(g.pending());

	// The poll does less than its weight, but a schedule() arrived since it
	// was scheduled: it is polled once more (next round), then re-armed.
	run_rounds(g, t, 5);
	CHECK(t.lines == std::vector<std::string>{"A:64>5", "--", "A:64>0", "A:rearm", "--"});
	CHECK(na.stats().missed == 1);
	CHECK(na.stats().rearms == 1);
	CHECK_FALSE(na.scheduled());

	// A schedule() from inside the poll (an "interrupt" during it) too.
	t.lines.clear();
	a.pending = 3;
	a.during_poll = [&] {
		a.during_poll = nullptr;
		na.schedule();
	};
	na.schedule();
	run_rounds(g, t, 5);
	CHECK(t.lines == std::vector<std::string>{"A:64>3", "--", "A:64>0", "A:rearm", "--"});
}

TEMPLATE_TEST_CASE("napi: a queue scheduled during a round goes ahead of the repolls", "[napi]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g;
	fake_queue a{"A", 200, &t}, b{"B", 200, &t}, x{"X", 1, &t};
	typename TestType::napi na(a), nb(b), nx(x);
	g.add(na);
	g.add(nb);
	g.add(nx);
	a.during_poll = [&] {
		a.during_poll = nullptr;
		nx.schedule(); // not polled in this round
	};
	na.schedule();
	nb.schedule();
	run_rounds(g, t, 1);
	t.lines.clear();
	run_rounds(g, t, 1);
	CHECK(t.lines == std::vector<std::string>{"X:64>1", "X:rearm", "A:64>64", "B:64>64", "--"});
}

TEMPLATE_TEST_CASE("backlog: drops exactly like enqueue_to_backlog", "[napi][backlog]", threaded, single_thread)
{
	std::vector<int> delivered;
	auto deliver = [&](int v) { delivered.push_back(v); };
	typename TestType::group g;

	SECTION("default max_backlog: 1001 frames wait, the next is dropped")
	{
		typename TestType::template backlog<int, decltype(deliver)> bl(deliver);
		REQUIRE(bl.valid());
		g.add(bl.as_napi());
		CHECK(bl.max_backlog() == 1000);
		int accepted = 0;
		for (int i = 0; i < 1005; ++i)
			accepted += bl.enqueue(i);
		CHECK(accepted == 1001); // qlen 0..1000 all pass `qlen <= 1000`
		CHECK(bl.qlen() == 1001);
		CHECK(bl.dropped() == 4);
		CHECK(g.stats().dropped == 4);
		CHECK(bl.as_napi().scheduled()); // the first frame scheduled it

		while (g.pending())
			g.poll_round();
		CHECK(delivered.size() == 1001);
		CHECK(std::is_sorted(delivered.begin(), delivered.end()));
		CHECK(bl.qlen() == 0);
		CHECK(g.stats().processed == 1001);
	}

	SECTION("frames taken over by the poller no longer count (process_queue)")
	{
		// max_backlog 4, weight 2
		typename TestType::template backlog<int, decltype(deliver)> bl(deliver, 4, 2);
		g.add(bl.as_napi());
		for (int i = 0; i < 5; ++i)
			CHECK(bl.enqueue(i));
		CHECK_FALSE(bl.enqueue(99));
		CHECK(bl.dropped() == 1);

		// One poll: takes all 5 over, delivers 2 (its weight): 3 are in
		// the process queue, the input queue is empty again.
		g.poll_round();
		CHECK(delivered == std::vector<int>{0, 1});
		CHECK(bl.qlen() == 0);
		for (int i = 5; i < 10; ++i)
			CHECK(bl.enqueue(i));
		CHECK_FALSE(bl.enqueue(99));
		CHECK(bl.dropped() == 2);

		while (g.pending())
			g.poll_round();
		CHECK(delivered == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
		auto s = bl.as_napi().stats();
		CHECK(s.processed == 10);
		CHECK(s.repolls == 5); // each poll of 2 used the whole weight
	}
}

TEMPLATE_TEST_CASE("rps: reciprocal_scale steering", "[napi][rps]", threaded, single_thread)
{
	CHECK(pktpath::reciprocal_scale(0, 4) == 0);
	CHECK(pktpath::reciprocal_scale(0xffffffffu, 4) == 3);
	CHECK(pktpath::reciprocal_scale(0x80000000u, 4) == 2);
	CHECK(pktpath::reciprocal_scale(0x3fffffffu, 4) == 0);
	CHECK(pktpath::reciprocal_scale(0x40000000u, 4) == 1);

	std::vector<int> got0, got1;
	typename TestType::template backlog<int, to_vector> b0(to_vector{&got0}), b1(to_vector{&got1});
	decltype(b0) *cpus[2] = {&b0, &b1};
	pktpath::rps_map<decltype(b0)> map(cpus, 2, 1);
	CHECK(map.select(0) == 1); // no hash: the local CPU
	CHECK(map.select(0x10) == 0);
	CHECK(map.select(0xf0000000u) == 1);
	CHECK(map.enqueue(0x10u, 7));
	CHECK(map.enqueue(0xf0000000u, 8));
	CHECK(b0.qlen() == 1);
	CHECK(b1.qlen() == 1);
}

TEMPLATE_TEST_CASE("irq_line: fires once while enabled, re-fires on enable with work waiting", "[napi][irq]", threaded,
		   single_thread)
{
	trace t;
	typename TestType::group g;
	fake_queue a{"A", 0, &t};
	typename TestType::napi na(a);
	g.add(na);
	typename TestType::irq irq(na);

	CHECK(irq.enabled());
	irq.raise();
	CHECK(irq.fired() == 1);
	CHECK_FALSE(irq.enabled());
	CHECK(na.scheduled());
	irq.raise(); // masked: no second schedule, no MISSED
	CHECK(irq.fired() == 1);

	g.poll_round();
	CHECK(na.stats().missed == 0);
	CHECK_FALSE(na.scheduled());

	irq.enable([] { return false; });
	CHECK(irq.enabled());
	CHECK(irq.fired() == 1);
	irq.raise();
	CHECK(irq.fired() == 2);
	g.poll_round();

	// Work that arrived while masked fires on enable.
	irq.enable([] { return true; });
	CHECK(irq.fired() == 3);
	CHECK_FALSE(irq.enabled());
	CHECK(na.scheduled());
}

namespace {

// A NIC queue (ring + irq + napi) and two backlogs in one poll group under
// policy P, driven from one thread by a seeded generator.
template <class P>
struct random_world {
	struct deliver {
		std::vector<std::string> *log;
		int cpu;
		void operator()(int v) const { log->push_back("d" + std::to_string(cpu) + ":" + std::to_string(v)); }
	};
	using backlog_t = typename P::template backlog<int, deliver>;

	std::vector<std::string> log;
	pktpath::spsc_ring<int> rx{64};
	typename P::group g{pktpath::poll_config{40, std::chrono::microseconds(50)}};
	backlog_t bl0{deliver{&log, 0}, 5, 3}, bl1{deliver{&log, 1}, 5, 3};
	typename P::napi nic{*this, 16};
	typename P::irq irq{nic};
	std::minstd_rand rng;

	explicit random_world(std::uint32_t seed) : rng(seed)
	{
		g.add(bl0.as_napi());
		g.add(bl1.as_napi());
		g.add(nic);
	}

	int poll(int budget)
	{
		int work = 0, v;
		while (work < budget && rx.dequeue(v)) {
			g.clock().advance(std::chrono::microseconds(rng() % 3));
			if (!(v & 1 ? bl1 : bl0).enqueue(v))
				log.push_back("drop:" + std::to_string(v));
			++work;
		}
		return work;
	}
	void rearm()
	{
		irq.enable([this] { return !rx.empty(); });
	}
};

// One random run: every delivery, drop, round and counter, in order, as text.
template <class P>
std::vector<std::string> random_run(std::uint32_t seed)
{
	random_world<P> w(seed);
	int next = 0;
	for (int step = 0; step < 400; step++) {
		for (unsigned n = w.rng() % 12; n > 0; n--) {
			if (!w.rx.enqueue(next))
				w.log.push_back("miss:" + std::to_string(next));
			++next;
		}
		w.irq.raise();
		for (unsigned r = w.rng() % 3; r > 0 && w.g.pending(); r--)
			w.log.push_back("round:" + std::to_string(w.g.poll_round()));
	}
	while (w.g.pending())
		w.log.push_back("round:" + std::to_string(w.g.poll_round()));
	const pktpath::softnet_stat st = w.g.stats();
	w.log.push_back("stats:" + std::to_string(st.processed) + "," + std::to_string(st.dropped) + "," +
			std::to_string(st.time_squeeze) + "," + std::to_string(st.budget_exhausted) + "," +
			std::to_string(st.polls) + "," + std::to_string(st.rounds) + ",irqs " +
			std::to_string(w.irq.fired()));
	return w.log;
}

} // namespace

TEST_CASE("sync::single and sync::multi run the same: random schedules, rounds, drops", "[napi]")
{
	for (std::uint32_t seed = 1; seed <= 20; seed++) {
		CAPTURE(seed);
		const auto multi = random_run<threaded>(seed);
		const auto single = random_run<single_thread>(seed);
		REQUIRE(multi.size() > 400);
		CHECK(std::count_if(multi.begin(), multi.end(),
				    [](const std::string &l) { return l.rfind("drop", 0) == 0; }) > 0);
		CHECK(multi == single);
	}
}

// ---- threads: schedule() from another thread, idle sleep, no lost frame ----

namespace {

// The NIC-driver pattern: a producer fills an SPSC ring and raises the
// interrupt, which fires only while enabled; rearm re-enables it.
struct nic_queue {
	pktpath::spsc_ring<std::uint64_t> rx{256};
	pktpath::napi napi{*this};
	pktpath::irq_line irq{napi};
	std::uint64_t next_expected = 0;
	std::uint64_t misordered = 0;
	std::atomic<std::uint64_t> received{0};

	int poll(int budget)
	{
		int work = 0;
		std::uint64_t v;
		while (work < budget && rx.dequeue(v)) {
			misordered += v != next_expected++;
			++work;
		}
		received.fetch_add(static_cast<std::uint64_t>(work), std::memory_order_relaxed);
		return work;
	}
	void rearm()
	{
		irq.enable([this] { return !rx.empty(); });
	}
};

bool wait_until(const std::function<bool()> &done)
{
	auto deadline = std::chrono::steady_clock::now() + 20s;
	while (!done()) {
		if (std::chrono::steady_clock::now() > deadline)
			return false;
		std::this_thread::sleep_for(100us);
	}
	return true;
}

} // namespace

TEST_CASE("napi: producer thread and a sleeping or busy poller lose nothing", "[napi][concurrent]")
{
	constexpr std::uint64_t n = 100000;
	const auto mode = GENERATE(pktpath::idle_mode::sleep, pktpath::idle_mode::busy_poll);
	pktpath::poll_group<> g;
	nic_queue q;
	g.add(q.napi);

	std::thread poller([&] { g.run(mode); });
	std::thread nic([&] {
		for (std::uint64_t i = 0; i < n;) {
			if (q.rx.enqueue_burst(&i, 1) == 1) {
				++i;
				q.irq.raise();
			} else {
				std::this_thread::yield();
			}
			if ((i & 1023) == 0)
				std::this_thread::sleep_for(10us); // let the poller go idle sometimes
		}
	});
	nic.join();
	bool all = wait_until([&] { return q.received.load() == n; });
	g.request_stop();
	poller.join();

	CHECK(all);
	CHECK(q.misordered == 0);
	CHECK(g.stats().processed == n);
	// Every fire scheduled an idle queue, every completion re-armed it; the
	// last fire may still be pending when run() stops.
	CHECK(q.irq.fired() >= q.napi.stats().rearms);
	CHECK(q.irq.fired() <= q.napi.stats().rearms + 1);
	CHECK(q.napi.stats().missed == 0);
}

TEST_CASE("backlog: concurrent producers, exactly-once delivery, drops accounted", "[napi][backlog][concurrent]")
{
	constexpr unsigned producers = 2;
	constexpr std::uint64_t per_producer = 50000;
	std::vector<std::atomic<std::uint8_t>> seen(producers * per_producer);
	std::uint64_t last[producers] = {0, 0};
	std::uint64_t misordered = 0, delivered = 0;
	std::atomic<std::uint64_t> delivered_total{0};
	auto deliver = [&](std::uint64_t v) {
		unsigned from = static_cast<unsigned>(v / per_producer);
		misordered += (v % per_producer) + 1 <= last[from] ? 1 : 0;
		last[from] = (v % per_producer) + 1;
		seen[v].fetch_add(1, std::memory_order_relaxed);
		++delivered;
		delivered_total.store(delivered, std::memory_order_relaxed);
	};
	pktpath::poll_group<> g;
	pktpath::backlog<std::uint64_t, decltype(deliver)> bl(deliver, 64);
	g.add(bl.as_napi());

	std::thread poller([&] { g.run(pktpath::idle_mode::sleep); });
	std::atomic<std::uint64_t> accepted{0};
	std::vector<std::thread> prod;
	for (unsigned p = 0; p < producers; ++p)
		prod.emplace_back([&, p] {
			std::uint64_t ok = 0;
			for (std::uint64_t i = 0; i < per_producer; ++i) {
				ok += bl.enqueue(p * per_producer + i);
				if ((i & 255) == 0)
					std::this_thread::yield();
			}
			accepted.fetch_add(ok);
		});
	for (auto &t : prod)
		t.join();
	bool all = wait_until([&] { return delivered_total.load() == accepted.load(); });
	g.request_stop();
	poller.join();

	CHECK(all);
	CHECK(accepted.load() + bl.dropped() == producers * per_producer);
	CHECK(g.stats().dropped == bl.dropped());
	std::uint64_t once = 0, twice = 0;
	for (auto &s : seen) {
		once += s.load() == 1;
		twice += s.load() > 1;
	}
	CHECK(once == accepted.load());
	CHECK(twice == 0);
	CHECK(misordered == 0);
	CHECK(bl.qlen() == 0);
}
