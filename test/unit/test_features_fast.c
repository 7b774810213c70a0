/*
 * test_features_fast.c — the fast paths of the feature core against plain
 * double-precision definitions: the real FFT (half-size complex transform
 * plus separation) against a direct DFT, YIN's block method and its direct
 * method against a brute-force YIN, and spectral contrast (per-lane
 * extremes, and plain insertion for large quantiles) against sorting, and
 * the utterance percentiles (bucket bracketing) against sorting.
 * A process of its own: the FFT sizes here do not crowd the per-process
 * plan cache of the other feature tests.
 */
#include "unit.h"

#include "features/features.h"
#include "features/fft.h"
#include "features/pitch.h"
#include "features/spectral.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

#define SR 16000

static uint64_t rng_state = 12345;

static double
uniform(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double) (rng_state >> 11) / 9007199254740992.0;
}

static void
test_fft(void)
{
	static const int sizes[] = {2, 6, 30, 480, 512};

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
	{
		int			n = sizes[s];
		int			bins = n / 2 + 1;
		SerRealFft *fft;
		SerError	err;
		double	   *x = malloc(sizeof(double) * n);
		float	   *re = malloc(sizeof(float) * bins);
		float	   *im = malloc(sizeof(float) * bins);
		float	   *power = malloc(sizeof(float) * bins);
		double		worst = 0.0,
					worst_power = 0.0,
					worst_inverse = 0.0;

		UNIT_OK(ser_real_fft_get(n, &fft, &err) == SER_OK, "FFT of size %d planned", n);
		for (int i = 0; i < n; i++)
			fft->real[i] = (float) (x[i] = uniform() * 2.0 - 1.0);
		ser_real_fft_forward(fft, re, im);
		ser_real_fft_power(fft, power);
		for (int k = 0; k < bins; k++)
		{
			double		dft_re = 0.0,
						dft_im = 0.0;

			for (int i = 0; i < n; i++)
			{
				dft_re += x[i] * cos(2.0 * M_PI * i * k / n);
				dft_im -= x[i] * sin(2.0 * M_PI * i * k / n);
			}
			worst = fmax(worst, fmax(fabs(re[k] - dft_re), fabs(im[k] - dft_im)));
			worst_power = fmax(worst_power, fabs(power[k] - (dft_re * dft_re + dft_im * dft_im)) / n);
		}
		/* the imaginary parts of bins 0 and n/2 must be ignored */
		im[0] = 1e3f;
		im[bins - 1] = -1e3f;
		ser_real_fft_inverse(fft, re, im);
		for (int i = 0; i < n; i++)
			worst_inverse = fmax(worst_inverse, fabs(fft->real[i] / n - x[i]));
		/* single precision: errors of a few ulp times sqrt(n) of values up to about sqrt(n) */
		UNIT_OK(worst <= 1e-5 * sqrt(n) && worst_power <= 1e-5 * sqrt(n) && worst_inverse <= 1e-6,
				"FFT %d against a direct DFT: spectrum %.2g, power %.2g (per point), inverse %.2g",
				n, worst, worst_power, worst_inverse);
		free(x);
		free(re);
		free(im);
		free(power);
	}
}

/* A voice-like test signal: harmonics of a gliding F0 with vibrato, noise, a pause, and fades. */
static float *
voice(size_t n)
{
	float	   *x = malloc(sizeof(float) * n);
	double		phase = 0.0;

	for (size_t i = 0; i < n; i++)
	{
		double		t = (double) i / SR;
		double		f0 = 120.0 + 100.0 * t + 6.0 * sin(2.0 * M_PI * 5.0 * t);
		double		v = 0.0;

		phase += 2.0 * M_PI * f0 / SR;
		for (int h = 1; h <= 8; h++)
			v += sin(h * phase) / h;
		v *= 0.2 * fmin(1.0, fmin(t / 0.2, ((double) n / SR - t) / 0.2));
		if (t > 0.7 && t < 0.85)
			v = 0.0;			/* a pause: quiet frames and frames half in it */
		x[i] = (float) (v + 0.01 * (uniform() * 2.0 - 1.0));
	}
	return x;
}

