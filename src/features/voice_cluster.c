/*
 * voice_cluster.c — voice vectors and their k-means clustering (see
 * voice_cluster.h).
 */
#include "features/voice_cluster.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "features/features.h"

#define RESTARTS 20
#define MAX_ITERATIONS 100

int
ser_voice_vector_length(const SerFeatureParams *p)
{
	return p->n_mfcc - 1;
}

SerStatus
ser_voice_vector(const SerFeatureParams *p, const float *utterance, int n_utterance, float *out, SerError *err)
{
	int			dim = ser_voice_vector_length(p);
	int			found = 0;
	int			D = ser_utterance_feature_count(p);
	char		name[64];

	if (dim < 1)
		return ser_error(err, SER_EINVAL, "the feature parameters give no MFCC beyond c0 to describe a voice");
	if (n_utterance != D)
		return ser_error(err, SER_EINVAL, "utterance vector has %d values, the feature parameters give %d",
						 n_utterance, D);
	/* "mfcc_<k>_mean" come first and in order (features.h), so one scan finds them. */
	for (int j = 0; j < D && found < dim; j++)
	{
		char		want[32];

		snprintf(want, sizeof(want), "mfcc_%d_mean", found + 1);
		ser_utterance_feature_name(p, j, name, sizeof(name));
		if (strcmp(name, want) == 0)
			out[found++] = utterance[j];
	}
	if (found != dim)
		return ser_error(err, SER_EINTERNAL, "utterance vector lacks the MFCC means");
	return SER_OK;
}

size_t
ser_voice_clusters_length(int k, int dim)
{
	return 2 + (size_t) (2 + k) * (size_t) dim;
}

/* A generator of its own: the same clustering on every machine. */
static uint32_t
next_random(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static double
squared_distance(const double *a, const double *b, int dim)
{
	double		s = 0.0;

	for (int v = 0; v < dim; v++)
		s += (a[v] - b[v]) * (a[v] - b[v]);
	return s;
}

/* One k-means run from a k-means++ seeding; returns its inertia, assign[] and centre[][] filled. */
static double
kmeans_run(const double *x, int n, int dim, int k, uint32_t *state, double *centre, double *nearest,
		   int *assign, int *count)
{
	double		inertia = 0.0;

	memcpy(centre, x + (size_t) (next_random(state) % (uint32_t) n) * dim, sizeof(double) * dim);
	for (int j = 1; j < k; j++)
	{
		double		total = 0.0,
					r;
		int			pick = n - 1;

		for (int m = 0; m < n; m++)
		{
			double		d = squared_distance(x + (size_t) m * dim, centre + (size_t) (j - 1) * dim, dim);

			nearest[m] = j == 1 ? d : fmin(nearest[m], d);
			total += nearest[m];
		}
		r = next_random(state) / 16777216.0 * total;
		for (int m = 0; m < n; m++)
			if ((r -= nearest[m]) <= 0.0)
			{
				pick = m;
				break;
			}
		memcpy(centre + (size_t) j * dim, x + (size_t) pick * dim, sizeof(double) * dim);
	}
	for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++)
	{
		bool		changed = false;

		inertia = 0.0;
		for (int m = 0; m < n; m++)
		{
			double		best = INFINITY;
			int			best_q = 0;

			for (int q = 0; q < k; q++)
			{
				double		d = squared_distance(x + (size_t) m * dim, centre + (size_t) q * dim, dim);

				if (d < best)
				{
					best = d;
					best_q = q;
				}
			}
			changed |= iteration == 0 || assign[m] != best_q;
			assign[m] = best_q;
			inertia += best;
		}
		if (!changed)
			break;
		memset(centre, 0, sizeof(double) * (size_t) k * dim);
		memset(count, 0, sizeof(int) * (size_t) k);
		for (int m = 0; m < n; m++)
		{
			count[assign[m]]++;
			for (int v = 0; v < dim; v++)
				centre[(size_t) assign[m] * dim + v] += x[(size_t) m * dim + v];
		}
		for (int q = 0; q < k; q++)
			for (int v = 0; v < dim; v++)
				centre[(size_t) q * dim + v] = count[q] > 0 ? centre[(size_t) q * dim + v] / count[q]
					: x[(size_t) (q % n) * dim + v];	/* an emptied cluster restarts at a point */
	}
	return inertia;
}

