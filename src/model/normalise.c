/*
 * normalise.c — the network's input normalisation, shared by training
 * (model/train.c) and prediction (model/model.c).  See normalise.h.
 */
#include "model/normalise.h"

#include <math.h>
#include <string.h>

SerStatus
ser_norm_stats_alloc(SerNormStats *stats, int n_frame_features, int n_utt_features, SerError *err)
{
	stats->frame_mean = ser_malloc_array((size_t) n_frame_features, sizeof(float));
	stats->frame_std = ser_malloc_array((size_t) n_frame_features, sizeof(float));
	stats->utt_mean = ser_malloc_array((size_t) n_utt_features, sizeof(float));
	stats->utt_std = ser_malloc_array((size_t) n_utt_features, sizeof(float));
	if (!stats->frame_mean || !stats->frame_std || !stats->utt_mean || !stats->utt_std)
	{
		ser_norm_stats_free(stats);
		return ser_error(err, SER_ENOMEM, "out of memory for normalisation statistics");
	}
	return SER_OK;
}

SerStatus
ser_norm_stats_copy(SerNormStats *dst, const SerNormStats *src, int n_frame_features, int n_utt_features,
					SerError *err)
{
	SerStatus	st = ser_norm_stats_alloc(dst, n_frame_features, n_utt_features, err);

	if (st != SER_OK)
		return st;
	memcpy(dst->frame_mean, src->frame_mean, sizeof(float) * (size_t) n_frame_features);
	memcpy(dst->frame_std, src->frame_std, sizeof(float) * (size_t) n_frame_features);
	memcpy(dst->utt_mean, src->utt_mean, sizeof(float) * (size_t) n_utt_features);
	memcpy(dst->utt_std, src->utt_std, sizeof(float) * (size_t) n_utt_features);
	return SER_OK;
}

void
ser_norm_stats_free(SerNormStats *stats)
{
	ser_free(stats->frame_mean);
	ser_free(stats->frame_std);
	ser_free(stats->utt_mean);
	ser_free(stats->utt_std);
	memset(stats, 0, sizeof(*stats));
}

static SerStatus
check_pairs(const float *mean, const float *std, int n, const char *what, SerStatus status, SerError *err)
{
	for (int i = 0; i < n; i++)
		if (!(std[i] > 0.0f) || !isfinite(mean[i]) || !isfinite(std[i]))
		{
			ser_error(err, status, "invalid normalisation statistics for %s feature %d", what, i);
			ser_error_detail(err, "Means must be finite and standard deviations positive.");
			return status;
		}
	return SER_OK;
}

SerStatus
ser_norm_stats_check(const SerNormStats *stats, int n_frame_features, int n_utt_features, SerStatus status,
					 SerError *err)
{
	if (check_pairs(stats->frame_mean, stats->frame_std, n_frame_features, "frame", status, err) != SER_OK)
		return status;
	return check_pairs(stats->utt_mean, stats->utt_std, n_utt_features, "utterance", status, err);
}

void
ser_frames_subtract_mean(float *frames, int n_frames, int n_features)
{
	if (n_frames <= 0)
		return;
	for (int i = 0; i < n_features; i++)
	{
		double		sum = 0;
		float		mean;

		for (int t = 0; t < n_frames; t++)
			sum += frames[(size_t) t * n_features + i];
		mean = (float) (sum / n_frames);
		for (int t = 0; t < n_frames; t++)
			frames[(size_t) t * n_features + i] -= mean;
	}
}

/*
 * out = (x - mean) / std over n features.  With restrict (the contract of
 * ser_normalise_clip) the compiler divides four at a time; written over the
 * struct's arrays it could not rule out that the output overwrites the
 * statistics and divided one value at a time, a twentieth of a prediction.
 * Each value is the same IEEE subtraction and division either way.
 */
static void
standardise(const float *restrict x, const float *restrict mean, const float *restrict std, int n,
			float *restrict out)
{
	for (int i = 0; i < n; i++)
		out[i] = (x[i] - mean[i]) / std[i];
}

void
ser_normalise_clip(const SerNormStats *stats, bool frame_cmn, const float *frames, int n_frames,
				   int n_frame_features, const float *utt, int n_utt_features, float *frames_out, float *utt_out)
{
	int			F = n_frame_features;

	for (int t = 0; t < n_frames; t++)
		standardise(frames + (size_t) t * F, stats->frame_mean, stats->frame_std, F, frames_out + (size_t) t * F);
	standardise(utt, stats->utt_mean, stats->utt_std, n_utt_features, utt_out);
	if (frame_cmn)
		ser_frames_subtract_mean(frames_out, n_frames, F);
}
