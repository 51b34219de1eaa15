// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pcap / pcapng reader on files built byte by byte in memory: both byte
// orders, nanosecond pcap, pcapng sections, interfaces, block kinds and
// options, every corruption the reader must name, truncations and random
// corruption under the sanitizers.  Files on disk, the writer and tcpdump:
// test_capture_file.cpp.
#include <catch2/catch.hpp>

#include <pktpath/capture/reader.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "test_capture_util.hpp"

using namespace pktpath::capture;
using namespace capture_test;

namespace {

std::vector<std::uint8_t> cat(std::initializer_list<std::vector<std::uint8_t>> parts)
{
	std::vector<std::uint8_t> out;
	for (const auto &p : parts)
		out.insert(out.end(), p.begin(), p.end());
	return out;
}

// ---- reading ----

struct result {
	std::unique_ptr<std::uint8_t[]> buf; // exactly the file's size, so ASan sees any overread
	std::size_t size = 0;
	bool opened = false;
	format fmt = format::unknown;
	std::vector<frame> frames;
	error err;
};

result read_all(const std::vector<std::uint8_t> &file, const reader_options &opt = {})
{
	result r;
	r.size = file.size();
	r.buf.reset(new std::uint8_t[file.size() ? file.size() : 1]);
	if (!file.empty())
		std::memcpy(r.buf.get(), file.data(), file.size());
	reader rd(opt);
	r.opened = rd.open_memory(r.buf.get(), r.size);
	r.fmt = rd.fmt();
	frame f;
	while (rd.next(f))
		r.frames.push_back(f);
	r.err = rd.err();
	CHECK(rd.failed() == static_cast<bool>(r.err));
	CHECK_FALSE(rd.next(f)); // an ended walk stays ended
	for (const frame &x : r.frames) {
		// Every view lies inside the input.
		CHECK(x.data >= r.buf.get());
		CHECK(x.data + x.caplen <= r.buf.get() + r.size);
	}
	return r;
}

} // namespace

TEST_CASE("pcap: both byte orders, micro- and nanosecond magic", "[capture][pcap]")
{
	for (const bool big : {false, true})
		for (const bool nsec : {false, true}) {
			CAPTURE(big, nsec);
			const auto p1 = payload(60, 1), p2 = payload(1514, 2);
			const auto hdr = pcap_header(big, nsec, 1);
			const auto r1 = pcap_record(big, 1700000000, 123456, p1, 60);
			const auto r2 = pcap_record(big, 1700000001, 999, p2, 9000);
			const auto r = read_all(cat({hdr, r1, r2}));
			REQUIRE(r.opened);
			CHECK(r.fmt == (nsec ? format::pcap_nsec : format::pcap));
			CHECK_FALSE(r.err);
			REQUIRE(r.frames.size() == 2);
			const std::uint64_t unit = nsec ? 1 : 1000;
			CHECK(r.frames[0].ts_ns == 1700000000ull * 1000000000u + 123456 * unit);
			CHECK(r.frames[1].ts_ns == 1700000001ull * 1000000000u + 999 * unit);
			CHECK(same_bytes(r.frames[0], p1));
			CHECK(same_bytes(r.frames[1], p2));
			CHECK(r.frames[0].origlen == 60);
			CHECK(r.frames[1].origlen == 9000);
			CHECK(r.frames[0].offset == 24);
			CHECK(r.frames[1].offset == 24 + r1.size());
			CHECK(r.frames[0].index == 1);
			CHECK(r.frames[1].index == 2);
			CHECK(r.frames[0].linktype == 1);
			// Zero copy: the view is the input's own bytes.
			CHECK(r.frames[0].data == r.buf.get() + 24 + 16);
		}
}

