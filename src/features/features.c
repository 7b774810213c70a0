/*
 * features.c — frame matrix, deltas and utterance statistics.  See
 * features.h for what is computed; spectral.c and pitch.c do the DSP.
 */
#include "features/features.h"
#include "common/finite.h"
#include "features/pitch.h"
#include "features/spectral.h"
#include "features/vec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_INTERRUPT_EVERY 256

/* Columns of one delta computation: n_mfcc <= n_mels <= 512 (params.c). */
#define MAX_DELTA_COLUMNS 512

static const char *const chroma_names[12] = {
	"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"
};

/* Column offsets of the frame matrix. */
typedef struct FrameLayout
{
	int			log_mel;
	int			mfcc;
	int			delta;
	int			delta2;
	int			chroma;
	int			contrast;
	int			centroid;
	int			bandwidth;
	int			rolloff;
	int			flatness;
	int			zcr;
	int			rms;
	int			f0;
	int			voiced;
	int			hnr;
	int			jitter;
	int			shimmer;
	/* extended descriptors (-1 without them) */
	int			level;
	int			level_delta;
	int			flux;
	int			alpha_ratio;
	int			hammarberg;
	int			slope_0_500;
	int			slope_500_1500;
	int			f0_semitone;
	int			count;
} FrameLayout;

static void
frame_layout(const SerFeatureParams *p, FrameLayout *l)
{
	int			at = 0;

	l->log_mel = at;
	at += p->n_mels;
	l->mfcc = at;
	at += p->n_mfcc;
	l->delta = at;
	at += p->n_mfcc;
	l->delta2 = at;
	at += p->n_mfcc;
	l->chroma = at;
	at += p->n_chroma;
	l->contrast = at;
	at += p->contrast_bands + 1;
	l->centroid = at++;
	l->bandwidth = at++;
	l->rolloff = at++;
	l->flatness = at++;
	l->zcr = at++;
	l->rms = at++;
	l->f0 = at++;
	l->voiced = at++;
	l->hnr = at++;
	l->jitter = at++;
	l->shimmer = at++;
	l->level = l->level_delta = l->flux = l->alpha_ratio = l->hammarberg = -1;
	l->slope_0_500 = l->slope_500_1500 = l->f0_semitone = -1;
	if (p->extended_descriptors)
	{
		l->level = at++;
		l->level_delta = at++;
		l->flux = at++;
		l->alpha_ratio = at++;
		l->hammarberg = at++;
		l->slope_0_500 = at++;
		l->slope_500_1500 = at++;
		l->f0_semitone = at++;
	}
	l->count = at;
}

int
ser_frame_feature_count(const SerFeatureParams *p)
{
	FrameLayout l;

	frame_layout(p, &l);
	return l.count;
}

void
ser_frame_feature_name(const SerFeatureParams *p, int i, char *buf, size_t size)
{
	FrameLayout l;
	static const char *const scalars[] = {
		"centroid", "bandwidth", "rolloff", "flatness", "zcr", "rms",
		"f0", "voiced", "hnr", "jitter", "shimmer",
		"level", "level_delta", "flux", "alpha_ratio", "hammarberg", "slope_0_500", "slope_500_1500",
		"f0_semitone"
	};

	frame_layout(p, &l);
	if (i < 0 || i >= l.count)
		snprintf(buf, size, "%s", "");
	else if (i < l.mfcc)
		snprintf(buf, size, "logmel_%d", i - l.log_mel);
	else if (i < l.delta)
		snprintf(buf, size, "mfcc_%d", i - l.mfcc);
	else if (i < l.delta2)
		snprintf(buf, size, "mfcc_delta_%d", i - l.delta);
	else if (i < l.chroma)
		snprintf(buf, size, "mfcc_delta2_%d", i - l.delta2);
	else if (i < l.contrast)
	{
		if (p->n_chroma == 12)
			snprintf(buf, size, "chroma_%s", chroma_names[i - l.chroma]);
		else
			snprintf(buf, size, "chroma_%d", i - l.chroma);
	}
	else if (i < l.centroid)
		snprintf(buf, size, "contrast_%d", i - l.contrast);
	else
		snprintf(buf, size, "%s", scalars[i - l.centroid]);
}

/* ---- utterance statistics ---- */

typedef enum StatSet
{
	STATS_FULL,					/* mean std p10 p50 p90 range slope skewness kurtosis */
	STATS_MOMENTS,				/* mean std range slope skewness kurtosis */
	STATS_MEAN_STD
} StatSet;

typedef enum FrameSelection
{
	ALL_FRAMES,
	ACTIVE_FRAMES,				/* frames the activity gate lets through (all when it is off) */
	VOICED_FRAMES,
	VOICED_PAIRS				/* frames t with t-1 and t voiced */
} FrameSelection;

#define N_FULL_STATS 9
static const char *const full_stat_names[N_FULL_STATS] = {
	"mean", "std", "p10", "p50", "p90", "range", "slope", "skewness", "kurtosis"
};
#define N_MOMENT_STATS 6
static const char *const moment_stat_names[N_MOMENT_STATS] = {
	"mean", "std", "range", "slope", "skewness", "kurtosis"
};

typedef struct StatGroup
{
	const char *name;
	int			column;			/* first frame-matrix column */
	int			count;			/* consecutive columns */
	StatSet		stats;
	FrameSelection selection;
} StatGroup;

#define N_BASIC_SCALARS 3
#define N_EXTENDED_SCALARS 4
static const char *const scalar_names[N_BASIC_SCALARS + N_EXTENDED_SCALARS] = {
	"voiced_fraction", "voiced_segment_rate", "voiced_segment_mean_s",
	"active_fraction", "pause_rate", "pause_mean_s", "level_peak_rate"
};

static int
scalar_count(const SerFeatureParams *p)
{
	return N_BASIC_SCALARS + (p->extended_descriptors ? N_EXTENDED_SCALARS : 0);
}

#define MAX_GROUPS 32

/*
 * The utterance vector, group by group, in output order.  Statistics of
 * level-independent frame features (spectral shape, cepstra, chroma, ZCR)
 * are taken over the active frames: with the activity gate on, a pause does
 * not count, whether the recorder left digital silence there or, after
 * resampling or re-encoding, a noise floor of a few LSB, whose spectrum
 * (flat, and so of centroid near 4 kHz) would otherwise outweigh speech in
 * every percentile.  RMS keeps every frame: it measures the pauses too.
 */
