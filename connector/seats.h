/*
 * seats: the seat rules of DESIGN §1 as pure functions (no I/O).
 *
 * A sync never takes a seat from one member to give it to another: it
 * only hands out free seats, to eligible unseated members in the mapping's
 * seat.priority order; ties go to the oldest member (members created by
 * one run share its start time), then to the smallest email.  Allocated
 * seats never exceed capacity.
 */
#ifndef HS_SEATS_H
#define HS_SEATS_H

#include <stddef.h>
#include <stdint.h>

struct seat_cand {
	const char *anchor;
	const char *email_key;
	int priority;		/* index of first seat.priority match */
	int64_t created_at;	/* the run's start time for new members */
	void *data;		/* caller's */
};

/* Sorts candidates into allocation order. */
void seats_order(struct seat_cand *c, size_t n);
/* Free seats given capacity and seats held (0 when over capacity). */
int seats_free(int capacity, int used);

#endif
