// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-kstat: reads what the pktpath kernel module (examples/kernel/)
// counted, per flow and per stage of the receive path, and the frames the
// kernel freed, by drop reason, and prints it as pktpath-replay prints a
// replay: a report, the funnel, JSON ("pktpath-kstat/1"), CSV or a
// Prometheus textfile; --interval shows what each interval added;
// --dump-drops drains the module's drop samples into a pcap or pcapng file.
//
//   pktpath-kstat [options]
//
// Input: --dir DIR (default /proc/pktpath: its image, drops and status
// files, as the module exports them, or copies of them), or --image FILE
// alone (a table image without drops or probe status).  Exit status: 0 ok;
// 1 an input is missing, unreadable, corrupt or not the module's; 2 bad
// usage; 3 an output could not be written.
#include <pktpath/capture/writer.hpp>
#include <pktpath/kernel/abi.h>
#include <pktpath/kernel/drop_sample.h>
#include <pktpath/replay/report.hpp>
#include <pktpath/table/export.hpp>
#include <pktpath/table/image_reader.hpp>
#include <pktpath/ring/ring.h>
#include <pktpath/table/snapshot.hpp>
#include <pktpath/version.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using pktpath::replay::detail::appendf;
using pktpath::replay::detail::json_str;

enum class out_format { text, json, csv };

struct options {
	std::string dir = "/proc/" PKTPATH_KSHIM_DIR;
	std::string image; // --image: this file alone
	out_format fmt = out_format::text;
	std::size_t top = 10;
	const char *prom = nullptr;
	double interval = 0; // seconds; 0: one report
	unsigned long count = 0;
	const char *dump = nullptr; // --dump-drops FILE
	double duration = 0;        // --duration: seconds of draining; 0: what is there, then exit
};

const char usage_text[] =
	"usage: pktpath-kstat [options]\n"
	"Reports what the pktpath kernel module counted: per flow and per stage of the receive path,\n"
	"the kernel's drops by reason (with where they happened), and what the probes missed.\n"
	"\n"
	"input\n"
	"  --dir DIR            the module's files (image, drops, status) or copies of them (/proc/pktpath)\n"
	"  --image FILE         a table image alone (no drops, no probe status)\n"
	"output\n"
	"  --json | --csv       report format on stdout (default: human)\n"
	"  --top N|all          flows listed (10)\n"
	"  --prom FILE          Prometheus textfile, written atomically (temporary name + rename)\n"
	"  --interval S         every S seconds, what the interval added (a live view; Ctrl-C ends it)\n"
	"  --count N            with --interval: stop after N intervals\n"
	"drop samples\n"
	"  --dump-drops FILE    drain the module's drop samples (DIR/samples) into FILE: pcapng with a\n"
	"                       comment per packet when FILE ends in .pcapng, else pcap; prints what it wrote\n"
	"  --duration S         with --dump-drops: keep draining for S seconds (default: drain what is there)\n"
	"exit status: 0 ok, 1 an input is missing, corrupt or not the module's, 2 usage, 3 an output could not be "
	"written\n";

int usage_error(const char *fmt, const char *arg)
{
	std::fprintf(stderr, "pktpath-kstat: ");
	std::fprintf(stderr, fmt, arg);
	std::fprintf(stderr, "\n(pktpath-kstat --help for the options)\n");
	return 2;
}

int parse_options(int argc, char **argv, options &o)
{
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
		if (a == "-h" || a == "--help") {
			std::fputs(usage_text, stdout);
			std::exit(0);
		} else if (a == "--version") {
			std::printf("pktpath-kstat %s\n", PKTPATH_VERSION_STRING);
			std::exit(0);
		} else if (a == "--dir" || a == "--image") {
			const char *v = value();
			if (!v)
				return usage_error("%s: a path", a.c_str());
			(a == "--dir" ? o.dir : o.image) = v;
		} else if (a == "--json" || a == "--csv") {
			o.fmt = a == "--json" ? out_format::json : out_format::csv;
		} else if (a == "--top") {
			const char *v = value();
			char *end = nullptr;
			if (v && std::strcmp(v, "all") == 0)
				o.top = static_cast<std::size_t>(-1);
			else if (v && (o.top = std::strtoul(v, &end, 10), *v && *end == '\0'))
				;
			else
				return usage_error("--top: a number or 'all', not '%s'", v ? v : "");
		} else if (a == "--prom") {
			if (!(o.prom = value()))
				return usage_error("%s: a file", a.c_str());
		} else if (a == "--dump-drops") {
			if (!(o.dump = value()))
				return usage_error("%s: a file", a.c_str());
		} else if (a == "--interval" || a == "--count" || a == "--duration") {
			const char *v = value();
			char *end = nullptr;
			const double d = v ? std::strtod(v, &end) : 0;
			if (!v || *end != '\0' || !(d > 0) || d > 86400)
				return usage_error("%s: a positive number", a.c_str());
			if (a == "--interval")
				o.interval = d;
			else if (a == "--duration")
				o.duration = d;
			else
				o.count = static_cast<unsigned long>(d);
		} else {
			return usage_error("unknown option '%s'", a.c_str());
		}
	}
	if (o.count && o.interval <= 0)
		return usage_error("%s needs --interval", "--count");
	if (o.duration > 0 && !o.dump)
		return usage_error("%s needs --dump-drops", "--duration");
	if (o.dump && (o.interval > 0 || !o.image.empty()))
		return usage_error("%s takes the module's directory alone (no --interval, no --image)", "--dump-drops");
	return 0;
}

