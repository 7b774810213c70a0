/*
 * metadata.c — labels and speakers from a CSV file or from RAVDESS names
 * (see metadata.h).
 */
#include "client/import/metadata.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataset/ravdess.h"

/* FNV-1a: the table maps a few thousand names, no adversary. */
static uint64_t
hash_name(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++)
	{
		h ^= (unsigned char) *s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Row index of a name, or -1. */
static long
find_row(const Metadata *md, const char *name)
{
	if (md->n_slots == 0)
		return -1;
	for (size_t i = hash_name(name) & (md->n_slots - 1);; i = (i + 1) & (md->n_slots - 1))
	{
		if (md->slots[i] == 0)
			return -1;
		if (strcmp(md->rows[md->slots[i] - 1].file, name) == 0)
			return (long) (md->slots[i] - 1);
	}
}

/* A growing buffer for one field. */
typedef struct Field
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Field;

static bool
field_push(Field *f, char c)
{
	if (f->len + 1 >= f->cap)
	{
		size_t		cap = f->cap ? f->cap * 2 : 64;
		char	   *data = realloc(f->data, cap);

		if (data == NULL)
			return false;
		f->data = data;
		f->cap = cap;
	}
	f->data[f->len++] = c;
	f->data[f->len] = '\0';
	return true;
}

/*
 * Read one CSV record into fields (up to max_fields are kept, the rest are
 * counted).  Returns the number of fields, 0 at end of file, -1 on a
 * malformed record (reason in error).
 */
static int
read_record(FILE *in, Field *fields, int max_fields, long *line, char *error, size_t error_size)
{
	int			n = 0;
	int			c;
	bool		quoted = false;
	bool		any = false;

	for (int i = 0; i < max_fields; i++)
	{
		fields[i].len = 0;
		if (fields[i].data)
			fields[i].data[0] = '\0';
	}
	for (;;)
	{
		c = fgetc(in);
		if (c == EOF)
		{
			if (quoted)
			{
				snprintf(error, error_size, "line %ld: a quoted field is not closed", *line);
				return -1;
			}
			return any ? n + 1 : 0;
		}
		any = true;
		if (quoted)
		{
			if (c == '"')
			{
				int			next = fgetc(in);

				if (next == '"')
				{
					if (n < max_fields && !field_push(&fields[n], '"'))
						goto oom;
					continue;
				}
				quoted = false;
				if (next != EOF)
					ungetc(next, in);
				continue;
			}
			if (c == '\n')
				(*line)++;
			if (n < max_fields && !field_push(&fields[n], (char) c))
				goto oom;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == ',')
			n++;
		else if (c == '\n')
		{
			(*line)++;
			return n + 1;
		}
		else if (c == '\r')
			continue;
		else if (n < max_fields && !field_push(&fields[n], (char) c))
			goto oom;
	}
oom:
	snprintf(error, error_size, "out of memory");
	return -1;
}

static char *
dup_or_null(const Field *f)
{
	if (f->len == 0)
		return NULL;
	return strdup(f->data);
}

#define MAX_CSV_COLUMNS 64

bool
metadata_load(const char *csv_path, Metadata *md, char *error, size_t error_size)
{
	FILE	   *in = fopen(csv_path, "r");
	Field		fields[MAX_CSV_COLUMNS] = {{0}};
	int			col_file = -1, col_label = -1, col_speaker = -1;
	int			n;
	long		line = 1;
	size_t		cap = 0;
	bool		ok = false;

	memset(md, 0, sizeof(*md));
	if (in == NULL)
	{
		snprintf(error, error_size, "could not open metadata file \"%s\": %s", csv_path, strerror(errno));
		return false;
	}
	n = read_record(in, fields, MAX_CSV_COLUMNS, &line, error, error_size);
	if (n <= 0)
	{
		if (n == 0)
			snprintf(error, error_size, "metadata file \"%s\" is empty: it needs a header row naming a \"file\" column",
					 csv_path);
		goto done;
	}
	for (int i = 0; i < n && i < MAX_CSV_COLUMNS; i++)
	{
		const char *name = fields[i].data ? fields[i].data : "";

		/* A byte-order mark some spreadsheets write before the first name. */
		if (i == 0 && strncmp(name, "\xEF\xBB\xBF", 3) == 0)
			name += 3;
		if (strcasecmp(name, "file") == 0 || strcasecmp(name, "path") == 0)
			col_file = i;
		else if (strcasecmp(name, "label") == 0)
			col_label = i;
		else if (strcasecmp(name, "speaker") == 0)
			col_speaker = i;
	}
	if (col_file < 0)
	{
		snprintf(error, error_size,
				 "metadata file \"%s\" has no \"file\" column: its header row must name the columns file, label, speaker",
				 csv_path);
		goto done;
	}
	while ((n = read_record(in, fields, MAX_CSV_COLUMNS, &line, error, error_size)) != 0)
	{
		MetadataRow *row;

		if (n < 0)
			goto done;
		if (n == 1 && fields[0].len == 0)
			continue;			/* blank line */
		if (col_file >= n || fields[col_file].len == 0)
		{
			snprintf(error, error_size, "metadata file \"%s\", line %ld: the file column is empty", csv_path, line - 1);
			goto done;
		}
		if (md->count == cap)
		{
			MetadataRow *rows;

			cap = cap ? cap * 2 : 256;
			rows = realloc(md->rows, cap * sizeof(MetadataRow));
			if (rows == NULL)
				goto oom;
			md->rows = rows;
		}
		row = &md->rows[md->count];
		memset(row, 0, sizeof(*row));
		row->file = strdup(fields[col_file].data);
		if (row->file == NULL)
			goto oom;
		md->count++;
		if (col_label >= 0 && col_label < n && fields[col_label].len > 0 &&
			(row->label = dup_or_null(&fields[col_label])) == NULL)
			goto oom;
		if (col_speaker >= 0 && col_speaker < n && fields[col_speaker].len > 0 &&
			(row->speaker = dup_or_null(&fields[col_speaker])) == NULL)
			goto oom;
	}

	/* Index the rows by name: a table at most half full. */
	md->n_slots = 16;
	while (md->n_slots < md->count * 2)
		md->n_slots *= 2;
	md->slots = calloc(md->n_slots, sizeof(size_t));
	if (md->slots == NULL)
		goto oom;
	for (size_t r = 0; r < md->count; r++)
	{
		size_t		i;

		if (find_row(md, md->rows[r].file) >= 0)
		{
			snprintf(error, error_size, "metadata file \"%s\" names \"%s\" twice: keep one row per file",
					 csv_path, md->rows[r].file);
			goto done;
		}
		for (i = hash_name(md->rows[r].file) & (md->n_slots - 1); md->slots[i] != 0; i = (i + 1) & (md->n_slots - 1))
			;
		md->slots[i] = r + 1;
	}
	ok = true;
	goto done;
oom:
	snprintf(error, error_size, "out of memory reading metadata file \"%s\"", csv_path);
done:
	for (int i = 0; i < MAX_CSV_COLUMNS; i++)
		free(fields[i].data);
	fclose(in);
	if (!ok)
		metadata_free(md);
	return ok;
}

void
metadata_lookup(Metadata *md, const char *relative_path, FileLabels *out)
{
	const char *base = strrchr(relative_path, '/');
	long		r;
	SerRavdessName name;
	SerError	err;

	base = base ? base + 1 : relative_path;
	out->label = NULL;
	out->speaker = NULL;
	r = find_row(md, relative_path);
	if (r < 0 && base != relative_path)
		r = find_row(md, base);
	if (r >= 0)
	{
		/* Rows are only read by lookups: marking one used from two threads writes the same value. */
		__atomic_store_n(&md->rows[r].used, true, __ATOMIC_RELAXED);
		out->label = md->rows[r].label;
		out->speaker = md->rows[r].speaker;
		return;
	}
	if (ser_ravdess_parse(base, &name, &err) == SER_OK)
	{
		out->label = ser_ravdess_emotion_name(name.codes[SER_RAVDESS_EMOTION]);
		snprintf(out->speaker_buf, sizeof(out->speaker_buf), "%d", name.codes[SER_RAVDESS_ACTOR]);
		out->speaker = out->speaker_buf;
	}
}

void
metadata_free(Metadata *md)
{
	for (size_t r = 0; r < md->count; r++)
	{
		free(md->rows[r].file);
		free(md->rows[r].label);
		free(md->rows[r].speaker);
	}
	free(md->rows);
	free(md->slots);
	memset(md, 0, sizeof(*md));
}
