/*
 * test_ravdess.c — the RAVDESS naming scheme: every field, every refusal,
 * and the whole shared corpus when ../shared is present.
 */
#include "dataset/ravdess.h"

#include <dirent.h>

#include "unit.h"

static SerStatus
parse(const char *name, SerRavdessName *out, SerError *err)
{
	return ser_ravdess_parse(name, out, err);
}

/* Expect a refusal whose message contains `needle`. */
static void
refused(const char *name, const char *needle)
{
	SerRavdessName r;
	SerError	err;
	SerStatus	st = parse(name, &r, &err);

	UNIT_OK(st == SER_EINVAL && strstr(err.message, needle) != NULL,
			"refuses \"%s\" naming %s", name, needle);
	if (st != SER_EINVAL || strstr(err.message, needle) == NULL)
		UNIT_DIAG("status %d, message: %s", (int) st, err.message);
}

static void
test_valid_names(void)
{
	SerRavdessName r;
	SerError	err;

	UNIT_OK(parse("03-01-05-02-01-01-01.wav", &r, &err) == SER_OK, "parses an angry strong clip");
	UNIT_OK(r.codes[SER_RAVDESS_MODALITY] == 3 && r.codes[SER_RAVDESS_VOCAL_CHANNEL] == 1 &&
			r.codes[SER_RAVDESS_EMOTION] == 5 && r.codes[SER_RAVDESS_INTENSITY] == 2 &&
			r.codes[SER_RAVDESS_STATEMENT] == 1 && r.codes[SER_RAVDESS_REPETITION] == 1 &&
			r.codes[SER_RAVDESS_ACTOR] == 1, "all seven codes in order");
	UNIT_OK(strcmp(r.code, "03-01-05-02-01-01-01") == 0, "code without extension");
	UNIT_OK(strcmp(r.extension, "wav") == 0, "extension after the dot");
	UNIT_OK(strcmp(ser_ravdess_emotion_name(r.codes[SER_RAVDESS_EMOTION]), "angry") == 0, "emotion name");
	UNIT_OK(strcmp(ser_ravdess_gender(r.codes[SER_RAVDESS_ACTOR]), "male") == 0, "odd actor is male");

	UNIT_OK(parse("Actor_24/03-02-06-02-02-02-24.flac", &r, &err) == SER_OK, "parses the last component of a path");
	UNIT_OK(r.codes[SER_RAVDESS_ACTOR] == 24 && strcmp(ser_ravdess_gender(24), "female") == 0,
			"actor 24 is female");
	UNIT_OK(strcmp(ser_ravdess_vocal_channel_name(2), "song") == 0 &&
			strcmp(ser_ravdess_emotion_name(6), "fearful") == 0, "fearful song is valid");

	UNIT_OK(parse("01-01-01-01-01-01-01", &r, &err) == SER_OK && r.extension[0] == '\0',
			"a bare code has an empty extension");
	UNIT_OK(parse("02-01-08-02-02-02-13.tar.gz", &r, &err) == SER_OK && strcmp(r.extension, "tar.gz") == 0,
			"extension is everything after the first dot");
	UNIT_OK(strcmp(ser_ravdess_modality_name(1), "full-AV") == 0 &&
			strcmp(ser_ravdess_modality_name(2), "video-only") == 0 &&
			strcmp(ser_ravdess_modality_name(3), "audio-only") == 0, "modality names");
	UNIT_OK(strcmp(ser_ravdess_statement_text(2), "Dogs are sitting by the door") == 0, "statement text");
	UNIT_OK(strcmp(ser_ravdess_intensity_name(1), "normal") == 0 &&
			strcmp(ser_ravdess_intensity_name(2), "strong") == 0, "intensity names");
	UNIT_OK(ser_ravdess_emotion_name(0) == NULL && ser_ravdess_emotion_name(9) == NULL &&
			ser_ravdess_gender(25) == NULL && ser_ravdess_gender(0) == NULL, "out-of-range codes have no name");
}

