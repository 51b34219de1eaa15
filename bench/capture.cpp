// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Walking a large pcap from the page cache: pktpath's mmap reader against
// libpcap's pcap_next_ex.  Each pass opens the file, visits every packet and
// reads its length and ethertype (the bytes a parser touches first).  The
// same through a pipe (`.../pipe/...`): a thread writes the file into it as
// `cat file |` would, and pktpath's stream reader or libpcap's
// pcap_fopen_offline reads the other end.
//
// The files are $PKTPATH_BENCH_PCAP / $PKTPATH_BENCH_PCAPNG if set, else
// generated 256 MiB Ethernet captures (IMIX-like sizes) in the temporary
// directory, removed at exit.  Times are CPU time: the page cache holds the
// files, and wall time on a shared machine mostly measures the neighbours.
#include <benchmark/benchmark.h>

#include <pktpath/capture/mapped_file.hpp>
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/stream_reader.hpp>
#include <pktpath/capture/writer.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#ifdef PKTPATH_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

namespace {

// IMIX-like sizes: 7 x 64, 4 x 576, 1 x 1514 bytes.
const std::uint32_t imix[] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1514};
constexpr std::uint64_t target_bytes = 256u << 20;

[[noreturn]] void die(const char *msg)
{
	std::fprintf(stderr, "pktpath-bench-capture: %s\n", msg);
	std::exit(1);
}

struct bench_file {
	std::string path;
	bool generated = false;
	std::uint64_t bytes = 0;
	std::uint64_t packets = 0;

	bench_file(const char *env, const char *suffix, bool pcapng)
	{
		if (const char *p = std::getenv(env)) {
			path = p;
		} else {
			const char *tmp = std::getenv("TMPDIR");
			path = std::string(tmp ? tmp : "/tmp") + "/pktpath-bench-capture-" +
			       std::to_string(::getpid()) + suffix;
			generated = true;
			if (pcapng)
				generate_pcapng();
			else
				generate_pcap();
		}
		pktpath::capture::reader r;
		pktpath::capture::frame f;
		if (!r.open(path.c_str()))
			die(r.err().message);
		while (r.next(f))
			++packets;
		if (r.failed())
			die(r.err().message);
		bytes = r.size();
	}
	~bench_file()
	{
		if (generated)
			::unlink(path.c_str());
	}