// --------------------------------------------------------------- status

// "key=value" fields of a status record, and the words before them.
struct record {
	std::vector<std::string> words;
	std::map<std::string, std::string> fields;
	std::string rest; // the line after its first three words (a location's symbol)

	std::uint64_t num(const char *k) const
	{
		const auto it = fields.find(k);
		return it == fields.end() ? 0 : std::strtoull(it->second.c_str(), nullptr, 10);
	}
	const std::string &word(std::size_t i) const
	{
		static const std::string none = "-";
		return i < words.size() ? words[i] : none;
	}
};

struct probe_status {
	std::string stage, spec, kind, symbol, state, why;
	int err = 0;
	std::uint64_t hits = 0, nmissed = 0;
};

struct skip_counts {
	std::string name;
	bool on = true;
	std::uint64_t hits = 0, counted = 0, overflow = 0, copy_failed = 0, disabled = 0, filtered = 0, other_dev = 0;
	std::uint64_t ns = 0; // time in the handlers (module parameter timing=1), else 0
};

struct location {
	std::string where;
	std::uint64_t frames;
};

// The status file's samples record (abi.h); present only when the module keeps samples.
struct sample_ring_status {
	bool present = false;
	std::uint64_t capacity = 0, snap = 0, written = 0, drops = 0;
};

// What the status file says (abi.h), empty for --image.
struct module_status {
	bool present = false;
	std::string set, filter = "-";
	int enabled = 1, ifindex = 0;
	std::vector<probe_status> probes;
	std::vector<skip_counts> stages, frees;
	std::map<std::uint32_t, std::string> reasons;
	std::map<std::uint32_t, std::vector<location>> locations;
	sample_ring_status samples;

	std::string reason_name(std::uint32_t code) const
	{
		if (code == PKTPATH_KDROP_NO_REASON)
			return "none";
		const auto it = reasons.find(code);
		return it != reasons.end() ? it->second : "reason_" + std::to_string(code);
	}
};

skip_counts skips_of(const record &r, const std::string &name)
{
	skip_counts s;
	s.name = name;
	s.hits = r.num("hits");
	s.counted = r.num("counted");
	s.overflow = r.num("overflow");
	s.copy_failed = r.num("copy_failed");
	s.disabled = r.num("disabled");
	s.filtered = r.num("filtered");
	s.other_dev = r.num("other_dev");
	s.ns = r.num("ns");
	return s;
}

// False with a message in why when the file is not the module's status.
bool read_status(const std::string &path, module_status &st, std::string &why)
{
	std::FILE *f = std::fopen(path.c_str(), "r");
	if (!f) {
		why = path + ": " + std::strerror(errno);
		return false;
	}
	char line[1024];
	unsigned n = 0;
	while (std::fgets(line, sizeof line, f)) {
		std::string l(line);
		while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
			l.pop_back();
		record r;
		std::size_t at = 0;
		while (at < l.size()) {
			const std::size_t sp = std::min(l.find(' ', at), l.size());
			const std::string w = l.substr(at, sp - at);
			const std::size_t eq = w.find('=');
			if (eq != std::string::npos && !r.words.empty())
				r.fields[w.substr(0, eq)] = w.substr(eq + 1);
			else
				r.words.push_back(w);
			if (r.words.size() == 3 && r.rest.empty() && sp < l.size())
				r.rest = l.substr(sp + 1);
			at = sp + 1;
		}
		const std::string &type = r.word(0);
		if (n++ == 0) {
			if (type != "pktpath-kshim" || r.word(1) != std::to_string(PKTPATH_KSHIM_VERSION)) {
				why = path + ": not a pktpath module status file (version " +
				      std::to_string(PKTPATH_KSHIM_VERSION) + ")";
				std::fclose(f);
				return false;
			}
		} else if (type == "set") {
			st.set = r.word(1);
		} else if (type == "enabled") {
			st.enabled = std::atoi(r.word(1).c_str());
		} else if (type == "ifindex") {
			st.ifindex = std::atoi(r.word(1).c_str());
		} else if (type == "filter") {
			st.filter = l.size() > 7 ? l.substr(7) : "-";
		} else if (type == "stage") {
			skip_counts s = skips_of(r, r.word(2));
			s.on = r.word(3) == "on";
			st.stages.push_back(s);
		} else if (type == "free") {
			st.frees.push_back(skips_of(r, r.word(1)));
		} else if (type == "probe") {
			probe_status p;
			p.stage = r.word(2);
			p.spec = r.word(3);
			p.kind = r.word(4);
			p.symbol = r.word(5);
			p.state = r.word(6);
			p.err = std::atoi(r.word(7).c_str());
			p.hits = r.num("hits");
			p.nmissed = r.num("nmissed");
			p.why = r.fields.count("why") ? r.fields.at("why") : "-";
			st.probes.push_back(p);
		} else if (type == "samples") {
			st.samples.present = true;
			st.samples.capacity = r.num("capacity");
			st.samples.snap = r.num("snap");
			st.samples.written = r.num("written");
			st.samples.drops = r.num("drops");
		} else if (type == "reason") {
			st.reasons[static_cast<std::uint32_t>(std::strtoul(r.word(1).c_str(), nullptr, 10))] =
				r.word(2);
		} else if (type == "location") {
			st.locations[static_cast<std::uint32_t>(std::strtoul(r.word(1).c_str(), nullptr, 10))]
				.push_back(location{r.rest, std::strtoull(r.word(2).c_str(), nullptr, 10)});
		}
	}
	std::fclose(f);
	if (n == 0) {
		why = path + ": empty";
		return false;
	}
	st.present = true;
	return true;
}

