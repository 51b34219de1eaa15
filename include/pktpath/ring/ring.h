/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The only implementation of the lock-free ring: its memory image and its
 * algorithm, C (gnu11, freestanding) that the kernel runs and C++'s
 * ring_view<T, Prod, Cons> (view.hpp) wraps, in the manner of DPDK's
 * rte_ring.  Operations: single element, bulk (all or nothing) and burst
 * (as many as fit), and a zero-copy form for descriptor rings (reserve /
 * commit on a single producer, peek / release on a single consumer).  An
 * enqueue that finds no room counts the refused elements in the image's
 * drops: a full ring is an accounted loss, never a silent one.
 *
 * The image, an interface between processes (and between a module and the
 * process that maps its memory): a 384-byte header (constants, then the
 * producer's and the consumer's indices on separate 128-byte line pairs)
 * followed by capacity slots of elem_size bytes.  Indices run freely over
 * 32 bits; capacity is a power of two and every slot is usable.
 *
 * Memory ordering, in one place: a side publishes by a release store of
 * its tail after touching the slots; the other side reads that tail with
 * an acquire load before touching the slots.  A multi-producer (-consumer)
 * side claims slots by CAS on its head and publishes in claim order.
 *
 * The hot functions (suffix _) take a struct pktpath_ring (the image and
 * copies of its constants) and, as arguments, a side's synchronisation, the
 * element size and the pause hook: C++ passes constants that fold through
 * these always-inline functions, the C API below passes the view's.  In a
 * module, a multi side must not be re-entered on one CPU while it is in an
 * operation (an interrupt that enqueues into a ring its CPU was enqueueing
 * into would wait for itself to publish): disable interrupts around it.
 */
#ifndef PKTPATH_RING_RING_H
#define PKTPATH_RING_RING_H

#include "../config.h"

#define PKTPATH_RING_LINE_PAIR 128u
#define PKTPATH_RING_MAGIC 0x52544b50u /* "PKTR" in memory order */
#define PKTPATH_RING_VERSION 1u
#define PKTPATH_RING_MAX_CAPACITY (1u << 31) /* half the index range */

/* A side's synchronisation, stored in the image (C++'s enum class sync): never renumber. */
#define PKTPATH_RING_SINGLE 1u
#define PKTPATH_RING_MULTI 2u

/* Why pktpath_ring_init() / pktpath_ring_attach() refused memory (C++'s ring_error). */
enum pktpath_ring_error {
	PKTPATH_RING_OK,
	PKTPATH_RING_NULL_MEMORY,
	PKTPATH_RING_MISALIGNED,   /* not aligned to PKTPATH_RING_LINE_PAIR */
	PKTPATH_RING_TOO_SMALL,    /* fewer bytes than pktpath_ring_bytes() */
	PKTPATH_RING_BAD_CAPACITY, /* zero, not a power of two, or above the maximum */
	PKTPATH_RING_BAD_MAGIC,    /* not a ring, or its creator has not finished init */
	PKTPATH_RING_BAD_VERSION,
	PKTPATH_RING_MISMATCH, /* element size/alignment or a side's sync differs */
};

#ifdef __cplusplus
#define PKTPATH_RING_ALIGNOF(t) alignof(t)
#else
#define PKTPATH_RING_ALIGNOF(t) _Alignof(t)
#endif
#if defined(__GNUC__) || defined(__clang__)
#define PKTPATH_RING_ALIGNED __attribute__((__aligned__(PKTPATH_RING_LINE_PAIR)))
#else
#error "the ring image needs a compiler that aligns types (GCC or Clang)"
#endif

/*
 * One side's indices, written by that side only.  head: end of what the
 * side has claimed (multi) or, for a single producer, reserved for
 * zero-copy; tail: end of what it has published to the other side;
 * cached_other_tail: the other side's tail as this side last read it, so
 * most claims are decided without touching the other side's line (never
 * ahead of the real tail).  Every access is one of config.h's atomics.
 */
struct pktpath_ring_side {
	uint32_t head;
	uint32_t tail;
	uint32_t cached_other_tail;
} PKTPATH_RING_ALIGNED;

/*
 * Constant after init; magic is stored last (release) so an attacher that
 * sees it (acquire) sees the other fields too.  The hot path never reads
 * this line (views copy the constants), so the drops counter lives here: a
 * producer retrying on a full ring writes it without disturbing the line
 * the consumer polls.
 */
