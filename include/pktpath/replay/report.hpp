// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// What a replay found, for people and programs: the human report, JSON
// (schema "pktpath-replay/1", docs/schema/pktpath-replay-1.schema.json;
// fields are only ever added), CSV and Prometheus text.  The per-stage and
// per-flow parts are the table's own exports (table/export.hpp); this adds
// the run around them:
// captures and their errors, the model's knobs, the outcome of every frame
// (delivered, dropped at a named stage, unclassified by parse status),
// softnet_stat-like counters per CPU and the NIC's.  Report time only:
// everything here allocates freely.
#ifndef PKTPATH_REPLAY_REPORT_HPP
#define PKTPATH_REPLAY_REPORT_HPP

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "../table/export.hpp"
#include "../table/funnel.hpp"
#include "../table/prometheus.hpp"
#include "../table/snapshot.hpp"
#include "../version.h"
#include "feed.hpp"
#include "model.hpp"
#include "timeline.hpp"

namespace pktpath::replay {

// Everything a report shows.
struct report_data {
	const char *tool = "pktpath-replay"; // the program, in the text report's first line
	const char *mode = "sim";
	knobs k;
	timing tm;
	unsigned parse_flags = 0;
	bool key_vlan = false;
	std::string filter; // flow_filter::text(), "" for none
	std::vector<file_status> files;
	run_stats st;
	std::uint64_t wall_ns = 0; // how long the replay took
	table_snapshot snap;
	std::size_t top_n = 10;
	std::string dump_path;          // --dump-drops, "" for none
	std::uint64_t dumped = 0;       // frames written there
	std::uint64_t dump_skipped = 0; // dropped frames of another link type than the file's
};

// One funnel step: frames that reached `from` but none of its successors.
struct drop_site {
	unsigned from;
	std::string to; // "rx_ring", or "l3|unclassified"
	std::uint64_t frames;
	std::uint64_t bytes;
	std::size_t flows; // flows that lost frames here
	const char *reason;
};

// How every counted frame ended.
struct outcome {
	std::uint64_t frames = 0, bytes = 0, flows = 0;
	std::uint64_t delivered = 0, dropped = 0, unclassified = 0;
	std::vector<drop_site> drops; // every funnel step, in stage order
	std::uint64_t by_status[PKTPATH_STATUS_COUNT] = {};
	std::uint64_t overflow = 0; // frames of flows the table had no slot for
};

namespace detail {
// printf onto o, however long the result (a capture's path has no bound).
__attribute__((format(printf, 2, 3))) inline void appendf(std::string &o, const char *fmt, ...)
{
	std::va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	char buf[256];
	const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0 && static_cast<std::size_t>(n) < sizeof buf) {
		o.append(buf, static_cast<std::size_t>(n));
	} else if (n > 0) {
		const std::size_t at = o.size();
		o.resize(at + static_cast<std::size_t>(n) + 1);
		std::vsnprintf(&o[at], static_cast<std::size_t>(n) + 1, fmt, again);
		o.resize(at + static_cast<std::size_t>(n));
	}
	va_end(again);
}

inline const char *drop_reason(unsigned to)
{
	switch (to) {
	case rx_path::rx_ring:
		return "RX ring full: no free descriptor (rx_missed)";
	case rx_path::napi_poll:
		return "left in the RX ring";
	case rx_path::backlog:
		return "backlog above netdev_max_backlog (softnet dropped)";
	case rx_path::l3:
		return "left in a backlog";
	default:
		return "not modelled";
	}
}

inline const char *timing_kind_name(timing::kind k)
{
	switch (k) {
	case timing::kind::original:
		return "original";
	case timing::kind::pps:
		return "pps";
	case timing::kind::bps:
		return "bps";
	case timing::kind::asap:
		return "max";
	}
	return "?";
}

inline std::string json_str(const std::string &s)
{
	std::string o;
	pktpath::detail::json_string(o, s.c_str());
	return o;
}

// "1.23 M", "456.0 k", "78"
inline std::string si(double v)
{
	char b[32];
	if (v >= 1e9)
		std::snprintf(b, sizeof b, "%.2f G", v / 1e9);
	else if (v >= 1e6)
		std::snprintf(b, sizeof b, "%.2f M", v / 1e6);
	else if (v >= 1e3)
		std::snprintf(b, sizeof b, "%.1f k", v / 1e3);
	else
		std::snprintf(b, sizeof b, "%.0f ", v);
	return b;
}
} // namespace detail