// ----------------------------------------------------------------- input

struct sample {
	module_status status;
	pktpath::table_snapshot flows;
	pktpath::table_snapshot drops; // empty header for --image
	bool have_drops = false;
};

bool load_image(const std::string &path, pktpath::table_image &img, std::string &why)
{
	img = pktpath::table_image::from_file(path.c_str());
	if (!img.ok()) {
		why = path + ": " +
		      (img.error() == PKTPATH_TABLE_E_IO ? std::string(std::strerror(errno))
							 : std::string(img.error_text()));
		return false;
	}
	return true;
}

bool read_sample(const options &o, sample &s, std::string &why)
{
	pktpath::table_image img, drops;
	const std::string image = o.image.empty() ? o.dir + "/image" : o.image;
	if (!load_image(image, img, why))
		return false;
	if (img.view().key_format() != PKTPATH_TABLE_KEY_FLOW) {
		why = image + ": a table image, but not of flow keys (not the module's)";
		return false;
	}
	s.flows = pktpath::table_snapshot(img.view());
	if (!o.image.empty())
		return true;
	if (!load_image(o.dir + "/drops", drops, why))
		return false;
	const pktpath_table_header &h = drops.view().header();
	if (h.key_size != sizeof(pktpath_kdrop_key) || h.stage_count != PKTPATH_KDROP_STAGES ||
	    std::strcmp(h.stage_names[PKTPATH_KDROP_KFREE], "kfree_skb") != 0) {
		why = o.dir + "/drops: a table image, but not the module's drop table";
		return false;
	}
	s.drops = pktpath::table_snapshot(drops.view());
	s.have_drops = true;
	return read_status(o.dir + "/status", s.status, why);
}

// --------------------------------------------------------------- summary

struct reason_total {
	std::uint32_t code;
	std::uint64_t frames = 0, bytes = 0, flows = 0;
};

// One row of the drop table: a flow (or a parse status without one), a reason, frames.
struct flow_drop {
	pktpath_kdrop_key key;
	std::uint64_t frames, bytes;
	unsigned stage;
};

struct drop_summary {
	std::vector<reason_total> reasons; // most frames first
	std::vector<flow_drop> rows;       // most frames first
	std::uint64_t dropped = 0, consumed = 0, overflow = 0;
};

drop_summary summarize_drops(const sample &s)
{
	drop_summary d;
	if (!s.have_drops)
		return d;
	std::map<std::uint32_t, reason_total> by;
	for (std::size_t i = 0; i < s.drops.flow_count(); i++) {
		const pktpath_kdrop_key k = s.drops.key_as<pktpath_kdrop_key>(i);
		for (unsigned st = 0; st < PKTPATH_KDROP_STAGES; st++) {
			const pktpath_counter &c = s.drops.at(i, st);
			if (!c.packets)
				continue;
			d.rows.push_back(flow_drop{k, c.packets, c.bytes, st});
			if (st == PKTPATH_KDROP_CONSUME) {
				d.consumed += c.packets;
				continue;
			}
			reason_total &t = by[k.reason];
			t.code = k.reason;
			t.frames += c.packets;
			t.bytes += c.bytes;
			t.flows++;
			d.dropped += c.packets;
		}
	}
	d.overflow = s.drops.overflow(PKTPATH_KDROP_KFREE).packets + s.drops.overflow(PKTPATH_KDROP_CONSUME).packets;
	for (const auto &r : by)
		d.reasons.push_back(r.second);
	std::stable_sort(d.reasons.begin(), d.reasons.end(),
			 [](const reason_total &a, const reason_total &b) { return a.frames > b.frames; });
	std::stable_sort(d.rows.begin(), d.rows.end(),
			 [](const flow_drop &a, const flow_drop &b) { return a.frames > b.frames; });
	return d;
}

// The flow table's index of each key, to print a drop row's flow as the table prints it.
std::map<std::string, std::size_t> flow_index(const pktpath::table_snapshot &flows)
{
	std::map<std::string, std::size_t> idx;
	for (std::size_t i = 0; i < flows.flow_count(); i++)
		idx.emplace(std::string(reinterpret_cast<const char *>(flows.key(i)), flows.key_size()), i);
	return idx;
}

