// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-replay: replays captures through a modelled Linux receive path
// (NIC RX ring, NAPI poll, RPS backlogs, IP, L4, socket) and reports per flow
// and per stage what arrived, what was dropped, where and why.
//
//   pktpath-replay [options] CAPTURE...
//
// By default a deterministic simulation on a virtual clock driven by the
// capture timestamps (the same capture and knobs give the same drops);
// --mode live runs real producer and poller threads instead.  Options:
// --help.  Exit status: 0 every capture read and every output written; 1 a
// capture could not be read to the end (its error, with the byte offset, is
// on stderr and in the report, which covers everything read); 2 bad usage;
// 3 an output (stdout, --prom, --dump-drops) could not be written.
#include <pktpath/capture/writer.hpp>
#include <pktpath/replay/feed.hpp>
#include <pktpath/replay/filter.hpp>
#include <pktpath/replay/live.hpp>
#include <pktpath/replay/model.hpp>
#include <pktpath/replay/report.hpp>
#include <pktpath/replay/sim.hpp>
#include <pktpath/replay/table_memory.hpp>
#include <pktpath/replay/timeline.hpp>
#include <pktpath/version.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using namespace pktpath::replay;
using steady = std::chrono::steady_clock;

enum class out_format { text, json, csv };

struct options {
	bool live = false;
	knobs k;
	bool cost_set = false, poll_cost_set = false;
	timing tm;
	bool timing_set = false;
	unsigned parse_flags = 0;
	bool key_vlan = false;
	flow_filter filter;
	out_format fmt = out_format::text;
	std::size_t top = 10;
	std::uint32_t flows = 0; // table capacity; 0: from the captures' size
	const char *prom = nullptr;
	const char *dump = nullptr;
	int progress = -1; // -1: when stderr is a terminal
	bool busy_poll = false;
	std::vector<std::string> files;
};

const char usage_text[] =
	"usage: pktpath-replay [options] CAPTURE...\n"
	"Replays pcap/pcapng captures through a modelled Linux receive path and reports, per flow and\n"
	"per stage (wire, rx_ring, napi_poll, backlog, l3, l4, deliver | unclassified), what arrived,\n"
	"what was dropped, where and why.\n"
	"\n"
	"mode\n"
	"  --mode sim|live      sim: deterministic, virtual clock (default); live: real threads\n"
	"model (defaults: Linux's)\n"
	"  --ring N             RX ring descriptors, a power of two (512)\n"
	"  --weight N           NAPI weight / dev_weight (64)\n"
	"  --budget N           net.core.netdev_budget (300)\n"
	"  --time-limit US      net.core.netdev_budget_usecs (2000)\n"
	"  --max-backlog N      net.core.netdev_max_backlog (1000)\n"
	"  --cpus N             CPUs; the NIC IRQ on CPU 0, RPS over all of them (2)\n"
	"  --poll-cost NS       driver poll cost per frame on CPU 0 (200; live: 0)\n"
	"  --cost NS            stack cost per frame, backlog to socket (800; live: 0)\n"
	"timing\n"
	"  --speed Nx           capture timestamps divided by N (1x); 'max': no pacing (live only, its default)\n"
	"  --rate R             fixed rate instead: 1Mpps, 250kpps, 100000 (pps) or 10Gbps (line rate)\n"
	"flow keys\n"
	"  --vlan-key           outer VLAN id in the flow key     --inner      innermost tunnelled packet's key\n"
	"  --symmetric          both directions as one flow\n"
	"filter (all must hold; frames are still replayed, only matching ones are counted)\n"
	"  --proto P  --host A[/LEN]  --src A[/LEN]  --dst A[/LEN]  --port N  --sport N  --dport N  --vlan ID\n"
	"output\n"
	"  --json | --csv       report format on stdout (default: human)\n"
	"  --top N|all          flows listed (10)\n"
	"  --prom FILE          Prometheus textfile, written atomically (temporary name + rename)\n"
	"  --dump-drops FILE    dropped frames to a pcap\n"
	"  --flows N            flow table slots (default: from the captures' size, 1024 to 262144)\n"
	"  --progress | --no-progress   progress bar on stderr (default: when stderr is a terminal)\n"
	"  --busy-poll          live: idle pollers spin instead of sleeping\n"
	"exit status: 0 ok, 1 a capture could not be read to the end, 2 usage, 3 an output could not be written\n";

