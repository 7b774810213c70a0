/*
 * speech_gate.c — how the speech gate (features/speech.h) judges a set of
 * recordings: each file or folder (searched recursively for .wav, .flac,
 * .ogg, .opus, .mp3, .aiff, .au) is decoded at the default feature rate,
 * featurised and judged; prints how many are speech and, per reason, how
 * many are not, with the evidence of the recordings nearest each threshold.
 * test/speech/gate_report.sh runs it on the corpus and on synthetic
 * non-speech.  Not a test.
 *
 * Usage: test/eval/speech_gate [-v] PATH...   (-v: one line per file)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audio/decode.h"
#include "features/features.h"
#include "features/speech.h"

#define N_VERDICTS (SER_SPEECH_STEADY_TIMBRE + 1)

static SerFeatureParams params;
static SerSpeechGate gate;
static int	verbose;
static int	counts[N_VERDICTS];
static int	n_failed;
static SerSpeechEvidence lowest;	/* the smallest value of each measure among speech */
static SerSpeechEvidence highest;	/* the largest among speech */
static int	n_speech;

static int
is_audio(const char *name)
{
	static const char *const ext[] = {".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".au"};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(dot, ext[i]) == 0)
			return 1;
	return 0;
}

static void
judge(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *bytes;
	long		len;
	SerDecodeOptions opts = {params.sample_rate, 600};
	SerPcm		pcm;
	SerFeatureSet set;
	SerSpeechEvidence ev;
	SerSpeechVerdict v;
	SerError	err;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0)
	{
		fprintf(stderr, "%s: cannot read\n", path);
		n_failed++;
		if (f)
			fclose(f);
		return;
	}
	rewind(f);
	bytes = malloc((size_t) len + 1);
	if (bytes == NULL || fread(bytes, 1, (size_t) len, f) != (size_t) len)
	{
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(f);
	if (ser_audio_decode(bytes, (size_t) len, &opts, &pcm, NULL, &err) != SER_OK)
	{
		printf("%s\terror\t%s\n", path, err.message);
		n_failed++;
		free(bytes);
		return;
	}
	free(bytes);
	if (ser_extract_features(&params, pcm.samples, pcm.n_samples, SER_FEATURES_FRAMES, &set, &err) != SER_OK ||
		ser_speech_evidence(&params, set.frames, set.n_frames, set.n_frame_features, &ev, &err) != SER_OK)
	{
		fprintf(stderr, "%s: %s\n", path, err.message);
		exit(1);
	}
	v = ser_speech_verdict(&gate, &ev);
	counts[v]++;
	if (v == SER_SPEECH_YES)
	{
		if (n_speech++ == 0)
			lowest = highest = ev;
#define TRACK(field) do { if (ev.field < lowest.field) lowest.field = ev.field; \
						  if (ev.field > highest.field) highest.field = ev.field; } while (0)
		TRACK(voiced_seconds);
		TRACK(bandwidth_hz);
		TRACK(f0_wobble_st);
		TRACK(articulation);
	}
	if (verbose)
		printf("%s\t%s\tvoiced %.2f s\tbandwidth %.0f Hz\twobble %.3f st\tarticulation %.2f\n", path,
			   ser_speech_verdict_text(v), ev.voiced_seconds, ev.bandwidth_hz, ev.f0_wobble_st, ev.articulation);
	ser_feature_set_free(&set);
	ser_pcm_free(&pcm);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
walk(const char *path)
{
	struct stat st;
	DIR		   *d;
	struct dirent *e;
	char	  **names = NULL;
	size_t		n = 0,
				cap = 0;

	if (stat(path, &st) != 0)
	{
		fprintf(stderr, "%s: not found\n", path);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode))
	{
		judge(path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		if (e->d_name[0] == '.')
			continue;
		if (n == cap)
		{
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof(char *));
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), compare_names);	/* the same order on every machine */
	for (size_t i = 0; i < n; i++)
	{
		char		child[4096];
		struct stat cs;

		snprintf(child, sizeof(child), "%s/%s", path, names[i]);
		if (stat(child, &cs) == 0 && (S_ISDIR(cs.st_mode) || is_audio(names[i])))
			walk(child);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	int			total = 0;

	ser_feature_params_default(&params);
	ser_speech_gate_default(&gate);
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else
			walk(argv[i]);
	}
	for (int v = 0; v < N_VERDICTS; v++)
		total += counts[v];
	printf("recordings judged: %d (%d could not be decoded)\n", total, n_failed);
	printf("speech: %d (%.2f %%)\n", counts[SER_SPEECH_YES], total ? 100.0 * counts[SER_SPEECH_YES] / total : 0.0);
	for (int v = 1; v < N_VERDICTS; v++)
		printf("not speech, %s: %d\n", ser_speech_verdict_text((SerSpeechVerdict) v), counts[v]);
	if (n_speech > 0)
		printf("range among speech: voiced %.2f..%.2f s, bandwidth %.0f..%.0f Hz, wobble %.3f..%.3f st, "
			   "articulation %.2f..%.2f (thresholds %.2f s, %.0f Hz, %.3f..%.3f st, %.2f)\n",
			   lowest.voiced_seconds, highest.voiced_seconds, lowest.bandwidth_hz, highest.bandwidth_hz,
			   lowest.f0_wobble_st, highest.f0_wobble_st, lowest.articulation, highest.articulation,
			   gate.min_voiced_seconds, gate.min_bandwidth_hz, gate.min_f0_wobble_st, gate.max_f0_wobble_st,
			   gate.min_articulation);
	return 0;
}
