// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The Prometheus text exposition format 0.0.4, written once for every
// exporter (the table's families, and the tools' run counters around them):
// a family is its "# HELP" and "# TYPE" lines, then its samples, every
// metric name under one prefix.  Escaping follows the format: backslash and
// newline in help texts, and the double quote too in label values.
#ifndef PKTPATH_TABLE_PROMETHEUS_HPP
#define PKTPATH_TABLE_PROMETHEUS_HPP

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace pktpath {

class prometheus_writer {
public:
	using label = std::pair<const char *, std::string>;

	// prefix: [a-zA-Z_:][a-zA-Z0-9_:]*, put in front of every name.
	explicit prometheus_writer(std::string prefix) : prefix_(static_cast<std::string &&>(prefix)) {}

	// A family's header; its samples follow.  type: "counter" or "gauge".
	void family(const std::string &name, const char *type, const std::string &help)
	{
		out_ += "# HELP " + prefix_ + name + ' ';
		escape(help, false);
		out_ += "\n# TYPE " + prefix_ + name + ' ' + type + '\n';
	}

	void sample(const std::string &name, std::initializer_list<label> labels, const std::string &value)
	{
		out_ += prefix_ + name;
		const char *sep = "{";
		for (const label &l : labels) {
			out_ += sep;
			sep = ",";
			out_ += l.first;
			out_ += "=\"";
			escape(l.second, true);
			out_ += '"';
		}
		out_ += labels.size() ? "} " : " ";
		out_ += value + '\n';
	}

	void sample(const std::string &name, std::initializer_list<label> labels, std::uint64_t value)
	{
		sample(name, labels, std::to_string(value));
	}

	const std::string &text() const { return out_; }
	std::string take() { return static_cast<std::string &&>(out_); }

private:
	void escape(const std::string &v, bool label_value)
	{
		for (char c : v) {
			if (c == '\n') {
				out_ += "\\n";
				continue;
			}
			if (c == '\\' || (label_value && c == '"'))
				out_ += '\\';
			out_ += c;
		}
	}

	std::string prefix_;
	std::string out_;
};

} // namespace pktpath

#endif // PKTPATH_TABLE_PROMETHEUS_HPP
