// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Frames counted through the kernel's packet ring on a veth pair: pktpath's
// live worker (a TPACKET_V3 ring drained by the NAPI poll loop) against a
// plain libpcap counter (pcap_loop on a pcap_create/pcap_activate handle, as
// pcap_open_live makes it, with the same buffer size), both parsing each
// frame with pktpath_parse and counting it in the same table at the same
// stages.  A sender thread in the other namespace sends UDP frames of 64
// flows (IMIX-like sizes) as fast as it can for the whole run; each
// iteration opens a socket, counts `frames` frames and closes it.
//
// Needs root (it makes two network namespaces and a veth pair, removed at
// exit); without it, every benchmark is skipped with the reason.  Figures:
// items_per_second is frames per second of the counting thread's CPU time;
// wall_fps per second of wall time (bounded by the sender on a 2-vCPU VM);
// kernel_drops what the kernel dropped meanwhile.
#include <benchmark/benchmark.h>

#include <pktpath/capture/synth.hpp>
#include <pktpath/flow/parse.h>
#include <pktpath/live/engine.hpp>
#include <pktpath/live/packet_ring.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef PKTPATH_HAVE_LIBPCAP
#include <pcap/pcap.h>
#endif

namespace {

using namespace pktpath::live;
constexpr std::int64_t frames = 300000;
constexpr std::uint32_t ring_bytes = 16u << 20;

bool sh(const std::string &cmd)
{
	return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

bool enter(const std::string &ns)
{
	const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
	const bool ok = fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0;
	if (fd >= 0)
		::close(fd);
	return ok;
}

// Two namespaces, a veth pair, and a thread in the first sending for as long
// as the program runs.
class pair {
public:
	pair()
	{
		const std::string tag = std::to_string(::getpid());
		tx_ = "pktpath-btx-" + tag;
		rx_ = "pktpath-brx-" + tag;
		rx_if_ = "pkb" + tag + "r";
		const std::string tx_if = "pkb" + tag + "t";
		if (::geteuid() != 0) {
			why_ = "needs root: network namespaces";
			return;
		}
		const char *v6off = " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1";
		// The MACs synth::builder writes (dst 02:..:01, src 02:..:02) and
		// the documentation addresses: traffic between the pair's own addresses.
		if (!sh("ip netns add " + tx_) || !sh("ip netns add " + rx_) ||
		    !sh("ip link add " + tx_if + " address 02:00:00:00:00:02 netns " + tx_ + " type veth peer name " +
			rx_if_ + " address 02:00:00:00:00:01 netns " + rx_) ||
		    !sh("ip netns exec " + tx_ + v6off) || !sh("ip netns exec " + rx_ + v6off) ||
		    !sh("ip -n " + tx_ + " addr add 192.0.2.1/24 dev " + tx_if) ||
		    !sh("ip -n " + rx_ + " addr add 192.0.2.2/24 dev " + rx_if_) ||
		    !sh("ip -n " + tx_ + " link set " + tx_if + " up") ||
		    !sh("ip -n " + rx_ + " link set " + rx_if_ + " up")) {
			why_ = "cannot make the namespaces and the veth pair (iproute2?)";
			return;
		}
		// A socket the frames are for, never read: the receiving stack drops
		// them at its full queue, cheaply, instead of answering each with ICMP.
		std::thread([this] {
			if (!enter(rx_))
				return;
			sink_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			sockaddr_in a{};
			a.sin_family = AF_INET;
			a.sin_port = htons(2000);
			a.sin_addr.s_addr = htonl(0xc0000202); // 192.0.2.2
			if (sink_ >= 0)
				::bind(sink_, reinterpret_cast<sockaddr *>(&a), sizeof a);
		}).join();
		sender_ = std::thread([this, tx_if] { send(tx_if); });
		ok_ = true;
	}
	~pair()
	{
		stop_.store(true);
		if (sender_.joinable())
			sender_.join();
		if (sink_ >= 0)
			::close(sink_);
		sh("ip netns del " + tx_);
		sh("ip netns del " + rx_);
	}
	bool ok() const { return ok_; }
	const char *why() const { return why_; }
	const std::string &rx_if() const { return rx_if_; }
	const std::string &rx_ns() const { return rx_; }

private:
	void send(const std::string &ifname)
	{
		if (!enter(tx_))
			return;
		const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		sockaddr_ll sll{};
		sll.sll_family = AF_PACKET;
		sll.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
		if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&sll), sizeof sll) != 0)
			return;
		const unsigned sizes[] = {64, 64, 64, 64, 64, 64, 64, 576, 576, 576, 576, 1514};
		std::vector<std::vector<std::uint8_t>> out;
		for (unsigned i = 0; i < 64 * 12; i++) {
			pktpath::synth::builder b;
			b.eth(0x0800).ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 17).udp(1000 + i % 64, 2000);
			b.payload(sizes[i % 12] - 4 - 42); // 4: the FCS the wire would add
			out.push_back(b.finish());
		}
		std::vector<mmsghdr> msgs(out.size());
		std::vector<iovec> iov(out.size());
		for (std::size_t i = 0; i < out.size(); i++) {
			iov[i] = iovec{out[i].data(), out[i].size()};
			msgs[i] = mmsghdr{};
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		while (!stop_.load(std::memory_order_relaxed))
			for (std::size_t at = 0; at < msgs.size(); at += 64)
				::sendmmsg(fd, msgs.data() + at, 64, 0);
		::close(fd);
	}

	std::string tx_, rx_, rx_if_;
	const char *why_ = nullptr;
	bool ok_ = false;
	int sink_ = -1;
	std::atomic<bool> stop_{false};
	std::thread sender_;
};