std::string drop_flow_text(const sample &s, const std::map<std::string, std::size_t> &idx, const flow_drop &r)
{
	if (!pktpath_status_has_key(r.key.status))
		return std::string("unclassified ") + pktpath_status_name(r.key.status);
	const auto it = idx.find(std::string(reinterpret_cast<const char *>(&r.key.flow), sizeof(r.key.flow)));
	return it != idx.end() ? pktpath::flow_text(s.flows, it->second) : "(a flow the flow table does not hold)";
}

const char *step_reason(unsigned)
{
	return "not counted at a later stage (see the drops by reason)";
}

std::uint64_t total_missed(const module_status &st)
{
	std::uint64_t n = 0;
	for (const probe_status &p : st.probes)
		n += p.nmissed;
	return n;
}

// ---------------------------------------------------------------- output

std::string report_text(const options &o, const sample &s, const char *title)
{
	std::string t;
	const module_status &st = s.status;
	appendf(t, "pktpath-kstat %s, %s%s\n", PKTPATH_VERSION_STRING,
		o.image.empty() ? o.dir.c_str() : o.image.c_str(), title);
	if (st.present) {
		appendf(t, "  module   set %s, counting %s, ifindex %d%s, filter %s\n", st.set.c_str(),
			st.enabled ? "on" : "OFF", st.ifindex, st.ifindex ? "" : " (every device)", st.filter.c_str());
		if (st.samples.present)
			appendf(t,
				"  samples  ring of %llu, %llu bytes a frame: %llu written, %llu dropped (ring full)%s\n",
				static_cast<unsigned long long>(st.samples.capacity),
				static_cast<unsigned long long>(st.samples.snap),
				static_cast<unsigned long long>(st.samples.written),
				static_cast<unsigned long long>(st.samples.drops),
				st.samples.drops ? ": drain it more often (--dump-drops) or raise sample_capacity"
						 : "");
		t += "\nprobes     stage              point                                      attached to              "
		     "            hits    nmissed\n";
		for (const probe_status &p : st.probes) {
			std::string where = p.state == "attached"
						    ? p.kind + " " + p.symbol
						    : "FAILED " + p.why + " (" + std::to_string(p.err) + ")";
			appendf(t, "           %-18s %-42s %-32s %10llu %10llu\n", p.stage.c_str(), p.spec.c_str(),
				where.c_str(), static_cast<unsigned long long>(p.hits),
				static_cast<unsigned long long>(p.nmissed));
		}
		t += "not counted (frames)     counted   overflow copy_failed   disabled   filtered  other_dev\n";
		auto skip_line = [&](const skip_counts &k) {
			appendf(t, "  %-20s %11llu %10llu %11llu %10llu %10llu %10llu%s\n", k.name.c_str(),
				static_cast<unsigned long long>(k.counted), static_cast<unsigned long long>(k.overflow),
				static_cast<unsigned long long>(k.copy_failed),
				static_cast<unsigned long long>(k.disabled),
				static_cast<unsigned long long>(k.filtered),
				static_cast<unsigned long long>(k.other_dev), k.on ? "" : "  (no probe)");
		};
		for (const skip_counts &k : st.stages)
			skip_line(k);
		for (const skip_counts &k : st.frees)
			skip_line(k);
	}
	const drop_summary d = summarize_drops(s);
	const std::vector<pktpath::replay::drop_site> steps = pktpath::replay::drop_sites(s.flows, step_reason);
	const pktpath_counter wire = s.flows.total(0);
	appendf(t, "\ntotals     %llu frames, %sB, %zu flows at %s", static_cast<unsigned long long>(wire.packets),
		pktpath::replay::detail::si(static_cast<double>(wire.bytes)).c_str(), s.flows.flow_count(),
		s.flows.stage_name(0));
	if (st.present)
		appendf(t, "; probes missed %llu", static_cast<unsigned long long>(total_missed(st)));
	t += '\n';
	for (const pktpath::replay::drop_site &ds : steps)
		if (ds.frames)
			appendf(t, "funnel     %llu frames of %zu flows reached %s but not %s\n",
				static_cast<unsigned long long>(ds.frames), ds.flows, s.flows.stage_name(ds.from),
				ds.to.c_str());
	if (s.have_drops) {
		appendf(t, "freed      %llu dropped with a reason, %llu consumed\n",
			static_cast<unsigned long long>(d.dropped), static_cast<unsigned long long>(d.consumed));
		for (const reason_total &r : d.reasons) {
			appendf(t, "  %-24s %10llu frames of %llu flow%s", st.reason_name(r.code).c_str(),
				static_cast<unsigned long long>(r.frames), static_cast<unsigned long long>(r.flows),
				r.flows == 1 ? "" : "s");
			const auto it = st.locations.find(r.code);
			if (it != st.locations.end()) {
				const char *sep = " at ";
				for (const location &l : it->second) {
					appendf(t, "%s%s (%llu)", sep, l.where.c_str(),
						static_cast<unsigned long long>(l.frames));
					sep = ", ";
				}
			}
			t += '\n';
		}
		if (d.overflow)
			appendf(t,
				"warning    the drop table was full: %llu frames in its overflow row (raise drop_capacity)\n",
				static_cast<unsigned long long>(d.overflow));
	}
	if (s.flows.overflow(0).packets)
		appendf(t, "warning    the flow table was full: %llu frames in its overflow row (raise capacity)\n",
			static_cast<unsigned long long>(s.flows.overflow(0).packets));
	appendf(t, "\ntop %zu flows by frames at %s; ", std::min(o.top, s.flows.flow_count()), s.flows.stage_name(0));
	pktpath::export_options eo;
	eo.top_n = o.top;
	t += pktpath::export_text(s.flows, eo);
	if (s.have_drops && !d.rows.empty()) {
		const std::map<std::string, std::size_t> idx = flow_index(s.flows);
		appendf(t, "\ntop %zu frees by frames: freed by      reason                        frames  flow\n",
			std::min(o.top, d.rows.size()));
		std::size_t n = 0;
		for (const flow_drop &r : d.rows) {
			if (n++ == o.top)
				break;
			appendf(t, "                          %-14s %-24s %11llu  %s\n", s.drops.stage_name(r.stage),
				st.reason_name(r.key.reason).c_str(), static_cast<unsigned long long>(r.frames),
				drop_flow_text(s, idx, r).c_str());
		}
	}
	return t;
}

