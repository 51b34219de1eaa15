// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pcap and pcapng from a file descriptor that cannot be mapped: a pipe
// (`tcpdump -w - | prog -`), a socket, a terminal, a FIFO.  The same walkers,
// frames and errors (byte offsets of the stream) as reader.hpp, over a
// bounded buffer: memory stays flat however long the stream is.
//
// The buffer is a ring mapped twice in a row (memfd), so a record that
// wraps around its end is still contiguous and no byte is ever moved: read()
// writes straight into it, and a frame's bytes stay where they are until
// the ring comes round to them again.  A frame is valid while the reader's
// position() is at most stream_options::keep bytes past its offset (with
// keep 0: until the next call to next()), and never after close().
//
//   pktpath::capture::stream_reader r;
//   if (!r.open("-")) { fprintf(stderr, "%s\n", r.err().message); return 1; }   // standard input
//   pktpath::capture::frame f;
//   while (r.next(f))
//       use(f.data, f.caplen, f.linktype, f.ts_ns);
//   if (r.failed()) fprintf(stderr, "%s\n", r.err().message);   // e.g. cut mid-record
#ifndef PKTPATH_CAPTURE_STREAM_READER_HPP
#define PKTPATH_CAPTURE_STREAM_READER_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detail/walk.hpp"
#include "error.hpp"
#include "frame.hpp"
#include "reader.hpp"

namespace pktpath::capture {

struct stream_options {
	// Bytes behind the cursor a refill leaves in place, so frames handed out
	// that recently stay valid (a consumer that holds frames in a queue).
	std::size_t keep = 0;
	// The largest pcapng block read whole; 0: max_caplen + 64 KiB (a packet
	// block with generous options).  Larger blocks are an error.
	std::size_t max_block = 0;
};

class stream_reader {
public:
	stream_reader() = default;
	explicit stream_reader(const reader_options &ro, const stream_options &so = {}) : opt_(ro), sopt_(so) {}
	stream_reader(const stream_reader &) = delete;
	stream_reader &operator=(const stream_reader &) = delete;
	~stream_reader() { close(); }

	// "-" is standard input (left open by close()); any other path is
	// opened and read as a stream, whatever it is.
	bool open(const char *path)
	{
		if (std::strcmp(path, "-") == 0)
			return open_fd(STDIN_FILENO, false);
		close();
		const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_.set(errc::io, 0, "open: %s", std::strerror(errno));
		return open_fd(fd, true);
	}

	// Reads the capture header from fd; own: close() closes fd.  Blocks
	// until the header is in (or the stream ends).
	bool open_fd(int fd, bool own)
	{
		close();
		fd_ = fd;
		own_ = own;
		if (!map_ring())
			return false;
		std::size_t need = 4;
		for (;;) {
			if (!fill(0, need))
				return false;
			if (walk_.start(ring_, head_, opt_.max_caplen, !eof_, err_)) {
				done_ = false;
				return true;
			}
			if (err_ || walk_.wanted() == 0)
				return false;
			need = walk_.wanted();
			if (!fits(need))
				return false;
		}
	}

	void close()
	{
		if (own_ && fd_ >= 0)
			::close(fd_);
		fd_ = -1;
		own_ = false;
		if (ring_ != nullptr)
			::munmap(ring_, 2 * cap_);
		ring_ = nullptr;
		cap_ = 0;
		head_ = 0;
		eof_ = false;
		done_ = true;
		walk_.clear();
		err_.clear();
	}

	// The next packet record; false at the end of the stream or on error
	// (see failed()).  Blocks while the stream has no complete record.
	bool next(frame &f)
	{
		while (!done_) {
			if (walk_.next(f, err_))
				return true;
			const std::size_t need = walk_.wanted();
			if (err_ || need == 0 || !fits(need) || !fill(walk_.position(), need))
				break;
			walk_.window(ring_ + walk_.position() % cap_,
				     static_cast<std::size_t>(head_ - walk_.position()), !eof_);
		}
		done_ = true;
		return false;
	}