/* YIN of one frame as pitch.h defines it, in double by the definition (O(L * P)). */
static void
reference_yin(const SerFeatureParams *p, const float *pcm, size_t n, int64_t start,
			  double *f0_yin, int *voiced)
{
	int			L = p->pitch_frame_length;
	int			lo = (int) floor(p->sample_rate / p->pitch_fmax);
	int			P = (int) ceil(p->sample_rate / p->pitch_fmin);
	double	   *x = calloc((size_t) 2 * L, sizeof(double));
	double	   *c;
	double		energy = 0.0,
				running = 0.0,
				shift = 0.0,
				period;
	int			count,
				best = -1,
				lowest_at = 0,
				lag;

	if (P > L - 1)
		P = L - 1;
	count = P - lo + 1;
	c = malloc(sizeof(double) * (P + 1));
	for (int i = 0; i < L; i++)
	{
		int64_t		at = start + i;

		x[i] = (at >= 0 && at < (int64_t) n) ? pcm[at] : 0.0;
		energy += x[i] * x[i];
	}
	*f0_yin = 0.0;
	*voiced = 0;
	if (sqrt(energy / L) < p->voicing_min_rms || energy <= 0.0)
	{
		free(x);
		free(c);
		return;
	}
	for (int tau = 1; tau <= P; tau++)
	{
		double		d = 0.0;

		for (int i = 0; i < L; i++)
			d += (x[i] - x[i + tau]) * (x[i] - x[i + tau]);	/* zeros past the frame */
		running += d;
		c[tau] = d / (running / tau + FLT_MIN);
	}
	for (int u = 0; u < count && best < 0; u++)
	{
		double		here = c[lo + u];

		if (here < c[lo + lowest_at])
			lowest_at = u;
		if (here < p->pitch_threshold
			&& (u == 0 ? (count > 1 && here < c[lo + 1])
				: (here < c[lo + u - 1] && (u == count - 1 || here <= c[lo + u + 1]))))
			best = u;
	}
	if (best < 0)
		best = lowest_at;
	if (best > 0 && best < count - 1)
	{
		double		a = c[lo + best + 1] + c[lo + best - 1] - 2.0 * c[lo + best];
		double		b = (c[lo + best + 1] - c[lo + best - 1]) / 2.0;

		if (fabs(b) < fabs(a))
			shift = -b / a;
	}
	period = lo + best + shift;
	*f0_yin = p->sample_rate / period;
	lag = (int) lround(period);
	lag = lag < 1 ? 1 : (lag > P ? P : lag);
	{
		double		r = 0.0,
					head = 0.0,
					tail = 0.0;

		for (int i = 0; i < L - lag; i++)
		{
			r += x[i] * x[i + lag];
			head += x[i] * x[i];
			tail += x[i + lag] * x[i + lag];
		}
		*voiced = best > 0 && best < count - 1 && head > 0 && tail > 0
			&& r / sqrt(head * tail) >= p->voicing_threshold;
	}
	free(x);
	free(c);
}

/*
 * Both YIN methods against the definition.  The parameter sets make
 * pitch.c pick its block method with a remainder piece (defaults: 6 hops of
 * 160 and 64 samples), with many blocks (hop 100), with no remainder
 * (hop 256), and its direct method (frames of 768 with hop 400: less than
 * two hops a frame).  Away from ties within round-off (a trough a hair
 * below the threshold, two candidates a hair apart), the results agree to
 * float precision.
 */
