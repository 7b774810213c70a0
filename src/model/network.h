/*
 * network.h — the emotion classifier: architecture, training-time forward
 * and backward passes, batch-norm folding, and the inference model with its
 * blob (de)serialisation.
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
#include "model/rng.h"

#define SER_NET_MAX_BRANCHES 4
#define SER_NET_MAX_RES 8
#define SER_NET_MAX_PARAMS 128
#define SER_NET_MAX_CLASSES 64
#define SER_PARAM_NAME 48
#define SER_MODEL_MAX_MEMBERS 16	/* networks in an ensemble */

typedef struct SerNetConfig
{
	int			n_frame_features;	/* F */
	int			n_utt_features;		/* D */
	int			n_classes;			/* K */
	int			stem_channels;		/* C0 */
	int			branch_channels;	/* Cb */
	int			n_branches;			/* parallel convolutions */
	int			branch_kernels[SER_NET_MAX_BRANCHES];	/* odd kernel sizes */
	int			n_res_blocks;		/* R */
	int			res_kernel;			/* odd */
	int			se_reduction;		/* SE bottleneck = C1 / se_reduction */
	int			attention_dim;		/* A */
	int			utt_hidden;			/* U */
	int			fused_hidden;		/* H */
	float		dropout_fused;		/* on the concatenated vector, training only */
	float		dropout_hidden;		/* after the fused hidden layer, training only */
	int			frame_cmn;			/* 1: subtract each clip's own mean from every normalised
									 * frame feature (per-utterance mean normalisation, which
									 * removes speaker and channel offsets from the frame
									 * branch; absolute levels stay in the utterance vector) */
	int			speaker_norm;		/* 1: inputs have a speaker profile subtracted before the
									 * normalisation (features/profile.h); the model then
									 * holds a population profile for speakers without one */
} SerNetConfig;

/* Per-clip mean normalisation of frames[T][F] in place (see frame_cmn). */
void		ser_frames_subtract_mean(float *frames, int n_frames, int n_features);

/* The default architecture for F frame features, D utterance features, K classes. */
void		ser_net_default_config(SerNetConfig *cfg, int n_frame_features, int n_utt_features,
								   int n_classes);
/* Check every field (SER_EINVAL with the field named). */
SerStatus	ser_net_config_validate(const SerNetConfig *cfg, SerError *err);
/* "key=value" lines, the form kept in the model blob; and back (SER_ECORRUPT on bad text). */
SerStatus	ser_net_config_to_text(const SerNetConfig *cfg, char *buf, size_t size, SerError *err);
SerStatus	ser_net_config_from_text(const char *text, SerNetConfig *cfg, SerError *err);

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
 * Loss (class-weighted mean cross-entropy; class_weights may be NULL) of a
 * SER_NET_TRAIN forward pass, and its gradient accumulated into net->grads.
 */
SerStatus	ser_net_backward(SerNet *net, const SerSeqs *seqs, SerNetActs *acts, const int *labels,
							 const float *class_weights, double *loss, SerError *err);
/* Loss only, for any forward pass. */
double		ser_net_loss(const SerNet *net, const SerNetActs *acts, int n_seq, const int *labels,
						 const float *class_weights);
void		ser_net_zero_grad(SerNet *net);

/* An inference net with every BN folded into the layer before it. */
SerStatus	ser_net_fold(const SerNet *net, SerNet **folded, SerError *err);

/* ---- the inference model: a folded net plus what it needs around it ---- */

/* A further member of an ensemble (see SerModel). */
typedef struct SerModelMember
{
	SerNet	   *net;			/* folded */
	float	   *frame_mean;
	float	   *frame_std;
	float	   *utt_mean;
	float	   *utt_std;
} SerModelMember;

/*
 * An ensemble of networks of one architecture (trained with different
 * seeds) whose class probabilities are averaged; a single network is an
 * ensemble of one.  The first member is net and the statistics below, the
 * others are more[0 .. n_more).
 */
typedef struct SerModel
{
	SerNet	   *net;			/* folded */
	float	   *frame_mean;		/* [F] normalisation, from the training split */
	float	   *frame_std;		/* [F] */
	float	   *utt_mean;		/* [D] */
	float	   *utt_std;		/* [D] */
	int			n_more;
	SerModelMember *more;
	float	   *population_profile; /* [1 + F + D] with cfg.speaker_norm, else NULL */
	char	   *feature_params; /* the feature module's parameter text, opaque here */
	char	   *classes;		/* class names, one per line, in output order */
	char	   *train_info;		/* free text about training (may be empty) */
} SerModel;

/*
 * Assemble a model (copies everything): folds net, checks that the class
 * list has cfg.n_classes lines and that the statistics are finite with
 * positive standard deviations.  population_profile is required exactly
 * when cfg.speaker_norm is set: the profile of the training recordings,
 * subtracted for a speaker without a profile of their own.
 */
SerStatus	ser_model_create(const SerNet *net, const float *frame_mean, const float *frame_std,
							 const float *utt_mean, const float *utt_std,
							 const float *population_profile, const char *feature_params,
							 const char *classes, const char *train_info, SerModel **out,
							 SerError *err);
/*
 * Add a member to an ensemble: net (training form, folded here) must have
 * the model's architecture; its own normalisation statistics.
 */
SerStatus	ser_model_add_member(SerModel *model, const SerNet *net, const float *frame_mean,
								 const float *frame_std, const float *utt_mean, const float *utt_std,
								 SerError *err);
/* Number of parameters of all members. */
size_t		ser_model_parameter_count(const SerModel *model);
void		ser_model_free(SerModel *model);
SerStatus	ser_model_save(const SerModel *model, unsigned char **blob, size_t *len, SerError *err);
/* Parse, verify (see tensor_blob.h) and check every tensor's name and shape. */
SerStatus	ser_model_load(const void *blob, size_t len, SerModel **out, SerError *err);
/* Name of class i (0-based) copied into buf; false if out of range. */
bool		ser_model_class_name(const SerModel *model, int index, char *buf, size_t size);

/*
 * Class probabilities probs[K] for one clip: frames[T][F] and utt[D], raw
 * (normalised here with the model's statistics).  speaker_profile (1 + F + D
 * values, checked by the caller with ser_profile_check) is the speaker's
 * profile for a speaker-normalised model, or NULL to use the model's
 * population profile; giving one to a model trained without speaker
 * normalisation is an error.  Allocates only through ser_malloc and
 * releases it all before returning; the same input always gives the same
 * bits.
 */
SerStatus	ser_model_predict(const SerModel *model, const float *frames, int n_frames, int n_frame_features,
							  const float *utt, int n_utt_features, const float *speaker_profile,
							  float *probs, SerError *err);

#endif							/* SER_MODEL_NETWORK_H */
