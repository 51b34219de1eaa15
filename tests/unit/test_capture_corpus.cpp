// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The capture reader against real files: every capture of the corpus at
// PKTPATH_CORPUS_DIR, frame by frame against tshark's oracle (number of
// packets, captured and original length, link type), and the files tshark
// refuses must give an error here too.  Skipped when the corpus is absent.
#include <catch2/catch.hpp>

#include <pktpath/capture/reader.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace pktpath::capture;
namespace fs = std::filesystem;

namespace {

struct table {
	std::map<std::string, std::size_t> column;
	std::vector<std::vector<std::string>> rows;

	const std::string &at(std::size_t row, const char *name) const { return rows[row][column.at(name)]; }
};

std::vector<std::string> split_tabs(const std::string &line)
{
	std::vector<std::string> out;
	std::size_t start = 0;
	for (;;) {
		const std::size_t tab = line.find('\t', start);
		out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
		if (tab == std::string::npos)
			return out;
		start = tab + 1;
	}
}

// A tab-separated file whose first line is "#name\tname...".
table read_tsv(const fs::path &path)
{
	table t;
	std::ifstream in(path);
	REQUIRE(in);
	std::string line;
	REQUIRE(std::getline(in, line));
	REQUIRE(line.rfind('#', 0) == 0);
	const auto names = split_tabs(line.substr(1));
	for (std::size_t i = 0; i < names.size(); ++i)
		t.column[names[i]] = i;
	while (std::getline(in, line)) {
		if (line.empty())
			continue;
		auto cells = split_tabs(line);
		cells.resize(names.size());
		t.rows.push_back(std::move(cells));
	}
	return t;
}

format expected_format(const std::string &s)
{
	if (s == "pcap" || s == "pcap-be")
		return format::pcap;
	if (s == "pcap-nsec" || s == "pcap-nsec-be")
		return format::pcap_nsec;
	if (s == "pcapng")
		return format::pcapng;
	return format::unknown;
}

} // namespace

TEST_CASE("capture reader agrees with tshark on the corpus", "[capture][corpus]")
{
	const fs::path corpus = PKTPATH_CORPUS_DIR;
	if (!fs::is_directory(corpus)) {
		WARN("capture corpus not found at " << corpus << ": skipping");
		return;
	}
	std::size_t files = 0, packets = 0, refused = 0, disagreements = 0;
	std::ostringstream report;
	auto disagree = [&](const std::string &file, const std::string &what) {
		if (++disagreements <= 40)
			report << file << ": " << what << "\n";
	};

	for (const char *folder : {"tcpdump", "libpcap", "pcapng-test-generator"}) {
		const fs::path dir = corpus / folder;
		const table summary = read_tsv(dir / "summary.tsv");
		for (std::size_t row = 0; row < summary.rows.size(); ++row) {
			const std::string name = summary.at(row, "file");
			const std::string file = std::string(folder) + "/" + name;
			const int tshark_rc = std::atoi(summary.at(row, "tshark_rc").c_str());
			++files;

			reader rd;
			const bool opened = rd.open((dir / name).c_str());
			std::vector<frame> frames;
			frame f;
			while (rd.next(f))
				frames.push_back(f);

			if (tshark_rc != 0) {
				// tshark read no frame of these: we must refuse them too.
				++refused;
				if (!rd.failed())
					disagree(file, "tshark refuses it (" + summary.at(row, "tshark_error") +
							       ") but it was read without error");
				else if (opened || !frames.empty())
					disagree(file, "refused only after " + std::to_string(frames.size()) +
							       " frame(s): " + rd.err().message);
				continue;
			}
			if (rd.failed()) {
				disagree(file, std::string("tshark reads it, we fail: ") + rd.err().message);
				continue;
			}
			if (rd.fmt() != expected_format(summary.at(row, "format")))
				disagree(file, std::string("format ") + to_string(rd.fmt()) + " but summary says " +
						       summary.at(row, "format"));

			const table oracle = read_tsv(dir / (name + ".flows.tsv"));
			std::vector<std::size_t> pkt_rows; // oracle row of packet k (0-based), in pkt order
			for (std::size_t r = 0; r < oracle.rows.size(); ++r) {
				if (oracle.at(r, "record") != "packet")
					continue;
				const std::size_t k = std::stoul(oracle.at(r, "pkt"));
				if (k != pkt_rows.size() + 1)
					disagree(file, "oracle pkt column not consecutive at row " + std::to_string(r));
				pkt_rows.push_back(r);
			}
			const std::size_t want = std::stoul(summary.at(row, "packets"));
			if (pkt_rows.size() != want)
				disagree(file, "oracle has " + std::to_string(pkt_rows.size()) +
						       " packet rows, summary " + std::to_string(want));
			if (frames.size() != want) {
				disagree(file, "read " + std::to_string(frames.size()) + " packets, tshark " +
						       std::to_string(want));
				continue;
			}
			packets += frames.size();
			for (std::size_t k = 0; k < frames.size() && k < pkt_rows.size(); ++k) {
				const std::size_t r = pkt_rows[k];
				const frame &x = frames[k];
				const auto caplen = std::stoul(oracle.at(r, "caplen"));
				const auto len = std::stoul(oracle.at(r, "len"));
				const auto lt = std::stoul(oracle.at(r, "linktype"));
				if (x.caplen != caplen || x.origlen != len || x.linktype != lt || x.index != k + 1)
					disagree(file, "packet " + std::to_string(k + 1) + ": caplen/len/linktype " +
							       std::to_string(x.caplen) + "/" +
							       std::to_string(x.origlen) + "/" +
							       std::to_string(x.linktype) + ", tshark " +
							       std::to_string(caplen) + "/" + std::to_string(len) +
							       "/" + std::to_string(lt));
			}
		}
	}
	INFO(report.str());
	CHECK(disagreements == 0);
	CHECK(files > 600);
	CHECK(refused == 5);
	CHECK(packets > 0);
	WARN("corpus: " << files << " files, " << packets << " packets compared, " << refused
			<< " refused as by tshark");
}

