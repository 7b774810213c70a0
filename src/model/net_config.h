/*
 * net_config.h — the network's hyper-parameters: defaults, checks and the
 * text form kept in a model file ("key=value" lines), all driven by one
 * table in net_config.c, so a new hyper-parameter is one line there.
 *
 * The text keys are part of the model file format (model/README.md) and
 * never change; a key added later is optional on reading, absent meaning
 * its "absent" value, so files written before it still load.
 */
#ifndef SER_MODEL_NET_CONFIG_H
#define SER_MODEL_NET_CONFIG_H

#include "common/runtime.h"

#define SER_NET_MAX_BRANCHES 4
#define SER_NET_MAX_RES 8
#define SER_NET_MAX_CLASSES 64
#define SER_NET_CONFIG_TEXT 1024	/* room for the text form */

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
	int			speaker_normalisation;	/* 1: inputs have a speaker profile subtracted before
										 * the normalisation (features/profile.h); the model
										 * then holds a population profile for speakers
										 * without one.  Text key "speaker_norm". */
} SerNetConfig;

/* The default architecture for F frame features, D utterance features, K classes. */
void		ser_net_default_config(SerNetConfig *cfg, int n_frame_features, int n_utt_features,
								   int n_classes);
/* Check every field (SER_EINVAL with the field named). */
SerStatus	ser_net_config_validate(const SerNetConfig *cfg, SerError *err);
/* "key=value" lines, the form kept in the model blob; and back (SER_ECORRUPT on bad text). */
SerStatus	ser_net_config_to_text(const SerNetConfig *cfg, char *buf, size_t size, SerError *err);
SerStatus	ser_net_config_from_text(const char *text, SerNetConfig *cfg, SerError *err);
/* Whether two configurations describe the same architecture (same text form). */
bool		ser_net_config_equal(const SerNetConfig *a, const SerNetConfig *b);

#endif							/* SER_MODEL_NET_CONFIG_H */
