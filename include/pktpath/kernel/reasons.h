/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The running kernel's drop reason names, kernel only: built at compile
 * time from the kernel's own DEFINE_DROP_REASON list (include/net/dropreason.h
 * on 6.1, dropreason-core.h on 6.12), each with its enum value, so
 * the names and their numbers are always the kernel's (6.1: 66 reasons,
 * NOT_SPECIFIED = 1; 6.12: 103, NOT_SPECIFIED = 2).  Reasons of other
 * subsystems (6.12: a subsystem id in the high 16 bits) are above
 * SKB_DROP_REASON_MAX and have no name here.
 */
#ifndef PKTPATH_KERNEL_REASONS_H
#define PKTPATH_KERNEL_REASONS_H

#ifdef __KERNEL__

#include <net/dropreason.h>

struct pktpath_kreason {
	u32 code;
	const char *name;
};

#define PKTPATH_KREASON_FN(r) {SKB_DROP_REASON_##r, #r},
/* The last entry takes a comma too: an initializer may end with one. */
#define PKTPATH_KREASON_FNE(r) PKTPATH_KREASON_FN(r)

/* Index of a reason's row in per-reason arrays: its number, or SKB_DROP_REASON_MAX + 1 for any other. */
#define PKTPATH_KREASON_ROWS (SKB_DROP_REASON_MAX + 2)

static inline unsigned int pktpath_kreason_row(u32 reason)
{
	return reason <= SKB_DROP_REASON_MAX ? reason : SKB_DROP_REASON_MAX + 1;
}

/* Every reason the kernel names, in its enum's order; *count of them. */
static inline const struct pktpath_kreason *pktpath_kreasons(unsigned int *count)
{
	static const struct pktpath_kreason reasons[] = {DEFINE_DROP_REASON(PKTPATH_KREASON_FN, PKTPATH_KREASON_FNE)};

	*count = ARRAY_SIZE(reasons);
	return reasons;
}

#endif /* __KERNEL__ */
#endif /* PKTPATH_KERNEL_REASONS_H */
