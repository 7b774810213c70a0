/*
 * pitch.h — fundamental frequency by YIN, voicing, and frame-level voice
 * quality (harmonics-to-noise ratio, jitter, shimmer).
 *
 * YIN (de Cheveigné & Kawahara 2002) exactly as librosa 0.11's librosa.yin
 * computes it, so the two agree: frame t holds L = pitch_frame_length
 * samples centred like the spectral frames (zeros outside the signal); with
 * r(tau) the frame's autocorrelation (by FFT, Wiener-Khinchin),
 *     d(tau)  = 2 (r(0) - r(tau)) - sum_{i<tau} x_i^2
 *             = sum_{i<L} (x_i - x_{i+tau})^2 with zeros past the frame end,
 *     d'(tau) = d(tau) / (mean of d(1..tau) + FLT_MIN),
 * searched over the periods floor(sr/pitch_fmax) .. min(ceil(sr/pitch_fmin),
 * L-1): the first local minimum below pitch_threshold wins, else the global
 * minimum; parabolic interpolation refines it.  The autocorrelation comes
 * from FFTs shared by overlapping frames (pitch.c: the transform of one new
 * hop-long block, of the frame's last partial block and one inverse
 * transform per frame, of size 480 with the defaults); no O(L * lags) loop.
 *
 * Voicing (ser's own decision; librosa.yin has none and always returns a
 * value): a frame is voiced when
 *   - the chosen period is a true trough, not an end of the search range,
 *   - the frame RMS is at least voicing_min_rms (default 0.001, -60 dBFS),
 *   - the normalised autocorrelation at the nearest integer period,
 *     r(T) / sqrt(E(x[0..L-T)) E(x[T..L))), is at least voicing_threshold
 *     (default 0.5, i.e. a harmonics-to-noise ratio of at least 0 dB).
 * F0 of an unvoiced frame is 0.
 *
 * Voice quality, on voiced frames only (0 elsewhere):
 *   hnr      10*log10(r / (1 - r)) with r the normalised autocorrelation
 *            above (Boersma 1993), clamped to [-20, 40] dB;
 *   jitter   frame-to-frame period perturbation |P_t - P_{t-1}| / mean(P),
 *            defined when frames t-1 and t are both voiced;
 *   shimmer  frame-to-frame amplitude perturbation |A_t - A_{t-1}| / mean(A)
 *            of the frame RMS, likewise.
 * These are frame-level analogues of eGeMAPS' cycle-to-cycle jitter and
 * shimmer: periods and amplitudes are averaged over a 64 ms frame, so the
 * values are smaller than cycle-level ones and are not comparable to Praat's.
 */
#ifndef SER_FEATURES_PITCH_H
#define SER_FEATURES_PITCH_H

#include "features/params.h"

typedef struct SerPitchTrack
{
	size_t		n_frames;		/* ser_feature_frame_count(p, n) */
	float	   *f0;				/* Hz, 0 when unvoiced */
	float	   *f0_yin;			/* YIN estimate as librosa.yin gives it; 0 for frames
								 * quieter than voicing_min_rms, where YIN is not run */
	float	   *voiced;			/* 1 or 0 */
	float	   *hnr;			/* dB, 0 when unvoiced */
	float	   *jitter;			/* relative, 0 when undefined */
	float	   *shimmer;		/* relative, 0 when undefined */
} SerPitchTrack;

/* Compute the track of pcm[0..n) (validated p); release with ser_pitch_track_free. */
SerStatus	ser_pitch_track(const SerFeatureParams *p, const float *pcm, size_t n,
							SerPitchTrack *track, SerError *err);
void		ser_pitch_track_free(SerPitchTrack *track);

#endif							/* SER_FEATURES_PITCH_H */