static void
test_refusals(void)
{
	SerRavdessName r;
	SerError	err;

	refused("", "is empty");
	refused("Actor_01/", "is empty");
	refused("03-01-05-02-01-01.wav", "does not have 7 fields");
	refused("03-01-05-02-01-01-01-01.wav", "does not have 7 fields");
	refused("readme.txt", "does not have 7 fields");
	refused("03-01-05-02-01-01-01.", "empty extension");

	refused("3-01-05-02-01-01-01.wav", "invalid modality \"3\"");
	refused("03-01-05-02-01-01-001.wav", "invalid actor \"001\"");
	refused("03-01-0x-02-01-01-01.wav", "invalid emotion \"0x\"");
	refused("03--05-02-01-01-01.wav", "invalid vocal channel \"\"");
	refused("03-01-05-02-01-01- 1.wav", "invalid actor \" 1\"");

	refused("00-01-05-02-01-01-01.wav", "invalid modality \"00\"");
	refused("04-01-05-02-01-01-01.wav", "invalid modality \"04\"");
	refused("03-03-05-02-01-01-01.wav", "invalid vocal channel \"03\"");
	refused("03-01-09-02-01-01-01.wav", "invalid emotion \"09\"");
	refused("03-01-00-02-01-01-01.wav", "invalid emotion \"00\"");
	refused("03-01-05-03-01-01-01.wav", "invalid intensity \"03\"");
	refused("03-01-05-02-03-01-01.wav", "invalid statement \"03\"");
	refused("03-01-05-02-01-03-01.wav", "invalid repetition \"03\"");
	refused("03-01-05-02-01-01-25.wav", "invalid actor \"25\"");
	refused("03-01-05-02-01-01-00.wav", "invalid actor \"00\"");

	refused("03-01-01-02-01-01-01.wav", "invalid intensity \"02\"");
	refused("03-02-07-01-01-01-01.wav", "invalid emotion \"07\"");
	refused("03-02-08-02-01-01-02.wav", "invalid emotion \"08\"");

	/* The details explain what the field must hold. */
	parse("03-01-09-02-01-01-01.wav", &r, &err);
	UNIT_OK(strstr(err.detail, "01 (neutral)") && strstr(err.detail, "or 08 (surprised)"),
			"emotion detail lists the codes: %s", err.detail);
	parse("03-01-05-02-01-01-25.wav", &r, &err);
	UNIT_OK(strcmp(err.detail, "The actor must be between 01 and 24.") == 0, "actor detail gives the range");
	parse("03-01-01-02-01-01-01.wav", &r, &err);
	UNIT_OK(strstr(err.detail, "only normal intensity") != NULL, "neutral strong detail");
	parse("03-02-07-01-01-01-01.wav", &r, &err);
	UNIT_OK(strstr(err.detail, "07 is disgust") != NULL, "song detail names the emotion");
	parse("03-01-05.wav", &r, &err);
	UNIT_OK(strstr(err.detail, "It has 3 hyphen-separated fields") != NULL, "field-count detail");
	parse("x", &r, &err);
	UNIT_OK(strstr(err.detail, "It has 1 hyphen-separated field;") != NULL, "singular field count");
	UNIT_OK(parse("03-01-01-02-01-01-01.wav", &r, &err) != SER_OK && r.code[0] == '\0',
			"a refused name leaves no code behind");
}

static void
test_extensions(void)
{
	UNIT_OK(ser_ravdess_is_audio_extension("wav") && ser_ravdess_is_audio_extension("FLAC") &&
			ser_ravdess_is_audio_extension("Mp3") && ser_ravdess_is_audio_extension("opus"),
			"audio extensions in any case");
	UNIT_OK(!ser_ravdess_is_audio_extension("mp4") && !ser_ravdess_is_audio_extension("") &&
			!ser_ravdess_is_audio_extension("wav.bak") && !ser_ravdess_is_audio_extension(NULL),
			"video, empty and compound extensions are not audio");
}

/* Every clip of the shared corpus parses, is audio-only speech, and its actor matches its folder. */
static void
test_shared_corpus(void)
{
	const char *shared = unit_shared_dir();
	char		root[1024];
	int			clips = 0,
				failures = 0,
				per_emotion[9] = {0};
	DIR		   *top;
	struct dirent *actor_entry;

	if (shared == NULL)
	{
		UNIT_SKIP(3, "../shared not present");
		return;
	}
	snprintf(root, sizeof(root), "%s/data/ravdess16k", shared);
	if ((top = opendir(root)) == NULL)
	{
		UNIT_SKIP(3, "../shared/data/ravdess16k not present");
		return;
	}
	while ((actor_entry = readdir(top)) != NULL)
	{
		char		actor_dir[2048];
		DIR		   *d;
		struct dirent *e;
		int			folder_actor;

		if (sscanf(actor_entry->d_name, "Actor_%d", &folder_actor) != 1)
			continue;
		snprintf(actor_dir, sizeof(actor_dir), "%s/%s", root, actor_entry->d_name);
		if ((d = opendir(actor_dir)) == NULL)
			continue;
		while ((e = readdir(d)) != NULL)
		{
			SerRavdessName r;
			SerError	err;

			if (e->d_name[0] == '.')
				continue;
			clips++;
			if (ser_ravdess_parse(e->d_name, &r, &err) != SER_OK ||
				r.codes[SER_RAVDESS_ACTOR] != folder_actor ||
				r.codes[SER_RAVDESS_MODALITY] != 3 || r.codes[SER_RAVDESS_VOCAL_CHANNEL] != 1 ||
				!ser_ravdess_is_audio_extension(r.extension))
			{
				failures++;
				UNIT_DIAG("%s/%s: %s", actor_entry->d_name, e->d_name, err.message);
			}
			else
				per_emotion[r.codes[SER_RAVDESS_EMOTION]]++;
		}
		closedir(d);
	}
	closedir(top);
	UNIT_OK(clips == 1200, "shared corpus holds 1200 clips (found %d)", clips);
	UNIT_OK(failures == 0, "every shared clip parses, is audio-only speech of its folder's actor");
	/* 20 actors: neutral 2 statements x 2 repetitions, others x 2 intensities. */
	UNIT_OK(per_emotion[1] == 80 && per_emotion[2] == 160 && per_emotion[5] == 160 && per_emotion[8] == 160,
			"per-emotion counts: neutral 80, others 160 (neutral %d, calm %d)", per_emotion[1], per_emotion[2]);
}

int
main(void)
{
	test_valid_names();
	test_refusals();
	test_extensions();
	test_shared_corpus();
	return unit_done();
}
