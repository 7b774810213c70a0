/*
 * sniff.h — is this file audio?  Recognition by content (the first bytes)
 * or by extension.
 *
 * ser-import walks folders that hold other files too (videos, notes,
 * spreadsheets).  A file is a candidate when its first bytes carry the
 * signature of a container ser decodes, or when its extension names one:
 * the extension alone is enough to make a damaged or mislabelled file a
 * reported failure rather than a silent omission.  The decision whether a
 * candidate really is readable audio is made later, by decoding it.
 */
#ifndef SER_IMPORT_SNIFF_H
#define SER_IMPORT_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes sniff_container() looks at. */
#define SNIFF_BYTES 12

/*
 * The container whose signature head[0..len) starts with ("wav", "aiff",
 * "au", "flac", "ogg", "mp3"), or NULL when it carries none.
 */
const char *sniff_container(const unsigned char *head, size_t len);

/* Whether the last component of path has an audio extension (any case). */
bool		sniff_audio_extension(const char *path);

#endif							/* SER_IMPORT_SNIFF_H */