pair &the_pair()
{
	static pair p;
	return p;
}

bool ready(benchmark::State &state)
{
	pair &p = the_pair();
	if (!p.ok()) {
		state.SkipWithError(p.why());
		return false;
	}
	if (!enter(p.rx_ns())) {
		state.SkipWithError("setns into the receiving namespace");
		return false;
	}
	return true;
}

void report(benchmark::State &state, double wall_s, std::uint64_t drops)
{
	state.SetItemsProcessed(state.iterations() * frames);
	state.counters["wall_fps"] = static_cast<double>(state.iterations() * frames) / wall_s;
	state.counters["kernel_drops"] = static_cast<double>(drops);
}

void live_pktpath(benchmark::State &state)
{
	if (!ready(state))
		return;
	table_type t = table_type::create(1024);
	ring_config c;
	c.block_size = 1u << 20;
	c.block_count = ring_bytes / c.block_size;
	double wall = 0;
	std::uint64_t drops = 0;
	for (auto _ : state) {
		std::atomic<std::int64_t> left{frames};
		worker w(0, t, poll_knobs{}, classify_options{}, frame_sink{}, &left);
		if (!w.open(the_pair().rx_if().c_str(), c)) {
			state.SkipWithError(w.err().message);
			return;
		}
		const std::atomic<bool> stop{false};
		const auto t0 = std::chrono::steady_clock::now();
		w.run(stop);
		wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		drops += w.kernel_stats().drops;
	}
	report(state, wall, drops);
}
BENCHMARK(live_pktpath)->Name("live/pktpath/tpacket_v3_napi")->Unit(benchmark::kMillisecond)->Iterations(1);

#ifdef PKTPATH_HAVE_LIBPCAP
struct pcap_counter {
	table_type *t;
	static void frame(u_char *self, const pcap_pkthdr *h, const u_char *data)
	{
		table_type &t = *reinterpret_cast<pcap_counter *>(self)->t;
		pktpath_parse_result r;
		pktpath_parse(data, h->caplen, 1, PKTPATH_PARSE_VLAN, &r);
		std::uint64_t row;
		std::uint32_t mask = 1u << live_path::poll;
		if (pktpath_status_has_key(r.status)) {
			r.key.vlan = 0;
			pktpath::flow_key k;
			k.assign(r.key);
			row = t.row(k);
			mask |= 1u << live_path::classify | 1u << live_path::deliver;
		} else {
			row = t.unclassified_row(r.status);
			mask |= 1u << live_path::unclassified;
		}
		t.add_stages(row, mask | 1u << live_path::kernel_ring, h->len);
	}
};

void live_libpcap(benchmark::State &state)
{
	if (!ready(state))
		return;
	table_type t = table_type::create(1024);
	pcap_counter ctx{&t};
	char errbuf[PCAP_ERRBUF_SIZE];
	double wall = 0;
	std::uint64_t drops = 0;
	for (auto _ : state) {
		pcap_t *p = pcap_create(the_pair().rx_if().c_str(), errbuf);
		if (p == nullptr || pcap_set_snaplen(p, 262144) != 0 || pcap_set_promisc(p, 0) != 0 ||
		    pcap_set_timeout(p, 10) != 0 || pcap_set_buffer_size(p, ring_bytes) != 0 || pcap_activate(p) < 0 ||
		    pcap_setdirection(p, PCAP_D_IN) != 0) { // as the worker: received frames only
			state.SkipWithError(p ? pcap_geterr(p) : errbuf);
			return;
		}
		const auto t0 = std::chrono::steady_clock::now();
		pcap_loop(p, static_cast<int>(frames), &pcap_counter::frame, reinterpret_cast<u_char *>(&ctx));
		wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		pcap_stat ps{};
		pcap_stats(p, &ps);
		drops += ps.ps_drop;
		pcap_close(p);
	}
	report(state, wall, drops);
}
BENCHMARK(live_libpcap)->Name("live/libpcap/pcap_loop")->Unit(benchmark::kMillisecond)->Iterations(1);
#endif

} // namespace

BENCHMARK_MAIN();
