// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-driver: the replay's threaded model (replay/live.hpp) driven like a
// NIC under load: a NIC thread offers a fixed number of frames at a fixed
// rate, looping over a capture (or 256 synthetic UDP flows), into the RX
// descriptor ring; CPU 0 polls it (NAPI) and steers each frame by its RSS
// hash to a CPU's backlog, every CPU a thread running a poll group.  The
// per-stage table counts every frame, per flow, at each stage it reaches, so
// the report shows where frames were lost: at the RX ring (polling cannot
// keep up with the rate) or at a backlog (a CPU cannot keep up with its
// share), and which flows lost them.
//
//   pktpath-driver [options] [capture.pcap|capture.pcapng]
//     --rate PPS         frames per second from the NIC; 0 = as fast as it can (200000)
//     --frames N         frames to offer, looping over the capture (400000)
//     --ring N           RX ring descriptors, a power of two (512)
//     --cpus N           CPUs: the NIC interrupt on CPU 0, RPS over all of them (2)
//     --max-backlog N    net.core.netdev_max_backlog (1000)
//     --cost-ns N        work per frame on its RPS CPU (0)
//     --busy-poll        idle pollers spin instead of sleeping
//     --top N            flows listed in the report (10)
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/synth.hpp>
#include <pktpath/replay/live.hpp>
#include <pktpath/replay/report.hpp>
#include <pktpath/replay/table_memory.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace pktpath::replay;

struct options {
	std::uint64_t rate = 200000;
	std::uint64_t frames = 400000;
	knobs k;
	bool busy_poll = false;
	std::size_t top = 10;
	const char *capture = nullptr;
};

bool parse_options(int argc, char **argv, options &o)
{
	o.k.poll_cost_ns = 0;
	o.k.cost_ns = 0;
	for (int i = 1; i < argc; ++i) {
		const std::string a = argv[i];
		auto value = [&](std::uint64_t &v) {
			if (i + 1 >= argc)
				return false;
			char *end = nullptr;
			v = std::strtoull(argv[++i], &end, 10);
			return *argv[i] != '\0' && *end == '\0';
		};
		std::uint64_t v = 0;
		if (a == "--rate" && value(v))
			o.rate = v;
		else if (a == "--frames" && value(v))
			o.frames = v;
		else if (a == "--ring" && value(v) && v <= UINT32_MAX)
			o.k.ring = static_cast<std::uint32_t>(v);
		else if (a == "--cpus" && value(v) && v <= UINT32_MAX)
			o.k.cpus = static_cast<std::uint32_t>(v);
		else if (a == "--max-backlog" && value(v) && v <= UINT32_MAX)
			o.k.max_backlog = static_cast<std::uint32_t>(v);
		else if (a == "--cost-ns" && value(v))
			o.k.cost_ns = v;
		else if (a == "--busy-poll")
			o.busy_poll = true;
		else if (a == "--top" && value(v))
			o.top = static_cast<std::size_t>(v);
		else if (a[0] != '-' && o.capture == nullptr)
			o.capture = argv[i];
		else
			return false;
	}
	return o.k.check() == nullptr;
}

// 256 UDP flows of 64-byte Ethernet/IPv4 frames, documentation addresses.
std::vector<pktpath::synth::bytes> synthetic_frames()
{
	std::vector<pktpath::synth::bytes> out;
	for (unsigned i = 0; i < 256; ++i)
		out.push_back(pktpath::synth::builder()
				      .eth(0x0800)
				      .ipv4({198, 51, 100, static_cast<std::uint8_t>(i)}, {203, 0, 113, 1}, 17)
				      .udp(1024 + i, 53)
				      .payload(18)
				      .finish());
	return out;
}

// The NIC's traffic: `count` frames taken round-robin from `frames`, each
// arriving as the timeline paces them.
class looping_source {
public:
	looping_source(const std::vector<pktpath::capture::frame> &frames, std::uint64_t count, const timing &t)
	    : frames_(frames), count_(count), clock_(t)
	{
	}

