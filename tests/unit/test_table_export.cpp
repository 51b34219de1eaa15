// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Export formats: JSON parsed back, CSV and Prometheus sums checked against
// the snapshot, Prometheus validated by promtool when installed, bounded
// cardinality, escaping, key text, and the FILE* and buffer outputs.
#include <pktpath/table/export.hpp>
#include <pktpath/table/stage_table.hpp>

#include <arpa/inet.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "test_table_util.hpp"

using namespace pktpath;
using table_test::key;
using rx = linux_rx;

namespace {

// Stage names that need escaping in every format.
struct odd {
	static constexpr stage_def stages[] = {{"rx\"q\\", no_pred}, {"x,y", 0}};
};

// A small JSON reader, enough to read the export back.
struct json {
	enum kind_t { null, boolean, number, string, array, object } kind = null;
	double num = 0;
	std::string str;
	std::vector<json> items;
	std::map<std::string, json> fields;

	const json &operator[](const std::string &k) const
	{
		static const json none;
		auto it = fields.find(k);
		return it == fields.end() ? none : it->second;
	}
	const json &operator[](std::size_t i) const { return items.at(i); }
	std::uint64_t u() const { return static_cast<std::uint64_t>(num); }
};

class json_parser {
public:
	explicit json_parser(const std::string &t) : t_(t) {}
	bool parse(json &out) { return value(out) && (ws(), p_ == t_.size()); }

private:
	void ws()
	{
		while (p_ < t_.size() && std::strchr(" \t\r\n", t_[p_]))
			p_++;
	}
	bool lit(const char *s)
	{
		std::size_t n = std::strlen(s);
		if (t_.compare(p_, n, s) != 0)
			return false;
		p_ += n;
		return true;
	}
	bool str(std::string &s)
	{
		if (t_[p_++] != '"')
			return false;
		while (p_ < t_.size() && t_[p_] != '"') {
			char c = t_[p_++];
			if (c == '\\') {
				char e = t_[p_++];
				if (e == 'u') {
					s += static_cast<char>(std::stoi(t_.substr(p_, 4), nullptr, 16));
					p_ += 4;
				} else {
					s += e == 'n' ? '\n' : e == 't' ? '\t' : e;
				}
			} else {
				s += c;
			}
		}
		return p_++ < t_.size();
	}
	bool value(json &v)
	{
		ws();
		if (p_ >= t_.size())
			return false;
		char c = t_[p_];
		if (c == '{') {
			v.kind = json::object;
			p_++;
			ws();
			if (t_[p_] == '}')
				return ++p_, true;
			for (;;) {
				std::string k;
				ws();
				if (!str(k))
					return false;
				ws();
				if (t_[p_++] != ':' || !value(v.fields[k]))
					return false;
				ws();
				if (t_[p_] == ',') {
					p_++;
					continue;
				}
				return t_[p_++] == '}';
			}
		}
		if (c == '[') {
			v.kind = json::array;
			p_++;
			ws();
			if (t_[p_] == ']')
				return ++p_, true;
			for (;;) {
				v.items.emplace_back();
				if (!value(v.items.back()))
					return false;
				ws();
				if (t_[p_] == ',') {
					p_++;
					continue;
				}
				return t_[p_++] == ']';
			}
		}
		if (c == '"') {
			v.kind = json::string;
			return str(v.str);
		}
		if (lit("null"))
			return true;
		if (lit("true") || lit("false")) {
			v.kind = json::boolean;
			return true;
		}
		std::size_t used = 0;
		v.kind = json::number;
		v.num = std::stod(t_.substr(p_), &used);
		p_ += used;
		return used > 0;
	}