static void
test_yin_methods(void)
{
	static const struct
	{
		int			hop;
		int			frame;
		const char *what;
	}			sets[] = {
		{160, 1024, "block method, 6 hops + 64 samples"},
		{100, 1024, "block method, 10 hops + 24 samples"},
		{256, 1024, "block method, 4 whole hops"},
		{400, 768, "direct method"},
	};
	size_t		n = (size_t) (1.5 * SR);
	float	   *x = voice(n);

	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++)
	{
		SerFeatureParams p;
		SerPitchTrack track;
		SerError	err;
		long		compared = 0,
					close = 0,
					same_voicing = 0,
					voiced_frames = 0;
		double		worst_close = 0.0;

		ser_feature_params_default(&p);
		p.hop_length = sets[s].hop;
		p.pitch_frame_length = sets[s].frame;
		UNIT_OK(ser_pitch_track(&p, x, n, &track, &err) == SER_OK, "%s: pitch track", sets[s].what);
		for (size_t t = 0; t < track.n_frames; t++)
		{
			double		f0;
			int			voiced;

			reference_yin(&p, x, n, (int64_t) t * p.hop_length - p.pitch_frame_length / 2, &f0, &voiced);
			same_voicing += voiced == (track.voiced[t] > 0.0f);
			voiced_frames += voiced;
			if (f0 == 0.0 && track.f0_yin[t] == 0.0f)
				continue;
			compared++;
			if (fabs(track.f0_yin[t] - f0) <= 1e-5 * f0)
			{
				close++;
				worst_close = fmax(worst_close, fabs(track.f0_yin[t] - f0) / f0);
			}
		}
		UNIT_OK(compared > 50 && voiced_frames > 30 && close >= compared - 2
				&& same_voicing >= (long) track.n_frames - 2,
				"%s: YIN as defined on %ld of %ld frames (worst %.1e relative), voicing on %ld of %zu (%ld voiced)",
				sets[s].what, close, compared, worst_close, same_voicing, track.n_frames, voiced_frames);
		ser_pitch_track_free(&track);
	}
	free(x);
}

static int
compare_floats(const void *a, const void *b)
{
	float		x = *(const float *) a,
				y = *(const float *) b;

	return (x > y) - (x < y);
}

/* Spectral contrast against sorting each band, for a small and a large quantile. */
static void
test_contrast(void)
{
	static const double quantiles[] = {0.02, 0.2};
	size_t		n = SR;
	float	   *x = malloc(sizeof(float) * n);

	for (size_t i = 0; i < n; i++)
		x[i] = (float) (0.3 * (uniform() * 2.0 - 1.0) + 0.2 * sin(2.0 * M_PI * 440.0 * i / SR));
	for (size_t s = 0; s < sizeof(quantiles) / sizeof(quantiles[0]); s++)
	{
		SerFeatureParams p;
		const SerSpectralTables *tables;
		SerError	err;
		float	   *scratch;
		double		worst = 0.0;
		int			largest_q = 0;

		ser_feature_params_default(&p);
		p.contrast_quantile = quantiles[s];
		if (ser_spectral_tables_get(&p, &tables, &err) != SER_OK)
		{
			UNIT_OK(0, "contrast tables: %s", err.message);
			continue;
		}
		scratch = malloc(sizeof(float) * ser_spectral_scratch_size(tables));
		for (size_t t = 0; t < 100; t++)
		{
			float		contrast[16];
			SerSpectralOut so = {0};

			so.contrast = contrast;
			ser_spectral_frame(tables, x, n, t, scratch, &so);
			for (int b = 0; b <= p.contrast_bands; b++)
			{
				int			lo = tables->band_low[b],
							count = tables->band_high[b] - lo + 1,
							q = tables->band_quantile[b];
				float		sorted[512];
				double		low = 0.0,
							high = 0.0,
							expected;

				memcpy(sorted, scratch + tables->bin_stride + lo, sizeof(float) * count);
				qsort(sorted, count, sizeof(float), compare_floats);
				for (int i = 0; i < q; i++)
				{
					low += sorted[i];
					high += sorted[count - 1 - i];
				}
				expected = 10.0 * log10(fmax(high / q, 1e-10) / fmax(low / q, 1e-10));
				worst = fmax(worst, fabs(contrast[b] - expected));
				largest_q = q > largest_q ? q : largest_q;
			}
		}
		UNIT_OK(worst <= 1e-4, "contrast with quantile %.2f (up to %d bins) equals sorting (worst %.1e dB)",
				quantiles[s], largest_q, worst);
		free(scratch);
	}
	free(x);
}

