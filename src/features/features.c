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
	g[n++] = (StatGroup) {"logmel", l.log_mel, p->n_mels, STATS_MEAN_STD, ALL_FRAMES};
	g[n++] = (StatGroup) {"jitter", l.jitter, 1, STATS_MEAN_STD, VOICED_PAIRS};
	g[n++] = (StatGroup) {"shimmer", l.shimmer, 1, STATS_MEAN_STD, VOICED_PAIRS};
	return n;
}

static int
stats_per_column(StatSet s)
{
	return s == STATS_FULL ? N_FULL_STATS : 2;
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
			const char *stat_name = full_stat_names[stat];
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

/* k-th smallest of x[0..n) (0-based), partially reordering x (Hoare's selection); deterministic. */
static double
select_kth(double *x, size_t n, size_t k)
{
	long		lo = 0,
				hi = (long) n - 1,
				target = (long) k;

	while (lo < hi)
	{
		long		mid = lo + (hi - lo) / 2;
		double		a = x[lo],
					b = x[mid],
					c = x[hi];
		double		pivot = (a < b) ? ((b < c) ? b : (a < c ? c : a)) : ((a < c) ? a : (b < c ? c : b));
		long		i = lo,
					j = hi;

		while (i <= j)
		{
			while (x[i] < pivot)
				i++;
			while (x[j] > pivot)
				j--;
			if (i <= j)
			{
				double		tmp = x[i];

				x[i] = x[j];
				x[j] = tmp;
				i++;
				j--;
			}
		}
		/* now x[lo..j] <= pivot <= x[i..hi], and x[j+1..i-1] == pivot */
		if (target <= j)
			hi = j;
		else if (target >= i)
			lo = i;
		else
			break;
	}
	return x[k];
}

/* Linear-interpolated percentile q in [0,1] (numpy's default), reorders x. */
static double
percentile(double *x, size_t n, double q)
{
	double		position = q * (double) (n - 1);
	size_t		below = (size_t) floor(position);
	double		fraction = position - (double) below;
	double		low = select_kth(x, n, below);
	double		high = low;

	if (fraction > 0.0 && below + 1 < n)
	{
		/* After selection everything right of `below` is >= it: the next order statistic is their minimum. */
		high = x[below + 1];
		for (size_t i = below + 2; i < n; i++)
			if (x[i] < high)
				high = x[i];
	}
	return low + fraction * (high - low);
}

/* The statistics of values[0..n) at times[0..n) into out. */
static void
column_stats(double *values, const double *times, size_t n, StatSet set, float *out)
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

	for (int i = 0; i < per; i++)
		out[i] = 0.0f;
	if (n == 0)
		return;
	lowest = highest = values[0];
	for (size_t i = 0; i < n; i++)
	{
		mean += values[i];
		if (values[i] < lowest)
			lowest = values[i];
		if (values[i] > highest)
			highest = values[i];
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
		time_mean += times[i];
	time_mean /= (double) n;
	for (size_t i = 0; i < n; i++)
	{
		double		dx = times[i] - time_mean;

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
	/* Percentiles last: selection reorders the values. */
	out[2] = (float) percentile(values, n, 0.10);
	out[3] = (float) percentile(values, n, 0.50);
	out[4] = (float) percentile(values, n, 0.90);
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

static void
compute_deltas(const WorkMatrix *m, size_t T, int from, int to, int count, int width)
{
	double		denominator = 0.0;

	for (int k = 1; k <= width; k++)
		denominator += 2.0 * k * k;
	for (size_t t = 0; t < T; t++)
		for (int c = 0; c < count; c++)
		{
			double		acc = 0.0;

			for (int k = 1; k <= width; k++)
			{
				size_t		ahead = t + (size_t) k < T ? t + (size_t) k : T - 1;
				size_t		behind = t >= (size_t) k ? t - (size_t) k : 0;

				acc += k * ((double) *work_at(m, ahead, from + c) - *work_at(m, behind, from + c));
			}
			*work_at(m, t, to + c) = (float) (acc / denominator);
		}
}

void
ser_feature_set_free(SerFeatureSet *set)
{
	ser_free(set->frames);
	ser_free(set->utterance);
	memset(set, 0, sizeof(*set));
}

static SerStatus
fail_cleanup(SerStatus status, SerFeatureSet *out, float *work, double *scratch,
			 SerPitchTrack *track, double *mel_sums)
{
	ser_feature_set_free(out);
	if (work != NULL)
		ser_free(work);
	ser_free(scratch);
	ser_free(mel_sums);
	if (track != NULL)
		ser_pitch_track_free(track);
	return status;
}

SerStatus
ser_extract_features(const SerFeatureParams *p, const float *pcm, size_t n, int what,
					 SerFeatureSet *out, SerError *err)
{
	const SerSpectralTables *tables;
	SerPitchTrack track;
	FrameLayout l;
	WorkMatrix	m;
	SerStatus	status;
	size_t		T;
	float	   *own_work = NULL;	/* the work matrix when frames are not kept */
	double	   *scratch = NULL;		/* spectral scratch, then values and times for statistics */
	double	   *mel_sums = NULL;	/* per band: sum, sum of squares */
	size_t		scratch_doubles;
	float	   *mel_row;

	memset(out, 0, sizeof(*out));
	memset(&track, 0, sizeof(track));
	if ((what & (SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE)) == 0)
		return ser_error(err, SER_EINVAL, "nothing to extract");
	if ((status = ser_feature_params_validate(p, err)) != SER_OK)
		return status;
	if ((status = ser_spectral_tables_get(p, &tables, err)) != SER_OK)
		return status;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(pcm[i]))
		{
			ser_error(err, SER_ENONFINITE, "audio sample %zu is not finite", i);
			return SER_ENONFINITE;
		}

	frame_layout(p, &l);
	T = ser_feature_frame_count(p, n);
	out->n_frames = T;
	out->n_frame_features = l.count;
	out->n_utterance = ser_utterance_feature_count(p);

	/* Pitch first: its track is small and lets the frame loop fill every column in one pass. */
	if ((status = ser_pitch_track(p, pcm, n, &track, err)) != SER_OK)
		return fail_cleanup(status, out, NULL, NULL, NULL, NULL);

	if (what & SER_FEATURES_FRAMES)
	{
		out->frames = ser_malloc_array(T > 0 ? T : 1, (size_t) l.count * sizeof(float));
		m.base = out->frames;
		m.stride = (size_t) l.count;
		m.skipped = 0;
	}
	else
	{
		own_work = ser_malloc_array(T > 0 ? T : 1, (size_t) (l.count - l.mfcc) * sizeof(float));
		m.base = own_work;
		m.stride = (size_t) (l.count - l.mfcc);
		m.skipped = l.mfcc;
	}
	scratch_doubles = 2 * (T > 0 ? T : 1);
	if (scratch_doubles * sizeof(double) < ser_spectral_scratch_size(tables) * sizeof(float)
		+ (size_t) p->n_mels * sizeof(float))
		scratch_doubles = (ser_spectral_scratch_size(tables) + (size_t) p->n_mels) / 2 + 1;
	scratch = ser_malloc_array(scratch_doubles, sizeof(double));
	mel_sums = ser_calloc(2 * (size_t) p->n_mels, sizeof(double));
	if (m.base == NULL || scratch == NULL || mel_sums == NULL)
		return fail_cleanup(ser_error(err, SER_ENOMEM, "out of memory for %zu feature frames", T),
							out, own_work, scratch, &track, mel_sums);
	mel_row = (float *) scratch + ser_spectral_scratch_size(tables);

	for (size_t t = 0; t < T; t++)
	{
		SerSpectralOut so;
		float	   *log_mel = m.skipped ? mel_row : work_at(&m, t, l.log_mel);

		if (t % FRAME_INTERRUPT_EVERY == 0 && ser_interrupted())
			return fail_cleanup(ser_error(err, SER_ECANCELED, "canceling feature extraction"),
								out, own_work, scratch, &track, mel_sums);
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
		ser_spectral_frame(tables, pcm, n, t, (float *) scratch, &so);
		for (int b = 0; b < p->n_mels; b++)
		{
			mel_sums[2 * b] += log_mel[b];
			mel_sums[2 * b + 1] += (double) log_mel[b] * log_mel[b];
		}
		*work_at(&m, t, l.f0) = track.f0[t];
		*work_at(&m, t, l.voiced) = track.voiced[t];
		*work_at(&m, t, l.hnr) = track.hnr[t];
		*work_at(&m, t, l.jitter) = track.jitter[t];
		*work_at(&m, t, l.shimmer) = track.shimmer[t];
	}
	ser_pitch_track_free(&track);
	if (T > 0)
	{
		compute_deltas(&m, T, l.mfcc, l.delta, p->n_mfcc, p->delta_width);
		compute_deltas(&m, T, l.delta, l.delta2, p->n_mfcc, p->delta_width);
	}

	if (what & SER_FEATURES_UTTERANCE)
	{
		StatGroup	g[MAX_GROUPS];
		int			n_groups = stat_groups(p, g);
		double	   *values = scratch;
		double	   *times = scratch + (T > 0 ? T : 1);
		double		frame_seconds = (double) p->hop_length / p->sample_rate;
		float	   *v;
		int			at = 0;
		size_t		voiced = 0,
					segments = 0;

		out->utterance = ser_malloc_array((size_t) out->n_utterance, sizeof(float));
		if (out->utterance == NULL)
			return fail_cleanup(ser_error(err, SER_ENOMEM, "out of memory for the utterance vector"),
								out, own_work, scratch, NULL, mel_sums);
		v = out->utterance;
		for (int k = 0; k < n_groups; k++)
		{
			int			per = stats_per_column(g[k].stats);

			for (int c = 0; c < g[k].count; c++)
			{
				int			column = g[k].column + c;
				size_t		count = 0;

				if (column < m.skipped)
				{
					/* log-mel bands, summarised during the frame loop */
					double		mean = T ? mel_sums[2 * c] / T : 0.0;
					double		var = T ? mel_sums[2 * c + 1] / T - mean * mean : 0.0;

					v[at] = (float) mean;
					v[at + 1] = (float) sqrt(var > 0.0 ? var : 0.0);
					at += per;
					continue;
				}
				for (size_t t = 0; t < T; t++)
				{
					int			keep;

					if (g[k].selection == ALL_FRAMES)
						keep = 1;
					else if (g[k].selection == VOICED_FRAMES)
						keep = *work_at(&m, t, l.voiced) > 0.0f;
					else
						keep = t > 0 && *work_at(&m, t, l.voiced) > 0.0f
							&& *work_at(&m, t - 1, l.voiced) > 0.0f;
					if (keep)
					{
						values[count] = *work_at(&m, t, column);
						times[count] = (double) t * frame_seconds;
						count++;
					}
				}
				column_stats(values, times, count, g[k].stats, v + at);
				at += per;
			}
		}
		for (size_t t = 0; t < T; t++)
			if (*work_at(&m, t, l.voiced) > 0.0f)
			{
				voiced++;
				if (t == 0 || *work_at(&m, t - 1, l.voiced) == 0.0f)
					segments++;
			}
		v[at++] = T ? (float) ((double) voiced / T) : 0.0f;
		v[at++] = n ? (float) (segments / ((double) n / p->sample_rate)) : 0.0f;
		v[at++] = segments ? (float) ((double) voiced / segments * frame_seconds) : 0.0f;
	}

	ser_free(own_work);
	ser_free(scratch);
	ser_free(mel_sums);
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
	for (size_t i = 0; i < n; i++)
		if (!isfinite(pcm[i]))
			return ser_error(err, SER_ENONFINITE, "audio sample %zu is not finite", i);
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
