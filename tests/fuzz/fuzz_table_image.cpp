// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A table image is untrusted input: the kernel shim's arrives through a
// file, a saved one from anywhere.  On any bytes: pktpath_table_check, the
// image readers and the typed attach agree on whether they are an image;
// every reader of a valid one (snapshot, funnel, probe statistics, the four
// exports, a consistent copy) runs within it, the copy validates and reads
// back the same; a typed table that attaches counts and finds a key; the C
// counting API does too.
#include <pktpath/table/count.h>
#include <pktpath/table/export.hpp>
#include <pktpath/table/funnel.hpp>
#include <pktpath/table/image_reader.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/table/stage_table.hpp>

#include "fuzz.hpp"

namespace {

template <class Table>
void attach_and_count(std::uint8_t *mem, std::size_t n, bool valid)
{
	Table t = Table::attach(mem, n);
	if (!valid) {
		PKTPATH_FUZZ_CHECK(!t.ok() && t.error() != PKTPATH_TABLE_OK);
		return;
	}
	if (!t.ok()) {
		PKTPATH_FUZZ_CHECK(t.error() == PKTPATH_TABLE_E_MISMATCH);
		return;
	}
	typename Table::key_type k{};
	k.proto = 17;
	k.flags = PKTPATH_KEY_IPV4;
	const std::uint64_t row = t.row(k);
	PKTPATH_FUZZ_CHECK(row <= t.overflow_row());
	t.add(row, 0, 60);
	t.count_unclassified(0, PKTPATH_TRUNCATED, 60);
	if (row < t.overflow_row())
		PKTPATH_FUZZ_CHECK(t.view().lookup(&k) == static_cast<std::int64_t>(row));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	const pktpath_fuzz::exact_copy img(data, size, 64);
	const int err = pktpath_table_check(img.data(), size);
	PKTPATH_FUZZ_CHECK(err >= PKTPATH_TABLE_OK && err < PKTPATH_TABLE_E_COUNT);
	PKTPATH_FUZZ_CHECK(pktpath_table_strerror(err)[0] != '\0');
	const pktpath::image_view v(img.data(), size);
	PKTPATH_FUZZ_CHECK(v.ok() == (err == PKTPATH_TABLE_OK) && v.error() == err);
	const pktpath::table_image owned = pktpath::table_image::from_buffer(data, size);
	PKTPATH_FUZZ_CHECK(owned.ok() == v.ok());

	if (v.ok()) {
		const pktpath::table_snapshot s(v);
		PKTPATH_FUZZ_CHECK(s.stage_count() == v.stage_count() && s.flow_count() <= v.capacity());
		const pktpath::funnel f = pktpath::make_funnel(s);
		PKTPATH_FUZZ_CHECK(f.totals.size() == s.stage_count());
		(void)v.probes();
		pktpath::export_options o;
		o.top_n = 4;
		for (auto format : {pktpath::export_format::text, pktpath::export_format::json,
				    pktpath::export_format::csv, pktpath::export_format::prometheus})
			PKTPATH_FUZZ_CHECK(!pktpath::export_snapshot(s, format, o).empty());

		const pktpath_fuzz::exact_copy copy(data, size, 64);
		PKTPATH_FUZZ_CHECK(v.copy_to(copy.data(), size) == PKTPATH_TABLE_OK);
		PKTPATH_FUZZ_CHECK(pktpath_table_check(copy.data(), size) == PKTPATH_TABLE_OK);
		const pktpath::table_snapshot back{pktpath::image_view(copy.data(), size)};
		PKTPATH_FUZZ_CHECK(back.flow_count() == s.flow_count());
		for (unsigned st = 0; st < s.stage_count(); st++)
			PKTPATH_FUZZ_CHECK(back.total(st).packets == s.total(st).packets &&
					   back.total(st).bytes == s.total(st).bytes);

		auto *h = reinterpret_cast<pktpath_table_header *>(copy.data());
		pktpath_flow_key k{};
		k.flags = PKTPATH_KEY_IPV6;
		if (h->key_size == sizeof k) {
			PKTPATH_FUZZ_CHECK(pktpath_table_count(h, 0, 0, &k, 60) == 0);
			PKTPATH_FUZZ_CHECK(pktpath_table_count(h, h->shard_count, 0, &k, 60) == -1);
			PKTPATH_FUZZ_CHECK(pktpath_table_count(h, 0, h->stage_count, &k, 60) == -1);
		}
		PKTPATH_FUZZ_CHECK(pktpath_table_count_unclassified(h, 0, 0, h->status_count, 1) == -1);
	}
	using namespace pktpath;
	attach_and_count<stage_table<>>(img.data(), size, v.ok());
	attach_and_count<stage_table<flow_key, linux_rx, per_writer_counters>>(img.data(), size, v.ok());
	attach_and_count<stage_table<ipv4_5tuple>>(img.data(), size, v.ok());
	return 0;
}
