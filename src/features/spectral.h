/*
 * spectral.h — short-time spectrum and everything derived from it, frame by
 * frame: log-mel, MFCC, chroma, spectral contrast, centroid, bandwidth,
 * roll-off, flatness; plus zero-crossing rate and RMS from the waveform.
 *
 * Frame t of n_fft samples is centred on sample t*hop_length (center = 1;
 * zeros outside the signal) and multiplied by a periodic Hann window of
 * win_length samples centred in n_fft (librosa.stft).  From X = rfft:
 *   power P = |X|^2, magnitude M = |X|, bin k at f_k = k * sr / n_fft.
 *   log-mel     10*log10(max(mel_b . P, log_floor)), Slaney mel scale and
 *               Slaney area normalisation (librosa.filters.mel, htk=False)
 *   MFCC        orthonormal DCT-II of the log-mel bands
 *   chroma      librosa.filters.chroma (tuning 0, base C) applied to P,
 *               divided by the frame's largest chroma value (0 if silent)
 *   centroid    sum f_k M_k / sum M_k (0 if silent)
 *   bandwidth   sqrt(sum M_k (f_k - centroid)^2 / sum M_k)
 *   roll-off    lowest f_k where the cumulative sum of M reaches
 *               rolloff_percent of the total
 *   flatness    geometric / arithmetic mean of max(P, 1e-10)
 *   contrast    per octave band (librosa.feature.spectral_contrast's bands):
 *               10*log10(peak) - 10*log10(valley), peak and valley being the
 *               means of the largest / smallest quantile of M in the band,
 *               both floored at 1e-10.  librosa additionally clips both to
 *               80 dB below the utterance-wide maximum (power_to_db's
 *               top_db); ser does not, so a frame's contrast depends on that
 *               frame only.
 * Spectral floor: with power_floor > 0 in SerSpectralOut, P_k is first
 * raised to at least power_floor (bins 0..n_fft/2), and everything above is
 * computed from the floored spectrum.  features.c sets the floor to the
 * expected bin power of white noise spectral_floor_db below the recording's
 * speech level, ser_spectral_noise_power(tables, rms): sub-LSB noise, a
 * resampler's dither and digital silence then give the same spectrum, and
 * so do bins a format's low-pass filter emptied and those it did not.
 * Likewise with zcr_floor > 0 (features.c: that noise's RMS) a sample
 * counts as negative only below -zcr_floor, so noise under the floor makes
 * no zero crossings.
 * Waveform features on win_length samples centred on the same sample:
 *   ZCR         fraction of sign changes between consecutive samples (values
 *               with |x| <= 1e-10 count as positive zero), signal edges
 *               extended by repeating the end samples (librosa)
 *   RMS         sqrt(mean(x^2)), zeros outside the signal.
 */
#ifndef SER_FEATURES_SPECTRAL_H
#define SER_FEATURES_SPECTRAL_H

#include "features/params.h"
#include "features/fft.h"

typedef struct SerSpectralTables
{
	SerFeatureParams params;
	int			n_bins;			/* n_fft/2 + 1 */
	int			bin_stride;		/* n_bins rounded up to a multiple of 8 */
	float	   *window;			/* n_fft: Hann of win_length centred, zeros around */
	float	   *freqs;			/* bin_stride, Hz (zeros past n_bins) */
	int		   *mel_first;		/* n_mels: first bin with a non-zero weight */
	int		   *mel_count;		/* n_mels: number of bins from mel_first */
	float	   *mel_weights;	/* n_mels x n_bins, dense rows, read from mel_first */
	/*
	 * The same filters four bands at a time (spectral.c): for group g of
	 * bands 4g..4g+3, mel_group_count[g] taps, their weights lane by lane
	 * from mel_group_weights + 4 * mel_group_offset[g] (zero past a band's
	 * own taps and for bands past n_mels).
	 */
	int			n_mel_groups;	/* ceil(n_mels / 4) */
	int		   *mel_group_count;
	int		   *mel_group_offset;
	float	   *mel_group_weights;
	float	   *dct;			/* n_mels x dct_stride (band-major, zero-padded) */
	int			dct_stride;		/* n_mfcc rounded up to a multiple of 4 */
	float	   *chroma;			/* n_bins x chroma_stride (bin-major, zero-padded) */
	int			chroma_stride;	/* n_chroma rounded up to a multiple of 4 */
	int		   *band_low;		/* contrast_bands+1: first bin of each band's sub-band */
	int		   *band_high;		/* last bin (inclusive) */
	int		   *band_quantile;	/* bins averaged for peak and valley */
	int			max_band_quantile;
	SerRealFft *fft;
} SerSpectralTables;

/*
 * The tables for p (validated), built on first use and kept for the life of
 * the process while the parameters stay the same (rebuilt when they
 * change).  Fails with SER_EINVAL when a mel filter or contrast band would
 * hold no FFT bin (n_mels or the band layout too fine for n_fft).
 */
SerStatus	ser_spectral_tables_get(const SerFeatureParams *p, const SerSpectralTables **tables,
									SerError *err);

/* Where a frame's spectral features go; NULL pointers are skipped. */
typedef struct SerSpectralOut
{
	float		power_floor;	/* input: the least power of a bin (above), 0 for none */
	float		zcr_floor;		/* input: the ZCR's dead zone (above), 0 for librosa's 1e-10 */
	float	   *log_mel;		/* n_mels */
	float	   *mfcc;			/* n_mfcc */
	float	   *chroma;			/* n_chroma */
	float	   *contrast;		/* contrast_bands + 1 */
	float	   *centroid;
	float	   *bandwidth;
	float	   *rolloff;
	float	   *flatness;
	float	   *zcr;
	float	   *rms;
} SerSpectralOut;

/*
 * Features of frame t of pcm[0..n).  scratch holds ser_spectral_scratch_size
 * floats; afterwards it starts with the frame's power spectrum (n_bins
 * values, then zeros up to bin_stride) followed by its magnitude spectrum
 * (likewise).
 */
size_t		ser_spectral_scratch_size(const SerSpectralTables *tables);
void		ser_spectral_frame(const SerSpectralTables *tables, const float *pcm, size_t n,
							   size_t t, float *scratch, const SerSpectralOut *out);

/*
 * The RMS of frame t alone (the value ser_spectral_frame gives, without the
 * spectrum): what the activity gate of the utterance statistics measures
 * before the frame loop (features.c).
 */
float		ser_frame_rms(const SerFeatureParams *p, const float *pcm, size_t n, size_t t);

/*
 * The expected power of one bin (not DC or Nyquist) for white noise of
 * the given RMS under the analysis window: rms^2 * sum of the squared
 * window.
 */
float		ser_spectral_noise_power(const SerSpectralTables *tables, double rms);

#endif							/* SER_FEATURES_SPECTRAL_H */
