// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-replay's command line: the options, their usage text and the one
// parser, in a header of their own so that the fuzz target
// (tests/fuzz/fuzz_replay_cli.cpp) parses exactly what the tool parses.
// The tool's, not the library's: nothing here is installed.
#ifndef PKTPATH_EXAMPLES_REPLAY_OPTIONS_HPP
#define PKTPATH_EXAMPLES_REPLAY_OPTIONS_HPP

#include <pktpath/replay/filter.hpp>
#include <pktpath/replay/model.hpp>
#include <pktpath/replay/timeline.hpp>
#include <pktpath/version.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace pktpath_replay_cli {

using namespace pktpath::replay;

enum class out_format { text, json, csv };

struct options {
	bool live = false;
	knobs k;
	bool cost_set = false, poll_cost_set = false;
	timing tm;
	bool timing_set = false;
	unsigned parse_flags = 0;
	bool key_vlan = false;
	flow_filter filter;
	out_format fmt = out_format::text;
	std::size_t top = 10;
	std::uint32_t flows = 0; // table capacity; 0: from the captures' size
	const char *prom = nullptr;
	const char *dump = nullptr;
	int progress = -1; // -1: when stderr is a terminal
	bool busy_poll = false;
	std::vector<std::string> files;
};

inline const char usage_text[] =
	"usage: pktpath-replay [options] CAPTURE...\n"
	"Replays pcap/pcapng captures through a modelled Linux receive path and reports, per flow and\n"
	"per stage (wire, rx_ring, napi_poll, backlog, l3, l4, deliver | unclassified), what arrived,\n"
	"what was dropped, where and why.  CAPTURE - is standard input (tcpdump -w - | pktpath-replay -).\n"
	"\n"
	"mode\n"
	"  --mode sim|live      sim: deterministic, virtual clock (default); live: real threads\n"
	"model (defaults: Linux's)\n"
	"  --ring N             RX ring descriptors, a power of two (512)\n"
	"  --weight N           NAPI weight / dev_weight (64)\n"
	"  --budget N           net.core.netdev_budget (300)\n"
	"  --time-limit US      net.core.netdev_budget_usecs (2000)\n"
	"  --max-backlog N      net.core.netdev_max_backlog (1000)\n"
	"  --cpus N             CPUs; the NIC IRQ on CPU 0, RPS over all of them (2)\n"
	"  --poll-cost NS       driver poll cost per frame on CPU 0 (200; live: 0)\n"
	"  --cost NS            stack cost per frame, backlog to socket (800; live: 0)\n"
	"timing\n"
	"  --speed Nx           capture timestamps divided by N (1x); 'max': no pacing (live only, its default)\n"
	"  --rate R             fixed rate instead: 1Mpps, 250kpps, 100000 (pps) or 10Gbps (line rate)\n"
	"flow keys\n"
	"  --vlan-key           outer VLAN id in the flow key     --inner      innermost tunnelled packet's key\n"
	"  --symmetric          both directions as one flow\n"
	"filter (all must hold; frames are still replayed, only matching ones are counted)\n"
	"  --proto P  --host A[/LEN]  --src A[/LEN]  --dst A[/LEN]  --port N  --sport N  --dport N  --vlan ID\n"
	"output\n"
	"  --json | --csv       report format on stdout (default: human)\n"
	"  --top N|all          flows listed (10)\n"
	"  --prom FILE          Prometheus textfile, written atomically (temporary name + rename)\n"
	"  --dump-drops FILE    dropped frames to a pcap\n"
	"  --flows N            flow table slots (default: from the captures' size, 1024 to 262144; streams 262144)\n"
	"  --progress | --no-progress   progress bar on stderr (default: when stderr is a terminal)\n"
	"  --busy-poll          live: idle pollers spin instead of sleeping\n"
	"exit status: 0 ok, 1 a capture could not be read to the end, 2 usage, 3 an output could not be written\n";

// A usage message from `tool`; returns the exit status 2.
inline int usage_error_of(const char *tool, const char *fmt, const char *arg)
{
	std::fprintf(stderr, "%s: ", tool);
	std::fprintf(stderr, fmt, arg);
	std::fprintf(stderr, "\n(%s --help for the options)\n", tool);
	return 2;
}

inline int usage_error(const char *fmt, const char *arg)
{
	return usage_error_of("pktpath-replay", fmt, arg);
}

inline bool parse_u64(const char *s, std::uint64_t max, std::uint64_t &out)
{
	char *end = nullptr;
	if (*s == '\0' || *s == '-')
		return false;
	errno = 0;
	const unsigned long long v = std::strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > max)
		return false;
	out = v;
	return true;
}

