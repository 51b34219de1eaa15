// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Report-time export of a snapshot: a human table, JSON, CSV and the
// Prometheus text exposition format 0.0.4.  Cardinality is bounded: the
// top_n flows (by packets at order_stage) are listed one by one and the rest
// summed as "other", so a table of a million flows exports top_n + 1 flow
// series per stage.  Output goes to a std::string, a FILE* or a caller
// buffer; all allocation happens here, at report time.
//
// Prometheus families (prefix "pktpath" by default):
//   <p>_stage_packets_total{stage}           everything counted at the stage
//   <p>_flow_packets_total{stage,flow}       top flows, then flow="other"
//   <p>_overflow_packets_total{stage}        packets of flows the table had no slot for
//   <p>_unclassified_packets_total{stage,status}   packets without a key, by parse status
//   (and the same four as _bytes_total)
//   <p>_lost_packets{from,to}                funnel step, a gauge (signed)
//   <p>_table_flows, <p>_table_capacity      gauges
// For every stage, flow series + overflow + unclassified = stage total.
#ifndef PKTPATH_TABLE_EXPORT_HPP
#define PKTPATH_TABLE_EXPORT_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../flow/format.hpp"
#include "../flow/key.hpp"
#include "../flow/proto.h"
#include "../flow/status.h"
#include "funnel.hpp"
#include "prometheus.hpp"
#include "snapshot.hpp"

namespace pktpath {

enum class export_format { text, json, csv, prometheus };

struct export_options {
	std::size_t top_n = 20;         // flows listed one by one; the rest are "other"
	unsigned order_stage = 0;       // the stage whose packets rank flows
	const char *prefix = "pktpath"; // Prometheus metric prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)
};

namespace detail {
// Any table key in the C layout, or false for opaque keys.
inline bool as_flow_key(const table_snapshot &s, std::size_t i, pktpath_flow_key &k)
{
	if (s.key_format() == PKTPATH_TABLE_KEY_FLOW) {
		k = s.key_as<pktpath_flow_key>(i);
		return true;
	}
	if (s.key_format() == PKTPATH_TABLE_KEY_IPV4) {
		k = s.key_as<ipv4_5tuple>(i).c_key();
		return true;
	}
	return false;
}

inline std::string endpoint(const std::uint8_t *addr, unsigned ipver, bool ports, unsigned port)
{
	char a[addr_text_max];
	format_addr(addr, ipver, a);
	if (!ports)
		return a;
	return ipver == 6 ? "[" + std::string(a) + "]:" + std::to_string(port)
			  : std::string(a) + ":" + std::to_string(port);
}

inline std::string hex(const std::uint8_t *p, std::size_t n)
{
	static const char digits[] = "0123456789abcdef";
	std::string h;
	for (std::size_t i = 0; i < n; i++) {
		h += digits[p[i] >> 4];
		h += digits[p[i] & 15];
	}
	return h;
}

inline void json_string(std::string &o, const char *s)
{
	static const char digits[] = "0123456789abcdef";
	o += '"';
	for (; *s; s++) {
		unsigned char c = static_cast<unsigned char>(*s);
		if (c == '"' || c == '\\') {
			o += '\\';
			o += *s;
		} else if (c < 0x20) {
			o += "\\u00";
			o += digits[c >> 4];
			o += digits[c & 15];
		} else {
			o += *s;
		}
	}
	o += '"';
}

// RFC 4180 field.
inline void csv_field(std::string &o, const std::string &v)
{
	if (v.find_first_of(",\"\r\n") == std::string::npos) {
		o += v;
		return;
	}
	o += '"';
	for (char c : v) {
		if (c == '"')
			o += '"';
		o += c;
	}
	o += '"';
}

// The rows an export lists: top flows, the rest summed.
struct selection {
	std::vector<std::size_t> top;
	std::vector<pktpath_counter> other; // per stage
	std::size_t other_flows = 0;

