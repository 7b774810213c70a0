/*
 * tensor_blob.c — writing and verifying the model blob.  See tensor_blob.h
 * for why, model/README.md for the byte layout.
 *
 * Serialisation is explicit: integers are assembled byte by byte in
 * little-endian order and floats go through their IEEE-754 bit pattern, so
 * the result does not depend on the host's endianness or struct padding.
 * Verification order: magic (is it a ser model at all?), declared length
 * (truncated or with trailing bytes?), CRC-32 (damaged?), format version
 * (can this build read it?), then entry by entry with bounds checks.  The
 * CRC comes before the version so that a flipped bit in the version field is
 * reported as damage rather than as a model from the future; every version
 * of the format keeps the header and the trailing CRC where they are.
 */
#include "model/tensor_blob.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- CRC-32 ---- */

static uint32_t crc_table[256];
static bool crc_table_ready = false;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	c = i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (UINT32_C(0xEDB88320) ^ (c >> 1)) : (c >> 1);
		crc_table[i] = c;
	}
	crc_table_ready = true;
}

uint32_t
ser_crc32(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t	c = UINT32_C(0xFFFFFFFF);

	if (!crc_table_ready)
		crc_init();
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ UINT32_C(0xFFFFFFFF);
}

/* ---- little-endian helpers ---- */

static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char) v;
	p[1] = (unsigned char) (v >> 8);
	p[2] = (unsigned char) (v >> 16);
	p[3] = (unsigned char) (v >> 24);
}

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t) v);
	put_u32(p + 4, (uint32_t) (v >> 32));
}

static uint64_t
get_u64(const unsigned char *p)
{
	return (uint64_t) get_u32(p) | ((uint64_t) get_u32(p + 4) << 32);
}

