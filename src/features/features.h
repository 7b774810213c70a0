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
 *   with extended_descriptors = 1, then:
 *   level            frame RMS in dB relative to the recording's speech
 *                    level (params.h), so independent of gain, not below
 *                    -max(activity_gate_db, spectral_floor_db) when either
 *                    is on
 *   level_delta      its regression delta
 *   flux             squared distance between consecutive magnitude
 *                    spectra scaled to unit length (0..4)
 *   alpha_ratio      dB, energy 50-1000 Hz over 1000-5000 Hz
 *   hammarberg       dB, strongest bin 0-2000 Hz over 2000-5000 Hz
 *   slope_0_500, slope_500_1500   dB/kHz, least-squares slope of the power
 *                    spectrum in dB within the band (eGeMAPS's bands)
 *   f0_semitone      12 log2(f0 / 27.5 Hz), 0 unvoiced
 *
 * Active frames.  With activity_gate_db > 0, a frame is active when its
 * RMS in dB is at least the recording's speech level (the
 * speech_level_quantile of the frames' RMS in dB) minus activity_gate_db;
 * with the gate off every frame is active.  Statistics of level-independent
 * features (all groups below said to be over active frames) then ignore
 * pauses, whose content (digital silence, or the sub-LSB noise a resampler
 * or an encoder leaves there) depends on the file's format, not on the
 * speaker.  With spectral_floor_db > 0 every frame's power spectrum is
 * first raised to the level of white noise that many dB below the speech
 * level (spectral.h), so that bins emptied by a format's low-pass filter,
 * or filled by its noise floor, read the same.
 *
 * Utterance vector, statistics of the frame features:
 *   full statistics of mfcc, chroma, contrast, centroid, bandwidth, rolloff,
 *   flatness, zcr over active frames, rms over all frames, and of f0 and hnr
 *   over voiced frames only:  mean, std, p10, p50, p90, range, slope,
 *   skewness, kurtosis
 *     (std is the population one; percentiles interpolate linearly between
 *     order statistics; range = max - min; slope in units per second by
 *     least squares against frame time; skewness and excess kurtosis are 0
 *     when the values are constant);
 *   mean, std, range, slope, skewness and kurtosis of the log-mel bands over
 *   active frames (no percentiles: the bands are summarised on the fly, see
 *   below; their shape statistics measured +3 points of speaker-independent
 *   UAR on RAVDESS over mean and std alone, model/README.md);
 *   mean and std of the deltas over active frames, and of jitter and shimmer
 *   over pairs of consecutive voiced frames;
 *   voiced_fraction, voiced_segment_rate (voiced runs per second of audio),
 *   voiced_segment_mean_s;
 *   with extended_descriptors = 1, then: full statistics of level,
 *   level_delta, flux, alpha_ratio, hammarberg, slope_0_500 and
 *   slope_500_1500 over active frames and of f0_semitone over voiced frames;
 *   active_fraction, pause_rate and pause_mean_s (pauses: runs of inactive
 *   frames between the first and the last active one, per second of that
 *   span, and their mean length), level_peak_rate (active frames louder
 *   than every frame within 50 ms, per second of that span: a syllable-rate
 *   proxy).
 * Every value is finite for every input, silence and audio shorter than a
 * frame included: statistics of an empty selection are 0.
 *
 * Memory: the frame matrix is T x F floats (F = 154 with the defaults, 100
 * frames a second).  When only the utterance vector is asked for, the
 * log-mel columns are summarised on the fly and not stored.  Measured peak of
 * the core's allocations for 600 s at 16 kHz (test_features.c), on top of
 * the 36.6 MB of PCM: 23.6 MB for the utterance vector, 37.1 MB for the
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