// Every funnel step of s, in stage order, as a drop site; reason(to) names
// the cause of a loss before the step's first target stage.
inline std::vector<drop_site> drop_sites(const table_snapshot &s, const char *(*reason)(unsigned to))
{
	std::vector<drop_site> sites;
	const funnel f = make_funnel(s);
	for (const funnel_step &step : f.steps) {
		std::uint64_t out_bytes = 0;
		unsigned first_to = 0;
		for (unsigned to = s.stage_count(); to-- > 0;)
			if (step.to_mask & (1u << to)) {
				out_bytes += f.totals[to].bytes;
				first_to = to;
			}
		const std::uint64_t lost = step.lost > 0 ? static_cast<std::uint64_t>(step.lost) : 0;
		const std::uint64_t in_bytes = f.totals[step.from].bytes;
		sites.push_back(drop_site{step.from, step_targets(s, step), lost,
					  in_bytes > out_bytes ? in_bytes - out_bytes : 0, step.flows_losing,
					  reason(first_to)});
	}
	return sites;
}

inline outcome summarize(const table_snapshot &s)
{
	outcome o;
	const pktpath_counter wire = s.total(rx_path::wire);
	o.frames = wire.packets;
	o.bytes = wire.bytes;
	o.flows = s.flow_count();
	o.delivered = s.total(rx_path::deliver).packets;
	o.unclassified = s.total(rx_path::unclassified).packets;
	o.overflow = s.overflow(rx_path::wire).packets;
	for (unsigned st = 0; st < PKTPATH_STATUS_COUNT && st < s.status_count(); st++)
		o.by_status[st] = s.unclassified(st, rx_path::unclassified).packets;
	o.drops = drop_sites(s, detail::drop_reason);
	for (const drop_site &d : o.drops)
		o.dropped += d.frames;
	return o;
}

namespace detail {
// The JSON array of drop sites ("drops").
inline void append_json_drops(std::string &j, const table_snapshot &s, const std::vector<drop_site> &drops)
{
	j += "[";
	for (std::size_t i = 0; i < drops.size(); i++) {
		const drop_site &d = drops[i];
		j += i ? ",{\"from\":" : "{\"from\":";
		j += json_str(s.stage_name(d.from)) + ",\"to\":" + json_str(d.to);
		appendf(j, ",\"frames\":%llu,\"bytes\":%llu,\"flows\":%zu,\"reason\":",
			static_cast<unsigned long long>(d.frames), static_cast<unsigned long long>(d.bytes), d.flows);
		j += json_str(d.reason) + "}";
	}
	j += "]";
}

// The JSON object of frames without a key by parse status ("unclassified").
inline void append_json_statuses(std::string &j, const std::uint64_t (&by_status)[PKTPATH_STATUS_COUNT])
{
	j += "{";
	for (unsigned st = PKTPATH_TRUNCATED; st < PKTPATH_STATUS_COUNT; st++)
		appendf(j, "%s\"%s\":%llu", st == PKTPATH_TRUNCATED ? "" : ",", pktpath_status_name(st),
			static_cast<unsigned long long>(by_status[st]));
	j += "}";
}

// A text report's loss lines ("dropped at", "lost at"), one per drop site
// that lost frames, the label on the first.
inline void append_text_drops(std::string &t, const std::vector<drop_site> &drops, const char *label)
{
	bool any = false;
	for (const drop_site &d : drops)
		if (d.frames) {
			appendf(t, "%-10s %-14s %llu frames of %zu flow%s: %s\n", any ? "" : label, d.to.c_str(),
				static_cast<unsigned long long>(d.frames), d.flows, d.flows == 1 ? "" : "s", d.reason);
			any = true;
		}
}

// The text report's "unclassified" line, when frames had no key.
inline void append_text_statuses(std::string &t, const std::uint64_t (&by_status)[PKTPATH_STATUS_COUNT])
{
	bool any = false;
	for (unsigned st = PKTPATH_TRUNCATED; st < PKTPATH_STATUS_COUNT; st++)
		if (by_status[st]) {
			appendf(t, "%s %s %llu", any ? "," : "unclassified", pktpath_status_name(st),
				static_cast<unsigned long long>(by_status[st]));
			any = true;
		}
	if (any)
		t += " (no flow key: counted by parse status)\n";
}

// A text report's closing part: the table's top flows by frames at its first stage.
inline void append_text_top(std::string &t, const table_snapshot &s, std::size_t top_n, const char *at)
{
	appendf(t, "\ntop %zu flows by frames %s; ", top_n, at);
	export_options eo;
	eo.top_n = top_n;
	t += export_text(s, eo);
}

// The table's long-format CSV (kind,slot,flow,status,stage,packets,bytes).
inline std::string table_csv(const table_snapshot &s, std::size_t top_n)
{
	export_options eo;
	eo.top_n = top_n;
	return export_csv(s, eo);
}
} // namespace detail

