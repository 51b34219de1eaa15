// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Writes frames to a classic pcap file (host byte order, micro- or
// nanosecond magic), e.g. to dump the packets a pipeline dropped, or to a
// pcapng file (one interface, nanosecond timestamps) whose packets may each
// carry a comment (opt_comment), which Wireshark and tshark show.  Records go
// through one buffer allocated at open(), so writing a packet never
// allocates; a record larger than the buffer passes through it in pieces.
//
//   pktpath::capture::pcap_writer w;
//   if (!w.open("drops.pcap", 1 /* LINKTYPE_ETHERNET */)) ...w.err().message...
//   w.write(f);                      // a frame from a reader, or
//   w.write(data, caplen, origlen, ts_ns);
//   if (!w.close()) ...
//
//   pktpath::capture::pcapng_writer n;   // the same, and
//   n.write(data, caplen, origlen, ts_ns, "reason=NO_SOCKET");
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
#include "pcapng.hpp"

namespace pktpath::capture {

namespace detail {

// The file and its write buffer, shared by both writers.
class buffered_file {
public:
	static constexpr std::size_t buffer_size = 64 * 1024;

	buffered_file() = default;
	buffered_file(const buffered_file &) = delete;
	buffered_file &operator=(const buffered_file &) = delete;
	~buffered_file() { close(); }

	bool open(const char *path)
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
		written_ = 0;
		used_ = 0;
		return true;
	}

	bool append(const void *data, std::size_t n)
	{
		const std::uint8_t *p = static_cast<const std::uint8_t *>(data);
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

	bool usable() const { return fd_ >= 0 && !failed(); }
	bool is_open() const { return fd_ >= 0; }
	bool failed() const { return err_.code != errc::none; }
	const error &err() const { return err_; }
	std::uint64_t bytes() const { return written_ + used_; }

private:
	std::unique_ptr<std::uint8_t[]> buf_;
	int fd_ = -1;
	std::size_t used_ = 0;
	std::uint64_t written_ = 0;
	error err_;
};

// What both writers are besides their formats: the file, the snap length
// records are cut to, the count of packets written, and their accessors.
class writer_base {
public:
	static constexpr std::size_t buffer_size = buffered_file::buffer_size;

	// Hands the buffered records to the kernel.
	bool flush() { return out_.flush(); }
	// Flushes and closes; false if any write or the close failed.
	bool close() { return out_.close(); }

	bool is_open() const { return out_.is_open(); }
	bool failed() const { return out_.failed(); }
	const error &err() const { return out_.err(); }
	std::uint64_t packets() const { return packets_; }
	// Bytes of the file so far, buffered ones included.
	std::uint64_t bytes() const { return out_.bytes(); }

protected:
	bool begin(const char *path, std::uint32_t snaplen)
	{
		if (!out_.open(path))
			return false;
		snaplen_ = snaplen;
		packets_ = 0;
		return true;
	}

	buffered_file out_;
	std::uint32_t snaplen_ = 0;
	std::uint64_t packets_ = 0;
};

} // namespace detail

class pcap_writer : public detail::writer_base {
public:
	// Creates (or truncates) `path` and writes the file header.  Frames
	// longer than `snaplen` are cut to it, as a capture with that snap
	// length would have stored them.
	bool open(const char *path, std::uint32_t linktype, std::uint32_t snaplen = 262144, bool nsec = true)
	{
		if (!begin(path, snaplen))
			return false;
		nsec_ = nsec;
		// Host byte order throughout: readers tell it from the magic.
		const std::uint32_t magic = nsec ? pcap_walker::magic_nsec : pcap_walker::magic_usec;
		const std::uint16_t version[2] = {2, 4};
		const std::uint32_t rest[4] = {0 /* thiszone */, 0 /* sigfigs */, snaplen, linktype};
		std::uint8_t hdr[pcap_walker::file_header_len];
		std::memcpy(hdr, &magic, 4);
		std::memcpy(hdr + 4, version, 4);
		std::memcpy(hdr + 8, rest, 16);
		return out_.append(hdr, sizeof hdr);
	}