TEST_CASE("pcap: header-only file and link type field", "[capture][pcap]")
{
	SECTION("no records")
	{
		const auto r = read_all(pcap_header(false, false, 101));
		CHECK(r.opened);
		CHECK(r.frames.empty());
		CHECK_FALSE(r.err);
	}
	SECTION("FCS bits above the link type are kept out of it")
	{
		reader rd;
		const auto file =
			cat({pcap_header(true, false, 0x14000000u | 1u), pcap_record(true, 1, 2, payload(64, 3), 64)});
		REQUIRE(rd.open_memory(file.data(), file.size()));
		CHECK(rd.pcap().header().linktype == 1);
		CHECK(rd.pcap().header().linktype_ext == 0x14000000u);
		CHECK(rd.pcap().header().swapped);
		frame f;
		REQUIRE(rd.next(f));
		CHECK(f.linktype == 1);
	}
	SECTION("minor version 5 is read, as Wireshark does")
	{
		const auto r = read_all(
			cat({pcap_header(false, false, 1, 2, 5), pcap_record(false, 1, 2, payload(10, 1), 10)}));
		CHECK(r.frames.size() == 1);
		CHECK_FALSE(r.err);
	}
	SECTION("a caplen above the snap length but within the limit is returned whole")
	{
		const auto p = payload(2000, 4);
		const auto r =
			read_all(cat({pcap_header(false, false, 1, 2, 4, 1500), pcap_record(false, 1, 2, p, 2000)}));
		REQUIRE(r.frames.size() == 1);
		CHECK(same_bytes(r.frames[0], p));
	}
}

TEST_CASE("pcap: corrupt and truncated files", "[capture][pcap][errors]")
{
	const auto hdr = pcap_header(false, false, 1);
	const auto rec = pcap_record(false, 1, 2, payload(100, 5), 100);

	SECTION("empty and short files")
	{
		auto r = read_all({});
		CHECK_FALSE(r.opened);
		CHECK(r.err.code == errc::truncated);
		r = read_all({0xd4, 0xc3});
		CHECK(r.err.code == errc::truncated);
		r = read_all(std::vector<std::uint8_t>(hdr.begin(), hdr.begin() + 20));
		CHECK_FALSE(r.opened);
		CHECK(r.fmt == format::pcap);
		CHECK(r.err.code == errc::truncated);
		CHECK(r.err.offset == 0);
	}
	SECTION("bad magic")
	{
		auto file = cat({hdr, rec});
		file[0] = 0x00;
		const auto r = read_all(file);
		CHECK_FALSE(r.opened);
		CHECK(r.err.code == errc::bad_magic);
		CHECK(r.err.offset == 0);
		CHECK(std::string(r.err.message).find("neither a pcap nor a pcapng") != std::string::npos);
	}
	SECTION("bad major version")
	{
		for (const std::uint16_t major : {0, 1, 3, 543}) {
			CAPTURE(major);
			const auto r = read_all(cat({pcap_header(true, false, 1, major, 4), rec}));
			CHECK_FALSE(r.opened);
			CHECK(r.err.code == errc::bad_version);
			CHECK(r.frames.empty());
		}
	}
	SECTION("reserved link type bits")
	{
		const auto r = read_all(cat({pcap_header(false, false, 0x00300000u), rec}));
		CHECK_FALSE(r.opened);
		CHECK(r.err.code == errc::bad_linktype);
		CHECK(r.err.offset == 0);
		CHECK(std::string(r.err.message) ==
		      "pcap: file header at offset 0: link type field 0x00300000 has reserved bits 0x00300000 set");
	}
	SECTION("truncated record header at the end")
	{
		const auto file = cat({hdr, rec, std::vector<std::uint8_t>(rec.begin(), rec.begin() + 10)});
		const auto r = read_all(file);
		CHECK(r.opened);
		CHECK(r.frames.size() == 1); // the good record before stays readable
		CHECK(r.err.code == errc::truncated);
		CHECK(r.err.offset == hdr.size() + rec.size());
		CHECK(same_bytes(r.frames[0], payload(100, 5)));
	}
	SECTION("record data past the end of the file")
	{
		const auto file = cat({hdr, rec, std::vector<std::uint8_t>(rec.begin(), rec.end() - 1)});
		const auto r = read_all(file);
		CHECK(r.frames.size() == 1);
		CHECK(r.err.code == errc::truncated);
		CHECK(r.err.offset == hdr.size() + rec.size());
		CHECK(std::string(r.err.message) ==
		      "pcap: record at offset 140: captured length 100 runs past the end of the file (99 bytes left)");
	}
	SECTION("captured length above the sane limit")
	{
		auto bad = rec;
		bad[8] = 0x01, bad[9] = 0x00, bad[10] = 0x10, bad[11] = 0x00; // 0x00100001 bytes
		const auto r = read_all(cat({hdr, rec, bad}));
		CHECK(r.frames.size() == 1);
		CHECK(r.err.code == errc::bad_caplen);
		CHECK(r.err.offset == hdr.size() + rec.size());
	}
	SECTION("the limit is an option")
	{
		reader_options opt;
		opt.max_caplen = 99;
		const auto r = read_all(cat({hdr, rec}), opt);
		CHECK(r.frames.empty());
		CHECK(r.err.code == errc::bad_caplen);
	}
}

