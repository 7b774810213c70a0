/*
 * test_model_golden.c — the shipped model's predictions on the whole
 * RAVDESS corpus (../shared/data/ravdess16k, 1,200 clips, and the same
 * recordings at 48 kHz, ravdess48k, decoded and resampled) must stay what
 * they were: the same label and bit-identical class probabilities for
 * every clip, classified alone (the model's population profile) and with
 * its actor's profile (made from all of the actor's recordings), compared
 * with test/fixtures/golden/<corpus>_shipped_model.txt.
 *
 * Why: a refactoring of the model or of its feature path must not change
 * what users get; bit-for-bit is the only check that catches a silently
 * reordered sum.  Exact float bits depend on the CPU kernel OpenBLAS picks
 * (DYNAMIC_ARCH), so the file records that kernel; on a machine with
 * another one the test requires the same labels and probabilities within
 * 1e-5 instead, and says so.
 *
 * The files were written for the retrained model of 0.2.0 (version-2
 * features, a path without profiles, temperatures); those of the 0.1.0
 * model, written before the model code was split into files (commit
 * db85d25), showed that the split changed nothing.
 *
 * Skips (with a message) without ../shared or without the shipped model.
 * Rewrite the files, after a deliberate change of model or features, with
 *   make test/unit/test_model_golden && test/unit/test_model_golden --write
 * from the repository root.
 */
#include <cblas.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>

#include "audio/decode.h"
#include "classifier/classifier.h"
#include "features/profile.h"
#include "unit.h"

#define MODEL_PATH "model/ser_default.sermodel"
#define MAX_CLIPS 2000
#define MAX_CLASSES 16
#define N_ACTORS 20
#define CROSS_KERNEL_TOLERANCE 1e-5

typedef struct ClipResult
{
	char		name[320];		/* Actor_NN/file.flac */
	int			label_alone;
	float		probs_alone[MAX_CLASSES];
	int			label_profile;
	float		probs_profile[MAX_CLASSES];
} ClipResult;

static unsigned char *
read_whole_file(const char *path, size_t *n)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *b;
	long		size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
	{
		fclose(f);
		return NULL;
	}
	rewind(f);
	b = malloc((size_t) size + 1);
	if (b != NULL && fread(b, 1, (size_t) size, f) != (size_t) size)
	{
		free(b);
		b = NULL;
	}
	fclose(f);
	*n = (size_t) size;
	return b;
}

static int
argmax(const float *p, int k)
{
	int			best = 0;

	for (int i = 1; i < k; i++)
		if (p[i] > p[best])
			best = i;
	return best;
}

static int
name_compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_flac(const struct dirent *d)
{
	size_t		n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".flac") == 0;
}

/*
 * Classify every clip of one actor's folder alone and with the actor's
 * profile; appends to results.  Returns false (with a diagnostic) on any
 * failure.
 */
static bool
classify_actor(const char *root, int actor, const SerModel *model, const SerFeatureParams *params,
			   int n_classes, ClipResult *results, int *n_results)
{
	char		dir[1100];
	struct dirent **names;
	int			n_names;
	int			first = *n_results;
	SerFeatureSet *sets;
	size_t		state_len = ser_profile_state_length(0, 0);
	double	   *state = NULL;
	float	   *profile = NULL;
	size_t		profile_len = 0;
	SerError	err;
	bool		ok = true;

	snprintf(dir, sizeof(dir), "%s/Actor_%02d", root, actor);
	n_names = scandir(dir, &names, is_flac, name_compare);
	if (n_names <= 0 || *n_results + n_names > MAX_CLIPS)
	{
		UNIT_DIAG("cannot list %s", dir);
		return false;
	}
	sets = calloc((size_t) n_names, sizeof(SerFeatureSet));
	for (int i = 0; i < n_names && ok; i++)
	{
		char		path[1400];
		size_t		len;
		unsigned char *bytes;
		SerDecodeOptions opts = {params->sample_rate, 600};
		SerPcm		pcm;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		bytes = read_whole_file(path, &len);
		if (bytes == NULL || ser_audio_decode(bytes, len, &opts, &pcm, NULL, &err) != SER_OK ||
			ser_extract_features(params, pcm.samples, pcm.n_samples,
								 SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE, &sets[i], &err) != SER_OK)
		{
			UNIT_DIAG("cannot featurise %s: %s", path, bytes ? err.message : "unreadable");
			ok = false;
		}
		else
			ser_pcm_free(&pcm);
		free(bytes);
		snprintf(results[first + i].name, sizeof(results[first + i].name), "Actor_%02d/%s", actor,
				 names[i]->d_name);
	}
	if (ok)
	{
		state_len = ser_profile_state_length(sets[0].n_frame_features, sets[0].n_utterance);
		profile_len = ser_profile_length(sets[0].n_frame_features, sets[0].n_utterance);
		state = malloc(state_len * sizeof(double));
		profile = malloc(profile_len * sizeof(float));
		ser_profile_state_init(state, sets[0].n_frame_features, sets[0].n_utterance);
		for (int i = 0; i < n_names && ok; i++)
			ok = ser_profile_state_add(state, &sets[i], &err) == SER_OK;
		ok = ok && ser_profile_finish(state, profile, &err) == SER_OK;
		if (!ok)
			UNIT_DIAG("cannot build the profile of actor %d: %s", actor, err.message);
	}
	for (int i = 0; i < n_names && ok; i++)
	{
		ClipResult *r = &results[first + i];

		if (ser_model_predict(model, sets[i].frames, (int) sets[i].n_frames, sets[i].n_frame_features,
							  sets[i].utterance, sets[i].n_utterance, NULL, 0, r->probs_alone, &err) != SER_OK ||
			ser_model_predict(model, sets[i].frames, (int) sets[i].n_frames, sets[i].n_frame_features,
							  sets[i].utterance, sets[i].n_utterance, profile, profile_len, r->probs_profile,
							  &err) != SER_OK)
		{
			UNIT_DIAG("cannot classify %s: %s", r->name, err.message);
			ok = false;
		}
		r->label_alone = argmax(r->probs_alone, n_classes);
		r->label_profile = argmax(r->probs_profile, n_classes);
	}
	for (int i = 0; i < n_names; i++)
	{
		ser_feature_set_free(&sets[i]);
		free(names[i]);
	}
	free(names);
	free(sets);
	free(state);
	free(profile);
	if (ok)
		*n_results += n_names;
	return ok;
}