// The options pktpath-replay shares with pktpath-live (examples/live.cpp):
// flow keys, the flow filter, the report's format and length, the
// Prometheus file, the table size; Opts has members of the same names.
// 1 when `a` (with its value, taken by value()) was one of them, 0 when it
// is not, 2 after a usage message.
template <class Opts, class Value>
int parse_shared_option(const char *tool, const std::string &a, Value &&value, Opts &o)
{
	std::uint64_t n = 0;
	if (a == "--vlan-key") {
		o.key_vlan = true;
	} else if (a == "--inner") {
		o.parse_flags |= PKTPATH_PARSE_INNER;
	} else if (a == "--symmetric") {
		o.parse_flags |= PKTPATH_PARSE_SYMMETRIC;
	} else if (a == "--proto" || a == "--host" || a == "--src" || a == "--dst" || a == "--port" || a == "--sport" ||
		   a == "--dport" || a == "--vlan") {
		const char *v = value();
		char why[128];
		if (v == nullptr)
			return usage_error_of(tool, "%s needs a value", a.c_str());
		if (!o.filter.set(a.c_str() + 2, v, why, sizeof why))
			return usage_error_of(tool, "%s", why);
	} else if (a == "--json" || a == "--csv") {
		if (o.fmt != out_format::text)
			return usage_error_of(tool, "%s: one of --json and --csv", a.c_str());
		o.fmt = a == "--json" ? out_format::json : out_format::csv;
	} else if (a == "--top") {
		const char *v = value();
		if (v != nullptr && std::strcmp(v, "all") == 0)
			o.top = static_cast<std::size_t>(-1);
		else if (v == nullptr || !parse_u64(v, 1u << 30, n))
			return usage_error_of(tool, "--top: a number or all, not '%s'", v ? v : "");
		else
			o.top = static_cast<std::size_t>(n);
	} else if (a == "--prom") {
		const char *v = value();
		if (v == nullptr)
			return usage_error_of(tool, "%s needs a file name", a.c_str());
		o.prom = v;
	} else if (a == "--flows") {
		const char *v = value();
		if (v == nullptr || !parse_u64(v, 1u << 28, n) || n < 16)
			return usage_error_of(tool, "%s: 16 to 268435456", a.c_str());
		o.flows = static_cast<std::uint32_t>(n);
	} else {
		return 0;
	}
	return 1;
}

// -1 when the options are usable; else the exit status: 0 after --help or
// --version, 2 after a usage message.
inline int parse_options(int argc, char **argv, options &o)
{
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
		auto number = [&](std::uint64_t max, std::uint64_t &out) {
			const char *v = value();
			return v != nullptr && parse_u64(v, max, out);
		};
		std::uint64_t n = 0;
		if (a == "-h" || a == "--help") {
			std::fputs(usage_text, stdout);
			return 0;
		} else if (a == "--version") {
			std::printf("pktpath-replay %s\n", PKTPATH_VERSION_STRING);
			return 0;
		} else if (a == "--mode") {
			const char *v = value();
			if (v == nullptr || (std::strcmp(v, "sim") != 0 && std::strcmp(v, "live") != 0))
				return usage_error("--mode: sim or live, not '%s'", v ? v : "");
			o.live = std::strcmp(v, "live") == 0;
		} else if (a == "--ring") {
			if (!number(1u << 24, n))
				return usage_error("%s: a number", a.c_str());
			o.k.ring = static_cast<std::uint32_t>(n);
		} else if (a == "--weight" || a == "--budget") {
			if (!number(1u << 24, n))
				return usage_error("%s: a number", a.c_str());
			(a == "--weight" ? o.k.weight : o.k.budget) = static_cast<int>(n);
		} else if (a == "--time-limit") {
			if (!number(10000000, n))
				return usage_error("%s: microseconds", a.c_str());
			o.k.time_limit_us = static_cast<std::uint32_t>(n);
		} else if (a == "--max-backlog") {
			if (!number(1u << 24, n))
				return usage_error("%s: a number", a.c_str());
			o.k.max_backlog = static_cast<std::uint32_t>(n);
		} else if (a == "--cpus") {
			if (!number(64, n))
				return usage_error("%s: 1 to 64", a.c_str());
			o.k.cpus = static_cast<std::uint32_t>(n);
		} else if (a == "--poll-cost" || a == "--cost") {
			if (!number(1000000000, n))
				return usage_error("%s: nanoseconds per frame", a.c_str());
			(a == "--cost" ? o.k.cost_ns : o.k.poll_cost_ns) = n;
			(a == "--cost" ? o.cost_set : o.poll_cost_set) = true;
		} else if (a == "--speed") {
			const char *v = value();
			if (v == nullptr || !o.tm.parse_speed(v))
				return usage_error("--speed: a factor such as 2x or 0.5x, or max; not '%s'",
						   v ? v : "");
			o.timing_set = true;
		} else if (a == "--rate") {
			const char *v = value();
			if (v == nullptr || !o.tm.parse_rate(v))
				return usage_error("--rate: such as 1Mpps, 250kpps, 100000 or 10Gbps; not '%s'",
						   v ? v : "");
			o.timing_set = true;
		} else if (const int shared = parse_shared_option("pktpath-replay", a, value, o); shared == 2) {
			return 2;
		} else if (shared == 1) {
			continue;
		} else if (a == "--dump-drops") {
			const char *v = value();
			if (v == nullptr)
				return usage_error("%s needs a file name", a.c_str());
			o.dump = v;
		} else if (a == "--progress" || a == "--no-progress") {
			o.progress = a == "--progress";
		} else if (a == "--busy-poll") {
			o.busy_poll = true;
		} else if (a.size() > 1 && a[0] == '-') {
			return usage_error("unknown option %s", a.c_str());
		} else {
			o.files.push_back(a);
		}
	}
	if (o.files.empty())
		return usage_error("%s", "no capture given");
	if (o.live) {
		// Live: the machine's own cost is the cost; costs given add busy work.
		if (!o.cost_set)
			o.k.cost_ns = 0;
		if (!o.poll_cost_set)
			o.k.poll_cost_ns = 0;
		if (!o.timing_set)
			o.tm.k = timing::kind::asap;
	} else if (o.tm.k == timing::kind::asap) {
		return usage_error("%s", "--speed max needs --mode live: the simulation needs arrival times");
	}
	if (const char *why = o.k.check())
		return usage_error("%s", why);
	return -1;
}

} // namespace pktpath_replay_cli

#endif // PKTPATH_EXAMPLES_REPLAY_OPTIONS_HPP
