/*
 * features.h — the entry point the rest of ser uses: PCM in, frame-level
 * feature matrix and utterance-level vector out, for training and inference
 * alike.
 *
 * Frame features (one row per frame, ser_feature_frame_count rows), in this
 * column order (see spectral.h and pitch.h for the definitions):
 *   logmel_0..n_mels-1            dB
 *   mfcc_0..n_mfcc-1
 *   mfcc_delta_*, mfcc_delta2_*   regression deltas over t-N..t+N,
 *                                 N = delta_width, edges repeated (HTK)
 *   chroma_C..chroma_B            (chroma_0.. when n_chroma != 12)
 *   contrast_0..contrast_bands    dB
 *   centroid, bandwidth, rolloff  Hz
 *   flatness, zcr, rms
 *   f0 (Hz, 0 unvoiced), voiced (0/1), hnr (dB), jitter, shimmer
 *
 * Utterance vector, statistics of the frame features:
 *   full statistics of mfcc, chroma, contrast, centroid, bandwidth, rolloff,
 *   flatness, zcr, rms over all frames, and of f0 and hnr over voiced
 *   frames only:  mean, std, p10, p50, p90, range, slope, skewness, kurtosis
 *     (std is the population one; percentiles interpolate linearly between
 *     order statistics; range = max - min; slope in units per second by
 *     least squares against frame time; skewness and excess kurtosis are 0
 *     when the values are constant);
 *   mean, std, range, slope, skewness and kurtosis of the log-mel bands over
 *   all frames (no percentiles: the bands are summarised on the fly, see
 *   below; their shape statistics measured +3 points of speaker-independent
 *   UAR on RAVDESS over mean and std alone, model/README.md);
 *   mean and std of the deltas over all frames, and of jitter and shimmer
 *   over pairs of consecutive voiced frames;
 *   voiced_fraction, voiced_segment_rate (voiced runs per second of audio),
 *   voiced_segment_mean_s.
 * Every value is finite for every input, silence and audio shorter than a
 * frame included: statistics of an empty selection are 0.
 *
 * Memory: the frame matrix is T x F floats (F = 154 with the defaults, 100
 * frames a second).  When only the utterance vector is asked for, the
 * log-mel columns are summarised on the fly and not stored.  Measured peak of
 * the core's allocations for 600 s at 16 kHz (test_features.c), on top of
 * the 36.6 MB of PCM: 23.1 MB for the utterance vector, 36.6 MB for the
 * frame matrix.  The results do not depend on what is asked for.
 *
 * Cost (bench_features.c): one 512-point real FFT per frame for the
 * spectral features, and for YIN three 480-point ones per frame louder than
 * voicing_min_rms (pitch.c); nothing is planned or built twice in a process
 * (fft.h, spectral.h).  Loops the compiler does not vectorise use four-float
 * vectors (vec.h); no -ffast-math: results are bit-identical from call to
 * call and NaN checks work.
 */
#ifndef SER_FEATURES_FEATURES_H
#define SER_FEATURES_FEATURES_H

#include "features/params.h"

#define SER_FEATURES_FRAMES		0x1
#define SER_FEATURES_UTTERANCE	0x2

typedef struct SerFeatureSet
{
	size_t		n_frames;
	int			n_frame_features;
	float	   *frames;			/* [n_frames][n_frame_features] row-major, or NULL */
	int			n_utterance;
	float	   *utterance;		/* [n_utterance], or NULL */
} SerFeatureSet;

/*
 * Featurise pcm[0..n) (mono, at p->sample_rate, no NaN).  `what` is a mask
 * of SER_FEATURES_FRAMES / SER_FEATURES_UTTERANCE.  On failure *out is empty.
 */
SerStatus	ser_extract_features(const SerFeatureParams *p, const float *pcm, size_t n, int what,
								 SerFeatureSet *out, SerError *err);
void		ser_feature_set_free(SerFeatureSet *set);

int			ser_frame_feature_count(const SerFeatureParams *p);
int			ser_utterance_feature_count(const SerFeatureParams *p);
/* Name of column i (0-based); buf gets "" when i is out of range. */
void		ser_frame_feature_name(const SerFeatureParams *p, int i, char *buf, size_t size);
void		ser_utterance_feature_name(const SerFeatureParams *p, int i, char *buf, size_t size);

/*
 * Only the log-mel spectrogram ([T][n_mels], dB) or the MFCC ([T][n_mfcc]),
 * for callers that need nothing else.  *values is ser_malloc'd.
 */
SerStatus	ser_extract_log_mel(const SerFeatureParams *p, const float *pcm, size_t n,
								float **values, size_t *n_frames, SerError *err);
SerStatus	ser_extract_mfcc(const SerFeatureParams *p, const float *pcm, size_t n,
							 float **values, size_t *n_frames, SerError *err);

#endif							/* SER_FEATURES_FEATURES_H */
