// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-driver: a userspace "driver" built from pktpath's rings and poll
// loops, shaped like the Linux receive path with RPS:
//
//   NIC thread --(RX descriptor ring, SPSC)--> cpu0: NAPI poll, parse, hash,
//   steer --(per-CPU backlog)--> cpu1..N: backlog poll, deliver
//
// The NIC thread plays frames from a capture (or synthetic UDP frames) at a
// chosen rate, drops what the RX ring cannot take (as a NIC with no free
// descriptor does) and raises its interrupt, which fires only while the
// driver has it enabled.  Each "CPU" is a thread running a poll group
// (budget 300, 2000 us, weight 64).  pktpath's per-stage counter table
// counts every frame, per flow, at each stage it reaches (nic, rx_ring, poll,
// backlog, deliver), so the report shows where frames were dropped: at the RX
// ring (polling cannot keep up with the rate) or at a backlog (delivery on
// that CPU cannot keep up with its share), and which flows lost them.
//
//   pktpath-driver [options] [capture.pcap|capture.pcapng]
//     --rate PPS         frames per second from the NIC; 0 = as fast as it can (200000)
//     --frames N         frames to play, looping over the capture (400000)
//     --ring N           RX ring descriptors, a power of two (1024)
//     --cpus N           RPS CPUs, each with a backlog and a poll thread (1)
//     --max-backlog N    net.core.netdev_max_backlog (1000)
//     --cost-ns N        work per delivered frame on the RPS CPUs (0)
//     --busy-poll        idle pollers spin instead of sleeping
//     --top N            flows listed in the report (10)
#include <pktpath/capture/reader.hpp>
#include <pktpath/flow/parse.hpp>
#include <pktpath/hash/fast.h>
#include <pktpath/poll/backlog.hpp>
#include <pktpath/poll/group.hpp>
#include <pktpath/poll/irq.hpp>
#include <pktpath/poll/rps.hpp>
#include <pktpath/ring/ring.hpp>
#include <pktpath/table/export.hpp>
#include <pktpath/table/funnel.hpp>
#include <pktpath/table/stage_table.hpp>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

// The stages this driver counts at; each names the one before it.
struct driver_path {
	enum : unsigned { nic, rx_ring, poll, backlog, deliver };
	static constexpr pktpath::stage_def stages[] = {
		{"nic", pktpath::no_pred}, {"rx_ring", nic}, {"poll", rx_ring}, {"backlog", poll}, {"deliver", backlog},
	};
};

// Written by the NIC thread, cpu0 and the backlog CPUs at once: shared counters.
using table_type = pktpath::stage_table<pktpath::flow_key, driver_path, pktpath::shared_counters>;

// An RX descriptor: where the NIC put the frame, and the table row of its
// flow (or of its parse status, for frames without a key), looked up once
// when the frame was loaded.
struct rx_desc {
	const std::uint8_t *data;
	std::uint32_t len;
	std::uint32_t linktype;
	std::uint64_t row;
};

struct options {
	std::uint64_t rate = 200000;
	std::uint64_t frames = 400000;
	std::uint32_t ring = 1024;
	std::uint32_t cpus = 1;
	std::uint32_t max_backlog = 1000;
	std::uint64_t cost_ns = 0;
	bool busy_poll = false;
	std::uint64_t top = 10;
	const char *capture = nullptr;
};

// The socket end of the path: spend cost_ns per frame, count it.
struct deliver {
	table_type *table;
	std::chrono::nanoseconds cost;
	void operator()(const rx_desc &d) const
	{
		if (cost.count() != 0) {
			auto until = clock_type::now() + cost;
			while (clock_type::now() < until)
				pktpath::cpu_relax();
		}
		table->add(d.row, driver_path::deliver, d.len);
	}
};

using backlog_type = pktpath::backlog<rx_desc, deliver>;

// cpu0's driver: the NIC's RX ring, its NAPI instance and interrupt.
struct rx_queue {
	pktpath::spsc_ring<rx_desc> ring;
	pktpath::napi napi{*this};
	pktpath::irq_line irq{napi};
	pktpath::rps_map<backlog_type> *rps = nullptr;
	table_type *table = nullptr;