int usage_error(const char *fmt, const char *arg)
{
	std::fprintf(stderr, "pktpath-replay: ");
	std::fprintf(stderr, fmt, arg);
	std::fprintf(stderr, "\n(pktpath-replay --help for the options)\n");
	return 2;
}

bool parse_u64(const char *s, std::uint64_t max, std::uint64_t &out)
{
	char *end = nullptr;
	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	const unsigned long long v = std::strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return false;
	out = v;
	return true;
}

// 0 when the options are usable, else the exit status (2) after a message.
int parse_options(int argc, char **argv, options &o)
{
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
		auto number = [&](std::uint64_t max, std::uint64_t &out) {
			const char *v = value();
			return v != nullptr && parse_u64(v, max, out);
		};
		std::uint64_t n = 0;
		if (a == "-h" || a == "--help") {
			std::fputs(usage_text, stdout);
			std::exit(0);
		} else if (a == "--version") {
			std::printf("pktpath-replay %s\n", PKTPATH_VERSION_STRING);
			std::exit(0);
		} else if (a == "--mode") {
			const char *v = value();
			if (v == nullptr || (std::strcmp(v, "sim") != 0 && std::strcmp(v, "live") != 0))
				return usage_error("--mode: sim or live, not '%s'", v ? v : "");
			o.live = std::strcmp(v, "live") == 0;
		} else if (a == "--ring") {
			if (!number(1u << 24, n))
				return usage_error("%s: a number", a.c_str());
			o.k.ring = static_cast<std::uint32_t>(n);
		} else if (a == "--weight" || a == "--budget") {
			if (!number(1u << 24, n))
				return usage_error("%s: a number", a.c_str());
			(a == "--weight" ? o.k.weight : o.k.budget) = static_cast<int>(n);
		} else if (a == "--time-limit") {
			if (!number(10000000, n))
				return usage_error("%s: microseconds", a.c_str());
			o.k.time_limit_us = static_cast<std::uint32_t>(n);
		} else if (a == "--max-backlog") {
			if (!number(1u << 24, n))
				return usage_error("%s: a number", a.c_str());
			o.k.max_backlog = static_cast<std::uint32_t>(n);
		} else if (a == "--cpus") {
			if (!number(64, n))
				return usage_error("%s: 1 to 64", a.c_str());
			o.k.cpus = static_cast<std::uint32_t>(n);
		} else if (a == "--poll-cost" || a == "--cost") {
			if (!number(1000000000, n))
				return usage_error("%s: nanoseconds per frame", a.c_str());
			(a == "--cost" ? o.k.cost_ns : o.k.poll_cost_ns) = n;
			(a == "--cost" ? o.cost_set : o.poll_cost_set) = true;
		} else if (a == "--speed") {
			const char *v = value();
			if (v == nullptr || !o.tm.parse_speed(v))
				return usage_error("--speed: a factor such as 2x or 0.5x, or max; not '%s'",
						   v ? v : "");
			o.timing_set = true;
		} else if (a == "--rate") {
			const char *v = value();
			if (v == nullptr || !o.tm.parse_rate(v))
				return usage_error("--rate: such as 1Mpps, 250kpps, 100000 or 10Gbps; not '%s'",
						   v ? v : "");
			o.timing_set = true;
		} else if (a == "--vlan-key") {
			o.key_vlan = true;
		} else if (a == "--inner") {
			o.parse_flags |= PKTPATH_PARSE_INNER;
		} else if (a == "--symmetric") {
			o.parse_flags |= PKTPATH_PARSE_SYMMETRIC;
		} else if (a == "--proto" || a == "--host" || a == "--src" || a == "--dst" || a == "--port" ||
			   a == "--sport" || a == "--dport" || a == "--vlan") {
			const char *v = value();
			char why[128];
			if (v == nullptr)
				return usage_error("%s needs a value", a.c_str());
			if (!o.filter.set(a.c_str() + 2, v, why, sizeof why))
				return usage_error("%s", why);
		} else if (a == "--json" || a == "--csv") {
			if (o.fmt != out_format::text)
				return usage_error("%s: one of --json and --csv", a.c_str());
			o.fmt = a == "--json" ? out_format::json : out_format::csv;
		} else if (a == "--top") {
			const char *v = value();
			if (v != nullptr && std::strcmp(v, "all") == 0)
				o.top = static_cast<std::size_t>(-1);
			else if (v == nullptr || !parse_u64(v, 1u << 30, n))
				return usage_error("--top: a number or all, not '%s'", v ? v : "");
			else
				o.top = static_cast<std::size_t>(n);
		} else if (a == "--prom" || a == "--dump-drops") {
			const char *v = value();
			if (v == nullptr)
				return usage_error("%s needs a file name", a.c_str());
			(a == "--prom" ? o.prom : o.dump) = v;
		} else if (a == "--flows") {
			if (!number(1u << 28, n) || n < 16)
				return usage_error("%s: 16 to 268435456", a.c_str());
			o.flows = static_cast<std::uint32_t>(n);
		} else if (a == "--progress" || a == "--no-progress") {
			o.progress = a == "--progress";
		} else if (a == "--busy-poll") {
			o.busy_poll = true;
		} else if (a.size() > 1 && a[0] == '-') {
			return usage_error("unknown option %s", a.c_str());
		} else {
			o.files.push_back(a);
		}
	}
	if (o.files.empty())
		return usage_error("%s", "no capture given");
	if (o.live) {
		// Live: the machine's own cost is the cost; costs given add busy work.
		if (!o.cost_set)
			o.k.cost_ns = 0;
		if (!o.poll_cost_set)
			o.k.poll_cost_ns = 0;
		if (!o.timing_set)
			o.tm.k = timing::kind::asap;
	} else if (o.tm.k == timing::kind::asap) {
		return usage_error("%s", "--speed max needs --mode live: the simulation needs arrival times");
	}
	if (const char *why = o.k.check())
		return usage_error("%s", why);
	return 0;
}