TEST_CASE("pcapng: interfaces with different link types and timestamp units", "[capture][pcapng]")
{
	for (const bool big : {false, true}) {
		CAPTURE(big);
		const auto p0 = payload(64, 10), p1 = payload(40, 11), p2 = payload(200, 12), p3 = payload(30, 13);
		const auto opts_ns = cat({option(big, 9, {9}), end_of_options(big)});
		const auto opts_bin = cat({option(big, 2, {'e', 't', 'h', '0'}), option(big, 9, {0x80 | 10}),
					   option(big, 14, bytes(big).u64(100).v), end_of_options(big)});
		const auto opts_ms = cat({option(big, 9, {3})});
		const auto epb_opts =
			cat({option(big, 1, {'h', 'i'}), option(big, 2, bytes(big).u32(1).v), end_of_options(big)});
		const auto file = cat({
			shb(big, 1, 0, cat({option(big, 4, {'t', 'e', 's', 't'}), end_of_options(big)})),
			idb(big, 1, 0),             // Ethernet, default microseconds
			idb(big, 0, 0, opts_ns),    // NULL, nanoseconds
			idb(big, 101, 0, opts_bin), // raw IP, 2^-10 s, +100 s
			idb(big, 113, 0, opts_ms),  // SLL, milliseconds, no end-of-options
			epb(big, 0, 1700000000123456ull, p0, 64, epb_opts),
			epb(big, 1, 1700000000123456789ull, p1, 40),
			epb(big, 2, (5ull << 10) + 512, p2, 1500),
			epb(big, 3, 1700000000123ull, p3, 30),
		});
		const auto r = read_all(file);
		REQUIRE(r.opened);
		CHECK(r.fmt == format::pcapng);
		CHECK_FALSE(r.err);
		REQUIRE(r.frames.size() == 4);
		CHECK(r.frames[0].linktype == 1);
		CHECK(r.frames[1].linktype == 0);
		CHECK(r.frames[2].linktype == 101);
		CHECK(r.frames[3].linktype == 113);
		for (std::uint32_t i = 0; i < 4; ++i) {
			CHECK(r.frames[i].interface_id == i);
			CHECK(r.frames[i].section == 0);
			CHECK(r.frames[i].index == i + 1);
		}
		CHECK(r.frames[0].ts_ns == 1700000000123456000ull);
		CHECK(r.frames[1].ts_ns == 1700000000123456789ull);
		CHECK(r.frames[2].ts_ns == 105500000000ull); // 5.5 s + 100 s
		CHECK(r.frames[3].ts_ns == 1700000000123000000ull);
		CHECK(same_bytes(r.frames[0], p0));
		CHECK(same_bytes(r.frames[1], p1));
		CHECK(same_bytes(r.frames[2], p2));
		CHECK(same_bytes(r.frames[3], p3));
		CHECK(r.frames[2].origlen == 1500);
		const std::size_t first_epb = file.size() - epb(big, 0, 0, p0, 64, epb_opts).size() -
					      epb(big, 0, 0, p1, 40).size() - epb(big, 0, 0, p2, 1500).size() -
					      epb(big, 0, 0, p3, 30).size();
		CHECK(r.frames[0].offset == first_epb);
		CHECK(r.frames[0].data == r.buf.get() + first_epb + 28);
	}
}

