// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-replay's throughput and memory on a large generated capture.
//
//   replay/pktpath/sim           the whole replay as `pktpath-replay FILE` does it: mmap
//                                reader, parse, classify (Toeplitz, table row), the
//                                simulated RX path, counts at every stage.  The capture
//                                offers 1 Mpps, below the model's capacity: every frame
//                                is its own interrupt, NAPI round and backlog wake-up
//                                (the simulator's most expensive regime)
//   replay/pktpath/sim_10Mpps    the same at `--rate 10Mpps`: the model is saturated, polls
//                                are batched and the RX ring drops most frames
//   replay/pktpath/parse_count   mmap reader + the same parse and classify + a count at `wire`,
//                                classified 32 frames at a time with classify() as the replay
//                                does (their table look-ups overlap)
//   replay/libpcap/parse_count   pcap_next_ex + the same parse and classify + a count at `wire`
//                                (the same table type and capacity), a frame at a time: the
//                                buffer pcap_next_ex returns is only valid until its next
//                                call, so that is what a libpcap user writes
//   replay/libpcap/sim           the same simulation fed by pcap_next_ex (each frame copied,
//                                as the buffer it returns does not outlive the next call):
//                                the whole replay built on libpcap instead of the mmap reader
//   replay/rss/100MB, /1GB       peak RSS (VmHWM) of a child process replaying a 100 MB and
//                                a 1 GB capture (pktpath-replay next to this binary, or this
//                                binary's own replay when it is absent)
//
// The capture: IMIX-like sizes (7 x 64, 4 x 576, 1 x 1514 bytes), 4096 IPv4 and IPv6 TCP/UDP
// flows, one frame every microsecond; $PKTPATH_BENCH_REPLAY_MB megabytes (1024; at least
// 1024 for the figures of docs/benchmarks.md), written to a fresh directory under $TMPDIR (or
// /tmp) at start and removed at exit.  Times are CPU time (the file is in the page cache),
// without making and freeing the flow table (the same for all three; see table_pass).
// `pktpath-bench-replay --generate FILE MB` writes the capture alone (to profile the replay).
#include <benchmark/benchmark.h>

#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/synth.hpp>
#include <pktpath/replay/feed.hpp>
#include <pktpath/replay/model.hpp>
#include <pktpath/replay/sim.hpp>
#include <pktpath/replay/table_memory.hpp>

#include <array>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef PKTPATH_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

namespace {

using namespace pktpath::replay;

const std::uint32_t imix[] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1514};
constexpr unsigned flow_count = 4096;

[[noreturn]] void die(const char *what, const char *msg)
{
	std::fprintf(stderr, "pktpath-bench-replay: %s: %s\n", what, msg);
	std::exit(1);
}

// The files this process made; removed at exit, also on SIGINT/SIGTERM.
char g_dir[256];
char g_files[2][300];

void cleanup()
{
	for (char *f : g_files)
		if (f[0])
			::unlink(f);
	if (g_dir[0])
		::rmdir(g_dir);
}

void on_signal(int sig)
{
	cleanup();
	std::signal(sig, SIG_DFL);
	std::raise(sig);
}

// One template per (flow, size): Ethernet + IPv4/IPv6 + TCP/UDP + payload, `len` bytes.
std::vector<std::vector<std::uint8_t>> templates()
{
	std::vector<std::vector<std::uint8_t>> t;
	for (unsigned f = 0; f < flow_count; f++)
		for (std::uint32_t len : {64u, 576u, 1514u}) {
			pktpath::synth::builder b;
			const bool v6 = f % 5 == 4, tcp = f % 2 == 0;
			const unsigned sport = 1024 + f, dport = tcp ? 443 : 53;
			if (v6) {
				std::array<std::uint8_t, 16> s = {0x20, 0x01, 0x0d, 0xb8, 0, 1},
							     d = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
				s[14] = static_cast<std::uint8_t>(f >> 8);
				s[15] = static_cast<std::uint8_t>(f);
				d[15] = 1;
				b.eth(0x86dd).ipv6(s, d, tcp ? 6 : 17);
			} else {
				b.eth(0x0800).ipv4(
					{10, 1, static_cast<std::uint8_t>(f >> 8), static_cast<std::uint8_t>(f)},
					{192, 0, 2, 1}, tcp ? 6 : 17);
			}
			if (tcp)
				b.tcp(sport, dport);
			else
				b.udp(sport, dport);
			const std::size_t hdr = b.b.size();
			b.payload(len > hdr ? len - hdr : 0);
			t.push_back(b.finish());
		}
	return t;
}

