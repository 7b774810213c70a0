/*
 * network.h — the emotion classifier's network: architecture, training-time
 * forward and backward passes, batch-norm folding.  Its hyper-parameters
 * are net_config.h; the model that wraps trained networks is model.h.
 *
 * Architecture (every size is a hyper-parameter kept in the model):
 *
 *   frames [T][F] ─ stem: 1x1 conv F→C0, BN, ReLU
 *                 ─ multi-scale: parallel convs over time, kernels 3/5/7,
 *                   C0→Cb each, concatenated to C1 = 3·Cb, BN, ReLU
 *                 ─ R residual blocks: conv k, BN, ReLU, conv k, BN,
 *                   squeeze-and-excitation, + skip, ReLU
 *                 ─ attention pooling over the clip's frames → [C1]
 *   utterance [D] ─ dense D→U, BN, ReLU → [U]
 *   concat [C1+U] ─ dropout ─ dense →H, BN, ReLU ─ dropout ─ dense →K ─ softmax
 *
 * Why this shape: the frame branch sees local spectral-temporal patterns at
 * three time scales (30/50/70 ms at a 10 ms hop), SE lets the clip reweigh
 * channels (a clip-level "which cues matter here"), the residual blocks add
 * depth without hurting gradient flow, and attention pooling lets emotional
 * stretches of a clip outweigh silence — while the utterance vector brings in
 * the classic global statistics (pitch range, energy spread, …) that small
 * corpora reward.  The default sizes keep a 3.5 s clip's forward pass within
 * the 2 ms budget on one core (see test/bench/bench_model.c).
 *
 * Training nets hold batch-norm parameters and running statistics, and
 * convolutions followed by BN have no bias (BN's shift makes it redundant).
 * ser_net_fold() turns a trained net into an inference net where every BN is
 * folded into the preceding layer's weights and a bias: one affine map
 * instead of two, the same function up to float rounding.
 */
#ifndef SER_MODEL_NETWORK_H
#define SER_MODEL_NETWORK_H

#include "common/runtime.h"
#include "model/layers.h"
#include "model/net_config.h"
#include "model/rng.h"

#define SER_NET_MAX_PARAMS 128
#define SER_PARAM_NAME 48

typedef struct SerParam
{
	char		name[SER_PARAM_NAME];
	int			ndim;
	int			dims[2];
	size_t		size;
	size_t		offset;			/* into SerNet.values (and .grads) */
	bool		trainable;		/* false: batch-norm running statistics */
	bool		decay;			/* L2 applies (weights, not biases or BN parameters) */
} SerParam;

typedef struct SerNet
{
	SerNetConfig cfg;
	bool		folded;			/* inference form: no BN, biases everywhere */
	int			n_params;
	SerParam	params[SER_NET_MAX_PARAMS];
	float	   *values;			/* every tensor; trainable ones first */
	float	   *grads;			/* gradients of the trainable tensors (training nets) */
	size_t		n_values;
	size_t		n_trainable;	/* values[0 .. n_trainable) are optimised */
	struct SerNetLayout *layout;	/* parameter indexes per layer (network.c) */
} SerNet;

typedef enum SerNetMode
{
	SER_NET_TRAIN,				/* batch statistics, dropout; keeps what backward needs */
	SER_NET_EVAL				/* running statistics (or folded), no dropout */
} SerNetMode;

/* Activations of one forward pass, kept for the backward pass. */
typedef struct SerNetActs SerNetActs;

/* A training net initialised from rng (He/Xavier normal). */
SerStatus	ser_net_create(const SerNetConfig *cfg, SerRng *rng, SerNet **out, SerError *err);
void		ser_net_free(SerNet *net);

/* Index of a parameter by name, -1 if absent. */
int			ser_net_find_param(const SerNet *net, const char *name);
static inline float *
ser_net_param(const SerNet *net, int index)
{
	return net->values + net->params[index].offset;
}

/*
 * Forward pass over a packed batch: frames[N][F] (N = seqs->offsets[n_seq])
 * and utt[n_seq][D], both already normalised.  In SER_NET_TRAIN mode dropout
 * masks are drawn from rng and BN running statistics are updated.  *acts is
 * allocated here (ser_net_acts_free); its logits/probabilities are read with
 * ser_net_acts_probs().
 */
SerStatus	ser_net_forward(SerNet *net, SerNetMode mode, const SerSeqs *seqs, const float *frames,
							const float *utt, SerRng *rng, SerNetActs **acts, SerError *err);
const float *ser_net_acts_logits(const SerNetActs *acts);
const float *ser_net_acts_probs(const SerNetActs *acts);
void		ser_net_acts_free(SerNetActs *acts);

/*
 * Single-clip inference passes reuse one per-process arena (network.c);
 * release frees it (not while a pass's activations are held), size reports
 * its bytes.  The server releases it with its model cache.
 */
void		ser_net_workspace_release(void);
size_t		ser_net_workspace_size(void);

/*
 * A prediction's input buffer of count floats from the same per-process
 * store (or ser_malloc'd when that is held or count is huge; NULL when out
 * of memory); give it back with ser_net_input_give, on every path.
 */
float	   *ser_net_input_take(size_t count);
void		ser_net_input_give(float *buf);

/*
 * Loss (class-weighted mean cross-entropy; class_weights may be NULL) of a
 * SER_NET_TRAIN forward pass, and its gradient accumulated into net->grads.
 * Each sequence's cross-entropy is against its label or, with targets (may
 * be NULL), against the distribution targets[seq][K] (layers.h).
 */
SerStatus	ser_net_backward(SerNet *net, const SerSeqs *seqs, SerNetActs *acts, const int *labels,
							 const float *targets, const float *class_weights, double *loss, SerError *err);

/* Loss only, for any forward pass. */
double		ser_net_loss(const SerNet *net, const SerNetActs *acts, int n_seq, const int *labels,
						 const float *targets, const float *class_weights);
void		ser_net_zero_grad(SerNet *net);

/* An inference net with every BN folded into the layer before it. */
SerStatus	ser_net_fold(const SerNet *net, SerNet **folded, SerError *err);

/* An inference (folded) net of architecture cfg with zero weights, for a loader to fill. */
SerStatus	ser_net_create_folded(const SerNetConfig *cfg, SerNet **out, SerError *err);

#endif							/* SER_MODEL_NETWORK_H */