TEST_CASE("pcapng: timestamp units", "[capture][pcapng]")
{
	pcapng_ts_unit u;
	CHECK(u.to_ns(1) == 1000); // default: microseconds
	REQUIRE(u.set_resolution(0));
	CHECK(u.to_ns(3) == 3000000000ull);
	REQUIRE(u.set_resolution(12));
	CHECK(u.to_ns(123456789) == 123456);
	REQUIRE(u.set_resolution(19));
	CHECK(u.to_ns(10000000000000000000ull) == 1000000000ull);
	REQUIRE(u.set_resolution(0x80 | 30));
	CHECK(u.to_ns(3ull << 30) == 3000000000ull);
	REQUIRE(u.set_resolution(0x80 | 63));
	CHECK(u.to_ns(1ull << 63) == 1000000000ull);
	CHECK(u.to_ns(1ull << 62) == 500000000ull);
	CHECK_FALSE(u.set_resolution(20));
	CHECK_FALSE(u.set_resolution(0x80 | 64));
}

TEST_CASE("pcapng: sections of different byte order restart interface numbering", "[capture][pcapng]")
{
	const auto a = payload(50, 20), b = payload(60, 21), c = payload(70, 22);
	const auto file = cat({
		shb(false),
		idb(false, 1, 0),
		idb(false, 0, 0),
		epb(false, 1, 1, a, 50),
		shb(true),
		idb(true, 101, 0),
		epb(true, 0, 2, b, 60),
		shb(false),
		idb(false, 0, 0),
		idb(false, 113, 0),
		epb(false, 1, 3, c, 70),
	});
	const auto r = read_all(file);
	CHECK_FALSE(r.err);
	REQUIRE(r.frames.size() == 3);
	CHECK(r.frames[0].section == 0);
	CHECK(r.frames[0].interface_id == 1);
	CHECK(r.frames[0].linktype == 0);
	CHECK(r.frames[1].section == 1);
	CHECK(r.frames[1].interface_id == 0);
	CHECK(r.frames[1].linktype == 101);
	CHECK(r.frames[1].ts_ns == 2000);
	CHECK(r.frames[2].section == 2);
	CHECK(r.frames[2].linktype == 113);
	CHECK(same_bytes(r.frames[1], b));
	CHECK(same_bytes(r.frames[2], c));

	SECTION("an interface of an earlier section is not visible")
	{
		const auto bad = cat({shb(false), idb(false, 1, 0), idb(false, 0, 0), shb(true), idb(true, 1, 0),
				      epb(true, 1, 0, a, 50)});
		const auto r2 = read_all(bad);
		CHECK(r2.frames.empty());
		CHECK(r2.err.code == errc::unknown_interface);
		CHECK(r2.err.offset == bad.size() - epb(true, 1, 0, a, 50).size());
	}
}

