/*
 * metadata.h — the label and speaker of each imported file.
 *
 * From a CSV file (--metadata) when it names the file, else from a
 * RAVDESS-style name (03-01-05-02-01-01-01.wav: emotion "angry", speaker
 * "1"), else none (NULL in the table).
 *
 * The CSV has a header row naming its columns: "file" (or "path") is
 * required, "label" and "speaker" are optional, others are ignored.  A row
 * names a file by its path below the folder given on the command line
 * (e.g. "alice/call_0001.wav") or by its base name ("call_0001.wav"); the
 * path is tried first.  Fields follow RFC 4180 (double quotes, "" inside).
 */
#ifndef SER_IMPORT_METADATA_H
#define SER_IMPORT_METADATA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct MetadataRow
{
	char	   *file;
	char	   *label;			/* NULL when empty or absent */
	char	   *speaker;
	bool		used;			/* matched by a file of the import */
} MetadataRow;

typedef struct Metadata
{
	MetadataRow *rows;
	size_t		count;
	size_t	   *slots;			/* open-addressing table of row index + 1, 0 = empty */
	size_t		n_slots;
} Metadata;

/* Read a CSV file; on failure writes the reason to error and returns false. */
bool		metadata_load(const char *csv_path, Metadata *md, char *error, size_t error_size);

/*
 * The label and speaker of a file (pointers into md or into names, valid
 * while both live; NULL for unknown).  names is scratch space for a
 * RAVDESS-derived label and speaker.
 */
typedef struct FileLabels
{
	const char *label;
	const char *speaker;
	char		speaker_buf[16];
} FileLabels;

void		metadata_lookup(Metadata *md, const char *relative_path, FileLabels *out);

void		metadata_free(Metadata *md);

#endif							/* SER_IMPORT_METADATA_H */