inline std::string report_json(const report_data &r)
{
	using detail::appendf;
	using detail::json_str;
	const outcome o = summarize(r.snap);
	std::string j = "{\"schema\":\"pktpath-replay/1\",\"version\":\"" PKTPATH_VERSION_STRING "\",\"mode\":";
	j += json_str(r.mode);
	j += ",\"captures\":[";
	for (std::size_t i = 0; i < r.files.size(); i++) {
		const file_status &f = r.files[i];
		j += i ? ",{\"file\":" : "{\"file\":";
		j += json_str(f.path);
		appendf(j, ",\"format\":\"%s\",\"frames\":%llu,\"bytes\":%llu,\"size\":%llu,\"complete\":%s,\"error\":",
			capture::to_string(f.fmt), static_cast<unsigned long long>(f.frames),
			static_cast<unsigned long long>(f.bytes), static_cast<unsigned long long>(f.size),
			f.err ? "false" : "true");
		if (f.err) {
			appendf(j, "{\"code\":\"%s\",\"offset\":%llu,\"message\":", capture::to_string(f.err.code),
				static_cast<unsigned long long>(f.err.offset));
			j += json_str(f.err.message) + "}";
		} else {
			j += "null";
		}
		j += '}';
	}
	const knobs &k = r.k;
	appendf(j,
		"],\"model\":{\"ring\":%u,\"weight\":%d,\"budget\":%d,\"time_limit_us\":%u,\"max_backlog\":%u,"
		"\"cpus\":%u,\"poll_cost_ns\":%llu,\"cost_ns\":%llu,\"rps_hash\":\"toeplitz\"}",
		k.ring, k.weight, k.budget, k.time_limit_us, k.max_backlog, k.cpus,
		static_cast<unsigned long long>(k.poll_cost_ns), static_cast<unsigned long long>(k.cost_ns));
	appendf(j, ",\"timing\":{\"kind\":\"%s\"", detail::timing_kind_name(r.tm.k));
	if (r.tm.k == timing::kind::original)
		appendf(j, ",\"speed\":%.17g", r.tm.speed);
	else if (r.tm.k != timing::kind::asap)
		appendf(j, ",\"rate\":%.17g", r.tm.rate);
	appendf(j, "},\"keys\":{\"vlan\":%s,\"inner\":%s,\"symmetric\":%s},\"filter\":", r.key_vlan ? "true" : "false",
		(r.parse_flags & PKTPATH_PARSE_INNER) ? "true" : "false",
		(r.parse_flags & PKTPATH_PARSE_SYMMETRIC) ? "true" : "false");
	j += r.filter.empty() ? std::string("null") : json_str(r.filter);
	appendf(j,
		",\"totals\":{\"frames\":%llu,\"bytes\":%llu,\"flows\":%llu,\"delivered\":%llu,\"dropped\":%llu,"
		"\"unclassified\":%llu,\"overflow\":%llu,\"replayed_frames\":%llu,\"replayed_bytes\":%llu,"
		"\"capture_ns\":%llu,\"end_ns\":%llu}",
		static_cast<unsigned long long>(o.frames), static_cast<unsigned long long>(o.bytes),
		static_cast<unsigned long long>(o.flows), static_cast<unsigned long long>(o.delivered),
		static_cast<unsigned long long>(o.dropped), static_cast<unsigned long long>(o.unclassified),
		static_cast<unsigned long long>(o.overflow), static_cast<unsigned long long>(r.st.frames),
		static_cast<unsigned long long>(r.st.file_bytes), static_cast<unsigned long long>(r.st.span_ns),
		static_cast<unsigned long long>(r.st.end_ns));
	j += ",\"drops\":";
	detail::append_json_drops(j, r.snap, o.drops);
	j += ",\"unclassified\":";
	detail::append_json_statuses(j, o.by_status);
	appendf(j, ",\"nic\":{\"rx_missed\":%llu,\"irqs\":%llu,\"ring_peak\":%llu,\"ring_size\":%u},\"softnet\":[",
		static_cast<unsigned long long>(r.st.nic.rx_missed), static_cast<unsigned long long>(r.st.nic.irqs),
		static_cast<unsigned long long>(r.st.nic.ring_peak), k.ring);
	for (std::size_t c = 0; c < r.st.cpus.size(); c++) {
		const cpu_stats &s = r.st.cpus[c];
		appendf(j,
			"%s{\"cpu\":%zu,\"processed\":%llu,\"dropped\":%llu,\"time_squeeze\":%llu,\"budget_exhausted\":%llu,"
			"\"time_exhausted\":%llu,\"polls\":%llu,\"rounds\":%llu,\"backlog_peak\":%llu,\"busy_ns\":%llu}",
			c ? "," : "", c, static_cast<unsigned long long>(s.processed),
			static_cast<unsigned long long>(s.dropped), static_cast<unsigned long long>(s.time_squeeze),
			static_cast<unsigned long long>(s.budget_exhausted),
			static_cast<unsigned long long>(s.time_exhausted), static_cast<unsigned long long>(s.polls),
			static_cast<unsigned long long>(s.rounds), static_cast<unsigned long long>(s.backlog_peak),
			static_cast<unsigned long long>(s.busy_ns));
	}
	j += "],\"dump\":";
	if (r.dump_path.empty()) {
		j += "null";
	} else {
		j += "{\"file\":" + json_str(r.dump_path);
		appendf(j, ",\"frames\":%llu,\"skipped\":%llu}", static_cast<unsigned long long>(r.dumped),
			static_cast<unsigned long long>(r.dump_skipped));
	}
	// Wall-clock figures last and apart: everything before them is
	// reproducible in sim mode.
	const double wall = static_cast<double>(r.wall_ns) / 1e9;
	appendf(j, ",\"run\":{\"wall_seconds\":%.6f,\"frames_per_second\":%.0f}", wall,
		wall > 0 ? static_cast<double>(r.st.frames) / wall : 0.0);
	export_options eo;
	eo.top_n = r.top_n;
	std::string t = export_json(r.snap, eo);
	while (!t.empty() && t.back() == '\n')
		t.pop_back();
	j += ",\"table\":" + t + "}\n";
	return j;
}

