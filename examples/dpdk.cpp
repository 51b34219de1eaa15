// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-dpdk: a DPDK application built from pktpath's pieces.  RX lcores
// poll the ports' queues with the NAPI-style budgeted loop of poll/ (weight,
// budget, time limit, softnet_stat), hand the mbufs over pktpath rings in
// DPDK memory to worker lcores, which classify them (dpdk/mbuf.hpp) and
// count every frame per flow at the stages it passed, in a stage table in
// DPDK memory, then transmit them back out of their port or free them:
//
//   rx -> ring -> worker -> tx
//                        `-> drop     (freed: no --tx, or the TX queue refused it)
//
// A frame the ring refuses is counted at rx only (dropped between rx and
// ring).  Workers count the frames they handle at all their stages at once,
// when their fate is known, so a snapshot never shows a frame between two
// stages it has both passed.
//
//   pktpath-dpdk [EAL options] -- [options]
//   pktpath-dpdk --no-huge -m 512 --no-pci --no-shconf --no-telemetry -l 0 --log-level=error
//       --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap -- --tx
//   pktpath-dpdk --proc-type=secondary --file-prefix P -l 1 -- --read   (while a primary runs)
//
// Exit status: 0 done; 1 EAL refused its arguments or could not start; 2 bad
// usage; 3 an output could not be written; 4 a port, the mbuf pool, the
// table or a ring could not be set up (--read: no table to attach to).
#include <pktpath/dpdk/mbuf.hpp>
#include <pktpath/dpdk/memzone.hpp>
#include <pktpath/poll/group.hpp>
#include <pktpath/poll/napi.hpp>
#include <pktpath/poll/rps.hpp>
#include <pktpath/replay/report.hpp>
#include <pktpath/ring/view.hpp>
#include <pktpath/table/export.hpp>
#include <pktpath/table/prometheus.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/version.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_version.h>