static int
stat_groups(const SerFeatureParams *p, StatGroup *g)
{
	FrameLayout l;
	int			n = 0;

	frame_layout(p, &l);
	g[n++] = (StatGroup) {"mfcc", l.mfcc, p->n_mfcc, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"chroma", l.chroma, p->n_chroma, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"contrast", l.contrast, p->contrast_bands + 1, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"centroid", l.centroid, 1, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"bandwidth", l.bandwidth, 1, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"rolloff", l.rolloff, 1, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"flatness", l.flatness, 1, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"zcr", l.zcr, 1, STATS_FULL, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"rms", l.rms, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"f0_voiced", l.f0, 1, STATS_FULL, VOICED_FRAMES};
	g[n++] = (StatGroup) {"hnr_voiced", l.hnr, 1, STATS_FULL, VOICED_FRAMES};
	g[n++] = (StatGroup) {"mfcc_delta", l.delta, p->n_mfcc, STATS_MEAN_STD, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"mfcc_delta2", l.delta2, p->n_mfcc, STATS_MEAN_STD, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"logmel", l.log_mel, p->n_mels, STATS_MOMENTS, ACTIVE_FRAMES};
	g[n++] = (StatGroup) {"jitter", l.jitter, 1, STATS_MEAN_STD, VOICED_PAIRS};
	g[n++] = (StatGroup) {"shimmer", l.shimmer, 1, STATS_MEAN_STD, VOICED_PAIRS};
	if (p->extended_descriptors)
	{
		g[n++] = (StatGroup) {"level", l.level, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"level_delta", l.level_delta, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"flux", l.flux, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"alpha_ratio", l.alpha_ratio, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"hammarberg", l.hammarberg, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"slope_0_500", l.slope_0_500, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"slope_500_1500", l.slope_500_1500, 1, STATS_FULL, ACTIVE_FRAMES};
		g[n++] = (StatGroup) {"f0_semitone", l.f0_semitone, 1, STATS_FULL, VOICED_FRAMES};
	}
	return n;
}

static int
stats_per_column(StatSet s)
{
	return s == STATS_FULL ? N_FULL_STATS : s == STATS_MOMENTS ? N_MOMENT_STATS : 2;
}

int
ser_utterance_feature_count(const SerFeatureParams *p)
{
	StatGroup	g[MAX_GROUPS];
	int			n_groups = stat_groups(p, g);
	int			total = scalar_count(p);

	for (int i = 0; i < n_groups; i++)
		total += g[i].count * stats_per_column(g[i].stats);
	return total;
}

void
ser_utterance_feature_name(const SerFeatureParams *p, int i, char *buf, size_t size)
{
	StatGroup	g[MAX_GROUPS];
	int			n_groups = stat_groups(p, g);
	int			at = 0;

	snprintf(buf, size, "%s", "");
	if (i < 0)
		return;
	for (int k = 0; k < n_groups; k++)
	{
		int			per = stats_per_column(g[k].stats);
		int			span = g[k].count * per;

		if (i < at + span)
		{
			int			column = (i - at) / per;
			int			stat = (i - at) % per;
			const char *stat_name = g[k].stats == STATS_MOMENTS ? moment_stat_names[stat] : full_stat_names[stat];
			char		column_name[32];

			if (g[k].count == 1)
				column_name[0] = '\0';
			else if (strcmp(g[k].name, "chroma") == 0 && p->n_chroma == 12)
				snprintf(column_name, sizeof(column_name), "_%s", chroma_names[column]);
			else
				snprintf(column_name, sizeof(column_name), "_%d", column);
			snprintf(buf, size, "%s%s_%s", g[k].name, column_name, stat_name);
			return;
		}
		at += span;
	}
	if (i - at < scalar_count(p))
		snprintf(buf, size, "%s", scalar_names[i - at]);
}

/*
 * Order statistics work on the floats' bits mapped to unsigned integers of
 * the same order (the sign bit flipped for positive values, every bit for
 * negative ones): integer comparisons compile to conditional moves, so
 * selection has no data-dependent branches to mispredict.  -0 sorts just
 * below +0, which changes no percentile's value.
 */
static inline uint32_t
order_key(float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits ^ ((uint32_t) -(int32_t) (bits >> 31) | 0x80000000u);
}