static uint32_t
float_bits(float f)
{
	uint32_t	u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static float
bits_float(uint32_t u)
{
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* ---- writer ---- */

void
ser_blob_writer_init(SerBlobWriter *w)
{
	memset(w, 0, sizeof(*w));
}

void
ser_blob_writer_free(SerBlobWriter *w)
{
	ser_free(w->buf);
	memset(w, 0, sizeof(*w));
}

static SerStatus
writer_reserve(SerBlobWriter *w, size_t extra, SerError *err)
{
	size_t		need;
	size_t		cap;
	unsigned char *nbuf;

	if (extra > SIZE_MAX - w->len)
		return ser_error(err, SER_ETOOLONG, "model blob too large");
	need = w->len + extra;
	if (need <= w->cap)
		return SER_OK;
	cap = w->cap ? w->cap : 4096;
	while (cap < need)
		cap = (cap > SIZE_MAX / 2) ? need : cap * 2;
	nbuf = ser_malloc(cap);
	if (nbuf == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while serialising the model");
	if (w->len > 0)
		memcpy(nbuf, w->buf, w->len);
	ser_free(w->buf);
	w->buf = nbuf;
	w->cap = cap;
	return SER_OK;
}

static bool
valid_name(const char *name)
{
	size_t		n = strlen(name);

	if (n == 0 || n > SER_BLOB_MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static SerStatus
write_name(SerBlobWriter *w, SerBlobKind kind, const char *name, SerError *err)
{
	size_t		n = strlen(name);
	SerStatus	st;

	if (!valid_name(name))
		return ser_error(err, SER_EINVAL, "invalid model entry name \"%s\"", name);
	if ((st = writer_reserve(w, 2 + n, err)) != SER_OK)
		return st;
	w->buf[w->len++] = (unsigned char) kind;
	w->buf[w->len++] = (unsigned char) n;
	memcpy(w->buf + w->len, name, n);
	w->len += n;
	return SER_OK;
}

SerStatus
ser_blob_add_tensor(SerBlobWriter *w, const char *name, int ndim, const int *dims,
					const float *values, SerError *err)
{
	size_t		count = 1;
	size_t		save = w->len;
	SerStatus	st;

	if (ndim < 1 || ndim > SER_BLOB_MAX_DIMS)
		return ser_error(err, SER_EINVAL, "tensor \"%s\" has %d dimensions, expected 1 to %d",
						 name, ndim, SER_BLOB_MAX_DIMS);
	for (int d = 0; d < ndim; d++)
	{
		if (dims[d] < 1)
			return ser_error(err, SER_EINVAL, "tensor \"%s\" has an empty dimension", name);
		if (count > SIZE_MAX / 4 / (size_t) dims[d])
			return ser_error(err, SER_ETOOLONG, "tensor \"%s\" is too large", name);
		count *= (size_t) dims[d];
	}
	for (size_t i = 0; i < count; i++)
		if (!isfinite(values[i]))
			return ser_error(err, SER_ENONFINITE, "tensor \"%s\" holds a non-finite value", name);

	if ((st = write_name(w, SER_BLOB_TENSOR, name, err)) != SER_OK)
		return st;
	if ((st = writer_reserve(w, 1 + 4 * (size_t) ndim + 4 * count, err)) != SER_OK)
	{
		w->len = save;
		return st;
	}
	w->buf[w->len++] = (unsigned char) ndim;
	for (int d = 0; d < ndim; d++, w->len += 4)
		put_u32(w->buf + w->len, (uint32_t) dims[d]);
	for (size_t i = 0; i < count; i++, w->len += 4)
		put_u32(w->buf + w->len, float_bits(values[i]));
	w->n_entries++;
	return SER_OK;
}

SerStatus
ser_blob_add_text(SerBlobWriter *w, const char *name, const char *text, SerError *err)
{
	size_t		n = strlen(text);
	size_t		save = w->len;
	SerStatus	st;

	if (n > UINT32_MAX)
		return ser_error(err, SER_ETOOLONG, "text entry \"%s\" is too long", name);
	if ((st = write_name(w, SER_BLOB_TEXT, name, err)) != SER_OK)
		return st;
	if ((st = writer_reserve(w, 4 + n, err)) != SER_OK)
	{
		w->len = save;
		return st;
	}
	put_u32(w->buf + w->len, (uint32_t) n);
	w->len += 4;
	memcpy(w->buf + w->len, text, n);
	w->len += n;
	w->n_entries++;
	return SER_OK;
}

SerStatus
ser_blob_finish(const SerBlobWriter *w, unsigned char **out, size_t *out_len, SerError *err)
{
	size_t		total;
	unsigned char *b;

	*out = NULL;
	*out_len = 0;
	if (w->len > SIZE_MAX - SER_BLOB_HEADER_LEN - SER_BLOB_TRAILER_LEN)
		return ser_error(err, SER_ETOOLONG, "model blob too large");
	total = SER_BLOB_HEADER_LEN + w->len + SER_BLOB_TRAILER_LEN;
	b = ser_malloc(total);
	if (b == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while serialising the model");
	memcpy(b, SER_BLOB_MAGIC, SER_BLOB_MAGIC_LEN);
	put_u32(b + 8, SER_BLOB_VERSION);
	put_u32(b + 12, 0);			/* flags: none defined in version 1 */
	put_u64(b + 16, (uint64_t) w->len);
	put_u32(b + 24, w->n_entries);
	if (w->len > 0)
		memcpy(b + SER_BLOB_HEADER_LEN, w->buf, w->len);
	put_u32(b + total - 4, ser_crc32(b, total - 4));
	*out = b;
	*out_len = total;
	return SER_OK;
}

/* ---- reader ---- */

void
ser_blob_free(SerBlob *blob)
{
	if (blob == NULL)
		return;
	for (int i = 0; i < blob->n_entries; i++)
	{
		ser_free(blob->entries[i].values);
		ser_free(blob->entries[i].text);
	}
	ser_free(blob->entries);
	ser_free(blob->index);
	memset(blob, 0, sizeof(*blob));
}

/* FNV-1a over the name's bytes: cheap, and names are at most 63 bytes. */
static uint32_t
name_hash(const char *name)
{
	uint32_t	h = UINT32_C(2166136261);

	for (; *name; name++)
		h = (h ^ (unsigned char) *name) * UINT32_C(16777619);
	return h;
}

/*
 * The slot that holds name, or the empty slot where it would go.  The table
 * is never full (at least twice as many slots as entries), so the probe
 * ends.
 */
static size_t
index_slot(const SerBlob *blob, const char *name)
{
	size_t		mask = blob->index_size - 1;
	size_t		slot = name_hash(name) & mask;

	while (blob->index[slot] != 0 &&
		   strcmp(blob->entries[blob->index[slot] - 1].name, name) != 0)
		slot = (slot + 1) & mask;
	return slot;
}

/* Entries parsed between two looks at ser_interrupted(). */
#define PARSE_INTERRUPT_EVERY 4096

static SerStatus
corrupt(SerError *err, const char *what, size_t offset)
{
	ser_error(err, SER_ECORRUPT, "corrupt model: %s", what);
	ser_error_detail(err, "The problem was found at byte offset %zu of the model.", offset);
	return SER_ECORRUPT;
}

static SerStatus
parse_entry(const unsigned char *p, size_t end, size_t *pos, SerBlobEntry *e, SerError *err)
{
	size_t		at = *pos;
	unsigned	name_len;

	if (end - at < 2)
		return corrupt(err, "entry header is cut short", at);
	e->kind = (SerBlobKind) p[at];
	name_len = p[at + 1];
	if (e->kind != SER_BLOB_TENSOR && e->kind != SER_BLOB_TEXT)
		return corrupt(err, "unknown entry kind", at);
	if (name_len == 0 || name_len > SER_BLOB_MAX_NAME || end - at - 2 < name_len)
		return corrupt(err, "entry name length out of range", at + 1);
	memcpy(e->name, p + at + 2, name_len);
	e->name[name_len] = '\0';
	if (!valid_name(e->name))
		return corrupt(err, "entry name holds characters outside [A-Za-z0-9._-]", at + 2);
	at += 2 + name_len;

	if (e->kind == SER_BLOB_TENSOR)
	{
		size_t		count = 1;

		if (end - at < 1)
			return corrupt(err, "tensor header is cut short", at);
		e->ndim = p[at++];
		if (e->ndim < 1 || e->ndim > SER_BLOB_MAX_DIMS)
			return corrupt(err, "tensor rank out of range", at - 1);
		if (end - at < 4 * (size_t) e->ndim)
			return corrupt(err, "tensor shape is cut short", at);
		for (int d = 0; d < e->ndim; d++, at += 4)
		{
			uint32_t	dim = get_u32(p + at);

			if (dim < 1 || dim > INT32_MAX)
				return corrupt(err, "tensor dimension out of range", at);
			e->dims[d] = (int) dim;
			/* no tensor can be larger than the bytes that remain */
			if ((uint64_t) count * dim > (end - at) / 4)
				return corrupt(err, "tensor is larger than the data that remains", at);
			count *= dim;
		}
		if ((end - at) / 4 < count)
			return corrupt(err, "tensor data is cut short", at);
		e->count = count;
		e->values = ser_malloc_array(count, sizeof(float));
		if (e->values == NULL)
			return ser_error(err, SER_ENOMEM, "out of memory while loading the model");
		for (size_t i = 0; i < count; i++, at += 4)
		{
			e->values[i] = bits_float(get_u32(p + at));
			if (!isfinite(e->values[i]))
				return corrupt(err, "tensor holds a non-finite value", at);
		}
	}
	else
	{
		uint32_t	n;

		if (end - at < 4)
			return corrupt(err, "text length is cut short", at);
		n = get_u32(p + at);
		at += 4;
		if (end - at < n)
			return corrupt(err, "text is cut short", at);
		if (memchr(p + at, '\0', n) != NULL)
			return corrupt(err, "text holds a NUL byte", at);
		e->count = n;
		e->text = ser_malloc((size_t) n + 1);
		if (e->text == NULL)
			return ser_error(err, SER_ENOMEM, "out of memory while loading the model");
		memcpy(e->text, p + at, n);
		e->text[n] = '\0';
		at += n;
	}
	*pos = at;
	return SER_OK;
}

SerStatus
ser_blob_parse(const void *data, size_t len, SerBlob *blob, SerError *err)
{
	const unsigned char *p = data;
	uint32_t	version;
	uint32_t	flags;
	uint64_t	payload;
	uint32_t	n_entries;
	uint32_t	stored_crc;
	size_t		pos;
	size_t		end;
	SerStatus	st;

	memset(blob, 0, sizeof(*blob));
	if (len < SER_BLOB_MAGIC_LEN || memcmp(p, SER_BLOB_MAGIC, SER_BLOB_MAGIC_LEN) != 0)
	{
		ser_error(err, SER_EFORMAT, "not a ser model");
		ser_error_detail(err, "The value does not start with the magic bytes \"%s\".", SER_BLOB_MAGIC);
		return SER_EFORMAT;
	}
	if (len < SER_BLOB_HEADER_LEN + SER_BLOB_TRAILER_LEN)
	{
		ser_error(err, SER_ECORRUPT, "corrupt model: truncated");
		ser_error_detail(err, "The model is %zu bytes long, shorter than its %d-byte header and checksum.",
						 len, SER_BLOB_HEADER_LEN + SER_BLOB_TRAILER_LEN);
		return SER_ECORRUPT;
	}
	payload = get_u64(p + 16);
	if (payload != (uint64_t) (len - SER_BLOB_HEADER_LEN - SER_BLOB_TRAILER_LEN))
	{
		ser_error(err, SER_ECORRUPT, "corrupt model: %s",
				  payload > (uint64_t) (len - SER_BLOB_HEADER_LEN - SER_BLOB_TRAILER_LEN) ?
				  "truncated" : "trailing data after the end");
		ser_error_detail(err, "The header declares %llu bytes of entries, the value holds %zu.",
						 (unsigned long long) payload, len - SER_BLOB_HEADER_LEN - SER_BLOB_TRAILER_LEN);
		return SER_ECORRUPT;
	}
	stored_crc = get_u32(p + len - 4);
	if (stored_crc != ser_crc32(p, len - 4))
	{
		ser_error(err, SER_ECORRUPT, "corrupt model: checksum mismatch");
		ser_error_detail(err, "The stored CRC-32 is %08x, the content gives %08x.",
						 stored_crc, ser_crc32(p, len - 4));
		return SER_ECORRUPT;
	}
	version = get_u32(p + 8);
	if (version != SER_BLOB_VERSION)
	{
		ser_error(err, SER_EUNSUPPORTED, "unsupported model format version %u", version);
		ser_error_detail(err, "This build of ser reads model format version %d.", SER_BLOB_VERSION);
		ser_error_hint(err, "Retrain the model with this version of ser, or upgrade the extension.");
		return SER_EUNSUPPORTED;
	}
	flags = get_u32(p + 12);
	if (flags != 0)
		return corrupt(err, "unknown header flags", 12);
	n_entries = get_u32(p + 24);
	end = len - SER_BLOB_TRAILER_LEN;
	/* each entry takes at least 7 bytes, so a larger count cannot be honest */
	if (n_entries > (end - SER_BLOB_HEADER_LEN) / 7 + 1)
		return corrupt(err, "entry count larger than the data can hold", 24);

	blob->version = (int) version;
	blob->entries = ser_calloc(n_entries ? n_entries : 1, sizeof(SerBlobEntry));
	blob->index_size = 16;
	while (blob->index_size < 2 * (size_t) n_entries)
		blob->index_size *= 2;
	blob->index = ser_calloc(blob->index_size, sizeof(uint32_t));
	if (blob->entries == NULL || blob->index == NULL)
	{
		ser_blob_free(blob);
		return ser_error(err, SER_ENOMEM, "out of memory while loading the model");
	}
	pos = SER_BLOB_HEADER_LEN;
	for (uint32_t i = 0; i < n_entries; i++)
	{
		size_t		at = pos;
		size_t		slot;

		if (i % PARSE_INTERRUPT_EVERY == PARSE_INTERRUPT_EVERY - 1 && ser_interrupted())
		{
			ser_blob_free(blob);
			return ser_error(err, SER_ECANCELED, "canceled");
		}
		blob->n_entries = (int) i + 1;	/* so ser_blob_free releases a partial entry */
		if ((st = parse_entry(p, end, &pos, &blob->entries[i], err)) != SER_OK)
		{
			ser_blob_free(blob);
			return st;
		}
		slot = index_slot(blob, blob->entries[i].name);
		if (blob->index[slot] != 0)
		{
			ser_blob_free(blob);
			return corrupt(err, "duplicate entry name", at);
		}
		blob->index[slot] = i + 1;
	}
	if (pos != end)
	{
		ser_blob_free(blob);
		return corrupt(err, "bytes left over after the last entry", pos);
	}
	return SER_OK;
}

const SerBlobEntry *
ser_blob_find(const SerBlob *blob, const char *name)
{
	size_t		slot;

	if (blob->index == NULL)
		return NULL;
	slot = index_slot(blob, name);
	return blob->index[slot] != 0 ? &blob->entries[blob->index[slot] - 1] : NULL;
}

static void
format_shape(char *buf, size_t size, int ndim, const int *dims)
{
	size_t		n = 0;

	buf[0] = '\0';
	for (int d = 0; d < ndim && n < size; d++)
		n += snprintf(buf + n, size - n, "%s%d", d ? "x" : "", dims[d]);
}

SerStatus
ser_blob_get_tensor(const SerBlob *blob, const char *name, int ndim, const int *dims,
					const float **values, SerError *err)
{
	const SerBlobEntry *e = ser_blob_find(blob, name);
	char		want[64];
	char		have[64];
	bool		same;

	*values = NULL;
	if (e == NULL || e->kind != SER_BLOB_TENSOR)
	{
		ser_error(err, SER_ECORRUPT, "model has no tensor \"%s\"", name);
		ser_error_detail(err, "The network this model declares needs that tensor.");
		return SER_ECORRUPT;
	}
	same = (e->ndim == ndim);
	for (int d = 0; same && d < ndim; d++)
		same = (e->dims[d] == dims[d]);
	if (!same)
	{
		format_shape(want, sizeof(want), ndim, dims);
		format_shape(have, sizeof(have), e->ndim, e->dims);
		ser_error(err, SER_ECORRUPT, "model tensor \"%s\" has the wrong shape", name);
		ser_error_detail(err, "Expected shape %s, found %s.", want, have);
		return SER_ECORRUPT;
	}
	*values = e->values;
	return SER_OK;
}

SerStatus
ser_blob_get_text(const SerBlob *blob, const char *name, const char **text, SerError *err)
{
	const SerBlobEntry *e = ser_blob_find(blob, name);

	*text = NULL;
	if (e == NULL || e->kind != SER_BLOB_TEXT)
	{
		ser_error(err, SER_ECORRUPT, "model has no text entry \"%s\"", name);
		return SER_ECORRUPT;
	}
	*text = e->text;
	return SER_OK;
}