	static std::vector<std::uint8_t> ipv4_frame()
	{
		std::vector<std::uint8_t> pkt(1514, 0);
		const std::uint8_t eth[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
		std::copy(eth, eth + 14, pkt.begin());
		return pkt;
	}

	void generate_pcap()
	{
		auto pkt = ipv4_frame();
		pktpath::capture::pcap_writer w;
		if (!w.open(path.c_str(), 1, 65535, true))
			die(w.err().message);
		for (std::uint64_t i = 0; w.bytes() < target_bytes; ++i) {
			pkt[20] = static_cast<std::uint8_t>(i);
			const std::uint32_t n = imix[i % (sizeof imix / sizeof imix[0])];
			w.write(pkt.data(), n, n, 1700000000ull * 1000000000u + i * 1000);
		}
		if (!w.close())
			die(w.err().message);
	}

	// pcapng, host byte order: SHB, one Ethernet IDB, then EPBs.
	void generate_pcapng()
	{
		std::FILE *out = std::fopen(path.c_str(), "wb");
		if (!out)
			die("cannot create the pcapng file");
		std::vector<std::uint8_t> blk;
		const auto put = [&](const void *p, std::size_t n) {
			const auto *b = static_cast<const std::uint8_t *>(p);
			blk.insert(blk.end(), b, b + n);
		};
		const auto u16 = [&](std::uint16_t v) { put(&v, 2); };
		const auto u32 = [&](std::uint32_t v) { put(&v, 4); };
		auto emit = [&](std::uint32_t type, auto &&body) {
			blk.clear();
			u32(type);
			u32(0);
			body();
			while (blk.size() % 4)
				blk.push_back(0);
			const auto len = static_cast<std::uint32_t>(blk.size() + 4);
			std::memcpy(blk.data() + 4, &len, 4);
			u32(len);
			std::fwrite(blk.data(), 1, blk.size(), out);
			return len;
		};
		emit(0x0a0d0d0a, [&] {
			u32(0x1a2b3c4d);
			u16(1);
			u16(0);
			u32(0xffffffff);
			u32(0xffffffff);
		});
		emit(1, [&] {
			u16(1);
			u16(0);
			u32(65535);
		});
		const auto pkt = ipv4_frame();
		std::uint64_t written = 0;
		for (std::uint64_t i = 0; written < target_bytes; ++i) {
			const std::uint32_t n = imix[i % (sizeof imix / sizeof imix[0])];
			const std::uint64_t ts = 1700000000000000ull + i;
			written += emit(6, [&] {
				u32(0);
				u32(static_cast<std::uint32_t>(ts >> 32));
				u32(static_cast<std::uint32_t>(ts));
				u32(n);
				u32(n);
				blk.insert(blk.end(), pkt.begin(), pkt.begin() + n);
			});
		}
		if (std::fclose(out) != 0)
			die("cannot write the pcapng file");
	}
};

const bench_file &pcap_file()
{
	static const bench_file f("PKTPATH_BENCH_PCAP", ".pcap", false);
	return f;
}

const bench_file &pcapng_file()
{
	static const bench_file f("PKTPATH_BENCH_PCAPNG", ".pcapng", true);
	return f;
}

void account(benchmark::State &state, const bench_file &f, std::uint64_t sum)
{
	if (state.iterations() > 0 && sum == 0)
		state.SkipWithError("no packets seen");
	state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * f.bytes));
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.packets));
	state.counters["file_MB"] = static_cast<double>(f.bytes) / 1e6;
}

// One pass: open, visit every packet, read its length and ethertype.
void walk_pktpath(benchmark::State &state, const bench_file &f, std::size_t release_behind)
{
	pktpath::capture::reader_options opt;
	opt.release_behind = release_behind;
	std::uint64_t sum = 0;
	for (auto _ : state) {
		pktpath::capture::reader r(opt);
		if (!r.open(f.path.c_str())) {
			state.SkipWithError(r.err().message);
			return;
		}
		pktpath::capture::frame fr;
		while (r.next(fr))
			sum += fr.caplen + (fr.caplen >= 14 ? (fr.data[12] << 8 | fr.data[13]) : 0);
		benchmark::DoNotOptimize(sum);
	}
	account(state, f, sum);
}

// A thread writes the file into a pipe, as `cat FILE |` does; the file is
// mapped once (from the page cache) so the writer costs one copy per byte.
class pipe_writer {
public:
	explicit pipe_writer(const bench_file &f)
	{
		pktpath::capture::error err;
		if (!file_.open(f.path.c_str(), err))
			die(err.message);
		if (::pipe(fd_) != 0)
			die("pipe");
		thread_ = std::thread([this] {
			const std::uint8_t *p = file_.data();
			std::size_t left = file_.size();
			while (left) {
				const ssize_t n = ::write(fd_[1], p, left < (1u << 20) ? left : (1u << 20));
				if (n <= 0)
					break;
				p += n;
				left -= static_cast<std::size_t>(n);
			}
			::close(fd_[1]);
		});
	}
	~pipe_writer() { thread_.join(); }
	int read_end() const { return fd_[0]; }

private:
	pktpath::capture::mapped_file file_;
	int fd_[2] = {-1, -1};
	std::thread thread_;
};

void pipe_pktpath(benchmark::State &state, const bench_file &f)
{
	std::uint64_t sum = 0;
	for (auto _ : state) {
		pipe_writer w(f);
		pktpath::capture::stream_reader r;
		if (!r.open_fd(w.read_end(), true)) {
			state.SkipWithError(r.err().message);
			return;
		}
		pktpath::capture::frame fr;
		while (r.next(fr))
			sum += fr.caplen + (fr.caplen >= 14 ? (fr.data[12] << 8 | fr.data[13]) : 0);
		state.counters["buffer_kB"] = static_cast<double>(r.buffer_size()) / 1e3;
		benchmark::DoNotOptimize(sum);
	}
	account(state, f, sum);
}

