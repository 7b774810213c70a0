/*
 * params.h — every choice the speech features depend on, in one struct.
 *
 * A model stores the exact parameters it was trained with (as the text form
 * from ser_feature_params_format) and refuses features computed otherwise.
 * Defaults follow librosa 0.11 as spelled out in the project's reference
 * (test/fixtures/librosa/params.json):
 *
 *   sample_rate      16000 Hz      audio is resampled to this rate first
 *   n_fft            512           FFT size of the spectral analysis
 *   win_length       400           periodic Hann window (25 ms), centred in n_fft
 *   hop_length       160           10 ms between frames
 *   center           1             frame t is centred on sample t*hop: the signal
 *                                  is padded with zeros on both sides
 *   n_mels           64            Slaney-normalised mel filters (Slaney mel scale)
 *   fmin, fmax       0, 8000 Hz    mel range
 *   log_floor        1e-10         log-mel = 10*log10(max(mel power, log_floor))
 *   n_mfcc           20            orthonormal DCT-II of the log-mel bands
 *   delta_width      2             deltas by regression over t-N..t+N (HTK)
 *   n_chroma         12            chroma of the power spectrum, tuning 0, inf-norm
 *   contrast_bands   6             octave bands above contrast_fmin (plus one below)
 *   contrast_fmin    100 Hz
 *   contrast_quantile 0.02
 *   rolloff_percent  0.85
 *   pitch_fmin, pitch_fmax  50, 500 Hz   YIN search range
 *   pitch_frame_length 1024        YIN frame (64 ms)
 *   pitch_threshold  0.1           YIN trough threshold
 *   voicing_min_rms  0.001         frames quieter than this (RMS, full scale 1,
 *                                  -60 dBFS) are unvoiced
 *   voicing_threshold 0.5          voiced needs a normalised autocorrelation at
 *                                  the period of at least this (HNR >= 0 dB);
 *                                  see pitch.h
 *   activity_gate_db 30 dB         frames whose RMS lies more than this many dB
 *                                  below the recording's speech level are left
 *                                  out of the statistics over frames (see
 *                                  features.h); 0 keeps every frame
 *   speech_level_quantile 0.95     the speech level: this quantile of the
 *                                  frames' RMS in dB
 *   extended_descriptors 0         1 adds the descriptor families of
 *                                  features.h's "extended descriptors" (level
 *                                  contour, flux, band-energy ratios and
 *                                  slopes, F0 in semitones, pauses) to the
 *                                  frame matrix and the utterance vector
 *   spectral_floor_db 30 dB        every bin of every frame's power spectrum is
 *                                  raised to what white noise this many dB
 *                                  below the speech level would give it, and
 *                                  the ZCR ignores samples below that noise's
 *                                  RMS (see spectral.h); 0 leaves both alone
 *
 * Why 30 dB for the gate and the floor: the speech level of RAVDESS's
 * recordings ranges from -62 to -11 dBFS (median -36), so a -80 dBFS noise
 * floor, what resampling or re-encoding leaves in a pause, lies only 20 to
 * 70 dB below it.  Measured over the 1,199 recordings of actors 01-20 with
 * the linear head (test/eval/RESULTS.md), the same recording with such a
 * floor keeps its label 82 % of the time at 40 dB, 91 % at 35 dB, 96 % at
 * 30 dB; the 48 kHz originals keep it 99.9 % of the time at 30 dB (74 %
 * with neither).
 *
 * Version 2 added the last four parameters.  A version-1 text (what models
 * trained before were stored with) lacks them and gets the values that
 * reproduce its features: gate, floor and extended descriptors off.
 *
 * There is no dither and no pre-emphasis: features are a deterministic
 * function of the samples and these parameters.
 *
 * Number of frames for n samples (center = 1): T = 1 + n / hop_length
 * (integer division), the same for every frame-level feature; with
 * center = 0, T = 1 + (n - n_fft) / hop_length when n >= n_fft, else 0.
 */
#ifndef SER_FEATURES_PARAMS_H
#define SER_FEATURES_PARAMS_H

#include "common/runtime.h"

/* Bumped whenever a parameter is added or the meaning of a feature changes. */
#define SER_FEATURE_PARAMS_VERSION 2

/* Text form never exceeds this (including the terminating NUL). */
#define SER_FEATURE_PARAMS_TEXT 1024

typedef struct SerFeatureParams
{
	int			version;
	int			sample_rate;
	int			n_fft;
	int			win_length;
	int			hop_length;
	int			center;
	int			n_mels;
	double		fmin;
	double		fmax;
	double		log_floor;
	int			n_mfcc;
	int			delta_width;
	int			n_chroma;
	int			contrast_bands;
	double		contrast_fmin;
	double		contrast_quantile;
	double		rolloff_percent;
	double		pitch_fmin;
	double		pitch_fmax;
	int			pitch_frame_length;
	double		pitch_threshold;
	double		voicing_min_rms;
	double		voicing_threshold;
	double		activity_gate_db;
	double		speech_level_quantile;
	double		spectral_floor_db;
	int			extended_descriptors;
} SerFeatureParams;

/* Fill *p with the defaults above. */
void		ser_feature_params_default(SerFeatureParams *p);

/* Check every parameter and their combinations; err names the offending one. */
SerStatus	ser_feature_params_validate(const SerFeatureParams *p, SerError *err);

/*
 * Stable text form "version=1;sample_rate=16000;..." (keys in a fixed order,
 * doubles with 17 significant digits so parsing gives back the same bits).
 */
SerStatus	ser_feature_params_format(const SerFeatureParams *p, char *buf, size_t bufsize,
									  SerError *err);

/*
 * Parse the text form.  Keys may come in any order; missing keys keep their
 * defaults (so a text written by an older version still parses); an unknown
 * key, a malformed value or a version newer than this code is an error.  The
 * result is validated.
 */
SerStatus	ser_feature_params_parse(const char *text, SerFeatureParams *p, SerError *err);

/* Whether a and b hold the same parameters (field by field: padding bytes do not count). */
bool		ser_feature_params_equal(const SerFeatureParams *a, const SerFeatureParams *b);

/* Number of frames for n samples, see above. */
size_t		ser_feature_frame_count(const SerFeatureParams *p, size_t n_samples);

#endif							/* SER_FEATURES_PARAMS_H */
