/*
 * voice_cluster.h — grouping recordings by voice when nobody says who
 * speaks, so that a speaker-normalised model can use the profile of each
 * group (features/profile.h) instead of none.
 *
 * A recording's voice vector is the mean of MFCC 1..n_mfcc-1 over its
 * frames (the spectral envelope without level: vocal-tract length and
 * voice register, which separate voices, above all male from female ones).
 * Clustering: the vectors are standardised (mean and standard deviation of
 * the set), then k-means with k-means++ seeding, 20 restarts drawn from a
 * fixed generator, the lowest within-cluster sum of squares kept:
 * deterministic for the same input in the same order.
 *
 * What it is good for, measured on RAVDESS (test/eval/batch_profiles: 5
 * folds of 4 actors, batches of test actors only): two clusters of a batch
 * of speakers follow the voices' register (a man and a woman: 92 % of
 * recordings in their speaker's cluster), and profiles of those clusters
 * beat both the batch's mean and no profile; asking for as many clusters as
 * there are speakers does not recover them (57 % for four), because
 * emotion moves the spectral envelope as much as the speaker does.  See the
 * model card for the figures.
 *
 * The fitted clustering is a flat float array (ser_voice_clusters_length):
 * [k, dim, mean[dim], scale[dim], centres[k][dim]], the form SQL keeps.
 */
#ifndef SER_FEATURES_VOICE_CLUSTER_H
#define SER_FEATURES_VOICE_CLUSTER_H

#include "features/params.h"

#define SER_VOICE_MAX_CLUSTERS 16

/* Length of a voice vector for parameters p (n_mfcc - 1). */
int			ser_voice_vector_length(const SerFeatureParams *p);

/*
 * The voice vector of a recording from its utterance vector
 * (ser_extract_features, parameters p); SER_EINVAL if n_utterance is not
 * p's length or p has no MFCC beyond c0.
 */
SerStatus	ser_voice_vector(const SerFeatureParams *p, const float *utterance, int n_utterance, float *out,
							 SerError *err);

/* Floats in a fitted clustering of k clusters of dim-long vectors. */
size_t		ser_voice_clusters_length(int k, int dim);

/*
 * Fit k clusters (1..SER_VOICE_MAX_CLUSTERS, at most n) to vectors[n][dim];
 * out has ser_voice_clusters_length(k, dim) floats.  Checks for
 * cancellation (SER_ECANCELED).
 */
SerStatus	ser_voice_clusters_fit(const float *vectors, int n, int dim, int k, float *out, SerError *err);

/* Check a fitted clustering of length floats (SER_EINVAL with the reason). */
SerStatus	ser_voice_clusters_check(const float *clusters, size_t length, SerError *err);

/* The cluster (0..k-1) nearest to vector, for a checked clustering. */
int			ser_voice_cluster_of(const float *clusters, const float *vector);

#endif							/* SER_FEATURES_VOICE_CLUSTER_H */
