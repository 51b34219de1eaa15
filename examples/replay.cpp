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

#include "replay_options.hpp"

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
using namespace pktpath_replay_cli;
using steady = std::chrono::steady_clock;

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

// The captures' total size; a stream ("-", a pipe) has none yet.
std::uint64_t capture_bytes(const options &o, bool &streamed)
{
	std::uint64_t bytes = 0;
	streamed = false;
	for (const std::string &f : o.files) {
		struct stat st;
		if (f != "-" && ::stat(f.c_str(), &st) == 0 && S_ISREG(st.st_mode))
			bytes += static_cast<std::uint64_t>(st.st_size);
		else
			streamed = true;
	}
	return bytes;
}

// A stream's length is unknown until its end: it gets the largest default table.
std::uint32_t table_capacity(const options &o, std::uint64_t bytes, bool streamed)
{
	return o.flows ? o.flows : table_capacity_for(streamed ? ~std::uint64_t{0} : bytes);
}

} // namespace

int main(int argc, char **argv)
{
	options o;
	if (const int rc = parse_options(argc, argv, o); rc >= 0)
		return rc;

	bool streamed = false;
	const std::uint64_t total_bytes = capture_bytes(o, streamed);
	pktpath::table_options to;
	to.shards = o.live ? live_engine::shards(o.k) : 1;
	table_memory mem(table_capacity(o, total_bytes, streamed), to);
	if (!mem.ok()) {
		std::fprintf(stderr, "pktpath-replay: flow table: %s\n", mem.error_text());
		return 2;
	}
	table_type &table = mem.table();

	capture_feed feed(o.files, o.tm);
	const bool draw = (o.progress < 0 ? isatty(2) != 0 : o.progress != 0) && !streamed;
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