inline std::string report_text(const report_data &r)
{
	using detail::appendf;
	using detail::si;
	const outcome o = summarize(r.snap);
	const knobs &k = r.k;
	std::string t;
	appendf(t, "%s %s, %s mode%s\n", r.tool, PKTPATH_VERSION_STRING, r.mode,
		std::strcmp(r.mode, "sim") == 0 ? " (deterministic, virtual clock)" : " (threads, machine-dependent)");
	for (const file_status &f : r.files) {
		appendf(t, "  capture  %s  %s  %llu frames  %sB", f.path.c_str(), capture::to_string(f.fmt),
			static_cast<unsigned long long>(f.frames), si(static_cast<double>(f.bytes)).c_str());
		if (f.err)
			appendf(t, "  ERROR %s\n", f.err.message);
		else
			t += "  ok\n";
	}
	appendf(t,
		"  model    RX ring %u, weight %d, budget %d, time limit %u us, max_backlog %u, %u CPU%s (IRQ on CPU 0, "
		"RPS by RSS hash), cost %llu ns poll + %llu ns stack per frame\n",
		k.ring, k.weight, k.budget, k.time_limit_us, k.max_backlog, k.cpus, k.cpus == 1 ? "" : "s",
		static_cast<unsigned long long>(k.poll_cost_ns), static_cast<unsigned long long>(k.cost_ns));
	switch (r.tm.k) {
	case timing::kind::original:
		appendf(t, "  timing   capture timestamps at %gx\n", r.tm.speed);
		break;
	case timing::kind::pps:
		appendf(t, "  timing   fixed rate %spps\n", si(r.tm.rate).c_str());
		break;
	case timing::kind::bps:
		appendf(t, "  timing   line rate %sbit/s (Ethernet framing)\n", si(r.tm.rate).c_str());
		break;
	case timing::kind::asap:
		t += "  timing   as fast as the NIC thread can\n";
		break;
	}
	if (!r.filter.empty())
		appendf(t, "  filter   %s: %llu of %llu frames counted (all of them replayed)\n", r.filter.c_str(),
			static_cast<unsigned long long>(o.frames), static_cast<unsigned long long>(r.st.frames));
	const double span = static_cast<double>(r.st.span_ns) / 1e9, wall = static_cast<double>(r.wall_ns) / 1e9;
	appendf(t, "\ntotals     %llu frames, %sB, %llu flows; %.6f s of arrivals (%sframes/s)\n",
		static_cast<unsigned long long>(o.frames), si(static_cast<double>(o.bytes)).c_str(),
		static_cast<unsigned long long>(o.flows), span,
		si(span > 0 ? static_cast<double>(r.st.frames) / span : 0).c_str());
	appendf(t, "replayed   in %.3f s of wall time (%sframes/s, %sB/s)\n", wall,
		si(wall > 0 ? static_cast<double>(r.st.frames) / wall : 0).c_str(),
		si(wall > 0 ? static_cast<double>(r.st.file_bytes) / wall : 0).c_str());
	auto pct = [&](std::uint64_t v) {
		return o.frames ? 100.0 * static_cast<double>(v) / static_cast<double>(o.frames) : 0.0;
	};
	appendf(t, "outcome    delivered %llu (%.1f%%), dropped %llu (%.1f%%), unclassified %llu (%.1f%%)\n",
		static_cast<unsigned long long>(o.delivered), pct(o.delivered),
		static_cast<unsigned long long>(o.dropped), pct(o.dropped),
		static_cast<unsigned long long>(o.unclassified), pct(o.unclassified));
	detail::append_text_drops(t, o.drops, "dropped at");
	detail::append_text_statuses(t, o.by_status);
	if (o.overflow)
		appendf(t,
			"warning    the table was full: %llu frames of flows without a slot are counted as \"overflow\" "
			"(raise --flows)\n",
			static_cast<unsigned long long>(o.overflow));
	appendf(t, "\nnic        rx_missed %llu, interrupts %llu, ring peak %llu of %u descriptors\n",
		static_cast<unsigned long long>(r.st.nic.rx_missed), static_cast<unsigned long long>(r.st.nic.irqs),
		static_cast<unsigned long long>(r.st.nic.ring_peak), k.ring);
	t += "softnet    cpu  processed    dropped  time_squeeze (budget/time)      polls     rounds  backlog_peak\n";
	for (std::size_t c = 0; c < r.st.cpus.size(); c++) {
		const cpu_stats &s = r.st.cpus[c];
		appendf(t, "           %3zu %10llu %10llu  %12llu %6llu/%-6llu %10llu %10llu  %12llu\n", c,
			static_cast<unsigned long long>(s.processed), static_cast<unsigned long long>(s.dropped),
			static_cast<unsigned long long>(s.time_squeeze),
			static_cast<unsigned long long>(s.budget_exhausted),
			static_cast<unsigned long long>(s.time_exhausted), static_cast<unsigned long long>(s.polls),
			static_cast<unsigned long long>(s.rounds), static_cast<unsigned long long>(s.backlog_peak));
	}
	if (!r.dump_path.empty())
		appendf(t, "dump       %llu dropped frames written to %s%s\n",
			static_cast<unsigned long long>(r.dumped), r.dump_path.c_str(),
			r.dump_skipped
				? (" (" + std::to_string(r.dump_skipped) + " of another link type skipped)").c_str()
				: "");
	detail::append_text_top(t, r.snap, r.top_n, "on the wire");
	return t;
}

