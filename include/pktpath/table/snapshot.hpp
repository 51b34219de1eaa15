// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Snapshots of a table taken while writers run, interval deltas, top-N.
//
// What "consistent" means here.  Packets and bytes are independent
// counters, and a per-slot seqlock would cost every packet two more stores,
// so a snapshot is not an instant.  It guarantees instead, per row:
//   - the key is complete (read after its FULL word, with acquire);
//   - every counter value is one the counter really held during the read;
//   - bytes never include a packet that packets does not (bytes are read
//     first, and the writer adds packets before bytes, both with release);
//   - a stage never shows more packets than its predecessor for packets
//     counted at both in path order (stages are read last to first), so
//     drops computed from a snapshot are never negative because of the read.
// Across rows it is a sum of reads at slightly different times: for every
// stage, (flows + overflow + unclassified) lies between the packets counted
// when the snapshot began and when it ended.
//
// Interval reports subtract the previous snapshot instead of zeroing
// counters (which would lose increments racing with the reset): counters
// only grow, so every increment lands in exactly one interval.
#ifndef PKTPATH_TABLE_SNAPSHOT_HPP
#define PKTPATH_TABLE_SNAPSHOT_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "image.h"
#include "image_reader.hpp"

namespace pktpath {

class table_snapshot {
public:
	table_snapshot() = default;

	// Reads every slot in slot order, then the overflow and unclassified rows.
	explicit table_snapshot(const image_view &v)
	    : h_(v.header()), special_(std::size_t(1 + h_.status_count) * h_.stage_count)
	{
		std::vector<std::uint8_t> key(h_.key_size);
		std::vector<pktpath_counter> row(h_.stage_count);
		for (std::uint64_t i = 0; i < h_.capacity; i++)
			if (v.read_slot(i, key.data(), row.data()))
				append(static_cast<std::uint32_t>(i), key.data(), row.data());
		for (unsigned r = 0; r <= h_.status_count; r++)
			v.read_row(v.overflow_row() + r, &special_[std::size_t(r) * h_.stage_count]);
	}

	// Shape, from the image header.
	const pktpath_table_header &header() const noexcept { return h_; }
	unsigned stage_count() const noexcept { return h_.stage_count; }
	unsigned status_count() const noexcept { return h_.status_count; }
	const char *stage_name(unsigned s) const noexcept { return h_.stage_names[s]; }
	int stage_pred(unsigned s) const noexcept
	{
		return h_.stage_pred[s] == PKTPATH_TABLE_NO_PRED ? -1 : h_.stage_pred[s];
	}
	std::uint32_t key_size() const noexcept { return h_.key_size; }
	std::uint32_t key_format() const noexcept { return h_.key_format; }

	// Flows, in slot order.
	std::size_t flow_count() const noexcept { return slots_.size(); }
	std::uint32_t slot(std::size_t i) const noexcept { return slots_[i]; }
	const std::uint8_t *key(std::size_t i) const noexcept { return &keys_[i * h_.key_size]; }
	// The key as the table's key type (sizes must agree).
	template <class Key>
	Key key_as(std::size_t i) const noexcept
	{
		static_assert(std::is_trivially_copyable<Key>::value, "keys are bytes");
		Key k{};
		std::memcpy(&k, key(i), sizeof(Key) < h_.key_size ? sizeof(Key) : h_.key_size);
		return k;
	}
	const pktpath_counter &at(std::size_t flow, unsigned stage) const noexcept
	{
		return counts_[flow * h_.stage_count + stage];
	}
	const pktpath_counter *row(std::size_t flow) const noexcept { return &counts_[flow * h_.stage_count]; }
	const pktpath_counter &overflow(unsigned stage) const noexcept { return special_[stage]; }
	const pktpath_counter &unclassified(unsigned status, unsigned stage) const noexcept
	{
		return special_[std::size_t(1 + status) * h_.stage_count + stage];
	}