struct pktpath_ring_header {
	uint32_t magic;
	uint32_t version;
	uint32_t capacity;
	uint32_t elem_size;
	uint32_t elem_align;
	uint8_t prod_sync;
	uint8_t cons_sync;
	uint16_t reserved;
	uint64_t drops;
	struct pktpath_ring_side prod;
	struct pktpath_ring_side cons;
} PKTPATH_RING_ALIGNED;

PKTPATH_STATIC_ASSERT(offsetof(struct pktpath_ring_header, capacity) == 8 &&
			      offsetof(struct pktpath_ring_header, prod_sync) == 20,
		      "ring header constants");
PKTPATH_STATIC_ASSERT(offsetof(struct pktpath_ring_header, drops) == 24, "drops counter");
PKTPATH_STATIC_ASSERT(offsetof(struct pktpath_ring_header, prod) == 128 &&
			      offsetof(struct pktpath_ring_header, cons) == 256,
		      "sides are line pairs apart");
PKTPATH_STATIC_ASSERT(offsetof(struct pktpath_ring_side, tail) == 4 &&
			      offsetof(struct pktpath_ring_side, cached_other_tail) == 8,
		      "side indices");
/* Processes share the indices and the drops counter: their atomics must take no lock. */
#if defined(__GCC_ATOMIC_INT_LOCK_FREE) && (__GCC_ATOMIC_INT_LOCK_FREE != 2 || __GCC_ATOMIC_LLONG_LOCK_FREE != 2)
#error "the ring image needs lock-free 32- and 64-bit atomics"
#endif
PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_ring_header) == 384 &&
			      PKTPATH_RING_ALIGNOF(struct pktpath_ring_header) == PKTPATH_RING_LINE_PAIR,
		      "slots start on their own line pair");

/* A side spinning for an earlier claimer to publish calls this between loads (NULL: pktpath_cpu_relax). */
typedef void (*pktpath_ring_pause_fn)(uint32_t spins);

/* What the hot path needs, gathered once: the image and copies of its constants. */
struct pktpath_ring {
	struct pktpath_ring_header *h;
	uint8_t *slots;
	uint32_t capacity;
	uint32_t mask;
	uint32_t elem_size;
	uint32_t prod_sync, cons_sync; /* PKTPATH_RING_SINGLE or _MULTI */
	pktpath_ring_pause_fn pause;
};

#define PKTPATH_RING_HOT static inline PKTPATH_ALWAYS_INLINE

PKTPATH_INLINE int pktpath_ring_valid_capacity(uint32_t capacity)
{
	return capacity != 0 && capacity <= PKTPATH_RING_MAX_CAPACITY && (capacity & (capacity - 1)) == 0;
}

/* Smallest power of two >= n (1 for 0); 0 when n exceeds the maximum capacity. */
PKTPATH_INLINE uint32_t pktpath_ring_round_up_capacity(uint32_t n)
{
	uint32_t c = 1;

	if (n > PKTPATH_RING_MAX_CAPACITY)
		return 0;
	while (c < n)
		c <<= 1;
	return c;
}

/* Bytes of an image: the header and capacity slots of elem_size bytes. */
PKTPATH_INLINE size_t pktpath_ring_bytes(uint32_t capacity, size_t elem_size)
{
	return sizeof(struct pktpath_ring_header) + (size_t)capacity * elem_size;
}

PKTPATH_INLINE enum pktpath_ring_error pktpath_ring_check_memory_(const void *mem, size_t bytes, uint32_t capacity,
								  size_t elem_size)
{
	if (mem == NULL)
		return PKTPATH_RING_NULL_MEMORY;
	if ((uintptr_t)mem % PKTPATH_RING_LINE_PAIR != 0)
		return PKTPATH_RING_MISALIGNED;
	if (!pktpath_ring_valid_capacity(capacity))
		return PKTPATH_RING_BAD_CAPACITY;
	if (bytes < pktpath_ring_bytes(capacity, elem_size))
		return PKTPATH_RING_TOO_SMALL;
	return PKTPATH_RING_OK;
}

PKTPATH_INLINE void pktpath_ring_view_of_(struct pktpath_ring_header *h, struct pktpath_ring *r)
{
	r->h = h;
	r->slots = (uint8_t *)h + sizeof(*h);
	r->capacity = h->capacity;
	r->mask = h->capacity - 1;
	r->elem_size = h->elem_size;
	r->prod_sync = h->prod_sync;
	r->cons_sync = h->cons_sync;
	r->pause = NULL;
}