	const std::string &t_;
	std::size_t p_ = 0;
};

// 40 flows (TCP and UDP) with drops, table of 32 slots (overflow), unclassified packets.
stage_table<> &sample_table()
{
	static stage_table<> t = [] {
		auto tbl = stage_table<>::create(32);
		for (std::uint32_t i = 0; i < 40; i++) {
			const flow_key k = key(i, i % 4 ? 6 : 17);
			const unsigned l4 = k.proto == 6 ? rx::tcp_v4_rcv : rx::udp_rcv;
			for (std::uint32_t n = 0; n < 10 + i; n++) {
				const unsigned last = n % 7 == 0 ? rx::netif_receive_skb : l4; // some dropped early
				for (unsigned st = 0; st <= rx::ip_rcv && st <= last; st++)
					tbl.count(st, k, 100 + i);
				if (last == l4)
					tbl.count(l4, k, 100 + i);
			}
		}
		tbl.count_unclassified(rx::eth_type_trans, PKTPATH_TRUNCATED, 30);
		tbl.count_unclassified(rx::eth_type_trans, PKTPATH_UNSUPPORTED_L3, 42);
		tbl.count_unclassified(rx::napi_gro_receive, PKTPATH_UNSUPPORTED_L3, 42);
		return tbl;
	}();
	return t;
}

// Sample lines of a Prometheus exposition: name{labels} value.
struct sample {
	std::string name;
	std::map<std::string, std::string> labels;
	double value;
};

std::vector<sample> prom_samples(const std::string &text)
{
	std::vector<sample> out;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		sample s;
		std::size_t brace = line.find('{'), space = line.rfind(' ');
		REQUIRE(space != std::string::npos);
		s.name = line.substr(0, brace < space ? brace : space);
		if (brace < space) {
			std::size_t p = brace + 1;
			while (line[p] != '}') {
				std::size_t eq = line.find('=', p);
				std::string k = line.substr(p, eq - p), v;
				p = eq + 2;
				for (; line[p] != '"'; p++) {
					if (line[p] == '\\') {
						p++;
						v += line[p] == 'n' ? '\n' : line[p];
					} else {
						v += line[p];
					}
				}
				s.labels[k] = v;
				p++;
				if (line[p] == ',')
					p++;
			}
		}
		s.value = std::stod(line.substr(space + 1));
		out.push_back(s);
	}
	return out;
}

std::string promtool_path()
{
	for (const char *p : {"/usr/bin/promtool", "/usr/local/bin/promtool"})
		if (access(p, X_OK) == 0)
			return p;
	return {};
}

// promtool check metrics < file: its exit status and output.
int promtool_check(const std::string &tool, const std::string &text, std::string &output)
{
	char path[] = "/tmp/pktpath-promXXXXXX";
	int fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
	close(fd);
	const std::string cmd = tool + " check metrics < " + path + " 2>&1";
	std::FILE *p = popen(cmd.c_str(), "r");
	REQUIRE(p);
	char buf[512];
	while (std::fgets(buf, sizeof buf, p))
		output += buf;
	int status = pclose(p);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

} // namespace

