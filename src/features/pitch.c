/*
 * pitch.c — YIN by FFT autocorrelation, voicing and frame-level voice
 * quality.  See pitch.h for the definitions; this file is about computing them fast.
 */
#include "features/pitch.h"
#include "features/fft.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* Four floats operated on together (GCC/Clang vector extension), as in spectral.c. */
typedef float SerVec4 __attribute__((vector_size(16)));

/* How often the frame loop polls for cancellation. */
#define PITCH_INTERRUPT_EVERY 256

typedef struct YinWork
{
	int			frame_length;	/* L */
	int			min_period;
	int			max_period;		/* P */
	int			fft_size;		/* N >= L + P: circular = linear correlation for lags <= P */
	SerRealFft *fft;
	double	   *energy_cum;		/* P+1: energy_cum[k] = sum of x[i]^2 for i < k */
	float	   *frame_tail;		/* the frame's last P samples (the FFT overwrites the frame) */
	double	   *inverse_tau;	/* P+1: 1/tau, so the normalisation needs one division, not two */
	double	   *diff;			/* P+1 */
	double	   *cmnd;			/* P+1 */
} YinWork;

static void
yin_work_free(YinWork *w)
{
	ser_free(w->energy_cum);
	ser_free(w->frame_tail);
	ser_free(w->inverse_tau);
	ser_free(w->diff);
	ser_free(w->cmnd);
	memset(w, 0, sizeof(*w));
}

/*
 * Smallest N >= n of the form 2^a or 3 * 2^a: FFTW's fastest real
 * transforms on this kind of machine (measured: 1536 beats 1350 and 1440).
 */
static int
fast_fft_size(int n)
{
	int			pow2 = 16;

	while (pow2 < n)
		pow2 *= 2;
	if (pow2 / 4 * 3 >= n)
		return pow2 / 4 * 3;
	return pow2;
}

static SerStatus
yin_work_init(const SerFeatureParams *p, YinWork *w, SerError *err)
{
	SerStatus	status;

	memset(w, 0, sizeof(*w));
	w->frame_length = p->pitch_frame_length;
	w->min_period = (int) floor(p->sample_rate / p->pitch_fmax);
	w->max_period = (int) ceil(p->sample_rate / p->pitch_fmin);
	if (w->max_period > w->frame_length - 1)
		w->max_period = w->frame_length - 1;
	w->fft_size = fast_fft_size(w->frame_length + w->max_period);

	w->energy_cum = ser_malloc_array((size_t) w->max_period + 1, sizeof(double));
	w->frame_tail = ser_malloc_array((size_t) w->max_period, sizeof(float));
	w->inverse_tau = ser_malloc_array((size_t) w->max_period + 1, sizeof(double));
	w->diff = ser_malloc_array((size_t) w->max_period + 1, sizeof(double));
	w->cmnd = ser_malloc_array((size_t) w->max_period + 1, sizeof(double));
	if (!w->energy_cum || !w->frame_tail || !w->inverse_tau || !w->diff || !w->cmnd)
	{
		yin_work_free(w);
		return ser_error(err, SER_ENOMEM, "out of memory for pitch analysis");
	}
	w->inverse_tau[0] = 0.0;
	for (int tau = 1; tau <= w->max_period; tau++)
		w->inverse_tau[tau] = 1.0 / tau;
	status = ser_real_fft_get(w->fft_size, &w->fft, err);
	if (status != SER_OK)
		yin_work_free(w);
	return status;
}

/* dst[0..len) = pcm[start..start+len) with zeros outside [0, n). */
static void
copy_padded(const float *pcm, size_t n, int64_t start, size_t len, float *dst)
{
	for (size_t i = 0; i < len; i++)
	{
		int64_t		at = start + (int64_t) i;

		dst[i] = (at >= 0 && at < (int64_t) n) ? pcm[at] : 0.0f;
	}
}

typedef struct YinResult
{
	double		f0;				/* YIN estimate, Hz */
	double		frame_rms;
	double		autocorr;		/* normalised autocorrelation at the nearest integer period */
	int			interior;		/* the chosen lag is not an end of the search range */
} YinResult;

/*
 * YIN of the frame starting at frame_start: autocorrelation by FFT, the
 * difference function, its cumulative-mean normalisation and the period
 * choice, all as librosa 0.11 does them.
 */