static void
write_probs(FILE *f, const float *p, int k)
{
	for (int i = 0; i < k; i++)
		fprintf(f, " %a", (double) p[i]);
}

static bool
write_golden(const char *golden_path, const char *corpus, const ClipResult *results, int n, int n_classes,
			 const char *kernel)
{
	FILE	   *f = fopen(golden_path, "w");

	if (f == NULL)
		return false;
	fprintf(f, "# The shipped model's (%s) class probabilities for every clip of\n", MODEL_PATH);
	fprintf(f, "# ../shared/data/%s, written by test/unit/test_model_golden --write.\n", corpus);
	fprintf(f, "# Per line: clip, then 'alone' (population profile) and 'profile' (the actor's profile of\n");
	fprintf(f, "# all their recordings), each a predicted class index and %d probabilities as C hex floats.\n",
			n_classes);
	fprintf(f, "kernel %s\n", kernel);
	fprintf(f, "classes %d\n", n_classes);
	fprintf(f, "clips %d\n", n);
	for (int i = 0; i < n; i++)
	{
		fprintf(f, "%s alone %d", results[i].name, results[i].label_alone);
		write_probs(f, results[i].probs_alone, n_classes);
		fprintf(f, " profile %d", results[i].label_profile);
		write_probs(f, results[i].probs_profile, n_classes);
		fprintf(f, "\n");
	}
	return fclose(f) == 0;
}

static bool
read_probs(char **cursor, float *p, int k)
{
	for (int i = 0; i < k; i++)
	{
		char	   *end;

		p[i] = strtof(*cursor, &end);
		if (end == *cursor)
			return false;
		*cursor = end;
	}
	return true;
}

/* Parses one golden line into r; false if malformed. */
static bool
parse_golden_line(char *line, int n_classes, ClipResult *r)
{
	char	   *cursor;
	int			used;

	if (sscanf(line, "%319s alone %d%n", r->name, &r->label_alone, &used) != 2)
		return false;
	cursor = line + used;
	if (!read_probs(&cursor, r->probs_alone, n_classes))
		return false;
	if (sscanf(cursor, " profile %d%n", &r->label_profile, &used) != 1)
		return false;
	cursor += used;
	return read_probs(&cursor, r->probs_profile, n_classes);
}