	// Flows only.
	pktpath_counter flows_total(unsigned stage) const noexcept
	{
		pktpath_counter t{0, 0};
		for (std::size_t i = 0; i < flow_count(); i++)
			add(t, at(i, stage));
		return t;
	}
	// Everything counted at the stage: flows + overflow + unclassified.
	pktpath_counter total(unsigned stage) const noexcept
	{
		pktpath_counter t = flows_total(stage);
		for (unsigned r = 0; r <= h_.status_count; r++)
			add(t, special_[std::size_t(r) * h_.stage_count + stage]);
		return t;
	}

	// Indices of the n flows with most packets (or bytes) at stage; ties in slot order.
	std::vector<std::size_t> top(std::size_t n, unsigned stage, bool by_bytes = false) const
	{
		std::vector<std::size_t> idx(flow_count());
		for (std::size_t i = 0; i < idx.size(); i++)
			idx[i] = i;
		n = std::min(n, idx.size());
		auto value = [&](std::size_t i) { return by_bytes ? at(i, stage).bytes : at(i, stage).packets; };
		std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n), idx.end(),
				  [&](std::size_t a, std::size_t b) {
					  return value(a) != value(b) ? value(a) > value(b) : a < b;
				  });
		idx.resize(n);
		return idx;
	}

	// This snapshot minus an earlier one of the same table: the flows with
	// any change, and the changes of the other rows.  A counter below its
	// baseline (the table was formatted again) counts from zero.
	table_snapshot since(const table_snapshot &base) const
	{
		table_snapshot d;
		d.h_ = h_;
		d.special_.resize(special_.size());
		const bool same = std::memcmp(&base.h_, &h_, sizeof(h_)) == 0;
		std::vector<pktpath_counter> row(h_.stage_count);
		std::size_t j = 0;
		for (std::size_t i = 0; i < flow_count(); i++) {
			while (same && j < base.flow_count() && base.slots_[j] < slots_[i])
				j++;
			const bool prior = same && j < base.flow_count() && base.slots_[j] == slots_[i] &&
					   std::memcmp(base.key(j), key(i), h_.key_size) == 0;
			bool changed = false;
			for (unsigned s = 0; s < h_.stage_count; s++) {
				row[s] = prior ? minus(at(i, s), base.at(j, s)) : at(i, s);
				changed |= row[s].packets != 0 || row[s].bytes != 0;
			}
			if (changed)
				d.append(slots_[i], key(i), row.data());
		}
		for (std::size_t r = 0; r < special_.size(); r++)
			d.special_[r] = same ? minus(special_[r], base.special_[r]) : special_[r];
		return d;
	}

private:
	static void add(pktpath_counter &t, const pktpath_counter &c) noexcept
	{
		t.packets += c.packets;
		t.bytes += c.bytes;
	}
	static pktpath_counter minus(const pktpath_counter &now, const pktpath_counter &then) noexcept
	{
		if (now.packets < then.packets || now.bytes < then.bytes)
			return now;
		return pktpath_counter{now.packets - then.packets, now.bytes - then.bytes};
	}
	void append(std::uint32_t slot, const std::uint8_t *key, const pktpath_counter *row)
	{
		slots_.push_back(slot);
		keys_.insert(keys_.end(), key, key + h_.key_size);
		counts_.insert(counts_.end(), row, row + h_.stage_count);
	}

	pktpath_table_header h_{};
	std::vector<std::uint32_t> slots_;
	std::vector<std::uint8_t> keys_;
	std::vector<pktpath_counter> counts_;  // flow_count x stage_count
	std::vector<pktpath_counter> special_; // overflow, then one row per status
};

// Interval reporting: each next() returns what was counted since the
// previous call (the first: since the table was formatted).
class interval_reader {
public:
	table_snapshot next(const image_view &v)
	{
		table_snapshot now(v);
		table_snapshot delta = now.since(last_);
		last_ = static_cast<table_snapshot &&>(now);
		return delta;
	}

private:
	table_snapshot last_;
};

} // namespace pktpath

#endif // PKTPATH_TABLE_SNAPSHOT_HPP