std::string report_json(const options &o, const sample &s)
{
	const module_status &st = s.status;
	const drop_summary d = summarize_drops(s);
	const pktpath_counter wire = s.flows.total(0);
	std::string j = "{\"schema\":\"pktpath-kstat/1\",\"version\":\"" PKTPATH_VERSION_STRING "\",\"source\":";
	j += json_str(o.image.empty() ? o.dir : o.image);
	j += ",\"module\":";
	if (st.present) {
		j += "{\"set\":" + json_str(st.set);
		appendf(j, ",\"enabled\":%s,\"ifindex\":%d,\"filter\":", st.enabled ? "true" : "false", st.ifindex);
		j += st.filter == "-" ? std::string("null") : json_str(st.filter);
		j += ",\"probes\":[";
		for (std::size_t i = 0; i < st.probes.size(); i++) {
			const probe_status &p = st.probes[i];
			j += i ? ",{\"stage\":" : "{\"stage\":";
			j += json_str(p.stage) + ",\"spec\":" + json_str(p.spec) + ",\"state\":" + json_str(p.state) +
			     ",\"kind\":" + (p.kind == "-" ? std::string("null") : json_str(p.kind)) +
			     ",\"symbol\":" + (p.symbol == "-" ? std::string("null") : json_str(p.symbol));
			appendf(j, ",\"error\":%d,\"why\":", p.err);
			j += json_str(p.why);
			appendf(j, ",\"hits\":%llu,\"nmissed\":%llu}", static_cast<unsigned long long>(p.hits),
				static_cast<unsigned long long>(p.nmissed));
		}
		j += "],\"not_counted\":[";
		bool first = true;
		auto skips = [&](const skip_counts &k, const char *kind) {
			j += first ? "{\"name\":" : ",{\"name\":";
			first = false;
			j += json_str(k.name);
			appendf(j,
				",\"kind\":\"%s\",\"probed\":%s,\"hits\":%llu,\"counted\":%llu,\"overflow\":%llu,"
				"\"copy_failed\":%llu,\"disabled\":%llu,\"filtered\":%llu,\"other_dev\":%llu,\"ns\":%llu}",
				kind, k.on ? "true" : "false", static_cast<unsigned long long>(k.hits),
				static_cast<unsigned long long>(k.counted), static_cast<unsigned long long>(k.overflow),
				static_cast<unsigned long long>(k.copy_failed),
				static_cast<unsigned long long>(k.disabled),
				static_cast<unsigned long long>(k.filtered),
				static_cast<unsigned long long>(k.other_dev), static_cast<unsigned long long>(k.ns));
		};
		for (const skip_counts &k : st.stages)
			skips(k, "stage");
		for (const skip_counts &k : st.frees)
			skips(k, "free");
		appendf(j, "],\"nmissed\":%llu,\"samples\":", static_cast<unsigned long long>(total_missed(st)));
		if (st.samples.present)
			appendf(j, "{\"capacity\":%llu,\"snap\":%llu,\"written\":%llu,\"drops\":%llu}}",
				static_cast<unsigned long long>(st.samples.capacity),
				static_cast<unsigned long long>(st.samples.snap),
				static_cast<unsigned long long>(st.samples.written),
				static_cast<unsigned long long>(st.samples.drops));
		else
			j += "null}";
	} else {
		j += "null";
	}
	appendf(j,
		",\"totals\":{\"frames\":%llu,\"bytes\":%llu,\"flows\":%zu,\"dropped\":%llu,\"consumed\":%llu,"
		"\"overflow\":%llu,\"drop_overflow\":%llu}",
		static_cast<unsigned long long>(wire.packets), static_cast<unsigned long long>(wire.bytes),
		s.flows.flow_count(), static_cast<unsigned long long>(d.dropped),
		static_cast<unsigned long long>(d.consumed),
		static_cast<unsigned long long>(s.flows.overflow(0).packets),
		static_cast<unsigned long long>(d.overflow));
	j += ",\"reasons\":[";
	for (std::size_t i = 0; i < d.reasons.size(); i++) {
		const reason_total &r = d.reasons[i];
		j += i ? ",{\"reason\":" : "{\"reason\":";
		j += json_str(st.reason_name(r.code));
		appendf(j, ",\"code\":%u,\"frames\":%llu,\"bytes\":%llu,\"flows\":%llu,\"locations\":[", r.code,
			static_cast<unsigned long long>(r.frames), static_cast<unsigned long long>(r.bytes),
			static_cast<unsigned long long>(r.flows));
		const auto it = st.locations.find(r.code);
		if (it != st.locations.end())
			for (std::size_t k = 0; k < it->second.size(); k++) {
				j += k ? ",{\"where\":" : "{\"where\":";
				j += json_str(it->second[k].where);
				appendf(j, ",\"frames\":%llu}", static_cast<unsigned long long>(it->second[k].frames));
			}
		j += "]}";
	}
	j += "],\"frees\":[";
	const std::map<std::string, std::size_t> idx = flow_index(s.flows);
	for (std::size_t i = 0; i < d.rows.size(); i++) {
		const flow_drop &r = d.rows[i];
		j += i ? ",{\"flow\":" : "{\"flow\":";
		j += json_str(drop_flow_text(s, idx, r)) + ",\"by\":" + json_str(s.drops.stage_name(r.stage)) +
		     ",\"reason\":" + json_str(st.reason_name(r.key.reason));
		appendf(j, ",\"code\":%u,\"status\":\"%s\",\"frames\":%llu,\"bytes\":%llu}", r.key.reason,
			pktpath_status_name(r.key.status), static_cast<unsigned long long>(r.frames),
			static_cast<unsigned long long>(r.bytes));
	}
	j += "],\"funnel_drops\":[";
	const std::vector<pktpath::replay::drop_site> steps = pktpath::replay::drop_sites(s.flows, step_reason);
	for (std::size_t i = 0; i < steps.size(); i++) {
		j += i ? ",{\"from\":" : "{\"from\":";
		j += json_str(s.flows.stage_name(steps[i].from)) + ",\"to\":" + json_str(steps[i].to);
		appendf(j, ",\"frames\":%llu,\"bytes\":%llu,\"flows\":%zu}",
			static_cast<unsigned long long>(steps[i].frames),
			static_cast<unsigned long long>(steps[i].bytes), steps[i].flows);
	}
	pktpath::export_options eo;
	eo.top_n = o.top;
	std::string t = pktpath::export_json(s.flows, eo);
	while (!t.empty() && t.back() == '\n')
		t.pop_back();
	j += "],\"table\":" + t + "}\n";
	return j;
}

