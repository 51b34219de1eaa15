// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-live: counts a live interface per flow and per stage
// (kernel_ring, poll, classify, deliver | unclassified) over the kernel's
// AF_PACKET TPACKET_V3 ring, drained by the library's NAPI-style poll loop,
// with the kernel's own ring drops (tp_drops) as the loss before the first
// stage.  The reports are pktpath-replay's: text, --json, --csv, --prom.
//
//   pktpath-live [options] IFACE
//
// Options: --help.  Needs CAP_NET_RAW.  Ends after --duration, --count
// frames, or at SIGINT/SIGTERM, with the final report.  Exit status: 0 ok;
// 1 the interface could not be opened (no CAP_NET_RAW, no such interface,
// ring refused); 2 bad usage; 3 an output could not be written.
#include <pktpath/capture/writer.hpp>
#include <pktpath/live/engine.hpp>
#include <pktpath/live/packet_ring.hpp>
#include <pktpath/live/report.hpp>
#include <pktpath/replay/filter.hpp>
#include <pktpath/replay/report.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/version.h>

#include "replay_options.hpp" // the options the two tools share

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using namespace pktpath::live;
using pktpath_replay_cli::out_format;
using pktpath_replay_cli::parse_u64;
using steady = std::chrono::steady_clock;

struct options {
	std::string iface;
	ring_config ring;
	poll_knobs k;
	unsigned workers = 1;
	const char *fanout = nullptr; // default: hash with several workers
	int fanout_group = -1;
	unsigned parse_flags = 0;
	bool key_vlan = false;
	pktpath::replay::flow_filter filter;
	std::vector<sock_filter> bpf;
	out_format fmt = out_format::text;
	std::size_t top = 10;
	std::uint32_t flows = 65536;
	const char *prom = nullptr;
	const char *write = nullptr;
	double duration = 0; // seconds; 0: until a signal
	std::uint64_t count = 0;
	double interval = 0;
};

const char usage_text[] =
	"usage: pktpath-live [options] IFACE\n"
	"Counts the frames an interface receives per flow and per stage (kernel_ring, poll, classify,\n"
	"deliver | unclassified) over an AF_PACKET TPACKET_V3 ring drained by a NAPI-style budgeted poll\n"
	"loop; the kernel's ring drops (tp_drops) are the loss before the first stage.  Needs CAP_NET_RAW.\n"
	"\n"
	"ring\n"
	"  --block-size B       bytes per block, a power of two (1048576)\n"
	"  --blocks N           blocks (64)\n"
	"  --frame-size B       tp_frame_size (2048)\n"
	"  --block-timeout MS   a block not yet full is handed over after this (10)\n"
	"  --outgoing           also the frames the host sends\n"
	"workers\n"
	"  --workers N          sockets and threads, joined in a PACKET_FANOUT group (1)\n"
	"  --fanout MODE        hash (a flow stays on one worker; the default), lb, cpu, random, qm\n"
	"  --fanout-group ID    the group id, 0 to 65535 (from the process id)\n"
	"poll loop (defaults: Linux's)\n"
	"  --weight N  --budget N  --time-limit US    per poll, per round, per round (64, 300, 2000)\n"
	"  --cost NS            busy work per frame: a deliberately slow consumer (0)\n"
	"filter (frames not matching the flow filter are polled, not counted)\n"
	"  --bpf-file FILE      classic BPF run by the kernel, as `tcpdump -ddd EXPR` prints it\n"
	"  --proto P  --host A[/LEN]  --src A[/LEN]  --dst A[/LEN]  --port N  --sport N  --dport N  --vlan ID\n"
	"  --vlan-key  --inner  --symmetric           flow keys as pktpath-replay's\n"
	"end (else at SIGINT or SIGTERM)\n"
	"  --duration S         seconds\n"
	"  --count N            after N counted frames\n"
	"output\n"
	"  --json | --csv       report format on stdout (default: human)\n"
	"  --interval S         a report of each interval's deltas every S seconds\n"
	"  --top N|all          flows listed (10)\n"
	"  --prom FILE          Prometheus textfile, written atomically at the end\n"
	"  --write FILE         the counted frames as a pcap\n"
	"  --flows N            flow table slots (65536)\n"
	"exit status: 0 ok, 1 the interface could not be opened, 2 usage, 3 an output could not be written\n";