/*
 * Lays out an empty ring in mem (aligned to PKTPATH_RING_LINE_PAIR, at
 * least pktpath_ring_bytes() long) and, when r is not NULL, fills its view.
 */
PKTPATH_INLINE enum pktpath_ring_error pktpath_ring_init(void *mem, size_t bytes, uint32_t capacity, uint32_t elem_size,
							 uint32_t elem_align, uint32_t prod_sync, uint32_t cons_sync,
							 struct pktpath_ring *r)
{
	struct pktpath_ring_header *h = (struct pktpath_ring_header *)mem;
	enum pktpath_ring_error e = pktpath_ring_check_memory_(mem, bytes, capacity, elem_size);

	if (e != PKTPATH_RING_OK)
		return e;
	memset(h, 0, sizeof(*h));
	h->version = PKTPATH_RING_VERSION;
	h->capacity = capacity;
	h->elem_size = elem_size;
	h->elem_align = elem_align;
	h->prod_sync = (uint8_t)prod_sync;
	h->cons_sync = (uint8_t)cons_sync;
	/* Release: pairs with the acquire in pktpath_ring_attach(); the fields above are visible to whoever sees it. */
	PKTPATH_STORE_RELEASE(&h->magic, PKTPATH_RING_MAGIC);
	if (r != NULL)
		pktpath_ring_view_of_(h, r);
	return PKTPATH_RING_OK;
}

/*
 * Uses a ring another thread, process or the kernel laid out in mem, when
 * its header agrees with what the caller expects (elem_size 0: any size,
 * elem_align 0: any alignment).  The indices are the peers' to keep and
 * are not checked: every operation stays inside the slots whatever they hold.
 */
PKTPATH_INLINE enum pktpath_ring_error pktpath_ring_attach(void *mem, size_t bytes, uint32_t elem_size,
							   uint32_t elem_align, uint32_t prod_sync, uint32_t cons_sync,
							   struct pktpath_ring *r)
{
	struct pktpath_ring_header *h = (struct pktpath_ring_header *)mem;
	enum pktpath_ring_error e;

	if (mem == NULL)
		return PKTPATH_RING_NULL_MEMORY;
	if ((uintptr_t)mem % PKTPATH_RING_LINE_PAIR != 0)
		return PKTPATH_RING_MISALIGNED;
	if (bytes < sizeof(*h))
		return PKTPATH_RING_TOO_SMALL;
	/* Acquire: pairs with the release in pktpath_ring_init(). */
	if (PKTPATH_LOAD_ACQUIRE(&h->magic) != PKTPATH_RING_MAGIC)
		return PKTPATH_RING_BAD_MAGIC;
	if (h->version != PKTPATH_RING_VERSION)
		return PKTPATH_RING_BAD_VERSION;
	e = pktpath_ring_check_memory_(mem, bytes, h->capacity, h->elem_size);
	if (e != PKTPATH_RING_OK)
		return e;
	if ((elem_size && h->elem_size != elem_size) || (elem_align && h->elem_align != elem_align) ||
	    h->prod_sync != prod_sync || h->cons_sync != cons_sync)
		return PKTPATH_RING_MISMATCH;
	pktpath_ring_view_of_(h, r);
	return PKTPATH_RING_OK;
}

/* The slot of index i (any free-running index). */
PKTPATH_RING_HOT void *pktpath_ring_slot(const struct pktpath_ring *r, uint32_t i)
{
	return r->slots + (size_t)(i & r->mask) * r->elem_size;
}

/* Elements published and not yet consumed, clamped to the capacity: exact when no other thread moves. */
PKTPATH_RING_HOT uint32_t pktpath_ring_count(const struct pktpath_ring *r)
{
	/*
	 * Acquire: pairs with each side's release of its tail, so a caller that
	 * sees work here can take it.  The consumer's tail first: the
	 * producer's, read later, is never behind it, so the difference cannot
	 * wrap; it can overshoot while both sides move, hence the clamp.
	 */
	uint32_t cons = PKTPATH_LOAD_ACQUIRE(&r->h->cons.tail);
	uint32_t n = PKTPATH_LOAD_ACQUIRE(&r->h->prod.tail) - cons;

	return n < r->capacity ? n : r->capacity;
}

