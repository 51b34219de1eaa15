// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The frames of several capture files, in order, each with its arrival time
// on the replay's clock (timeline.hpp).  A file that cannot be opened, or
// whose walk ends with an error, is recorded with the error and its byte
// offset, and the feed goes on with the next file: one bad file does not
// lose the others.  Every reader stays open until the feed is destroyed, so
// descriptors still queued in a model may point into an earlier file.  "-"
// is standard input; it and other paths that are not regular files (pipes,
// FIFOs) are streamed (capture/input.hpp), their frames valid while they
// are less than default_stream_options().keep bytes behind the cursor.
//
//   capture_feed feed(paths, timing{}, reader_options);
//   capture::frame f; std::uint64_t at;
//   while (feed.next(f, at)) ...
//   for (const auto &s : feed.files()) if (s.err) ...s.path, s.err.message...
#ifndef PKTPATH_REPLAY_FEED_HPP
#define PKTPATH_REPLAY_FEED_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../capture/input.hpp"
#include "timeline.hpp"

namespace pktpath::replay {

struct file_status {
	std::string path;
	capture::format fmt = capture::format::unknown;
	bool opened = false;
	std::uint64_t frames = 0;
	std::uint64_t bytes = 0; // captured bytes of its frames
	std::uint64_t size = 0;  // file size (streamed: the bytes read)
	capture::error err;      // code none: read to the end
};

class capture_feed {
public:
	// Streaming default: every 8 MiB, pages more than 8 MiB behind the
	// cursor leave the resident set, so memory does not grow with the file;
	// frames the model still holds (at most a few MiB with the default
	// knobs: ring, backlogs, handoffs) stay mapped.
	static capture::reader_options default_reader_options()
	{
		capture::reader_options o;
		o.release_behind = std::size_t{8} << 20;
		o.guard_truncation = true; // a capture cut while replayed ends its file with errc::shrunk
		return o;
	}

	// A stream keeps as much behind its cursor as a mapped file keeps resident.
	static capture::stream_options default_stream_options()
	{
		capture::stream_options o;
		o.keep = std::size_t{8} << 20;
		return o;
	}

	capture_feed(std::vector<std::string> paths, const timing &t,
		     const capture::reader_options &ro = default_reader_options(),
		     const capture::stream_options &so = default_stream_options())
	    : ro_(ro), so_(so), clock_(t)
	{
		for (std::string &p : paths) {
			file_status s;
			s.path = static_cast<std::string &&>(p);
			files_.push_back(static_cast<file_status &&>(s));
		}
	}

	// The next frame and its arrival (ns); false when every file is done.
	bool next(capture::frame &f, std::uint64_t &arrival)
	{
		for (;;) {
			if (cur_ && cur_->next(f)) {
				file_status &s = files_[at_ - 1];
				++s.frames;
				s.bytes += f.caplen;
				if (frames_++ == 0)
					first_linktype_ = f.linktype;
				arrival = clock_.arrival(f.ts_ns, f.origlen);
				return true;
			}
			if (cur_) {
				files_[at_ - 1].err = cur_->err();
				files_[at_ - 1].size = cur_->size();
				done_bytes_ += cur_->size();
				cur_ = nullptr;
			}
			if (at_ == files_.size())
				return false;
			open_next();
		}
	}

	const std::vector<file_status> &files() const { return files_; }
	bool failed() const
	{
		for (const file_status &s : files_)
			if (s.err)
				return true;
		return false;
	}
	std::uint64_t frames() const { return frames_; }
	// Progress: bytes of the files walked so far.
	std::uint64_t position() const { return done_bytes_ + (cur_ ? cur_->position() : 0); }
	// The first frame's link type (Ethernet before any frame).
	std::uint32_t first_linktype() const { return first_linktype_; }

private:
	void open_next()
	{
		file_status &s = files_[at_++];
		readers_.push_back(std::make_unique<capture::input>(ro_, so_));
		capture::input &r = *readers_.back();
		if (!r.open(s.path.c_str())) {
			s.err = r.err();
			s.fmt = r.fmt();
			return;
		}
		s.opened = true;
		s.fmt = r.fmt();
		s.size = r.size();
		clock_.start_file();
		cur_ = &r;
	}

	capture::reader_options ro_;
	capture::stream_options so_;
	timeline clock_;
	std::vector<file_status> files_;
	std::vector<std::unique_ptr<capture::input>> readers_;
	capture::input *cur_ = nullptr;
	std::size_t at_ = 0; // files opened so far
	std::uint64_t frames_ = 0;
	std::uint64_t done_bytes_ = 0;
	std::uint32_t first_linktype_ = 1;
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_FEED_HPP
