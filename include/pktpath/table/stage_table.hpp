// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Per-flow, per-stage packet and byte counters: a typed face over the image
// and algorithm of image.h (the same functions kernel C calls), so a table
// made here and one made by a module from the same keys are byte-identical.
//
//   pktpath::stage_table<> t = pktpath::stage_table<>::create(1 << 16);
//   t.count(pktpath::linux_rx::ip_rcv, key, frame_len);
//
// Template parameters:
//   Key     trivially copyable, padding-free (compared and hashed as bytes);
//           flow_key (the default, 40 bytes) or ipv4_5tuple (16 bytes) print
//           as flows, other keys as hex
//   Stages  a stage set (stages.hpp)
//   Policy  shared_counters: counters in the slot beside the key (one cache
//           line fewer per packet), lock xadd from any thread; best for
//           packet-at-a-time counting (a kprobe) and when memory is tight.
//           per_writer_counters: one counter plane per writer (thread, CPU),
//           plain load/store increments, summed by readers; best for several
//           writers counting bursts, above all when they share hot flows
//           (bench/table.cpp, 2 threads, Zipf: 11 against 15 ns a packet),
//           at shards x 16 bytes per stage per slot.
//
// Nothing allocates after construction.  count() never blocks on another
// thread: at most probe_limit slots, and the bounded wait described at
// pktpath_table_probe (here followed by at most contended_retries yields)
// before a packet whose slot cannot be settled goes to the overflow row.
#ifndef PKTPATH_TABLE_STAGE_TABLE_HPP
#define PKTPATH_TABLE_STAGE_TABLE_HPP

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <type_traits>

#include "../flow/key.hpp"
#include "count.h"
#include "image_reader.hpp"
#include "stages.hpp"

namespace pktpath {

struct shared_counters {
	static constexpr std::uint32_t layout = PKTPATH_TABLE_SHARED_COUNTERS;
};
struct per_writer_counters {
	static constexpr std::uint32_t layout = PKTPATH_TABLE_PER_WRITER_COUNTERS;
};

struct table_options {
	std::uint32_t probe_limit = 0; // 0: PKTPATH_TABLE_DEFAULT_PROBE_LIMIT, or capacity if smaller
	std::uint32_t shards = 1;      // per_writer_counters: writers; shared_counters: must be 1
	std::uint64_t hash_seed = 0;   // every writer of one image uses the image's seed
};

// How readers print a key type.
template <class Key>
inline constexpr std::uint32_t table_key_format = PKTPATH_TABLE_KEY_OPAQUE;
template <>
inline constexpr std::uint32_t table_key_format<flow_key> = PKTPATH_TABLE_KEY_FLOW;
template <>
inline constexpr std::uint32_t table_key_format<ipv6_5tuple> = PKTPATH_TABLE_KEY_FLOW;
template <>
inline constexpr std::uint32_t table_key_format<pktpath_flow_key> = PKTPATH_TABLE_KEY_FLOW;
template <>
inline constexpr std::uint32_t table_key_format<ipv4_5tuple> = PKTPATH_TABLE_KEY_IPV4;

// Yields this many times to a preempted inserter of the same key before the
// packet goes to the overflow row (the kernel, which cannot yield, does not wait).
inline constexpr unsigned contended_retries = 1000;

namespace detail {
inline int table_yield(unsigned attempt)
{
	if (attempt >= contended_retries)
		return 0;
	std::this_thread::yield();
	return 1;
}
} // namespace detail

template <class Key = flow_key, class Stages = linux_rx, class Policy = shared_counters>
class stage_table {
	static_assert(std::is_trivially_copyable<Key>::value && std::has_unique_object_representations<Key>::value,
		      "keys are compared and hashed as bytes: trivially copyable, no padding");
	static_assert(sizeof(Key) <= PKTPATH_TABLE_MAX_KEY, "key too large");
	static_assert(valid_stage_set<Stages>(), "stage set: 1-16 unique printable names, predecessors earlier");

public:
	using key_type = Key;
	using stages = Stages;
	using policy = Policy;
	static constexpr std::uint32_t stage_count = stage_count_v<Stages>;
	static constexpr std::uint32_t layout = Policy::layout;
	static constexpr std::uint32_t key_size = sizeof(Key);
	static constexpr std::uint32_t slot_size = PKTPATH_TABLE_SLOT_SIZE(key_size, stage_count, layout);
	static constexpr std::uint32_t counters_offset =
		layout == PKTPATH_TABLE_SHARED_COUNTERS ? PKTPATH_TABLE_COUNTERS_OFFSET(key_size) : 0;
	static constexpr std::uint32_t row_size = stage_count * sizeof(pktpath_counter);