/* numpy's default percentile of sorted[0..n): linear between order statistics. */
static float
sorted_percentile(const float *sorted, size_t n, double q)
{
	double		position = q * (double) (n - 1);
	size_t		k = (size_t) floor(position);
	double		fraction = position - (double) k;
	double		low = sorted[k];
	double		high = (fraction > 0.0 && k + 1 < n) ? sorted[k + 1] : low;

	return (float) (low + fraction * (high - low));
}

/*
 * Every p10/p50/p90 of a frame column in the utterance vector equals the
 * percentile of the sorted column, bit for bit, for clips from one frame to
 * a few thousand: noise with a silent stretch (ties, a constant run), a
 * steady tone (values packed together), bursts of heavy-tailed noise
 * (values spread over decades, so that bracketing has to narrow down
 * several times).
 */
static void
test_percentiles(void)
{
	static const size_t frame_counts[] = {1, 2, 3, 10, 48, 49, 50, 97, 351, 2000};
	SerFeatureParams p;
	int			compared = 0,
				mismatched = 0;

	ser_feature_params_default(&p);
	p.activity_gate_db = 0.0;	/* every frame enters the statistics, as the sorted columns here */
	for (int kind = 0; kind < 3; kind++)
		for (size_t c = 0; c < sizeof(frame_counts) / sizeof(frame_counts[0]); c++)
		{
			size_t		n = (frame_counts[c] - 1) * (size_t) p.hop_length + 1;
			float	   *x = malloc(sizeof(float) * n);
			float	   *column;
			SerFeatureSet fs;
			SerError	err;
			char		name[64],
						frame_name[64];

			for (size_t i = 0; i < n; i++)
			{
				double		noise = uniform() * 2.0 - 1.0;

				if (kind == 0)
					x[i] = (i > n / 3 && i < n / 2) ? 0.0f : (float) (0.3 * noise);
				else if (kind == 1)
					x[i] = (float) (0.5 * sin(2.0 * M_PI * 220.0 * i / SR));
				else
					x[i] = (float) (noise * exp(8.0 * uniform() - 8.0) * ((i / 800) % 3 == 0));
			}
			if (ser_extract_features(&p, x, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
									 &fs, &err) != SER_OK)
			{
				UNIT_OK(0, "features of %zu frames: %s", frame_counts[c], err.message);
				free(x);
				continue;
			}
			column = malloc(sizeof(float) * fs.n_frames);
			for (int u = 0; u < fs.n_utterance; u++)
			{
				size_t		len;
				double		q;
				int			found = -1;

				ser_utterance_feature_name(&p, u, name, sizeof(name));
				len = strlen(name);
				if (len < 5 || name[len - 4] != '_' || name[len - 3] != 'p')
					continue;
				q = atoi(name + len - 2) / 100.0;
				name[len - 4] = '\0';
				for (int f = 0; f < fs.n_frame_features && found < 0; f++)
				{
					ser_frame_feature_name(&p, f, frame_name, sizeof(frame_name));
					if (strcmp(frame_name, name) == 0)
						found = f;
				}
				if (found < 0)
					continue;	/* voiced frames only (f0, hnr): not a whole column */
				for (size_t t = 0; t < fs.n_frames; t++)
					column[t] = fs.frames[t * fs.n_frame_features + found];
				qsort(column, fs.n_frames, sizeof(float), compare_floats);
				compared++;
				if (fs.utterance[u] != sorted_percentile(column, fs.n_frames, q))
				{
					if (mismatched++ == 0)
						UNIT_DIAG("%s p%02.0f of %zu frames: %.9g, sorting gives %.9g", name, q * 100.0,
								  fs.n_frames, fs.utterance[u],
								  sorted_percentile(column, fs.n_frames, q));
				}
			}
			free(column);
			ser_feature_set_free(&fs);
			free(x);
		}
	UNIT_OK(compared > 1000 && mismatched == 0,
			"utterance percentiles equal sorting bit for bit (%d columns compared, %d differ)",
			compared, mismatched);
}

int
main(void)
{
	test_fft();
	test_yin_methods();
	test_contrast();
	test_percentiles();
	return unit_done();
}