namespace {

using steady = std::chrono::steady_clock;
using pktpath::replay::frame_desc;

struct dpdk_path {
	enum : unsigned { rx, ring, worker, tx, drop };
	static constexpr pktpath::stage_def stages[] = {
		{"rx", pktpath::no_pred}, {"ring", rx}, {"worker", ring}, {"tx", worker}, {"drop", worker},
	};
};
using table_type = pktpath::stage_table<pktpath::flow_key, dpdk_path, pktpath::per_writer_counters>;
using mbuf_ring = pktpath::ring_view<rte_mbuf *>;

constexpr std::uint32_t rx_mask = 1u << dpdk_path::rx;
constexpr std::uint32_t tx_mask = rx_mask | 1u << dpdk_path::ring | 1u << dpdk_path::worker | 1u << dpdk_path::tx;
constexpr std::uint32_t drop_mask = (tx_mask & ~(1u << dpdk_path::tx)) | 1u << dpdk_path::drop;
constexpr std::uint16_t max_burst = 512;

enum exit_code { ok = 0, eal_failed = 1, usage = 2, output_failed = 3, setup_failed = 4 };
enum class out_format { text, json, csv };

struct options {
	std::uint32_t ring = 1024;
	std::uint16_t burst = 32;
	int weight = 64;
	int budget = 300;
	std::uint32_t time_limit_us = 2000;
	std::uint32_t rx_lcores = 1;
	std::uint16_t rxq = 1;
	std::uint16_t rxd = 1024, txd = 1024;
	std::uint32_t mbufs = 8191;
	bool tx = false;
	std::uint64_t worker_cost_ns = 0;
	std::uint64_t frames = 0;  // stop after this many; 0: no limit
	long idle_stop_ms = -1;    // -1: 100 when every port is net_pcap, else never
	double stats_interval = 1; // seconds; 0: no stats line
	std::uint32_t flows = 65536;
	unsigned parse_flags = 0;
	bool key_vlan = false;
	out_format fmt = out_format::text;
	std::size_t top = 10;
	bool top_set = false;
	const char *prom = nullptr;
	const char *name = "pktpath";
	bool read = false;
	std::uint32_t snapshots = 10;
	std::uint32_t interval_ms = 100;
};

const char usage_text[] =
	"usage: pktpath-dpdk [EAL options] -- [options]\n"
	"RX lcores poll the ports with a NAPI-style budgeted loop and hand frames over pktpath rings to worker\n"
	"lcores, which count every frame per flow at the stages rx, ring, worker, tx | drop.  The first lcore\n"
	"of -l receives; the others are workers (one lcore: it does both).\n"
	"\n"
	"  --tx                 send every frame back out of its port (net_pcap: to tx_pcap)\n"
	"  --ring N             slots of each RX -> worker ring, a power of two (1024)\n"
	"  --burst N            frames per rte_eth_rx_burst / ring burst, 1 to 512 (32)\n"
	"  --weight N           NAPI weight of every queue (64)\n"
	"  --budget N           frames per poll round of an lcore (300)\n"
	"  --time-limit US      microseconds per poll round (2000)\n"
	"  --rx-lcores N        lcores that receive (1); the rest are workers\n"
	"  --rxq N              RX queues per port, RSS when above 1 (1)\n"
	"  --rxd N, --txd N     descriptors per RX / TX queue (1024)\n"
	"  --mbufs N            mbuf pool size (8191; net_pcap infinite_rx: at least the file's frames + 4096)\n"
	"  --worker-cost NS     busy work per frame in the workers (0)\n"
	"  --frames N           stop after N frames received (0: no limit)\n"
	"  --idle-stop MS       stop after MS ms without a frame (default 100 if every port is net_pcap, else never)\n"
	"  --stats S            a stats line on stderr every S seconds (1; 0: none)\n"
	"  --flows N            flow table slots, a power of two (65536)\n"
	"  --vlan-key, --inner, --symmetric   what goes into the flow key (as pktpath-replay)\n"
	"  --json | --csv       report format on stdout (default: human)\n"
	"  --top N|all          flows listed (10)\n"
	"  --prom FILE          Prometheus textfile, written atomically\n"
	"  --name NAME          prefix of the table's and rings' memzones (pktpath)\n"
	"  --read               secondary process: print snapshots of the running primary's table, one JSON line each\n"
	"  --snapshots N        --read: how many (10)     --interval MS  between them (100)\n"
	"exit status: 0 ok, 1 EAL arguments or start, 2 usage, 3 output, 4 port, memory or table setup\n";

volatile std::sig_atomic_t interrupted = 0;
void on_signal(int)
{
	interrupted = 1;
}

int usage_error(const char *fmt, const char *arg)
{
	std::fprintf(stderr, "pktpath-dpdk: ");
	std::fprintf(stderr, fmt, arg);
	std::fprintf(stderr, "\n(pktpath-dpdk -- --help for the options, pktpath-dpdk --help for EAL's)\n");
	return usage;
}

bool parse_u64(const char *s, std::uint64_t min, std::uint64_t max, std::uint64_t &out)
{
	char *end = nullptr;
	if (s == nullptr || *s == '\0' || *s == '-')
		return false;
	errno = 0;
	const unsigned long long v = std::strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return false;
	out = v;
	return true;
}

bool power_of_two(std::uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

// The application's arguments (those after "--"); 0 when usable, else the exit status.
int parse_options(int argc, char **argv, options &o)
{
	struct numeric {
		const char *name;
		std::uint64_t min, max;
		bool pow2;
		const char *what;
	};
	for (int i = 0; i < argc; i++) {
		const std::string a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : nullptr;
		std::uint64_t n = 0;
		auto number = [&](std::uint64_t min, std::uint64_t max, bool pow2, const char *what) {
			if (!parse_u64(v, min, max, n) || (pow2 && !power_of_two(n)))
				return usage_error(what, a.c_str()) != 0 && false;
			++i;
			return true;
		};
		if (a == "-h" || a == "--help") {
			std::fputs(usage_text, stdout);
			std::exit(ok);
		} else if (a == "--version") {
			std::printf("pktpath-dpdk %s (%s)\n", PKTPATH_VERSION_STRING, rte_version());
			std::exit(ok);
		} else if (a == "--tx") {
			o.tx = true;
		} else if (a == "--ring") {
			if (!number(2, 1u << 24, true, "%s: a power of two from 2 to 16777216"))
				return usage;
			o.ring = static_cast<std::uint32_t>(n);
		} else if (a == "--burst") {
			if (!number(1, max_burst, false, "%s: 1 to 512"))
				return usage;
			o.burst = static_cast<std::uint16_t>(n);
		} else if (a == "--weight" || a == "--budget") {
			if (!number(1, 1u << 20, false, "%s: 1 to 1048576"))
				return usage;
			(a == "--weight" ? o.weight : o.budget) = static_cast<int>(n);
		} else if (a == "--time-limit") {
			if (!number(1, 10000000, false, "%s: 1 to 10000000 microseconds"))
				return usage;
			o.time_limit_us = static_cast<std::uint32_t>(n);
		} else if (a == "--rx-lcores") {
			if (!number(1, RTE_MAX_LCORE, false, "%s: a number of lcores"))
				return usage;
			o.rx_lcores = static_cast<std::uint32_t>(n);
		} else if (a == "--rxq") {
			if (!number(1, 1024, false, "%s: 1 to 1024"))
				return usage;
			o.rxq = static_cast<std::uint16_t>(n);
		} else if (a == "--rxd" || a == "--txd") {
			if (!number(32, 32768, false, "%s: 32 to 32768"))
				return usage;
			(a == "--rxd" ? o.rxd : o.txd) = static_cast<std::uint16_t>(n);
		} else if (a == "--mbufs") {
			if (!number(1024, 1u << 26, false, "%s: 1024 to 67108864"))
				return usage;
			o.mbufs = static_cast<std::uint32_t>(n);
		} else if (a == "--worker-cost") {
			if (!number(0, 1000000000, false, "%s: nanoseconds per frame"))
				return usage;
			o.worker_cost_ns = n;
		} else if (a == "--frames") {
			if (!number(0, ~std::uint64_t{0} >> 1, false, "%s: a number of frames"))
				return usage;
			o.frames = n;
		} else if (a == "--idle-stop") {
			if (!number(0, 86400000, false, "%s: milliseconds"))
				return usage;
			o.idle_stop_ms = static_cast<long>(n);
		} else if (a == "--stats") {
			if (!number(0, 86400, false, "%s: seconds"))
				return usage;
			o.stats_interval = static_cast<double>(n);
		} else if (a == "--flows") {
			if (!number(16, 1u << 28, true, "%s: a power of two from 16 to 268435456"))
				return usage;
			o.flows = static_cast<std::uint32_t>(n);
		} else if (a == "--snapshots" || a == "--interval") {
			if (!number(1, 1000000, false, "%s: 1 to 1000000"))
				return usage;
			(a == "--snapshots" ? o.snapshots : o.interval_ms) = static_cast<std::uint32_t>(n);
		} else if (a == "--vlan-key") {
			o.key_vlan = true;
		} else if (a == "--inner") {
			o.parse_flags |= PKTPATH_PARSE_INNER;
		} else if (a == "--symmetric") {
			o.parse_flags |= PKTPATH_PARSE_SYMMETRIC;
		} else if (a == "--json" || a == "--csv") {
			if (o.fmt != out_format::text)
				return usage_error("%s: one of --json and --csv", a.c_str());
			o.fmt = a == "--json" ? out_format::json : out_format::csv;
		} else if (a == "--top") {
			if (v != nullptr && std::strcmp(v, "all") == 0)
				o.top = static_cast<std::size_t>(-1);
			else if (!parse_u64(v, 0, 1u << 30, n))
				return usage_error("--top: a number or all, not '%s'", v ? v : "");
			else
				o.top = static_cast<std::size_t>(n);
			o.top_set = true;
			++i;
		} else if (a == "--prom" || a == "--name") {
			if (v == nullptr || *v == '\0')
				return usage_error("%s needs a value", a.c_str());
			(a == "--prom" ? o.prom : o.name) = v;
			++i;
		} else if (a == "--read") {
			o.read = true;
		} else {
			return usage_error("unknown option %s", a.c_str());
		}
	}
	if (std::strlen(o.name) > 16)
		return usage_error("--name: at most 16 characters, not '%s'", o.name);
	return 0;
}

// Busy work standing for a worker's own processing.
void spin(std::uint64_t ns)
{
	if (ns == 0)
		return;
	const steady::time_point until = steady::now() + std::chrono::nanoseconds(ns);
	while (steady::now() < until)
		pktpath::cpu_relax();
}

std::uint64_t load(const std::atomic<std::uint64_t> &a)
{
	return a.load(std::memory_order_acquire);
}

// A counter one lcore writes and others read.
void bump(std::atomic<std::uint64_t> &a, std::uint64_t n)
{
	a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_release);
}

struct app;
struct worker;

// One ring from an RX lcore to a worker, and the worker's NAPI queue on it.
struct link {
	pktpath::dpdk::shared_ring<mbuf_ring> mem;
	mbuf_ring *ring = nullptr;
	worker *w = nullptr;
	unsigned rx_lcore = 0;
	pktpath::napi napi;
	std::atomic<std::uint64_t> enqueued{0}; // by the RX lcore
	std::atomic<std::uint64_t> done{0};     // by the worker: counted and sent or freed
	std::atomic<std::uint64_t> tx{0}, freed{0};
	std::uint64_t peak = 0; // most slots in use seen by the RX lcore