static void
compare_with_golden(const char *golden_path, const ClipResult *now, int n, int n_classes, const char *kernel)
{
	FILE	   *f = fopen(golden_path, "r");
	char		line[4096];
	char		golden_kernel[128] = "";
	int			golden_classes = -1,
				golden_clips = -1,
				matched = 0,
				label_changes = 0,
				bit_changes = 0;
	double		max_diff = 0;
	bool		same_kernel,
				well_formed = true;

	UNIT_OK(f != NULL, "golden file %s is there", golden_path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		ClipResult	g;
		const ClipResult *r;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "kernel %127s", golden_kernel) == 1 ||
			sscanf(line, "classes %d", &golden_classes) == 1 ||
			sscanf(line, "clips %d", &golden_clips) == 1)
			continue;
		if (golden_classes != n_classes || !parse_golden_line(line, n_classes, &g) || matched >= n)
		{
			well_formed = false;
			break;
		}
		r = &now[matched++];
		if (strcmp(r->name, g.name) != 0)
		{
			UNIT_DIAG("clip %d is %s now, %s in the golden file", matched, r->name, g.name);
			well_formed = false;
			break;
		}
		if (r->label_alone != g.label_alone || r->label_profile != g.label_profile)
		{
			if (label_changes++ < 5)
				UNIT_DIAG("%s: labels %d/%d now, %d/%d before", r->name, r->label_alone, r->label_profile,
						  g.label_alone, g.label_profile);
		}
		for (int c = 0; c < n_classes; c++)
		{
			double		d1 = fabs((double) r->probs_alone[c] - g.probs_alone[c]),
						d2 = fabs((double) r->probs_profile[c] - g.probs_profile[c]);

			if (memcmp(&r->probs_alone[c], &g.probs_alone[c], sizeof(float)) != 0 ||
				memcmp(&r->probs_profile[c], &g.probs_profile[c], sizeof(float)) != 0)
				bit_changes++;
			if (d1 > max_diff)
				max_diff = d1;
			if (d2 > max_diff)
				max_diff = d2;
		}
	}
	fclose(f);
	UNIT_OK(well_formed && golden_clips == n && matched == n,
			"golden file lists the same %d clips and %d classes", n, n_classes);
	UNIT_OK(label_changes == 0, "every clip's labels (alone and with its actor's profile) unchanged (%d differ)",
			label_changes);
	same_kernel = strcmp(golden_kernel, kernel) == 0;
	UNIT_DIAG("largest probability difference from the golden file: %.3g (%d of %d values differ in any bit)",
			  max_diff, bit_changes, 2 * n * n_classes);
	if (same_kernel)
		UNIT_OK(bit_changes == 0, "every probability bit-identical (OpenBLAS kernel %s)", kernel);
	else
	{
		UNIT_DIAG("OpenBLAS kernel %s here, %s when the golden file was written: comparing within %g",
				  kernel, golden_kernel, CROSS_KERNEL_TOLERANCE);
		UNIT_OK(max_diff <= CROSS_KERNEL_TOLERANCE, "every probability within %g", CROSS_KERNEL_TOLERANCE);
	}
}

/* Classify one corpus (a folder of ../shared/data) and compare with, or write, its golden file. */
static void
check_corpus(const char *shared, const char *corpus, bool write, const SerModel *model,
			 const SerFeatureParams *params, int n_classes, const char *kernel)
{
	char		root[1024];
	char		golden_path[256];
	ClipResult *results;
	DIR		   *probe;
	int			n = 0;
	bool		ok = true;

	snprintf(root, sizeof(root), "%s/data/%s", shared, corpus);
	snprintf(golden_path, sizeof(golden_path), "test/fixtures/golden/%s_shipped_model.txt", corpus);
	if ((probe = opendir(root)) == NULL)
	{
		UNIT_DIAG("golden predictions need the RAVDESS corpus: %s not present", root);
		UNIT_SKIP(1, "no corpus");
		return;
	}
	closedir(probe);
	results = calloc(MAX_CLIPS, sizeof(ClipResult));
	for (int actor = 1; actor <= N_ACTORS && ok; actor++)
		ok = classify_actor(root, actor, model, params, n_classes, results, &n);
	UNIT_OK(ok && n == 1200, "classified every clip of %s alone and with its actor's profile (%d)", corpus, n);
	if (ok && write)
		UNIT_OK(write_golden(golden_path, corpus, results, n, n_classes, kernel), "wrote %s", golden_path);
	else if (ok)
		compare_with_golden(golden_path, results, n, n_classes, kernel);
	free(results);
}

int
main(int argc, char **argv)
{
	bool		write = argc > 1 && strcmp(argv[1], "--write") == 0;
	const char *shared = unit_shared_dir();
	size_t		model_len;
	unsigned char *blob;
	SerModel   *model;
	SerFeatureParams params;
	SerError	err;
	int			n_classes;
	char		kernel[128];

	if (shared == NULL)
	{
		UNIT_SKIP(1, "golden predictions need the RAVDESS corpus: ../shared not present");
		return unit_done();
	}
	blob = read_whole_file(MODEL_PATH, &model_len);
	if (blob == NULL)
	{
		UNIT_SKIP(1, "golden predictions need " MODEL_PATH " (run from the repository root)");
		return unit_done();
	}
	UNIT_OK(ser_model_load(blob, model_len, &model, &err) == SER_OK &&
			ser_classifier_model_params(model, &params, &err) == SER_OK, "shipped model loads");
	free(blob);
	n_classes = ser_model_class_count(model);
	if (n_classes > MAX_CLASSES)
	{
		UNIT_OK(false, "the shipped model has at most %d classes", MAX_CLASSES);
		return unit_done();
	}
	snprintf(kernel, sizeof(kernel), "%s", openblas_get_corename());
	for (char *c = kernel; *c; c++)
		if (*c == ' ')
			*c = '_';
	check_corpus(shared, "ravdess16k", write, model, &params, n_classes, kernel);
	check_corpus(shared, "ravdess48k", write, model, &params, n_classes, kernel);
	ser_model_free(model);
	return unit_done();
}