// Real files cut at random points and with random bit flips: the reader ends
// with a frame prefix or an error, and every view stays inside the buffer
// (an exact-size copy, so ASan also catches any overread).
TEST_CASE("corpus files cut and corrupted never read out of bounds", "[capture][corpus][errors]")
{
	const fs::path corpus = PKTPATH_CORPUS_DIR;
	if (!fs::is_directory(corpus)) {
		WARN("capture corpus not found at " << corpus << ": skipping");
		return;
	}
	std::mt19937_64 rng(2024);
	std::size_t variants = 0, errors = 0;
	for (const auto &entry : fs::recursive_directory_iterator(corpus)) {
		const std::string ext = entry.path().extension().string();
		if (!entry.is_regular_file() || (ext != ".pcap" && ext != ".pcapng"))
			continue;
		std::ifstream in(entry.path(), std::ios::binary);
		const std::vector<std::uint8_t> orig((std::istreambuf_iterator<char>(in)),
						     std::istreambuf_iterator<char>());
		if (orig.empty())
			continue;
		for (int v = 0; v < 16; ++v) {
			std::size_t n = orig.size();
			if (v < 8)
				n = rng() % orig.size();
			std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[n ? n : 1]);
			std::memcpy(buf.get(), orig.data(), n);
			if (v >= 8)
				for (int k = 0; k < 1 + v % 4; ++k)
					buf[rng() % n] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
			reader rd;
			rd.open_memory(buf.get(), n);
			frame f;
			bool inside = true;
			while (rd.next(f))
				inside = inside && f.data >= buf.get() && f.data + f.caplen <= buf.get() + n;
			if (!inside)
				FAIL_CHECK(entry.path() << " variant " << v << ": a frame lies outside the buffer");
			if (rd.failed() && rd.err().offset > n)
				FAIL_CHECK(entry.path()
					   << " variant " << v << ": error offset past the end: " << rd.err().message);
			++variants;
			errors += rd.failed();
		}
	}
	CHECK(variants > 9000);
	CHECK(errors > 0);
}
