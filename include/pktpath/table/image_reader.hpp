// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Reading a table image: a validated view over memory that may still be
// written (a live table, a mapping of another process's or the kernel's
// image), an owning copy loaded from a file or byte buffer, and a consistent
// copy of a live image to a file.  Nothing here runs on the packet path.
//
// Every read is bounded by the validated geometry (pktpath_table_check), so a
// corrupt image yields an error, never an out-of-bounds access.
#ifndef PKTPATH_TABLE_IMAGE_READER_HPP
#define PKTPATH_TABLE_IMAGE_READER_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "count.h"

namespace pktpath {

inline const char *table_error_text(int e)
{
	return pktpath_table_strerror(e);
}

// Probe sequence lengths of the stored keys: slots a lookup of each examines.
struct probe_stats {
	std::uint64_t flows = 0;
	double load = 0; // flows / capacity
	double mean = 0;
	std::uint32_t p99 = 0;
	std::uint32_t max = 0;
};

class image_view {
public:
	image_view() noexcept = default;
	// Validates len bytes at mem; error() says why an image is refused.
	image_view(const void *mem, std::uint64_t len) noexcept : err_(pktpath_table_check(mem, len))
	{
		if (err_ == PKTPATH_TABLE_OK)
			h_ = static_cast<const pktpath_table_header *>(mem);
	}

	bool ok() const noexcept { return h_ != nullptr; }
	int error() const noexcept { return err_; }
	const char *error_text() const noexcept { return pktpath_table_strerror(err_); }

	const pktpath_table_header &header() const noexcept { return *h_; }
	const void *data() const noexcept { return h_; }
	std::uint64_t size() const noexcept { return h_->image_size; }
	std::uint32_t capacity() const noexcept { return h_->capacity; }
	unsigned stage_count() const noexcept { return h_->stage_count; }
	unsigned status_count() const noexcept { return h_->status_count; }
	std::uint32_t key_size() const noexcept { return h_->key_size; }
	std::uint32_t key_format() const noexcept { return h_->key_format; }
	const char *stage_name(unsigned s) const noexcept { return h_->stage_names[s]; }
	int stage_pred(unsigned s) const noexcept
	{
		return h_->stage_pred[s] == PKTPATH_TABLE_NO_PRED ? -1 : h_->stage_pred[s];
	}
	std::uint64_t overflow_row() const noexcept { return h_->capacity; }
	std::uint64_t unclassified_row(unsigned status) const noexcept
	{
		return std::uint64_t(h_->capacity) + 1 + status;
	}
	std::uint64_t row_count() const noexcept { return std::uint64_t(h_->capacity) + 1 + h_->status_count; }

	// Adds a row's counters, summed over shards, into counts[stage_count].
	// Stages are read from last to first and bytes before packets, so for
	// any packet counted at a stage after its predecessor (by happens-before,
	// e.g. program order or a ring hand-off) the predecessor's count read
	// includes it: a snapshot never shows more packets after a stage than at
	// it, nor bytes of a packet it does not count.
	void read_row(std::uint64_t row, pktpath_counter *counts) const noexcept
	{
		const pktpath_table_geom g = geom();
		for (unsigned s = h_->stage_count; s-- > 0;)
			for (std::uint32_t shard = 0; shard < h_->shard_count; shard++)
				pktpath_counter_read(pktpath_table_counters_(&g, shard, row) + s, &counts[s]);
	}

	// Slot i when it holds a published key: copies the key (key_size bytes)
	// and sets counts[stage_count].  False for an empty or half-inserted slot.
	bool read_slot(std::uint64_t i, void *key, pktpath_counter *counts) const noexcept
	{
		const std::uint8_t *slot = slot_bytes(i);
		// Acquire pairs with the inserter's release of FULL: the key bytes are complete.
		std::uint64_t m = PKTPATH_LOAD_ACQUIRE(reinterpret_cast<const std::uint64_t *>(slot));
		if ((m & PKTPATH_SLOT_STATE) != PKTPATH_SLOT_FULL)
			return false;
		std::memcpy(key, slot + PKTPATH_TABLE_KEY_OFFSET, h_->key_size);
		std::memset(counts, 0, sizeof(pktpath_counter) * h_->stage_count);
		read_row(i, counts);
		return true;
	}

	// Slot of a key (key_size bytes), or -1.
	std::int64_t lookup(const void *key) const noexcept { return pktpath_table_lookup(h_, key); }

	probe_stats probes() const
	{
		probe_stats st;
		std::vector<std::uint64_t> hist(h_->probe_limit + 1);
		std::vector<std::uint8_t> key(h_->key_size);
		const std::uint64_t mask = h_->capacity - 1;
		double sum = 0;
		for (std::uint64_t i = 0; i <= mask; i++) {
			const std::uint8_t *slot = slot_bytes(i);
			std::uint64_t m = PKTPATH_LOAD_ACQUIRE(reinterpret_cast<const std::uint64_t *>(slot));
			if ((m & PKTPATH_SLOT_STATE) != PKTPATH_SLOT_FULL)
				continue;
			std::uint64_t home =
				pktpath_hash_fast64(slot + PKTPATH_TABLE_KEY_OFFSET, h_->key_size, h_->hash_seed) &
				mask;
			std::uint64_t len = ((i - home) & mask) + 1;
			hist[len < hist.size() ? len : hist.size() - 1]++;
			sum += static_cast<double>(len);
			st.flows++;
			if (len > st.max)
				st.max = static_cast<std::uint32_t>(len);
		}
		st.load = static_cast<double>(st.flows) / h_->capacity;
		if (st.flows) {
			st.mean = sum / static_cast<double>(st.flows);
			std::uint64_t need = st.flows - st.flows / 100, seen = 0;
			for (std::size_t len = 1; len < hist.size(); len++)
				if ((seen += hist[len]) >= need) {
					st.p99 = static_cast<std::uint32_t>(len);
					break;
				}
		}
		return st;
	}