	link(worker *wk, int weight) : w(wk), napi(*this, weight) {}
	int poll(int budget);
	void rearm()
	{
		if (!ring->empty())
			napi.schedule();
	}
};

// A worker lcore's share: the rings it drains, its table shard, its TX queue.
struct worker {
	app *a;
	unsigned lcore;
	unsigned shard;
	std::uint16_t txq;
	std::vector<link *> in;
	pktpath::dpdk::burst_counter<table_type> count;

	worker(app *ap, unsigned lc, unsigned sh, std::uint16_t q, table_type &t, const options &o);
};

// One port's RX queue, polled by an RX lcore.
struct rx_queue {
	app *a;
	std::uint16_t port, queue;
	unsigned shard;
	std::vector<link *> out; // one per worker, in worker order
	pktpath::napi napi;
	std::atomic<std::uint64_t> frames{0};
	std::atomic<bool> stopped{false}; // RX is off and this queue's last poll is over
	pktpath::dpdk::burst_counter<table_type> count;
	// Frames of one burst by worker: bins[w * max_burst ...], sized at set-up.
	std::vector<rte_mbuf *> bins;
	std::vector<std::uint16_t> fill;

	rx_queue(app *ap, std::uint16_t p, std::uint16_t q, unsigned sh, table_type &t, const options &o);
	int poll(int budget);
	void rearm();
};

// What runs on one lcore: its poll group and the queues in it.
struct lcore_ctx {
	unsigned id = 0;
	bool rx = false, work = false;
	std::unique_ptr<pktpath::poll_group<>> group;
	std::unique_ptr<worker> w;
	std::atomic<bool> launched{false}, finished{false}; // see lcore_main
};

struct port_info {
	std::uint16_t id;
	std::string name, driver;
	rte_eth_stats st{};
};

struct app {
	options o;
	std::vector<port_info> ports;
	rte_mempool *pool = nullptr;
	pktpath::dpdk::shared_table<table_type> table;
	std::vector<std::unique_ptr<lcore_ctx>> lcores; // in lcore order; [0] is the main lcore
	std::vector<std::unique_ptr<link>> links;
	std::vector<std::unique_ptr<rx_queue>> rxqs;
	std::atomic<bool> rx_enabled{true};
	std::atomic<std::uint64_t> rx_total{0}; // frames received by all RX queues, for --frames
	std::vector<worker *> workers;
	pktpath::toeplitz_hash rss;

	std::uint32_t nworkers() const { return static_cast<std::uint32_t>(workers.size()); }

