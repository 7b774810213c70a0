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
 * spec->ensemble networks.  train_info is stored in the model as provenance,
 * followed by each network's figures.  summary (may be NULL) receives the
 * first network's.
 */
SerStatus	ser_classifier_train(SerCorpus *corpus, const char *const *class_names, int n_classes,
								 const SerClassifierSpec *spec, const int *idx, int n,
								 const char *train_info, SerClassifierProgressFn progress, void *progress_ctx,
								 SerModel **model_out, SerTrainSummary *summary, SerError *err);

/*
 * Cross-validation: for each fold f in [0, n_folds) train on the clips whose
 * fold_of is not f and predict those whose fold_of is f (clips with fold_of
 * < 0 take no part).  pred_out[i] receives the prediction for clip i (-1
 * for clips that take no part).  With speaker normalisation, the test clips
 * are normalised by their own speakers' profiles; pred_without_profile_out,
 * if not NULL, receives the predictions of the same fold models without
 * them (the fold model's population profile), as for a recording classified
 * alone.
 */
SerStatus	ser_classifier_crossval(SerCorpus *corpus, int n_classes, const SerClassifierSpec *spec,
									const int *fold_of, int n_folds,
									SerClassifierProgressFn progress, void *progress_ctx,
									int *pred_out, int *pred_without_profile_out, SerError *err);

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