static void
yin_frame(const SerFeatureParams *p, YinWork *w, const float *pcm, size_t n, int64_t frame_start,
		  YinResult *res)
{
	int			L = w->frame_length;
	int			P = w->max_period;
	int			lo = w->min_period;
	int			count = P - lo + 1;
	int			n_bins = w->fft_size / 2 + 1;
	float	   *real = w->fft->real;
	float	   *spec = w->fft->complex;
	double	   *c = w->cmnd + lo;	/* c[u] is d'(lo + u) */
	double		scale = 1.0 / w->fft_size;
	double		r0;
	double		running = 0.0;
	int			best = -1;
	double		shift = 0.0;
	double		period;
	double		energy;
	int			tail_start;

	if (frame_start >= 0 && frame_start + L <= (int64_t) n)
		memcpy(real, pcm + frame_start, (size_t) L * sizeof(float));
	else
		copy_padded(pcm, n, frame_start, (size_t) L, real);
	/* Only the energies of the first P samples enter d(tau). */
	{
		/* locals, not w->..., so the compiler keeps the running sum in a register */
		double	   *restrict cum = w->energy_cum;
		const float *restrict x = real;
		double		acc = 0.0;

		cum[0] = 0.0;
		for (int i = 0; i < P; i++)
		{
			acc += (double) x[i] * x[i];
			cum[i + 1] = acc;
		}
	}
	{
		/* The frame's energy, four lanes at a time: too quiet a frame skips YIN. */
		SerVec4		lanes = {0, 0, 0, 0};
		int			i;

		for (i = 0; i + 4 <= L; i += 4)
		{
			SerVec4		v;

			memcpy(&v, real + i, sizeof(v));
			lanes += v * v;
		}
		energy = ((double) lanes[0] + lanes[1]) + ((double) lanes[2] + lanes[3]);
		for (; i < L; i++)
			energy += (double) real[i] * real[i];
	}
	res->frame_rms = sqrt(energy / L);
	if (res->frame_rms < p->voicing_min_rms || energy <= 0.0)
	{
		/* unvoiced whatever YIN would say: save its two transforms */
		res->f0 = 0.0;
		res->interior = 0;
		res->autocorr = 0.0;
		return;
	}
	tail_start = L - P;
	memcpy(w->frame_tail, real + tail_start, (size_t) P * sizeof(float));
	memset(real + L, 0, (size_t) (w->fft_size - L) * sizeof(float));

	/* Autocorrelation = inverse transform of the power spectrum (Wiener-Khinchin). */
	ser_real_fft_forward(w->fft);
	for (int k = 0; k < n_bins; k++)
	{
		float		re = spec[2 * k],
					im = spec[2 * k + 1];

		spec[2 * k] = re * re + im * im;
		spec[2 * k + 1] = 0.0f;
	}
	ser_real_fft_inverse(w->fft);

	/*
	 * d(tau) = 2 (r(0) - r(tau)) - sum_{i<tau} x_i^2: the squared difference
	 * of the frame and its shift with zeros past the frame's end.
	 */
	r0 = real[0] * scale;
	{
		double	   *restrict diff = w->diff;
		double	   *restrict cmnd = w->cmnd;
		const double *restrict cum = w->energy_cum;
		const float *restrict acf = real;

		diff[0] = 0.0;
		for (int tau = 1; tau <= P; tau++)
		{
			double		d = 2.0 * (r0 - acf[tau] * scale) - cum[tau];

			diff[tau] = d;
			running += d;
			if (tau >= lo)
				cmnd[tau] = d / (running * w->inverse_tau[tau] + FLT_MIN);
		}
	}

	/* First local minimum below the threshold (librosa.util.localmin, edges as librosa). */
	{
		double		threshold = p->pitch_threshold;
		double		lowest = c[0];
		int			lowest_at = 0;

		for (int u = 0; u < count; u++)
		{
			double		here = c[u];

			if (here < lowest)
			{
				lowest = here;
				lowest_at = u;
			}
			if (here < threshold)
			{
				int			trough;

				if (u == 0)
					trough = count > 1 && here < c[1];
				else
					trough = here < c[u - 1] && (u == count - 1 || here <= c[u + 1]);
				if (trough)
				{
					best = u;
					break;
				}
			}
		}
		if (best < 0)
			best = lowest_at;	/* the loop ran to the end: the global minimum */
	}
	if (best > 0 && best < count - 1)
	{
		double		a = c[best + 1] + c[best - 1] - 2.0 * c[best];
		double		b = (c[best + 1] - c[best - 1]) / 2.0;

		if (fabs(b) < fabs(a))
			shift = -b / a;
	}
	res->interior = best > 0 && best < count - 1;
	period = lo + best + shift;
	res->f0 = p->sample_rate / period;

	{
		int			lag = (int) lround(period);
		double		head,
					tail,
					r;

		if (lag < 1)
			lag = 1;
		if (lag > P)
			lag = P;
		/* energies of the overlapping parts x[0..L-lag) and x[lag..L) */
		head = energy;
		for (int i = L - lag; i < L; i++)
			head -= (double) w->frame_tail[i - tail_start] * w->frame_tail[i - tail_start];
		tail = energy - w->energy_cum[lag];
		r = real[lag] * scale;
		res->autocorr = (head > 0.0 && tail > 0.0) ? r / sqrt(head * tail) : 0.0;
	}
}