	selection(const table_snapshot &s, const export_options &o)
	    : top(s.top(o.top_n, o.order_stage < s.stage_count() ? o.order_stage : 0)), other(s.stage_count())
	{
		std::vector<bool> listed(s.flow_count());
		for (std::size_t i : top)
			listed[i] = true;
		for (std::size_t i = 0; i < s.flow_count(); i++) {
			if (listed[i])
				continue;
			other_flows++;
			for (unsigned st = 0; st < s.stage_count(); st++) {
				other[st].packets += s.at(i, st).packets;
				other[st].bytes += s.at(i, st).bytes;
			}
		}
	}
};

inline void json_counts(std::string &o, const table_snapshot &s, const pktpath_counter *row)
{
	for (int bytes = 0; bytes < 2; bytes++) {
		o += bytes ? ",\"bytes\":[" : "\"packets\":[";
		for (unsigned st = 0; st < s.stage_count(); st++) {
			if (st)
				o += ',';
			const pktpath_counter &c = row[st];
			o += std::to_string(bytes ? c.bytes : c.packets);
		}
		o += ']';
	}
}
} // namespace detail

// "tcp 10.0.0.1:1234 > 10.0.0.2:80", "icmp 10.0.0.1 > 10.0.0.2",
// "udp [2001:db8::1]:53 > [2001:db8::2]:5353 vlan 7"; opaque keys in hex.
inline std::string flow_text(const table_snapshot &s, std::size_t i)
{
	pktpath_flow_key k;
	if (!detail::as_flow_key(s, i, k))
		return detail::hex(s.key(i), s.key_size());
	const unsigned v = pktpath_key_ipver(&k);
	const bool ports = (k.flags & PKTPATH_KEY_PORTS) != 0;
	const char *pn = pktpath_proto_name(k.proto);
	std::string t = pn ? pn : "proto-" + std::to_string(k.proto);
	t += ' ' + detail::endpoint(k.src, v, ports, k.sport) + " > " + detail::endpoint(k.dst, v, ports, k.dport);
	if (k.vlan)
		t += " vlan " + std::to_string(k.vlan);
	return t;
}

inline std::string export_text(const table_snapshot &s, const export_options &o = {})
{
	const detail::selection sel(s, o);
	std::vector<std::string> label;
	std::vector<std::vector<std::uint64_t>> cells;
	auto line = [&](std::string l, auto packets_at) {
		std::vector<std::uint64_t> v;
		for (unsigned st = 0; st < s.stage_count(); st++)
			v.push_back(packets_at(st));
		label.push_back(static_cast<std::string &&>(l));
		cells.push_back(static_cast<std::vector<std::uint64_t> &&>(v));
	};
	for (std::size_t i : sel.top)
		line(flow_text(s, i), [&](unsigned st) { return s.at(i, st).packets; });
	if (sel.other_flows)
		line("other (" + std::to_string(sel.other_flows) + " flows)",
		     [&](unsigned st) { return sel.other[st].packets; });
	line("overflow", [&](unsigned st) { return s.overflow(st).packets; });
	for (unsigned r = 0; r < s.status_count(); r++) {
		bool any = false;
		for (unsigned st = 0; st < s.stage_count(); st++)
			any |= s.unclassified(r, st).packets != 0;
		if (any)
			line(std::string("unclassified ") + pktpath_status_name(r),
			     [&](unsigned st) { return s.unclassified(r, st).packets; });
	}
	line("total", [&](unsigned st) { return s.total(st).packets; });

	std::size_t w0 = 4;
	for (const std::string &l : label)
		w0 = l.size() > w0 ? l.size() : w0;
	std::vector<std::size_t> w(s.stage_count());
	for (unsigned st = 0; st < s.stage_count(); st++) {
		w[st] = std::strlen(s.stage_name(st));
		for (const auto &c : cells)
			w[st] = std::to_string(c[st]).size() > w[st] ? std::to_string(c[st]).size() : w[st];
	}
	std::string out = "packets per stage: " + std::to_string(s.flow_count()) + " flows in " +
			  std::to_string(s.header().capacity) + " slots\n";
	auto pad = [&](const std::string &v, std::size_t width, bool right) {
		std::string f(width > v.size() ? width - v.size() : 0, ' ');
		out += right ? f + v : v + f;
	};
	pad("flow", w0, false);
	for (unsigned st = 0; st < s.stage_count(); st++) {
		out += "  ";
		pad(s.stage_name(st), w[st], true);
	}
	out += '\n';
	for (std::size_t r = 0; r < label.size(); r++) {
		pad(label[r], w0, false);
		for (unsigned st = 0; st < s.stage_count(); st++) {
			out += "  ";
			pad(std::to_string(cells[r][st]), w[st], true);
		}
		out += '\n';
	}
	const funnel f = make_funnel(s);
	for (const funnel_step &st : f.steps)
		out += describe_step(s, st, st.lost) + " (" + std::to_string(st.flows_losing) + " flows)\n";
	return out;
}

inline std::string export_json(const table_snapshot &s, const export_options &o = {})
{
	const detail::selection sel(s, o);
	std::string j = "{\"stages\":[";
	for (unsigned st = 0; st < s.stage_count(); st++) {
		j += st ? ",{\"name\":" : "{\"name\":";
		detail::json_string(j, s.stage_name(st));
		j += ",\"pred\":";
		j += s.stage_pred(st) < 0 ? std::string("null") : std::to_string(s.stage_pred(st));
		j += '}';
	}
	j += "],\"capacity\":" + std::to_string(s.header().capacity) +
	     ",\"flow_count\":" + std::to_string(s.flow_count());
	std::vector<pktpath_counter> totals;
	for (unsigned st = 0; st < s.stage_count(); st++)
		totals.push_back(s.total(st));
	j += ",\"totals\":{";
	detail::json_counts(j, s, totals.data());
	j += "},\"flows\":[";
	for (std::size_t n = 0; n < sel.top.size(); n++) {
		const std::size_t i = sel.top[n];
		j += n ? ",{\"slot\":" : "{\"slot\":";
		j += std::to_string(s.slot(i)) + ",\"flow\":";
		detail::json_string(j, flow_text(s, i).c_str());
		pktpath_flow_key k;
		if (detail::as_flow_key(s, i, k)) {
			const unsigned v = pktpath_key_ipver(&k);
			char a[addr_text_max];
			j += ",\"key\":{\"ipver\":" + std::to_string(v) + ",\"src\":";
			format_addr(k.src, v, a);
			detail::json_string(j, a);
			j += ",\"dst\":";
			format_addr(k.dst, v, a);
			detail::json_string(j, a);
			j += ",\"sport\":" + std::to_string(k.sport) + ",\"dport\":" + std::to_string(k.dport) +
			     ",\"proto\":" + std::to_string(k.proto) + ",\"vlan\":" + std::to_string(k.vlan) +
			     ",\"ports\":" + ((k.flags & PKTPATH_KEY_PORTS) ? "true" : "false") + "}";
		} else {
			j += ",\"key\":\"" + detail::hex(s.key(i), s.key_size()) + "\"";
		}
		j += ',';
		detail::json_counts(j, s, s.row(i));
		j += '}';
	}
	j += "],\"other\":{\"flow_count\":" + std::to_string(sel.other_flows) + ',';
	detail::json_counts(j, s, sel.other.data());
	j += "},\"overflow\":{";
	detail::json_counts(j, s, &s.overflow(0));
	j += "},\"unclassified\":[";
	for (unsigned r = 0; r < s.status_count(); r++) {
		j += r ? ",{\"status\":" : "{\"status\":";
		detail::json_string(j, pktpath_status_name(r));
		j += ',';
		detail::json_counts(j, s, &s.unclassified(r, 0));
		j += '}';
	}
	j += "],\"funnel\":[";
	const funnel f = make_funnel(s);
	for (std::size_t n = 0; n < f.steps.size(); n++) {
		const funnel_step &st = f.steps[n];
		j += n ? ",{\"from\":" : "{\"from\":";
		detail::json_string(j, s.stage_name(st.from));
		j += ",\"to\":[";
		bool first = true;
		for (unsigned to = 0; to < s.stage_count(); to++)
			if (st.to_mask & (1u << to)) {
				if (!first)
					j += ',';
				first = false;
				detail::json_string(j, s.stage_name(to));
			}
		j += "],\"in\":" + std::to_string(st.in) + ",\"out\":" + std::to_string(st.out) +
		     ",\"lost\":" + std::to_string(st.lost) + ",\"flows_losing\":" + std::to_string(st.flows_losing) +
		     '}';
	}
	j += "]}\n";
	return j;
}

// Long format, one line per row and stage:
// kind,slot,flow,status,stage,packets,bytes  (kind: flow, other, overflow, unclassified)
inline std::string export_csv(const table_snapshot &s, const export_options &o = {})
{
	const detail::selection sel(s, o);
	std::string c = "kind,slot,flow,status,stage,packets,bytes\n";
	auto rows = [&](const char *kind, const std::string &slot, const std::string &flow, const char *status,
			const pktpath_counter *row) {
		for (unsigned st = 0; st < s.stage_count(); st++) {
			c += kind;
			c += ',' + slot + ',';
			detail::csv_field(c, flow);
			c += ',';
			c += status;
			c += ',';
			detail::csv_field(c, s.stage_name(st));
			c += ',' + std::to_string(row[st].packets) + ',' + std::to_string(row[st].bytes) + '\n';
		}
	};
	for (std::size_t i : sel.top)
		rows("flow", std::to_string(s.slot(i)), flow_text(s, i), "", s.row(i));
	rows("other", "", std::to_string(sel.other_flows) + " flows", "", sel.other.data());
	rows("overflow", "", "", "", &s.overflow(0));
	for (unsigned r = 0; r < s.status_count(); r++)
		rows("unclassified", "", "", pktpath_status_name(r), &s.unclassified(r, 0));
	return c;
}

// The table's families into w (whose prefix is the metric prefix), for a
// tool that adds its own families around them.
inline void write_prometheus(prometheus_writer &w, const table_snapshot &s, const export_options &o = {})
{
	const detail::selection sel(s, o);
	for (int bytes = 0; bytes < 2; bytes++) {
		const std::string unit = bytes ? "bytes" : "packets";
		auto v = [&](const pktpath_counter &c) { return bytes ? c.bytes : c.packets; };

		w.family("_stage_" + unit + "_total", "counter",
			 "Total " + unit + " counted at each stage (flows, overflow and unclassified).");
		for (unsigned st = 0; st < s.stage_count(); st++)
			w.sample("_stage_" + unit + "_total", {{"stage", s.stage_name(st)}}, v(s.total(st)));

		w.family("_flow_" + unit + "_total", "counter",
			 "Total " + unit + " per flow and stage: the top flows by packets at " +
				 s.stage_name(o.order_stage < s.stage_count() ? o.order_stage : 0) +
				 ", the rest summed as flow=\"other\".");
		for (std::size_t i : sel.top)
			for (unsigned st = 0; st < s.stage_count(); st++)
				w.sample("_flow_" + unit + "_total",
					 {{"stage", s.stage_name(st)}, {"flow", flow_text(s, i)}}, v(s.at(i, st)));
		for (unsigned st = 0; st < s.stage_count(); st++)
			w.sample("_flow_" + unit + "_total", {{"stage", s.stage_name(st)}, {"flow", "other"}},
				 v(sel.other[st]));

		w.family("_overflow_" + unit + "_total", "counter",
			 "Total " + unit + " of flows the table had no slot for, per stage.");
		for (unsigned st = 0; st < s.stage_count(); st++)
			w.sample("_overflow_" + unit + "_total", {{"stage", s.stage_name(st)}}, v(s.overflow(st)));

		w.family("_unclassified_" + unit + "_total", "counter",
			 "Total " + unit + " without a flow key, per stage and parse status.");
		for (unsigned r = 0; r < s.status_count(); r++)
			for (unsigned st = 0; st < s.stage_count(); st++)
				w.sample("_unclassified_" + unit + "_total",
					 {{"stage", s.stage_name(st)}, {"status", pktpath_status_name(r)}},
					 v(s.unclassified(r, st)));
	}
	const funnel f = make_funnel(s);
	w.family(
		"_lost_packets", "gauge",
		"Packets at a stage minus packets at the stages that follow it; negative while packets are in flight.");
	for (const funnel_step &st : f.steps)
		w.sample("_lost_packets", {{"from", s.stage_name(st.from)}, {"to", step_targets(s, st)}},
			 std::to_string(st.lost));
	w.family("_table_flows", "gauge", "Flows stored in the table.");
	w.sample("_table_flows", {}, s.flow_count());
	w.family("_table_capacity", "gauge", "Flow slots in the table.");
	w.sample("_table_capacity", {}, s.header().capacity);
}

inline std::string export_prometheus(const table_snapshot &s, const export_options &o = {})
{
	prometheus_writer w(o.prefix);
	write_prometheus(w, s, o);
	return w.take();
}

inline std::string export_snapshot(const table_snapshot &s, export_format f, const export_options &o = {})
{
	switch (f) {
	case export_format::json:
		return export_json(s, o);
	case export_format::csv:
		return export_csv(s, o);
	case export_format::prometheus:
		return export_prometheus(s, o);
	case export_format::text:
		break;
	}
	return export_text(s, o);
}

// To a stream; false on a write error.
inline bool export_snapshot(std::FILE *out, const table_snapshot &s, export_format f, const export_options &o = {})
{
	const std::string t = export_snapshot(s, f, o);
	return std::fwrite(t.data(), 1, t.size(), out) == t.size();
}

// Into buf (snprintf semantics): writes at most len - 1 bytes and a NUL,
// returns the full length, so a return >= len means truncated.
inline std::size_t export_snapshot(char *buf, std::size_t len, const table_snapshot &s, export_format f,
				   const export_options &o = {})
{
	const std::string t = export_snapshot(s, f, o);
	if (len) {
		const std::size_t n = t.size() < len - 1 ? t.size() : len - 1;
		std::memcpy(buf, t.data(), n);
		buf[n] = '\0';
	}
	return t.size();
}

} // namespace pktpath

#endif // PKTPATH_TABLE_EXPORT_HPP