// The table's long-format CSV, then the frees: kind=free, status=the reason, stage=kfree_skb|consume_skb.
std::string report_csv(const options &o, const sample &s)
{
	pktpath::export_options eo;
	eo.top_n = o.top;
	std::string c = pktpath::export_csv(s.flows, eo);
	const drop_summary d = summarize_drops(s);
	const std::map<std::string, std::size_t> idx = flow_index(s.flows);
	for (const flow_drop &r : d.rows) {
		c += "free,,";
		pktpath::detail::csv_field(c, drop_flow_text(s, idx, r));
		c += ',' + s.status.reason_name(r.key.reason) + ',' + s.drops.stage_name(r.stage) + ',' +
		     std::to_string(r.frames) + ',' + std::to_string(r.bytes) + '\n';
	}
	return c;
}

std::string report_prometheus(const options &o, const sample &s)
{
	pktpath::export_options eo;
	eo.top_n = o.top;
	eo.prefix = "pktpath_kstat";
	pktpath::prometheus_writer w(eo.prefix);
	pktpath::write_prometheus(w, s.flows, eo);
	const drop_summary d = summarize_drops(s);
	w.family("_dropped_frames_total", "counter", "Frames the kernel freed with a drop reason, by reason.");
	for (const reason_total &r : d.reasons)
		w.sample("_dropped_frames_total", {{"reason", s.status.reason_name(r.code)}}, r.frames);
	w.family("_consumed_frames_total", "counter", "Frames the kernel freed without a drop reason (consume_skb).");
	w.sample("_consumed_frames_total", {}, d.consumed);
	w.family("_probe_missed_total", "counter", "Probe hits the kernel did not run the probe for (kprobe nmissed).");
	for (const probe_status &p : s.status.probes)
		w.sample("_probe_missed_total", {{"stage", p.stage}, {"point", p.spec}}, p.nmissed);
	w.family("_probe_attached", "gauge", "1 when the probe point is attached.");
	for (const probe_status &p : s.status.probes)
		w.sample("_probe_attached", {{"stage", p.stage}, {"point", p.spec}}, p.state == "attached" ? 1 : 0);
	if (s.status.samples.present) {
		w.family("_drop_samples_written_total", "counter", "Dropped frames kept in the sample ring.");
		w.sample("_drop_samples_written_total", {}, s.status.samples.written);
		w.family("_drop_samples_dropped_total", "counter",
			 "Dropped frames the sample ring had no room for (nobody drained it).");
		w.sample("_drop_samples_dropped_total", {}, s.status.samples.drops);
	}
	w.family("_not_counted_frames_total", "counter", "Frames a probe saw but did not count, by why.");
	for (const skip_counts &k : s.status.stages) {
		w.sample("_not_counted_frames_total", {{"stage", k.name}, {"why", "copy_failed"}}, k.copy_failed);
		w.sample("_not_counted_frames_total", {{"stage", k.name}, {"why", "disabled"}}, k.disabled);
		w.sample("_not_counted_frames_total", {{"stage", k.name}, {"why", "filtered"}}, k.filtered);
	}
	return w.take();
}