	explicit rx_queue(std::uint32_t size) : ring(size) {}

	int poll(int budget)
	{
		rx_desc d[32];
		int work = 0;
		while (work < budget) {
			unsigned want = budget - work < 32 ? static_cast<unsigned>(budget - work) : 32u;
			unsigned got = ring.dequeue_burst(d, want);
			for (unsigned i = 0; i < got; ++i) {
				// Symmetric key: both directions of a flow go to one CPU.
				pktpath::parse_result r =
					pktpath::parse(d[i].data, d[i].len, d[i].linktype, pktpath::parse_flags::symmetric);
				std::uint32_t hash = 0; // no key: hash 0, the local CPU
				if (pktpath::has_key(r.status)) {
					hash = pktpath_hash_fast32(&r.key, sizeof r.key, 0);
					hash += hash == 0; // as the kernel's flow hash: 0 means "none"
				}
				table->add(d[i].row, driver_path::poll, d[i].len);
				if (rps->enqueue(hash, d[i])) // a refusal is counted by the backlog
					table->add(d[i].row, driver_path::backlog, d[i].len);
			}
			work += static_cast<int>(got);
			if (got < want)
				break;
		}
		return work;
	}

	void rearm()
	{
		irq.enable([this] { return !ring.empty(); });
	}
};

// 256 UDP flows, 64-byte Ethernet/IPv4 frames, documentation addresses.
std::vector<std::uint8_t> synthetic_frames(std::vector<rx_desc> &out)
{
	constexpr unsigned flows = 256, len = 64;
	std::vector<std::uint8_t> buf(flows * len, 0);
	for (unsigned i = 0; i < flows; ++i) {
		std::uint8_t *f = &buf[i * len];
		const std::uint8_t eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
		std::memcpy(f, eth, sizeof eth);
		std::uint8_t *ip = f + 14;
		ip[0] = 0x45;
		ip[3] = len - 14; // total length
		ip[8] = 64;       // TTL
		ip[9] = 17;       // UDP
		const std::uint8_t src[4] = {198, 51, 100, static_cast<std::uint8_t>(i)};
		const std::uint8_t dst[4] = {203, 0, 113, 1};
		std::memcpy(ip + 12, src, 4);
		std::memcpy(ip + 16, dst, 4);
		std::uint8_t *udp = ip + 20;
		unsigned sport = 1024 + i;
		udp[0] = static_cast<std::uint8_t>(sport >> 8);
		udp[1] = static_cast<std::uint8_t>(sport);
		udp[3] = 53;
		udp[5] = len - 14 - 20; // UDP length
	}
	for (unsigned i = 0; i < flows; ++i)
		out.push_back(rx_desc{&buf[i * len], len, 1 /* LINKTYPE_ETHERNET */, 0});
	return buf;
}

bool parse_options(int argc, char **argv, options &o)
{
	for (int i = 1; i < argc; ++i) {
		std::string a = argv[i];
		auto value = [&](std::uint64_t &v) {
			if (i + 1 >= argc)
				return false;
			char *end = nullptr;
			v = std::strtoull(argv[++i], &end, 10);
			return end != nullptr && *end == '\0';
		};
		std::uint64_t v = 0;
		if (a == "--rate" && value(v))
			o.rate = v;
		else if (a == "--frames" && value(v))
			o.frames = v;
		else if (a == "--ring" && value(v) && pktpath::ring_header::valid_capacity(static_cast<std::uint32_t>(v)))
			o.ring = static_cast<std::uint32_t>(v);
		else if (a == "--cpus" && value(v) && v >= 1 && v <= 64)
			o.cpus = static_cast<std::uint32_t>(v);
		else if (a == "--max-backlog" && value(v) && v < (1u << 30))
			o.max_backlog = static_cast<std::uint32_t>(v);
		else if (a == "--cost-ns" && value(v))
			o.cost_ns = v;
		else if (a == "--busy-poll")
			o.busy_poll = true;
		else if (a == "--top" && value(v))
			o.top = v;
		else if (a[0] != '-' && o.capture == nullptr)
			o.capture = argv[i];
		else
			return false;
	}
	return true;
}