	bool next(pktpath::capture::frame &f, std::uint64_t &arrival)
	{
		if (sent_ == count_)
			return false;
		f = frames_[sent_++ % frames_.size()];
		arrival = clock_.arrival(f.ts_ns, f.origlen);
		return true;
	}

private:
	const std::vector<pktpath::capture::frame> &frames_;
	std::uint64_t count_;
	std::uint64_t sent_ = 0;
	timeline clock_;
};

} // namespace

int main(int argc, char **argv)
{
	options o;
	if (!parse_options(argc, argv, o)) {
		std::fprintf(stderr,
			     "usage: %s [--rate PPS] [--frames N] [--ring N] [--cpus N] [--max-backlog N]\n"
			     "       [--cost-ns N] [--busy-poll] [--top N] [capture.pcap|capture.pcapng]\n",
			     argv[0]);
		if (const char *why = o.k.check())
			std::fprintf(stderr, "%s\n", why);
		return 2;
	}

	// The frames to loop over: a whole capture (its mapping stays open), or synthetic ones.
	std::vector<pktpath::capture::frame> frames;
	std::vector<file_status> files;
	pktpath::capture::reader_options ro;
	ro.guard_truncation = true; // a capture cut while loaded ends with an error, not SIGBUS
	pktpath::capture::reader reader(ro);
	const std::vector<pktpath::synth::bytes> synthetic =
		o.capture ? std::vector<pktpath::synth::bytes>{} : synthetic_frames();
	std::uint64_t bytes = 0;
	if (o.capture) {
		if (!reader.open(o.capture)) {
			std::fprintf(stderr, "pktpath-driver: %s: %s\n", o.capture, reader.err().message);
			return 1;
		}
		pktpath::capture::frame f;
		while (reader.next(f)) {
			frames.push_back(f);
			bytes += f.caplen;
		}
		file_status s;
		s.path = o.capture;
		s.fmt = reader.fmt();
		s.opened = true;
		s.frames = frames.size();
		s.bytes = bytes;
		s.size = reader.size();
		s.err = reader.err();
		files.push_back(s);
		if (reader.failed())
			std::fprintf(stderr, "pktpath-driver: %s: %s (playing the %zu frames before it)\n", o.capture,
				     reader.err().message, frames.size());
		if (frames.empty()) {
			std::fprintf(stderr, "pktpath-driver: %s: no frames\n", o.capture);
			return 1;
		}
	} else {
		for (const pktpath::synth::bytes &b : synthetic) {
			pktpath::capture::frame f{};
			f.data = b.data();
			f.caplen = f.origlen = static_cast<std::uint32_t>(b.size());
			f.linktype = 1; // LINKTYPE_ETHERNET
			frames.push_back(f);
			bytes += b.size();
		}
	}

	timing tm;
	tm.k = o.rate ? timing::kind::pps : timing::kind::asap;
	tm.rate = static_cast<double>(o.rate);
	pktpath::table_options to;
	to.shards = live_engine::shards(o.k);
	table_memory mem(table_capacity_for(bytes), to);
	if (!mem.ok()) {
		std::fprintf(stderr, "pktpath-driver: flow table: %s\n", mem.error_text());
		return 1;
	}
	live_engine e(o.k, mem.table(), {}, o.busy_poll ? pktpath::idle_mode::busy_poll : pktpath::idle_mode::sleep);
	if (!e.valid()) {
		std::fprintf(stderr, "pktpath-driver: cannot allocate the model's queues\n");
		return 1;
	}
	classifier cls(mem.table(), {});
	looping_source src(frames, o.frames, tm);
	const auto t0 = std::chrono::steady_clock::now();
	e.run(src, cls, o.rate != 0);

	report_data r;
	r.tool = "pktpath-driver";
	r.mode = "live";
	r.k = o.k;
	r.tm = tm;
	r.files = files;
	r.st = e.stats();
	r.wall_ns = static_cast<std::uint64_t>(
		std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
	r.snap = pktpath::table_snapshot(mem.table().view());
	r.top_n = o.top;
	const std::string out = report_text(r);
	return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() ? 0 : 3;
}
