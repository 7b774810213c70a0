/*
 * classifier.h — features → model → label: training a model on a corpus,
 * cross-validating it with folds grouped by speaker, and classifying one
 * recording with a trained model.
 *
 * The feature parameters a model was trained with are stored in it (as the
 * feature module's text form) and are the ones used to classify with it, so
 * training and inference can never disagree.
 *
 * Early stopping needs a validation set: it is a fraction of the training
 * clips drawn by whole groups (speakers) from the training folds only, never
 * from the clips being evaluated.
 *
 * Speaker normalisation (spec.speaker_normalisation): every clip's features
 * have the profile of its group subtracted, computed from all the group's
 * clips without their labels.  In cross-validation that includes the test
 * speakers' profiles, from their own (unlabelled) clips: the protocol of a
 * user who classifies a speaker's recordings with a profile of the same
 * recordings.  The model keeps the profile of its training clips for
 * speakers classified without one.
 */
#ifndef SER_CLASSIFIER_CLASSIFIER_H
#define SER_CLASSIFIER_CLASSIFIER_H

#include "classifier/corpus.h"
#include "features/speech.h"
#include "model/model.h"
#include "model/model_format.h"
#include "model/train.h"

typedef struct SerClassifierSpec
{
	SerTrainConfig train;
	double		validation_fraction;	/* of the training clips, by group; 0 = no early stopping */
	/* Architecture overrides (0, or -1 for n_res_blocks and dropout: the network's default). */
	int			stem_channels;
	int			branch_channels;
	int			n_res_blocks;
	int			utt_hidden;
	int			fused_hidden;
	float		dropout;
	int			frame_cmn;		/* per-clip mean normalisation of frames (SerNetConfig) */
	bool		speaker_normalisation;	/* subtract each group's profile (features/profile.h) */
	int			ensemble;		/* networks trained with seeds seed, seed+1, ...; probabilities averaged */
	/*
	 * With speaker normalisation: networks of the model's path for
	 * recordings without a profile, trained on the same clips without
	 * speaker normalisation (model.h); 0: such recordings are centred on the
	 * population profile instead.
	 */
	int			alone_ensemble;
	/*
	 * ser_classifier_train: fit each path's temperature (model/calibration.h)
	 * on out-of-fold predictions of a cross-validation with
	 * calibration_folds folds grouped by speaker (fewer with fewer
	 * speakers; none with one), then train the model on all the clips.
	 */
	bool		calibrate;
	int			calibration_folds;
	/*
	 * [clip][n_classes] of the corpus: distributions each network is fitted
	 * to instead of its clips' labels (train.h), e.g. a teacher model's
	 * probabilities for knowledge distillation; NULL: the labels.
	 */
	const float *soft_targets;
} SerClassifierSpec;

void		ser_classifier_spec_default(SerClassifierSpec *spec);

/* The network configuration a spec gives for a corpus's feature sizes. */
SerStatus	ser_classifier_net_config(const SerClassifierSpec *spec, const SerFeatureParams *params,
									  int n_classes, SerNetConfig *cfg, SerError *err);

/* Progress of one training run; fold is -1 for a final model; member counts from 0. */
typedef void (*SerClassifierProgressFn) (void *ctx, int fold, int n_folds, int member, int n_members,
										 const SerEpochReport *report);

typedef struct SerTrainSummary
{
	int			n_train;		/* clips trained on */
	int			n_val;			/* clips held out for early stopping */
	int			epochs_run;
	int			best_epoch;
	double		best_val_uar;	/* NaN without validation */
} SerTrainSummary;

/*
 * Train on the clips idx[0..n) of the corpus (all clips when idx is NULL)
 * and return the inference model (classes: n_classes names), an ensemble of
 * spec->ensemble networks, with its path without profiles
 * (spec->alone_ensemble) and temperatures (spec->calibrate).  train_info is
 * stored in the model as provenance, followed by each network's figures and
 * the temperatures.  summary (may be NULL) receives the first network's.
 */
SerStatus	ser_classifier_train(SerCorpus *corpus, const char *const *class_names, int n_classes,
								 const SerClassifierSpec *spec, const int *idx, int n,
								 const char *train_info, SerClassifierProgressFn progress, void *progress_ctx,
								 SerModel **model_out, SerTrainSummary *summary, SerError *err);

/*
 * Cross-validation: for each fold f in [0, n_folds) train on the clips whose
 * fold_of is not f and predict those whose fold_of is f (clips with fold_of
 * < 0 take no part; their rows are left at 0).  probs_out[i][n_classes]
 * receives clip i's class probabilities from its fold's model, averaged
 * over the ensemble and uncalibrated; with speaker normalisation the test
 * clips are normalised by their own speakers' profiles (labels unused).
 * probs_alone_out, if not NULL, receives the same fold models' predictions
 * for the clips classified alone, as ser_model_predict gives them without a
 * profile: the speaker-normalised networks on the population profile, with
 * spec->alone_ensemble > 0 averaged with that many networks trained without
 * speaker normalisation; without speaker normalisation, the same as
 * probs_out.  spec->calibrate plays no part here.
 */
SerStatus	ser_classifier_crossval(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec,
									const int *fold_of, int n_folds,
									SerClassifierProgressFn progress, void *progress_ctx,
									float *probs_out, float *probs_alone_out, SerError *err);

/*
 * Cross-fitted calibration of out-of-fold probabilities: the rows of fold f
 * are scaled by a temperature fitted on the rows of the other folds (their
 * labels; fold f's labels never), as a model calibrated on other speakers
 * would give them.  probs[n][n_classes] (rows with fold_of < 0 ignored) are
 * scaled into out (may be probs); temperature_out[f] receives fold f's
 * temperature.  Needs at least 2 folds.
 */
SerStatus	ser_classifier_cross_calibrate(const float *probs, const int *labels, const int *fold_of, int n,
										   int n_folds, int n_classes, float *out, double *temperature_out,
										   SerError *err);

/*
 * Classify mono PCM at the model's sample rate: probs[K] for the model's
 * classes.  params must be the model's own (ser_classifier_model_params).
 * speaker_profile[0..profile_length) is the speaker's profile for a
 * speaker-normalised model, or NULL (see ser_model_predict).
 */
SerStatus	ser_classifier_predict(const SerModel *model, const SerFeatureParams *params,
								   const float *pcm, size_t n, const float *speaker_profile,
								   size_t profile_length, float *probs, SerError *err);

/*
 * The same behind the speech gate (features/speech.h), as SQL classifies:
 * the features are computed once, *speech receives the gate's evidence and
 * *verdict its verdict, and only for speech (SER_SPEECH_YES) does the model
 * run and probs get filled.  A recording that is not a voice speaking gets
 * no emotion rather than a confident wrong one.
 */
SerStatus	ser_classifier_predict_speech(const SerModel *model, const SerFeatureParams *params,
										  const float *pcm, size_t n, const float *speaker_profile,
										  size_t profile_length, const SerSpeechGate *gate, float *probs,
										  SerSpeechEvidence *speech, SerSpeechVerdict *verdict, SerError *err);

/* The feature parameters stored in a model (SER_ECORRUPT if unreadable). */
SerStatus	ser_classifier_model_params(const SerModel *model, SerFeatureParams *params, SerError *err);

#endif							/* SER_CLASSIFIER_CLASSIFIER_H */