TEST_CASE("JSON export reads back with the snapshot's numbers", "[table][export]")
{
	const table_snapshot s(sample_table().view());
	export_options o;
	o.top_n = 3;
	o.order_stage = rx::ip_rcv;
	const std::string text = export_json(s, o);
	json j;
	REQUIRE(json_parser(text).parse(j));

	REQUIRE(j["stages"].items.size() == 6);
	CHECK(j["stages"][0]["name"].str == "eth_type_trans");
	CHECK(j["stages"][0]["pred"].kind == json::null);
	CHECK(j["stages"][5]["pred"].u() == rx::ip_rcv);
	CHECK(j["capacity"].u() == 32);
	CHECK(j["flow_count"].u() == s.flow_count());
	REQUIRE(j["flows"].items.size() == 3);
	CHECK(j["other"]["flow_count"].u() == s.flow_count() - 3);

	const auto top = s.top(3, rx::ip_rcv);
	for (std::size_t n = 0; n < 3; n++) {
		const json &f = j["flows"][n];
		CHECK(f["slot"].u() == s.slot(top[n]));
		CHECK(f["flow"].str == flow_text(s, top[n]));
		const flow_key k = s.key_as<flow_key>(top[n]);
		char src[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, k.src, src, sizeof src);
		CHECK(f["key"]["src"].str == src);
		CHECK(f["key"]["sport"].u() == k.sport);
		CHECK(f["key"]["proto"].u() == k.proto);
		for (unsigned st = 0; st < 6; st++) {
			CHECK(f["packets"][st].u() == s.at(top[n], st).packets);
			CHECK(f["bytes"][st].u() == s.at(top[n], st).bytes);
		}
	}
	// Conservation, read from the JSON alone.
	for (unsigned st = 0; st < 6; st++) {
		std::uint64_t sum = j["other"]["packets"][st].u() + j["overflow"]["packets"][st].u();
		for (const json &f : j["flows"].items)
			sum += f["packets"][st].u();
		for (const json &u : j["unclassified"].items)
			sum += u["packets"][st].u();
		CHECK(sum == j["totals"]["packets"][st].u());
		CHECK(sum == s.total(st).packets);
	}
	CHECK(j["overflow"]["packets"][0].u() > 0);
	CHECK(j["unclassified"][PKTPATH_UNSUPPORTED_L3]["status"].str == "unsupported_l3");
	CHECK(j["unclassified"][PKTPATH_UNSUPPORTED_L3]["packets"][1].u() == 1);

	const funnel f = make_funnel(s);
	REQUIRE(j["funnel"].items.size() == f.steps.size());
	const json &l4 = j["funnel"][3];
	CHECK(l4["from"].str == "ip_rcv");
	REQUIRE(l4["to"].items.size() == 2);
	CHECK(l4["to"][1].str == "udp_rcv");
	CHECK(static_cast<std::int64_t>(l4["lost"].num) == f.steps[3].lost);
	CHECK(j["funnel"][1]["lost"].u() > 0); // the early drops
}

TEST_CASE("CSV export: one line per row and stage, sums match", "[table][export]")
{
	const table_snapshot s(sample_table().view());
	export_options o;
	o.top_n = 5;
	const std::string csv = export_csv(s, o);
	std::istringstream in(csv);
	std::string line;
	REQUIRE(std::getline(in, line));
	CHECK(line == "kind,slot,flow,status,stage,packets,bytes");
	std::map<std::string, std::uint64_t> per_stage;
	std::map<std::string, int> kinds;
	while (std::getline(in, line)) {
		std::vector<std::string> f;
		std::stringstream ls(line);
		std::string cell;
		while (std::getline(ls, cell, ','))
			f.push_back(cell);
		REQUIRE(f.size() == 7);
		kinds[f[0]]++;
		per_stage[f[4]] += std::stoull(f[5]);
	}
	CHECK(kinds["flow"] == 5 * 6);
	CHECK(kinds["other"] == 6);
	CHECK(kinds["overflow"] == 6);
	CHECK(kinds["unclassified"] == static_cast<int>(PKTPATH_STATUS_COUNT * 6));
	for (unsigned st = 0; st < 6; st++)
		CHECK(per_stage[s.stage_name(st)] == s.total(st).packets);
}