// A nanosecond pcap of about `bytes` bytes.
void generate(const char *path, std::uint64_t bytes)
{
	static const std::vector<std::vector<std::uint8_t>> tpl = templates();
	std::FILE *out = std::fopen(path, "wb");
	if (!out)
		die(path, std::strerror(errno));
	const std::uint32_t hdr[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, 1};
	std::fwrite(hdr, sizeof hdr, 1, out);
	std::vector<std::uint8_t> buf;
	buf.reserve(8 << 20);
	std::uint64_t written = sizeof hdr, ts = 1767225600ull * 1000000000ull, i = 0;
	std::uint32_t x = 2463534242u; // xorshift32: a fixed flow sequence
	while (written < bytes) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		const unsigned size_class = imix[i % 12] == 64 ? 0 : imix[i % 12] == 576 ? 1 : 2;
		const std::vector<std::uint8_t> &f = tpl[(x % flow_count) * 3 + size_class];
		const std::uint32_t len = static_cast<std::uint32_t>(f.size());
		const std::uint32_t rec[4] = {static_cast<std::uint32_t>(ts / 1000000000u),
					      static_cast<std::uint32_t>(ts % 1000000000u), len, len};
		buf.insert(buf.end(), reinterpret_cast<const std::uint8_t *>(rec),
			   reinterpret_cast<const std::uint8_t *>(rec) + 16);
		buf.insert(buf.end(), f.begin(), f.end());
		written += 16 + len;
		ts += 1000;
		++i;
		if (buf.size() > (7u << 20)) {
			if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size())
				die(path, "short write");
			buf.clear();
		}
	}
	if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size() || std::fclose(out) != 0)
		die(path, "short write");
}

