/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * Portability layer for the C-compatible headers: the same code compiles as
 * gnu11 C in a Linux module (Kbuild defines __KERNEL__), as C in userspace,
 * and as C++17.  Only fixed-width integers, size_t and memcpy/memset are used.
 */
#ifndef PKTPATH_CONFIG_H
#define PKTPATH_CONFIG_H

#if defined(__KERNEL__)
#include <linux/types.h>
#include <linux/string.h>
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

/* C needs the struct tag; C++ does not but accepts it. */
#ifdef __cplusplus
#define PKTPATH_EXTERN_C_BEGIN extern "C" {
#define PKTPATH_EXTERN_C_END }
#else
#define PKTPATH_EXTERN_C_BEGIN
#define PKTPATH_EXTERN_C_END
#endif

#endif /* PKTPATH_CONFIG_H */
