// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The stream reader against the mapped reader: the same bytes through a pipe,
// written in chunks of random sizes, give the same frames, offsets and
// errors, for every prefix of a capture too; memory stays flat on a long
// stream; frames stay valid within `keep`.
#include <pktpath/capture/input.hpp>
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/stream_reader.hpp>

#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "unit/test_capture_util.hpp"

using namespace pktpath::capture;
using namespace capture_test;

namespace {

struct walked {
	std::vector<frame> frames;
	std::vector<std::vector<std::uint8_t>> bytes; // each frame's bytes, copied when handed out
	error err;
	format fmt = format::unknown;
};

template <class Reader>
walked walk_all(Reader &r, bool opened)
{
	walked w;
	frame f;
	while (opened && r.next(f)) {
		w.frames.push_back(f);
		w.bytes.emplace_back(f.data, f.data + f.caplen);
	}
	w.err = r.err();
	w.fmt = r.fmt();
	return w;
}

walked mapped(const std::vector<std::uint8_t> &v)
{
	reader r;
	const bool ok = r.open_memory(v.data(), v.size());
	return walk_all(r, ok);
}

// Writes v into a pipe in chunks of 1..max_chunk bytes (seeded), then
// closes it; the stream reader reads the other end.
walked piped(const std::vector<std::uint8_t> &v, unsigned seed, std::size_t max_chunk, stream_options so = {})
{
	// A reader that stops early (an error) closes its end: the writer sees EPIPE, not SIGPIPE.
	::signal(SIGPIPE, SIG_IGN);
	int p[2];
	REQUIRE(::pipe(p) == 0);
	std::thread writer([&] {
		std::mt19937 rng(seed);
		std::size_t at = 0;
		while (at < v.size()) {
			std::size_t n = std::uniform_int_distribution<std::size_t>(1, max_chunk)(rng);
			n = n < v.size() - at ? n : v.size() - at;
			const ssize_t w = ::write(p[1], v.data() + at, n);
			if (w <= 0)
				break;
			at += static_cast<std::size_t>(w);
		}
		::close(p[1]);
	});
	stream_reader r(reader_options{}, so);
	const bool ok = r.open_fd(p[0], true);
	walked w = walk_all(r, ok);
	r.close();
	writer.join();
	return w;
}

void same(const walked &a, const walked &b)
{
	REQUIRE(a.frames.size() == b.frames.size());
	for (std::size_t i = 0; i < a.frames.size(); i++) {
		const frame &x = a.frames[i], &y = b.frames[i];
		CHECK(x.caplen == y.caplen);
		CHECK(x.origlen == y.origlen);
		CHECK(x.ts_ns == y.ts_ns);
		CHECK(x.linktype == y.linktype);
		CHECK(x.interface_id == y.interface_id);
		CHECK(x.section == y.section);
		CHECK(x.offset == y.offset);
		CHECK(x.index == y.index);
		CHECK(a.bytes[i] == b.bytes[i]);
	}
	CHECK(a.err.code == b.err.code);
	CHECK(a.err.offset == b.err.offset);
	CHECK(std::string(a.err.message) == std::string(b.err.message));
	CHECK(a.fmt == b.fmt);
}

std::vector<std::uint8_t> file_bytes(const char *name)
{
	std::ifstream in(std::string(PKTPATH_SOURCE_DIR) + "/examples/captures/" + name, std::ios::binary);
	return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Two sections of opposite byte orders, interfaces with options, skipped
// blocks, every packet block type.
std::vector<std::uint8_t> pcapng_sample()
{
	bytes b;
	b.raw(shb(false)).raw(idb(false, 1, 0, option(false, 9, {6})));
	for (unsigned i = 0; i < 20; i++)
		b.raw(epb(false, 0, 1000 + i, payload(30 + 97 * i % 1400, i), 1500));
	b.raw(block(false, 4, payload(40, 9))); // name resolution: skipped
	b.raw(spb(false, payload(60, 3), 60));
	b.raw(shb(true)).raw(idb(true, 113, 128)).raw(legacy_pb(true, 0, 7, payload(100, 5), 100));
	b.raw(epb(true, 0, 9, payload(128, 6), 400));
	return b.v;
}

std::vector<std::uint8_t> pcap_sample(bool big)
{
	bytes b(big);
	b.raw(pcap_header(big, true));
	for (unsigned i = 0; i < 40; i++)
		b.raw(pcap_record(big, i, i * 1000, payload(14 + 131 * i % 1500, i), 1514));
	return b.v;
}

} // namespace

TEST_CASE("stream reader: the same frames as the mapped reader, whatever the chunks", "[capture][stream]")
{
	const std::vector<std::vector<std::uint8_t>> inputs = {file_bytes("mix.pcap"), file_bytes("drops.pcap"),
							       pcap_sample(false), pcap_sample(true), pcapng_sample()};
	for (const auto &v : inputs) {
		REQUIRE(v.size() > 100);
		const walked m = mapped(v);
		REQUIRE(!m.err);
		REQUIRE(m.frames.size() > 10);
		for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1} << 20})
			for (unsigned seed = 1; seed <= 2; seed++)
				same(piped(v, seed, chunk), m);
	}
}