TEST_CASE("pcapng: simple, legacy and skipped blocks", "[capture][pcapng]")
{
	for (const bool big : {false, true}) {
		CAPTURE(big);
		const auto full = payload(300, 30), small = payload(50, 31), legacy = payload(77, 32);
		const auto isb = block(big, 5, bytes(big).u32(0).u32(0).u32(0).v);
		const auto nrb = block(big, 4, bytes(big).u16(1).u16(8).raw({10, 0, 0, 1, 'a', '.', 'b', 0}).u32(0).v);
		const auto custom = block(big, 0x00000bad, bytes(big).u32(32473).raw(payload(9, 1)).v);
		const auto custom_nocopy = block(big, 0x40000bad, bytes(big).u32(32473).raw(payload(5, 1)).v);
		const auto unknown = block(big, 0x12345678, payload(13, 2));
		const auto dsb = block(big, 0x0a, bytes(big).u32(0x544c534b).u32(4).raw({1, 2, 3, 4}).v);
		const auto file = cat({
			shb(big),
			nrb,
			idb(big, 1, 128),
			custom,
			spb(big, std::vector<std::uint8_t>(full.begin(), full.begin() + 128), 300),
			isb,
			unknown,
			spb(big, small, 50),
			custom_nocopy,
			dsb,
			legacy_pb(big, 0, 7, legacy, 1000),
		});
		const auto r = read_all(file);
		CHECK_FALSE(r.err);
		REQUIRE(r.frames.size() == 3);
		// SPB: interface 0, captured length = min(original length, snap length).
		CHECK(r.frames[0].caplen == 128);
		CHECK(r.frames[0].origlen == 300);
		CHECK(r.frames[0].linktype == 1);
		CHECK(r.frames[0].ts_ns == 0);
		CHECK(std::memcmp(r.frames[0].data, full.data(), 128) == 0);
		CHECK(r.frames[1].caplen == 50); // original length below the snap length, data padded
		CHECK(same_bytes(r.frames[1], small));
		CHECK(r.frames[2].caplen == 77);
		CHECK(r.frames[2].origlen == 1000);
		CHECK(r.frames[2].ts_ns == 7000);
		CHECK(same_bytes(r.frames[2], legacy));
		CHECK(r.frames[2].index == 3);
	}
}

TEST_CASE("pcapng: accepted versions and empty sections", "[capture][pcapng]")
{
	CHECK(read_all(shb(false)).opened);
	CHECK(read_all(cat({shb(true, 1, 2), idb(true, 1, 0)})).opened); // 1.2: old writers, same layout
	const auto r = read_all(cat({shb(false), shb(true), idb(true, 1, 0), shb(false)}));
	CHECK(r.frames.empty());
	CHECK_FALSE(r.err);
}

