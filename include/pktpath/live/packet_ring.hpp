// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The kernel's own packet ring as a userspace queue: an AF_PACKET socket
// with a TPACKET_V3 RX ring mapped into the process (packet(7)).  The kernel
// fills blocks of frames and hands each one over when it is full or its
// timeout expires (block_status TP_STATUS_USER); the user walks the block's
// frames in place and hands it back (TP_STATUS_KERNEL).  When no block is
// free the kernel drops the frame and counts it (PACKET_STATISTICS
// tp_drops; tp_freeze_q_cnt counts the times the queue froze): the loss in
// front of everything userspace can count.
//
//   pktpath::live::packet_ring r;
//   if (!r.open("eth0", pktpath::live::ring_config{})) { fprintf(stderr, "%s\n", r.err().message); ... }
//   for (;;) {
//       if (!r.ready()) { r.wait(100); continue; }
//       pktpath::live::block b = r.current();
//       pktpath::capture::frame f;
//       for (const tpacket3_hdr *h = b.first(); h; h = b.next(h))
//           use(r.frame_of(*h, f, scratch));   // VLAN tag put back, as libpcap does
//       r.release();
//   }
//
// Opening needs CAP_NET_RAW; without it err() says so.  Nothing here
// allocates after open(); one thread walks a ring (fanout: one socket and
// ring per thread, the kernel spreads the flows over them).
#ifndef PKTPATH_LIVE_PACKET_RING_HPP
#define PKTPATH_LIVE_PACKET_RING_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../capture/error.hpp"
#include "../capture/frame.hpp"

// Linux 6.2's flag (older uapi headers lack it): a fanout group has one hook
// of its own, on which the sockets' PACKET_IGNORE_OUTGOING has no effect.
#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000
#endif

namespace pktpath::live {

struct ring_config {
	std::uint32_t block_size = 1u << 20; // tp_block_size: a power of two, a multiple of the page size
	std::uint32_t block_count = 64;      // tp_block_nr
	std::uint32_t frame_size = 2048;     // tp_frame_size: sizes the ring's frame count (V3 frames vary)
	std::uint32_t timeout_ms = 10;       // tp_retire_blk_tov: a block not yet full is handed over after it
	bool outgoing = false;               // also the frames the host sends (else PACKET_IGNORE_OUTGOING)
	const sock_filter *bpf = nullptr;    // classic BPF run by the kernel before the ring (tcpdump -ddd)
	unsigned short bpf_len = 0;
	int fanout_group = -1;                     // PACKET_FANOUT group id 0..65535, -1: none
	unsigned fanout_mode = PACKET_FANOUT_HASH; // PACKET_FANOUT_HASH: a flow stays on one socket

	// nullptr when usable, else what is wrong.
	const char *check() const
	{
		const long page = ::sysconf(_SC_PAGESIZE);
		if (block_size < static_cast<unsigned long>(page) || (block_size & (block_size - 1)) != 0 ||
		    block_size > (1u << 30))
			return "block size: a power of two from the page size to 1 GiB";
		if (block_count < 1 || block_count > (1u << 16))
			return "block count: 1 to 65536";
		if (frame_size < TPACKET3_HDRLEN + ETH_HLEN || frame_size > block_size ||
		    frame_size % TPACKET_ALIGNMENT != 0)
			return "frame size: a multiple of 16 from 96 to the block size";
		if (timeout_ms < 1 || timeout_ms > 60000)
			return "timeout: 1 to 60000 ms";
		if (fanout_group > 0xffff)
			return "fanout group: 0 to 65535";
		return nullptr;
	}
};

// PACKET_STATISTICS, summed over every read (the kernel zeroes them on read).
struct ring_stats {
	std::uint64_t packets = 0;      // tp_packets: frames that passed the filter, into the ring or dropped
	std::uint64_t drops = 0;        // tp_drops: no room in the ring
	std::uint64_t freeze_q_cnt = 0; // tp_freeze_q_cnt: times the ring filled and the queue froze
};

// One block the kernel handed over: its frames, in order.
class block {
public:
	explicit block(tpacket_block_desc *d) : d_(d) {}
	std::uint32_t frames() const { return d_->hdr.bh1.num_pkts; }
	std::uint64_t seq() const { return d_->hdr.bh1.seq_num; }
	const tpacket3_hdr *first() const { return frames() ? at(d_->hdr.bh1.offset_to_first_pkt) : nullptr; }
	// The frame after h, or null after the block's last (the last frame's
	// next offset is 0).
	const tpacket3_hdr *next(const tpacket3_hdr *h) const
	{
		return h->tp_next_offset ? reinterpret_cast<const tpacket3_hdr *>(
						   reinterpret_cast<const std::uint8_t *>(h) + h->tp_next_offset)
					 : nullptr;
	}

private:
	const tpacket3_hdr *at(std::uint32_t off) const
	{
		return reinterpret_cast<const tpacket3_hdr *>(reinterpret_cast<const std::uint8_t *>(d_) + off);
	}
	tpacket_block_desc *d_;
};

class packet_ring {
public:
	packet_ring() = default;
	packet_ring(const packet_ring &) = delete;
	packet_ring &operator=(const packet_ring &) = delete;
	~packet_ring() { close(); }