int usage_error(const char *fmt, const char *arg)
{
	return pktpath_replay_cli::usage_error_of("pktpath-live", fmt, arg);
}

bool parse_seconds(const char *s, double &out)
{
	char *end = nullptr;
	if (s == nullptr || *s == '\0')
		return false;
	const double v = std::strtod(s, &end);
	if (*end != '\0' || !(v > 0) || v > 1e7)
		return false;
	out = v;
	return true;
}

// `tcpdump -ddd EXPR`: the instruction count, then "code jt jf k" per line.
bool read_bpf(const char *path, std::vector<sock_filter> &out, char *why, std::size_t why_len)
{
	std::FILE *f = std::fopen(path, "r");
	if (f == nullptr) {
		std::snprintf(why, why_len, "--bpf-file %s: %s", path, std::strerror(errno));
		return false;
	}
	unsigned n = 0;
	bool ok = std::fscanf(f, "%u", &n) == 1 && n >= 1 && n <= BPF_MAXINSNS;
	for (unsigned i = 0; ok && i < n; i++) {
		unsigned code, jt, jf, k;
		ok = std::fscanf(f, "%u %u %u %u", &code, &jt, &jf, &k) == 4 && code <= 0xffff && jt <= 0xff &&
		     jf <= 0xff;
		if (ok)
			out.push_back(sock_filter{static_cast<std::uint16_t>(code), static_cast<std::uint8_t>(jt),
						  static_cast<std::uint8_t>(jf), k});
	}
	std::fclose(f);
	if (!ok)
		std::snprintf(why, why_len, "--bpf-file %s: not a program as `tcpdump -ddd` prints it", path);
	return ok;
}

bool fanout_mode(const char *name, unsigned &mode)
{
	const struct {
		const char *name;
		unsigned mode;
	} modes[] = {{"hash", PACKET_FANOUT_HASH},
		     {"lb", PACKET_FANOUT_LB},
		     {"cpu", PACKET_FANOUT_CPU},
		     {"random", PACKET_FANOUT_RND},
		     {"qm", PACKET_FANOUT_QM}};
	for (const auto &m : modes)
		if (std::strcmp(name, m.name) == 0) {
			mode = m.mode;
			return true;
		}
	return false;
}

// -1 when usable; else the exit status (0 after --help/--version, 2 usage).
int parse_options(int argc, char **argv, options &o)
{
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
		std::uint64_t n = 0;
		auto number = [&](std::uint64_t max) {
			const char *v = value();
			return v != nullptr && parse_u64(v, max, n);
		};
		char why[160];
		if (a == "-h" || a == "--help") {
			std::fputs(usage_text, stdout);
			return 0;
		} else if (a == "--version") {
			std::printf("pktpath-live %s\n", PKTPATH_VERSION_STRING);
			return 0;
		} else if (a == "--block-size" || a == "--blocks" || a == "--frame-size" || a == "--block-timeout") {
			if (!number(1u << 30))
				return usage_error("%s: a number", a.c_str());
			std::uint32_t &field = a == "--block-size"   ? o.ring.block_size
					       : a == "--blocks"     ? o.ring.block_count
					       : a == "--frame-size" ? o.ring.frame_size
								     : o.ring.timeout_ms;
			field = static_cast<std::uint32_t>(n);
		} else if (a == "--outgoing") {
			o.ring.outgoing = true;
		} else if (a == "--workers") {
			if (!number(64) || n < 1)
				return usage_error("%s: 1 to 64", a.c_str());
			o.workers = static_cast<unsigned>(n);
		} else if (a == "--fanout") {
			const char *v = value();
			if (v == nullptr || !fanout_mode(v, o.ring.fanout_mode))
				return usage_error("--fanout: hash, lb, cpu, random or qm, not '%s'", v ? v : "");
			o.fanout = v;
		} else if (a == "--fanout-group") {
			if (!number(0xffff))
				return usage_error("%s: 0 to 65535", a.c_str());
			o.fanout_group = static_cast<int>(n);
		} else if (a == "--weight" || a == "--budget") {
			if (!number(1u << 24))
				return usage_error("%s: a number", a.c_str());
			(a == "--weight" ? o.k.weight : o.k.budget) = static_cast<int>(n);
		} else if (a == "--time-limit") {
			if (!number(10000000))
				return usage_error("%s: microseconds", a.c_str());
			o.k.time_limit_us = static_cast<std::uint32_t>(n);
		} else if (a == "--cost") {
			if (!number(1000000000))
				return usage_error("%s: nanoseconds per frame", a.c_str());
			o.k.cost_ns = n;
		} else if (a == "--bpf-file") {
			const char *v = value();
			if (v == nullptr)
				return usage_error("%s needs a file name", a.c_str());
			if (!read_bpf(v, o.bpf, why, sizeof why))
				return usage_error("%s", why);
		} else if (const int shared = pktpath_replay_cli::parse_shared_option("pktpath-live", a, value, o);
			   shared == 2) {
			return 2;
		} else if (shared == 1) {
			continue;
		} else if (a == "--duration" || a == "--interval") {
			if (!parse_seconds(value(), a == "--duration" ? o.duration : o.interval))
				return usage_error("%s: seconds above 0", a.c_str());
		} else if (a == "--count") {
			if (!number(std::uint64_t{1} << 62) || n == 0)
				return usage_error("%s: frames, at least 1", a.c_str());
			o.count = n;
		} else if (a == "--write") {
			const char *v = value();
			if (v == nullptr)
				return usage_error("%s needs a file name", a.c_str());
			o.write = v;
		} else if (a.size() > 1 && a[0] == '-') {
			return usage_error("unknown option %s", a.c_str());
		} else if (o.iface.empty()) {
			o.iface = a;
		} else {
			return usage_error("one interface, not also '%s'", a.c_str());
		}
	}
	if (o.iface.empty())
		return usage_error("%s", "no interface given");
	if (o.workers > 1 || o.fanout) {
		o.ring.fanout_group = o.fanout_group >= 0 ? o.fanout_group : static_cast<int>(::getpid() & 0xffff);
		if (o.fanout == nullptr)
			o.fanout = "hash";
	}
	if (const char *why = o.ring.check())
		return usage_error("%s", why);
	if (const char *why = o.k.check())
		return usage_error("%s", why);
	return -1;
}

