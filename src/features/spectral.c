/*
 * spectral.c — analysis tables (window, mel and chroma filterbanks, DCT,
 * contrast bands) and the per-frame spectral features.  See spectral.h.
 */
#include "features/spectral.h"
#include "features/vec.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ZCR_ZERO 1e-10			/* |x| at or below this is a zero (librosa) */
#define FLATNESS_FLOOR 1e-10
#define CONTRAST_FLOOR 1e-10

/* Vectors of four floats (vec.h) that cover the largest n_mfcc (n_mels <= 512) and n_chroma (<= 120). */
#define MAX_VEC4 128

/*
 * The tables of the last parameter set used in this process.  They outlive
 * any one call (and, in the server, any memory context), so they are
 * malloc'd directly rather than with ser_malloc, and released only when
 * another parameter set replaces them.
 */
static SerSpectralTables cached_tables;
static int	cached_valid = 0;

static void
tables_release(SerSpectralTables *t)
{
	free(t->window);
	free(t->freqs);
	free(t->mel_first);
	free(t->mel_count);
	free(t->mel_weights);
	free(t->mel_group_count);
	free(t->mel_group_offset);
	free(t->mel_group_weights);
	free(t->dct);
	free(t->chroma);
	free(t->band_low);
	free(t->band_high);
	free(t->band_quantile);
	memset(t, 0, sizeof(*t));
}

/* Slaney's mel scale (librosa.hz_to_mel with htk=False): linear below 1 kHz, logarithmic above. */
static double
hz_to_mel(double hz)
{
	const double f_sp = 200.0 / 3.0;
	const double log_step = log(6.4) / 27.0;

	if (hz >= 1000.0)
		return 1000.0 / f_sp + log(hz / 1000.0) / log_step;
	return hz / f_sp;
}

static double
mel_to_hz(double mel)
{
	const double f_sp = 200.0 / 3.0;
	const double log_step = log(6.4) / 27.0;
	const double min_log_mel = 1000.0 / f_sp;

	if (mel >= min_log_mel)
		return 1000.0 * exp(log_step * (mel - min_log_mel));
	return f_sp * mel;
}

