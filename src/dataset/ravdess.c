/*
 * ravdess.c — parsing and naming of RAVDESS file names.  See ravdess.h.
 */
#include "dataset/ravdess.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const field_names[SER_RAVDESS_N_FIELDS] = {
	"modality", "vocal channel", "emotion", "intensity", "statement", "repetition", "actor"
};

/* Largest valid code of each field (all start at 01). */
static const int field_max[SER_RAVDESS_N_FIELDS] = {3, 2, 8, 2, 2, 2, 24};

static const char *const modality_names[] = {"full-AV", "video-only", "audio-only"};
static const char *const vocal_channel_names[] = {"speech", "song"};
static const char *const emotion_names[] = {
	"neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"
};
static const char *const intensity_names[] = {"normal", "strong"};
static const char *const statement_texts[] = {
	"Kids are talking by the door", "Dogs are sitting by the door"
};

#define EMOTION_NEUTRAL 1
#define LAST_SONG_EMOTION 6		/* song: neutral, calm, happy, sad, angry, fearful */
#define VOCAL_CHANNEL_SONG 2
#define INTENSITY_STRONG 2

static const char *const audio_extensions[] = {
	"wav", "flac", "aiff", "aif", "au", "ogg", "oga", "opus", "mp3"
};

#define ARRAY_LENGTH(a) (sizeof(a) / sizeof((a)[0]))

static const char *
name_of(const char *const *names, size_t count, int code)
{
	if (code < 1 || (size_t) code > count)
		return NULL;
	return names[code - 1];
}

const char *
ser_ravdess_field_name(SerRavdessField field)
{
	if ((int) field < 0 || field >= SER_RAVDESS_N_FIELDS)
		return "unknown field";
	return field_names[field];
}

const char *
ser_ravdess_modality_name(int code)
{
	return name_of(modality_names, ARRAY_LENGTH(modality_names), code);
}

const char *
ser_ravdess_vocal_channel_name(int code)
{
	return name_of(vocal_channel_names, ARRAY_LENGTH(vocal_channel_names), code);
}

const char *
ser_ravdess_emotion_name(int code)
{
	return name_of(emotion_names, ARRAY_LENGTH(emotion_names), code);
}

const char *
ser_ravdess_intensity_name(int code)
{
	return name_of(intensity_names, ARRAY_LENGTH(intensity_names), code);
}

const char *
ser_ravdess_statement_text(int code)
{
	return name_of(statement_texts, ARRAY_LENGTH(statement_texts), code);
}

const char *
ser_ravdess_gender(int actor)
{
	if (actor < 1 || actor > field_max[SER_RAVDESS_ACTOR])
		return NULL;
	return (actor % 2 == 1) ? "male" : "female";
}

bool
ser_ravdess_is_audio_extension(const char *extension)
{
	if (extension == NULL)
		return false;
	for (size_t i = 0; i < ARRAY_LENGTH(audio_extensions); i++)
		if (strcasecmp(extension, audio_extensions[i]) == 0)
			return true;
	return false;
}

/*
 * The detail sentence for an out-of-range code: the full list of meanings
 * where the field has names, the range otherwise.
 */
static void
range_detail(SerError *err, SerRavdessField field)
{
	const char *const *names = NULL;

	switch (field)
	{
		case SER_RAVDESS_MODALITY:
			names = modality_names;
			break;
		case SER_RAVDESS_VOCAL_CHANNEL:
			names = vocal_channel_names;
			break;
		case SER_RAVDESS_EMOTION:
			names = emotion_names;
			break;
		case SER_RAVDESS_INTENSITY:
			names = intensity_names;
			break;
		case SER_RAVDESS_STATEMENT:
			names = statement_texts;
			break;
		default:
			break;
	}
	if (names == NULL && field_max[field] == 2)
		ser_error_detail(err, "The %s must be 01 or 02.", field_names[field]);
	else if (names == NULL)
		ser_error_detail(err, "The %s must be between 01 and %02d.",
						 field_names[field], field_max[field]);
	else
	{
		char		list[SER_ERROR_TEXT];
		size_t		used = 0;

		list[0] = '\0';
		for (int code = 1; code <= field_max[field]; code++)
		{
			const char *sep = code == 1 ? "" : (code == field_max[field] ? " or " : ", ");
			const char *quote = field == SER_RAVDESS_STATEMENT ? "\"" : "";
			int			n = snprintf(list + used, sizeof(list) - used, "%s%02d (%s%s%s)",
									 sep, code, quote, names[code - 1], quote);

			if (n < 0 || (size_t) n >= sizeof(list) - used)
				break;
			used += (size_t) n;
		}
		ser_error_detail(err, "The %s must be %s.", field_names[field], list);
	}
}