	// The worker a frame goes to: by the NIC's RSS hash, else by Toeplitz
	// over its flow key, so a flow stays on one worker (and in order).
	std::uint32_t steer(const rte_mbuf *m) const
	{
		std::uint32_t h = 0;
		if (!pktpath::dpdk::nic_hash(m, h)) {
			pktpath_parse_result r;
			if (pktpath_status_has_key(
				    pktpath::dpdk::parse_mbuf(m, o.parse_flags | PKTPATH_PARSE_VLAN, r))) {
				if (!o.key_vlan)
					r.key.vlan = 0;
				pktpath::flow_key k;
				k.assign(r.key);
				h = rss(k);
			}
		}
		return pktpath::reciprocal_scale(h, nworkers());
	}
};

worker::worker(app *ap, unsigned lc, unsigned sh, std::uint16_t q, table_type &t, const options &o)
    : a(ap), lcore(lc), shard(sh), txq(q), count(t, {o.parse_flags, o.key_vlan, nullptr, false})
{
}

int link::poll(int budget)
{
	const options &o = w->a->o;
	rte_mbuf *pkts[max_burst];
	frame_desc d[max_burst];
	int work = 0;
	while (work < budget) {
		const std::uint32_t want = std::min<std::uint32_t>(o.burst, static_cast<std::uint32_t>(budget - work));
		const std::uint32_t n = ring->dequeue_burst(pkts, want);
		if (n == 0)
			break;
		w->count.classify(pkts, d, n);
		spin(o.worker_cost_ns * n);
		std::uint32_t sent = 0;
		if (o.tx) {
			// Runs of frames of one port go out of that port.
			for (std::uint32_t i = 0; i < n;) {
				std::uint32_t j = i + 1;
				while (j < n && pkts[j]->port == pkts[i]->port)
					j++;
				const std::uint16_t k = rte_eth_tx_burst(pkts[i]->port, w->txq, pkts + i,
									 static_cast<std::uint16_t>(j - i));
				w->count.add(d + i, k, tx_mask, w->shard);
				w->count.add(d + i + k, j - i - k, drop_mask, w->shard);
				rte_pktmbuf_free_bulk(pkts + i + k, j - i - k);
				sent += k;
				i = j;
			}
		} else {
			w->count.add(d, n, drop_mask, w->shard);
			rte_pktmbuf_free_bulk(pkts, n);
		}
		bump(tx, sent);
		bump(freed, n - sent);
		bump(done, n);
		work += static_cast<int>(n);
		if (n < want)
			break;
	}
	return work;
}

rx_queue::rx_queue(app *ap, std::uint16_t p, std::uint16_t q, unsigned sh, table_type &t, const options &o)
    : a(ap), port(p), queue(q), shard(sh), napi(*this, o.weight), count(t, {o.parse_flags, o.key_vlan, nullptr, false})
{
}

int rx_queue::poll(int budget)
{
	const options &o = a->o;
	rte_mbuf *pkts[max_burst];
	int work = 0;
	while (work < budget && a->rx_enabled.load(std::memory_order_relaxed)) {
		std::uint64_t want = std::min<std::uint64_t>(o.burst, static_cast<std::uint64_t>(budget - work));
		if (o.frames) {
			const std::uint64_t got = a->rx_total.load(std::memory_order_relaxed);
			if (got >= o.frames) {
				a->rx_enabled.store(false, std::memory_order_relaxed);
				break;
			}
			want = std::min(want, o.frames - got);
		}
		const std::uint16_t n = rte_eth_rx_burst(port, queue, pkts, static_cast<std::uint16_t>(want));
		if (n == 0)
			break;
		if (o.frames) // shared by the RX lcores: only when it is a limit
			a->rx_total.fetch_add(n, std::memory_order_relaxed);
		bump(frames, n);
		const std::uint32_t nw = static_cast<std::uint32_t>(out.size());
		if (nw == 1) {
			std::memcpy(bins.data(), pkts, n * sizeof(rte_mbuf *));
			fill[0] = n;
		} else {
			for (std::uint16_t i = 0; i < n; i++) {
				const std::uint32_t w = a->steer(pkts[i]);
				bins[w * max_burst + fill[w]++] = pkts[i];
			}
		}
		for (std::uint32_t w = 0; w < nw; w++) {
			if (fill[w] == 0)
				continue;
			link &l = *out[w];
			rte_mbuf **b = &bins[w * max_burst];
			const std::uint32_t k = l.ring->enqueue_burst(b, fill[w]);
			bump(l.enqueued, k);
			const std::uint64_t used = l.ring->size();
			l.peak = used > l.peak ? used : l.peak;
			if (k < fill[w]) { // the ring's own drop counter has them; the table gets them at rx
				count(rx_mask, b + k, fill[w] - k, shard);
				napi.count_dropped(fill[w] - k);
				rte_pktmbuf_free_bulk(b + k, fill[w] - k);
			}
			fill[w] = 0;
			if (k)
				l.napi.schedule(); // the worker's "interrupt"
		}
		work += n;
		if (n < want)
			break;
	}
	return work;
}

// Poll mode: the queue's interrupt is always asserted while receiving.  Once
// RX is off, the first completed poll says the queue is done: everything it
// enqueued and counted comes before that store.
void rx_queue::rearm()
{
	if (a->rx_enabled.load(std::memory_order_relaxed))
		napi.schedule();
	else
		stopped.store(true, std::memory_order_release);
}

// EAL's launch and wait synchronise the lcores, inside DPDK; the flag pair
// says so to a reader of this code (and to ThreadSanitizer, which does not
// see into an uninstrumented DPDK): set-up before the launch happens before
// the lcore's polls, and its last poll before the main lcore's teardown.
int lcore_main(void *arg)
{
	lcore_ctx &c = *static_cast<lcore_ctx *>(arg);
	while (!c.launched.load(std::memory_order_acquire))
		pktpath::cpu_relax();
	c.group->run(pktpath::idle_mode::busy_poll);
	c.finished.store(true, std::memory_order_release);
	return 0;
}

// ---- set-up ----------------------------------------------------------------

int setup_port(app &a, std::uint16_t port)
{
	const options &o = a.o;
	rte_eth_dev_info info;
	if (rte_eth_dev_info_get(port, &info) != 0)
		return std::fprintf(stderr, "pktpath-dpdk: port %u: no device info\n", port), setup_failed;
	if (o.rxq > info.max_rx_queues)
		return std::fprintf(stderr, "pktpath-dpdk: port %u (%s): --rxq %u, the device has %u RX queues\n", port,
				    info.driver_name, o.rxq, info.max_rx_queues),
		       setup_failed;
	// A TX queue per worker with --tx; one, unused, without (some devices need one).
	const std::uint16_t txq = o.tx ? static_cast<std::uint16_t>(a.nworkers()) : 1;
	if (txq > info.max_tx_queues)
		return std::fprintf(stderr, "pktpath-dpdk: port %u (%s): %u workers, the device has %u TX queues\n",
				    port, info.driver_name, txq, info.max_tx_queues),
		       setup_failed;
	rte_eth_conf conf{};
	if (o.rxq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	int rc = rte_eth_dev_configure(port, o.rxq, txq, &conf);
	const int socket = rte_eth_dev_socket_id(port);
	for (std::uint16_t q = 0; rc == 0 && q < o.rxq; q++)
		rc = rte_eth_rx_queue_setup(port, q, o.rxd, socket, nullptr, a.pool);
	for (std::uint16_t q = 0; rc == 0 && q < txq; q++)
		rc = rte_eth_tx_queue_setup(port, q, o.txd, socket, nullptr);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		return std::fprintf(stderr, "pktpath-dpdk: port %u (%s): %s\n", port, info.driver_name,
				    rte_strerror(-rc)),
		       setup_failed;
	rte_eth_promiscuous_enable(port); // not every device has it; frames to other MACs still count
	char name[RTE_ETH_NAME_MAX_LEN] = "";
	rte_eth_dev_get_name_by_port(port, name);
	a.ports.push_back(port_info{port, name, info.driver_name, {}});
	return ok;
}

// lcores, rings, queues and workers; 0 or the exit status.
int setup_lcores(app &a)
{
	const options &o = a.o;
	std::vector<unsigned> ids{rte_get_main_lcore()};
	unsigned id;
	RTE_LCORE_FOREACH_WORKER(id)
	ids.push_back(id);
	const bool alone = ids.size() == 1;
	if (!alone && o.rx_lcores >= ids.size())
		return std::fprintf(stderr,
				    "pktpath-dpdk: --rx-lcores %u leaves no worker among the %zu lcores of -l\n",
				    o.rx_lcores, ids.size()),
		       usage;
	if (alone && o.rx_lcores > 1)
		return usage_error("--rx-lcores %s: needs more lcores (-l)", std::to_string(o.rx_lcores).c_str());
	table_type &t = a.table.table();
	for (unsigned i = 0; i < ids.size(); i++) {
		auto c = std::make_unique<lcore_ctx>();
		c->id = ids[i];
		c->rx = alone || i < o.rx_lcores;
		c->work = alone || i >= o.rx_lcores;
		c->group = std::make_unique<pktpath::poll_group<>>(
			pktpath::poll_config{o.budget, std::chrono::microseconds(o.time_limit_us)});
		if (c->work) {
			c->w = std::make_unique<worker>(&a, ids[i], i, static_cast<std::uint16_t>(a.workers.size()), t,
							o);
			a.workers.push_back(c->w.get());
		}
		a.lcores.push_back(std::move(c));
	}
	// A ring from every RX lcore to every worker.
	for (const auto &rc : a.lcores) {
		if (!rc->rx)
			continue;
		for (worker *w : a.workers) {
			auto l = std::make_unique<link>(w, o.weight);
			const std::string name = std::string(a.o.name) + "_ring_" + std::to_string(rc->id) + "_" +
						 std::to_string(w->lcore);
			l->mem = pktpath::dpdk::shared_ring<mbuf_ring>::create(name.c_str(), o.ring);
			if (!l->mem.ok())
				return std::fprintf(stderr, "pktpath-dpdk: ring %s: %s\n", name.c_str(),
						    rte_strerror(l->mem.memzone_error())),
				       setup_failed;
			l->ring = &l->mem.ring();
			l->rx_lcore = rc->id;
			w->in.push_back(l.get());
			for (const auto &wc : a.lcores)
				if (wc->w.get() == w)
					wc->group->add(l->napi);
			a.links.push_back(std::move(l));
		}
	}
	return ok;
}

// Every port's RX queues, spread over the RX lcores.
void setup_rx_queues(app &a)
{
	std::vector<unsigned> rx; // indices into a.lcores, also the table shards
	for (unsigned i = 0; i < a.lcores.size(); i++)
		if (a.lcores[i]->rx)
			rx.push_back(i);
	unsigned next = 0;
	for (const port_info &p : a.ports)
		for (std::uint16_t q = 0; q < a.o.rxq; q++) {
			const unsigned i = rx[next++ % rx.size()];
			lcore_ctx &c = *a.lcores[i];
			auto r = std::make_unique<rx_queue>(&a, p.id, q, i, a.table.table(), a.o);
			for (const auto &l : a.links)
				if (l->rx_lcore == c.id)
					r->out.push_back(l.get());
			r->bins.resize(std::size_t{max_burst} * r->out.size());
			r->fill.assign(r->out.size(), 0);
			c.group->add(r->napi);
			a.rxqs.push_back(std::move(r));
		}
}

// ---- reports ---------------------------------------------------------------

struct run_result {
	pktpath::table_snapshot snap;
	double wall = 0;
	std::uint64_t frames = 0, ring_drops = 0, worker_freed = 0, tx = 0;
};

const char *drop_reason(unsigned to)
{
	switch (to) {
	case dpdk_path::ring:
		return "ring to the worker full (the ring's drop counter)";
	case dpdk_path::worker:
		return "left in a ring";
	case dpdk_path::tx:
		return "left in a worker";
	default:
		return "not modelled";
	}
}

std::uint64_t status_counts(const pktpath::table_snapshot &s, std::uint64_t (&by)[PKTPATH_STATUS_COUNT])
{
	std::uint64_t sum = 0;
	for (unsigned st = 0; st < PKTPATH_STATUS_COUNT; st++) {
		by[st] = st < s.status_count() ? s.unclassified(st, dpdk_path::rx).packets : 0;
		sum += by[st];
	}
	return sum;
}

std::size_t rx_lcores(const app &a)
{
	std::size_t n = 0;
	for (const auto &c : a.lcores)
		n += c->rx ? 1 : 0;
	return n;
}

const char *role(const lcore_ctx &c)
{
	return c.rx && c.work ? "rx+worker" : c.rx ? "rx" : "worker";
}

std::string report_json(const app &a, const run_result &r)
{
	using pktpath::replay::detail::appendf;
	using pktpath::replay::detail::json_str;
	const options &o = a.o;
	const pktpath::table_snapshot &s = r.snap;
	std::uint64_t by_status[PKTPATH_STATUS_COUNT];
	const std::uint64_t unclassified = status_counts(s, by_status);
	const std::vector<pktpath::replay::drop_site> drops = pktpath::replay::drop_sites(s, drop_reason);
	std::string j = "{\"schema\":\"pktpath-dpdk/1\",\"version\":\"" PKTPATH_VERSION_STRING "\",\"dpdk\":";
	j += json_str(rte_version()) + ",\"ports\":[";
	for (std::size_t i = 0; i < a.ports.size(); i++) {
		const port_info &p = a.ports[i];
		appendf(j, "%s{\"port\":%u,\"name\":", i ? "," : "", p.id);
		j += json_str(p.name) + ",\"driver\":" + json_str(p.driver);
		appendf(j,
			",\"ipackets\":%llu,\"ibytes\":%llu,\"imissed\":%llu,\"ierrors\":%llu,\"rx_nombuf\":%llu,"
			"\"opackets\":%llu,\"obytes\":%llu,\"oerrors\":%llu}",
			static_cast<unsigned long long>(p.st.ipackets), static_cast<unsigned long long>(p.st.ibytes),
			static_cast<unsigned long long>(p.st.imissed), static_cast<unsigned long long>(p.st.ierrors),
			static_cast<unsigned long long>(p.st.rx_nombuf), static_cast<unsigned long long>(p.st.opackets),
			static_cast<unsigned long long>(p.st.obytes), static_cast<unsigned long long>(p.st.oerrors));
	}
	appendf(j,
		"],\"config\":{\"lcores\":%zu,\"rx_lcores\":%zu,\"workers\":%u,\"rx_queues\":%u,\"ring\":%u,"
		"\"burst\":%u,\"weight\":%d,\"budget\":%d,\"time_limit_us\":%u,\"mbufs\":%u,\"tx\":%s,"
		"\"worker_cost_ns\":%llu}",
		a.lcores.size(), rx_lcores(a), a.nworkers(), o.rxq, o.ring, o.burst, o.weight, o.budget,
		o.time_limit_us, o.mbufs, o.tx ? "true" : "false", static_cast<unsigned long long>(o.worker_cost_ns));
	appendf(j, ",\"keys\":{\"vlan\":%s,\"inner\":%s,\"symmetric\":%s}", o.key_vlan ? "true" : "false",
		(o.parse_flags & PKTPATH_PARSE_INNER) ? "true" : "false",
		(o.parse_flags & PKTPATH_PARSE_SYMMETRIC) ? "true" : "false");
	const pktpath_counter rx = s.total(dpdk_path::rx);
	appendf(j,
		",\"totals\":{\"frames\":%llu,\"bytes\":%llu,\"flows\":%llu,\"tx\":%llu,\"ring_dropped\":%llu,"
		"\"worker_freed\":%llu,\"unclassified\":%llu,\"overflow\":%llu}",
		static_cast<unsigned long long>(rx.packets), static_cast<unsigned long long>(rx.bytes),
		static_cast<unsigned long long>(s.flow_count()),
		static_cast<unsigned long long>(s.total(dpdk_path::tx).packets),
		static_cast<unsigned long long>(rx.packets - s.total(dpdk_path::ring).packets),
		static_cast<unsigned long long>(s.total(dpdk_path::drop).packets),
		static_cast<unsigned long long>(unclassified),
		static_cast<unsigned long long>(s.overflow(dpdk_path::rx).packets));
	j += ",\"drops\":";
	pktpath::replay::detail::append_json_drops(j, s, drops);
	j += ",\"unclassified\":";
	pktpath::replay::detail::append_json_statuses(j, by_status);
	j += ",\"rings\":[";
	for (std::size_t i = 0; i < a.links.size(); i++) {
		const link &l = *a.links[i];
		appendf(j,
			"%s{\"rx_lcore\":%u,\"worker_lcore\":%u,\"size\":%u,\"enqueued\":%llu,\"drops\":%llu,"
			"\"peak\":%llu,\"tx\":%llu,\"freed\":%llu}",
			i ? "," : "", l.rx_lcore, l.w->lcore, l.ring->capacity(),
			static_cast<unsigned long long>(load(l.enqueued)),
			static_cast<unsigned long long>(l.ring->drops()), static_cast<unsigned long long>(l.peak),
			static_cast<unsigned long long>(load(l.tx)), static_cast<unsigned long long>(load(l.freed)));
	}
	j += "],\"softnet\":[";
	for (std::size_t i = 0; i < a.lcores.size(); i++) {
		const lcore_ctx &c = *a.lcores[i];
		const pktpath::softnet_stat st = c.group->stats();
		appendf(j,
			"%s{\"lcore\":%u,\"role\":\"%s\",\"processed\":%llu,\"dropped\":%llu,\"time_squeeze\":%llu,"
			"\"budget_exhausted\":%llu,\"time_exhausted\":%llu,\"polls\":%llu,\"rounds\":%llu}",
			i ? "," : "", c.id, role(c), static_cast<unsigned long long>(st.processed),
			static_cast<unsigned long long>(st.dropped), static_cast<unsigned long long>(st.time_squeeze),
			static_cast<unsigned long long>(st.budget_exhausted),
			static_cast<unsigned long long>(st.time_exhausted), static_cast<unsigned long long>(st.polls),
			static_cast<unsigned long long>(st.rounds));
	}
	appendf(j, "],\"run\":{\"wall_seconds\":%.6f,\"frames_per_second\":%.0f}", r.wall,
		r.wall > 0 ? static_cast<double>(r.frames) / r.wall : 0.0);
	pktpath::export_options eo;
	eo.top_n = o.top;
	std::string t = pktpath::export_json(s, eo);
	while (!t.empty() && t.back() == '\n')
		t.pop_back();
	j += ",\"table\":" + t + "}\n";
	return j;
}

std::string report_text(const app &a, const run_result &r)
{
	using pktpath::replay::detail::appendf;
	using pktpath::replay::detail::si;
	const options &o = a.o;
	const pktpath::table_snapshot &s = r.snap;
	std::uint64_t by_status[PKTPATH_STATUS_COUNT];
	status_counts(s, by_status);
	std::string t;
	appendf(t, "pktpath-dpdk %s, %s, %zu lcore%s, %u worker%s\n", PKTPATH_VERSION_STRING, rte_version(),
		a.lcores.size(), a.lcores.size() == 1 ? "" : "s", a.nworkers(), a.nworkers() == 1 ? "" : "s");
	for (const port_info &p : a.ports)
		appendf(t,
			"  port     %u %s (%s): ipackets %llu, imissed %llu, rx_nombuf %llu, ierrors %llu, opackets %llu, "
			"oerrors %llu\n",
			p.id, p.name.c_str(), p.driver.c_str(), static_cast<unsigned long long>(p.st.ipackets),
			static_cast<unsigned long long>(p.st.imissed), static_cast<unsigned long long>(p.st.rx_nombuf),
			static_cast<unsigned long long>(p.st.ierrors), static_cast<unsigned long long>(p.st.opackets),
			static_cast<unsigned long long>(p.st.oerrors));
	appendf(t,
		"  config   %u RX queue%s per port, ring %u per RX lcore and worker, burst %u, weight %d, budget %d, "
		"time limit %u us, %u mbufs, tx %s\n",
		o.rxq, o.rxq == 1 ? "" : "s", o.ring, o.burst, o.weight, o.budget, o.time_limit_us, o.mbufs,
		o.tx ? "on" : "off");
	const pktpath_counter rx = s.total(dpdk_path::rx);
	appendf(t, "\ntotals     %llu frames, %sB, %llu flows\n", static_cast<unsigned long long>(rx.packets),
		si(static_cast<double>(rx.bytes)).c_str(), static_cast<unsigned long long>(s.flow_count()));
	appendf(t, "run        %.3f s of wall time (%sframes/s)\n", r.wall,
		si(r.wall > 0 ? static_cast<double>(r.frames) / r.wall : 0).c_str());
	appendf(t, "outcome    tx %llu, dropped at the ring %llu, freed by the workers %llu\n",
		static_cast<unsigned long long>(s.total(dpdk_path::tx).packets),
		static_cast<unsigned long long>(rx.packets - s.total(dpdk_path::ring).packets),
		static_cast<unsigned long long>(s.total(dpdk_path::drop).packets));
	pktpath::replay::detail::append_text_drops(t, pktpath::replay::drop_sites(s, drop_reason), "dropped at");
	pktpath::replay::detail::append_text_statuses(t, by_status);
	if (s.overflow(dpdk_path::rx).packets)
		appendf(t, "warning    the table was full: %llu frames counted as \"overflow\" (raise --flows)\n",
			static_cast<unsigned long long>(s.overflow(dpdk_path::rx).packets));
	t += "\nrings      rx_lcore  worker_lcore      size    enqueued     drops      peak\n";
	for (const auto &l : a.links)
		appendf(t, "           %8u  %12u %9u %11llu %9llu %9llu\n", l->rx_lcore, l->w->lcore,
			l->ring->capacity(), static_cast<unsigned long long>(load(l->enqueued)),
			static_cast<unsigned long long>(l->ring->drops()), static_cast<unsigned long long>(l->peak));
	t += "softnet    lcore  role        processed    dropped  time_squeeze (budget/time)      polls     rounds\n";
	for (const auto &c : a.lcores) {
		const pktpath::softnet_stat st = c->group->stats();
		appendf(t, "           %5u  %-9s %11llu %10llu  %12llu %6llu/%-6llu %10llu %10llu\n", c->id, role(*c),
			static_cast<unsigned long long>(st.processed), static_cast<unsigned long long>(st.dropped),
			static_cast<unsigned long long>(st.time_squeeze),
			static_cast<unsigned long long>(st.budget_exhausted),
			static_cast<unsigned long long>(st.time_exhausted), static_cast<unsigned long long>(st.polls),
			static_cast<unsigned long long>(st.rounds));
	}
	pktpath::replay::detail::append_text_top(t, s, o.top, "at rx");
	return t;
}

// The table's long-format CSV, as pktpath-replay's.
std::string report_csv(const app &a, const run_result &r)
{
	return pktpath::replay::detail::table_csv(r.snap, a.o.top);
}

std::string report_prometheus(const app &a, const run_result &r)
{
	pktpath::export_options eo;
	eo.top_n = a.o.top;
	eo.prefix = "pktpath_dpdk";
	pktpath::prometheus_writer w(eo.prefix);
	pktpath::write_prometheus(w, r.snap, eo);
	struct col {
		const char *name, *help;
		std::uint64_t rte_eth_stats::*field;
	};
	const col cols[] = {
		{"_port_ipackets_total", "Frames the port received (rte_eth_stats ipackets).",
		 &rte_eth_stats::ipackets},
		{"_port_imissed_total", "Frames the port dropped for lack of RX descriptors (imissed).",
		 &rte_eth_stats::imissed},
		{"_port_rx_nombuf_total", "Frames lost for lack of mbufs (rx_nombuf).", &rte_eth_stats::rx_nombuf},
		{"_port_opackets_total", "Frames the port sent (opackets).", &rte_eth_stats::opackets},
	};
	for (const col &c : cols) {
		w.family(c.name, "counter", c.help);
		for (const port_info &p : a.ports)
			w.sample(c.name, {{"port", std::to_string(p.id)}}, p.st.*c.field);
	}
	w.family("_ring_drops_total", "counter", "Frames an RX -> worker ring refused (its drop counter).");
	for (const auto &l : a.links)
		w.sample("_ring_drops_total",
			 {{"rx_lcore", std::to_string(l->rx_lcore)}, {"worker_lcore", std::to_string(l->w->lcore)}},
			 l->ring->drops());
	w.family("_softnet_processed_total", "counter", "Frames each lcore's poll loop processed.");
	for (const auto &c : a.lcores)
		w.sample("_softnet_processed_total", {{"lcore", std::to_string(c->id)}}, c->group->stats().processed);
	w.family("_softnet_times_squeezed_total", "counter", "Poll rounds that ran out of budget or time.");
	for (const auto &c : a.lcores)
		w.sample("_softnet_times_squeezed_total", {{"lcore", std::to_string(c->id)}},
			 c->group->stats().time_squeeze);
	return w.take();
}

// ---- running ---------------------------------------------------------------

struct totals {
	std::uint64_t rx = 0, done = 0, enqueued = 0, ring_drops = 0, tx = 0, freed = 0, squeeze = 0;
};

totals read_totals(const app &a)
{
	totals t;
	for (const auto &q : a.rxqs)
		t.rx += load(q->frames);
	for (const auto &l : a.links) {
		t.done += load(l->done);
		t.enqueued += load(l->enqueued);
		t.ring_drops += l->ring->drops();
		t.tx += load(l->tx);
		t.freed += load(l->freed);
	}
	for (const auto &c : a.lcores)
		t.squeeze += c->group->stats().time_squeeze;
	return t;
}

bool all_pcap(const app &a)
{
	for (const port_info &p : a.ports)
		if (p.driver != "net_pcap")
			return false;
	return !a.ports.empty();
}

// Receives until a signal, --frames or --idle-stop, then lets the workers
// finish every frame in the rings.  Returns the wall time in seconds.
double run(app &a)
{
	const options &o = a.o;
	lcore_ctx &main = *a.lcores[0];
	for (std::size_t i = 1; i < a.lcores.size(); i++) {
		a.lcores[i]->launched.store(true, std::memory_order_release);
		rte_eal_remote_launch(lcore_main, a.lcores[i].get(), a.lcores[i]->id);
	}
	for (const auto &q : a.rxqs)
		q->napi.schedule();
	const long idle_ms = o.idle_stop_ms >= 0 ? o.idle_stop_ms : all_pcap(a) ? 100 : 0;
	const steady::time_point start = steady::now();
	steady::time_point last_change = start, last_stats = start;
	totals prev;
	std::uint64_t rounds = 0, stats_rx = 0;
	bool draining = false, by_idle = false;
	for (;;) {
		main.group->poll_round();
		if ((++rounds & 63) != 0)
			continue;
		const steady::time_point now = steady::now();
		const totals t = read_totals(a);
		if (!draining) {
			if (t.rx != prev.rx)
				last_change = now;
			by_idle = idle_ms > 0 && now - last_change > std::chrono::milliseconds(idle_ms);
			if (interrupted || by_idle || (o.frames && t.rx >= o.frames)) {
				a.rx_enabled.store(false, std::memory_order_relaxed);
				draining = true;
			}
		} else {
			// Drained when every RX queue has stopped and the workers
			// have done every frame enqueued.
			bool rx_idle = true;
			for (const auto &q : a.rxqs)
				rx_idle = rx_idle && q->stopped.load(std::memory_order_acquire);
			const totals end = read_totals(a);
			if (rx_idle && end.done == end.enqueued)
				break;
		}
		if (o.stats_interval > 0 && now - last_stats >= std::chrono::duration<double>(o.stats_interval)) {
			const double dt = std::chrono::duration<double>(now - last_stats).count();
			std::fprintf(
				stderr,
				"pktpath-dpdk: rx %llu (%.3f Mpps), ring drops %llu, worker done %llu, tx %llu, "
				"freed %llu, time_squeeze %llu\n",
				static_cast<unsigned long long>(t.rx), static_cast<double>(t.rx - stats_rx) / dt / 1e6,
				static_cast<unsigned long long>(t.ring_drops), static_cast<unsigned long long>(t.done),
				static_cast<unsigned long long>(t.tx), static_cast<unsigned long long>(t.freed),
				static_cast<unsigned long long>(t.squeeze));
			last_stats = now;
			stats_rx = t.rx;
		}
		prev = t;
	}
	// Stopped for idleness: the run ended with the last frame.
	const double wall = std::chrono::duration<double>((by_idle ? last_change : steady::now()) - start).count();
	for (std::size_t i = 1; i < a.lcores.size(); i++)
		a.lcores[i]->group->request_stop();
	rte_eal_mp_wait_lcore();
	for (std::size_t i = 1; i < a.lcores.size(); i++)
		while (!a.lcores[i]->finished.load(std::memory_order_acquire))
			pktpath::cpu_relax();
	return wall;
}

// --read: snapshots of the primary's table, one JSON line each.
int read_snapshots(const options &o)
{
	auto t = pktpath::dpdk::shared_table<table_type>::attach((std::string(o.name) + "_table").c_str());
	if (!t.ok())
		return std::fprintf(stderr, "pktpath-dpdk: --read: table %s_table: %s\n", o.name, t.error_text()),
		       setup_failed;
	pktpath::export_options eo;
	eo.top_n = o.top_set ? o.top : 0; // a line per snapshot: no flows unless asked
	for (std::uint32_t i = 0; i < o.snapshots; i++) {
		if (i)
			std::this_thread::sleep_for(std::chrono::milliseconds(o.interval_ms));
		std::string j = pktpath::export_json(pktpath::table_snapshot(t.table().view()), eo);
		std::string line;
		for (char c : j)
			if (c != '\n')
				line += c;
		line += '\n';
		if (std::fputs(line.c_str(), stdout) < 0 || std::fflush(stdout) != 0)
			return output_failed;
	}
	return ok;
}

// Removes this process's EAL runtime directory (and its parent when empty):
// a primary leaves nothing behind.
void remove_runtime_dir(const std::string &dir)
{
	if (DIR *d = ::opendir(dir.c_str())) {
		while (const dirent *e = ::readdir(d))
			if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
				::unlink((dir + "/" + e->d_name).c_str());
		::closedir(d);
	}
	::rmdir(dir.c_str());
	const std::size_t slash = dir.rfind('/');
	if (slash != std::string::npos && slash > 0)
		::rmdir(dir.substr(0, slash).c_str()); // fails, harmlessly, while others use it
}

// Sets up the ports, lcores, rings and table, runs, and reports; the exit status.
int run_primary(app &a)
{
	const options &o = a.o;
	if (rte_eth_dev_count_avail() == 0)
		return std::fprintf(stderr, "pktpath-dpdk: no port (a device that failed to "
					    "start is named above): give one, e.g. "
					    "--vdev=net_pcap0,rx_pcap=FILE.pcap\n"),
		       setup_failed;
	pktpath::table_options to;
	to.shards = rte_lcore_count();
	a.table =
		pktpath::dpdk::shared_table<table_type>::create((std::string(o.name) + "_table").c_str(), o.flows, to);
	if (!a.table.ok())
		return std::fprintf(stderr, "pktpath-dpdk: flow table: %s\n", a.table.error_text()), setup_failed;
	if (int r = setup_lcores(a))
		return r;
	a.pool = rte_pktmbuf_pool_create((std::string(o.name) + "_mbufs").c_str(), o.mbufs, o.mbufs >= 4096 ? 256 : 0,
					 0, RTE_MBUF_DEFAULT_BUF_SIZE, static_cast<int>(rte_socket_id()));
	if (a.pool == nullptr)
		return std::fprintf(stderr, "pktpath-dpdk: mbuf pool of %u: %s\n", o.mbufs, rte_strerror(rte_errno)),
		       setup_failed;
	std::uint16_t port;
	RTE_ETH_FOREACH_DEV(port)
	if (int r = setup_port(a, port))
		return r;
	setup_rx_queues(a);
	run_result res;
	res.wall = run(a);
	for (port_info &p : a.ports)
		rte_eth_stats_get(p.id, &p.st);
	res.snap = pktpath::table_snapshot(a.table.table().view());
	res.frames = read_totals(a).rx;
	int out = ok;
	if (o.prom) {
		char why[256];
		if (!pktpath::replay::write_file_atomically(o.prom, report_prometheus(a, res), why, sizeof why)) {
			std::fprintf(stderr, "pktpath-dpdk: --prom: %s\n", why);
			out = output_failed;
		}
	}
	const std::string text = o.fmt == out_format::json  ? report_json(a, res)
				 : o.fmt == out_format::csv ? report_csv(a, res)
							    : report_text(a, res);
	if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
		std::fprintf(stderr, "pktpath-dpdk: cannot write the report: %s\n", std::strerror(errno));
		out = output_failed;
	}
	return out;
}

} // namespace