volatile std::sig_atomic_t signalled = 0;
void on_signal(int)
{
	signalled = 1;
}

// --write: every counted frame the workers take, in the order they take them.
struct writer {
	pktpath::capture::pcap_writer w;
	std::mutex lock; // workers take turns (uncontended with one)
	std::uint64_t written = 0;

	static bool sink(void *self, unsigned, const pktpath::capture::frame &f)
	{
		writer &u = *static_cast<writer *>(self);
		std::lock_guard<std::mutex> lk(u.lock);
		if (!u.w.write(f))
			return false;
		++u.written;
		return true;
	}
};

bool emit(const std::string &s)
{
	return std::fwrite(s.data(), 1, s.size(), stdout) == s.size() && std::fflush(stdout) == 0;
}

std::string render(const report_data &r, out_format fmt)
{
	return fmt == out_format::json ? report_json(r) : fmt == out_format::csv ? report_csv(r) : report_text(r);
}

} // namespace

int main(int argc, char **argv)
{
	options o;
	if (const int rc = parse_options(argc, argv, o); rc >= 0)
		return rc;
	if (!o.bpf.empty()) {
		o.ring.bpf = o.bpf.data();
		o.ring.bpf_len = static_cast<unsigned short>(o.bpf.size());
	}

	pktpath::table_options to;
	to.shards = o.workers;
	table_type table = table_type::create(o.flows, to);
	if (!table.ok()) {
		std::fprintf(stderr, "pktpath-live: flow table: %s\n", table.error_text());
		return 2;
	}

	writer out;
	frame_sink sink;
	if (o.write) {
		if (!out.w.open(o.write, 1)) {
			std::fprintf(stderr, "pktpath-live: --write %s: %s\n", o.write, out.w.err().message);
			return 3;
		}
		sink.fn = &writer::sink;
		sink.ctx = &out;
	}

	std::atomic<std::int64_t> frames_left{static_cast<std::int64_t>(o.count)};
	classify_options co;
	co.parse_flags = o.parse_flags;
	co.key_vlan = o.key_vlan;
	co.filter = &o.filter;
	std::vector<std::unique_ptr<worker>> workers;
	for (unsigned i = 0; i < o.workers; i++) {
		workers.push_back(std::make_unique<worker>(i, table, o.k, co, sink, o.count ? &frames_left : nullptr));
		if (!workers.back()->open(o.iface.c_str(), o.ring)) {
			std::fprintf(stderr, "pktpath-live: %s: %s\n", o.iface.c_str(), workers.back()->err().message);
			return 1;
		}
	}

	struct sigaction sa;
	std::memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	::sigaction(SIGINT, &sa, nullptr);
	::sigaction(SIGTERM, &sa, nullptr);

	report_data r;
	r.iface = o.iface;
	r.ring = o.ring;
	r.k = o.k;
	r.fanout = o.fanout;
	r.worker_count = o.workers;
	r.parse_flags = o.parse_flags;
	r.key_vlan = o.key_vlan;
	r.filter = o.filter.text();
	r.bpf_insns = static_cast<unsigned>(o.bpf.size());
	r.top_n = o.top;
	if (o.write)
		r.write_path = o.write;

	// As tcpdump does: from here on every frame the interface receives is counted.
	std::fprintf(stderr, "pktpath-live: listening on %s, %u worker%s, TPACKET_V3 ring of %u x %u bytes\n",
		     o.iface.c_str(), o.workers, o.workers == 1 ? "" : "s", o.ring.block_count, o.ring.block_size);
	std::atomic<bool> stop{false};
	std::vector<std::thread> threads;
	for (auto &w : workers)
		threads.emplace_back([&w, &stop] { w->run(stop); });

	int rc = 0;
	const steady::time_point t0 = steady::now();
	steady::time_point last = t0;
	std::uint64_t interval = 0;
	pktpath::interval_reader intervals;
	ring_stats kernel_before;
	auto kernel_now = [&] {
		ring_stats s;
		for (auto &w : workers) {
			const ring_stats &k = w->kernel_stats();
			s.packets += k.packets;
			s.drops += k.drops;
			s.freeze_q_cnt += k.freeze_q_cnt;
		}
		return s;
	};
	auto since = [](steady::time_point a, steady::time_point b) {
		return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
	};
	for (;;) {
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
		const steady::time_point now = steady::now();
		if (signalled) {
			r.end = "signal";
			break;
		}
		if (o.duration > 0 && now - t0 >= std::chrono::duration<double>(o.duration)) {
			r.end = "duration";
			break;
		}
		bool all_done = true;
		for (auto &w : workers)
			all_done = all_done && w->finished();
		if (all_done) {
			r.end = "count";
			break;
		}
		if (o.interval > 0 && now - last >= std::chrono::duration<double>(o.interval)) {
			report_data iv = r;
			iv.interval = ++interval;
			iv.wall_ns = since(last, now);
			const ring_stats k = kernel_now();
			iv.kernel = ring_stats{k.packets - kernel_before.packets, k.drops - kernel_before.drops,
					       k.freeze_q_cnt - kernel_before.freeze_q_cnt};
			kernel_before = k;
			iv.snap = intervals.next(table.view());
			if (!emit(render(iv, o.fmt)))
				rc = 3;
			last = now;
		}
	}
	// Stop polling; then, once the kernel has handed over its last partly
	// filled block (its timeout), count what is left in the ring.
	stop.store(true, std::memory_order_relaxed);
	for (std::thread &t : threads)
		t.join();
	r.wall_ns = since(t0, steady::now());
	std::this_thread::sleep_for(std::chrono::milliseconds(2 * o.ring.timeout_ms + 20));
	for (auto &w : workers)
		w->sweep();

	r.kernel = kernel_now();
	r.snap = pktpath::table_snapshot(table.view());
	for (auto &w : workers)
		r.workers.push_back(w->stats());
	for (std::size_t f = 0; f < r.snap.flow_count() && workers.size() > 1; f++) {
		unsigned on = 0;
		for (auto &w : workers)
			on += w->saw(r.snap.slot(f));
		r.flows_on_several_workers += on > 1;
	}
	if (o.write) {
		r.written = out.written;
		if (!out.w.close()) {
			std::fprintf(stderr, "pktpath-live: --write %s: %s\n", o.write, out.w.err().message);
			rc = 3;
		}
	}
	if (o.prom) {
		char why[256];
		if (!pktpath::replay::write_file_atomically(o.prom, report_prometheus(r), why, sizeof why)) {
			std::fprintf(stderr, "pktpath-live: --prom: %s\n", why);
			rc = 3;
		}
	}
	if (!emit(render(r, o.fmt))) {
		std::fprintf(stderr, "pktpath-live: cannot write the report: %s\n", std::strerror(errno));
		rc = 3;
	}
	return rc;
}