std::uint64_t file_size(const char *path)
{
	struct stat st;
	return ::stat(path, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// The flow table pktpath-replay would make for this file.
std::unique_ptr<table_memory> make_table(const char *path)
{
	auto mem = std::make_unique<table_memory>(table_capacity_for(file_size(path)));
	if (!mem->ok())
		die("table", mem->error_text());
	return mem;
}

// One timed pass of every benchmark here runs on a new table made and freed
// with the timer stopped: its allocation is the same for every peer, and the
// kernel's zeroing of its 46 MB varies from 10 to 80 ms in this VM.
class table_pass {
public:
	explicit table_pass(benchmark::State &state, const char *path) : state_(state)
	{
		state_.PauseTiming();
		mem_ = make_table(path);
		state_.ResumeTiming();
	}
	~table_pass()
	{
		state_.PauseTiming();
		mem_.reset();
		state_.ResumeTiming();
	}
	table_type &table() { return mem_->table(); }

private:
	benchmark::State &state_;
	std::unique_ptr<table_memory> mem_;
};

// The default replay of one file (or at a fixed rate); returns frames replayed.
std::uint64_t replay_sim(const char *path, table_type &t, const timing &tm = timing{})
{
	capture_feed feed({path}, tm);
	sim_engine e(knobs{}, t);
	classifier cls(t, {});
	e.run(feed, cls);
	if (feed.failed())
		die(path, feed.files()[0].err.message);
	return e.stats().frames;
}

void set_counters(benchmark::State &state, std::uint64_t frames, std::uint64_t bytes)
{
	state.SetItemsProcessed(static_cast<std::int64_t>(frames * state.iterations()));
	state.SetBytesProcessed(static_cast<std::int64_t>(bytes * state.iterations()));
	state.counters["Mpps"] =
		benchmark::Counter(static_cast<double>(frames) / 1e6, benchmark::Counter::kIsIterationInvariantRate);
	state.counters["GB/s"] =
		benchmark::Counter(static_cast<double>(bytes) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void bm_sim(benchmark::State &state, const char *rate)
{
	const char *path = g_files[1];
	timing tm;
	if (rate && !tm.parse_rate(rate))
		die("rate", rate);
	std::uint64_t frames = 0;
	for (auto _ : state) {
		table_pass pass(state, path);
		benchmark::DoNotOptimize(frames = replay_sim(path, pass.table(), tm));
	}
	set_counters(state, frames, file_size(path));
}

void bm_parse_count(benchmark::State &state)
{
	const char *path = g_files[1];
	std::uint64_t frames = 0;
	for (auto _ : state) {
		table_pass pass(state, path);
		table_type &t = pass.table();
		classifier cls(t, {});
		pktpath::capture::reader r(capture_feed::default_reader_options());
		if (!r.open(path))
			die(path, r.err().message);
		// The mapping keeps every frame's bytes valid: a burst can be read first.
		pktpath::capture::frame f[32];
		frame_desc d[32];
		frames = 0;
		for (;;) {
			std::size_t n = 0;
			while (n < 32 && r.next(f[n]))
				++n;
			cls.classify(f, d, n);
			for (std::size_t i = 0; i < n; i++)
				t.add(d[i].row, rx_path::wire, d[i].origlen);
			frames += n;
			if (n < 32)
				break;
		}
		benchmark::DoNotOptimize(frames);
	}
	set_counters(state, frames, file_size(path));
}

#ifdef PKTPATH_HAVE_LIBPCAP
// A record pcap_next_ex returned (opened with nanosecond precision).
pktpath::capture::frame to_frame(const struct pcap_pkthdr &h, const u_char *data, std::uint32_t linktype)
{
	pktpath::capture::frame f;
	f.data = data;
	f.caplen = h.caplen;
	f.origlen = h.len;
	f.linktype = linktype;
	f.ts_ns = static_cast<std::uint64_t>(h.ts.tv_sec) * 1000000000u + static_cast<std::uint64_t>(h.ts.tv_usec);
	return f;
}

void bm_libpcap(benchmark::State &state)
{
	const char *path = g_files[1];
	std::uint64_t frames = 0;
	for (auto _ : state) {
		table_pass pass(state, path);
		table_type &t = pass.table();
		classifier cls(t, {});
		char err[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
		if (!p)
			die(path, err);
		const std::uint32_t lt = static_cast<std::uint32_t>(pcap_datalink(p));
		struct pcap_pkthdr *h;
		const u_char *data;
		frames = 0;
		while (pcap_next_ex(p, &h, &data) == 1) { // data: valid until the next call
			const frame_desc d = cls(to_frame(*h, data, lt));
			t.add(d.row, rx_path::wire, d.origlen);
			++frames;
		}
		pcap_close(p);
		benchmark::DoNotOptimize(frames);
	}
	set_counters(state, frames, file_size(path));
}

// The simulation's frame source on pcap_next_ex, for a replay built the same
// way on libpcap.  pcap_next_ex's buffer is only valid until its next call,
// and the simulation reads a batch before classifying it: each frame is
// copied into a circular arena, where it stays valid for the next 64 MiB of
// the capture (the default model holds a few thousand frames at most).
class pcap_source {
public:
	// The arena is not zeroed: that would time a 64 MiB memset the peer does not need.
	pcap_source(const char *path, const timing &tm) : arena_(new std::uint8_t[arena_size]), clock_(tm)
	{
		char err[PCAP_ERRBUF_SIZE];
		p_ = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
		if (!p_)
			die(path, err);
		linktype_ = static_cast<std::uint32_t>(pcap_datalink(p_));
		clock_.start_file();
	}
	~pcap_source() { pcap_close(p_); }
	pcap_source(const pcap_source &) = delete;
	pcap_source &operator=(const pcap_source &) = delete;

	bool next(pktpath::capture::frame &f, std::uint64_t &arrival)
	{
		struct pcap_pkthdr *h;
		const u_char *data;
		if (pcap_next_ex(p_, &h, &data) != 1)
			return false;
		if (at_ + h->caplen > arena_size)
			at_ = 0;
		std::memcpy(arena_.get() + at_, data, h->caplen);
		f = to_frame(*h, arena_.get() + at_, linktype_);
		at_ += h->caplen;
		arrival = clock_.arrival(f.ts_ns, f.origlen);
		return true;
	}

private:
	static constexpr std::size_t arena_size = std::size_t{64} << 20;
	pcap_t *p_ = nullptr;
	std::uint32_t linktype_ = 0;
	std::unique_ptr<std::uint8_t[]> arena_;
	std::size_t at_ = 0;
	timeline clock_;
};

void bm_libpcap_sim(benchmark::State &state)
{
	const char *path = g_files[1];
	std::uint64_t frames = 0;
	for (auto _ : state) {
		table_pass pass(state, path);
		pcap_source src(path, timing{});
		sim_engine e(knobs{}, pass.table());
		classifier cls(pass.table(), {});
		e.run(src, cls);
		benchmark::DoNotOptimize(frames = e.stats().frames);
	}
	set_counters(state, frames, file_size(path));
}
#endif

std::string g_self;

// Peak RSS (VmHWM) of a child replaying `path`, in bytes.
std::uint64_t child_peak_rss(const char *path)
{
	std::string tool = g_self.substr(0, g_self.rfind('/')) + "/../examples/pktpath-replay";
	const bool have_tool = ::access(tool.c_str(), X_OK) == 0;
	const pid_t pid = ::fork();
	if (pid < 0)
		die("fork", std::strerror(errno));
	if (pid == 0) {
		const int null = ::open("/dev/null", O_WRONLY);
		::dup2(null, 1);
		if (have_tool)
			::execl(tool.c_str(), tool.c_str(), "--no-progress", "--json", path,
				static_cast<char *>(nullptr));
		else
			::execl(g_self.c_str(), g_self.c_str(), "--rss-child", path, static_cast<char *>(nullptr));
		::_exit(127);
	}
	int status = 0;
	struct rusage ru;
	if (::wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(path, "the replay child failed");
	return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024; // kB on Linux
}

void bm_rss(benchmark::State &state, int which)
{
	std::uint64_t rss = 0;
	for (auto _ : state)
		rss = child_peak_rss(g_files[which]);
	state.counters["peak_rss_MB"] = static_cast<double>(rss) / 1e6;
	state.counters["file_MB"] = static_cast<double>(file_size(g_files[which])) / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc == 3 && std::strcmp(argv[1], "--rss-child") == 0)
		return replay_sim(argv[2], make_table(argv[2])->table()) > 0 ? 0 : 1;
	if (argc == 4 && std::strcmp(argv[1], "--generate") == 0) { // the capture alone, for profiling
		generate(argv[2], std::strtoull(argv[3], nullptr, 10) << 20);
		return 0;
	}
	char self[4096];
	const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
	g_self = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : argv[0];

	std::uint64_t mb = 1024;
	if (const char *e = std::getenv("PKTPATH_BENCH_REPLAY_MB"))
		mb = std::strtoull(e, nullptr, 10);
	const char *tmp = std::getenv("TMPDIR");
	std::snprintf(g_dir, sizeof g_dir, "%s/pktpath-bench-replay.XXXXXX", tmp ? tmp : "/tmp");
	if (!::mkdtemp(g_dir))
		die(g_dir, std::strerror(errno));
	std::atexit(cleanup);
	std::signal(SIGINT, on_signal);
	std::signal(SIGTERM, on_signal);
	std::snprintf(g_files[0], sizeof g_files[0], "%s/100MB.pcap", g_dir);
	std::snprintf(g_files[1], sizeof g_files[1], "%s/big.pcap", g_dir);
	generate(g_files[0], 100u << 20);
	generate(g_files[1], mb << 20);

	benchmark::RegisterBenchmark("replay/pktpath/sim", bm_sim, nullptr)
		->Unit(benchmark::kMillisecond)
		->Iterations(3);
	benchmark::RegisterBenchmark("replay/pktpath/sim_10Mpps", bm_sim, "10Mpps")
		->Unit(benchmark::kMillisecond)
		->Iterations(3);
	benchmark::RegisterBenchmark("replay/pktpath/parse_count", bm_parse_count)
		->Unit(benchmark::kMillisecond)
		->Iterations(3);
#ifdef PKTPATH_HAVE_LIBPCAP
	benchmark::RegisterBenchmark("replay/libpcap/parse_count", bm_libpcap)
		->Unit(benchmark::kMillisecond)
		->Iterations(3);
	benchmark::RegisterBenchmark("replay/libpcap/sim", bm_libpcap_sim)
		->Unit(benchmark::kMillisecond)
		->Iterations(3);
#endif
	benchmark::RegisterBenchmark("replay/rss/100MB", bm_rss, 0)
		->Unit(benchmark::kMillisecond)
		->Iterations(1)
		->UseRealTime();
	benchmark::RegisterBenchmark(mb == 1024 ? "replay/rss/1GB" : "replay/rss/big", bm_rss, 1)
		->Unit(benchmark::kMillisecond)
		->Iterations(1)
		->UseRealTime();
	benchmark::Initialize(&argc, argv);
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