SerStatus
ser_voice_clusters_fit(const float *vectors, int n, int dim, int k, float *out, SerError *err)
{
	double	   *x,
			   *centre,
			   *best_centre,
			   *nearest;
	int		   *assign,
			   *count;
	double		best = INFINITY;
	uint32_t	state = 20240611u;
	SerStatus	status = SER_OK;

	if (dim < 1 || n < 1)
		return ser_error(err, SER_EINVAL, "no voice vectors to cluster");
	if (k < 1 || k > SER_VOICE_MAX_CLUSTERS || k > n)
		return ser_error(err, SER_EINVAL, "cannot make %d clusters of %d recordings (1 to %d, at most one per recording)",
						 k, n, SER_VOICE_MAX_CLUSTERS);
	x = ser_malloc_array((size_t) n * dim, sizeof(double));
	centre = ser_malloc_array((size_t) k * dim, sizeof(double));
	best_centre = ser_malloc_array((size_t) k * dim, sizeof(double));
	nearest = ser_malloc_array((size_t) n, sizeof(double));
	assign = ser_malloc_array((size_t) n, sizeof(int));
	count = ser_malloc_array((size_t) k, sizeof(int));
	if (!x || !centre || !best_centre || !nearest || !assign || !count)
	{
		status = ser_error(err, SER_ENOMEM, "out of memory clustering %d voices", n);
		goto done;
	}
	out[0] = (float) k;
	out[1] = (float) dim;
	for (int v = 0; v < dim; v++)
	{
		double		mean = 0.0,
					squares = 0.0,
					scale;

		for (int m = 0; m < n; m++)
		{
			if (!isfinite(vectors[(size_t) m * dim + v]))
			{
				status = ser_error(err, SER_EINVAL, "voice vector %d is not finite", m);
				goto done;
			}
			mean += vectors[(size_t) m * dim + v];
		}
		mean /= n;
		for (int m = 0; m < n; m++)
			squares += (vectors[(size_t) m * dim + v] - mean) * (vectors[(size_t) m * dim + v] - mean);
		scale = sqrt(squares / n);
		if (!(scale > 1e-6))
			scale = 1.0;		/* a constant coordinate: it separates nothing, keep it neutral */
		out[2 + v] = (float) mean;
		out[2 + dim + v] = (float) scale;
		for (int m = 0; m < n; m++)
			x[(size_t) m * dim + v] = (vectors[(size_t) m * dim + v] - out[2 + v]) / out[2 + dim + v];
	}
	for (int restart = 0; restart < RESTARTS; restart++)
	{
		double		inertia;

		if (ser_interrupted())
		{
			status = ser_error(err, SER_ECANCELED, "canceled");
			goto done;
		}
		inertia = kmeans_run(x, n, dim, k, &state, centre, nearest, assign, count);
		if (inertia < best)
		{
			best = inertia;
			memcpy(best_centre, centre, sizeof(double) * (size_t) k * dim);
		}
	}
	for (size_t i = 0; i < (size_t) k * dim; i++)
		out[2 + 2 * dim + i] = (float) best_centre[i];
done:
	ser_free(x);
	ser_free(centre);
	ser_free(best_centre);
	ser_free(nearest);
	ser_free(assign);
	ser_free(count);
	return status;
}

SerStatus
ser_voice_clusters_check(const float *clusters, size_t length, SerError *err)
{
	int			k,
				dim;

	if (length < 2 || !(clusters[0] >= 1 && clusters[0] <= SER_VOICE_MAX_CLUSTERS) ||
		!(clusters[1] >= 1 && clusters[1] <= 1024) || clusters[0] != floorf(clusters[0]) ||
		clusters[1] != floorf(clusters[1]))
		return ser_error(err, SER_EINVAL, "not a voice clustering: it must start with its cluster count and dimension");
	k = (int) clusters[0];
	dim = (int) clusters[1];
	if (length != ser_voice_clusters_length(k, dim))
		return ser_error(err, SER_EINVAL, "voice clustering has %zu values, %zu expected for %d clusters of %d",
						 length, ser_voice_clusters_length(k, dim), k, dim);
	for (size_t i = 2; i < length; i++)
		if (!isfinite(clusters[i]))
			return ser_error(err, SER_EINVAL, "voice clustering holds a value that is not finite");
	for (int v = 0; v < dim; v++)
		if (!(clusters[2 + dim + v] > 0.0f))
			return ser_error(err, SER_EINVAL, "voice clustering holds a scale that is not positive");
	return SER_OK;
}

int
ser_voice_cluster_of(const float *clusters, const float *vector)
{
	int			k = (int) clusters[0],
				dim = (int) clusters[1];
	const float *mean = clusters + 2,
			   *scale = clusters + 2 + dim,
			   *centres = clusters + 2 + 2 * dim;
	double		best = INFINITY;
	int			best_q = 0;

	for (int q = 0; q < k; q++)
	{
		double		d = 0.0;

		for (int v = 0; v < dim; v++)
		{
			double		z = ((double) vector[v] - mean[v]) / scale[v] - centres[(size_t) q * dim + v];

			d += z * z;
		}
		if (d < best)
		{
			best = d;
			best_q = q;
		}
	}
	return best_q;
}
