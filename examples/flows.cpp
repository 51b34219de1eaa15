// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-flows: one tab-separated line per frame of each capture, with the
// flow key the parser derives and its hash.  Other checks (the tshark
// differential test) rely on this output: keep it stable.
//
//   pktpath-flows CAPTURE... [--hash toeplitz|crc32c|default] [--inner] [--vlan] [--symmetric]
//
// CAPTURE "-" is standard input (`tcpdump -w - | pktpath-flows -`); pipes
// and FIFOs are streamed, regular files mapped.
//
// Columns: frame status ip_version l4proto src sport dst dport hash
// Exit codes: 0 all captures read to the end; 1 a capture could not be read
// (the frames before the error are still printed; the error, with its byte
// offset, goes to stderr); 2 bad usage.
#include <pktpath/capture/input.hpp>
#include <pktpath/flow/format.hpp>
#include <pktpath/flow/parse.hpp>
#include <pktpath/hash/hash.hpp>
#include <pktpath/version.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace {

enum class hash_kind { fast, crc32c, toeplitz };

struct options {
	hash_kind hash = hash_kind::fast;
	unsigned parse_flags = 0;
	std::vector<const char *> files;
};

int usage(std::FILE *out)
{
	std::fprintf(
		out,
		"usage: pktpath-flows CAPTURE... [--hash toeplitz|crc32c|default] [--inner] [--vlan] [--symmetric]\n"
		"Prints one line per frame: frame status ip_version l4proto src sport dst dport hash\n"
		"  CAPTURE       a pcap or pcapng file; - for standard input\n"
		"  --hash KIND   toeplitz (NIC RSS, Microsoft key), crc32c, or default (pktpath's fast hash)\n"
		"  --inner       key of the innermost tunnelled packet (GRE, VXLAN, Geneve, IP-in-IP)\n"
		"  --vlan        put the outermost VLAN id into the key\n"
		"  --symmetric   direction-independent key (both directions hash alike)\n");
	return out == stdout ? 0 : 2;
}

std::uint32_t hash_key(hash_kind kind, const pktpath_flow_key &k)
{
	switch (kind) {
	case hash_kind::toeplitz:
		return pktpath::toeplitz_hash()(k);
	case hash_kind::crc32c:
		return pktpath::crc32c_hash()(k);
	case hash_kind::fast:
		break;
	}
	return pktpath::fast_hash()(k);
}

void print_frame(const pktpath::capture::frame &f, const options &opt)
{
	pktpath_parse_result r;
	pktpath_parse(f.data, f.caplen, f.linktype, opt.parse_flags, &r);
	const pktpath_flow_key &k = r.key;
	const unsigned ipver = pktpath_key_ipver(&k);
	const bool keyed = pktpath_status_has_key(r.status);

	char src[pktpath::addr_text_max] = "-", dst[pktpath::addr_text_max] = "-";
	char proto[4] = "-", sport[6] = "-", dport[6] = "-", ver[2] = "-", hash[9] = "-";
	if (ipver) {
		pktpath::format_addr(k.src, ipver, src);
		pktpath::format_addr(k.dst, ipver, dst);
		std::snprintf(ver, sizeof(ver), "%u", ipver);
	}
	// The protocol is known once the IP header chain was walked to its end.
	if (keyed || r.l4_off != PKTPATH_NO_OFFSET)
		std::snprintf(proto, sizeof(proto), "%u", k.proto);
	if (k.flags & PKTPATH_KEY_PORTS) {
		std::snprintf(sport, sizeof(sport), "%u", k.sport);
		std::snprintf(dport, sizeof(dport), "%u", k.dport);
	}
	if (keyed)
		std::snprintf(hash, sizeof(hash), "%08x", hash_key(opt.hash, k));
	std::printf("%llu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<unsigned long long>(f.index),
		    pktpath_status_name(r.status), ver, proto, src, sport, dst, dport, hash);
}

} // namespace

int main(int argc, char **argv)
{
	options opt;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!std::strcmp(a, "--hash") && i + 1 < argc) {
			const char *v = argv[++i];
			if (!std::strcmp(v, "toeplitz"))
				opt.hash = hash_kind::toeplitz;
			else if (!std::strcmp(v, "crc32c"))
				opt.hash = hash_kind::crc32c;
			else if (!std::strcmp(v, "default"))
				opt.hash = hash_kind::fast;
			else {
				std::fprintf(stderr, "pktpath-flows: unknown hash '%s'\n", v);
				return usage(stderr);
			}
		} else if (!std::strcmp(a, "--inner")) {
			opt.parse_flags |= PKTPATH_PARSE_INNER;
		} else if (!std::strcmp(a, "--vlan")) {
			opt.parse_flags |= PKTPATH_PARSE_VLAN;
		} else if (!std::strcmp(a, "--symmetric")) {
			opt.parse_flags |= PKTPATH_PARSE_SYMMETRIC;
		} else if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
			return usage(stdout);
		} else if (!std::strcmp(a, "--version")) {
			std::printf("pktpath-flows %s\n", PKTPATH_VERSION_STRING);
			return 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			std::fprintf(stderr, "pktpath-flows: unknown option '%s'\n", a);
			return usage(stderr);
		} else {
			opt.files.push_back(a);
		}
	}
	if (opt.files.empty())
		return usage(stderr);

	int rc = 0;
	for (const char *path : opt.files) {
		if (opt.files.size() > 1)
			std::printf("# %s\n", path);
		pktpath::capture::reader_options ro;
		ro.guard_truncation = true; // a file cut while read ends with an error, not SIGBUS
		pktpath::capture::input rd(ro);
		pktpath::capture::frame f;
		if (rd.open(path)) {
			while (rd.next(f))
				print_frame(f, opt);
		}
		if (rd.failed()) {
			std::fflush(stdout);
			std::fprintf(stderr, "pktpath-flows: %s: %s\n", path, rd.err().message);
			rc = 1;
		}
	}
	return rc;
}
