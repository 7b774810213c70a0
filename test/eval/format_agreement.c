/*
 * format_agreement.c — does the format decide the label?  Every recording
 * under the folders given (searched recursively, in name order) is labelled
 * by the model as it is and in each format variant of format_variants.h
 * (resampled, re-encoded, MP3, a -80 dBFS noise floor), every copy decoded
 * from its bytes as SQL decodes it: by the model alone (no speaker profile)
 * and behind the speech gate as ser_predict(audio) does, where a variant
 * judged not speech is a disagreement, also counted apart.  Prints a
 * Markdown table: per variant, how many recordings keep the original's
 * label; over all pairs; and how many keep it in every variant.
 * test/eval/format_report.sh runs it on the corpus.  Not a test
 * (test/unit/test_format_agreement.c is one, on the fixtures).
 *
 * Usage: test/eval/format_agreement [--model FILE] [--also DIR2] [-v] DIR...
 *   --model  the model file (default model/ser_default.sermodel)
 *   --also   a parallel folder of the same recordings in another format,
 *            matched by path relative to DIR with the extension ignored
 *            (ravdess48k/Actor_01/x.flac ~ ravdess16k/Actor_01/x.flac):
 *            one more row
 *   -v       one line per recording and variant whose label differs (on
 *            stderr: the table alone goes to stdout)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "format_variants.h"
#include "model/model_format.h"

#define MAX_ROWS (FV_MAX_VARIANTS + 1)

typedef struct Row
{
	char		name[160];
	int			clips;			/* recordings this row has a copy of */
	int			same_alone;
	int			same_gated;
	int			not_speech;		/* the original is speech, the copy judged not */
	int			failed;			/* the copy could not be decoded or classified */
} Row;

typedef struct FileList
{
	char	  **root;			/* the DIR each file was found under (not owned) */
	char	  **rel;			/* its path relative to root */
	size_t		n,
				cap;
} FileList;

static const char *const audio_ext[] = {".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff", ".aif", ".au"};

static void
die(const char *what, const SerError *err)
{
	fprintf(stderr, "format_agreement: %s%s%s\n", what, err ? ": " : "", err ? err->message : "");
	exit(1);
}

static int
is_audio(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(audio_ext) / sizeof(audio_ext[0]); i++)
		if (strcasecmp(dot, audio_ext[i]) == 0)
			return 1;
	return 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Appends the audio files under root/rel (rel "" for root itself) to list, in name order. */
static void
walk(char *root, const char *rel, FileList *list)
{
	char		path[4096];
	DIR		   *d;
	struct dirent *e;
	char	  **names = NULL;
	size_t		n = 0,
				cap = 0;

	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	if ((d = opendir(path)) == NULL)
		die(path, NULL);
	while ((e = readdir(d)) != NULL)
	{
		if (e->d_name[0] == '.')
			continue;
		if (n == cap && (names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(char *))) == NULL)
			die("out of memory", NULL);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(char *), compare_names); /* the same order on every machine */
	for (size_t i = 0; i < n; i++)
	{
		char		child_rel[4096],
					child[8192];
		struct stat st;

		snprintf(child_rel, sizeof(child_rel), "%s%s%s", rel, *rel ? "/" : "", names[i]);
		snprintf(child, sizeof(child), "%s/%s", root, child_rel);
		if (stat(child, &st) == 0 && S_ISDIR(st.st_mode))
			walk(root, child_rel, list);
		else if (stat(child, &st) == 0 && is_audio(names[i]))
		{
			if (list->n == list->cap)
			{
				list->cap = list->cap ? 2 * list->cap : 256;
				list->root = realloc(list->root, list->cap * sizeof(char *));
				list->rel = realloc(list->rel, list->cap * sizeof(char *));
				if (list->root == NULL || list->rel == NULL)
					die("out of memory", NULL);
			}
			list->root[list->n] = root;
			list->rel[list->n++] = strdup(child_rel);
		}
		free(names[i]);
	}
	free(names);
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *b;
	long		size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0)
		die(path, NULL);
	rewind(f);
	if ((b = malloc((size_t) size + 1)) == NULL || fread(b, 1, (size_t) size, f) != (size_t) size)
		die(path, NULL);
	fclose(f);
	*len = (size_t) size;
	return b;
}