static SerStatus
build_mel(SerSpectralTables *t, SerError *err)
{
	const SerFeatureParams *p = &t->params;
	int			n_mels = p->n_mels;
	double	   *edges = malloc(((size_t) n_mels + 2) * sizeof(double));
	double		mel_lo = hz_to_mel(p->fmin);
	double		mel_hi = hz_to_mel(p->fmax);

	if (edges == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for the mel filterbank");
	for (int i = 0; i < n_mels + 2; i++)
		edges[i] = mel_to_hz(mel_lo + (mel_hi - mel_lo) * i / (n_mels + 1));

	for (int b = 0; b < n_mels; b++)
	{
		double		below = edges[b + 1] - edges[b];
		double		above = edges[b + 2] - edges[b + 1];
		double		area_norm = 2.0 / (edges[b + 2] - edges[b]);
		int			first = -1;
		int			last = -1;

		for (int k = 0; k < t->n_bins; k++)
		{
			double		rising = (t->freqs[k] - edges[b]) / below;
			double		falling = (edges[b + 2] - t->freqs[k]) / above;
			double		w = fmin(rising, falling);

			w = w > 0.0 ? w * area_norm : 0.0;
			t->mel_weights[(size_t) b * t->n_bins + k] = (float) w;
			if (w > 0.0)
			{
				if (first < 0)
					first = k;
				last = k;
			}
		}
		if (first < 0)
		{
			ser_error(err, SER_EINVAL, "n_mels %d is too large for n_fft %d", n_mels, p->n_fft);
			ser_error_detail(err, "Mel band %d (%.1f to %.1f Hz) holds no FFT bin; bins are %.2f Hz apart at %d Hz.",
							 b, edges[b], edges[b + 2], (double) p->sample_rate / p->n_fft,
							 p->sample_rate);
			ser_error_hint(err, "Use fewer mel bands or a larger n_fft.");
			free(edges);
			return SER_EINVAL;
		}
		t->mel_first[b] = first;
		t->mel_count[b] = last - first + 1;
	}
	free(edges);
	return SER_OK;
}

/*
 * The mel filters laid out four bands to a vector (spectral.h): band
 * 4g + j's weight of its tap k at mel_group_weights[4 (offset[g] + k) + j].
 */
static SerStatus
build_mel_groups(SerSpectralTables *t, SerError *err)
{
	int			n_mels = t->params.n_mels;
	int			groups = (n_mels + 3) / 4;
	size_t		taps = 0;

	t->n_mel_groups = groups;
	t->mel_group_count = malloc((size_t) groups * sizeof(int));
	t->mel_group_offset = malloc((size_t) groups * sizeof(int));
	if (t->mel_group_count == NULL || t->mel_group_offset == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for the mel filterbank");
	for (int g = 0; g < groups; g++)
	{
		int			count = 0;

		for (int b = 4 * g; b < 4 * g + 4 && b < n_mels; b++)
			if (t->mel_count[b] > count)
				count = t->mel_count[b];
		t->mel_group_count[g] = count;
		t->mel_group_offset[g] = (int) taps;
		taps += (size_t) count;
	}
	t->mel_group_weights = calloc(4 * taps, sizeof(float));
	if (t->mel_group_weights == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for the mel filterbank");
	for (int b = 0; b < n_mels; b++)
	{
		const float *w = t->mel_weights + (size_t) b * t->n_bins + t->mel_first[b];
		float	   *dst = t->mel_group_weights + 4 * (size_t) t->mel_group_offset[b / 4] + b % 4;

		for (int k = 0; k < t->mel_count[b]; k++)
			dst[4 * (size_t) k] = w[k];
	}
	return SER_OK;
}

static void
build_dct(SerSpectralTables *t)
{
	int			n = t->params.n_mels;

	for (int k = 0; k < t->params.n_mfcc; k++)
	{
		double		scale = k == 0 ? sqrt(1.0 / n) : sqrt(2.0 / n);

		for (int b = 0; b < n; b++)
			t->dct[(size_t) b * t->dct_stride + k] = (float) (scale * cos(M_PI * k * (2.0 * b + 1.0) / (2.0 * n)));
	}
}

/* librosa.filters.chroma(sr, n_fft, n_chroma, tuning=0, ctroct=5, octwidth=2, norm=2, base_c=True). */
static SerStatus
build_chroma(SerSpectralTables *t, SerError *err)
{
	const SerFeatureParams *p = &t->params;
	int			nc = p->n_chroma;
	int			n_fft = p->n_fft;
	double	   *pos = calloc((size_t) n_fft, sizeof(double));	/* bin position in chroma units */
	double	   *width = malloc((size_t) n_fft * sizeof(double));
	double	   *column = malloc((size_t) nc * sizeof(double));
	double		half = round(nc / 2.0);
	int			roll = 3 * (nc / 12);

	if (pos == NULL || width == NULL || column == NULL)
	{
		free(pos);
		free(width);
		free(column);
		return ser_error(err, SER_ENOMEM, "out of memory for the chroma filterbank");
	}
	for (int k = 1; k < n_fft; k++)
		pos[k] = nc * log2(((double) k * p->sample_rate / n_fft) / (440.0 / 16.0));
	/* The DC bin gets a made-up position 1.5 octaves below bin 1 (librosa). */
	pos[0] = pos[1] - 1.5 * nc;
	for (int k = 0; k < n_fft - 1; k++)
		width[k] = fmax(pos[k + 1] - pos[k], 1.0);
	width[n_fft - 1] = 1.0;

	for (int k = 0; k < t->n_bins; k++)
	{
		double		norm = 0.0;
		double		octave_weight = exp(-0.5 * pow((pos[k] / nc - 5.0) / 2.0, 2.0));

		for (int c = 0; c < nc; c++)
		{
			double		d = pos[k] - c + half + 10.0 * nc;

			d = d - nc * floor(d / nc) - half;	/* floor modulo, like numpy.remainder */
			column[c] = exp(-0.5 * pow(2.0 * d / width[k], 2.0));
			norm += column[c] * column[c];
		}
		norm = sqrt(norm);
		for (int c = 0; c < nc; c++)
		{
			double		w = norm > DBL_MIN ? column[c] / norm : column[c];
			int			row = ((c - roll) % nc + nc) % nc;	/* np.roll(..., -roll) */

			t->chroma[(size_t) k * t->chroma_stride + row] = (float) (w * octave_weight);
		}
	}
	free(pos);
	free(width);
	free(column);
	return SER_OK;
}

/* The octave sub-bands of librosa.feature.spectral_contrast. */
static SerStatus
build_contrast(SerSpectralTables *t, SerError *err)
{
	const SerFeatureParams *p = &t->params;
	int			n_bands = p->contrast_bands;

	t->max_band_quantile = 1;
	for (int b = 0; b <= n_bands; b++)
	{
		double		f_low = b == 0 ? 0.0 : ldexp(p->contrast_fmin, b - 1);
		double		f_high = ldexp(p->contrast_fmin, b);
		int			low = -1,
					high = -1,
					count,
					q;

		for (int k = 0; k < t->n_bins; k++)
			if (t->freqs[k] >= f_low && t->freqs[k] <= f_high)
			{
				if (low < 0)
					low = k;
				high = k;
			}
		if (low < 0 || (b > 0 && low == 0))
		{
			ser_error(err, SER_EINVAL, "contrast band %d (%g to %g Hz) holds no FFT bin", b, f_low, f_high);
			ser_error_detail(err, "Bins are %.2f Hz apart with n_fft %d at %d Hz.",
							 (double) p->sample_rate / p->n_fft, p->n_fft, p->sample_rate);
			ser_error_hint(err, "Raise contrast_fmin or n_fft.");
			return SER_EINVAL;
		}
		if (b > 0)
			low--;				/* each band also takes the bin just below it */
		if (b == n_bands)
			high = t->n_bins - 1;	/* the top band runs to Nyquist */
		count = high - low + 1;
		q = (int) rint(p->contrast_quantile * count);
		if (q < 1)
			q = 1;
		if (b < n_bands)
			high--;				/* ... and leaves its top bin to the next band */
		if (high < low)
			high = low;
		if (q > high - low + 1)
			q = high - low + 1;
		t->band_low[b] = low;
		t->band_high[b] = high;
		t->band_quantile[b] = q;
		if (q > t->max_band_quantile)
			t->max_band_quantile = q;
	}
	return SER_OK;
}

SerStatus
ser_spectral_tables_get(const SerFeatureParams *p, const SerSpectralTables **tables, SerError *err)
{
	SerSpectralTables *t = &cached_tables;
	SerStatus	status;
	int			n_bins = p->n_fft / 2 + 1;
	int			win = p->win_length;
	int			offset = (p->n_fft - win) / 2;

	if (cached_valid && ser_feature_params_equal(&t->params, p))
	{
		/* The FFT cache may have replaced this size's plan since the last call (fft.h). */
		if ((status = ser_real_fft_get(p->n_fft, &t->fft, err)) != SER_OK)
			return status;
		*tables = t;
		return SER_OK;
	}
	if (cached_valid)
		tables_release(t);
	cached_valid = 0;

	memset(t, 0, sizeof(*t));
	t->params = *p;
	t->n_bins = n_bins;
	t->bin_stride = (n_bins + 7) / 8 * 8;
	t->window = calloc((size_t) p->n_fft, sizeof(float));
	t->freqs = calloc((size_t) t->bin_stride, sizeof(float));
	t->mel_first = malloc((size_t) p->n_mels * sizeof(int));
	t->mel_count = malloc((size_t) p->n_mels * sizeof(int));
	t->mel_weights = malloc((size_t) p->n_mels * n_bins * sizeof(float));
	t->dct_stride = (p->n_mfcc + 3) / 4 * 4;
	t->dct = calloc((size_t) t->dct_stride * p->n_mels, sizeof(float));
	t->chroma_stride = (p->n_chroma + 3) / 4 * 4;
	t->chroma = calloc((size_t) t->chroma_stride * n_bins, sizeof(float));
	t->band_low = malloc(((size_t) p->contrast_bands + 1) * sizeof(int));
	t->band_high = malloc(((size_t) p->contrast_bands + 1) * sizeof(int));
	t->band_quantile = malloc(((size_t) p->contrast_bands + 1) * sizeof(int));
	if (!t->window || !t->freqs || !t->mel_first || !t->mel_count || !t->mel_weights || !t->dct
		|| !t->chroma || !t->band_low || !t->band_high || !t->band_quantile)
	{
		tables_release(t);
		return ser_error(err, SER_ENOMEM, "out of memory for the spectral analysis tables");
	}
	/* Periodic Hann (scipy.signal.get_window("hann", win, fftbins=True)), centred in n_fft. */
	for (int i = 0; i < win; i++)
		t->window[offset + i] = (float) (0.5 - 0.5 * cos(2.0 * M_PI * i / win));
	for (int k = 0; k < n_bins; k++)
		t->freqs[k] = (float) ((double) k * p->sample_rate / p->n_fft);

	if ((status = build_mel(t, err)) != SER_OK
		|| (status = build_mel_groups(t, err)) != SER_OK
		|| (status = build_chroma(t, err)) != SER_OK
		|| (status = build_contrast(t, err)) != SER_OK
		|| (status = ser_real_fft_get(p->n_fft, &t->fft, err)) != SER_OK)
	{
		tables_release(t);
		return status;
	}
	build_dct(t);
	cached_valid = 1;
	*tables = t;
	return SER_OK;
}

size_t
ser_spectral_scratch_size(const SerSpectralTables *tables)
{
	return 2 * (size_t) tables->bin_stride + (size_t) tables->params.n_mels
		+ 2 * (size_t) tables->max_band_quantile + (size_t) tables->bin_stride / 8;
}

/* Lists longer than this (contrast_quantile times a band's width) are kept by plain insertion. */
#define MAX_LANE_QUANTILE 8

/* Insert v into the n-long (at most q) lists of the smallest (ascending) and largest (descending) values. */
static inline void
extremes_insert(float v, int q, int n, float *restrict lowest, float *restrict highest)
{
	int			j;

	if (n < q || v < lowest[q - 1])
	{
		for (j = n < q ? n : q - 1; j > 0 && lowest[j - 1] > v; j--)
			lowest[j] = lowest[j - 1];
		lowest[j] = v;
	}
	if (n < q || v > highest[q - 1])
	{
		for (j = n < q ? n : q - 1; j > 0 && highest[j - 1] < v; j--)
			highest[j] = highest[j - 1];
		highest[j] = v;
	}
}

/*
 * Mean of the q smallest and of the q largest of x[0..count), 1 <= q <= count
 * (build_contrast guarantees it).  Each of four lanes keeps its own q
 * smallest and q largest in sorted vectors by compare-exchange (min/max, no
 * branches); the answer is among those 8q candidates and the few values
 * past the last whole vector.  Sums run in sorted order, so they do not
 * depend on how the values were found.
 */
static void
extremes_mean(const float *restrict x, int count, int q, float *restrict lowest, float *restrict highest,
			  double *low_mean, double *high_mean)
{
	double		sum_low = 0.0,
				sum_high = 0.0;
	int			n = 0;
	int			i = 0;

	if (q <= MAX_LANE_QUANTILE)
	{
		const float infinity = INFINITY;
		SerVec4		low_lanes[MAX_LANE_QUANTILE],
					high_lanes[MAX_LANE_QUANTILE];

		for (int j = 0; j < q; j++)
		{
			low_lanes[j] = ser_vec4_splat(infinity);
			high_lanes[j] = ser_vec4_splat(-infinity);
		}
		for (; i + 4 <= count; i += 4)
		{
			SerVec4		down = ser_vec4_load(x + i),
						up = down;

			for (int j = 0; j < q; j++)
			{
				SerVec4		keep_low = ser_vec4_min(low_lanes[j], down),
							keep_high = ser_vec4_max(high_lanes[j], up);

				down = ser_vec4_max(low_lanes[j], down);
				up = ser_vec4_min(high_lanes[j], up);
				low_lanes[j] = keep_low;
				high_lanes[j] = keep_high;
			}
		}
		/* lanes with fewer than q values hold infinities, never among the q chosen */
		for (int j = 0; j < q; j++)
			for (int lane = 0; lane < 4; lane++)
			{
				float		v_low = low_lanes[j][lane],
							v_high = high_lanes[j][lane];
				int			k;

				if (n < q || v_low < lowest[q - 1])
				{
					for (k = n < q ? n : q - 1; k > 0 && lowest[k - 1] > v_low; k--)
						lowest[k] = lowest[k - 1];
					lowest[k] = v_low;
				}
				if (n < q || v_high > highest[q - 1])
				{
					for (k = n < q ? n : q - 1; k > 0 && highest[k - 1] < v_high; k--)
						highest[k] = highest[k - 1];
					highest[k] = v_high;
				}
				if (n < q)
					n++;
			}
	}
	for (; i < count; i++)
	{
		extremes_insert(x[i], q, n, lowest, highest);
		if (n < q)
			n++;
	}
	for (i = 0; i < q; i++)
	{
		sum_low += lowest[i];
		sum_high += highest[i];
	}
	*low_mean = sum_low / q;
	*high_mean = sum_high / q;
}

/*
 * db[i] = 10 log10(max(power[i], floor)) for i < count (floor a positive
 * normal float), four values at a time and without libm: with x = 2^e m,
 * m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(s), s = (m - 1) / (m + 1),
 * |s| < 0.172, whose series to s^9 is exact to 4e-10 relative.  Evaluated
 * in double, the float result is the correctly rounded 10 log10 x for all
 * but about 60 in a million inputs (one unit in the last place off), where
 * 10.0f * log10f(x) misses on 17 % of them.
 */
static inline SerVec2d
ln_mantissa2(SerVec2d m)
{
	const SerVec2d one = {1.0, 1.0};
	SerVec2d	s = (m - one) / (m + one);
	SerVec2d	s2 = s * s;
	SerVec2d	series = (2.0 / 9.0) * s2 + (2.0 / 7.0);

	series = series * s2 + (2.0 / 5.0);
	series = series * s2 + (2.0 / 3.0);
	series = series * s2 + 2.0;
	return series * s;
}

static void
power_to_db(const float *power, int count, float floor, float *db)
{
	const double db_per_ln = 10.0 / M_LN10;
	const SerVec4 floor4 = ser_vec4_splat(floor);
	int			i;

	for (i = 0; i + 4 <= count; i += 4)
	{
		SerVec4		v = ser_vec4_max(ser_vec4_load(power + i), floor4);
		SerVec4i	bits;
		SerVec4i	exponent;
		SerVec4i	high;
		SerVec4		m;
		SerVec2d	ln_lo,
					ln_hi;

		memcpy(&bits, &v, sizeof(bits));
		exponent = (bits >> 23) - 127;
		bits = (bits & 0x007fffff) | 0x3f800000;
		memcpy(&m, &bits, sizeof(m));
		/* m in [1, 2): halve those above sqrt(2) (exactly) and count it in the exponent */
		high = m > ser_vec4_splat((float) M_SQRT2);
		exponent -= high;
		{
			SerVec4		halved = m * ser_vec4_splat(0.5f);
			SerVec4i	mi,
						hi;

			memcpy(&mi, &m, sizeof(mi));
			memcpy(&hi, &halved, sizeof(hi));
			mi = (hi & high) | (mi & ~high);
			memcpy(&m, &mi, sizeof(m));
		}
		ln_lo = ln_mantissa2((SerVec2d) {m[0], m[1]})
			+ (SerVec2d) {exponent[0], exponent[1]} * M_LN2;
		ln_hi = ln_mantissa2((SerVec2d) {m[2], m[3]})
			+ (SerVec2d) {exponent[2], exponent[3]} * M_LN2;
		ln_lo *= db_per_ln;
		ln_hi *= db_per_ln;
		ser_vec4_store(db + i, (SerVec4) {(float) ln_lo[0], (float) ln_lo[1], (float) ln_hi[0], (float) ln_hi[1]});
	}
	for (; i < count; i++)
	{
		float		v = power[i] > floor ? power[i] : floor;
		int			e;
		double		m = 2.0 * frexp(v, &e);	/* in [1, 2) */
		SerVec2d	ln;

		e--;
		if (m > (float) M_SQRT2)
		{
			m *= 0.5;
			e++;
		}
		ln = ln_mantissa2((SerVec2d) {m, m}) + (double) e * M_LN2;
		db[i] = (float) (ln[0] * db_per_ln);
	}
}

/*
 * ln of the geometric mean of max(power[k], FLATNESS_FLOOR), k < count,
 * without a logarithm per bin: each value is 2^e * m with m in [1, 2); the
 * exponents are summed as integers and the mantissas multiplied in double
 * (four running products, renormalised long before they could overflow).
 */
static double
log_geometric_mean(const float *power, int count, double *arithmetic_mean)
{
	const SerVec4 floor4 = ser_vec4_splat(FLATNESS_FLOOR);
	SerVec4		sum = {0, 0, 0, 0};
	SerVec4i	exponents = {0, 0, 0, 0};
	SerVec2d	product_lo = {1.0, 1.0},
				product_hi = {1.0, 1.0},
				product_lo2 = {1.0, 1.0},
				product_hi2 = {1.0, 1.0};
	long		exponent_sum = 0;
	double		log_product = 0.0;
	double		total;
	int			k,
				since_renorm = 0;

	/* eight bins a step: four product chains that do not wait for each other */
	for (k = 0; k + 8 <= count; k += 8)
	{
		SerVec4		v = ser_vec4_max(ser_vec4_load(power + k), floor4),
					v2 = ser_vec4_max(ser_vec4_load(power + k + 4), floor4);
		SerVec4i	bits,
					bits2;
		SerVec4		mantissa,
					mantissa2;

		sum += v + v2;
		memcpy(&bits, &v, sizeof(bits));
		memcpy(&bits2, &v2, sizeof(bits2));
		exponents += ((bits >> 23) & 0xff) + ((bits2 >> 23) & 0xff);
		bits = (bits & 0x007fffff) | 0x3f800000;
		bits2 = (bits2 & 0x007fffff) | 0x3f800000;
		memcpy(&mantissa, &bits, sizeof(mantissa));
		memcpy(&mantissa2, &bits2, sizeof(mantissa2));
		product_lo *= (SerVec2d) {mantissa[0], mantissa[1]};
		product_hi *= (SerVec2d) {mantissa[2], mantissa[3]};
		product_lo2 *= (SerVec2d) {mantissa2[0], mantissa2[1]};
		product_hi2 *= (SerVec2d) {mantissa2[2], mantissa2[3]};
		if (++since_renorm == 256)
		{
			/* each lane is below 2^256 */
			for (int lane = 0; lane < 2; lane++)
			{
				int			e;

				product_lo[lane] = frexp(product_lo[lane], &e);
				exponent_sum += e;
				product_hi[lane] = frexp(product_hi[lane], &e);
				exponent_sum += e;
				product_lo2[lane] = frexp(product_lo2[lane], &e);
				exponent_sum += e;
				product_hi2[lane] = frexp(product_hi2[lane], &e);
				exponent_sum += e;
			}
			since_renorm = 0;
		}
	}
	total = ser_vec4_sum(sum);
	exponent_sum += (long) exponents[0] + exponents[1] + exponents[2] + exponents[3] - 127L * k;
	for (; k < count; k++)
	{
		float		v = power[k] > FLATNESS_FLOOR ? power[k] : FLATNESS_FLOOR;
		int			e;

		total += v;
		log_product += log(frexp(v, &e));
		exponent_sum += e;
	}
	product_lo *= product_lo2;	/* each factor below 2^256: no overflow */
	product_hi *= product_hi2;
	log_product += log(product_lo[0]) + log(product_lo[1]) + log(product_hi[0]) + log(product_hi[1]);
	*arithmetic_mean = total / count;
	return (log_product + exponent_sum * M_LN2) / count;
}

void
ser_spectral_frame(const SerSpectralTables *tables, const float *pcm, size_t n, size_t t,
				   float *scratch, const SerSpectralOut *out)
{
	const SerFeatureParams *p = &tables->params;
	int			n_fft = p->n_fft;
	int			n_bins = tables->n_bins;
	int			stride = tables->bin_stride;
	int			win = p->win_length;
	int			offset = (n_fft - win) / 2;
	int64_t		centre = (int64_t) t * p->hop_length + (p->center ? 0 : n_fft / 2);
	int64_t		start = centre - n_fft / 2;
	float	   *power = scratch;
	float	   *magnitude = scratch + stride;
	float	   *mel = magnitude + stride;
	float	   *lowest = mel + p->n_mels;
	float	   *highest = lowest + tables->max_band_quantile;
	float	   *block_sums = highest + tables->max_band_quantile;
	float	   *in = tables->fft->real;
	const float *freqs = tables->freqs;
	double		sum_mag,
				centroid = 0.0;
	float		log_floor = (float) p->log_floor;

	/* Windowed frame: only the win_length samples under the window can be non-zero. */
	memset(in, 0, (size_t) offset * sizeof(float));
	memset(in + offset + win, 0, (size_t) (n_fft - offset - win) * sizeof(float));
	if (start + offset >= 0 && start + offset + win <= (int64_t) n)
	{
		const float *restrict x = pcm + start;
		const float *restrict w = tables->window;
		float	   *restrict dst = in;

		for (int i = offset; i < offset + win; i++)
			dst[i] = x[i] * w[i];
	}
	else
		for (int i = offset; i < offset + win; i++)
		{
			int64_t		at = start + i;

			in[i] = (at >= 0 && at < (int64_t) n) ? pcm[at] * tables->window[i] : 0.0f;
		}
	ser_real_fft_power(tables->fft, power);
	if (out->power_floor > 0.0f)
	{
		/*
		 * maxps is the scalar "power > floor ? power : floor" lane by lane;
		 * written over out->power_floor the loop could not be vectorised
		 * (power might have been that float), and took a tenth of a frame.
		 */
		const SerVec4 floor4 = ser_vec4_splat(out->power_floor);
		int			k;

		for (k = 0; k + 4 <= n_bins; k += 4)
			ser_vec4_store(power + k, ser_vec4_max(ser_vec4_load(power + k), floor4));
		for (; k < n_bins; k++)
			power[k] = power[k] > floor4[0] ? power[k] : floor4[0];
	}
	for (int k = n_bins; k < stride; k++)
		power[k] = 0.0f;		/* the vector loops below read whole blocks of 8 */
	for (int k = 0; k < stride; k += 4)
		ser_vec4_store(magnitude + k, ser_vec4_sqrt(ser_vec4_load(power + k)));

	if (out->log_mel || out->mfcc)
	{
		/*
		 * Four bands at a time, one per lane: each lane adds its band's
		 * products in the band's own order (mulps and addps are the scalar
		 * operations lane by lane), then products of zero weights, which
		 * leave a sum of non-negative terms as it is.  Band by band, the
		 * three-tap filters of the low bands were mostly loop overhead.
		 * A lane past its band's taps reads bins beyond them: at most
		 * n_bins - 1 + n_bins, inside power and magnitude, both finite.
		 */
		for (int g = 0; g < tables->n_mel_groups; g++)
		{
			const float *w = tables->mel_group_weights + 4 * (size_t) tables->mel_group_offset[g];
			const float *pw[4];
			SerVec4		acc = {0, 0, 0, 0};

			for (int j = 0; j < 4; j++)
				pw[j] = power + (4 * g + j < p->n_mels ? tables->mel_first[4 * g + j] : 0);
			for (int k = 0; k < tables->mel_group_count[g]; k++)
			{
				SerVec4		pk = {pw[0][k], pw[1][k], pw[2][k], pw[3][k]};

				acc += ser_vec4_load(w + 4 * (size_t) k) * pk;
			}
			for (int j = 0; j < 4 && 4 * g + j < p->n_mels; j++)
				mel[4 * g + j] = acc[j];
		}
		power_to_db(mel, p->n_mels, log_floor, mel);
		if (out->log_mel)
			memcpy(out->log_mel, mel, (size_t) p->n_mels * sizeof(float));
		if (out->mfcc)
		{
			/* band-major, four coefficients per vector operation */
			SerVec4		acc[MAX_VEC4];
			int			nv = tables->dct_stride / 4;

			for (int v = 0; v < nv; v++)
				acc[v] = (SerVec4) {0, 0, 0, 0};
			if (nv == 5)
			{
				/*
				 * 17 to 20 coefficients (the default 20): accumulators in
				 * registers, even and odd bands apart so that consecutive
				 * additions do not wait for each other.
				 */
				SerVec4		e[5] = {{0}},
							o[5] = {{0}};
				int			b;

				for (b = 0; b + 2 <= p->n_mels; b += 2)
				{
					const float *d = tables->dct + (size_t) b * 20;
					SerVec4		me = ser_vec4_splat(mel[b]),
								mo = ser_vec4_splat(mel[b + 1]);

					for (int v = 0; v < 5; v++)
					{
						e[v] += ser_vec4_load(d + 4 * v) * me;
						o[v] += ser_vec4_load(d + 20 + 4 * v) * mo;
					}
				}
				if (b < p->n_mels)
				{
					const float *d = tables->dct + (size_t) b * 20;
					SerVec4		me = ser_vec4_splat(mel[b]);

					for (int v = 0; v < 5; v++)
						e[v] += ser_vec4_load(d + 4 * v) * me;
				}
				for (int v = 0; v < 5; v++)
					acc[v] = e[v] + o[v];
			}
			else
			{
				/* the same sums in the same order, so that the first k of n coefficients are the k coefficients */
				SerVec4		odd[MAX_VEC4];

				for (int v = 0; v < nv; v++)
					odd[v] = (SerVec4) {0, 0, 0, 0};
				for (int b = 0; b < p->n_mels; b++)
				{
					const float *d = tables->dct + (size_t) b * tables->dct_stride;
					SerVec4		m = ser_vec4_splat(mel[b]);
					SerVec4    *sum = (b & 1) ? odd : acc;

					for (int v = 0; v < nv; v++)
						sum[v] += ser_vec4_load(d + 4 * v) * m;
				}
				for (int v = 0; v < nv; v++)
					acc[v] += odd[v];
			}
			memcpy(out->mfcc, acc, (size_t) p->n_mfcc * sizeof(float));
		}
	}

	if (out->chroma)
	{
		float		peak = 0.0f;
		int			nc = p->n_chroma;
		SerVec4		acc[MAX_VEC4];
		int			nv = tables->chroma_stride / 4;

		/* bin-major, as for the MFCC */
		for (int v = 0; v < nv; v++)
			acc[v] = (SerVec4) {0, 0, 0, 0};
		if (nv == 3)
		{
			/*
			 * The usual 12 pitch classes: accumulators in registers, even
			 * and odd bins apart so that consecutive additions do not wait
			 * for each other.
			 */
			SerVec4		a0 = acc[0],
						a1 = acc[1],
						a2 = acc[2],
						b0 = acc[0],
						b1 = acc[1],
						b2 = acc[2];
			int			k;

			for (k = 0; k + 2 <= n_bins; k += 2)
			{
				const float *w = tables->chroma + (size_t) k * 12;
				SerVec4		pk = ser_vec4_splat(power[k]),
							pn = ser_vec4_splat(power[k + 1]);

				a0 += ser_vec4_load(w) * pk;
				a1 += ser_vec4_load(w + 4) * pk;
				a2 += ser_vec4_load(w + 8) * pk;
				b0 += ser_vec4_load(w + 12) * pn;
				b1 += ser_vec4_load(w + 16) * pn;
				b2 += ser_vec4_load(w + 20) * pn;
			}
			if (k < n_bins)
			{
				const float *w = tables->chroma + (size_t) k * 12;
				SerVec4		pk = ser_vec4_splat(power[k]);

				a0 += ser_vec4_load(w) * pk;
				a1 += ser_vec4_load(w + 4) * pk;
				a2 += ser_vec4_load(w + 8) * pk;
			}
			acc[0] = a0 + b0;
			acc[1] = a1 + b1;
			acc[2] = a2 + b2;
		}
		else
			for (int k = 0; k < n_bins; k++)
			{
				const float *w = tables->chroma + (size_t) k * tables->chroma_stride;
				SerVec4		pk = ser_vec4_splat(power[k]);

				for (int v = 0; v < nv; v++)
					acc[v] += ser_vec4_load(w + 4 * v) * pk;
			}
		memcpy(out->chroma, acc, (size_t) nc * sizeof(float));
		for (int c = 0; c < nc; c++)
			if (out->chroma[c] > peak)
				peak = out->chroma[c];
		if (peak > FLT_MIN)
			for (int c = 0; c < nc; c++)
				out->chroma[c] /= peak;
	}

	/*
	 * Magnitude sums, eight bins at a time: the sum of each block of eight
	 * (kept for the roll-off) and of frequency times magnitude.  Padding
	 * bins are zero and add nothing.
	 */
	{
		SerVec4		weighted0 = {0, 0, 0, 0},
					weighted1 = {0, 0, 0, 0};
		double		weighted;

		sum_mag = 0.0;
		for (int k = 0; k < stride; k += 8)
		{
			SerVec4		m0 = ser_vec4_load(magnitude + k),
						m1 = ser_vec4_load(magnitude + k + 4);
			SerVec4		block = m0 + m1;

			weighted0 += ser_vec4_load(freqs + k) * m0;
			weighted1 += ser_vec4_load(freqs + k + 4) * m1;
			block_sums[k / 8] = (block[0] + block[1]) + (block[2] + block[3]);
			sum_mag += block_sums[k / 8];
		}
		weighted = ser_vec4_sum(weighted0) + ser_vec4_sum(weighted1);
		if (sum_mag > FLT_MIN)
			centroid = weighted / sum_mag;
	}
	if (out->centroid)
		*out->centroid = (float) centroid;
	if (out->bandwidth)
	{
		double		spread = 0.0;

		if (sum_mag > FLT_MIN)
		{
			SerVec4		c4 = ser_vec4_splat((float) centroid);
			SerVec4		acc0 = {0, 0, 0, 0},
						acc1 = {0, 0, 0, 0};

			for (int k = 0; k < stride; k += 8)
			{
				SerVec4		d0 = ser_vec4_load(freqs + k) - c4,
							d1 = ser_vec4_load(freqs + k + 4) - c4;

				acc0 += ser_vec4_load(magnitude + k) * d0 * d0;
				acc1 += ser_vec4_load(magnitude + k + 4) * d1 * d1;
			}
			spread = (ser_vec4_sum(acc0) + ser_vec4_sum(acc1)) / sum_mag;
		}
		*out->bandwidth = (float) sqrt(spread);
	}
	if (out->rolloff)
	{
		/* the block where the cumulative sum reaches the threshold, then bin by bin */
		double		threshold = p->rolloff_percent * sum_mag;
		double		running = 0.0;
		int			k = 0;

		for (int b = 0; b < stride / 8 && running + block_sums[b] < threshold; b++)
		{
			running += block_sums[b];
			k += 8;
		}
		for (; k < n_bins - 1; k++)
		{
			running += magnitude[k];
			if (running >= threshold)
				break;
		}
		if (k > n_bins - 1)
			k = n_bins - 1;
		*out->rolloff = freqs[k];
	}
	if (out->flatness)
	{
		double		arithmetic;
		double		log_geometric = log_geometric_mean(power, n_bins, &arithmetic);

		*out->flatness = (float) exp(log_geometric - log(arithmetic));
	}
	if (out->contrast)
	{
		for (int b = 0; b <= p->contrast_bands; b++)
		{
			double		valley,
						peak;

			extremes_mean(magnitude + tables->band_low[b],
						  tables->band_high[b] - tables->band_low[b] + 1,
						  tables->band_quantile[b], lowest, highest, &valley, &peak);
			/* one logarithm: 10 log10(peak) - 10 log10(valley) = 10 log10(peak / valley) */
			out->contrast[b] = (float) (10.0 * log10(fmax(peak, CONTRAST_FLOOR) / fmax(valley, CONTRAST_FLOOR)));
		}
	}

	/* Waveform features over win_length samples centred on the same sample. */
	if (out->zcr || out->rms)
	{
		int64_t		from = centre - win / 2;
		double		energy = 0.0;
		int			crossings = 0;
		/* x < -1e-10 is x <= -1e-10f (see below); a floor above that widens the dead zone */
		float		zero = out->zcr_floor > (float) ZCR_ZERO ? out->zcr_floor : (float) ZCR_ZERO;

		if (from >= 0 && from + win <= (int64_t) n)
		{
			/*
			 * A sample is negative when x < -1e-10, that is x <= -1e-10f:
			 * the float nearest 1e-10 lies just above it.
			 */
			const float *x = pcm + from;
			const SerVec4 negative = ser_vec4_splat(-zero);
			SerVec4i	changes = {0, 0, 0, 0};	/* -1 per sign change */
			int			i;

			if (out->rms)
				energy = ser_sum_squares(x, win);
			for (i = 1; i + 4 <= win; i += 4)
				changes += (ser_vec4_load(x + i) <= negative) ^ (ser_vec4_load(x + i - 1) <= negative);
			crossings = -(changes[0] + changes[1] + changes[2] + changes[3]);
			for (; i < win; i++)
				crossings += (x[i] <= -zero) != (x[i - 1] <= -zero);
		}
		else
		{
			int			was_negative = 0;

			for (int i = 0; i < win; i++)
			{
				int64_t		at = from + i;
				float		x = (at >= 0 && at < (int64_t) n) ? pcm[at] : 0.0f;

				/* ZCR extends the edges (librosa pads with mode="edge"), RMS pads zeros */
				float		edge = n == 0 ? 0.0f : pcm[at < 0 ? 0 : (at >= (int64_t) n ? (int64_t) n - 1 : at)];
				int			negative = edge <= -zero;

				energy += (double) x * x;
				if (i > 0 && negative != was_negative)
					crossings++;
				was_negative = negative;
			}
		}
		if (out->zcr)
			*out->zcr = (float) crossings / win;
		if (out->rms)
			*out->rms = (float) sqrt(energy / win);
	}
}

float
ser_spectral_noise_power(const SerSpectralTables *tables, double rms)
{
	double		sum = 0.0;

	for (int i = 0; i < tables->params.n_fft; i++)
		sum += (double) tables->window[i] * tables->window[i];
	return (float) (rms * rms * sum);
}

float
ser_frame_rms(const SerFeatureParams *p, const float *pcm, size_t n, size_t t)
{
	int			win = p->win_length;
	int64_t		centre = (int64_t) t * p->hop_length + (p->center ? 0 : p->n_fft / 2);
	int64_t		from = centre - win / 2;
	double		energy = 0.0;

	/* the same sums, in the same order, as the waveform block of ser_spectral_frame */
	if (from >= 0 && from + win <= (int64_t) n)
		energy = ser_sum_squares(pcm + from, win);
	else
		for (int i = 0; i < win; i++)
		{
			int64_t		at = from + i;
			float		x = (at >= 0 && at < (int64_t) n) ? pcm[at] : 0.0f;

			energy += (double) x * x;
		}
	return (float) sqrt(energy / win);
}