	// Writes a consistent copy into dst (size() bytes, 8-byte aligned): the
	// header, every published slot with its counters read as read_row()
	// does, the other rows; unpublished slots are left empty.  Safe while
	// writers run.
	int copy_to(void *dst, std::uint64_t len) const noexcept
	{
		if (len < h_->image_size)
			return PKTPATH_TABLE_E_SHORT;
		if (reinterpret_cast<std::uintptr_t>(dst) & 7u)
			return PKTPATH_TABLE_E_ALIGN;
		auto *out = static_cast<std::uint8_t *>(dst);
		std::memcpy(out, h_, sizeof(pktpath_table_header)); // the header never changes after init
		std::memset(out + sizeof(pktpath_table_header), 0, h_->image_size - sizeof(pktpath_table_header));
		pktpath_table_geom to;
		pktpath_table_geom_of(reinterpret_cast<pktpath_table_header *>(out), &to);
		for (std::uint64_t i = 0; i < h_->capacity; i++) {
			std::uint8_t *slot = to.slots + i * to.slot_size;
			if (!read_slot(i, slot + PKTPATH_TABLE_KEY_OFFSET, pktpath_table_counters_(&to, 0, i)))
				continue;
			std::memcpy(slot, slot_bytes(i), sizeof(std::uint64_t)); // the FULL word read_slot saw
		}
		for (std::uint64_t row = h_->capacity; row < row_count(); row++)
			read_row(row, pktpath_table_counters_(&to, 0, row));
		return PKTPATH_TABLE_OK;
	}

	// A consistent copy (copy_to) written to f.
	int save(std::FILE *f) const
	{
		std::unique_ptr<void, void (*)(void *)> buf(std::aligned_alloc(64, PKTPATH_TABLE_ALIGN64(size())),
							    std::free);
		if (!buf)
			return PKTPATH_TABLE_E_NOMEM;
		int err = copy_to(buf.get(), size());
		if (err)
			return err;
		return std::fwrite(buf.get(), 1, size(), f) == size() && std::fflush(f) == 0 ? PKTPATH_TABLE_OK
											     : PKTPATH_TABLE_E_IO;
	}

private:
	pktpath_table_geom geom() const noexcept
	{
		pktpath_table_geom g;
		// Reads only: the probe with insert clear and the counter loads never write.
		pktpath_table_geom_of(const_cast<pktpath_table_header *>(h_), &g);
		return g;
	}
	const std::uint8_t *slot_bytes(std::uint64_t i) const noexcept
	{
		return reinterpret_cast<const std::uint8_t *>(h_) + h_->slots_offset + i * h_->slot_size;
	}

	const pktpath_table_header *h_ = nullptr;
	int err_ = PKTPATH_TABLE_E_SHORT;
};

// An image owned in memory, loaded from a byte buffer or a file (for
// instance one written by image_view::save, or read from a kernel module's
// debugfs file), validated before use.
class table_image {
public:
	table_image() noexcept = default;

	static table_image from_buffer(const void *data, std::size_t len)
	{
		table_image t;
		if (!t.reserve(len))
			return t;
		std::memcpy(t.buf_.get(), data, len); // aligned copy: the caller's bytes may be unaligned
		t.validate(len);
		return t;
	}

	static table_image from_file(std::FILE *f)
	{
		table_image t;
		std::size_t len = 0, cap = 0;
		for (;;) {
			if (len == cap && !t.reserve(cap = cap ? cap * 2 : 1u << 16, len))
				return t;
			std::size_t n = std::fread(static_cast<std::uint8_t *>(t.buf_.get()) + len, 1, cap - len, f);
			len += n;
			if (n == 0)
				break;
		}
		if (std::ferror(f)) {
			t.err_ = PKTPATH_TABLE_E_IO;
			return t;
		}
		t.validate(len);
		return t;
	}

	static table_image from_file(const char *path)
	{
		std::FILE *f = std::fopen(path, "rb");
		if (!f) {
			table_image t;
			t.err_ = PKTPATH_TABLE_E_IO;
			return t;
		}
		table_image t = from_file(f);
		std::fclose(f);
		return t;
	}

	bool ok() const noexcept { return view_.ok(); }
	int error() const noexcept { return err_; }
	const char *error_text() const noexcept { return pktpath_table_strerror(err_); }
	const image_view &view() const noexcept { return view_; }

private:
	// Grows the buffer to cap bytes keeping the first keep.
	bool reserve(std::size_t cap, std::size_t keep = 0)
	{
		std::unique_ptr<void, void (*)(void *)> n(std::aligned_alloc(64, PKTPATH_TABLE_ALIGN64(cap ? cap : 1)),
							  std::free);
		if (!n) {
			err_ = PKTPATH_TABLE_E_NOMEM;
			return false;
		}
		if (keep)
			std::memcpy(n.get(), buf_.get(), keep);
		buf_ = std::move(n);
		return true;
	}
	void validate(std::size_t len)
	{
		view_ = image_view(buf_.get(), len);
		err_ = view_.error();
	}

	std::unique_ptr<void, void (*)(void *)> buf_{nullptr, std::free};
	image_view view_;
	int err_ = PKTPATH_TABLE_E_SHORT;
};

} // namespace pktpath

#endif // PKTPATH_TABLE_IMAGE_READER_HPP