bool write_out(const std::string &t)
{
	return std::fwrite(t.data(), 1, t.size(), stdout) == t.size() && std::fflush(stdout) == 0;
}

std::string render(const options &o, const sample &s, const char *title)
{
	switch (o.fmt) {
	case out_format::json:
		return report_json(o, s);
	case out_format::csv:
		return report_csv(o, s);
	case out_format::text:
		break;
	}
	return report_text(o, s, title);
}

// What the interval added: counters since the previous sample; the status figures as they are now.
sample delta(const sample &now, const sample &then)
{
	sample d = now;
	d.flows = now.flows.since(then.flows);
	if (now.have_drops)
		d.drops = now.drops.since(then.drops);
	auto minus = [](std::vector<skip_counts> &a, const std::vector<skip_counts> &b) {
		for (std::size_t i = 0; i < a.size() && i < b.size(); i++) {
			a[i].hits -= std::min(a[i].hits, b[i].hits);
			a[i].counted -= std::min(a[i].counted, b[i].counted);
			a[i].overflow -= std::min(a[i].overflow, b[i].overflow);
			a[i].copy_failed -= std::min(a[i].copy_failed, b[i].copy_failed);
			a[i].disabled -= std::min(a[i].disabled, b[i].disabled);
			a[i].filtered -= std::min(a[i].filtered, b[i].filtered);
			a[i].other_dev -= std::min(a[i].other_dev, b[i].other_dev);
			a[i].ns -= std::min(a[i].ns, b[i].ns);
		}
	};
	minus(d.status.stages, then.status.stages);
	minus(d.status.frees, then.status.frees);
	for (std::size_t i = 0; i < d.status.probes.size() && i < then.status.probes.size(); i++) {
		d.status.probes[i].hits -= std::min(d.status.probes[i].hits, then.status.probes[i].hits);
		d.status.probes[i].nmissed -= std::min(d.status.probes[i].nmissed, then.status.probes[i].nmissed);
	}
	return d;
}

// ---------------------------------------------------------- drop samples

// The sample ring mapped shared: this process is its one consumer, and the consumer's index lives in the image.
class sample_ring {
public:
	sample_ring() = default;
	sample_ring(const sample_ring &) = delete;
	sample_ring &operator=(const sample_ring &) = delete;
	~sample_ring()
	{
		if (mem_ != MAP_FAILED)
			::munmap(mem_, size_);
	}

	bool open(const std::string &path, std::string &why)
	{
		const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
		struct stat sb;
		if (fd < 0 || ::fstat(fd, &sb) != 0) {
			why = path + ": " + std::strerror(errno) +
			      (errno == ENOENT ? " (a module without samples?)" : "");
			if (fd >= 0)
				::close(fd);
			return false;
		}
		size_ = static_cast<std::size_t>(sb.st_size);
		mem_ = size_ ? ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
		const int map_errno = errno;
		::close(fd);
		if (mem_ == MAP_FAILED) {
			why = path + ": mmap: " + (size_ ? std::strerror(map_errno) : "an empty file");
			return false;
		}
		const pktpath_ring_error e =
			pktpath_ring_attach(mem_, size_, 0, 8, PKTPATH_RING_SINGLE, PKTPATH_RING_SINGLE, &ring_);
		if (e != PKTPATH_RING_OK || ring_.elem_size < sizeof(pktpath_ksample)) {
			why = path + ": not a drop sample ring (ring error " + std::to_string(e) + ")";
			return false;
		}
		return true;
	}

	// Calls fn(header, bytes) for each sample there is, oldest first, and gives the slots back; how many.
	// At most a ring's worth a call: more means indices another writer of the mapping corrupted.
	template <class Fn>
	std::uint32_t drain(Fn &&fn)
	{
		std::uint32_t n = 0, first, k;
		while (n < ring_.capacity &&
		       (k = pktpath_ring_peek(&ring_, std::min(64u, ring_.capacity - n), &first)) != 0) {
			for (std::uint32_t i = 0; i < k; i++) {
				const auto *slot =
					static_cast<const std::uint8_t *>(pktpath_ring_slot(&ring_, first + i));
				pktpath_ksample h;
				std::memcpy(&h, slot, sizeof h);
				// The producer's word, bounded by what the slot holds.
				const std::uint32_t room = ring_.elem_size - static_cast<std::uint32_t>(sizeof h);
				h.cap_len = std::min(h.cap_len, room);
				fn(h, slot + sizeof h);
			}
			pktpath_ring_release(&ring_, k);
			n += k;
		}
		return n;
	}