/* Relaxed: a statistic, ordered with nothing. */
PKTPATH_RING_HOT uint64_t pktpath_ring_drops(const struct pktpath_ring *r)
{
	return PKTPATH_LOAD_RELAXED(&r->h->drops);
}

/* Accounts n elements the producer had to drop (a zero-copy reserve that came back short, say). */
PKTPATH_RING_HOT void pktpath_ring_count_drops_(const struct pktpath_ring *r, uint32_t prod_sync, uint64_t n)
{
	uint64_t *d = &r->h->drops;

	if (prod_sync == PKTPATH_RING_SINGLE) /* one writer: a plain load and store, no locked RMW */
		PKTPATH_STORE_RELAXED(d, PKTPATH_LOAD_RELAXED(d) + n);
	else
		PKTPATH_FETCH_ADD_RELAXED(d, n);
}

/*
 * Reads the other side's tail and keeps the copy in this side's line,
 * writing it only when it changed: a side spinning on a full or empty ring
 * does not dirty its own line (which the other side reads).
 */
PKTPATH_RING_HOT uint32_t pktpath_ring_refresh_(struct pktpath_ring_side *mine, const struct pktpath_ring_side *other)
{
	/* Acquire: pairs with the other side's release of its tail; its slot accesses up to there are done. */
	uint32_t t = PKTPATH_LOAD_ACQUIRE(&other->tail);

	if (t != PKTPATH_LOAD_RELAXED(&mine->cached_other_tail))
		/* Release: pairs with the acquire load of the copy by the other threads of a multi side. */
		PKTPATH_STORE_RELEASE(&mine->cached_other_tail, t);
	return t;
}

/*
 * How many of want a claim takes (0 or want when bulk).  A room above the
 * capacity exists only in memory whose indices were corrupted (another
 * process shares them): capped, every copy stays inside the slots.
 */
PKTPATH_RING_HOT uint32_t pktpath_ring_fit_(const struct pktpath_ring *r, int bulk, uint32_t want, uint32_t room)
{
	room = room < r->capacity ? room : r->capacity;
	return want <= room ? want : (bulk ? 0 : room);
}

/*
 * Claims up to n slots of one side from *head on; returns how many (0 or n
 * when bulk).  room_base: the capacity for the producer (free = capacity +
 * consumer tail - head), 0 for the consumer (available = producer tail - head).
 */
PKTPATH_RING_HOT uint32_t pktpath_ring_claim_(const struct pktpath_ring *r, struct pktpath_ring_side *mine,
					      const struct pktpath_ring_side *other, uint32_t sync, uint32_t room_base,
					      int bulk, uint32_t n, uint32_t *head)
{
	uint32_t room, k;

	if (sync == PKTPATH_RING_SINGLE) {
		/* Relaxed: only this thread writes this side's tail and the copy. */
		*head = PKTPATH_LOAD_RELAXED(&mine->tail);
		room = room_base + PKTPATH_LOAD_RELAXED(&mine->cached_other_tail) - *head;
		if (room < n) /* the copy says "not enough": look at the other side */
			room = room_base + pktpath_ring_refresh_(mine, other) - *head;
		return pktpath_ring_fit_(r, bulk, n, room);
	}
	/*
	 * Acquire: pairs with the release CAS of the claimer that last moved
	 * head, so what we read below is at least as new as what it used.
	 */
	*head = PKTPATH_LOAD_ACQUIRE(&mine->head);
	for (;;) {
		/* Acquire: pairs with pktpath_ring_refresh_()'s release. */
		room = room_base + PKTPATH_LOAD_ACQUIRE(&mine->cached_other_tail) - *head;
		/*
		 * Another claimer may have stored an older copy after the one that
		 * let head get here: then room wraps past the capacity.  Either way,
		 * the real tail decides.
		 */
		if (room < n || room > r->capacity)
			room = room_base + pktpath_ring_refresh_(mine, other) - *head;
		k = pktpath_ring_fit_(r, bulk, n, room);
		if (k == 0)
			return 0;
		/* Success releases what we read to the next claimer (the head load); failure reloads head, acquire. */
		if (PKTPATH_CAS_ACQ_REL(&mine->head, head, *head + k))
			return k;
	}
}

/*
 * A multi side's wait for the claimers before it to publish: rare, so out
 * of line, which keeps the hot path free of the loop and of the call.
 */
