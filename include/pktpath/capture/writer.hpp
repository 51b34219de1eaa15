// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Writes frames to a classic pcap file (host byte order, micro- or
// nanosecond magic), e.g. to dump the packets a pipeline dropped.  Records go
// through one buffer allocated at open(), so writing a packet never
// allocates; a record larger than the buffer passes through it in pieces.
//
//   pktpath::capture::pcap_writer w;
//   if (!w.open("drops.pcap", 1 /* LINKTYPE_ETHERNET */)) ...w.err().message...
//   w.write(f);                      // a frame from a reader, or
//   w.write(data, caplen, origlen, ts_ns);
//   if (!w.close()) ...
#ifndef PKTPATH_CAPTURE_WRITER_HPP
#define PKTPATH_CAPTURE_WRITER_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>

#include <fcntl.h>
#include <unistd.h>

#include "error.hpp"
#include "frame.hpp"
#include "pcap.hpp"

namespace pktpath::capture {

class pcap_writer {
public:
	static constexpr std::size_t buffer_size = 64 * 1024;

	pcap_writer() = default;
	pcap_writer(const pcap_writer &) = delete;
	pcap_writer &operator=(const pcap_writer &) = delete;
	~pcap_writer() { close(); }

	// Creates (or truncates) `path` and writes the file header.  Frames
	// longer than `snaplen` are cut to it, as a capture with that snap
	// length would have stored them.
	bool open(const char *path, std::uint32_t linktype, std::uint32_t snaplen = 262144, bool nsec = true)
	{
		close();
		err_.clear();
		if (!buf_) {
			buf_.reset(new (std::nothrow) std::uint8_t[buffer_size]);
			if (!buf_)
				return err_.set(errc::io, 0, "no memory for the write buffer");
		}
		fd_ = ::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd_ < 0)
			return err_.set(errc::io, 0, "open: %s", std::strerror(errno));
		snaplen_ = snaplen;
		nsec_ = nsec;
		packets_ = 0;
		written_ = 0;
		used_ = 0;
		// Host byte order throughout: readers tell it from the magic.
		const std::uint32_t magic = nsec ? pcap_walker::magic_nsec : pcap_walker::magic_usec;
		const std::uint16_t version[2] = {2, 4};
		const std::uint32_t rest[4] = {0 /* thiszone */, 0 /* sigfigs */, snaplen, linktype};
		std::uint8_t hdr[pcap_walker::file_header_len];
		std::memcpy(hdr, &magic, 4);
		std::memcpy(hdr + 4, version, 4);
		std::memcpy(hdr + 8, rest, 16);
		return append(hdr, sizeof hdr);
	}

	bool write(const std::uint8_t *data, std::uint32_t caplen, std::uint32_t origlen, std::uint64_t ts_ns)
	{
		if (fd_ < 0 || failed())
			return false;
		if (caplen > snaplen_)
			caplen = snaplen_;
		const std::uint64_t sec = ts_ns / 1000000000u;
		const std::uint64_t frac = ts_ns % 1000000000u;
		const std::uint32_t rec[4] = {
			static_cast<std::uint32_t>(sec),
			static_cast<std::uint32_t>(nsec_ ? frac : frac / 1000u),
			caplen,
			origlen,
		};
		if (!append(reinterpret_cast<const std::uint8_t *>(rec), sizeof rec) || !append(data, caplen))
			return false;
		++packets_;
		return true;
	}

	bool write(const frame &f) { return write(f.data, f.caplen, f.origlen, f.ts_ns); }

	// Hands the buffered records to the kernel.
	bool flush()
	{
		if (fd_ < 0 || failed())
			return false;
		const std::uint8_t *p = buf_.get();
		std::size_t n = used_;
		while (n) {
			const ssize_t w = ::write(fd_, p, n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return err_.set(errc::io, written_, "write: %s", std::strerror(errno));
			}
			p += w;
			n -= static_cast<std::size_t>(w);
			written_ += static_cast<std::uint64_t>(w);
		}
		used_ = 0;
		return true;
	}

	// Flushes and closes; false if any write or the close failed.
	bool close()
	{
		if (fd_ < 0)
			return !failed();
		const bool flushed = flush();
		const int rc = ::close(fd_);
		fd_ = -1;
		if (flushed && rc != 0)
			return err_.set(errc::io, written_, "close: %s", std::strerror(errno));
		return flushed && rc == 0;
	}

	bool is_open() const { return fd_ >= 0; }
	bool failed() const { return err_.code != errc::none; }
	const error &err() const { return err_; }
	std::uint64_t packets() const { return packets_; }
	// Bytes of the file so far, buffered ones included.
	std::uint64_t bytes() const { return written_ + used_; }

private:
	bool append(const std::uint8_t *p, std::size_t n)
	{
		while (n) {
			if (used_ == buffer_size && !flush())
				return false;
			std::size_t chunk = buffer_size - used_;
			if (chunk > n)
				chunk = n;
			std::memcpy(buf_.get() + used_, p, chunk);
			used_ += chunk;
			p += chunk;
			n -= chunk;
		}
		return true;
	}

	std::unique_ptr<std::uint8_t[]> buf_;
	int fd_ = -1;
	std::uint32_t snaplen_ = 0;
	bool nsec_ = true;
	std::size_t used_ = 0;
	std::uint64_t written_ = 0;
	std::uint64_t packets_ = 0;
	error err_;
};

} // namespace pktpath::capture

#endif