SerStatus
ser_ravdess_parse(const char *name, SerRavdessName *out, SerError *err)
{
	const char *base;
	const char *dot;
	size_t		stem_len;
	size_t		n_fields;
	const char *field_start;

	ser_error_clear(err);
	memset(out, 0, sizeof(*out));
	out->extension = "";

	/* Only the last path component carries the codes. */
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	if (*base == '\0')
		return ser_error(err, SER_EINVAL, "RAVDESS file name is empty");

	dot = strchr(base, '.');
	stem_len = dot ? (size_t) (dot - base) : strlen(base);
	if (dot != NULL && dot[1] == '\0')
	{
		ser_error(err, SER_EINVAL, "RAVDESS file name \"%s\" has an empty extension", base);
		ser_error_detail(err, "A name ends either with the actor code or with a dot and an extension, as in 03-01-05-02-01-01-01.wav.");
		return SER_EINVAL;
	}

	n_fields = 1;
	for (size_t i = 0; i < stem_len; i++)
		if (base[i] == '-')
			n_fields++;
	if (n_fields != SER_RAVDESS_N_FIELDS)
	{
		ser_error(err, SER_EINVAL, "RAVDESS file name \"%s\" does not have 7 fields", base);
		ser_error_detail(err, "It has %zu hyphen-separated %s; a RAVDESS name is seven two-digit codes "
						 "(modality-vocal channel-emotion-intensity-statement-repetition-actor) "
						 "and an extension, as in 03-01-05-02-01-01-01.wav.",
						 n_fields, n_fields == 1 ? "field" : "fields");
		return SER_EINVAL;
	}

	field_start = base;
	for (int f = 0; f < SER_RAVDESS_N_FIELDS; f++)
	{
		const char *field_end = field_start;
		size_t		len;
		int			code;

		while (field_end < base + stem_len && *field_end != '-')
			field_end++;
		len = (size_t) (field_end - field_start);
		if (len != 2 || field_start[0] < '0' || field_start[0] > '9' ||
			field_start[1] < '0' || field_start[1] > '9')
		{
			ser_error(err, SER_EINVAL, "invalid %s \"%.*s\" in RAVDESS file name \"%s\"",
					  field_names[f], (int) (len > 16 ? 16 : len), field_start, base);
			ser_error_detail(err, "Field %d (%s) must be exactly two digits.", f + 1, field_names[f]);
			return SER_EINVAL;
		}
		code = (field_start[0] - '0') * 10 + (field_start[1] - '0');
		if (code < 1 || code > field_max[f])
		{
			ser_error(err, SER_EINVAL, "invalid %s \"%.2s\" in RAVDESS file name \"%s\"",
					  field_names[f], field_start, base);
			range_detail(err, (SerRavdessField) f);
			return SER_EINVAL;
		}
		out->codes[f] = code;
		field_start = field_end + 1;
	}

	/* Combinations the corpus does not contain. */
	if (out->codes[SER_RAVDESS_EMOTION] == EMOTION_NEUTRAL &&
		out->codes[SER_RAVDESS_INTENSITY] == INTENSITY_STRONG)
	{
		ser_error(err, SER_EINVAL, "invalid intensity \"02\" in RAVDESS file name \"%s\"", base);
		ser_error_detail(err, "Neutral recordings (emotion 01) have only normal intensity (01).");
		return SER_EINVAL;
	}
	if (out->codes[SER_RAVDESS_VOCAL_CHANNEL] == VOCAL_CHANNEL_SONG &&
		out->codes[SER_RAVDESS_EMOTION] > LAST_SONG_EMOTION)
	{
		ser_error(err, SER_EINVAL, "invalid emotion \"%02d\" in RAVDESS file name \"%s\"",
				  out->codes[SER_RAVDESS_EMOTION], base);
		ser_error_detail(err, "Song recordings (vocal channel 02) exist only for emotions 01 to 06 "
						 "(neutral, calm, happy, sad, angry, fearful); %02d is %s.",
						 out->codes[SER_RAVDESS_EMOTION],
						 emotion_names[out->codes[SER_RAVDESS_EMOTION] - 1]);
		return SER_EINVAL;
	}

	memcpy(out->code, base, SER_RAVDESS_CODE_LEN);
	out->code[SER_RAVDESS_CODE_LEN] = '\0';
	out->extension = dot ? dot + 1 : "";
	return SER_OK;
}