static PKTPATH_NOINLINE_COLD void pktpath_ring_wait_turn_(const struct pktpath_ring_side *side, uint32_t head,
							  pktpath_ring_pause_fn pause)
{
	uint32_t spins = 0;

	/* Acquire: as in pktpath_ring_publish_(). */
	while (PKTPATH_LOAD_ACQUIRE(&side->tail) != head) {
		if (pause)
			pause(spins++);
		else
			pktpath_cpu_relax();
	}
}

/* Makes [head, head + k) of one side visible to the other; a multi side publishes in claim order. */
PKTPATH_RING_HOT void pktpath_ring_publish_(struct pktpath_ring_side *side, uint32_t sync, pktpath_ring_pause_fn pause,
					    uint32_t head, uint32_t k)
{
	/*
	 * Acquire: pairs with the earlier claimer's release of this tail, so
	 * its slot accesses happen before our release below and reach the
	 * other side through it.
	 */
	if (sync == PKTPATH_RING_MULTI && PKTPATH_UNLIKELY(PKTPATH_LOAD_ACQUIRE(&side->tail) != head))
		pktpath_ring_wait_turn_(side, head, pause);
	/* Release: pairs with the other side's acquire of this tail; our slot accesses are complete first. */
	PKTPATH_STORE_RELEASE(&side->tail, head + k);
}

PKTPATH_RING_HOT uint32_t pktpath_ring_claim_prod_(const struct pktpath_ring *r, uint32_t prod_sync, int bulk,
						   uint32_t n, uint32_t *head)
{
	return pktpath_ring_claim_(r, &r->h->prod, &r->h->cons, prod_sync, r->capacity, bulk, n, head);
}

PKTPATH_RING_HOT uint32_t pktpath_ring_claim_cons_(const struct pktpath_ring *r, uint32_t cons_sync, int bulk,
						   uint32_t n, uint32_t *head)
{
	return pktpath_ring_claim_(r, &r->h->cons, &r->h->prod, cons_sync, 0, bulk, n, head);
}

/*
 * Copies n elements of elem_size bytes between the slots from index head
 * on and a flat array (it may wrap once; one element never does).
 */
PKTPATH_RING_HOT void pktpath_ring_copy_in_(const struct pktpath_ring *r, size_t elem_size, uint32_t head,
					    const void *src, uint32_t n)
{
	uint32_t idx = head & r->mask;
	uint32_t first = r->capacity - idx < n ? r->capacity - idx : n;

	if (n == 1) { /* folds away where n is a constant */
		memcpy(r->slots + (size_t)idx * elem_size, src, elem_size);
		return;
	}
	memcpy(r->slots + (size_t)idx * elem_size, src, (size_t)first * elem_size);
	if (n != first)
		memcpy(r->slots, (const uint8_t *)src + (size_t)first * elem_size, (size_t)(n - first) * elem_size);
}

PKTPATH_RING_HOT void pktpath_ring_copy_out_(const struct pktpath_ring *r, size_t elem_size, uint32_t head, void *dst,
					     uint32_t n)
{
	uint32_t idx = head & r->mask;
	uint32_t first = r->capacity - idx < n ? r->capacity - idx : n;

	if (n == 1) {
		memcpy(dst, r->slots + (size_t)idx * elem_size, elem_size);
		return;
	}
	memcpy(dst, r->slots + (size_t)idx * elem_size, (size_t)first * elem_size);
	if (n != first)
		memcpy((uint8_t *)dst + (size_t)first * elem_size, r->slots, (size_t)(n - first) * elem_size);
}

/* Enqueues n elements of src (bulk: all or none; else as many as fit); the refused ones count as drops. */
PKTPATH_RING_HOT uint32_t pktpath_ring_enqueue_(const struct pktpath_ring *r, uint32_t prod_sync, size_t elem_size,
						pktpath_ring_pause_fn pause, int bulk, const void *src, uint32_t n)
{
	uint32_t head;
	uint32_t k = pktpath_ring_claim_prod_(r, prod_sync, bulk, n, &head);

	if (k != 0) {
		pktpath_ring_copy_in_(r, elem_size, head, src, k);
		pktpath_ring_publish_(&r->h->prod, prod_sync, pause, head, k);
	}
	if (PKTPATH_UNLIKELY(k != n))
		pktpath_ring_count_drops_(r, prod_sync, n - k);
	return k;
}