	// Socket, filter, ring, mapping, bind, fanout: in that order, so that no
	// frame reaches the ring before the filter is in place.  False with
	// err() set (a missing CAP_NET_RAW named as such).
	bool open(const char *ifname, const ring_config &c)
	{
		close();
		if (const char *why = c.check())
			return err_.set(capture::errc::io, 0, "%s", why);
		cfg_ = c;
		fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (fd_ < 0) {
			if (errno == EPERM || errno == EACCES)
				return err_.set(capture::errc::io, 0,
						"AF_PACKET socket: %s: needs CAP_NET_RAW (run as root, or setcap "
						"cap_net_raw+ep on the program)",
						std::strerror(errno));
			return fail("AF_PACKET socket");
		}
		const int ifindex = static_cast<int>(::if_nametoindex(ifname));
		if (ifindex == 0)
			return fail(ifname);
		struct ifreq ifr;
		std::memset(&ifr, 0, sizeof ifr);
		std::strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
		if (::ioctl(fd_, SIOCGIFHWADDR, &ifr) != 0)
			return fail("SIOCGIFHWADDR");
		if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER && ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK)
			return err_.set(capture::errc::io, 0, "%s: link type %u is not Ethernet", ifname,
					ifr.ifr_hwaddr.sa_family);
		const int v3 = TPACKET_V3;
		if (::setsockopt(fd_, SOL_PACKET, PACKET_VERSION, &v3, sizeof v3) != 0)
			return fail("PACKET_VERSION TPACKET_V3");
		if (c.bpf != nullptr) {
			sock_fprog prog{c.bpf_len, const_cast<sock_filter *>(c.bpf)};
			if (::setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
				return fail("SO_ATTACH_FILTER (BPF program)");
		}
		const int one = 1;
		if (!c.outgoing && ::setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0)
			return fail("PACKET_IGNORE_OUTGOING");
		tpacket_req3 req;
		std::memset(&req, 0, sizeof req);
		req.tp_block_size = c.block_size;
		req.tp_block_nr = c.block_count;
		req.tp_frame_size = c.frame_size;
		req.tp_frame_nr =
			static_cast<unsigned>(static_cast<std::uint64_t>(c.block_size) / c.frame_size * c.block_count);
		req.tp_retire_blk_tov = c.timeout_ms;
		if (::setsockopt(fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0)
			return fail("PACKET_RX_RING");
		len_ = static_cast<std::size_t>(c.block_size) * c.block_count;
		void *m = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED | MAP_POPULATE, fd_, 0);
		if (m == MAP_FAILED) // MAP_LOCKED beyond RLIMIT_MEMLOCK: map it unlocked
			m = ::mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
		if (m == MAP_FAILED) {
			len_ = 0;
			return fail("mmap of the ring");
		}
		map_ = static_cast<std::uint8_t *>(m);
		sockaddr_ll sll;
		std::memset(&sll, 0, sizeof sll);
		sll.sll_family = AF_PACKET;
		sll.sll_protocol = htons(ETH_P_ALL);
		sll.sll_ifindex = ifindex;
		if (::bind(fd_, reinterpret_cast<sockaddr *>(&sll), sizeof sll) != 0)
			return fail("bind");
		if (c.fanout_group >= 0) {
			const unsigned flags = c.outgoing ? 0 : PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
			const int arg = c.fanout_group | static_cast<int>((c.fanout_mode | flags) << 16);
			if (::setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0)
				return fail(errno == EINVAL && flags
						    ? "PACKET_FANOUT (without outgoing frames: Linux 6.2 "
						      "or later; else --outgoing)"
						    : "PACKET_FANOUT");
		}
		return true;
	}