// The NIC: offers `frames` frames at `rate` per second, in bursts; what the
// ring refuses is dropped (and counted by the ring).
void play(const options &o, const std::vector<rx_desc> &src, rx_queue &rx, table_type &table)
{
	const auto start = clock_type::now();
	std::uint64_t sent = 0;
	std::size_t at = 0;
	rx_desc burst[32];
	while (sent < o.frames) {
		std::uint64_t due = o.frames;
		if (o.rate != 0) {
			auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count();
			due = static_cast<std::uint64_t>(static_cast<double>(ns) * 1e-9 * static_cast<double>(o.rate));
			if (due > o.frames)
				due = o.frames;
			if (due == sent) {
				std::this_thread::sleep_for(std::chrono::microseconds(20));
				continue;
			}
		}
		while (sent < due) {
			unsigned n = due - sent < 32 ? static_cast<unsigned>(due - sent) : 32u;
			for (unsigned i = 0; i < n; ++i) {
				burst[i] = src[at];
				at = at + 1 == src.size() ? 0 : at + 1;
			}
			for (unsigned i = 0; i < n; ++i)
				table.add(burst[i].row, driver_path::nic, burst[i].len);
			// A burst enqueue takes a prefix; the rest is dropped (and counted by the ring).
			const unsigned taken = rx.ring.enqueue_burst(burst, n);
			for (unsigned i = 0; i < taken; ++i)
				table.add(burst[i].row, driver_path::rx_ring, burst[i].len);
			sent += n;
			rx.irq.raise();
		}
	}
}

} // namespace

