/*
 * features.c — frame matrix, deltas and utterance statistics.  See
 * features.h for what is computed; spectral.c and pitch.c do the DSP.
 */
#include "features/features.h"
#include "features/pitch.h"
#include "features/spectral.h"

#include <math.h>
#include <stdio.h>
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
		"f0", "voiced", "hnr", "jitter", "shimmer"
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

#define N_SCALARS 3
static const char *const scalar_names[N_SCALARS] = {
	"voiced_fraction", "voiced_segment_rate", "voiced_segment_mean_s"
};

#define MAX_GROUPS 16

/* The utterance vector, group by group, in output order. */
static int
stat_groups(const SerFeatureParams *p, StatGroup *g)
{
	FrameLayout l;
	int			n = 0;

	frame_layout(p, &l);
	g[n++] = (StatGroup) {"mfcc", l.mfcc, p->n_mfcc, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"chroma", l.chroma, p->n_chroma, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"contrast", l.contrast, p->contrast_bands + 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"centroid", l.centroid, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"bandwidth", l.bandwidth, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"rolloff", l.rolloff, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"flatness", l.flatness, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"zcr", l.zcr, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"rms", l.rms, 1, STATS_FULL, ALL_FRAMES};
	g[n++] = (StatGroup) {"f0_voiced", l.f0, 1, STATS_FULL, VOICED_FRAMES};
	g[n++] = (StatGroup) {"hnr_voiced", l.hnr, 1, STATS_FULL, VOICED_FRAMES};
	g[n++] = (StatGroup) {"mfcc_delta", l.delta, p->n_mfcc, STATS_MEAN_STD, ALL_FRAMES};
	g[n++] = (StatGroup) {"mfcc_delta2", l.delta2, p->n_mfcc, STATS_MEAN_STD, ALL_FRAMES};
	g[n++] = (StatGroup) {"logmel", l.log_mel, p->n_mels, STATS_MOMENTS, ALL_FRAMES};
	g[n++] = (StatGroup) {"jitter", l.jitter, 1, STATS_MEAN_STD, VOICED_PAIRS};
	g[n++] = (StatGroup) {"shimmer", l.shimmer, 1, STATS_MEAN_STD, VOICED_PAIRS};
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
	int			total = N_SCALARS;

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
	if (i - at < N_SCALARS)
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

static inline void
mel_sums_add(double *sums, const float *log_mel, int n_mels, size_t t, double frame_seconds)
{
	double		time = (double) t * frame_seconds;

	for (int b = 0; b < n_mels; b++)
	{
		double	   *s = sums + (size_t) b * MEL_SUMS;
		double		x = log_mel[b];
		double		y,
					y2;

		if (t == 0)
		{
			s[MEL_SHIFT] = x;
			s[MEL_MIN] = s[MEL_MAX] = x;
		}
		y = x - s[MEL_SHIFT];
		y2 = y * y;
		s[MEL_S1] += y;
		s[MEL_S2] += y2;
		s[MEL_S3] += y2 * y;
		s[MEL_S4] += y2 * y2;
		s[MEL_ST] += time * y;
		s[MEL_MIN] = x < s[MEL_MIN] ? x : s[MEL_MIN];
		s[MEL_MAX] = x > s[MEL_MAX] ? x : s[MEL_MAX];
	}
}

/* STATS_MOMENTS of one band from its sums over T frames, as column_stats defines them. */
static void
mel_moments(const double *s, size_t T, double frame_seconds, float *out)
{
	double		n = (double) T;
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
	if (T == 0)
		return;
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
	/* sum over frames of (t - mean t)^2 for t = 0..T-1, in seconds squared */
	time_mean = (n - 1.0) / 2.0 * frame_seconds;
	sxx = n * (n * n - 1.0) / 12.0 * frame_seconds * frame_seconds;
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
	double	   *mel_sums;		/* per band: MelSums */
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
				segments = 0;

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

		if (g[k].selection == VOICED_FRAMES)
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
				mel_moments(w->mel_sums + (size_t) c * MEL_SUMS, T, frame_seconds, v + at);
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
}

/* The extractors' input contract: no NaN or infinity in the samples. */
static SerStatus
check_finite(const float *pcm, size_t n, SerError *err)
{
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
	if (m.base == NULL || w.spectral_scratch == NULL || w.mel_sums == NULL)
		return fail_cleanup(ser_error(err, SER_ENOMEM, "out of memory for %zu feature frames", T),
							out, &w);
	mel_row = w.spectral_scratch + ser_spectral_scratch_size(tables);

	for (size_t t = 0; t < T; t++)
	{
		SerSpectralOut so;
		float	   *log_mel = m.skipped ? mel_row : work_at(&m, t, l.log_mel);

		if (t % FRAME_INTERRUPT_EVERY == 0 && ser_interrupted())
			return fail_cleanup(ser_error(err, SER_ECANCELED, "canceling feature extraction"), out, &w);
		so.log_mel = log_mel;
		so.mfcc = work_at(&m, t, l.mfcc);
		so.chroma = work_at(&m, t, l.chroma);
		so.contrast = work_at(&m, t, l.contrast);
		so.centroid = work_at(&m, t, l.centroid);
		so.bandwidth = work_at(&m, t, l.bandwidth);
		so.rolloff = work_at(&m, t, l.rolloff);
		so.flatness = work_at(&m, t, l.flatness);
		so.zcr = work_at(&m, t, l.zcr);
		so.rms = work_at(&m, t, l.rms);
		ser_spectral_frame(tables, pcm, n, t, w.spectral_scratch, &so);
		mel_sums_add(w.mel_sums, log_mel, p->n_mels, t, (double) p->hop_length / p->sample_rate);
		*work_at(&m, t, l.f0) = w.track.f0[t];
		*work_at(&m, t, l.voiced) = w.track.voiced[t];
		*work_at(&m, t, l.hnr) = w.track.hnr[t];
		*work_at(&m, t, l.jitter) = w.track.jitter[t];
		*work_at(&m, t, l.shimmer) = w.track.shimmer[t];
	}
	if (T > 0)
	{
		compute_deltas(&m, T, l.mfcc, l.delta, p->n_mfcc, p->delta_width);
		compute_deltas(&m, T, l.delta, l.delta2, p->n_mfcc, p->delta_width);
	}

	if (what & SER_FEATURES_UTTERANCE)
	{
		out->utterance = ser_malloc_array((size_t) out->n_utterance, sizeof(float));
		w.values = ser_malloc_array(rows, sizeof(float));
		w.keys = ser_malloc_array(rows, 2 * sizeof(uint32_t));
		w.voiced_frames = ser_malloc_array(rows, sizeof(int32_t));
		w.voiced_pairs = ser_malloc_array(rows, sizeof(int32_t));
		if (out->utterance == NULL || w.values == NULL || w.keys == NULL || w.voiced_frames == NULL
			|| w.voiced_pairs == NULL)
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
	scratch = ser_malloc_array(ser_spectral_scratch_size(tables), sizeof(float));
	if (result == NULL || scratch == NULL)
	{
		ser_free(result);
		ser_free(scratch);
		return ser_error(err, SER_ENOMEM, "out of memory for %zu spectral frames", T);
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