inline std::string report_csv(const report_data &r)
{
	return detail::table_csv(r.snap, r.top_n);
}

// Prometheus text 0.0.4: the table's families under the prefix
// pktpath_replay, plus the outcome of every frame and node_softnet-like
// counters per simulated CPU.
inline std::string report_prometheus(const report_data &r)
{
	const outcome o = summarize(r.snap);
	export_options eo;
	eo.top_n = r.top_n;
	eo.prefix = "pktpath_replay";
	prometheus_writer w(eo.prefix);
	write_prometheus(w, r.snap, eo);
	w.family("_frames_total", "counter", "Frames counted, by how they ended.");
	w.sample("_frames_total", {{"outcome", "delivered"}}, o.delivered);
	w.sample("_frames_total", {{"outcome", "dropped"}}, o.dropped);
	w.sample("_frames_total", {{"outcome", "unclassified"}}, o.unclassified);
	w.family("_dropped_frames_total", "counter", "Frames dropped, by the stage they could not enter.");
	for (const drop_site &d : o.drops)
		w.sample("_dropped_frames_total", {{"stage", d.to}}, d.frames);
	struct col {
		const char *name, *help;
		std::uint64_t cpu_stats::*field;
	};
	const col cols[] = {
		{"_softnet_processed_total", "Frames each simulated CPU took into the stack (softnet_stat processed).",
		 &cpu_stats::processed},
		{"_softnet_dropped_total", "Frames each simulated CPU's backlog refused (softnet_stat dropped).",
		 &cpu_stats::dropped},
		{"_softnet_times_squeezed_total",
		 "net_rx_action rounds that ran out of budget or time (softnet_stat time_squeeze).",
		 &cpu_stats::time_squeeze},
	};
	for (const col &c : cols) {
		w.family(c.name, "counter", c.help);
		for (std::size_t i = 0; i < r.st.cpus.size(); i++)
			w.sample(c.name, {{"cpu", std::to_string(i)}}, r.st.cpus[i].*c.field);
	}
	w.family("_nic_rx_missed_total", "counter", "Frames the NIC dropped because the RX ring was full.");
	w.sample("_nic_rx_missed_total", {}, r.st.nic.rx_missed);
	w.family("_capture_errors", "gauge", "Capture files that could not be read to the end.");
	std::uint64_t errors = 0;
	for (const file_status &f : r.files)
		errors += f.err ? 1 : 0;
	w.sample("_capture_errors", {}, errors);
	return w.take();
}

