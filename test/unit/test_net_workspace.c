/*
 * test_net_workspace.c — the per-process workspace of single-clip inference
 * passes and the prediction input buffer (src/model/network.c): the same
 * outputs bit for bit whether a pass carves a fresh arena, the kept
 * workspace, or (while the workspace is held) an arena of its own; the
 * workspace grows to the longest clip and is released on demand; nothing
 * is left allocated through the core's allocator.
 */
#include "unit.h"

#include "model/network.h"
#include "model/rng.h"

#define F 12
#define D 7

static void
input(int n, float *frames, float *utt, unsigned seed)
{
	for (int i = 0; i < n * F; i++)
		frames[i] = (float) sin(0.37 * i + seed);
	for (int i = 0; i < D; i++)
		utt[i] = (float) cos(0.51 * i + seed);
}

/* Probabilities of a single-clip EVAL pass over n frames. */
static int
probs_of(SerNet *net, int n, unsigned seed, float *probs, SerNetActs **keep)
{
	float	   *frames = malloc(sizeof(float) * n * F);
	float		utt[D];
	int			offsets[2] = {0, n};
	SerSeqs		seqs = {1, offsets};
	SerNetActs *acts;
	SerError	err;
	int			ok;

	input(n, frames, utt, seed);
	ok = ser_net_forward(net, SER_NET_EVAL, &seqs, frames, utt, NULL, &acts, &err) == SER_OK;
	if (ok)
	{
		memcpy(probs, ser_net_acts_probs(acts), sizeof(float) * net->cfg.n_classes);
		if (keep != NULL)
			*keep = acts;
		else
			ser_net_acts_free(acts);
	}
	free(frames);
	return ok;
}

int
main(void)
{
	SerNetConfig cfg;
	SerNet	   *net;
	SerRng		rng;
	SerError	err;
	float		a[SER_NET_MAX_CLASSES],
				b[SER_NET_MAX_CLASSES],
				c[SER_NET_MAX_CLASSES];
	SerNetActs *held;
	size_t		small = 0,
				large = 0;
	float	   *in1,
			   *in2;
	int			K;

	ser_set_allocator(counting_alloc, counting_free);
	ser_net_default_config(&cfg, F, D, 5);
	ser_rng_seed(&rng, 7);
	UNIT_OK(ser_net_create(&cfg, &rng, &net, &err) == SER_OK, "a training network is built");
	K = cfg.n_classes;

	ser_net_workspace_release();
	UNIT_OK(probs_of(net, 40, 1, a, NULL) && (small = ser_net_workspace_size()) > 0,
			"a single-clip pass leaves the workspace in place (%zu bytes)", small);
	UNIT_OK(probs_of(net, 40, 1, b, NULL) && memcmp(a, b, sizeof(float) * K) == 0,
			"the pass on the kept workspace gives the same probabilities bit for bit");
	UNIT_OK(probs_of(net, 300, 2, c, NULL) && (large = ser_net_workspace_size()) > small,
			"a longer clip grows the workspace (%zu bytes)", large);
	UNIT_OK(probs_of(net, 40, 1, b, NULL) && memcmp(a, b, sizeof(float) * K) == 0 &&
			ser_net_workspace_size() == large, "a shorter one reuses it, same probabilities");

	UNIT_OK(probs_of(net, 6000, 3, c, NULL) && ser_net_workspace_size() == large,
			"a pass above the workspace's limit (16 MB) allocates its own arena and keeps nothing");
	UNIT_OK(probs_of(net, 40, 1, b, &held), "a pass whose activations are held");
	UNIT_OK(probs_of(net, 40, 1, c, NULL) && memcmp(a, c, sizeof(float) * K) == 0,
			"a second pass meanwhile gets an arena of its own, same probabilities");
	ser_net_workspace_release();
	UNIT_OK(ser_net_workspace_size() > 0, "the held workspace is not released");
	ser_net_acts_free(held);
	UNIT_OK(memcmp(a, b, sizeof(float) * K) == 0, "the held pass's probabilities are the same too");

	in1 = ser_net_input_take(1000);
	in2 = ser_net_input_take(1000);
	UNIT_OK(in1 != NULL && in2 != NULL && in1 != in2, "a second input buffer while the first is held is another one");
	ser_net_input_give(in2);
	ser_net_input_give(in1);
	UNIT_OK(ser_net_input_take(500) == in1, "the kept input buffer is given out again");
	ser_net_input_give(in1);

	ser_net_workspace_release();
	UNIT_OK(ser_net_workspace_size() == 0, "release frees the workspace and the input buffer");
	UNIT_OK(probs_of(net, 40, 1, b, NULL) && memcmp(a, b, sizeof(float) * K) == 0,
			"after a release, a pass builds it again, same probabilities");
	ser_net_workspace_release();
	ser_net_free(net);
	UNIT_OK(outstanding == 0, "nothing left allocated through the core's allocator (%ld)", outstanding);
	return unit_done();
}