void
ser_pitch_track_free(SerPitchTrack *track)
{
	ser_free(track->f0);
	ser_free(track->f0_yin);
	ser_free(track->voiced);
	ser_free(track->hnr);
	ser_free(track->jitter);
	ser_free(track->shimmer);
	memset(track, 0, sizeof(*track));
}

SerStatus
ser_pitch_track(const SerFeatureParams *p, const float *pcm, size_t n,
				SerPitchTrack *track, SerError *err)
{
	YinWork		w;
	SerStatus	status;
	size_t		T = ser_feature_frame_count(p, n);
	size_t		alloc_frames = T > 0 ? T : 1;
	int64_t		first_start;
	float	   *amplitude;

	memset(track, 0, sizeof(*track));
	status = yin_work_init(p, &w, err);
	if (status != SER_OK)
		return status;

	track->n_frames = T;
	track->f0 = ser_calloc(alloc_frames, sizeof(float));
	track->f0_yin = ser_calloc(alloc_frames, sizeof(float));
	track->voiced = ser_calloc(alloc_frames, sizeof(float));
	track->hnr = ser_calloc(alloc_frames, sizeof(float));
	track->jitter = ser_calloc(alloc_frames, sizeof(float));
	track->shimmer = ser_calloc(alloc_frames, sizeof(float));
	if (!track->f0 || !track->f0_yin || !track->voiced || !track->hnr || !track->jitter
		|| !track->shimmer)
	{
		yin_work_free(&w);
		ser_pitch_track_free(track);
		return ser_error(err, SER_ENOMEM, "out of memory for pitch analysis");
	}
	/* Shimmer needs each voiced frame's amplitude; jitter's buffer holds it until then. */
	amplitude = track->jitter;

	/* Frame t is centred on t*H (plus n_fft/2 when not centring), like the spectral frames. */
	first_start = (p->center ? 0 : p->n_fft / 2) - w.frame_length / 2;

	for (size_t t = 0; t < T; t++)
	{
		YinResult	res;

		if (t % PITCH_INTERRUPT_EVERY == 0 && ser_interrupted())
		{
			yin_work_free(&w);
			ser_pitch_track_free(track);
			return ser_error(err, SER_ECANCELED, "canceling pitch analysis");
		}
		yin_frame(p, &w, pcm, n, first_start + (int64_t) t * p->hop_length, &res);
		track->f0_yin[t] = (float) res.f0;
		amplitude[t] = (float) res.frame_rms;
		if (res.interior && res.autocorr >= p->voicing_threshold)
		{
			double		r = res.autocorr;
			const double r_low = 1.0 / (1.0 + 100.0);	/* -20 dB */
			const double r_high = 10000.0 / (1.0 + 10000.0);	/* +40 dB */

			if (r < r_low)
				r = r_low;
			if (r > r_high)
				r = r_high;
			track->f0[t] = (float) res.f0;
			track->voiced[t] = 1.0f;
			track->hnr[t] = (float) (10.0 * log10(r / (1.0 - r)));
		}
	}

	/* Frame-to-frame perturbations over consecutive voiced frames (see pitch.h). */
	for (size_t t = T; t-- > 0;)
	{
		float		jitter = 0.0f;
		float		shimmer = 0.0f;

		if (t > 0 && track->voiced[t] > 0.0f && track->voiced[t - 1] > 0.0f)
		{
			double		p_now = 1.0 / track->f0[t];
			double		p_before = 1.0 / track->f0[t - 1];
			double		a_now = amplitude[t];
			double		a_before = amplitude[t - 1];

			jitter = (float) (fabs(p_now - p_before) / ((p_now + p_before) / 2.0));
			shimmer = (float) (fabs(a_now - a_before) / ((a_now + a_before) / 2.0));
		}
		/* Walking backwards, amplitude[t-1] is still intact when t is overwritten. */
		track->shimmer[t] = shimmer;
		track->jitter[t] = jitter;
	}

	yin_work_free(&w);
	return SER_OK;
}
