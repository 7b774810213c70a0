/*
 * ravdess.h — the RAVDESS file-naming scheme.
 *
 * A RAVDESS file name is seven two-digit codes joined by hyphens, then an
 * extension: modality-vocal channel-emotion-intensity-statement-repetition-
 * actor, e.g. 03-01-05-02-01-01-01.wav (audio-only, speech, angry, strong,
 * "Kids are talking by the door", first repetition, actor 01).  The name is
 * the only place the labels live, so it is validated strictly:
 *
 *   modality       01 full-AV, 02 video-only, 03 audio-only
 *   vocal channel  01 speech, 02 song
 *   emotion        01 neutral, 02 calm, 03 happy, 04 sad, 05 angry,
 *                  06 fearful, 07 disgust, 08 surprised
 *   intensity      01 normal, 02 strong; neutral has no strong intensity
 *   statement      01 "Kids are talking by the door",
 *                  02 "Dogs are sitting by the door"
 *   repetition     01, 02
 *   actor          01-24; odd actors are male, even actors female
 *
 * Song recordings exist only for neutral, calm, happy, sad, angry and
 * fearful (Livingstone & Russo 2018): a song name with emotion 07
 * (disgust) or 08 (surprised) describes no recording of the corpus and is
 * refused, like every other combination the corpus cannot contain.
 */
#ifndef SER_DATASET_RAVDESS_H
#define SER_DATASET_RAVDESS_H

#include "common/runtime.h"

/* The seven fields in name order. */
typedef enum SerRavdessField
{
	SER_RAVDESS_MODALITY = 0,
	SER_RAVDESS_VOCAL_CHANNEL,
	SER_RAVDESS_EMOTION,
	SER_RAVDESS_INTENSITY,
	SER_RAVDESS_STATEMENT,
	SER_RAVDESS_REPETITION,
	SER_RAVDESS_ACTOR,
	SER_RAVDESS_N_FIELDS
} SerRavdessField;

/* Length of the code part of a name: 7 fields of 2 digits and 6 hyphens. */
#define SER_RAVDESS_CODE_LEN 20

typedef struct SerRavdessName
{
	int			codes[SER_RAVDESS_N_FIELDS];	/* indexed by SerRavdessField */
	char		code[SER_RAVDESS_CODE_LEN + 1];	/* "03-01-05-02-01-01-01" */
	const char *extension;		/* points into the parsed name after the '.', "" when there is none */
} SerRavdessName;

/*
 * Parse a file name or path (only its last component is read).  The name
 * is the code, optionally followed by '.' and a non-empty extension.  On
 * failure err names the offending field and what it must hold.
 */
SerStatus	ser_ravdess_parse(const char *name, SerRavdessName *out, SerError *err);

/* "modality", "vocal channel", ... */
const char *ser_ravdess_field_name(SerRavdessField field);

/* Names of valid codes ("audio-only", "song", "angry", "strong", ...); NULL when out of range. */
const char *ser_ravdess_modality_name(int code);
const char *ser_ravdess_vocal_channel_name(int code);
const char *ser_ravdess_emotion_name(int code);
const char *ser_ravdess_intensity_name(int code);
const char *ser_ravdess_statement_text(int code);
/* "male" for odd actors, "female" for even ones; NULL when out of range. */
const char *ser_ravdess_gender(int actor);

/*
 * Whether an extension (without the dot, any letter case) names an audio
 * container the decoder reads: wav, flac, aiff/aif, au, ogg/oga, opus, mp3.
 * The loader reads only these, so video files and stray archives beside the
 * audio are never read into memory.
 */
bool		ser_ravdess_is_audio_extension(const char *extension);

#endif							/* SER_DATASET_RAVDESS_H */
