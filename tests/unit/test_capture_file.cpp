// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Captures as files: the mapped reader's open errors and page release, and
// the pcap and pcapng writers' round trips through the reader, tcpdump and
// tshark (run as subprocesses when installed).  The formats themselves: test_capture.cpp.
#include <catch2/catch.hpp>

#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/writer.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "test_capture_util.hpp"

using namespace pktpath::capture;
using namespace capture_test;

namespace {

struct temp_dir {
	std::filesystem::path path;
	temp_dir()
	{
		path = std::filesystem::temp_directory_path() / ("pktpath-capture-" + std::to_string(::getpid()));
		std::filesystem::create_directories(path);
	}
	~temp_dir()
	{
		std::error_code ec;
		std::filesystem::remove_all(path, ec);
	}
	std::string file(const char *name) const { return (path / name).string(); }
};

void write_file(const std::string &path, const std::vector<std::uint8_t> &v)
{
	std::FILE *f = std::fopen(path.c_str(), "wb");
	REQUIRE(f);
	REQUIRE((v.empty() || std::fwrite(v.data(), 1, v.size(), f) == v.size()));
	REQUIRE(std::fclose(f) == 0);
}

std::vector<std::string> run_lines(const std::string &cmd)
{
	std::vector<std::string> lines;
	std::FILE *p = ::popen(cmd.c_str(), "r");
	REQUIRE(p);
	char buf[4096];
	bool whole = true; // the last piece ended its line
	while (std::fgets(buf, sizeof buf, p)) {
		if (whole)
			lines.emplace_back(buf);
		else
			lines.back() += buf;
		whole = lines.back().back() == '\n';
	}
	::pclose(p);
	return lines;
}

// An installed tool's path, or "".
std::string tool(const char *name)
{
	for (const char *dir : {"/usr/sbin/", "/usr/bin/"})
		if (::access((std::string(dir) + name).c_str(), X_OK) == 0)
			return std::string(dir) + name;
	return "";
}

// An Ethernet frame of a local experimental ethertype: tcpdump prints one line.
std::vector<std::uint8_t> ether_frame(std::size_t n, unsigned seed)
{
	auto p = payload(n, seed);
	const std::uint8_t hdr[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5};
	std::memcpy(p.data(), hdr, sizeof hdr);
	return p;
}

// A nanosecond pcap of `records` records: record i has 1000 bytes of
// payload(1000, i) and the timestamp i s + i ns.
std::vector<std::uint8_t> numbered_pcap(unsigned records)
{
	std::vector<std::uint8_t> file = pcap_header(false, true);
	for (unsigned i = 0; i < records; ++i) {
		const auto rec = pcap_record(false, i, i, payload(1000, i), 1000);
		file.insert(file.end(), rec.begin(), rec.end());
	}
	return file;
}

// Resident kB of the mapping that holds `p`, from /proc/self/smaps (-1 if unknown).
long mapping_rss_kb(const void *p)
{
	std::ifstream in("/proc/self/smaps");
	std::string line;
	bool inside = false;
	const auto addr = reinterpret_cast<std::uintptr_t>(p);
	while (std::getline(in, line)) {
		unsigned long long lo, hi;
		if (std::sscanf(line.c_str(), "%llx-%llx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
			inside = addr >= lo && addr < hi;
			continue;
		}
		long kb;
		if (inside && std::sscanf(line.c_str(), "Rss: %ld kB", &kb) == 1)
			return kb;
	}
	return -1;
}

// Reads the rest of rd and checks each frame against the records a writer
// was given: cut to snaplen, their original length, Ethernet, their
// timestamp to the file's resolution (ts_unit ns) and their bytes.
template <class Rec>
void check_frames(reader &rd, const std::vector<Rec> &recs, std::uint32_t snaplen, std::uint64_t ts_unit)
{
	frame f;
	std::size_t i = 0;
	while (rd.next(f)) {
		REQUIRE(i < recs.size());
		const Rec &r = recs[i];
		const std::size_t want = std::min<std::size_t>(r.data.size(), snaplen);
		CHECK(f.caplen == want);
		CHECK(f.origlen == r.origlen);
		CHECK(f.linktype == 1);
		CHECK(f.ts_ns == r.ts_ns / ts_unit * ts_unit);
		CHECK(std::memcmp(f.data, r.data.data(), want) == 0);
		++i;
	}
	CHECK_FALSE(rd.failed());
	CHECK(i == recs.size());
}

} // namespace

TEST_CASE("mapped file reader: open errors, empty file, release_behind", "[capture][file]")
{
	temp_dir dir;
	reader rd;
	CHECK_FALSE(rd.open(dir.file("missing.pcap").c_str()));
	CHECK(rd.err().code == errc::io);
	CHECK(std::string(rd.err().message).find("No such file") != std::string::npos);
	CHECK_FALSE(rd.open(dir.path.c_str()));
	CHECK(rd.err().code == errc::io);

	write_file(dir.file("empty.pcap"), {});
	CHECK_FALSE(rd.open(dir.file("empty.pcap").c_str()));
	CHECK(rd.err().code == errc::truncated);

	// 3000 records of 1000 bytes: ~3 MB walked with pages released every 64 KiB.
	const std::vector<std::uint8_t> file = numbered_pcap(3000);
	write_file(dir.file("big.pcap"), file);
	reader_options opt;
	opt.release_behind = 64 * 1024;
	reader streaming(opt);
	REQUIRE(streaming.open(dir.file("big.pcap").c_str()));
	CHECK(streaming.size() == file.size());
	frame f, first;
	unsigned n = 0;
	while (streaming.next(f)) {
		if (n == 0)
			first = f;
		CHECK(f.ts_ns == std::uint64_t(n) * 1000000000u + n);
		if (!same_bytes(f, payload(1000, n)))
			FAIL("frame " << n << " differs");
		++n;
	}
	CHECK_FALSE(streaming.failed());
	CHECK(n == 3000);
	CHECK(streaming.position() == file.size());
	// Only pages a window behind the last release point were dropped: one
	// to two release windows (plus the kernel's fault-around) stay resident.
	const long streamed_kb = mapping_rss_kb(first.data);
	// The first frame's pages were released; it refaults with the same bytes.
	CHECK(same_bytes(first, payload(1000, 0)));

	reader keeping;
	REQUIRE(keeping.open(dir.file("big.pcap").c_str()));
	while (keeping.next(f))
		;
	const long kept_kb = mapping_rss_kb(f.data);
	if (streamed_kb < 0 || kept_kb < 0) {
		WARN("/proc/self/smaps unreadable: resident size not checked");
		return;
	}
	INFO("resident kB: streaming " << streamed_kb << ", keeping " << kept_kb);
	CHECK(kept_kb >= 2900);
	CHECK(streamed_kb <= 1024);
	CHECK(streamed_kb >= 0);
}

TEST_CASE("mapped file reader: frames still in use behind the cursor do not pile up", "[capture][file]")
{
	// A consumer that holds frames for a while (a replay's rings and
	// backlogs) touches each one again 1.5 release windows after the reader
	// handed it out.  Those pages refault (possibly as a whole large folio
	// of the page cache); the next releases must drop them again.
	temp_dir dir;
	constexpr unsigned records = 8000, held = 384; // 1000-byte payloads: ~8 MB, held ~400 KB
	const std::vector<std::uint8_t> file = numbered_pcap(records);
	write_file(dir.file("held.pcap"), file);
	reader_options opt;
	opt.release_behind = 256 * 1024;
	reader streaming(opt);
	REQUIRE(streaming.open(dir.file("held.pcap").c_str()));
	std::vector<frame> frames;
	frame f;
	while (streaming.next(f)) {
		frames.push_back(f);
		if (frames.size() > held) {
			const std::size_t old = frames.size() - 1 - held;
			if (!same_bytes(frames[old], payload(1000, static_cast<unsigned>(old))))
				FAIL("frame " << old << " differs");
		}
	}
	REQUIRE(frames.size() == records);
	const long kb = mapping_rss_kb(frames.front().data);
	if (kb < 0) {
		WARN("/proc/self/smaps unreadable: resident size not checked");
		return;
	}
	INFO("resident kB after walking " << file.size() / 1024 << " kB: " << kb);
	// Without the second drop every refaulted page would stay: ~7.6 MB.
	CHECK(kb <= 4096);
}

TEST_CASE("mapped file reader: a file cut while it is read ends the walk with errc::shrunk", "[capture][file]")
{
	temp_dir dir;
	const std::string path = dir.file("shrinks.pcap");
	write_file(path, numbered_pcap(400)); // 1016-byte records: about 400 kB
	const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
	const std::size_t cut = 40 * page + 100;

	reader_options o;
	o.guard_truncation = true;
	reader rd(o);
	REQUIRE(rd.open(path.c_str()));
	frame f;
	REQUIRE(rd.next(f));
	// Another writer cuts the file: its pages past the cut are gone from the page cache.
	REQUIRE(::truncate(path.c_str(), static_cast<off_t>(cut)) == 0);
	std::vector<frame> frames{f};
	while (rd.next(f))
		frames.push_back(f);
	REQUIRE(rd.failed());
	CHECK(rd.err().code == errc::shrunk);
	CHECK(std::string(rd.err().message).find("shrank") != std::string::npos);
	CHECK(rd.err().offset >= 40 * page);
	CHECK(rd.err().offset <= cut + page);
	// Every record whose header lay before the lost page was read; none after it.
	const std::size_t lost = (cut + page - 1) / page * page;
	CHECK(frames.size() >= (cut - 24) / 1016);
	CHECK(frames.back().offset < lost);
	// Frames handed out stay readable: bytes before the cut as written, after it zeros.
	std::size_t intact = 0, zeroed = 0;
	for (const frame &x : frames) {
		if (x.offset + 16 + x.caplen <= cut) {
			intact += same_bytes(x, payload(1000, static_cast<unsigned>(x.index - 1)));
		} else {
			bool zero = true;
			for (std::uint32_t i = 0; i < x.caplen; i++)
				if (x.offset + 16 + i >= lost)
					zero = zero && x.data[i] == 0;
			zeroed += zero;
		}
	}
	CHECK(intact == (cut - 24) / 1016);
	CHECK(intact + zeroed == frames.size());
	CHECK_FALSE(rd.next(f)); // ended stays ended

	// Unguarded, the same cut is what a user must prevent: it would be SIGBUS.
	CHECK_FALSE(reader_options{}.guard_truncation);
}

TEST_CASE("pcap writer: round trip through the reader and tcpdump", "[capture][writer]")
{
	temp_dir dir;
	const bool nsec = GENERATE(true, false);
	CAPTURE(nsec);
	const std::string path = dir.file(nsec ? "out-ns.pcap" : "out-us.pcap");
	struct rec {
		std::vector<std::uint8_t> data;
		std::uint32_t origlen;
		std::uint64_t ts_ns;
	};
	std::vector<rec> recs;
	// Sizes around and above the 64 KiB buffer, and one above the snap length.
	const std::size_t sizes[] = {60, 1514, 14, 9000, 65536, 70000, 100, 200000, 64, 100000};
	for (std::size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i)
		recs.push_back({ether_frame(sizes[i], static_cast<unsigned>(i)),
				static_cast<std::uint32_t>(sizes[i] + i),
				1700000000ull * 1000000000u + i * 1000001234ull});
	for (unsigned i = 0; i < 2000; ++i)
		recs.push_back({ether_frame(60 + i % 200, i), static_cast<std::uint32_t>(60 + i % 200),
				1700000100ull * 1000000000u + i * 777ull});

	const std::uint32_t snaplen = 150000;
	pcap_writer w;
	REQUIRE(w.open(path.c_str(), 1, snaplen, nsec));
	for (const rec &r : recs)
		REQUIRE(w.write(r.data.data(), static_cast<std::uint32_t>(r.data.size()), r.origlen, r.ts_ns));
	CHECK(w.packets() == recs.size());
	REQUIRE(w.close());
	CHECK_FALSE(w.write(recs[0].data.data(), 1, 1, 0)); // closed

	reader rd;
	REQUIRE(rd.open(path.c_str()));
	CHECK(rd.fmt() == (nsec ? format::pcap_nsec : format::pcap));
	CHECK(rd.pcap().header().snaplen == snaplen);
	CHECK(rd.pcap().header().version_major == 2);
	CHECK(rd.pcap().header().version_minor == 4);
	check_frames(rd, recs, snaplen, nsec ? 1 : 1000);

	// Re-writing what the reader returns gives the same file.
	const std::string copy = dir.file("copy.pcap");
	{
		frame f;
		reader again;
		REQUIRE(again.open(path.c_str()));
		pcap_writer w2;
		REQUIRE(w2.open(copy.c_str(), 1, snaplen, nsec));
		while (again.next(f))
			REQUIRE(w2.write(f));
		REQUIRE(w2.close());
	}
	CHECK(std::filesystem::file_size(copy) == std::filesystem::file_size(path));
	CHECK(run_lines("cmp -s '" + copy + "' '" + path + "' && echo same") == std::vector<std::string>{"same\n"});

	const std::string tcpdump = tool("tcpdump");
	if (tcpdump.empty()) {
		WARN("tcpdump not installed: skipping the tcpdump read-back");
		return;
	}
	// One summary line per packet; tcpdump hex-dumps the unknown payload on
	// indented lines after it.
	const auto lines =
		run_lines(tcpdump + " -nn --nano -tt -r '" + path + "' 2>/dev/null | grep -v '^[[:space:]]'");
	REQUIRE(lines.size() == recs.size());
	for (std::size_t k = 0; k < recs.size(); ++k) {
		const std::uint64_t ts = nsec ? recs[k].ts_ns : recs[k].ts_ns / 1000 * 1000;
		char want[64];
		std::snprintf(want, sizeof want, "%llu.%09llu ", static_cast<unsigned long long>(ts / 1000000000u),
			      static_cast<unsigned long long>(ts % 1000000000u));
		if (lines[k].rfind(want, 0) != 0)
			FAIL("tcpdump line " << k << ": " << lines[k] << " does not start with " << want);
		char len[32];
		std::snprintf(len, sizeof len, "length %u", recs[k].origlen);
		CHECK(lines[k].find(len) != std::string::npos);
	}
}

TEST_CASE("pcapng writer: comments, round trip through the reader, tcpdump and tshark", "[capture][writer]")
{
	temp_dir dir;
	const std::string path = dir.file("out.pcapng");
	struct rec {
		std::vector<std::uint8_t> data;
		std::uint32_t origlen;
		std::uint64_t ts_ns;
		std::string comment;
	};
	std::vector<rec> recs;
	// Lengths 0-3 mod 4 (the data's padding), one above the snap length and the 64 KiB buffer; comments
	// of every padding, none, and one longer than an option may hold.
	const std::size_t sizes[] = {60, 61, 62, 63, 1514, 14, 70000, 100};
	for (std::size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i)
		recs.push_back({ether_frame(sizes[i], static_cast<unsigned>(i)),
				static_cast<std::uint32_t>(sizes[i] + 3 * i),
				1700000000ull * 1000000000u + i * 1000001234ull,
				i == 3 ? std::string() : "stage=udp_rcv reason=NO_SOCKET" + std::string(i, '+')});
	recs.push_back({ether_frame(64, 99), 64, 1700000001ull * 1000000000u, std::string(5000, 'c')});

	const std::uint32_t snaplen = 65535;
	pcapng_writer w;
	REQUIRE(w.open(path.c_str(), 1, snaplen));
	for (const rec &r : recs)
		REQUIRE(w.write(r.data.data(), static_cast<std::uint32_t>(r.data.size()), r.origlen, r.ts_ns,
				r.comment.empty() ? nullptr : r.comment.c_str()));
	CHECK(w.packets() == recs.size());
	REQUIRE(w.close());
	CHECK_FALSE(w.write(recs[0].data.data(), 1, 1, 0));

	reader rd;
	REQUIRE(rd.open(path.c_str()));
	CHECK(rd.fmt() == format::pcapng);
	check_frames(rd, recs, snaplen, 1);

	const std::string tcpdump = tool("tcpdump"), tshark = tool("tshark");
	if (!tcpdump.empty())
		CHECK(run_lines(tcpdump + " -nn -r '" + path + "' 2>/dev/null | grep -v '^[[:space:]]'").size() ==
		      recs.size());
	else
		WARN("tcpdump not installed: skipping the tcpdump read-back");
	if (tshark.empty()) {
		WARN("tshark not installed: skipping the comments' read-back");
		return;
	}
	// One line per packet: its length on the wire, then its comment (empty when it has none).
	const auto lines = run_lines(tshark + " -r '" + path +
				     "' -T fields -E separator=, -e frame.len -e frame.comment 2>/dev/null");
	REQUIRE(lines.size() == recs.size());
	for (std::size_t k = 0; k < recs.size(); ++k) {
		std::string comment = recs[k].comment.substr(0, pcapng_writer::max_comment);
		CHECK(lines[k] == std::to_string(recs[k].origlen) + "," + comment + "\n");
	}
}

TEST_CASE("pcapng writer: open failure is reported", "[capture][writer]")
{
	pcapng_writer w;
	CHECK_FALSE(w.open("/nonexistent-dir/x.pcapng", 1));
	CHECK(w.err().code == errc::io);
	CHECK_FALSE(w.write(nullptr, 0, 0, 0, "x"));
}

TEST_CASE("pcap writer: open failure is reported", "[capture][writer]")
{
	pcap_writer w;
	CHECK_FALSE(w.open("/nonexistent-dir/x.pcap", 1));
	CHECK(w.err().code == errc::io);
	CHECK_FALSE(w.write(nullptr, 0, 0, 0));
}
