// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// What a live run counted, for people and programs, in the formats of
// pktpath-replay (replay/report.hpp): text, JSON (schema "pktpath-live/1",
// docs/schema/pktpath-live-1.schema.json; fields are only ever added), CSV
// and Prometheus text.  The per-stage and per-flow parts are the table's own
// exports; this adds the interface, the ring, the kernel's counters (the
// loss before the first stage), the poll loop's per worker and how the run
// ended.  An interval report is the same document over one interval's
// deltas.  Report time only: everything here allocates freely.
#ifndef PKTPATH_LIVE_REPORT_HPP
#define PKTPATH_LIVE_REPORT_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "../replay/report.hpp"
#include "../table/export.hpp"
#include "../table/funnel.hpp"
#include "../table/prometheus.hpp"
#include "../table/snapshot.hpp"
#include "../version.h"
#include "engine.hpp"

namespace pktpath::live {

struct report_data {
	const char *tool = "pktpath-live";
	std::string iface;
	ring_config ring;
	poll_knobs k;
	const char *fanout = nullptr; // "hash", "lb", ...; null: one socket
	unsigned parse_flags = 0;
	bool key_vlan = false;
	std::string filter;     // flow_filter::text(), "" for none
	unsigned bpf_insns = 0; // the kernel filter's length, 0 for none
	ring_stats kernel;      // summed over the workers
	unsigned worker_count = 1;
	std::vector<worker_stats> workers; // final report only: an interval's has none
	std::uint64_t flows_on_several_workers = 0;
	table_snapshot snap;
	std::size_t top_n = 10;
	std::string write_path;     // --write, "" for none
	std::uint64_t written = 0;  // frames written there
	std::uint64_t wall_ns = 0;  // the run's (or the interval's) length
	const char *end = "signal"; // duration, count, signal
	std::uint64_t interval = 0; // 1-based index of an interval report; 0: the final report
};

// How the counted frames ended, with the kernel's loss in front.
struct outcome {
	std::uint64_t frames = 0, bytes = 0, flows = 0; // at kernel_ring
	std::uint64_t polled = 0, delivered = 0, unclassified = 0, lost = 0, overflow = 0;
	std::vector<replay::drop_site> drops; // every funnel step, in stage order
	std::uint64_t by_status[PKTPATH_STATUS_COUNT] = {};
};

namespace detail {
inline const char *loss_reason(unsigned to)
{
	switch (to) {
	case live_path::poll:
		return "handed over but not polled when the run ended";
	case live_path::deliver:
		return "the consumer did not take it (a --write error)";
	default:
		return "not expected";
	}
}
} // namespace detail

inline outcome summarize(const table_snapshot &s)
{
	outcome o;
	const pktpath_counter first = s.total(live_path::kernel_ring);
	o.frames = first.packets;
	o.bytes = first.bytes;
	o.flows = s.flow_count();
	o.polled = s.total(live_path::poll).packets;
	o.delivered = s.total(live_path::deliver).packets;
	o.unclassified = s.total(live_path::unclassified).packets;
	o.overflow = s.overflow(live_path::kernel_ring).packets;
	for (unsigned st = 0; st < PKTPATH_STATUS_COUNT && st < s.status_count(); st++)
		o.by_status[st] = s.unclassified(st, live_path::unclassified).packets;
	o.drops = replay::drop_sites(s, detail::loss_reason);
	for (const replay::drop_site &d : o.drops)
		o.lost += d.frames;
	return o;
}

inline std::string report_json(const report_data &r)
{
	using replay::detail::appendf;
	using replay::detail::json_str;
	using ull = unsigned long long;
	const outcome o = summarize(r.snap);
	std::string j = "{\"schema\":\"pktpath-live/1\",\"version\":\"" PKTPATH_VERSION_STRING "\",\"interface\":";
	j += json_str(r.iface);
	if (r.interval)
		appendf(j, ",\"interval\":{\"index\":%llu,\"seconds\":%.6f}", static_cast<ull>(r.interval),
			static_cast<double>(r.wall_ns) / 1e9);
	else
		j += ",\"interval\":null";
	appendf(j,
		",\"ring\":{\"block_size\":%u,\"block_count\":%u,\"frame_size\":%u,\"timeout_ms\":%u,\"outgoing\":%s},"
		"\"poll\":{\"weight\":%d,\"budget\":%d,\"time_limit_us\":%u,\"cost_ns\":%llu},\"workers\":%zu,"
		"\"fanout\":",
		r.ring.block_size, r.ring.block_count, r.ring.frame_size, r.ring.timeout_ms,
		r.ring.outgoing ? "true" : "false", r.k.weight, r.k.budget, r.k.time_limit_us,
		static_cast<ull>(r.k.cost_ns), static_cast<std::size_t>(r.worker_count));
	j += r.fanout ? json_str(r.fanout) : std::string("null");
	appendf(j, ",\"keys\":{\"vlan\":%s,\"inner\":%s,\"symmetric\":%s},\"filter\":", r.key_vlan ? "true" : "false",
		(r.parse_flags & PKTPATH_PARSE_INNER) ? "true" : "false",
		(r.parse_flags & PKTPATH_PARSE_SYMMETRIC) ? "true" : "false");
	j += r.filter.empty() ? std::string("null") : json_str(r.filter);
	appendf(j, ",\"bpf_instructions\":%u", r.bpf_insns);
	appendf(j, ",\"kernel\":{\"packets\":%llu,\"drops\":%llu,\"freeze_q_cnt\":%llu}",
		static_cast<ull>(r.kernel.packets), static_cast<ull>(r.kernel.drops),
		static_cast<ull>(r.kernel.freeze_q_cnt));
	appendf(j,
		",\"totals\":{\"frames\":%llu,\"bytes\":%llu,\"flows\":%llu,\"polled\":%llu,\"delivered\":%llu,"
		"\"unclassified\":%llu,\"lost\":%llu,\"overflow\":%llu,\"kernel_drops\":%llu}",
		static_cast<ull>(o.frames), static_cast<ull>(o.bytes), static_cast<ull>(o.flows),
		static_cast<ull>(o.polled), static_cast<ull>(o.delivered), static_cast<ull>(o.unclassified),
		static_cast<ull>(o.lost), static_cast<ull>(o.overflow), static_cast<ull>(r.kernel.drops));
	j += ",\"drops\":[";
	for (std::size_t i = 0; i < o.drops.size(); i++) {
		const replay::drop_site &d = o.drops[i];
		j += i ? ",{\"from\":" : "{\"from\":";
		j += json_str(r.snap.stage_name(d.from)) + ",\"to\":" + json_str(d.to);
		appendf(j, ",\"frames\":%llu,\"bytes\":%llu,\"flows\":%zu,\"reason\":", static_cast<ull>(d.frames),
			static_cast<ull>(d.bytes), d.flows);
		j += json_str(d.reason) + "}";
	}
	j += "],\"unclassified\":{";
	for (unsigned st = PKTPATH_TRUNCATED; st < PKTPATH_STATUS_COUNT; st++)
		appendf(j, "%s\"%s\":%llu", st == PKTPATH_TRUNCATED ? "" : ",", pktpath_status_name(st),
			static_cast<ull>(o.by_status[st]));
	j += "},\"per_worker\":[";
	for (std::size_t w = 0; w < r.workers.size(); w++) {
		const worker_stats &s = r.workers[w];
		appendf(j,
			"%s{\"worker\":%zu,\"frames\":%llu,\"polled\":%llu,\"flows\":%llu,\"blocks\":%llu,"
			"\"kernel\":{\"packets\":%llu,\"drops\":%llu,\"freeze_q_cnt\":%llu},"
			"\"softnet\":{\"processed\":%llu,\"time_squeeze\":%llu,\"budget_exhausted\":%llu,"
			"\"time_exhausted\":%llu,\"polls\":%llu,\"rounds\":%llu}}",
			w ? "," : "", w, static_cast<ull>(s.frames), static_cast<ull>(s.polled),
			static_cast<ull>(s.flows), static_cast<ull>(s.blocks), static_cast<ull>(s.kernel.packets),
			static_cast<ull>(s.kernel.drops), static_cast<ull>(s.kernel.freeze_q_cnt),
			static_cast<ull>(s.poll.processed), static_cast<ull>(s.poll.time_squeeze),
			static_cast<ull>(s.poll.budget_exhausted), static_cast<ull>(s.poll.time_exhausted),
			static_cast<ull>(s.poll.polls), static_cast<ull>(s.poll.rounds));
	}
	appendf(j, "],\"flows_on_several_workers\":%llu,\"write\":", static_cast<ull>(r.flows_on_several_workers));
	if (r.write_path.empty()) {
		j += "null";
	} else {
		j += "{\"file\":" + json_str(r.write_path);
		appendf(j, ",\"frames\":%llu}", static_cast<ull>(r.written));
	}
	const double wall = static_cast<double>(r.wall_ns) / 1e9;
	appendf(j, ",\"run\":{\"wall_seconds\":%.6f,\"frames_per_second\":%.0f,\"end\":\"%s\"}", wall,
		wall > 0 ? static_cast<double>(o.frames) / wall : 0.0, r.interval ? "interval" : r.end);
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
	using replay::detail::appendf;
	using replay::detail::si;
	using ull = unsigned long long;
	const outcome o = summarize(r.snap);
	std::string t;
	if (r.interval)
		appendf(t, "interval %llu  (%.3f s)\n", static_cast<ull>(r.interval),
			static_cast<double>(r.wall_ns) / 1e9);
	else
		appendf(t, "%s %s on %s, %zu worker%s%s%s\n", r.tool, PKTPATH_VERSION_STRING, r.iface.c_str(),
			static_cast<std::size_t>(r.worker_count), r.worker_count == 1 ? "" : "s",
			r.fanout ? ", fanout " : "", r.fanout ? r.fanout : "");
	if (!r.interval) {
		appendf(t,
			"  ring     TPACKET_V3, %u blocks of %u bytes (frame size %u), block timeout %u ms%s\n"
			"  poll     weight %d, budget %d, time limit %u us, cost %llu ns per frame\n",
			r.ring.block_count, r.ring.block_size, r.ring.frame_size, r.ring.timeout_ms,
			r.ring.outgoing ? ", outgoing frames too" : "", r.k.weight, r.k.budget, r.k.time_limit_us,
			static_cast<ull>(r.k.cost_ns));
		if (!r.filter.empty() || r.bpf_insns)
			appendf(t, "  filter   %s%s%s\n", r.filter.c_str(),
				!r.filter.empty() && r.bpf_insns ? "; " : "",
				r.bpf_insns ? ("kernel BPF, " + std::to_string(r.bpf_insns) + " instructions").c_str()
					    : "");
	}
	const double wall = static_cast<double>(r.wall_ns) / 1e9;
	appendf(t,
		"\nkernel     %llu frames passed the filter, %llu dropped for want of ring space (tp_drops), "
		"queue frozen %llu times (tp_freeze_q_cnt)\n",
		static_cast<ull>(r.kernel.packets), static_cast<ull>(r.kernel.drops),
		static_cast<ull>(r.kernel.freeze_q_cnt));
	appendf(t, "totals     %llu frames, %sB, %llu flows in %.3f s (%sframes/s)\n", static_cast<ull>(o.frames),
		si(static_cast<double>(o.bytes)).c_str(), static_cast<ull>(o.flows), wall,
		si(wall > 0 ? static_cast<double>(o.frames) / wall : 0).c_str());
	appendf(t,
		"outcome    delivered %llu, unclassified %llu, lost %llu after the ring; %llu lost in the kernel "
		"before it (flows unknown)\n",
		static_cast<ull>(o.delivered), static_cast<ull>(o.unclassified), static_cast<ull>(o.lost),
		static_cast<ull>(r.kernel.drops));
	replay::detail::append_text_drops(t, o.drops, "lost at");
	replay::detail::append_text_statuses(t, o.by_status);
	if (o.overflow)
		appendf(t, "warning    the table was full: %llu frames counted as \"overflow\" (raise --flows)\n",
			static_cast<ull>(o.overflow));
	if (!r.interval) {
		t += "workers    worker     frames     polled   flows  blocks  tp_drops  time_squeeze (budget/time)     "
		     "polls    rounds\n";
		for (std::size_t w = 0; w < r.workers.size(); w++) {
			const worker_stats &s = r.workers[w];
			appendf(t, "           %6zu %10llu %10llu %7llu %7llu %9llu  %12llu %6llu/%-6llu %9llu %9llu\n",
				w, static_cast<ull>(s.frames), static_cast<ull>(s.polled), static_cast<ull>(s.flows),
				static_cast<ull>(s.blocks), static_cast<ull>(s.kernel.drops),
				static_cast<ull>(s.poll.time_squeeze), static_cast<ull>(s.poll.budget_exhausted),
				static_cast<ull>(s.poll.time_exhausted), static_cast<ull>(s.poll.polls),
				static_cast<ull>(s.poll.rounds));
		}
		if (r.worker_count > 1)
			appendf(t, "fanout     %llu flows counted by more than one worker\n",
				static_cast<ull>(r.flows_on_several_workers));
		if (!r.write_path.empty())
			appendf(t, "write      %llu frames written to %s\n", static_cast<ull>(r.written),
				r.write_path.c_str());
		appendf(t, "end        %s\n", r.end);
	}
	replay::detail::append_text_top(t, r.snap, r.top_n, "at kernel_ring");
	return t;
}

inline std::string report_csv(const report_data &r)
{
	return replay::detail::table_csv(r.snap, r.top_n);
}

// Prometheus text 0.0.4: the table's families under pktpath_live, the
// kernel's counters and the poll loop's per worker.
inline std::string report_prometheus(const report_data &r)
{
	export_options eo;
	eo.top_n = r.top_n;
	eo.prefix = "pktpath_live";
	prometheus_writer w(eo.prefix);
	write_prometheus(w, r.snap, eo);
	w.family("_kernel_packets_total", "counter",
		 "Frames that passed the socket filter (PACKET_STATISTICS tp_packets).");
	w.sample("_kernel_packets_total", {}, r.kernel.packets);
	w.family("_kernel_drops_total", "counter", "Frames the kernel dropped for want of ring space (tp_drops).");
	w.sample("_kernel_drops_total", {}, r.kernel.drops);
	w.family("_kernel_freeze_q_total", "counter", "Times the ring filled and the queue froze (tp_freeze_q_cnt).");
	w.sample("_kernel_freeze_q_total", {}, r.kernel.freeze_q_cnt);
	struct col {
		const char *name, *help;
		std::uint64_t (*get)(const worker_stats &);
	};
	const col cols[] = {
		{"_worker_polled_total", "Frames each worker's poll took from its ring.",
		 [](const worker_stats &s) { return s.polled; }},
		{"_worker_times_squeezed_total", "Poll rounds that ran out of budget or time.",
		 [](const worker_stats &s) { return s.poll.time_squeeze; }},
		{"_worker_kernel_drops_total", "tp_drops of each worker's socket.",
		 [](const worker_stats &s) { return s.kernel.drops; }},
	};
	for (const col &c : cols) {
		w.family(c.name, "counter", c.help);
		for (std::size_t i = 0; i < r.workers.size(); i++)
			w.sample(c.name, {{"worker", std::to_string(i)}}, c.get(r.workers[i]));
	}
	return w.take();
}

} // namespace pktpath::live

#endif // PKTPATH_LIVE_REPORT_HPP