	bool failed() const { return err_.code != errc::none; }
	const error &err() const { return err_; }
	format fmt() const { return walk_.fmt(); }
	// Bytes of the stream walked so far, and read from it so far.
	std::uint64_t position() const { return walk_.position(); }
	std::uint64_t size() const { return head_; }
	// The ring's size: flat whatever the stream's length.
	std::size_t buffer_size() const { return cap_; }

	const pcap_walker &pcap() const { return walk_.pcap(); }
	const pcapng_walker &pcapng() const { return walk_.pcapng(); }

private:
	std::size_t max_block() const
	{
		return sopt_.max_block ? sopt_.max_block : std::size_t{opt_.max_caplen} + (std::size_t{64} << 10);
	}

	// The ring: keep + room for two of the largest blocks, whole pages,
	// mapped twice in a row.
	bool map_ring()
	{
		const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
		const std::size_t want = sopt_.keep + 2 * max_block();
		if (want < sopt_.keep)
			return err_.set(errc::io, 0, "stream buffer: keep %zu is too large", sopt_.keep);
		cap_ = (want + page - 1) / page * page;
		const int mfd = ::memfd_create("pktpath-stream", MFD_CLOEXEC);
		if (mfd < 0)
			return ring_error("memfd_create");
		if (::ftruncate(mfd, static_cast<off_t>(cap_)) != 0) {
			const int e = errno;
			::close(mfd);
			errno = e;
			return ring_error("ftruncate");
		}
		void *area = ::mmap(nullptr, 2 * cap_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (area == MAP_FAILED) {
			const int e = errno;
			::close(mfd);
			errno = e;
			return ring_error("mmap");
		}
		std::uint8_t *p = static_cast<std::uint8_t *>(area);
		const bool mapped =
			::mmap(p, cap_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) != MAP_FAILED &&
			::mmap(p + cap_, cap_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) != MAP_FAILED;
		const int e = errno;
		::close(mfd); // the mappings hold the memory
		if (!mapped) {
			::munmap(area, 2 * cap_);
			errno = e;
			return ring_error("mmap");
		}
		ring_ = p;
		return true;
	}

	bool ring_error(const char *what)
	{
		const int e = errno;
		err_.set(errc::io, 0, "stream buffer of %zu bytes: %s: %s", cap_, what, std::strerror(e));
		cap_ = 0;
		return false;
	}

	// Whether a structure of n bytes may be read whole (the ring holds two
	// of them beside `keep`).
	bool fits(std::size_t n)
	{
		if (n <= max_block())
			return true;
		return err_.set_at(
			errc::bad_block_length, walk_.position(),
			walk_.fmt() == format::pcapng ? "pcapng: block" : "capture: record",
			"length %zu is above the stream reader's limit of %zu bytes (stream_options::max_block)", n,
			max_block());
	}

	// Reads until at least `need` bytes from stream offset `from` are in, or
	// the stream ends.  Never overwrites bytes less than keep behind `from`.
	bool fill(std::uint64_t from, std::size_t need)
	{
		const std::uint64_t low = from - (from < sopt_.keep ? from : sopt_.keep);
		while (head_ - from < need && !eof_) {
			const std::size_t room = cap_ - static_cast<std::size_t>(head_ - low);
			const ssize_t n = ::read(fd_, ring_ + head_ % cap_, room);
			if (n > 0)
				head_ += static_cast<std::uint64_t>(n);
			else if (n == 0)
				eof_ = true;
			else if (errno != EINTR)
				return err_.set(errc::io, head_, "read at offset %llu: %s",
						static_cast<unsigned long long>(head_), std::strerror(errno));
		}
		return true;
	}

	reader_options opt_;
	stream_options sopt_;
	int fd_ = -1;
	bool own_ = false;
	std::uint8_t *ring_ = nullptr; // cap_ bytes, mapped at ring_ and again at ring_ + cap_
	std::size_t cap_ = 0;
	std::uint64_t head_ = 0; // stream bytes read; offset x lives at ring_ + x % cap_
	bool eof_ = false;
	bool done_ = true;
	detail::walk walk_;
	error err_;
};

} // namespace pktpath::capture

#endif