TEST_CASE("pcapng: corrupt and truncated files", "[capture][pcapng][errors]")
{
	const bool big = GENERATE(false, true);
	CAPTURE(big);
	const auto head = cat({shb(big), idb(big, 1, 0)});
	const auto pkt = epb(big, 0, 1, payload(33, 40), 33);
	const std::uint64_t at = head.size() + pkt.size(); // where the bad block goes
	auto expect = [&](const std::vector<std::uint8_t> &file, errc code, std::uint64_t offset) {
		auto r = read_all(file);
		CHECK(r.err.code == code);
		CHECK(r.err.offset == offset);
		INFO(r.err.message);
		CHECK(std::string(r.err.message).rfind("pcapng: block at offset " + std::to_string(offset) + ": ", 0) ==
		      0);
		return r;
	};
	// The block at `at` with its length field (header and trailer) replaced.
	auto with_length = [&](std::vector<std::uint8_t> blk, std::uint32_t len, bool trailer_too) {
		const auto put = [&](std::size_t off) {
			const auto v = bytes(big).u32(len).v;
			std::copy(v.begin(), v.end(), blk.begin() + static_cast<std::ptrdiff_t>(off));
		};
		put(4);
		if (trailer_too)
			put(blk.size() - 4);
		return cat({head, pkt, blk});
	};

	SECTION("length not a multiple of 4")
	{
		const auto r = expect(with_length(pkt, 63, false), errc::bad_block_length, at);
		CHECK(r.frames.size() == 1);
		CHECK(std::string(r.err.message) ==
		      "pcapng: block at offset " + std::to_string(at) + ": length 63 is not a multiple of 4");
	}
	SECTION("length below the block type's minimum")
	{
		expect(with_length(pkt, 8, false), errc::bad_block_length, at);
		expect(with_length(pkt, 28, false), errc::bad_block_length, at); // EPB needs 32
		expect(with_length(idb(big, 1, 0), 16, false), errc::bad_block_length, at);
		expect(with_length(spb(big, {1, 2, 3, 4}, 4), 12, false), errc::bad_block_length, at);
	}
	SECTION("length past the end of the file")
	{
		const auto r = expect(with_length(pkt, 0x1000, false), errc::truncated, at);
		CHECK(r.frames.size() == 1);
	}
	SECTION("trailing length mismatch")
	{
		auto blk = pkt;
		blk[blk.size() - (big ? 1 : 4)] ^= 4;
		expect(cat({head, pkt, blk}), errc::length_mismatch, at);
	}
	SECTION("truncated block header at the end")
	{
		expect(cat({head, pkt, std::vector<std::uint8_t>(pkt.begin(), pkt.begin() + 8)}), errc::truncated, at);
	}
	SECTION("block cut short at the end")
	{
		expect(cat({head, pkt, std::vector<std::uint8_t>(pkt.begin(), pkt.end() - 4)}), errc::truncated, at);
	}
	SECTION("captured length beyond the block's data")
	{
		auto blk = pkt;
		const auto v = bytes(big).u32(37).v; // 33 bytes + 3 padding in the block
		std::copy(v.begin(), v.end(), blk.begin() + 20);
		const auto r = expect(cat({head, pkt, blk}), errc::bad_caplen, at);
		CHECK(std::string(r.err.message).find("captured length 37 exceeds the block's 36 data bytes") !=
		      std::string::npos);
	}
	SECTION("captured length above the sane limit")
	{
		reader_options opt;
		opt.max_caplen = 32;
		const auto r = read_all(cat({head, pkt}), opt);
		CHECK(r.err.code == errc::bad_caplen);
		CHECK(r.err.offset == head.size());
	}
	SECTION("packet on an interface not described")
	{
		expect(cat({head, pkt, epb(big, 1, 1, payload(4, 1), 4)}), errc::unknown_interface, at);
		expect(cat({head, pkt, legacy_pb(big, 5, 1, payload(4, 1), 4)}), errc::unknown_interface, at);
		expect(cat({shb(big), spb(big, payload(4, 1), 4)}), errc::unknown_interface, shb(big).size());
		expect(cat({shb(big), epb(big, 0, 1, payload(4, 1), 4)}), errc::unknown_interface, shb(big).size());
	}
	SECTION("option longer than its block")
	{
		// SHB with an option claiming 12336 bytes, framing intact.
		const auto too_long = shb(big, 1, 0, bytes(big).u16(0x3030).u16(0x3030).u32(0x30303030).v);
		expect(too_long, errc::bad_option, 0);
		const auto r = expect(cat({head, pkt, shb(big, 1, 0, bytes(big).u16(2).u16(5).u32(0).v)}),
				      errc::bad_option, at);
		CHECK(r.frames.size() == 1);
		expect(cat({head, pkt, idb(big, 1, 0, bytes(big).u16(9).u16(200).v)}), errc::bad_option, at);
	}
	SECTION("unusable timestamp resolution")
	{
		expect(cat({head, pkt, idb(big, 1, 0, option(big, 9, {20}))}), errc::bad_option, at);
	}
	SECTION("bad Section Header Block version")
	{
		for (const auto &[major, minor] :
		     std::vector<std::pair<std::uint16_t, std::uint16_t>>{{0, 1}, {1, 1}, {2, 0}, {1, 3}}) {
			CAPTURE(major, minor);
			auto r = expect(shb(big, major, minor), errc::bad_version, 0);
			CHECK_FALSE(r.opened);
			r = expect(cat({head, pkt, shb(big, major, minor)}), errc::bad_version, at);
			CHECK(r.frames.size() == 1);
		}
	}
	SECTION("bad byte-order magic")
	{
		auto blk = shb(big);
		blk[8] ^= 0xff;
		expect(blk, errc::bad_magic, 0);
		expect(cat({head, pkt, blk}), errc::bad_magic, at);
	}
	SECTION("Section Header Block cut short")
	{
		expect(std::vector<std::uint8_t>(head.begin(), head.begin() + 10), errc::truncated, 0);
		expect(std::vector<std::uint8_t>(head.begin(), head.begin() + 27), errc::truncated, 0);
	}
}