int main(int argc, char **argv)
{
	options o;
	if (!parse_options(argc, argv, o)) {
		std::fprintf(stderr,
			     "usage: %s [--rate PPS] [--frames N] [--ring N] [--cpus N] [--max-backlog N]\n"
			     "       [--cost-ns N] [--busy-poll] [--top N] [capture.pcap|capture.pcapng]\n",
			     argv[0]);
		return 2;
	}

	// Frame source: a whole capture in memory (the reader's mapping stays
	// open), or synthetic frames.  Each distinct frame's table row is found
	// once here, as a NIC's flow director would classify it.
	std::vector<rx_desc> frames;
	pktpath::capture::reader reader;
	std::vector<std::uint8_t> synthetic;
	if (o.capture) {
		if (!reader.open(o.capture)) {
			std::fprintf(stderr, "%s: %s\n", o.capture, reader.err().message);
			return 1;
		}
		pktpath::capture::frame f;
		while (reader.next(f))
			frames.push_back(rx_desc{f.data, f.caplen, f.linktype, 0});
		if (reader.failed())
			std::fprintf(stderr, "%s: %s (playing the %zu frames before it)\n", o.capture,
				     reader.err().message, frames.size());
		if (frames.empty()) {
			std::fprintf(stderr, "%s: no frames\n", o.capture);
			return 1;
		}
	} else {
		synthetic = synthetic_frames(frames);
	}
	std::uint32_t capacity = 1024; // at most 3/4 full (table/image.h)
	while (capacity < frames.size() + frames.size() / 3)
		capacity *= 2;
	table_type table = table_type::create(capacity);
	if (!table.ok()) {
		std::fprintf(stderr, "counter table: %s\n", table.error_text());
		return 1;
	}
	for (rx_desc &d : frames) {
		pktpath::parsed<pktpath::flow_key> p = pktpath::parse_as<pktpath::flow_key>(d.data, d.len, d.linktype);
		d.row = p.has_key() ? table.row(p.key) : table.unclassified_row(p.st);
	}

	const auto mode = o.busy_poll ? pktpath::idle_mode::busy_poll : pktpath::idle_mode::sleep;

	// cpu0 polls the NIC; cpu1..N each poll their backlog.
	std::vector<std::unique_ptr<pktpath::poll_group<>>> groups;
	std::vector<std::unique_ptr<backlog_type>> backlogs;
	std::vector<backlog_type *> rps_cpus;
	for (std::uint32_t i = 0; i <= o.cpus; ++i)
		groups.push_back(std::make_unique<pktpath::poll_group<>>());
	for (std::uint32_t i = 0; i < o.cpus; ++i) {
		backlogs.push_back(std::make_unique<backlog_type>(
			deliver{&table, std::chrono::nanoseconds(o.cost_ns)}, o.max_backlog));
		if (!backlogs.back()->valid()) {
			std::fprintf(stderr, "cannot allocate a backlog of %u\n", o.max_backlog);
			return 1;
		}
		groups[i + 1]->add(backlogs.back()->as_napi());
		rps_cpus.push_back(backlogs.back().get());
	}
	pktpath::rps_map<backlog_type> rps(rps_cpus.data(), o.cpus);
	rx_queue rx(o.ring);
	rx.rps = &rps;
	rx.table = &table;
	groups[0]->add(rx.napi);

	std::printf("pktpath-driver: %" PRIu64 " frames from %s (%zu distinct) at %s, rx ring %u, %u RPS cpu(s), "
		    "max_backlog %u, cost %" PRIu64 " ns, idle %s\n",
		    o.frames, o.capture ? o.capture : "synthetic UDP flows", frames.size(),
		    o.rate ? (std::to_string(o.rate) + " pps").c_str() : "full speed", o.ring, o.cpus, o.max_backlog,
		    o.cost_ns, o.busy_poll ? "busy-poll" : "sleep");

	std::vector<std::thread> cpus;
	for (auto &g : groups)
		cpus.emplace_back([&g, mode] { g->run(mode); });
	const auto start = clock_type::now();
	play(o, frames, rx, table);

	// Wait until every offered frame is delivered or counted as dropped.
	auto backlog_drops = [&] {
		std::uint64_t n = 0;
		for (auto &b : backlogs)
			n += b->dropped();
		return n;
	};
	const auto deadline = clock_type::now() + std::chrono::seconds(30);
	bool settled = false;
	for (;;) {
		pktpath::table_snapshot now(table.view());
		settled = now.total(driver_path::deliver).packets + rx.ring.drops() + backlog_drops() ==
			  now.total(driver_path::nic).packets;
		if (settled || clock_type::now() >= deadline)
			break;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
	for (auto &g : groups)
		g->request_stop();
	for (auto &t : cpus)
		t.join();

	// Per stage, per flow: what arrived and where it was lost (the funnel
	// closes the text report); the rings' and backlogs' own drop counters
	// must agree with it.
	pktpath::table_snapshot snap(table.view());
	std::printf("\ndrops counted by the RX ring %" PRIu64 ", by the backlogs %" PRIu64 "\n\n", rx.ring.drops(),
		    backlog_drops());
	pktpath::export_options eo;
	eo.top_n = static_cast<std::size_t>(o.top);
	pktpath::export_snapshot(stdout, snap, pktpath::export_format::text, eo);

	std::printf("\n%-5s %10s %8s %12s %8s %8s %8s %8s %8s\n", "cpu", "processed", "dropped", "time_squeeze",
		    "budget", "time", "repolls", "polls", "rounds");
	for (std::size_t i = 0; i < groups.size(); ++i) {
		pktpath::softnet_stat s = groups[i]->stats();
		std::printf("cpu%-2zu %10" PRIu64 " %8" PRIu64 " %12" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
			    " %8" PRIu64 " %8" PRIu64 "\n",
			    i, s.processed, s.dropped, s.time_squeeze, s.budget_exhausted, s.time_exhausted, s.repolls,
			    s.polls, s.rounds);
	}
	std::printf("\nrx interrupts %" PRIu64 ", %.3f s, %.0f frames/s delivered\n", rx.irq.fired(), secs,
		    static_cast<double>(snap.total(driver_path::deliver).packets) / secs);
	if (!settled) {
		std::fprintf(stderr, "frames unaccounted for after 30 s\n");
		return 1;
	}
	return 0;
}
