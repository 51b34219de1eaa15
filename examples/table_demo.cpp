// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Per-stage flow counters along the Linux receive path, with drops, and
// their export.  Without --load it simulates traffic: a few flows walk
// eth_type_trans -> ... -> tcp_v4_rcv/udp_rcv and some packets are lost on
// the way.  With --load it reads a table image (written by --save, by
// another process or by a kernel module) and reports it.
//
//   pktpath-table_demo [--format text|json|csv|prom] [--top N]
//                      [--save FILE] [--load FILE]
#include <pktpath/table/export.hpp>
#include <pktpath/table/funnel.hpp>
#include <pktpath/table/image_reader.hpp>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/table/stage_table.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace pktpath;
using rx = linux_rx;

namespace {

flow_key flow(std::uint8_t host, std::uint16_t sport, std::uint8_t proto)
{
	flow_key k{};
	const std::uint8_t src[4] = {198, 51, 100, host}, dst[4] = {192, 0, 2, 1};
	std::memcpy(k.src, src, 4);
	std::memcpy(k.dst, dst, 4);
	k.sport = sport;
	k.dport = proto == 6 ? 443 : 53;
	k.proto = proto;
	k.flags = PKTPATH_KEY_IPV4 | PKTPATH_KEY_PORTS;
	return k;
}

void simulate(stage_table<> &t)
{
	std::mt19937 rng(42);
	// Flow 3 suffers backlog drops before netif_receive_skb, flow 5 socket drops.
	for (int n = 0; n < 20000; n++) {
		const std::uint8_t host = static_cast<std::uint8_t>(1 + rng() % 8);
		const flow_key k = flow(host, static_cast<std::uint16_t>(40000 + host), host % 3 ? 6 : 17);
		const std::uint32_t len = 64 + rng() % 1400;
		if (rng() % 500 == 0) {
			// Not IP (ARP, say): no flow key; it leaves the path after netif_receive_skb.
			for (unsigned st : {rx::eth_type_trans, rx::napi_gro_receive, rx::netif_receive_skb})
				t.count_unclassified(st, PKTPATH_UNSUPPORTED_L3, len);
			continue;
		}
		const std::uint64_t row = t.row(k); // look up once, count at every stage
		t.add(row, rx::eth_type_trans, len);
		t.add(row, rx::napi_gro_receive, len);
		if (host == 3 && rng() % 10 == 0)
			continue;
		t.add(row, rx::netif_receive_skb, len);
		t.add(row, rx::ip_rcv, len);
		if (host == 5 && rng() % 25 == 0)
			continue;
		t.add(row, k.proto == 6 ? rx::tcp_v4_rcv : rx::udp_rcv, len);
	}
}

int usage()
{
	std::fprintf(stderr,
		     "usage: pktpath-table_demo [--format text|json|csv|prom] [--top N] [--save FILE] [--load FILE]\n");
	return 2;
}

} // namespace

int main(int argc, char **argv)
{
	export_format format = export_format::text;
	export_options opt;
	const char *save = nullptr, *load = nullptr;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			return usage();
		const char *v = argv[++i];
		if (!std::strcmp(a, "--format")) {
			if (!std::strcmp(v, "json"))
				format = export_format::json;
			else if (!std::strcmp(v, "csv"))
				format = export_format::csv;
			else if (!std::strcmp(v, "prom"))
				format = export_format::prometheus;
			else if (std::strcmp(v, "text"))
				return usage();
		} else if (!std::strcmp(a, "--top")) {
			opt.top_n = std::strtoul(v, nullptr, 10);
		} else if (!std::strcmp(a, "--save")) {
			save = v;
		} else if (!std::strcmp(a, "--load")) {
			load = v;
		} else {
			return usage();
		}
	}

	if (load) {
		const table_image img = table_image::from_file(load);
		if (!img.ok()) {
			std::fprintf(stderr, "%s: %s\n", load, img.error_text());
			return 1;
		}
		return export_snapshot(stdout, table_snapshot(img.view()), format, opt) ? 0 : 1;
	}

	stage_table<> t = stage_table<>::create(1024);
	if (!t.ok()) {
		std::fprintf(stderr, "table: %s\n", t.error_text());
		return 1;
	}
	simulate(t);
	const table_snapshot snap(t.view());
	if (!export_snapshot(stdout, snap, format, opt))
		return 1;
	if (save) {
		std::FILE *f = std::fopen(save, "wb");
		int err = f ? t.view().save(f) : PKTPATH_TABLE_E_IO;
		if (f && std::fclose(f) != 0)
			err = PKTPATH_TABLE_E_IO;
		if (err) {
			std::fprintf(stderr, "%s: %s\n", save, table_error_text(err));
			return 1;
		}
	}
	return 0;
}