PKTPATH_RING_HOT uint32_t pktpath_ring_dequeue_(const struct pktpath_ring *r, uint32_t cons_sync, size_t elem_size,
						pktpath_ring_pause_fn pause, int bulk, void *dst, uint32_t n)
{
	uint32_t head;
	uint32_t k = pktpath_ring_claim_cons_(r, cons_sync, bulk, n, &head);

	if (k != 0) {
		pktpath_ring_copy_out_(r, elem_size, head, dst, k);
		pktpath_ring_publish_(&r->h->cons, cons_sync, pause, head, k);
	}
	return k;
}

/*
 * Zero-copy, single producer: up to n free slots from *first on
 * (pktpath_ring_slot(r, *first + i)) to fill in place, published by
 * pktpath_ring_commit().  One reservation at a time, and no enqueue on the
 * ring until it is committed.
 */
PKTPATH_RING_HOT uint32_t pktpath_ring_reserve(const struct pktpath_ring *r, uint32_t n, uint32_t *first)
{
	uint32_t k = pktpath_ring_claim_prod_(r, PKTPATH_RING_SINGLE, 0, n, first);

	/* Relaxed: prod.head is the single producer's own; it remembers the reservation for commit. */
	PKTPATH_STORE_RELAXED(&r->h->prod.head, *first + k);
	return k;
}

/* Publishes the first n reserved slots (n <= the reservation); the rest of the reservation is abandoned. */
PKTPATH_RING_HOT void pktpath_ring_commit(const struct pktpath_ring *r, uint32_t n)
{
	struct pktpath_ring_side *p = &r->h->prod;
	uint32_t tail = PKTPATH_LOAD_RELAXED(&p->tail); /* only this thread writes it */

	PKTPATH_STORE_RELAXED(&p->head, tail + n);
	/* Release: pairs with the consumer's acquire of prod.tail; slots written in place are visible first. */
	PKTPATH_STORE_RELEASE(&p->tail, tail + n);
}

/* Zero-copy, single consumer: up to n filled slots from *first on, given back by pktpath_ring_release(). */
PKTPATH_RING_HOT uint32_t pktpath_ring_peek(const struct pktpath_ring *r, uint32_t n, uint32_t *first)
{
	return pktpath_ring_claim_cons_(r, PKTPATH_RING_SINGLE, 0, n, first);
}

/* Returns the first n peeked slots to the producer (n <= what the peek gave). */
PKTPATH_RING_HOT void pktpath_ring_release(const struct pktpath_ring *r, uint32_t n)
{
	struct pktpath_ring_side *c = &r->h->cons;
	uint32_t tail = PKTPATH_LOAD_RELAXED(&c->tail); /* only this thread writes it */

	/* Release: pairs with the producer's acquire of cons.tail; our reads of the slots complete first. */
	PKTPATH_STORE_RELEASE(&c->tail, tail + n);
}

/*
 * The C API on an attached view, with the sides' synchronisation the
 * image records.  Each returns how many elements moved.
 */
PKTPATH_INLINE uint32_t pktpath_ring_enqueue_bulk(const struct pktpath_ring *r, const void *src, uint32_t n)
{
	return pktpath_ring_enqueue_(r, r->prod_sync, r->elem_size, r->pause, 1, src, n);
}

PKTPATH_INLINE uint32_t pktpath_ring_enqueue_burst(const struct pktpath_ring *r, const void *src, uint32_t n)
{
	return pktpath_ring_enqueue_(r, r->prod_sync, r->elem_size, r->pause, 0, src, n);
}

PKTPATH_INLINE uint32_t pktpath_ring_dequeue_bulk(const struct pktpath_ring *r, void *dst, uint32_t n)
{
	return pktpath_ring_dequeue_(r, r->cons_sync, r->elem_size, r->pause, 1, dst, n);
}

PKTPATH_INLINE uint32_t pktpath_ring_dequeue_burst(const struct pktpath_ring *r, void *dst, uint32_t n)
{
	return pktpath_ring_dequeue_(r, r->cons_sync, r->elem_size, r->pause, 0, dst, n);
}

PKTPATH_INLINE void pktpath_ring_count_drops(const struct pktpath_ring *r, uint64_t n)
{
	pktpath_ring_count_drops_(r, r->prod_sync, n);
}

#endif /* PKTPATH_RING_RING_H */
