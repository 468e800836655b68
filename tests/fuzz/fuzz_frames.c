/* SPDX-License-Identifier: BSD-3-Clause */
/* Frames off the wire: trafficgen's receive path and the reflector's rewriting. */
#include "fuzz.h"
#include "reflector/pkt.h"
#include "bench/tgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tg_stream st;
	struct tg_sig sig;
	uint8_t *copy;

	if (size > 16384)
		return 0;
	if (tg_read(data, (uint32_t)size, &sig))
		tg_stream_rx(&st, sig.seq);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	for (int m = PKT_IO; m <= PKT_L4SWAP; m++) {
		memcpy(copy, data, size);
		pkt_swap(copy, (uint32_t)size, (enum pkt_mode)m);
	}
	if (size >= 14)
		pkt_macswap(copy);
	free(copy);
	return 0;
}