TEST_CASE("Prometheus export: valid exposition, bounded series, sums match", "[table][export]")
{
	const table_snapshot s(sample_table().view());
	export_options o;
	o.top_n = 4;
	const std::string text = export_prometheus(s, o);
	const auto samples = prom_samples(text);

	std::map<std::string, std::uint64_t> stage_total, parts;
	std::size_t flow_series = 0;
	for (const sample &m : samples) {
		const std::string &st = m.labels.count("stage") ? m.labels.at("stage") : std::string();
		if (m.name == "pktpath_stage_packets_total")
			stage_total[st] = static_cast<std::uint64_t>(m.value);
		if (m.name == "pktpath_flow_packets_total" || m.name == "pktpath_overflow_packets_total" ||
		    m.name == "pktpath_unclassified_packets_total")
			parts[st] += static_cast<std::uint64_t>(m.value);
		if (m.name == "pktpath_flow_packets_total" && st == "ip_rcv")
			flow_series++;
	}
	CHECK(flow_series == 4 + 1); // top_n plus "other"
	REQUIRE(stage_total.size() == 6);
	for (unsigned st = 0; st < 6; st++) {
		CHECK(stage_total[s.stage_name(st)] == s.total(st).packets);
		CHECK(parts[s.stage_name(st)] == s.total(st).packets);
	}
	CHECK(text.find("pktpath_lost_packets{from=\"ip_rcv\",to=\"tcp_v4_rcv|udp_rcv\"}") != std::string::npos);
	CHECK(text.find("flow=\"other\"") != std::string::npos);
	CHECK(text.find("pktpath_table_capacity 32\n") != std::string::npos);

	const std::string tool = promtool_path();
	if (tool.empty()) {
		WARN("promtool not installed: Prometheus output not validated (apt-get install prometheus)");
		return;
	}
	std::string out;
	const int rc = promtool_check(tool, text, out);
	INFO(out);
	CHECK(rc == 0);
	o.prefix = "node_pktpath";
	o.top_n = 100;
	std::string out2;
	const int rc2 = promtool_check(tool, export_prometheus(s, o), out2);
	INFO(out2);
	CHECK(rc2 == 0);
}

TEST_CASE("export escapes names in every format", "[table][export]")
{
	auto t = stage_table<flow_key, odd>::create(16);
	t.count(0, key(1), 10);
	t.count(1, key(1), 10);
	const table_snapshot s(t.view());

	json j;
	const std::string js = export_json(s);
	REQUIRE(json_parser(js).parse(j));
	CHECK(j["stages"][0]["name"].str == "rx\"q\\");

	const std::string csv = export_csv(s);
	CHECK(csv.find(",\"x,y\",") != std::string::npos);
	CHECK(csv.find(",\"rx\"\"q\\\",") != std::string::npos);

	const std::string prom = export_prometheus(s);
	const auto samples = prom_samples(prom);
	bool seen = false;
	for (const sample &m : samples)
		seen |= m.name == "pktpath_stage_packets_total" && m.labels.at("stage") == "rx\"q\\";
	CHECK(seen);
	const std::string tool = promtool_path();
	if (!tool.empty()) {
		std::string out;
		const int rc = promtool_check(tool, prom, out);
		INFO(out);
		CHECK(rc == 0);
	}
}

TEST_CASE("prometheus_writer: families, samples with and without labels, escaping", "[table][export]")
{
	prometheus_writer w("app");
	w.family("_runs_total", "counter", "Runs\\ended\non a new line.");
	w.sample("_runs_total", {{"why", "a \"quoted\\ value\nhere"}, {"n", "2"}}, 7);
	w.sample("_runs_total", {}, std::uint64_t{18446744073709551615u});
	w.sample("_lost", {{"from", "x"}}, "-3");
	CHECK(w.text() == "# HELP app_runs_total Runs\\\\ended\\non a new line.\n"
			  "# TYPE app_runs_total counter\n"
			  "app_runs_total{why=\"a \\\"quoted\\\\ value\\nhere\",n=\"2\"} 7\n"
			  "app_runs_total 18446744073709551615\n"
			  "app_lost{from=\"x\"} -3\n");
}