	// Bytes of an image of `capacity` slots; 0 for invalid parameters.
	static std::uint64_t image_size(std::uint32_t capacity, const table_options &o = {})
	{
		params p(capacity, o);
		return pktpath_table_size(&p.c);
	}

	// An empty table in memory it allocates (64-byte aligned) and frees.
	static stage_table create(std::uint32_t capacity, const table_options &o = {})
	{
		stage_table t;
		std::uint64_t len = image_size(capacity, o);
		if (!len) {
			t.err_ = format_error(capacity, o);
			return t;
		}
		void *mem = std::aligned_alloc(64, PKTPATH_TABLE_ALIGN64(len));
		if (!mem) {
			t.err_ = PKTPATH_TABLE_E_NOMEM;
			return t;
		}
		t = format(mem, len, capacity, o);
		if (t.ok())
			t.owned_ = true;
		else
			std::free(mem);
		return t;
	}

	// An empty table in caller memory (shared memory, hugepage, memzone),
	// which must outlive it; image_size() bytes, 8-byte aligned (64 better).
	static stage_table format(void *mem, std::uint64_t len, std::uint32_t capacity, const table_options &o = {})
	{
		stage_table t;
		params p(capacity, o);
		t.err_ = pktpath_table_init(mem, len, &p.c);
		if (t.err_ == PKTPATH_TABLE_OK)
			t.bind(static_cast<pktpath_table_header *>(mem));
		return t;
	}

	// A table formatted elsewhere (another process, a kernel module), after
	// checking it is valid and of this key, stage set and layout.
	static stage_table attach(void *mem, std::uint64_t len)
	{
		stage_table t;
		t.err_ = pktpath_table_check(mem, len);
		if (t.err_ == PKTPATH_TABLE_OK && !matches(*static_cast<const pktpath_table_header *>(mem)))
			t.err_ = PKTPATH_TABLE_E_MISMATCH;
		if (t.err_ == PKTPATH_TABLE_OK)
			t.bind(static_cast<pktpath_table_header *>(mem));
		return t;
	}

	stage_table() noexcept = default;
	stage_table(stage_table &&o) noexcept { *this = static_cast<stage_table &&>(o); }
	stage_table &operator=(stage_table &&o) noexcept
	{
		if (this != &o) {
			release();
			h_ = o.h_;
			g_ = o.g_;
			owned_ = o.owned_;
			err_ = o.err_;
			o.h_ = nullptr;
			o.owned_ = false;
		}
		return *this;
	}
	stage_table(const stage_table &) = delete;
	stage_table &operator=(const stage_table &) = delete;
	~stage_table() { release(); }

	bool ok() const noexcept { return h_ != nullptr; }
	int error() const noexcept { return err_; }
	const char *error_text() const noexcept { return pktpath_table_strerror(err_); }

	// --- packet path ---------------------------------------------------

	// Counts one packet of `bytes` for key at stage.  shard: the writer's
	// shard with per_writer_counters (one writer per shard at a time), else 0.
	void count(unsigned stage, const Key &key, std::uint64_t bytes, unsigned shard = 0) noexcept
	{
		pktpath_table_geom g = g_;
		fold(g);
		pktpath_table_add_(&g, checked(stage, shard),
				   pktpath_table_row_(&g, &key, pktpath_table_hash_(&g, &key)), stage, bytes);
	}