// Pulls frames from the feed and draws a progress bar on stderr.
class progress_source {
public:
	progress_source(capture_feed &feed, std::uint64_t total, bool draw) : feed_(feed), total_(total), draw_(draw) {}
	~progress_source() { finish(); }

	bool next(pktpath::capture::frame &f, std::uint64_t &at)
	{
		const bool ok = feed_.next(f, at);
		if (draw_ && (++n_ & 0x3fff) == 0)
			tick();
		return ok;
	}

	void finish()
	{
		if (drawn_)
			std::fputs("\r\033[K", stderr);
		drawn_ = false;
	}

private:
	void tick()
	{
		const steady::time_point now = steady::now();
		if (now - last_ < std::chrono::milliseconds(100))
			return;
		last_ = now;
		const double secs = std::chrono::duration<double>(now - start_).count();
		const double pos = static_cast<double>(feed_.position());
		const double frac = total_ ? pos / static_cast<double>(total_) : 0;
		const double rate = secs > 0 ? pos / secs : 0;
		const double eta = rate > 0 ? (static_cast<double>(total_) - pos) / rate : 0;
		char bar[31];
		const int filled = static_cast<int>(frac * 30 + 0.5);
		for (int i = 0; i < 30; i++)
			bar[i] = i < filled ? '#' : '.';
		bar[30] = '\0';
		std::fprintf(stderr, "\r[%s] %5.1f%%  %7.1f MB/s  %6.2f Mframes/s  ETA %lu:%02lu ", bar, 100 * frac,
			     rate / 1e6, secs > 0 ? static_cast<double>(n_) / secs / 1e6 : 0.0,
			     static_cast<unsigned long>(eta) / 60, static_cast<unsigned long>(eta) % 60);
		drawn_ = true;
	}

	capture_feed &feed_;
	std::uint64_t total_;
	bool draw_;
	bool drawn_ = false;
	std::uint64_t n_ = 0;
	steady::time_point start_ = steady::now(), last_ = steady::now();
};

// --dump-drops: the dropped frames of the file's link type (the first
// dropped frame's), in drop order.
struct dumper {
	const char *path = nullptr;
	pktpath::capture::pcap_writer w;
	std::uint32_t linktype = 0;
	bool opened = false;
	std::uint64_t written = 0, skipped = 0;

	static void sink(void *self, const frame_desc &d, unsigned)
	{
		dumper &u = *static_cast<dumper *>(self);
		if (!u.opened) {
			u.opened = true;
			u.linktype = d.linktype;
			if (!u.w.open(u.path, d.linktype))
				return;
		}
		if (d.linktype != u.linktype) {
			++u.skipped;
			return;
		}
		if (u.w.write(d.data, d.caplen, d.origlen, d.ts_ns))
			++u.written;
	}

