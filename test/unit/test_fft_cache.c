/*
 * test_fft_cache.c — the per-process FFT plan cache under many sizes
 * (finding F5: after 8 distinct sizes every further size failed with an
 * internal error until the process ended).
 *
 * Features are extracted with twelve FFT sizes in turn, three times over,
 * as a backend serving models of many feature configurations would: every
 * call must succeed, the cache must stay within its slots, and the default
 * configuration must give bit-identical features before and after its plan
 * was evicted and made again.
 */
#include "unit.h"

#include "features/features.h"
#include "features/fft.h"

#define N_SAMPLES 16000

static float pcm[N_SAMPLES];

static SerStatus
extract(int n_fft, SerFeatureSet *fs, SerError *err)
{
	SerFeatureParams p;

	ser_feature_params_default(&p);
	p.n_fft = n_fft;
	if (p.win_length > n_fft)
		p.win_length = n_fft;
	return ser_extract_features(&p, pcm, N_SAMPLES, SER_FEATURES_UTTERANCE, fs, err);
}

int
main(void)
{
	static const int sizes[] = {416, 448, 480, 544, 576, 608, 640, 672, 704, 736, 1024, 2048};
	const int	n_sizes = (int) (sizeof(sizes) / sizeof(sizes[0]));
	SerFeatureSet first,
				again;
	SerError	err;
	int			failures = 0,
				most_cached = 0;
	bool		same;

	ser_set_allocator(counting_alloc, counting_free);
	for (int i = 0; i < N_SAMPLES; i++)
		pcm[i] = 0.4f * sinf(2.0f * (float) M_PI * 220.0f * i / 16000.0f) * (1.0f + 0.3f * sinf(i * 0.001f));

	UNIT_OK(extract(512, &first, &err) == SER_OK, "features with the default FFT size");
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < n_sizes; i++)
		{
			SerFeatureSet fs;

			if (extract(sizes[i], &fs, &err) != SER_OK)
			{
				failures++;
				UNIT_DIAG("n_fft %d: %s", sizes[i], err.message);
				continue;
			}
			ser_feature_set_free(&fs);
			if (ser_real_fft_cached_sizes() > most_cached)
				most_cached = ser_real_fft_cached_sizes();
		}
	UNIT_OK(failures == 0, "%d extractions over %d FFT sizes all succeed", 3 * n_sizes, n_sizes);
	UNIT_OK(most_cached > 0 && most_cached <= 8, "at most 8 sizes are planned at a time (%d)", most_cached);

	UNIT_OK(extract(512, &again, &err) == SER_OK, "the default size is planned again after eviction");
	same = first.n_utterance == again.n_utterance &&
		memcmp(first.utterance, again.utterance, sizeof(float) * first.n_utterance) == 0;
	UNIT_OK(same, "and gives bit-identical features (%d values)", first.n_utterance);
	ser_feature_set_free(&first);
	ser_feature_set_free(&again);
	UNIT_OK(outstanding == 0, "no allocation outstanding at the end (%ld)", outstanding);
	return unit_done();
}
