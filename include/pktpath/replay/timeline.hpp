// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// When each replayed frame reaches the NIC, in nanoseconds from the start of
// the replay: the capture's own timing scaled by a speed factor, a fixed
// packet rate, a fixed bit rate (line rate), or none at all ("as fast as the
// producer can", for live mode).  Arrival times never go backwards.
//
// Original timing over several files: the first file starts at 0; each later
// file starts where the capture timestamps say (relative to the first file's
// first frame) unless that is earlier than the previous file's last arrival,
// in which case it follows it back to back.  A timestamp that goes backwards
// within a file arrives together with the frame before it.
#ifndef PKTPATH_REPLAY_TIMELINE_HPP
#define PKTPATH_REPLAY_TIMELINE_HPP

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace pktpath::replay {

struct timing {
	enum class kind : std::uint8_t { original, pps, bps, asap };
	kind k = kind::original;
	double speed = 1.0; // original: capture time divided by this
	double rate = 0;    // pps: frames per second; bps: bits per second on the wire

	// "2x", "0.5x", "2", or "max" (asap).  False for anything else.
	bool parse_speed(const char *s)
	{
		if (std::strcmp(s, "max") == 0) {
			k = kind::asap;
			return true;
		}
		char *end = nullptr;
		const double v = std::strtod(s, &end);
		if (end == s || !(v > 0) || v > 1e9 || (*end != '\0' && std::strcmp(end, "x") != 0))
			return false;
		k = kind::original;
		speed = v;
		return true;
	}

	// "1Mpps", "250kpps", "1000" (pps), "10Gbps", "100Mbps", "1e6pps".
	bool parse_rate(const char *s)
	{
		char *end = nullptr;
		double v = std::strtod(s, &end);
		if (end == s || !(v > 0))
			return false;
		double scale = 1;
		if (*end == 'k' || *end == 'K')
			scale = 1e3, ++end;
		else if (*end == 'M')
			scale = 1e6, ++end;
		else if (*end == 'G')
			scale = 1e9, ++end;
		kind kk;
		if (*end == '\0' || std::strcmp(end, "pps") == 0)
			kk = kind::pps;
		else if (std::strcmp(end, "bps") == 0 || std::strcmp(end, "bit") == 0)
			kk = kind::bps;
		else
			return false;
		v *= scale;
		if (v > 1e13)
			return false;
		k = kk;
		rate = v;
		return true;
	}
};

class timeline {
public:
	// Ethernet on the wire: the frame (at least 60 bytes) plus FCS, preamble
	// and inter-frame gap, so 64-byte frames at 10 Gbit/s are 14.88 Mpps.
	static constexpr std::uint64_t wire_overhead = 4 + 8 + 12;

	explicit timeline(const timing &t) : t_(t) {}

	// The next frame is the first of a new file.
	void start_file() { file_start_ = true; }

	std::uint64_t arrival(std::uint64_t ts_ns, std::uint32_t origlen)
	{
		std::uint64_t v = last_;
		switch (t_.k) {
		case timing::kind::original:
			if (frames_ == 0) {
				origin_ = ts_ns;
				file_ts_ = ts_ns;
				base_ = 0;
			} else if (file_start_) {
				file_ts_ = ts_ns;
				base_ = ts_ns >= origin_ ? scale(ts_ns - origin_) : 0;
				base_ = base_ > last_ ? base_ : last_;
			}
			v = base_ + (ts_ns >= file_ts_ ? scale(ts_ns - file_ts_) : 0);
			break;
		case timing::kind::pps:
			v = static_cast<std::uint64_t>(static_cast<long double>(frames_) * 1e9L / t_.rate);
			break;
		case timing::kind::bps:
			v = static_cast<std::uint64_t>(bits_ * 1e9L / t_.rate);
			bits_ += 8.0L * static_cast<long double>((origlen < 60 ? 60 : origlen) + wire_overhead);
			break;
		case timing::kind::asap:
			v = 0;
			break;
		}
		file_start_ = false;
		++frames_;
		if (v < last_)
			v = last_;
		last_ = v;
		return v;
	}

	std::uint64_t last() const { return last_; }
	const timing &config() const { return t_; }

private:
	std::uint64_t scale(std::uint64_t d) const
	{
		// Exact at 1x; long double keeps 64 bits of mantissa otherwise.
		return t_.speed == 1.0 ? d : static_cast<std::uint64_t>(static_cast<long double>(d) / t_.speed);
	}

	timing t_;
	std::uint64_t frames_ = 0;
	std::uint64_t origin_ = 0;  // first timestamp of the replay
	std::uint64_t file_ts_ = 0; // first timestamp of the current file
	std::uint64_t base_ = 0;    // arrival of the current file's first frame
	std::uint64_t last_ = 0;
	long double bits_ = 0;
	bool file_start_ = true;
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_TIMELINE_HPP
