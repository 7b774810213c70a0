/*
 * bench_features.c — time the feature core alone (no PostgreSQL): median
 * over repeated runs of decode + ser_extract_features (utterance vector,
 * what ser_features() does), decode + frame matrix (ser_frames()), and
 * decode + pitch track (ser_pitch()), on a clip read from disk.
 *
 *   test/bench/bench_features [clip] [repeats]
 *
 * Default clip: test/fixtures/librosa/03-01-02-01-01-02-01.flac (RAVDESS,
 * 3.6 s, 16 kHz).  Run it on an idle core; it prints medians in ms and the
 * same normalised to 3.5 s of audio.
 */
#include "audio/decode.h"
#include "features/features.h"
#include "features/pitch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t) n, sizeof(double), compare_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t) n;
	return buf;
}

enum Work
{
	WORK_DECODE,
	WORK_UTTERANCE,
	WORK_FRAMES,
	WORK_PITCH,
	WORK_UTTERANCE_CORE,
	WORK_PITCH_CORE
};

static int
run_once(enum Work work, const unsigned char *data, size_t len, const SerPcm *decoded,
		 const SerFeatureParams *p)
{
	SerDecodeOptions opts = {p->sample_rate, 0};
	SerPcm		pcm;
	SerError	err;
	SerFeatureSet fs;
	SerPitchTrack track;
	SerStatus	st = SER_OK;
	const float *samples = decoded->samples;
	size_t		n = decoded->n_samples;

	if (work != WORK_UTTERANCE_CORE && work != WORK_PITCH_CORE)
	{
		if (ser_audio_decode(data, len, &opts, &pcm, NULL, &err) != SER_OK)
			return 0;
		samples = pcm.samples;
		n = pcm.n_samples;
	}
	switch (work)
	{
		case WORK_DECODE:
			break;
		case WORK_UTTERANCE:
		case WORK_UTTERANCE_CORE:
			st = ser_extract_features(p, samples, n, SER_FEATURES_UTTERANCE, &fs, &err);
			if (st == SER_OK)
				ser_feature_set_free(&fs);
			break;
		case WORK_FRAMES:
			st = ser_extract_features(p, samples, n, SER_FEATURES_FRAMES, &fs, &err);
			if (st == SER_OK)
				ser_feature_set_free(&fs);
			break;
		case WORK_PITCH:
		case WORK_PITCH_CORE:
			st = ser_pitch_track(p, samples, n, &track, &err);
			if (st == SER_OK)
				ser_pitch_track_free(&track);
			break;
	}
	if (work != WORK_UTTERANCE_CORE && work != WORK_PITCH_CORE)
		ser_pcm_free(&pcm);
	return st == SER_OK;
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "test/fixtures/librosa/03-01-02-01-01-02-01.flac";
	int			repeats = argc > 2 ? atoi(argv[2]) : 200;
	static const char *const labels[] = {
		"decode only", "decode + utterance vector (ser_features)", "decode + frame matrix (ser_frames)",
		"decode + pitch (ser_pitch)", "utterance vector, PCM already decoded", "pitch, PCM already decoded"
	};
	SerFeatureParams p;
	SerDecodeOptions opts;
	SerPcm		pcm;
	SerError	err;
	unsigned char *data;
	size_t		len;
	double	   *times;
	double		seconds;

	if (repeats < 50)
		repeats = 50;
	data = read_file(path, &len);
	if (data == NULL)
	{
		fprintf(stderr, "cannot read %s (run from the repository root)\n", path);
		return 1;
	}
	ser_feature_params_default(&p);
	opts.target_rate = p.sample_rate;
	opts.max_duration_s = 0;
	if (ser_audio_decode(data, len, &opts, &pcm, NULL, &err) != SER_OK)
	{
		fprintf(stderr, "cannot decode %s: %s\n", path, err.message);
		return 1;
	}
	seconds = (double) pcm.n_samples / p.sample_rate;
	printf("clip %s: %.2f s, %zu frames, %d repeats (median; per 3.5 s of audio in brackets)\n",
		   path, seconds, ser_feature_frame_count(&p, pcm.n_samples), repeats);

	times = malloc(sizeof(double) * (size_t) repeats);
	for (int w = WORK_DECODE; w <= WORK_PITCH_CORE; w++)
	{
		double		m;

		/* one warm-up run: FFT plans and analysis tables are made once per process */
		if (!run_once((enum Work) w, data, len, &pcm, &p))
		{
			fprintf(stderr, "%s failed\n", labels[w]);
			return 1;
		}
		for (int r = 0; r < repeats; r++)
		{
			double		start = now_ms();

			run_once((enum Work) w, data, len, &pcm, &p);
			times[r] = now_ms() - start;
		}
		m = median(times, repeats);
		printf("  %-44s %7.3f ms  [%.3f ms]\n", labels[w], m, m * 3.5 / seconds);
	}
	free(times);
	ser_pcm_free(&pcm);
	free(data);
	return 0;
}