	// Writes an empty file when nothing was dropped; false on any error.
	bool close(std::uint32_t fallback_linktype)
	{
		if (!opened) {
			opened = true;
			if (!w.open(path, fallback_linktype))
				return false;
		}
		return w.close() && !w.failed();
	}
};

std::uint32_t table_capacity(const options &o)
{
	if (o.flows)
		return o.flows;
	std::uint64_t bytes = 0;
	for (const std::string &f : o.files) {
		struct stat st;
		if (::stat(f.c_str(), &st) == 0)
			bytes += static_cast<std::uint64_t>(st.st_size);
	}
	return table_capacity_for(bytes);
}

} // namespace

int main(int argc, char **argv)
{
	options o;
	if (int rc = parse_options(argc, argv, o))
		return rc;

	pktpath::table_options to;
	to.shards = o.live ? live_engine::shards(o.k) : 1;
	table_memory mem(table_capacity(o), to);
	if (!mem.ok()) {
		std::fprintf(stderr, "pktpath-replay: flow table: %s\n", mem.table().error_text());
		return 2;
	}
	table_type &table = mem.table();

	std::uint64_t total_bytes = 0;
	for (const std::string &f : o.files) {
		struct stat st;
		if (::stat(f.c_str(), &st) == 0)
			total_bytes += static_cast<std::uint64_t>(st.st_size);
	}
	capture_feed feed(o.files, o.tm);
	const bool draw = o.progress < 0 ? isatty(2) != 0 : o.progress != 0;
	progress_source src(feed, total_bytes, draw);
	classifier::options co;
	co.parse_flags = o.parse_flags;
	co.key_vlan = o.key_vlan;
	co.filter = &o.filter;
	classifier cls(table, co);
	dumper dump;
	dump.path = o.dump;
	drop_sink sink;
	if (o.dump) {
		sink.fn = &dumper::sink;
		sink.ctx = &dump;
	}

	report_data r;
	const steady::time_point t0 = steady::now();
	if (o.live) {
		live_engine e(o.k, table, sink,
			      o.busy_poll ? pktpath::idle_mode::busy_poll : pktpath::idle_mode::sleep);
		if (!e.valid()) {
			std::fprintf(stderr, "pktpath-replay: cannot allocate the model's queues\n");
			return 2;
		}
		e.run(src, cls, o.tm.k != timing::kind::asap);
		r.st = e.stats();
	} else {
		sim_engine e(o.k, table, sink);
		if (!e.valid()) {
			std::fprintf(stderr, "pktpath-replay: cannot allocate the model's queues\n");
			return 2;
		}
		e.run(src, cls);
		r.st = e.stats();
	}
	r.wall_ns = static_cast<std::uint64_t>(
		std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - t0).count());
	src.finish();

	int rc = 0;
	for (const file_status &f : feed.files())
		if (f.err) {
			std::fprintf(stderr, "pktpath-replay: %s: %s (%llu frames read before it)\n", f.path.c_str(),
				     f.err.message, static_cast<unsigned long long>(f.frames));
			rc = 1;
		}

	r.mode = o.live ? "live" : "sim";
	r.k = o.k;
	r.tm = o.tm;
	r.parse_flags = o.parse_flags;
	r.key_vlan = o.key_vlan;
	r.filter = o.filter.text();
	r.files = feed.files();
	r.snap = pktpath::table_snapshot(table.view());
	r.top_n = o.top;
	if (o.dump) {
		if (!dump.close(feed.first_linktype())) {
			std::fprintf(stderr, "pktpath-replay: --dump-drops %s: %s\n", o.dump, dump.w.err().message);
			rc = 3;
		}
		r.dump_path = o.dump;
		r.dumped = dump.written;
		r.dump_skipped = dump.skipped;
	}
	if (o.prom) {
		char why[256];
		if (!write_file_atomically(o.prom, report_prometheus(r), why, sizeof why)) {
			std::fprintf(stderr, "pktpath-replay: --prom: %s\n", why);
			rc = 3;
		}
	}
	const std::string out = o.fmt == out_format::json  ? report_json(r)
				: o.fmt == out_format::csv ? report_csv(r)
							   : report_text(r);
	if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
		std::fprintf(stderr, "pktpath-replay: cannot write the report: %s\n", std::strerror(errno));
		rc = 3;
	}
	return rc;
}