	// A packet without a key, by its parse status (enum pktpath_status).
	void count_unclassified(unsigned stage, unsigned status, std::uint64_t bytes, unsigned shard = 0) noexcept
	{
		assert(status < PKTPATH_TABLE_STATUS_COUNT);
		pktpath_table_geom g = g_;
		fold(g);
		pktpath_table_add_(&g, checked(stage, shard), unclassified_row(status), stage, bytes);
	}

	// n packets at one stage, slot look-ups overlapped (prefetch) in groups
	// of PKTPATH_TABLE_BURST.
	void count_burst(unsigned stage, const Key *keys, const std::uint32_t *bytes, std::uint32_t n,
			 unsigned shard = 0) noexcept
	{
		pktpath_table_geom g = g_;
		fold(g);
		pktpath_table_count_burst_(&g, checked(stage, shard), stage, keys, bytes, n);
	}

	// The row of key (its slot, inserted if new, or overflow_row()): look it
	// up once and add() at several stages.
	std::uint64_t row(const Key &key) noexcept
	{
		pktpath_table_geom g = g_;
		fold(g);
		return pktpath_table_row_(&g, &key, pktpath_table_hash_(&g, &key));
	}

	// out[i] = row(keys[i]) for i in 0..n, in that order (a key repeated in
	// the burst is inserted once), the slot look-ups overlapped (prefetch)
	// in groups of PKTPATH_TABLE_BURST.
	void rows(const Key *keys, std::uint32_t n, std::uint64_t *out) noexcept
	{
		assert(h_);
		pktpath_table_geom g = g_;
		fold(g);
		pktpath_table_rows_burst_(&g, keys, n, out);
	}

	void add(std::uint64_t row, unsigned stage, std::uint64_t bytes, unsigned shard = 0) noexcept
	{
		assert(row < g_.mask + 2 + PKTPATH_TABLE_STATUS_COUNT);
		pktpath_table_geom g = g_;
		fold(g);
		pktpath_table_add_(&g, checked(stage, shard), row, stage, bytes);
	}

	// Requests the row's counters in shard's plane ahead of add() or
	// add_stages() there (a hint: changes nothing but speed).
	void prefetch(std::uint64_t row, unsigned shard = 0) const noexcept
	{
		assert(row < g_.mask + 2 + PKTPATH_TABLE_STATUS_COUNT);
		pktpath_table_geom g = g_;
		fold(g);
		pktpath_table_prefetch_row_(&g, checked(0, shard), row);
	}

	// One packet of `bytes` at every stage whose bit is set in stage_mask,
	// as add() at each of them, the row's counters located once.
	void add_stages(std::uint64_t row, std::uint32_t stage_mask, std::uint64_t bytes, unsigned shard = 0) noexcept
	{
		assert(row < g_.mask + 2 + PKTPATH_TABLE_STATUS_COUNT);
		assert((stage_mask >> stage_count) == 0);
		pktpath_table_geom g = g_;
		fold(g);
		// Stage 0 for checked(): the mask was checked above.
		pktpath_table_add_stages_(&g, checked(0, shard), row, stage_mask, bytes);
	}

	// Zeroes every counter while writers run (pktpath_table_reset): an
	// increment racing with it counts wholly before or after it, and with
	// `taken` (row count x stage_count, zeroed) what each held is added
	// there.  Shared counters only.
	void reset(pktpath_counter *taken = nullptr) noexcept
	{
		static_assert(layout == PKTPATH_TABLE_SHARED_COUNTERS,
			      "per-writer planes are written with plain stores: subtract a baseline (interval_reader)");
		pktpath_table_reset(h_, taken);
	}
	std::uint64_t row_count() const noexcept { return g_.mask + 2 + h_->status_count; }

	// --- shape and readers -------------------------------------------------

