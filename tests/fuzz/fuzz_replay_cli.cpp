// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-replay's option and filter parsing (examples/replay_options.hpp,
// the tool's own parser) on any command line: the input split at NUL bytes
// into arguments.  It exits (0 after --help, 2 after a usage message) or
// yields options the model accepts, with at least one capture, a timing the
// simulation can run, and a filter whose text form it would parse again.
#include "../../examples/replay_options.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	std::vector<std::string> args{"pktpath-replay"};
	std::string cur;
	for (std::size_t i = 0; i < size && args.size() < 64; i++) {
		if (data[i] == 0) {
			args.push_back(cur);
			cur.clear();
		} else {
			cur += static_cast<char>(data[i]);
		}
	}
	if (!cur.empty() && args.size() < 64)
		args.push_back(cur);
	std::vector<char *> argv;
	for (std::string &a : args)
		argv.push_back(&a[0]);
	argv.push_back(nullptr);

	pktpath_replay_cli::options o;
	const int rc = pktpath_replay_cli::parse_options(static_cast<int>(args.size()), argv.data(), o);
	PKTPATH_FUZZ_CHECK(rc == -1 || rc == 0 || rc == 2);
	if (rc != -1)
		return 0;
	PKTPATH_FUZZ_CHECK(!o.files.empty());
	PKTPATH_FUZZ_CHECK(o.k.check() == nullptr);
	using kind = pktpath::replay::timing::kind;
	PKTPATH_FUZZ_CHECK(o.live || o.tm.k != kind::asap);
	if (o.tm.k == kind::original)
		PKTPATH_FUZZ_CHECK(std::isfinite(o.tm.speed) && o.tm.speed > 0);
	if (o.tm.k == kind::pps || o.tm.k == kind::bps)
		PKTPATH_FUZZ_CHECK(std::isfinite(o.tm.rate) && o.tm.rate > 0);
	// The filter's text is "criterion value and criterion value ...": each pair parses again.
	const std::string text = o.filter.text();
	pktpath::replay::flow_filter again;
	std::size_t at = 0;
	while (at < text.size()) {
		const std::size_t sp = text.find(' ', at);
		PKTPATH_FUZZ_CHECK(sp != std::string::npos);
		std::size_t end = text.find(" and ", sp + 1);
		end = end == std::string::npos ? text.size() : end;
		char why[128];
		PKTPATH_FUZZ_CHECK(again.set(text.substr(at, sp - at).c_str(),
					     text.substr(sp + 1, end - sp - 1).c_str(), why, sizeof why));
		at = end == text.size() ? end : end + 5;
	}
	PKTPATH_FUZZ_CHECK(again.text() == text);
	return 0;
}
