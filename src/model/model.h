/*
 * model.h — the inference model: trained networks of one architecture (the
 * members of an ensemble, all handled alike), each with its own input
 * normalisation, plus what a prediction needs around them: the class
 * names, the feature parameters the networks were trained on, and for a
 * speaker-normalised model the population profile.  Its file format is
 * model_format.h.
 *
 * A prediction subtracts the speaker profile (features/profile.h) once,
 * normalises the input for each member (normalise.h), runs each member's
 * folded network, averages their class probabilities and calibrates the
 * average with the model's temperature (calibration.h; 1 = as averaged).
 *
 * Two paths: a speaker-normalised model may carry an "alone" model, an
 * ensemble trained on the same features and classes without speaker
 * normalisation, with its own temperature.  A recording classified without
 * a speaker profile is then classified by every network that can: the
 * alone model's, and the speaker-normalised ones on the training
 * population's profile, averaged with equal weight per network and
 * calibrated with the alone model's temperature.  The two kinds of network
 * err differently: together they measured better than either
 * (model/README.md).
 *
 * Outside src/model, read a model through the accessors below, not its
 * fields.
 */
#ifndef SER_MODEL_MODEL_H
#define SER_MODEL_MODEL_H

#include "common/runtime.h"
#include "model/net_config.h"
#include "model/network.h"
#include "model/normalise.h"

#define SER_MODEL_MAX_MEMBERS 16	/* networks in an ensemble */

typedef struct SerModelMember
{
	SerNet	   *net;			/* folded */
	SerNormStats norm;			/* from the member's training split */
} SerModelMember;

typedef struct SerModel
{
	SerNetConfig cfg;			/* every member's architecture */
	int			n_members;
	SerModelMember members[SER_MODEL_MAX_MEMBERS];
	float	   *population_profile; /* [1 + F + D] with cfg.speaker_normalisation, else NULL */
	char	   *feature_params; /* the feature module's parameter text, opaque here */
	char	   *classes;		/* class names, one per line, in output order */
	char	   *train_info;		/* free text about training (may be empty) */
	double		temperature;	/* of the averaged probabilities; 1 = uncalibrated */
	struct SerModel *alone;		/* speaker-normalised models: the path without a profile, or NULL */
} SerModel;

/*
 * A model of architecture cfg without members yet (copies everything):
 * checks that the class list has cfg->n_classes lines, and that
 * population_profile is given exactly when cfg->speaker_normalisation is
 * set (the profile of the training recordings, subtracted for a speaker
 * without a profile of their own) and is a valid profile.
 */
SerStatus	ser_model_create(const SerNetConfig *cfg, const float *population_profile,
							 const char *feature_params, const char *classes, const char *train_info,
							 SerModel **out, SerError *err);
/*
 * Add a member: net (training form, folded here) must have the model's
 * architecture; norm its normalisation statistics (copied).
 */
SerStatus	ser_model_add_member(SerModel *model, const SerNet *net, const SerNormStats *norm, SerError *err);
/*
 * Add a member already in inference form, taking ownership of net and of
 * norm's arrays (also on failure): for the model loader.
 */
SerStatus	ser_model_adopt_member(SerModel *model, SerNet *folded_net, SerNormStats *norm, SerStatus status,
								   SerError *err);
void		ser_model_free(SerModel *model);

/*
 * Calibrate: the model's averaged probabilities p become
 * softmax(log(p) / temperature).  SER_EINVAL unless temperature is finite
 * and within [SER_MODEL_MIN_TEMPERATURE, SER_MODEL_MAX_TEMPERATURE].
 */
#define SER_MODEL_MIN_TEMPERATURE 0.02
#define SER_MODEL_MAX_TEMPERATURE 50.0
SerStatus	ser_model_set_temperature(SerModel *model, double temperature, SerError *err);
double		ser_model_temperature(const SerModel *model);

/*
 * Give a speaker-normalised model its path for recordings without a
 * profile: alone must not be speaker-normalised and must have the model's
 * feature counts, classes and feature parameters.  Takes ownership of
 * alone, also on failure.
 */
SerStatus	ser_model_attach_alone(SerModel *model, SerModel *alone, SerError *err);
/* The model's path trained without speaker normalisation if attached, else model itself. */
const SerModel *ser_model_alone(const SerModel *model);

/* ---- what a model is ---- */
const SerNetConfig *ser_model_config(const SerModel *model);
int			ser_model_class_count(const SerModel *model);
/* Name of class i (0-based) copied into buf; false if out of range. */
bool		ser_model_class_name(const SerModel *model, int index, char *buf, size_t size);
int			ser_model_member_count(const SerModel *model);
/* Number of parameters of all members (of both paths). */
size_t		ser_model_parameter_count(const SerModel *model);
bool		ser_model_speaker_normalised(const SerModel *model);
const char *ser_model_feature_params(const SerModel *model);
const char *ser_model_train_info(const SerModel *model);
SerStatus	ser_model_set_train_info(SerModel *model, const char *train_info, SerError *err);

/*
 * Whether profile[0..length) may be passed to ser_model_predict: the model
 * must be speaker-normalised and the profile one of its feature counts
 * (ser_profile_check).  The one place where a speaker profile is judged.
 */
SerStatus	ser_model_check_speaker_profile(const SerModel *model, const float *profile, size_t length,
											SerError *err);

/*
 * Class probabilities probs[K] for one clip: frames[T][F] and utt[D], raw
 * (normalised here with each member's statistics).  speaker_profile[0 ..
 * profile_length) is the speaker's profile for a speaker-normalised model
 * (checked with ser_model_check_speaker_profile), or NULL: the model
 * centres the clip on its population profile, and with an alone model both
 * vote (above).  Allocates only through ser_malloc and
 * releases it all before returning; the same input always gives the same
 * bits.
 */
SerStatus	ser_model_predict(const SerModel *model, const float *frames, int n_frames, int n_frame_features,
							  const float *utt, int n_utt_features, const float *speaker_profile,
							  size_t profile_length, float *probs, SerError *err);

#endif							/* SER_MODEL_MODEL_H */