TEST_CASE("reader: frames of a corrupt file stay valid and the walk stays ended", "[capture][errors]")
{
	const auto p = payload(500, 50);
	auto file = cat({pcap_header(false, true), pcap_record(false, 1, 1, p, 500), pcap_record(false, 2, 2, p, 500)});
	file.resize(file.size() - 1);
	reader rd;
	REQUIRE(rd.open_memory(file.data(), file.size()));
	frame f1, f2;
	REQUIRE(rd.next(f1));
	CHECK_FALSE(rd.next(f2));
	CHECK(rd.failed());
	CHECK_FALSE(rd.next(f2));
	CHECK(rd.err().code == errc::truncated);
	CHECK(same_bytes(f1, p));
	CHECK(rd.position() == 24 + 16 + 500);
}

// Corrupt input never reads outside the buffer: every prefix of valid files,
// and random byte flips.  read_all() checks each view's bounds; under ASan an
// overread of the exact-size copy also aborts.
TEST_CASE("reader: truncations and random corruption never read out of bounds", "[capture][errors]")
{
	std::vector<std::vector<std::uint8_t>> seeds;
	seeds.push_back(cat({pcap_header(false, false), pcap_record(false, 1, 2, payload(61, 1), 61),
			     pcap_record(false, 3, 4, payload(7, 2), 70)}));
	seeds.push_back(cat({pcap_header(true, true), pcap_record(true, 1, 2, payload(33, 3), 61)}));
	for (const bool big : {false, true})
		seeds.push_back(
			cat({shb(big, 1, 0, cat({option(big, 4, {'x'}), end_of_options(big)})),
			     idb(big, 1, 64, cat({option(big, 9, {9}), end_of_options(big)})), idb(big, 0, 0),
			     epb(big, 1, 5, payload(45, 4), 45, cat({option(big, 1, {'c'}), end_of_options(big)})),
			     spb(big, payload(64, 5), 100), block(big, 0xbad, payload(7, 6)),
			     legacy_pb(big, 0, 9, payload(3, 7), 3), shb(!big), idb(!big, 101, 0),
			     epb(!big, 0, 1, payload(20, 8), 20)}));
	std::mt19937 rng(12345);
	std::size_t frames = 0, errors = 0;
	for (const auto &seed : seeds) {
		const auto whole = read_all(seed);
		REQUIRE_FALSE(whole.err);
		for (std::size_t n = 0; n < seed.size(); ++n) {
			const auto r = read_all(
				std::vector<std::uint8_t>(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(n)));
			frames += r.frames.size();
			errors += r.err ? 1 : 0;
			// A cut file yields a prefix of the whole file's frames; the
			// cut record itself is an error, never a short frame.
			REQUIRE(r.frames.size() <= whole.frames.size());
			for (std::size_t k = 0; k < r.frames.size(); ++k) {
				CHECK(r.frames[k].offset == whole.frames[k].offset);
				CHECK(r.frames[k].caplen == whole.frames[k].caplen);
			}
			if (r.frames.size() < whole.frames.size() && !r.err)
				CHECK(n <= whole.frames[r.frames.size()].offset); // ended on a boundary
		}
		for (int i = 0; i < 3000; ++i) {
			auto m = seed;
			const int flips = 1 + static_cast<int>(rng() % 4);
			for (int k = 0; k < flips; ++k)
				m[rng() % m.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
			const auto r = read_all(m);
			frames += r.frames.size();
			errors += r.err ? 1 : 0;
			if (r.err)
				CHECK(r.err.offset <= m.size());
		}
	}
	CHECK(frames > 0);
	CHECK(errors > 0);
}