#ifdef PKTPATH_HAVE_LIBPCAP
void pipe_libpcap(benchmark::State &state, const bench_file &f)
{
	std::uint64_t sum = 0;
	char errbuf[PCAP_ERRBUF_SIZE];
	for (auto _ : state) {
		pipe_writer w(f);
		pcap_t *p = pcap_fopen_offline(::fdopen(w.read_end(), "r"), errbuf);
		if (!p) {
			state.SkipWithError(errbuf);
			return;
		}
		struct pcap_pkthdr *h;
		const u_char *d;
		while (pcap_next_ex(p, &h, &d) == 1)
			sum += h->caplen + (h->caplen >= 14 ? (d[12] << 8 | d[13]) : 0);
		pcap_close(p); // closes the FILE and the read end
		benchmark::DoNotOptimize(sum);
	}
	account(state, f, sum);
}
#endif

void capture_pktpath_pipe_pcap(benchmark::State &state)
{
	pipe_pktpath(state, pcap_file());
}
void capture_pktpath_pipe_pcapng(benchmark::State &state)
{
	pipe_pktpath(state, pcapng_file());
}

void capture_pktpath_pcap(benchmark::State &state)
{
	walk_pktpath(state, pcap_file(), 0);
}
void capture_pktpath_pcap_release(benchmark::State &state)
{
	walk_pktpath(state, pcap_file(), 64u << 20);
}
void capture_pktpath_pcapng(benchmark::State &state)
{
	walk_pktpath(state, pcapng_file(), 0);
}

#ifdef PKTPATH_HAVE_LIBPCAP
void walk_libpcap(benchmark::State &state, const bench_file &f)
{
	std::uint64_t sum = 0;
	char errbuf[PCAP_ERRBUF_SIZE];
	for (auto _ : state) {
		pcap_t *p = pcap_open_offline(f.path.c_str(), errbuf);
		if (!p) {
			state.SkipWithError(errbuf);
			return;
		}
		struct pcap_pkthdr *h;
		const u_char *d;
		while (pcap_next_ex(p, &h, &d) == 1)
			sum += h->caplen + (h->caplen >= 14 ? (d[12] << 8 | d[13]) : 0);
		pcap_close(p);
		benchmark::DoNotOptimize(sum);
	}
	account(state, f, sum);
}

void capture_libpcap_pcap(benchmark::State &state)
{
	walk_libpcap(state, pcap_file());
}
void capture_libpcap_pcapng(benchmark::State &state)
{
	walk_libpcap(state, pcapng_file());
}
// libpcap on a pipe: pcap_fopen_offline over the read end.
void pipe_libpcap(benchmark::State &state, const bench_file &f);

void capture_libpcap_pipe_pcap(benchmark::State &state)
{
	pipe_libpcap(state, pcap_file());
}
void capture_libpcap_pipe_pcapng(benchmark::State &state)
{
	pipe_libpcap(state, pcapng_file());
}
BENCHMARK(capture_libpcap_pipe_pcap)->Name("capture/libpcap/pipe/pcap")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_libpcap_pipe_pcapng)->Name("capture/libpcap/pipe/pcapng")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_libpcap_pcap)->Name("capture/libpcap/pcap_next_ex/pcap")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_libpcap_pcapng)->Name("capture/libpcap/pcap_next_ex/pcapng")->Unit(benchmark::kMillisecond);
#endif

BENCHMARK(capture_pktpath_pcap)->Name("capture/pktpath/mmap/pcap")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_pktpath_pcapng)->Name("capture/pktpath/mmap/pcapng")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_pktpath_pcap_release)->Name("capture/pktpath/mmap_release_64MB/pcap")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_pktpath_pipe_pcap)->Name("capture/pktpath/pipe/pcap")->Unit(benchmark::kMillisecond);
BENCHMARK(capture_pktpath_pipe_pcapng)->Name("capture/pktpath/pipe/pcapng")->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