	std::uint64_t overflow_row() const noexcept { return g_.mask + 1; }
	std::uint64_t unclassified_row(unsigned status) const noexcept { return g_.mask + 2 + status; }
	std::uint32_t capacity() const noexcept { return h_->capacity; }
	std::uint32_t shards() const noexcept { return h_->shard_count; }
	void *data() const noexcept { return h_; }
	std::uint64_t size() const noexcept { return h_->image_size; }
	// Snapshots, exports and copies read through the view (image_reader.hpp).
	image_view view() const noexcept { return image_view(h_, h_->image_size); }

private:
	struct params {
		const char *names[stage_count];
		std::uint8_t preds[stage_count];
		pktpath_table_params c;
		params(std::uint32_t capacity, const table_options &o)
		{
			for (unsigned i = 0; i < stage_count; i++) {
				names[i] = Stages::stages[i].name;
				preds[i] = Stages::stages[i].pred == no_pred
						   ? PKTPATH_TABLE_NO_PRED
						   : static_cast<std::uint8_t>(Stages::stages[i].pred);
			}
			c.capacity = capacity;
			c.probe_limit = o.probe_limit;
			c.key_size = key_size;
			c.key_format = table_key_format<Key>;
			c.stage_count = stage_count;
			c.layout = layout;
			c.shard_count = o.shards;
			c.hash_seed = o.hash_seed;
			c.stage_names = names;
			c.stage_pred = preds;
		}
	};

	// The parameter at fault when pktpath_table_size() refuses.
	static int format_error(std::uint32_t capacity, const table_options &o)
	{
		params p(capacity, o);
		pktpath_table_header h;
		return pktpath_table_plan_(&p.c, &h);
	}

	static bool matches(const pktpath_table_header &h)
	{
		if (h.key_size != key_size || h.key_format != table_key_format<Key> || h.stage_count != stage_count ||
		    h.layout != layout || h.status_count < PKTPATH_TABLE_STATUS_COUNT)
			return false;
		for (unsigned i = 0; i < stage_count; i++) {
			int pred = h.stage_pred[i] == PKTPATH_TABLE_NO_PRED ? no_pred : h.stage_pred[i];
			if (std::strcmp(h.stage_names[i], Stages::stages[i].name) != 0 ||
			    pred != Stages::stages[i].pred)
				return false;
		}
		return true;
	}

	void bind(pktpath_table_header *h) noexcept
	{
		h_ = h;
		pktpath_table_geom_of(h, &g_);
		g_.wait = detail::table_yield;
	}

	void release() noexcept
	{
		if (owned_)
			std::free(h_);
		h_ = nullptr;
		owned_ = false;
	}

	unsigned checked(unsigned stage, unsigned shard) const noexcept
	{
		assert(h_ && stage < stage_count && shard < h_->shard_count);
		(void)stage;
		return shard;
	}

	// Puts this instantiation's constants into a copy of the geometry, which
	// the compiler then folds into the inline algorithm (constant-size key
	// compare and copy, no layout branch).  GCC folds them only when the copy
	// is a local of the caller that this always-inline function fills.
	PKTPATH_ALWAYS_INLINE static void fold(pktpath_table_geom &g) noexcept
	{
		g.key_size = key_size;
		g.slot_size = slot_size;
		g.counters_offset = counters_offset;
		g.row_size = row_size;
		g.layout = layout;
	}

	pktpath_table_header *h_ = nullptr;
	pktpath_table_geom g_{};
	bool owned_ = false;
	int err_ = PKTPATH_TABLE_OK;
};

// The default instantiation is the C layout of image.h (whose layout checks C and C++ share).
static_assert(stage_table<>::key_size == sizeof(pktpath_flow_key) &&
		      stage_table<>::counters_offset == sizeof(pktpath_table_slot) &&
		      stage_table<>::slot_size == sizeof(pktpath_table_slot) + 6 * sizeof(pktpath_counter) &&
		      stage_table<>::slot_size == 144,
	      "default slot: 8 bytes meta + 40 key + 6 stages x 16");

} // namespace pktpath

#endif // PKTPATH_TABLE_STAGE_TABLE_HPP