static inline double
key_value(uint32_t key)
{
	uint32_t	bits = key ^ (((key >> 31) - 1u) | 0x80000000u);
	float		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/*
 * Order statistics by bucket bracketing.  One pass finds the keys' range,
 * one counts them into at most 256 buckets of equal width over it, the
 * counts tell which bucket holds each wanted rank, and one pass copies the
 * keys of those buckets (usually a handful) out; a small bucket is sorted,
 * a large one bracketed again over its own, at least 256 times narrower,
 * range (at most four levels for 32-bit keys).  Each pass is a plain loop
 * over the keys, with no pass depending on a comparison's outcome the way
 * quickselect's partitions do, and exact: the result is the order statistic
 * itself, whatever the data.
 */
#define BRACKET_BUCKETS 256
#define BRACKET_SORT_MAX 48		/* buckets up to this size are sorted */
#define MAX_ORDER_STATS 6		/* each percentile's rank and the one after it */

/*
 * result[i] = the want[i]-th smallest of x[0..n) for i < n_want (want
 * ascending, each < n).  x is reordered; scratch holds n keys.
 */
static void
order_stats(uint32_t *x, long n, const long *want, int n_want, uint32_t *result, uint32_t *scratch)
{
	uint32_t	lowest = x[0],
				highest = x[0];
	int			shift = 0;
	int			n_buckets;
	long		count[BRACKET_BUCKETS];
	long		first_rank[BRACKET_BUCKETS];	/* rank of a bucket's smallest key */
	int			bucket_of[MAX_ORDER_STATS];
	int			slot_of_bucket[BRACKET_BUCKETS];
	int			slot_bucket[MAX_ORDER_STATS];
	long		slot_start[MAX_ORDER_STATS + 1];
	long		fill[MAX_ORDER_STATS + 1];
	int			n_slots = 0;

	if (n <= BRACKET_SORT_MAX)
	{
		for (long i = 1; i < n; i++)
		{
			uint32_t	v = x[i];
			long		j;

			for (j = i; j > 0 && x[j - 1] > v; j--)
				x[j] = x[j - 1];
			x[j] = v;
		}
		for (int i = 0; i < n_want; i++)
			result[i] = x[want[i]];
		return;
	}

	for (long i = 1; i < n; i++)
	{
		lowest = x[i] < lowest ? x[i] : lowest;
		highest = x[i] > highest ? x[i] : highest;
	}
	if (lowest == highest)
	{
		for (int i = 0; i < n_want; i++)
			result[i] = lowest;
		return;
	}
	while (((highest - lowest) >> shift) >= BRACKET_BUCKETS)
		shift++;
	n_buckets = (int) ((highest - lowest) >> shift) + 1;

	memset(count, 0, (size_t) n_buckets * sizeof(long));
	for (long i = 0; i < n; i++)
		count[(x[i] - lowest) >> shift]++;

	/* the bucket of each wanted rank; the buckets needed, in order, get slots */
	{
		long		below = 0;
		int			w = 0;

		for (int b = 0; b < n_buckets; b++)
		{
			first_rank[b] = below;
			slot_of_bucket[b] = MAX_ORDER_STATS;	/* not wanted: the discard slot */
			below += count[b];
			for (; w < n_want && want[w] < below; w++)
			{
				bucket_of[w] = b;
				if (n_slots == 0 || slot_bucket[n_slots - 1] != b)
				{
					slot_of_bucket[b] = n_slots;
					slot_bucket[n_slots++] = b;
				}
			}
		}
	}

	/*
	 * Copy the wanted buckets' keys to their slots in scratch; every other
	 * key is written to one discarded place past them, without a branch.
	 */
	{
		long		at = 0;

		for (int s = 0; s < n_slots; s++)
		{
			slot_start[s] = at;
			fill[s] = at;
			at += count[slot_bucket[s]];
		}
		slot_start[n_slots] = at;
		fill[MAX_ORDER_STATS] = at;
		if (at == n)
			fill[MAX_ORDER_STATS] = 0;	/* nothing is discarded: no place needed */
		for (long i = 0; i < n; i++)
		{
			uint32_t	v = x[i];
			int			s = slot_of_bucket[(v - lowest) >> shift];

			scratch[fill[s]] = v;
			fill[s] += s < MAX_ORDER_STATS;
		}
	}

	/* each slot's ranks within its bucket; x, no longer needed, is the next level's scratch */
	for (int s = 0, w = 0; s < n_slots; s++)
	{
		int			b = slot_bucket[s];
		long		local[MAX_ORDER_STATS];
		int			first = w;

		for (; w < n_want && bucket_of[w] == b; w++)
			local[w - first] = want[w] - first_rank[b];
		order_stats(scratch + slot_start[s], count[b], local, w - first, result + first, x);
	}
}

#define N_PERCENTILES 3
static const double percentile_q[N_PERCENTILES] = {0.10, 0.50, 0.90};

/*
 * The percentiles above of x[0..n) (n >= 1), interpolating linearly between
 * order statistics (numpy's default): the order statistics at each
 * percentile's rank and the one after it, all bracketed together.  x is
 * reordered; scratch holds n keys.
 */
static void
percentiles(uint32_t *x, size_t n, uint32_t *scratch, double *out)
{
	long		last = (long) n - 1;
	long		rank[N_PERCENTILES];
	double		fraction[N_PERCENTILES];
	long		want[MAX_ORDER_STATS];
	uint32_t	stat[MAX_ORDER_STATS];
	int			n_want = 0;

	for (int i = 0; i < N_PERCENTILES; i++)
	{
		double		position = percentile_q[i] * (double) last;

		rank[i] = (long) floor(position);
		fraction[i] = position - (double) rank[i];
	}
	/* ranks ascending (the quantiles are), each once */
	for (int i = 0; i < N_PERCENTILES; i++)
		for (long k = rank[i]; k <= rank[i] + 1 && k <= last; k++)
			if (n_want == 0 || want[n_want - 1] < k)
				want[n_want++] = k;
	order_stats(x, (long) n, want, n_want, stat, scratch);
	for (int i = 0; i < N_PERCENTILES; i++)
	{
		int			at = 0;
		double		low,
					high;

		while (want[at] != rank[i])
			at++;
		low = key_value(stat[at]);
		high = low;
		if (fraction[i] > 0.0 && rank[i] < last)
			high = key_value(stat[at + 1]);
		out[i] = low + fraction[i] * (high - low);
	}
}

/*
 * The statistics of values[0..n) into out; value i belongs to frame
 * frame_index[i] (frame i when frame_index is NULL).  keys[0..2n) is scratch.
 */
static void
column_stats(const float *values, const int32_t *frame_index, size_t n, double frame_seconds,
			 StatSet set, uint32_t *keys, float *out)
{
	double		mean = 0.0,
				m2 = 0.0,
				m3 = 0.0,
				m4 = 0.0,
				lowest,
				highest;
	double		time_mean = 0.0,
				sxy = 0.0,
				sxx = 0.0;
	int			per = stats_per_column(set);
	double		p[N_PERCENTILES];

	for (int i = 0; i < per; i++)
		out[i] = 0.0f;
	if (n == 0)
		return;
	lowest = highest = values[0];
	for (size_t i = 0; i < n; i++)
	{
		mean += values[i];
		lowest = values[i] < lowest ? values[i] : lowest;
		highest = values[i] > highest ? values[i] : highest;
	}
	mean /= (double) n;
	for (size_t i = 0; i < n; i++)
	{
		double		d = values[i] - mean;
		double		d2 = d * d;

		m2 += d2;
		m3 += d2 * d;
		m4 += d2 * d2;
	}
	m2 /= (double) n;
	m3 /= (double) n;
	m4 /= (double) n;
	out[0] = (float) mean;
	out[1] = (float) sqrt(m2);
	if (set == STATS_MEAN_STD)
		return;

	for (size_t i = 0; i < n; i++)
		time_mean += (double) (frame_index ? (size_t) frame_index[i] : i) * frame_seconds;
	time_mean /= (double) n;
	for (size_t i = 0; i < n; i++)
	{
		double		dx = (double) (frame_index ? (size_t) frame_index[i] : i) * frame_seconds - time_mean;

		sxx += dx * dx;
		sxy += dx * (values[i] - mean);
	}
	out[5] = (float) (highest - lowest);
	out[6] = sxx > 0.0 ? (float) (sxy / sxx) : 0.0f;
	/* Constant values (up to round-off of their magnitude) have no shape. */
	if (m2 > 1e-12 * (1.0 + mean * mean))
	{
		out[7] = (float) (m3 / pow(m2, 1.5));
		out[8] = (float) (m4 / (m2 * m2) - 3.0);
	}
	/* Percentiles last, on order keys that selection reorders. */
	for (size_t i = 0; i < n; i++)
		keys[i] = order_key(values[i]);
	percentiles(keys, n, keys + n, p);
	out[2] = (float) p[0];
	out[3] = (float) p[1];
	out[4] = (float) p[2];
}

/*
 * The log-mel bands' statistics are accumulated during the frame loop, so
 * that the bands need not be stored when only the utterance vector is asked
 * for (they are the largest block of columns): power sums of the values
 * shifted by the band's first value (which keeps the central moments
 * accurate), the sum of time x value, and the extremes.  Hence moments and
 * no percentiles for these columns.
 */
enum
{
	MEL_SHIFT, MEL_S1, MEL_S2, MEL_S3, MEL_S4, MEL_ST, MEL_MIN, MEL_MAX, MEL_SUMS
};

/* The frames summed so far: their number and the sums of their times (s) and squared times. */
typedef struct MelTimes
{
	size_t		count;
	double		sum;
	double		sum_squares;
} MelTimes;

/*
 * The sums are kept sum by sum (sums[MEL_S1 * n_mels + band], ...), not
 * band by band: each band's additions are the same, and the compiler adds
 * two bands at a time, which it could not over the interleaved layout.
 */
static inline void
mel_power_sums(const float *restrict log_mel, int n_mels, double time, const double *restrict shift,
			   double *restrict s1, double *restrict s2, double *restrict s3, double *restrict s4,
			   double *restrict st)
{
	for (int b = 0; b < n_mels; b++)
	{
		double		y = (double) log_mel[b] - shift[b];
		double		y2 = y * y;

		s1[b] += y;
		s2[b] += y2;
		s3[b] += y2 * y;
		s4[b] += y2 * y2;
		st[b] += time * y;
	}
}

static inline void
mel_sums_add(double *sums, MelTimes *times, const float *log_mel, int n_mels, size_t t, double frame_seconds)
{
	double		time = (double) t * frame_seconds;
	double	   *min = sums + (size_t) MEL_MIN * n_mels;
	double	   *max = sums + (size_t) MEL_MAX * n_mels;

	if (times->count == 0)
		for (int b = 0; b < n_mels; b++)
			sums[(size_t) MEL_SHIFT * n_mels + b] = min[b] = max[b] = log_mel[b];
	times->count++;
	times->sum += time;
	times->sum_squares += time * time;
	mel_power_sums(log_mel, n_mels, time, sums + (size_t) MEL_SHIFT * n_mels, sums + (size_t) MEL_S1 * n_mels,
				   sums + (size_t) MEL_S2 * n_mels, sums + (size_t) MEL_S3 * n_mels,
				   sums + (size_t) MEL_S4 * n_mels, sums + (size_t) MEL_ST * n_mels);
	for (int b = 0; b < n_mels; b++)
	{
		double		x = log_mel[b];

		min[b] = x < min[b] ? x : min[b];
		max[b] = x > max[b] ? x : max[b];
	}
}

/*
 * STATS_MOMENTS of one band from its sums over the frames summed (times),
 * out of T, as column_stats defines them.
 */
static void
mel_moments(const double *sums, int n_mels, int band, const MelTimes *times, size_t T, double frame_seconds,
			float *out)
{
	double		s[MEL_SUMS];
	double		n = (double) times->count;
	double		mean_y,
				e2,
				e3,
				e4,
				m2,
				m3,
				m4,
				mean,
				time_mean,
				sxx;

	for (int i = 0; i < N_MOMENT_STATS; i++)
		out[i] = 0.0f;
	if (times->count == 0)
		return;
	for (int f = 0; f < MEL_SUMS; f++)
		s[f] = sums[(size_t) f * n_mels + band];
	mean_y = s[MEL_S1] / n;
	e2 = s[MEL_S2] / n;
	e3 = s[MEL_S3] / n;
	e4 = s[MEL_S4] / n;
	m2 = e2 - mean_y * mean_y;
	m3 = e3 - 3.0 * mean_y * e2 + 2.0 * mean_y * mean_y * mean_y;
	m4 = e4 - 4.0 * mean_y * e3 + 6.0 * mean_y * mean_y * e2 - 3.0 * mean_y * mean_y * mean_y * mean_y;
	if (m2 < 0.0)
		m2 = 0.0;
	mean = s[MEL_SHIFT] + mean_y;
	out[0] = (float) mean;
	out[1] = (float) sqrt(m2);
	out[2] = (float) (s[MEL_MAX] - s[MEL_MIN]);
	if (times->count == T)
	{
		/* every frame: sum over frames of (t - mean t)^2 for t = 0..T-1, in closed form */
		time_mean = (n - 1.0) / 2.0 * frame_seconds;
		sxx = n * (n * n - 1.0) / 12.0 * frame_seconds * frame_seconds;
	}
	else
	{
		time_mean = times->sum / n;
		sxx = times->sum_squares - n * time_mean * time_mean;
		if (sxx < 0.0)
			sxx = 0.0;
	}
	out[3] = sxx > 0.0 ? (float) ((s[MEL_ST] - n * time_mean * mean_y) / sxx) : 0.0f;
	if (m2 > 1e-12 * (1.0 + mean * mean))
	{
		out[4] = (float) (m3 / pow(m2, 1.5));
		out[5] = (float) (m4 / (m2 * m2) - 3.0);
	}
}

/* The stored frame columns: the full matrix, or the matrix without log-mel. */
typedef struct WorkMatrix
{
	float	   *base;			/* element (t, column c) at base[t*stride + c - skipped] */
	size_t		stride;
	int			skipped;		/* leading columns not stored (the log-mel bands) */
} WorkMatrix;

static inline float *
work_at(const WorkMatrix *m, size_t t, int column)
{
	return m->base + t * m->stride + (size_t) (column - m->skipped);
}

/* Regression deltas of columns from.. into to.., a row at a time (count <= MAX_BANDS). */
static void
compute_deltas(const WorkMatrix *m, size_t T, int from, int to, int count, int width)
{
	double		denominator = 0.0;
	double		acc[MAX_DELTA_COLUMNS];

	for (int k = 1; k <= width; k++)
		denominator += 2.0 * k * k;
	for (size_t t = 0; t < T; t++)
	{
		float	   *out = work_at(m, t, to);

		for (int c = 0; c < count; c++)
			acc[c] = 0.0;
		for (int k = 1; k <= width; k++)
		{
			const float *ahead = work_at(m, t + (size_t) k < T ? t + (size_t) k : T - 1, from);
			const float *behind = work_at(m, t >= (size_t) k ? t - (size_t) k : 0, from);

			for (int c = 0; c < count; c++)
				acc[c] += k * ((double) ahead[c] - behind[c]);
		}
		for (int c = 0; c < count; c++)
			out[c] = (float) (acc[c] / denominator);
	}
}

void
ser_feature_set_free(SerFeatureSet *set)
{
	ser_free(set->frames);
	ser_free(set->utterance);
	memset(set, 0, sizeof(*set));
}

/* Everything ser_extract_features allocates for itself, released on every path. */
typedef struct ExtractWork
{
	SerPitchTrack track;
	float	   *own_matrix;		/* the work matrix when frames are not kept */
	float	   *spectral_scratch;
	double	   *mel_sums;		/* MEL_SUMS arrays of n_mels (mel_sums_add) */
	MelTimes	mel_times;
	float	   *level_db;		/* the frames' RMS in dB, for the activity gate */
	float	   *frame_rms;		/* and the RMS itself (in level_db's allocation) */
	uint8_t    *active;			/* per frame: passes the activity gate */
	int32_t    *active_frames;	/* indices of active frames */
	float	   *unit_spectrum;	/* extended descriptors: the previous frame's scaled magnitudes */
	float	   *values;			/* one column's selected values */
	uint32_t   *keys;			/* and their order keys, then as many for selection */
	int32_t    *voiced_frames;	/* indices of voiced frames */
	int32_t    *voiced_pairs;	/* indices t of voiced frames whose predecessor is voiced */
} ExtractWork;

static void
extract_work_free(ExtractWork *w)
{
	ser_pitch_track_free(&w->track);
	ser_free(w->own_matrix);
	ser_free(w->spectral_scratch);
	ser_free(w->mel_sums);
	ser_free(w->level_db);
	ser_free(w->active);
	ser_free(w->active_frames);
	ser_free(w->unit_spectrum);
	ser_free(w->values);
	ser_free(w->keys);
	ser_free(w->voiced_frames);
	ser_free(w->voiced_pairs);
	memset(w, 0, sizeof(*w));
}

static SerStatus
fail_cleanup(SerStatus status, SerFeatureSet *out, ExtractWork *w)
{
	ser_feature_set_free(out);
	extract_work_free(w);
	return status;
}

/*
 * A frame is a peak of the level contour when it is active and no frame
 * within this many frames on either side is louder (earlier ones equal
 * count as louder, so that a plateau is one peak): +-50 ms at the default
 * hop, about the shortest syllable.
 */
#define LEVEL_PEAK_HALF_WIDTH 5

/*
 * The extended descriptors' scalars (features.h): the share of active
 * frames; the pauses, runs of inactive frames between the first and the
 * last active one, per second of that span and their mean length; and the
 * level contour's peaks per second of that span, a syllable-rate proxy.
 */
static void
pause_scalars(const FrameLayout *l, const WorkMatrix *m, size_t T, const uint8_t *active,
			  double frame_seconds, float *out)
{
	size_t		first = T,
				last = 0,
				n_active = 0,
				pauses = 0,
				pause_frames = 0,
				peaks = 0;
	double		span;

	for (int i = 0; i < N_EXTENDED_SCALARS; i++)
		out[i] = 0.0f;
	for (size_t t = 0; t < T; t++)
		if (active[t])
		{
			if (first == T)
				first = t;
			last = t;
			n_active++;
		}
	if (n_active == 0)
		return;
	for (size_t t = first + 1; t <= last; t++)
		if (!active[t])
		{
			pause_frames++;
			pauses += active[t - 1];
		}
	for (size_t t = first; t <= last; t++)
	{
		float		here = *work_at(m, t, l->level);
		bool		peak = active[t];
		size_t		from = t >= LEVEL_PEAK_HALF_WIDTH ? t - LEVEL_PEAK_HALF_WIDTH : 0;
		size_t		to = t + LEVEL_PEAK_HALF_WIDTH < T ? t + LEVEL_PEAK_HALF_WIDTH : T - 1;

		for (size_t u = from; u <= to && peak; u++)
			if (u < t ? *work_at(m, u, l->level) >= here : u > t && *work_at(m, u, l->level) > here)
				peak = false;
		peaks += peak;
	}
	span = (double) (last - first + 1) * frame_seconds;
	out[0] = (float) ((double) n_active / T);
	out[1] = (float) (pauses / span);
	out[2] = pauses ? (float) ((double) pause_frames / pauses * frame_seconds) : 0.0f;
	out[3] = (float) (peaks / span);
}

/* The utterance vector from the work matrix m (see features.h). */
static void
utterance_stats(const SerFeatureParams *p, const FrameLayout *l, const WorkMatrix *m, size_t T,
				size_t n, ExtractWork *w, float *v)
{
	StatGroup	g[MAX_GROUPS];
	int			n_groups = stat_groups(p, g);
	double		frame_seconds = (double) p->hop_length / p->sample_rate;
	int			at = 0;
	size_t		n_voiced = 0,
				n_pairs = 0,
				n_active = 0,
				segments = 0;

	for (size_t t = 0; t < T; t++)
		if (w->active[t])
			w->active_frames[n_active++] = (int32_t) t;
	for (size_t t = 0; t < T; t++)
		if (*work_at(m, t, l->voiced) > 0.0f)
		{
			w->voiced_frames[n_voiced++] = (int32_t) t;
			if (t > 0 && *work_at(m, t - 1, l->voiced) > 0.0f)
				w->voiced_pairs[n_pairs++] = (int32_t) t;
			else
				segments++;
		}
	for (int k = 0; k < n_groups; k++)
	{
		int			per = stats_per_column(g[k].stats);
		const int32_t *frame_index = NULL;
		size_t		count = T;

		if (g[k].selection == ACTIVE_FRAMES && n_active < T)
		{
			frame_index = w->active_frames;
			count = n_active;
		}
		else if (g[k].selection == VOICED_FRAMES)
		{
			frame_index = w->voiced_frames;
			count = n_voiced;
		}
		else if (g[k].selection == VOICED_PAIRS)
		{
			frame_index = w->voiced_pairs;
			count = n_pairs;
		}
		for (int c = 0; c < g[k].count; c++)
		{
			int			column = g[k].column + c;

			if (column >= l->log_mel && column < l->log_mel + p->n_mels)
			{
				/* summarised during the frame loop, whether or not frames are kept */
				mel_moments(w->mel_sums, p->n_mels, c, &w->mel_times, T, frame_seconds, v + at);
				at += per;
				continue;
			}
			for (size_t i = 0; i < count; i++)
				w->values[i] = *work_at(m, frame_index ? (size_t) frame_index[i] : i, column);
			column_stats(w->values, frame_index, count, frame_seconds, g[k].stats, w->keys, v + at);
			at += per;
		}
	}
	v[at++] = T ? (float) ((double) n_voiced / T) : 0.0f;
	v[at++] = n ? (float) (segments / ((double) n / p->sample_rate)) : 0.0f;
	v[at++] = segments ? (float) ((double) n_voiced / segments * frame_seconds) : 0.0f;
	if (p->extended_descriptors)
		pause_scalars(l, m, T, w->active, frame_seconds, v + at);
}

static int
compare_floats(const void *a, const void *b)
{
	float		x = *(const float *) a,
				y = *(const float *) b;

	return (x > y) - (x < y);
}

/*
 * The recording's speech level: the speech_level_quantile of its frames'
 * RMS in dB (floored at -200 dB; interpolated linearly between order
 * statistics), each frame's level left in level_db[0..T).  A quantile near
 * the top measures the speech even when pauses fill most of the recording,
 * and the level moves with the recording's gain, so what is measured
 * against it does not.  sorted holds T floats.  -200 for no frames.  With
 * rms not NULL, each frame's RMS is left in rms[0..T): the rms column, which
 * ser_spectral_frame then need not sum again.
 */
static double
speech_level_db(const SerFeatureParams *p, const float *pcm, size_t n, size_t T, float *level_db,
				float *sorted, float *rms_out)
{
	double		position,
				fraction,
				level;
	size_t		rank;

	if (T == 0)
		return -200.0;
	for (size_t t = 0; t < T; t++)
	{
		float		rms = ser_frame_rms(p, pcm, n, t);

		if (rms_out != NULL)
			rms_out[t] = rms;
		level_db[t] = (float) (20.0 * log10(fmax((double) rms, 1e-10)));
	}
	memcpy(sorted, level_db, T * sizeof(float));
	qsort(sorted, T, sizeof(float), compare_floats);
	position = p->speech_level_quantile * (double) (T - 1);
	rank = (size_t) floor(position);
	fraction = position - (double) rank;
	level = sorted[rank];
	if (rank + 1 < T)
		level += fraction * ((double) sorted[rank + 1] - sorted[rank]);
	return level;
}

/*
 * The spectral floor (spectral.h) for a recording of the given speech
 * level: white noise spectral_floor_db below it; 0 when the floor is off.
 */
static float
spectral_floor(const SerFeatureParams *p, const SerSpectralTables *tables, double level)
{
	if (p->spectral_floor_db <= 0.0)
		return 0.0f;
	return ser_spectral_noise_power(tables, pow(10.0, (level - p->spectral_floor_db) / 20.0));
}

/*
 * The activity gate: active[t] = 1 when frame t's level is at least the
 * speech level minus activity_gate_db; with the gate off every frame is
 * active.
 */
static void
activity_gate(const SerFeatureParams *p, size_t T, const float *level_db, double level, uint8_t *active)
{
	if (p->activity_gate_db <= 0.0)
	{
		memset(active, 1, T);
		return;
	}
	for (size_t t = 0; t < T; t++)
		active[t] = level_db[t] >= level - p->activity_gate_db;
}

/*
 * The bands of the extended descriptors, in Hz (eGeMAPS's definitions,
 * Eyben et al. 2016): alpha ratio = energy 50-1000 Hz over 1000-5000 Hz,
 * Hammarberg index = strongest bin 0-2000 Hz over strongest 2000-5000 Hz,
 * both in dB; spectral slopes 0-500 and 500-1500 Hz of the power spectrum
 * in dB, by least squares against frequency in kHz.
 */
typedef struct BandBins
{
	int			first;
	int			last;			/* inclusive; last < first for an empty band */
} BandBins;

typedef struct ExtendedBands
{
	BandBins	alpha_low,
				alpha_high,
				hammarberg_low,
				hammarberg_high,
				slope_low,
				slope_high;
} ExtendedBands;

static BandBins
band_bins(const SerSpectralTables *tables, double low_hz, double high_hz)
{
	BandBins	b = {0, -1};
	double		bin_hz = (double) tables->params.sample_rate / tables->params.n_fft;

	b.first = (int) ceil(low_hz / bin_hz);
	b.last = (int) floor(high_hz / bin_hz);
	if (b.last > tables->n_bins - 1)
		b.last = tables->n_bins - 1;
	return b;
}

static void
extended_bands(const SerSpectralTables *tables, ExtendedBands *e)
{
	e->alpha_low = band_bins(tables, 50.0, 1000.0);
	e->alpha_high = band_bins(tables, 1000.0, 5000.0);
	e->hammarberg_low = band_bins(tables, 0.0, 2000.0);
	e->hammarberg_high = band_bins(tables, 2000.0, 5000.0);
	e->slope_low = band_bins(tables, 0.0, 500.0);
	e->slope_high = band_bins(tables, 500.0, 1500.0);
}

#define BAND_POWER_FLOOR 1e-20	/* keeps the logarithms finite in digital silence */

static double
band_sum(const float *power, BandBins b)
{
	double		s = 0.0;

	for (int k = b.first; k <= b.last; k++)
		s += power[k];
	return s;
}

/*
 * The largest power in the band, 0 when it is empty.  Four lanes of maxps
 * then the lanes: a maximum of non-NaN values (a power spectrum of finite
 * samples) is the same value in any order.
 */
static double
band_max(const float *power, BandBins b)
{
	SerVec4		lanes = ser_vec4_splat(0.0f);
	float		s;
	int			k = b.first;

	for (; k + 4 <= b.last + 1; k += 4)
		lanes = ser_vec4_max(ser_vec4_load(power + k), lanes);
	s = lanes[0];
	for (int lane = 1; lane < 4; lane++)
		s = lanes[lane] > s ? lanes[lane] : s;
	for (; k <= b.last; k++)
		s = power[k] > s ? power[k] : s;
	return s;
}

/* Least-squares slope of 10 log10(P) against frequency in kHz over the band; 0 below two bins. */
static double
band_slope(const float *power, BandBins b, double bin_khz)
{
	double		sx = 0.0,
				sy = 0.0,
				sxx = 0.0,
				sxy = 0.0;
	int			count = b.last - b.first + 1;

	if (count < 2)
		return 0.0;
	for (int k = b.first; k <= b.last; k++)
	{
		double		x = k * bin_khz;
		/* fmax without its call: a power is never NaN */
		double		y = 10.0 * log10((double) power[k] > BAND_POWER_FLOOR ? (double) power[k] : BAND_POWER_FLOOR);

		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	return (count * sxy - sx * sy) / (count * sxx - sx * sx);
}

/*
 * The spectral extended descriptors of one frame from its power spectrum
 * (after the spectral floor).  Flux is the squared distance between this
 * frame's magnitude spectrum and the previous one's, each scaled to unit
 * length, so it does not depend on level (0 to 4; 0 for the first frame);
 * unit[] keeps the scaled spectrum for the next frame.
 */
static void
extended_frame(const SerSpectralTables *tables, const ExtendedBands *e, const float *power, size_t t,
			   float *unit, float *flux, float *alpha_ratio, float *hammarberg, float *slope_low,
			   float *slope_high)
{
	double		bin_khz = (double) tables->params.sample_rate / tables->params.n_fft / 1000.0;
	double		total = 0.0,
				distance = 0.0,
				scale;
	int			k;

	for (k = 0; k < tables->n_bins; k++)
		total += power[k];
	scale = total > 0.0 ? 1.0 / sqrt(total) : 0.0;
	k = 0;
#if defined(__SSE2__)

	/*
	 * Four bins a step: the square roots, scaling and roundings lane by lane
	 * (sqrtpd, mulpd, cvtpd2ps: the scalar code's operations), the distance
	 * still summed bin after bin; one bin at a time the square roots took
	 * more than all the rest of the extended descriptors.
	 */
	{
		__m128d		scale2 = _mm_set1_pd(scale);

		for (; k + 4 <= tables->n_bins; k += 4)
		{
			__m128		p4 = _mm_loadu_ps(power + k);
			__m128		u4 = _mm_movelh_ps(_mm_cvtpd_ps(_mm_mul_pd(_mm_sqrt_pd(_mm_cvtps_pd(p4)), scale2)),
										   _mm_cvtpd_ps(_mm_mul_pd(_mm_sqrt_pd(_mm_cvtps_pd(_mm_movehl_ps(p4, p4))),
																   scale2)));
			__m128		prev = _mm_loadu_ps(unit + k);
			__m128d		d_lo = _mm_sub_pd(_mm_cvtps_pd(u4), _mm_cvtps_pd(prev));
			__m128d		d_hi = _mm_sub_pd(_mm_cvtps_pd(_mm_movehl_ps(u4, u4)), _mm_cvtps_pd(_mm_movehl_ps(prev, prev)));
			double		dd[4];

			_mm_storeu_pd(dd, _mm_mul_pd(d_lo, d_lo));
			_mm_storeu_pd(dd + 2, _mm_mul_pd(d_hi, d_hi));
			distance += dd[0];
			distance += dd[1];
			distance += dd[2];
			distance += dd[3];
			_mm_storeu_ps(unit + k, u4);
		}
	}
#endif
	for (; k < tables->n_bins; k++)
	{
		float		u = (float) (sqrt((double) power[k]) * scale);
		double		d = (double) u - unit[k];

		distance += d * d;
		unit[k] = u;
	}
	*flux = t > 0 ? (float) distance : 0.0f;
	*alpha_ratio = (float) (10.0 * log10(fmax(band_sum(power, e->alpha_low), BAND_POWER_FLOOR)
										 / fmax(band_sum(power, e->alpha_high), BAND_POWER_FLOOR)));
	*hammarberg = (float) (10.0 * log10(fmax(band_max(power, e->hammarberg_low), BAND_POWER_FLOOR)
										/ fmax(band_max(power, e->hammarberg_high), BAND_POWER_FLOOR)));
	*slope_low = (float) band_slope(power, e->slope_low, bin_khz);
	*slope_high = (float) band_slope(power, e->slope_high, bin_khz);
}

/*
 * The extractors' input contract: no NaN or infinity in the samples
 * (common/finite.h); only a failure is looked for sample by sample, to name
 * it.
 */
static SerStatus
check_finite(const float *pcm, size_t n, SerError *err)
{
	if (ser_floats_finite(pcm, n))
		return SER_OK;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(pcm[i]))
			return ser_error(err, SER_ENONFINITE, "audio sample %zu is not finite", i);
	return SER_OK;
}

SerStatus
ser_extract_features(const SerFeatureParams *p, const float *pcm, size_t n, int what,
					 SerFeatureSet *out, SerError *err)
{
	const SerSpectralTables *tables;
	ExtractWork w;
	FrameLayout l;
	WorkMatrix	m;
	SerStatus	status;
	size_t		T;
	size_t		rows;
	float	   *mel_row;
	double		level = 0.0;
	float		power_floor;
	float		zcr_floor = 0.0f;
	double		level_range = 200.0;
	ExtendedBands bands = {{0, -1}, {0, -1}, {0, -1}, {0, -1}, {0, -1}, {0, -1}};

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	if ((what & (SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE)) == 0)
		return ser_error(err, SER_EINVAL, "nothing to extract");
	if ((status = ser_feature_params_validate(p, err)) != SER_OK)
		return status;
	if ((status = ser_spectral_tables_get(p, &tables, err)) != SER_OK)
		return status;
	if ((status = check_finite(pcm, n, err)) != SER_OK)
		return status;

	frame_layout(p, &l);
	T = ser_feature_frame_count(p, n);
	rows = T > 0 ? T : 1;
	out->n_frames = T;
	out->n_frame_features = l.count;
	out->n_utterance = ser_utterance_feature_count(p);

	/* Pitch first: its track is small and lets the frame loop fill every column in one pass. */
	if ((status = ser_pitch_track(p, pcm, n, &w.track, err)) != SER_OK)
		return fail_cleanup(status, out, &w);

	if (what & SER_FEATURES_FRAMES)
	{
		out->frames = ser_malloc_array(rows, (size_t) l.count * sizeof(float));
		m.base = out->frames;
		m.stride = (size_t) l.count;
		m.skipped = 0;
	}
	else
	{
		w.own_matrix = ser_malloc_array(rows, (size_t) (l.count - l.mfcc) * sizeof(float));
		m.base = w.own_matrix;
		m.stride = (size_t) (l.count - l.mfcc);
		m.skipped = l.mfcc;
	}
	w.spectral_scratch = ser_malloc_array(ser_spectral_scratch_size(tables) + (size_t) p->n_mels,
										  sizeof(float));
	w.mel_sums = ser_calloc((size_t) MEL_SUMS * (size_t) p->n_mels, sizeof(double));
	w.level_db = ser_malloc_array(rows, 2 * sizeof(float));
	w.active = ser_malloc_array(rows, sizeof(uint8_t));
	w.values = ser_malloc_array(rows, sizeof(float));
	if (m.base == NULL || w.spectral_scratch == NULL || w.mel_sums == NULL || w.level_db == NULL
		|| w.active == NULL || w.values == NULL)
		return fail_cleanup(ser_error(err, SER_ENOMEM, "out of memory for %zu feature frames", T),
							out, &w);
	mel_row = w.spectral_scratch + ser_spectral_scratch_size(tables);
	if (p->activity_gate_db > 0.0 || p->spectral_floor_db > 0.0 || p->extended_descriptors)
	{
		w.frame_rms = w.level_db + rows;
		level = speech_level_db(p, pcm, n, T, w.level_db, w.values, w.frame_rms);
	}
	if (p->extended_descriptors)
	{
		/*
		 * The level contour's floor: what the gate or the spectral floor
		 * treats as silence all reads as that much below the speech level,
		 * so that the deltas at a pause's edges do not depend on whether
		 * the pause holds digital silence or a noise floor.
		 */
		level_range = fmax(p->activity_gate_db, p->spectral_floor_db);
		if (level_range <= 0.0)
			level_range = 200.0;	/* neither: the -200 dB floor of level_db */
		extended_bands(tables, &bands);
		w.unit_spectrum = ser_calloc((size_t) tables->n_bins, sizeof(float));
		if (w.unit_spectrum == NULL)
			return fail_cleanup(ser_error(err, SER_ENOMEM, "out of memory for a spectrum"), out, &w);
	}
	activity_gate(p, T, w.level_db, level, w.active);
	power_floor = spectral_floor(p, tables, level);
	if (p->spectral_floor_db > 0.0)
		zcr_floor = (float) pow(10.0, (level - p->spectral_floor_db) / 20.0);

	for (size_t t = 0; t < T; t++)
	{
		SerSpectralOut so;
		float	   *log_mel = m.skipped ? mel_row : work_at(&m, t, l.log_mel);

		if (t % FRAME_INTERRUPT_EVERY == 0 && ser_interrupted())
			return fail_cleanup(ser_error(err, SER_ECANCELED, "canceling feature extraction"), out, &w);
		so.power_floor = power_floor;
		so.zcr_floor = zcr_floor;
		so.log_mel = log_mel;
		so.mfcc = work_at(&m, t, l.mfcc);
		so.chroma = work_at(&m, t, l.chroma);
		so.contrast = work_at(&m, t, l.contrast);
		so.centroid = work_at(&m, t, l.centroid);
		so.bandwidth = work_at(&m, t, l.bandwidth);
		so.rolloff = work_at(&m, t, l.rolloff);
		so.flatness = work_at(&m, t, l.flatness);
		so.zcr = work_at(&m, t, l.zcr);
		/* the same value as the frame loop would compute, summed once */
		so.rms = w.frame_rms != NULL ? NULL : work_at(&m, t, l.rms);
		ser_spectral_frame(tables, pcm, n, t, w.spectral_scratch, &so);
		if (w.frame_rms != NULL)
			*work_at(&m, t, l.rms) = w.frame_rms[t];
		if (w.active[t])
			mel_sums_add(w.mel_sums, &w.mel_times, log_mel, p->n_mels, t,
						 (double) p->hop_length / p->sample_rate);
		*work_at(&m, t, l.f0) = w.track.f0[t];
		*work_at(&m, t, l.voiced) = w.track.voiced[t];
		*work_at(&m, t, l.hnr) = w.track.hnr[t];
		*work_at(&m, t, l.jitter) = w.track.jitter[t];
		*work_at(&m, t, l.shimmer) = w.track.shimmer[t];
		if (p->extended_descriptors)
		{
			float		f0 = w.track.f0[t];

			*work_at(&m, t, l.level) = (float) fmax(w.level_db[t] - level, -level_range);
			*work_at(&m, t, l.f0_semitone) = f0 > 0.0f ? (float) (12.0 * log2(f0 / 27.5)) : 0.0f;
			extended_frame(tables, &bands, w.spectral_scratch, t, w.unit_spectrum, work_at(&m, t, l.flux),
						   work_at(&m, t, l.alpha_ratio), work_at(&m, t, l.hammarberg),
						   work_at(&m, t, l.slope_0_500), work_at(&m, t, l.slope_500_1500));
		}
	}
	if (T > 0)
	{
		compute_deltas(&m, T, l.mfcc, l.delta, p->n_mfcc, p->delta_width);
		compute_deltas(&m, T, l.delta, l.delta2, p->n_mfcc, p->delta_width);
		if (p->extended_descriptors)
			compute_deltas(&m, T, l.level, l.level_delta, 1, p->delta_width);
	}

	if (what & SER_FEATURES_UTTERANCE)
	{
		out->utterance = ser_malloc_array((size_t) out->n_utterance, sizeof(float));
		w.keys = ser_malloc_array(rows, 2 * sizeof(uint32_t));
		w.voiced_frames = ser_malloc_array(rows, sizeof(int32_t));
		w.voiced_pairs = ser_malloc_array(rows, sizeof(int32_t));
		w.active_frames = ser_malloc_array(rows, sizeof(int32_t));
		if (out->utterance == NULL || w.keys == NULL || w.voiced_frames == NULL
			|| w.voiced_pairs == NULL || w.active_frames == NULL)
			return fail_cleanup(ser_error(err, SER_ENOMEM, "out of memory for the utterance vector"),
								out, &w);
		utterance_stats(p, &l, &m, T, n, &w, out->utterance);
	}
	extract_work_free(&w);
	return SER_OK;
}

/* Shared by the log-mel and MFCC extractors. */
static SerStatus
extract_one(const SerFeatureParams *p, const float *pcm, size_t n, int want_mfcc,
			float **values, size_t *n_frames, SerError *err)
{
	const SerSpectralTables *tables;
	SerStatus	status;
	size_t		T;
	int			width = want_mfcc ? p->n_mfcc : p->n_mels;
	float	   *result;
	float	   *scratch;
	float		power_floor = 0.0f;

	*values = NULL;
	*n_frames = 0;
	if ((status = ser_feature_params_validate(p, err)) != SER_OK)
		return status;
	if ((status = ser_spectral_tables_get(p, &tables, err)) != SER_OK)
		return status;
	if ((status = check_finite(pcm, n, err)) != SER_OK)
		return status;
	T = ser_feature_frame_count(p, n);
	result = ser_malloc_array(T > 0 ? T : 1, (size_t) width * sizeof(float));
	/* the spectral scratch, then room for the speech level's two arrays of T */
	scratch = ser_malloc_array(ser_spectral_scratch_size(tables) + 2 * (T > 0 ? T : 1), sizeof(float));
	if (result == NULL || scratch == NULL)
	{
		ser_free(result);
		ser_free(scratch);
		return ser_error(err, SER_ENOMEM, "out of memory for %zu spectral frames", T);
	}
	if (p->spectral_floor_db > 0.0)
	{
		float	   *level_db = scratch + ser_spectral_scratch_size(tables);

		power_floor = spectral_floor(p, tables, speech_level_db(p, pcm, n, T, level_db, level_db + T, NULL));
	}
	for (size_t t = 0; t < T; t++)
	{
		SerSpectralOut so;

		if (t % FRAME_INTERRUPT_EVERY == 0 && ser_interrupted())
		{
			ser_free(result);
			ser_free(scratch);
			return ser_error(err, SER_ECANCELED, "canceling feature extraction");
		}
		memset(&so, 0, sizeof(so));
		so.power_floor = power_floor;
		if (want_mfcc)
			so.mfcc = result + t * (size_t) width;
		else
			so.log_mel = result + t * (size_t) width;
		ser_spectral_frame(tables, pcm, n, t, scratch, &so);
	}
	ser_free(scratch);
	*values = result;
	*n_frames = T;
	return SER_OK;
}

SerStatus
ser_extract_log_mel(const SerFeatureParams *p, const float *pcm, size_t n,
					float **values, size_t *n_frames, SerError *err)
{
	return extract_one(p, pcm, n, 0, values, n_frames, err);
}

SerStatus
ser_extract_mfcc(const SerFeatureParams *p, const float *pcm, size_t n,
				 float **values, size_t *n_frames, SerError *err)
{
	return extract_one(p, pcm, n, 1, values, n_frames, err);
}