	void close()
	{
		if (map_ != nullptr)
			::munmap(map_, len_);
		map_ = nullptr;
		len_ = 0;
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
		cur_ = 0;
		released_ = 0;
	}

	// Whether the kernel has handed the current block over.
	bool ready() const
	{
		return (__atomic_load_n(&desc(cur_)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
	}
	// The current block; only while ready().
	block current() const { return block(desc(cur_)); }
	// Hands the current block back to the kernel and moves to the next.
	void release()
	{
		__atomic_store_n(&desc(cur_)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		cur_ = cur_ + 1 == cfg_.block_count ? 0 : cur_ + 1;
		++released_;
	}
	// Blocks handed back so far.
	std::uint64_t released() const { return released_; }

	// Sleeps until a block is handed over (or timeout_ms); false on error
	// or timeout.  A signal ends the wait early (EINTR: false).
	bool wait(int timeout_ms)
	{
		pollfd p{fd_, POLLIN | POLLRDNORM | POLLERR, 0};
		return ::poll(&p, 1, timeout_ms) > 0;
	}

	// Reads the kernel's counters (which zeroes them) into the running sums.
	const ring_stats &stats()
	{
		tpacket_stats_v3 s;
		socklen_t n = sizeof s;
		if (fd_ >= 0 && ::getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &s, &n) == 0) {
			st_.packets += s.tp_packets;
			st_.drops += s.tp_drops;
			st_.freeze_q_cnt += s.tp_freeze_q_cnt;
		}
		return st_;
	}

	// The frame h as a capture frame (LINKTYPE_ETHERNET).  A VLAN tag the
	// kernel took out of the frame (TP_STATUS_VLAN_VALID) is put back, as
	// libpcap does, into scratch, which needs frame_bytes_max() bytes.
	static capture::frame &frame_of(const tpacket3_hdr &h, capture::frame &f, std::uint8_t *scratch)
	{
		const std::uint8_t *mac = reinterpret_cast<const std::uint8_t *>(&h) + h.tp_mac;
		f.data = mac;
		f.caplen = h.tp_snaplen;
		f.origlen = h.tp_len;
		f.ts_ns = std::uint64_t{h.tp_sec} * 1000000000u + h.tp_nsec;
		f.linktype = 1;
		f.interface_id = 0;
		f.section = 0;
		if (((h.tp_status & TP_STATUS_VLAN_VALID) != 0 || h.hv1.tp_vlan_tci != 0) && h.tp_snaplen >= 12) {
			const std::uint16_t tpid =
				(h.tp_status & TP_STATUS_VLAN_TPID_VALID) != 0 ? h.hv1.tp_vlan_tpid : ETH_P_8021Q;
			const std::uint8_t tag[4] = {static_cast<std::uint8_t>(tpid >> 8),
						     static_cast<std::uint8_t>(tpid),
						     static_cast<std::uint8_t>(h.hv1.tp_vlan_tci >> 8),
						     static_cast<std::uint8_t>(h.hv1.tp_vlan_tci)};
			std::memcpy(scratch, mac, 12);
			std::memcpy(scratch + 12, tag, 4);
			std::memcpy(scratch + 16, mac + 12, h.tp_snaplen - 12);
			f.data = scratch;
			f.caplen += 4;
			f.origlen += 4;
		}
		return f;
	}
	// The scratch frame_of() needs: the largest frame a block holds, plus a tag.
	std::size_t frame_bytes_max() const { return cfg_.block_size + 4; }
	int fd() const { return fd_; }
	const ring_config &config() const { return cfg_; }
	const capture::error &err() const { return err_; }

private:
	tpacket_block_desc *desc(std::uint32_t i) const
	{
		return reinterpret_cast<tpacket_block_desc *>(map_ + static_cast<std::size_t>(i) * cfg_.block_size);
	}

	bool fail(const char *what)
	{
		err_.set(capture::errc::io, 0, "%s: %s", what, std::strerror(errno));
		close();
		return false;
	}

	ring_config cfg_;
	int fd_ = -1;
	std::uint8_t *map_ = nullptr;
	std::size_t len_ = 0;
	std::uint32_t cur_ = 0; // the block the kernel hands over next
	std::uint64_t released_ = 0;
	ring_stats st_;
	capture::error err_;
};

} // namespace pktpath::live

#endif // PKTPATH_LIVE_PACKET_RING_HPP