	std::uint64_t drops() const { return pktpath_ring_drops(&ring_); }
	std::uint32_t capacity() const { return ring_.capacity; }

private:
	void *mem_ = MAP_FAILED;
	std::size_t size_ = 0;
	pktpath_ring ring_{};
};

bool ends_with(const std::string &s, const char *tail)
{
	const std::size_t n = std::strlen(tail);
	return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
}

// --dump-drops: the samples there are (or arriving for --duration seconds) into a capture.
int dump_drops(const options &o)
{
	module_status st;
	sample_ring ring;
	std::string why;
	if (!read_status(o.dir + "/status", st, why) || !ring.open(o.dir + "/samples", why)) {
		std::fprintf(stderr, "pktpath-kstat: %s\n", why.c_str());
		return 1;
	}
	const bool ng = ends_with(o.dump, ".pcapng");
	pktpath::capture::pcap_writer pcap;
	pktpath::capture::pcapng_writer pcapng;
	const std::uint32_t snap =
		st.samples.snap ? static_cast<std::uint32_t>(st.samples.snap) : PKTPATH_KSAMPLE_SNAP_MAX;
	const bool opened = ng ? pcapng.open(o.dump, PKTPATH_LINKTYPE_ETHERNET, snap)
			       : pcap.open(o.dump, PKTPATH_LINKTYPE_ETHERNET, snap);
	if (!opened) {
		std::fprintf(stderr, "pktpath-kstat: %s: %s\n", o.dump, (ng ? pcapng.err() : pcap.err()).message);
		return 3;
	}
	std::string comment;
	auto write = [&](const pktpath_ksample &h, const std::uint8_t *bytes) {
		if (!ng) {
			pcap.write(bytes, h.cap_len, h.wire_len, h.ts_ns);
			return;
		}
		comment = "stage=";
		comment += h.stage < st.stages.size() ? st.stages[h.stage].name : std::string("-");
		comment += " reason=" + st.reason_name(h.reason);
		appendf(comment, " segs=%u ifindex=%u", h.segs, h.ifindex);
		pcapng.write(bytes, h.cap_len, h.wire_len, h.ts_ns, comment.c_str());
	};
	std::uint64_t n = ring.drain(write);
	const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.duration);
	while (o.duration > 0 && std::chrono::steady_clock::now() < until) {
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
		n += ring.drain(write);
	}
	if (!(ng ? pcapng.close() : pcap.close())) {
		std::fprintf(stderr, "pktpath-kstat: %s: %s\n", o.dump, (ng ? pcapng.err() : pcap.err()).message);
		return 3;
	}
	std::printf("dump-drops file=%s format=%s written=%llu ring_drops=%llu capacity=%u\n", o.dump,
		    ng ? "pcapng" : "pcap", static_cast<unsigned long long>(n),
		    static_cast<unsigned long long>(ring.drops()), ring.capacity());
	return std::fflush(stdout) == 0 ? 0 : 3;
}

} // namespace

int main(int argc, char **argv)
{
	options o;
	if (int rc = parse_options(argc, argv, o))
		return rc;
	if (o.dump)
		return dump_drops(o);
	sample s;
	std::string why;
	if (!read_sample(o, s, why)) {
		std::fprintf(stderr, "pktpath-kstat: %s\n", why.c_str());
		return 1;
	}
	if (o.interval <= 0) {
		if (o.prom) {
			char err[256];
			if (!pktpath::replay::write_file_atomically(o.prom, report_prometheus(o, s), err, sizeof err)) {
				std::fprintf(stderr, "pktpath-kstat: %s\n", err);
				return 3;
			}
		}
		return write_out(render(o, s, "")) ? 0 : 3;
	}
	const auto period = std::chrono::duration<double>(o.interval);
	auto next = std::chrono::steady_clock::now();
	for (unsigned long n = 1; !o.count || n <= o.count; n++) {
		next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
		std::this_thread::sleep_until(next);
		sample now;
		if (!read_sample(o, now, why)) {
			std::fprintf(stderr, "pktpath-kstat: %s\n", why.c_str());
			return 1;
		}
		char title[96];
		std::snprintf(title, sizeof title, ": interval %lu, the last %g s", n, o.interval);
		if (o.prom) {
			char err[256];
			if (!pktpath::replay::write_file_atomically(o.prom, report_prometheus(o, now), err,
								    sizeof err)) {
				std::fprintf(stderr, "pktpath-kstat: %s\n", err);
				return 3;
			}
		}
		if (!write_out(render(o, delta(now, s), title)))
			return 3;
		s = static_cast<sample &&>(now);
	}
	return 0;
}
