/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * Portability layer for the C-compatible headers: the same code compiles as
 * gnu11 C in a Linux module (Kbuild defines __KERNEL__), as C in userspace,
 * and as C++17.  Only fixed-width integers, size_t, the mem and str
 * functions, and the atomics and spin pause below are used.
 */
#ifndef PKTPATH_CONFIG_H
#define PKTPATH_CONFIG_H

#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/processor.h>
#include <asm/barrier.h>
#elif defined(__cplusplus)
#include <cstddef>
#include <cstdint>
#include <cstring>
#else
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#endif

/* Every C-compatible function is static inline: header-only in both languages. */
#define PKTPATH_INLINE static inline

#if defined(__GNUC__) || defined(__clang__)
#define PKTPATH_LIKELY(x) __builtin_expect(!!(x), 1)
#define PKTPATH_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PKTPATH_LIKELY(x) (x)
#define PKTPATH_UNLIKELY(x) (x)
#endif

/*
 * Hot path helpers the compiler must inline (so constants of the caller fold
 * into them) and cold ones it must not (unused: a static one a unit does not
 * call must not warn).  Attribute names in their reserved spelling: the
 * kernel defines noinline and cold as macros.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PKTPATH_ALWAYS_INLINE __attribute__((__always_inline__))
#define PKTPATH_NOINLINE_COLD __attribute__((__noinline__, __cold__, __unused__))
#else
#define PKTPATH_ALWAYS_INLINE
#define PKTPATH_NOINLINE_COLD
#endif

/* Layouts both languages rely on, checked at compile time in each. */
#ifdef __cplusplus
#define PKTPATH_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#else
#define PKTPATH_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#endif

/* C needs the struct tag; C++ does not but accepts it. */
#ifdef __cplusplus
#define PKTPATH_EXTERN_C_BEGIN extern "C" {
#define PKTPATH_EXTERN_C_END }
#else
#define PKTPATH_EXTERN_C_BEGIN
#define PKTPATH_EXTERN_C_END
#endif

/*
 * The atomics of the lock-free structures, on naturally aligned 64-bit
 * words shared between writers (and, for images in shared memory, between
 * processes).  Each use names the operation it pairs with.  In a module
 * they are the kernel's own primitives, so the memory model and its tools
 * (KCSAN) see them; elsewhere the compiler's __atomic builtins.
 *   PKTPATH_LOAD_ACQUIRE(p)            *p, later accesses ordered after it
 *   PKTPATH_STORE_RELEASE(p, v)        *p = v, earlier accesses ordered before it
 *   PKTPATH_LOAD_RELAXED(p), PKTPATH_STORE_RELAXED(p, v)   single-copy atomic, unordered
 *   PKTPATH_CAS_ACQUIRE(p, oldp, v)    *p == *oldp ? (*p = v, 1) : (*oldp = *p, 0), acquire either way
 *   PKTPATH_CAS_ACQ_REL(p, oldp, v)    the same, acquire and release on success, acquire on failure
 *   PKTPATH_FETCH_ADD_RELEASE(p, v)    *p += v atomically (p: a uint64_t), release
 *   PKTPATH_FETCH_ADD_RELAXED(p, v)    the same, unordered (a statistic)
 *   PKTPATH_EXCHANGE(p, v)             *p = v atomically, returning the old *p (a uint64_t), fully ordered
 */
#if defined(__KERNEL__)
#include <linux/atomic.h>
#define PKTPATH_LOAD_ACQUIRE(p) smp_load_acquire(p)
#define PKTPATH_STORE_RELEASE(p, v) smp_store_release((p), (v))
#define PKTPATH_LOAD_RELAXED(p) READ_ONCE(*(p))
#define PKTPATH_STORE_RELAXED(p, v) WRITE_ONCE(*(p), (v))
/* A failed cmpxchg_acquire is not ordered: the explicit fence makes the loaded value's reads acquire too. */
#define PKTPATH_CAS_ACQUIRE(p, oldp, v)                          \
	({                                                       \
		int ok_ = try_cmpxchg_acquire((p), (oldp), (v)); \
		if (!ok_)                                        \
			smp_acquire__after_ctrl_dep();           \
		ok_;                                             \
	})
/* A failed try_cmpxchg is not ordered either: the same fence. */
#define PKTPATH_CAS_ACQ_REL(p, oldp, v)                  \
	({                                               \
		int ok_ = try_cmpxchg((p), (oldp), (v)); \
		if (!ok_)                                \
			smp_acquire__after_ctrl_dep();   \
		ok_;                                     \
	})
#define PKTPATH_FETCH_ADD_RELEASE(p, v) ((void)atomic64_fetch_add_release((s64)(v), (atomic64_t *)(void *)(p)))
#define PKTPATH_FETCH_ADD_RELAXED(p, v) atomic64_add((s64)(v), (atomic64_t *)(void *)(p))
#define PKTPATH_EXCHANGE(p, v) ((uint64_t)atomic64_xchg((atomic64_t *)(void *)(p), (s64)(v)))
#else
#define PKTPATH_LOAD_ACQUIRE(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define PKTPATH_STORE_RELEASE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define PKTPATH_LOAD_RELAXED(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define PKTPATH_STORE_RELAXED(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define PKTPATH_CAS_ACQUIRE(p, oldp, v) \
	__atomic_compare_exchange_n((p), (oldp), (v), 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)
#define PKTPATH_CAS_ACQ_REL(p, oldp, v) \
	__atomic_compare_exchange_n((p), (oldp), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#define PKTPATH_FETCH_ADD_RELEASE(p, v) ((void)__atomic_fetch_add((p), (v), __ATOMIC_RELEASE))
#define PKTPATH_FETCH_ADD_RELAXED(p, v) ((void)__atomic_fetch_add((p), (v), __ATOMIC_RELAXED))
#define PKTPATH_EXCHANGE(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#endif

/*
 * One iteration of a spin-wait loop (x86 PAUSE, Arm YIELD): the waiting core
 * yields pipeline resources to its sibling thread and to the owner it waits
 * for.  The only spin pause of the library; userspace waits that may last
 * add yields on top (ring/backoff.hpp).
 */
#if defined(__KERNEL__)
#define pktpath_cpu_relax() cpu_relax()
#else
static inline void pktpath_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ __volatile__("pause" ::: "memory");
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}
#endif

#endif /* PKTPATH_CONFIG_H */