int main(int argc, char **argv)
{
	int split = argc;
	for (int i = 1; i < argc; i++)
		if (std::strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	app a;
	if (split < argc) {
		if (int rc = parse_options(argc - split - 1, argv + split + 1, a.o))
			return rc;
	}
	const options &o = a.o;
	if (rte_eal_init(split, argv) < 0) {
		std::fprintf(stderr, "pktpath-dpdk: EAL: %s (pktpath-dpdk --help for EAL's options)\n",
			     rte_strerror(rte_errno));
		return eal_failed;
	}
	const std::string runtime_dir = rte_eal_get_runtime_dir();
	const bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	int rc = ok;
	if (o.read) {
		rc = read_snapshots(o);
	} else if (!primary) {
		rc = usage_error("%s", "a secondary process only reads: give --read");
	} else {
		std::signal(SIGINT, on_signal);
		std::signal(SIGTERM, on_signal);
		rc = run_primary(a);
	}
	for (const port_info &p : a.ports) {
		rte_eth_dev_stop(p.id);
		rte_eth_dev_close(p.id);
	}
	a.rxqs.clear();
	a.links.clear();
	a.lcores.clear();
	a.table = {};
	if (a.pool)
		rte_mempool_free(a.pool);
	rte_eal_cleanup();
	if (primary)
		remove_runtime_dir(runtime_dir);
	return rc;
}