TEST_CASE("human table, funnel lines, FILE* and buffer outputs", "[table][export]")
{
	const table_snapshot s(sample_table().view());
	export_options o;
	o.top_n = 2;
	const std::string text = export_text(s, o);
	CHECK(text.find("\nflow ") == text.find('\n')); // the header line follows the title
	CHECK(text.find("netif_receive_skb") != std::string::npos);
	CHECK(text.find("other (" + std::to_string(s.flow_count() - 2) + " flows)") != std::string::npos);
	CHECK(text.find("\noverflow ") != std::string::npos);
	CHECK(text.find("\nunclassified unsupported_l3 ") != std::string::npos);
	CHECK(text.find("\nunclassified malformed") == std::string::npos); // empty rows omitted
	const funnel f = make_funnel(s);
	CHECK(text.find(describe_step(s, f.steps[1], f.steps[1].lost) + " (") != std::string::npos);

	std::FILE *tmp = std::tmpfile();
	REQUIRE(export_snapshot(tmp, s, export_format::json, o));
	std::rewind(tmp);
	std::string back;
	char buf[4096];
	for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, tmp)) > 0;)
		back.append(buf, n);
	std::fclose(tmp);
	CHECK(back == export_json(s, o));

	char small[16];
	const std::size_t full = export_snapshot(small, sizeof small, s, export_format::csv, o);
	CHECK(full == export_csv(s, o).size());
	CHECK(std::strlen(small) == sizeof small - 1);
	CHECK(std::string(small) == export_csv(s, o).substr(0, sizeof small - 1));
	CHECK(export_snapshot(nullptr, 0, s, export_format::prometheus, o) == export_prometheus(s, o).size());
}

TEST_CASE("flow text of IPv4, IPv6, 16-byte and opaque keys", "[table][export]")
{
	auto t6 = stage_table<>::create(16);
	flow_key k{};
	REQUIRE(inet_pton(AF_INET6, "2001:db8::1", k.src) == 1);
	REQUIRE(inet_pton(AF_INET6, "2001:db8::2", k.dst) == 1);
	k.sport = 443;
	k.dport = 50000;
	k.proto = 17;
	k.vlan = 7;
	k.flags = PKTPATH_KEY_IPV6 | PKTPATH_KEY_PORTS;
	t6.count(0, k, 1);
	flow_key icmp = key(3, 1);
	icmp.sport = icmp.dport = 0;
	icmp.flags = PKTPATH_KEY_IPV4;
	t6.count(0, icmp, 1);
	const table_snapshot s6(t6.view());
	std::vector<std::string> texts;
	for (std::size_t i = 0; i < s6.flow_count(); i++)
		texts.push_back(flow_text(s6, i));
	CHECK(std::count(texts.begin(), texts.end(), "udp [2001:db8::1]:443 > [2001:db8::2]:50000 vlan 7") == 1);
	CHECK(std::count(texts.begin(), texts.end(), "icmp 10.0.0.3 > 192.0.2.1") == 1);

	auto tah = stage_table<>::create(16);
	flow_key ah = key(4, 1);
	ah.sport = ah.dport = 0;
	ah.proto = PKTPATH_IPPROTO_AH;
	ah.flags = PKTPATH_KEY_IPV4;
	tah.count(0, ah, 1);
	flow_key unnamed = ah;
	unnamed.proto = 200;
	tah.count(0, unnamed, 1);
	const table_snapshot sah(tah.view());
	std::vector<std::string> ah_texts{flow_text(sah, 0), flow_text(sah, 1)};
	CHECK(std::count(ah_texts.begin(), ah_texts.end(), "ah 10.0.0.4 > 192.0.2.1") == 1);
	CHECK(std::count(ah_texts.begin(), ah_texts.end(), "proto-200 10.0.0.4 > 192.0.2.1") == 1);

	auto t4 = stage_table<ipv4_5tuple>::create(16);
	t4.count(0, table_test::key4(258), 1);
	CHECK(flow_text(table_snapshot(t4.view()), 0) == "tcp 10.0.1.2:1282 > 192.0.2.1:80");

	struct opaque {
		std::uint32_t id;
		std::uint32_t port;
	};
	auto to = stage_table<opaque>::create(16);
	to.count(0, opaque{0x01020304u, 0xa0b0c0d0u}, 1);
	CHECK(flow_text(table_snapshot(to.view()), 0) == "04030201d0c0b0a0");
}
