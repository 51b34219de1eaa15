// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A file shrinking under a mapping of it (another process truncates the
// capture being read) makes every access past the new end raise SIGBUS,
// whose default action kills the process.  This guard turns such a fault on
// a registered mapping into a page of zeros and a flag: the faulting load is
// re-executed and reads zeros, and the reader that owns the mapping, which
// checks the flag after every record, ends its walk with errc::shrunk.
//
// It is a process-wide SIGBUS handler, installed when the first guarded
// mapping is registered.  A fault outside every registered mapping goes to
// the disposition the handler replaced (the default: the process dies, as
// it would have).  The handler only reads the registry's atomics and calls
// mmap, which Linux performs as a plain system call.
#ifndef PKTPATH_CAPTURE_DETAIL_SIGBUS_GUARD_HPP
#define PKTPATH_CAPTURE_DETAIL_SIGBUS_GUARD_HPP

#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

namespace pktpath::capture::detail {

class sigbus_guard {
public:
	// Guarded mappings open at once; beyond them add() refuses.
	static constexpr std::size_t max_ranges = 1024;
	static constexpr std::uint64_t no_fault = ~std::uint64_t{0};

	// A slot for [p, p + n), or -1 when every slot is taken or the handler
	// cannot be installed.
	static int add(const void *p, std::size_t n)
	{
		state &s = get();
		{
			std::lock_guard<std::mutex> lk(s.install_lock);
			if (!s.installed) {
				s.page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
				struct sigaction sa = {};
				sa.sa_sigaction = &on_sigbus;
				sa.sa_flags = SA_SIGINFO | SA_NODEFER;
				sigemptyset(&sa.sa_mask);
				if (::sigaction(SIGBUS, &sa, &s.previous) != 0)
					return -1;
				s.installed = true;
			}
		}
		for (std::size_t i = 0; i < max_ranges; i++) {
			range &r = s.ranges[i];
			std::uintptr_t free = 0;
			// Claims the slot; the handler ignores it until end is set.
			if (r.begin.compare_exchange_strong(free, reinterpret_cast<std::uintptr_t>(p),
							    std::memory_order_acq_rel)) {
				r.first_fault.store(no_fault, std::memory_order_relaxed);
				// Release: pairs with the handler's acquire of end.
				r.end.store(reinterpret_cast<std::uintptr_t>(p) + n, std::memory_order_release);
				return static_cast<int>(i);
			}
		}
		return -1;
	}

	// Before the mapping goes away.
	static void remove(int slot)
	{
		range &r = get().ranges[slot];
		r.end.store(0, std::memory_order_release);
		r.begin.store(0, std::memory_order_release);
	}

	// Offset in the mapping of the first page that faulted, or no_fault.
	static std::uint64_t first_fault(int slot)
	{
		return get().ranges[slot].first_fault.load(std::memory_order_acquire);
	}

private:
	struct range {
		std::atomic<std::uintptr_t> begin{0};
		std::atomic<std::uintptr_t> end{0};
		std::atomic<std::uint64_t> first_fault{no_fault};
	};
	struct state {
		range ranges[max_ranges];
		std::mutex install_lock;
		bool installed = false;
		std::uintptr_t page = 4096;
		struct sigaction previous = {};
	};
	static_assert(std::atomic<std::uintptr_t>::is_always_lock_free &&
			      std::atomic<std::uint64_t>::is_always_lock_free,
		      "the handler may only touch lock-free atomics");

	static state &get()
	{
		static state s;
		return s;
	}

	static void on_sigbus(int sig, siginfo_t *info, void *ctx)
	{
		state &s = get();
		const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
		for (range &r : s.ranges) {
			// Acquire: pairs with add()'s release of end.
			const std::uintptr_t end = r.end.load(std::memory_order_acquire);
			const std::uintptr_t begin = r.begin.load(std::memory_order_relaxed);
			if (end == 0 || addr < begin || addr >= end)
				continue;
			const std::uintptr_t page = addr & ~(s.page - 1);
			if (::mmap(reinterpret_cast<void *>(page), s.page, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
				break;
			const std::uint64_t off = page > begin ? page - begin : 0;
			std::uint64_t seen = r.first_fault.load(std::memory_order_relaxed);
			while (off < seen && !r.first_fault.compare_exchange_weak(seen, off, std::memory_order_release))
				;
			return; // the access is re-executed and reads zeros
		}
		// Not a guarded mapping: what would have happened without us.
		if ((s.previous.sa_flags & SA_SIGINFO) && s.previous.sa_sigaction != nullptr) {
			s.previous.sa_sigaction(sig, info, ctx);
		} else if (s.previous.sa_handler != SIG_DFL && s.previous.sa_handler != SIG_IGN) {
			s.previous.sa_handler(sig);
		} else {
			// Re-executing the access raises SIGBUS again, now with the default action.
			::signal(SIGBUS, SIG_DFL);
		}
	}
};

} // namespace pktpath::capture::detail

#endif // PKTPATH_CAPTURE_DETAIL_SIGBUS_GUARD_HPP