TEST_CASE("stream reader: every prefix ends as the mapped reader's walk of it", "[capture][stream]")
{
	for (const auto &v : {pcap_sample(true), pcapng_sample()}) {
		for (std::size_t n = 0; n < v.size(); n += 1 + n / 64) {
			const std::vector<std::uint8_t> cut(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
			const walked m = mapped(cut);
			const walked s = piped(cut, static_cast<unsigned>(n), 300);
			same(s, m);
			if (n > 24) // a cut beyond the header is an error only when it falls inside a record
				CHECK((s.err.code == errc::none || s.err.code == errc::truncated));
		}
	}
}

TEST_CASE("stream reader: a record cut mid-way names its offset, a block too large for the buffer is refused",
	  "[capture][stream]")
{
	std::vector<std::uint8_t> v = pcap_sample(false);
	const walked whole = mapped(v);
	const std::size_t cut_at = static_cast<std::size_t>(whole.frames[10].offset) + 16 + 5; // inside record 11
	v.resize(cut_at);
	const walked s = piped(v, 3, 64);
	CHECK(s.frames.size() == 10);
	CHECK(s.err.code == errc::truncated);
	CHECK(s.err.offset == whole.frames[10].offset);
	CHECK(std::string(s.err.message).find("runs past the end") != std::string::npos);

	// A 400 KiB block: above max_block's default (max_caplen + 64 KiB is
	// 320 KiB) it is refused by its length, not read past the buffer.
	bytes b;
	b.raw(shb(false)).raw(idb(false, 1, 0)).raw(block(false, 4, payload(400 << 10, 1)));
	const walked big = piped(b.v, 1, 65536);
	CHECK(big.err.code == errc::bad_block_length);
	CHECK(big.err.offset == shb(false).size() + idb(false, 1, 0).size());
	stream_options so;
	so.max_block = 512 << 10;
	CHECK(!piped(b.v, 1, 65536, so).err);
}

TEST_CASE("stream reader: flat memory on a long stream, frames within keep stay valid", "[capture][stream]")
{
	// 48 MiB of records through the pipe with 1 MiB kept: the ring has one
	// size from the first byte to the last, and each frame still holds its
	// bytes while it is less than `keep` behind the cursor.
	const std::vector<std::uint8_t> rec = pcap_record(false, 1, 2, payload(1400, 7), 1400);
	const std::size_t records = (48u << 20) / rec.size();
	int p[2];
	REQUIRE(::pipe(p) == 0);
	std::thread writer([&] {
		std::vector<std::uint8_t> hdr = pcap_header(false, false);
		bool ok = ::write(p[1], hdr.data(), hdr.size()) == static_cast<ssize_t>(hdr.size());
		std::vector<std::uint8_t> batch;
		for (int i = 0; i < 64; i++)
			batch.insert(batch.end(), rec.begin(), rec.end());
		for (std::size_t i = 0; ok && i < records; i += 64)
			ok = ::write(p[1], batch.data(), batch.size()) == static_cast<ssize_t>(batch.size());
		::close(p[1]);
	});
	stream_options so;
	so.keep = 1 << 20;
	stream_reader r(reader_options{}, so);
	REQUIRE(r.open_fd(p[0], true));
	const std::size_t ring = r.buffer_size();
	CHECK(ring < so.keep + (1u << 20));
	std::vector<frame> held; // the last 256 frames (about 360 KiB, under keep)
	frame f;
	std::size_t n = 0, bad = 0;
	while (r.next(f)) {
		held.push_back(f);
		if (held.size() > 256)
			held.erase(held.begin());
		if (++n % 1000 == 0)
			for (const frame &h : held)
				bad += std::memcmp(h.data, rec.data() + 16, h.caplen) != 0;
		CHECK(r.buffer_size() == ring);
	}
	const bool failed = r.failed();
	const std::uint64_t read = r.size();
	r.close(); // a walk that ended early must not leave the writer blocked
	writer.join();
	CHECK(!failed);
	CHECK(n == (records + 63) / 64 * 64);
	CHECK(bad == 0);
	CHECK(read == 24 + n * rec.size());
}

TEST_CASE("capture input: regular files are mapped, '-' and pipes are streamed", "[capture][stream]")
{
	const std::string path = std::string(PKTPATH_SOURCE_DIR) + "/examples/captures/mix.pcap";
	input in;
	REQUIRE(in.open(path.c_str()));
	CHECK(!in.streamed());
	std::size_t mapped_frames = 0;
	frame f;
	while (in.next(f))
		mapped_frames++;

	// Standard input: a pipe put in place of fd 0 for the duration.
	const std::vector<std::uint8_t> v = file_bytes("mix.pcap");
	int p[2];
	REQUIRE(::pipe(p) == 0);
	const int saved = ::dup(STDIN_FILENO);
	REQUIRE(::dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
	::close(p[0]);
	std::thread writer([&] {
		CHECK(::write(p[1], v.data(), v.size()) == static_cast<ssize_t>(v.size()));
		::close(p[1]);
	});
	REQUIRE(in.open("-"));
	CHECK(in.streamed());
	std::size_t streamed_frames = 0;
	while (in.next(f))
		streamed_frames++;
	writer.join();
	in.close();
	::dup2(saved, STDIN_FILENO);
	::close(saved);
	CHECK(streamed_frames == mapped_frames);

	CHECK(!in.open("/nonexistent/capture.pcap"));
	CHECK(in.err().code == errc::io);
	CHECK(std::string(in.err().message).find("No such file") != std::string::npos);
}