/* The file in dir2 with rel's path and any audio extension; false if none. */
static bool
find_counterpart(const char *dir2, const char *rel, char *out, size_t size)
{
	char		stem[4096];
	char	   *dot;
	struct stat st;

	snprintf(stem, sizeof(stem), "%s", rel);
	if ((dot = strrchr(stem, '.')) != NULL && strchr(dot, '/') == NULL)
		*dot = '\0';
	for (size_t i = 0; i < sizeof(audio_ext) / sizeof(audio_ext[0]); i++)
	{
		snprintf(out, size, "%s/%s%s", dir2, stem, audio_ext[i]);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
	}
	return false;
}

/* FNV-1a, 64 bits: names the model file in the report, so two runs can be told apart. */
static uint64_t
fnv1a(const unsigned char *b, size_t n)
{
	uint64_t	h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static double
pct(int part, int whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

/*
 * One copy's labels against the original's, into its row; *agree_alone and
 * *agree_gated become false when a label differs (or the copy fails).
 */
static void
tally(Row *row, const SerModel *model, const SerFeatureParams *params, const unsigned char *bytes, size_t len,
	  int orig_alone, int orig_gated, const char *file, int verbose, bool *agree_alone, bool *agree_gated)
{
	int			alone = -1,
				gated = -1;
	SerSpeechVerdict verdict;
	SerError	err;

	row->clips++;
	if (fv_label(model, params, bytes, len, &alone, &gated, &verdict, &err) != SER_OK)
	{
		fprintf(stderr, "%s, %s: %s\n", file, row->name, err.message);
		row->failed++;
		*agree_alone = *agree_gated = false;
		return;
	}
	row->same_alone += alone == orig_alone;
	row->same_gated += gated == orig_gated;
	row->not_speech += orig_gated >= 0 && gated < 0;
	if (verbose && (alone != orig_alone || gated != orig_gated))
		fprintf(stderr, "%s\t%s\talone %d -> %d\tgated %d -> %d (%s)\n", file, row->name, orig_alone, alone, orig_gated,
				gated, ser_speech_verdict_text(verdict));
	*agree_alone = *agree_alone && alone == orig_alone;
	*agree_gated = *agree_gated && gated == orig_gated;
}

int
main(int argc, char **argv)
{
	const char *model_path = "model/ser_default.sermodel";
	const char *also = NULL;
	int			verbose = 0;
	FileList	files = {NULL, NULL, 0, 0};
	unsigned char *blob;
	size_t		blob_len;
	SerModel   *model;
	SerFeatureParams params;
	SerError	err;
	Row			rows[MAX_ROWS];
	int			n_rows = 0,
				n_variant_rows = -1,
				all_alone = 0,
				all_gated = 0,
				n_clips = 0,
				orig_not_speech = 0,
				orig_failed = 0,
				no_counterpart = 0;
	char		dirs[2048] = "";
	time_t		start = time(NULL);
	const char *feature_params,
			   *version;

	memset(rows, 0, sizeof(rows));
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
			model_path = argv[++i];
		else if (strcmp(argv[i], "--also") == 0 && i + 1 < argc)
			also = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (argv[i][0] == '-')
		{
			fprintf(stderr, "usage: %s [--model FILE] [--also DIR2] [-v] DIR...\n", argv[0]);
			return 2;
		}
		else
		{
			walk(argv[i], "", &files);
			snprintf(dirs + strlen(dirs), sizeof(dirs) - strlen(dirs), "%s%s", *dirs ? ", " : "", argv[i]);
		}
	}
	if (files.n == 0)
	{
		fprintf(stderr, "usage: %s [--model FILE] [--also DIR2] [-v] DIR...  (no audio file found)\n", argv[0]);
		return 2;
	}
	blob = read_file(model_path, &blob_len);
	if (ser_model_load(blob, blob_len, &model, &err) != SER_OK ||
		ser_classifier_model_params(model, &params, &err) != SER_OK)
		die(model_path, &err);

	for (size_t f = 0; f < files.n; f++)
	{
		char		path[8192],
					why[512];
		unsigned char *bytes;
		size_t		len;
		int			orig_alone = -1,
					orig_gated = -1;
		SerSpeechVerdict verdict;
		FormatVariants fv;
		bool		agree_alone = true,
					agree_gated = true;

		snprintf(path, sizeof(path), "%s/%s", files.root[f], files.rel[f]);
		bytes = read_file(path, &len);
		if (fv_label(model, &params, bytes, len, &orig_alone, &orig_gated, &verdict, &err) != SER_OK)
		{
			fprintf(stderr, "%s: %s\n", path, err.message);
			orig_failed++;
			free(bytes);
			continue;
		}
		if (!fv_make(bytes, len, &fv, why, sizeof(why)))
		{
			/* ser decoded it, so this is a fault of the variant maker: stop. */
			fprintf(stderr, "format_agreement: %s: %s\n", path, why);
			exit(1);
		}
		free(bytes);
		if (n_variant_rows < 0)
		{
			n_variant_rows = fv.n;
			for (int v = 0; v < fv.n; v++)
				snprintf(rows[v].name, sizeof(rows[v].name), "%s", fv.v[v].name);
			n_rows = fv.n;
			if (also != NULL)
				snprintf(rows[n_rows++].name, sizeof(rows[0].name), "the file in %s", also);
		}
		if (fv.n != n_variant_rows)
			die("the number of variants changed between recordings", NULL);
		n_clips++;
		orig_not_speech += orig_gated < 0;
		for (int v = 0; v < fv.n; v++)
			tally(&rows[v], model, &params, fv.v[v].bytes, fv.v[v].len, orig_alone, orig_gated, path, verbose,
				  &agree_alone, &agree_gated);
		fv_free(&fv);
		if (also != NULL)
		{
			char		other[8192];
			Row		   *row = &rows[n_variant_rows];

			if (find_counterpart(also, files.rel[f], other, sizeof(other)))
			{
				bytes = read_file(other, &len);
				tally(row, model, &params, bytes, len, orig_alone, orig_gated, path, verbose, &agree_alone,
					  &agree_gated);
				free(bytes);
			}
			else
				no_counterpart++;
		}
		all_alone += agree_alone;
		all_gated += agree_gated;
		if ((f + 1) % 50 == 0)
		{
			double		spent = difftime(time(NULL), start);

			fprintf(stderr, "%zu of %zu recordings, %.0f s, about %.0f s to go\n", f + 1, files.n, spent,
					spent / (f + 1) * (files.n - f - 1));
		}
	}

	feature_params = ser_model_feature_params(model);
	version = strstr(feature_params, "version=");
	printf("## Does the format decide the label?\n\n");
	printf("- model: `%s` (FNV-1a %016llx, %zu bytes; features %.*s)\n", model_path,
		   (unsigned long long) fnv1a(blob, blob_len), blob_len,
		   version ? (int) strcspn(version, ";") : 1, version ? version : "?");
	printf("- decoding: %s, %s; each copy decoded from its bytes at %d Hz as SQL decodes it\n",
		   sf_version_string(), soxr_version(), params.sample_rate);
	printf("- recordings: %d under %s", n_clips, dirs);
	if (orig_failed)
		printf(" (%d more could not be labelled)", orig_failed);
	printf("; originals judged not speech: %d\n", orig_not_speech);
	if (!fv_mp3_writable())
		printf("- MP3: not supported by this libsndfile\n");
	if (also != NULL && no_counterpart > 0)
		printf("- %d recordings have no counterpart in %s\n", no_counterpart, also);
	printf("- alone: the model without a speaker profile; gated: behind the speech gate as `ser_predict(audio)`"
		   " (NULL for what is not speech), so a copy of speech judged not speech has a different label\n\n");
	printf("| variant | recordings | same label, alone | %% | same label, gated | %% | judged not speech |"
		   " not decoded |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	{
		Row			sum;

		memset(&sum, 0, sizeof(sum));
		for (int r = 0; r < n_rows; r++)
		{
			printf("| %s | %d | %d | %.1f | %d | %.1f | %d | %d |\n", rows[r].name, rows[r].clips,
				   rows[r].same_alone, pct(rows[r].same_alone, rows[r].clips), rows[r].same_gated,
				   pct(rows[r].same_gated, rows[r].clips), rows[r].not_speech, rows[r].failed);
			sum.clips += rows[r].clips;
			sum.same_alone += rows[r].same_alone;
			sum.same_gated += rows[r].same_gated;
			sum.not_speech += rows[r].not_speech;
			sum.failed += rows[r].failed;
		}
		printf("| **all variants** (recording × variant pairs) | %d | %d | **%.1f** | %d | **%.1f** | %d | %d |\n",
			   sum.clips, sum.same_alone, pct(sum.same_alone, sum.clips), sum.same_gated,
			   pct(sum.same_gated, sum.clips), sum.not_speech, sum.failed);
		printf("| **every variant** keeps the label (recordings) | %d | %d | %.1f | %d | %.1f | | |\n",
			   n_clips, all_alone, pct(all_alone, n_clips), all_gated, pct(all_gated, n_clips));
	}

	ser_model_free(model);
	free(blob);
	for (size_t f = 0; f < files.n; f++)
		free(files.rel[f]);
	free(files.rel);
	free(files.root);
	return 0;
}