// Writes `content` to path.tmp.PID, then renames it to path, so a reader
// (node_exporter's textfile collector) never sees half a file.  False with
// a message in why[why_len] on error (the temporary file is removed).
inline bool write_file_atomically(const char *path, const std::string &content, char *why, std::size_t why_len)
{
	const std::string tmp = std::string(path) + ".tmp." + std::to_string(static_cast<long>(getpid()));
	const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		std::snprintf(why, why_len, "%s: %s", tmp.c_str(), std::strerror(errno));
		return false;
	}
	const char *p = content.data();
	std::size_t n = content.size();
	while (n) {
		const ssize_t w = ::write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			std::snprintf(why, why_len, "%s: %s", tmp.c_str(), std::strerror(errno));
			::close(fd);
			::unlink(tmp.c_str());
			return false;
		}
		p += w;
		n -= static_cast<std::size_t>(w);
	}
	const bool synced = ::fsync(fd) == 0;
	const int sync_errno = errno;
	if (::close(fd) != 0 || !synced) {
		std::snprintf(why, why_len, "%s: %s", tmp.c_str(), std::strerror(synced ? errno : sync_errno));
		::unlink(tmp.c_str());
		return false;
	}
	if (::rename(tmp.c_str(), path) != 0) {
		std::snprintf(why, why_len, "rename to %s: %s", path, std::strerror(errno));
		::unlink(tmp.c_str());
		return false;
	}
	return true;
}

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_REPORT_HPP
