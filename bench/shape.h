/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic shapes: one frame size, or a mix of sizes sent in proportion to their
 * weights (IMIX).  Plain C, shared by trafficgen (which sends them) and vmbench
 * (which validates a profile's sizes before anything starts).
 *
 * A shape is written as a size ("64"), a named mix ("imix": the common 7:4:1 of
 * 64, 594 and 1518 bytes; "imix_v4_1": FD.io CSIT's 28x64, 16x570, 4x1518), or a
 * weighted list "SIZE:WEIGHT+SIZE:WEIGHT...".  Sizes count the FCS (RFC 2544).
 *
 * A mix is sent as a fixed schedule: a round of sum(weights) frames in which each
 * size is spread evenly (smooth weighted round robin), repeated.  Every queue
 * follows it, so any window of a round's length carries the mix exactly, and a
 * rerun sends the same frames in the same order.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHAPE_MIN 64
#define SHAPE_MAX 9000
#define SHAPE_MIX_MAX 8          /* sizes in one mix */
#define SHAPE_PERIOD_MAX 1024    /* frames in one round: the sum of the weights */

struct shape {
	char name[64];           /* "64", "imix", "imix_v4_1" or the canonical list "64:7+594:4+1518:1" */
	unsigned n;              /* distinct sizes; 1 for a fixed size */
	unsigned period;         /* frames per round */
	uint16_t size[SHAPE_MIX_MAX], weight[SHAPE_MIX_MAX];
	uint8_t sched[SHAPE_PERIOD_MAX]; /* frame i of a round has size[sched[i]] */
};

/* Parse @text into @sh.  0, or -1 with a message for "invalid ...: <message>" in @err. */
int shape_parse(const char *text, struct shape *sh, char *err, size_t errlen);

/* A fixed size as a shape. */
void shape_fixed(struct shape *sh, unsigned size);

static inline bool shape_is_mix(const struct shape *sh)
{
	return sh->n > 1;
}

/* The mean frame size on the wire (FCS included), weighted. */
double shape_avg(const struct shape *sh);

/* The largest and smallest frame sizes of the shape. */
unsigned shape_max(const struct shape *sh);
unsigned shape_min(const struct shape *sh);
