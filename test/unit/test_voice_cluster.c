/*
 * test_voice_cluster.c — voice vectors and their clustering
 * (features/voice_cluster.h): two separated groups of vectors are found
 * whatever their order, the same bits every time; assignments follow the
 * fitted centres; a recording's voice vector is its MFCC means; malformed
 * clusterings and arguments are refused; nothing leaks.
 */
#include "unit.h"

#include "audio/decode.h"
#include "common/runtime.h"
#include "features/features.h"
#include "features/voice_cluster.h"

#define DIM 5
#define N 200

static unsigned state = 99;

static double
gaussian(void)
{
	double		u = 0;

	for (int i = 0; i < 12; i++)	/* Irwin-Hall: close enough to normal for a test */
	{
		state = state * 1664525u + 1013904223u;
		u += (state >> 8) / 16777216.0;
	}
	return u - 6.0;
}

int
main(void)
{
	float		vectors[N * DIM];
	int			truth[N];
	float	   *clusters = malloc(sizeof(float) * ser_voice_clusters_length(2, DIM));
	float	   *again = malloc(sizeof(float) * ser_voice_clusters_length(2, DIM));
	SerError	err;
	SerFeatureParams params;

	ser_set_allocator(counting_alloc, counting_free);
	for (int m = 0; m < N; m++)
	{
		truth[m] = (m * 7) % 3 == 0;	/* interleaved: the order does not give the groups away */
		for (int v = 0; v < DIM; v++)
			vectors[m * DIM + v] = (float) (gaussian() + (truth[m] ? 6.0 : 0.0) + 10.0 * v);
	}
	UNIT_OK(ser_voice_clusters_fit(vectors, N, DIM, 2, clusters, &err) == SER_OK, "fit two clusters");
	UNIT_OK(ser_voice_clusters_check(clusters, ser_voice_clusters_length(2, DIM), &err) == SER_OK,
			"the fitted clustering passes its own check");
	UNIT_OK(clusters[0] == 2 && clusters[1] == DIM, "it starts with its cluster count and dimension");
	{
		int			same_as_first = 0;

		for (int m = 0; m < N; m++)
			same_as_first += (truth[m] == truth[0]) == (ser_voice_cluster_of(clusters, vectors + m * DIM) ==
														ser_voice_cluster_of(clusters, vectors));
		UNIT_OK(same_as_first == N, "the two groups are found exactly (%d of %d)", same_as_first, N);
	}
	UNIT_OK(ser_voice_clusters_fit(vectors, N, DIM, 2, again, &err) == SER_OK &&
			memcmp(clusters, again, sizeof(float) * ser_voice_clusters_length(2, DIM)) == 0,
			"a second fit gives the same bits");
	UNIT_OK(ser_voice_clusters_fit(vectors, N, DIM, 1, clusters, &err) == SER_OK &&
			ser_voice_cluster_of(clusters, vectors + 3 * DIM) == 0, "one cluster holds everyone");

	UNIT_OK(ser_voice_clusters_fit(vectors, 3, DIM, 4, clusters, &err) == SER_EINVAL,
			"more clusters than recordings: %s", err.message);
	UNIT_OK(ser_voice_clusters_fit(vectors, N, DIM, 17, clusters, &err) == SER_EINVAL,
			"more clusters than allowed: %s", err.message);
	vectors[7] = NAN;
	UNIT_OK(ser_voice_clusters_fit(vectors, N, DIM, 2, clusters, &err) == SER_EINVAL,
			"a vector that is not finite: %s", err.message);
	{
		float		bad[4] = {2, 1, 0, 1};

		UNIT_OK(ser_voice_clusters_check(bad, 4, &err) == SER_EINVAL, "a short clustering: %s", err.message);
		bad[0] = 0.5f;
		UNIT_OK(ser_voice_clusters_check(bad, 4, &err) == SER_EINVAL, "a fractional count: %s", err.message);
		again[2 + DIM] = 0.0f;
		again[0] = 2;
		again[1] = DIM;
		UNIT_OK(ser_voice_clusters_check(again, ser_voice_clusters_length(2, DIM), &err) == SER_EINVAL,
				"a zero scale: %s", err.message);
	}

	/* A recording's voice vector is its MFCC 1..19 means. */
	ser_feature_params_default(&params);
	{
		size_t		len;
		unsigned char *bytes = unit_read_file("test/fixtures/ravdess/03-01-05-02-01-01-01.wav", &len);
		SerDecodeOptions opts = {params.sample_rate, 600};
		SerPcm		pcm;
		SerFeatureSet set;
		float		voice[64];
		char		name[64];
		int			checked = 0,
					right = 0;

		if (bytes != NULL && ser_audio_decode(bytes, len, &opts, &pcm, NULL, &err) == SER_OK &&
			ser_extract_features(&params, pcm.samples, pcm.n_samples, SER_FEATURES_UTTERANCE, &set, &err) == SER_OK)
		{
			UNIT_OK(ser_voice_vector_length(&params) == params.n_mfcc - 1, "voice vector of %d values",
					ser_voice_vector_length(&params));
			UNIT_OK(ser_voice_vector(&params, set.utterance, set.n_utterance, voice, &err) == SER_OK, "voice vector");
			for (int j = 0; j < set.n_utterance; j++)
			{
				int			k;
				char		tail[16];

				ser_utterance_feature_name(&params, j, name, sizeof(name));
				if (sscanf(name, "mfcc_%d_%15s", &k, tail) == 2 && strcmp(tail, "mean") == 0 && k >= 1)
				{
					checked++;
					right += voice[k - 1] == set.utterance[j];
				}
			}
			UNIT_OK(checked == params.n_mfcc - 1 && right == checked, "it is the MFCC means (%d of %d)", right,
					checked);
			UNIT_OK(ser_voice_vector(&params, set.utterance, set.n_utterance - 1, voice, &err) == SER_EINVAL,
					"a vector of other parameters: %s", err.message);
			ser_feature_set_free(&set);
			ser_pcm_free(&pcm);
		}
		else
			UNIT_OK(0, "speech fixture featurises");
		free(bytes);
	}
	free(clusters);
	free(again);
	UNIT_OK(outstanding == 0, "no core allocation left behind (%ld)", outstanding);
	return unit_done();
}