	bool write(const std::uint8_t *data, std::uint32_t caplen, std::uint32_t origlen, std::uint64_t ts_ns)
	{
		if (!out_.usable())
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
		if (!out_.append(rec, sizeof rec) || !out_.append(data, caplen))
			return false;
		++packets_;
		return true;
	}

	bool write(const frame &f) { return write(f.data, f.caplen, f.origlen, f.ts_ns); }

private:
	bool nsec_ = true;
};

// One section, one interface (if_tsresol 9: nanoseconds), Enhanced Packet
// Blocks in host byte order; the same interface as pcap_writer, with an
// optional comment per packet.
class pcapng_writer : public detail::writer_base {
public:
	static constexpr std::uint16_t opt_comment = 1;
	// A comment longer than this is cut (an option's length is 16 bits).
	static constexpr std::size_t max_comment = 4096;

	bool open(const char *path, std::uint32_t linktype, std::uint32_t snaplen = 262144)
	{
		if (!begin(path, snaplen))
			return false;
		// Section Header Block: version 1.0, section length unknown (-1), no options.
		std::uint32_t shb[7] = {
			pcapng_walker::block_shb, 28, pcapng_walker::byte_order_magic, 0, 0xffffffffu, 0xffffffffu, 28};
		const std::uint16_t version[2] = {1, 0};
		std::memcpy(&shb[3], version, 4);
		// Interface Description Block: link type, snap length, if_tsresol 9, end of options.
		std::uint8_t idb[32] = {};
		const std::uint32_t idb_head[2] = {pcapng_walker::block_idb, sizeof idb};
		const std::uint16_t link[2] = {static_cast<std::uint16_t>(linktype), 0};
		const std::uint16_t tsresol[2] = {pcapng_walker::opt_if_tsresol, 1};
		std::memcpy(idb, idb_head, 8);
		std::memcpy(idb + 8, link, 4);
		std::memcpy(idb + 12, &snaplen, 4);
		std::memcpy(idb + 16, tsresol, 4);
		idb[20] = 9;
		std::memcpy(idb + 28, &idb_head[1], 4);
		return out_.append(shb, sizeof shb) && out_.append(idb, sizeof idb);
	}

	bool write(const std::uint8_t *data, std::uint32_t caplen, std::uint32_t origlen, std::uint64_t ts_ns,
		   const char *comment = nullptr)
	{
		if (!out_.usable())
			return false;
		if (caplen > snaplen_)
			caplen = snaplen_;
		std::size_t clen = comment ? std::strlen(comment) : 0;
		if (clen > max_comment)
			clen = max_comment;
		const std::uint32_t data_pad = pad4(caplen) - caplen;
		const std::uint32_t options = clen ? 4 + pad4(static_cast<std::uint32_t>(clen)) + 4 : 0;
		const std::uint32_t len = 32 + caplen + data_pad + options;
		const std::uint32_t head[7] = {
			pcapng_walker::block_epb,
			len,
			0, // interface
			static_cast<std::uint32_t>(ts_ns >> 32),
			static_cast<std::uint32_t>(ts_ns),
			caplen,
			origlen,
		};
		static const std::uint8_t zeros[8] = {};
		if (!out_.append(head, sizeof head) || !out_.append(data, caplen) || !out_.append(zeros, data_pad))
			return false;
		if (clen) {
			const std::uint16_t opt[2] = {opt_comment, static_cast<std::uint16_t>(clen)};
			const std::uint32_t end = 0; // opt_endofopt
			if (!out_.append(opt, sizeof opt) || !out_.append(comment, clen) ||
			    !out_.append(zeros, pad4(static_cast<std::uint32_t>(clen)) - clen) ||
			    !out_.append(&end, sizeof end))
				return false;
		}
		if (!out_.append(&len, sizeof len))
			return false;
		++packets_;
		return true;
	}

	bool write(const frame &f, const char *comment = nullptr)
	{
		return write(f.data, f.caplen, f.origlen, f.ts_ns, comment);
	}

private:
	static std::uint32_t pad4(std::uint32_t n) { return (n + 3u) & ~3u; }
};

} // namespace pktpath::capture

#endif
