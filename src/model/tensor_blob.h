/*
 * tensor_blob.h — the model file format: a versioned blob of named tensors
 * and named text entries.
 *
 * Why a format of our own: the model lives in a bytea column and is read by
 * the server on every new backend, so it must be self-describing (names and
 * shapes are checked against what the network expects, as rnnoise does),
 * independent of the compiler's struct layout (every field is written byte
 * by byte, little-endian), versioned (an old server refuses a newer model
 * with a clear message instead of misreading it) and checked end to end
 * (CRC-32), because a damaged or truncated value must produce an error, not a
 * crash or a silently wrong prediction.  The layout is documented in
 * model/README.md.
 *
 * Parsing never trusts a length or a count from the data: every read is
 * bounds-checked, and a tensor holding NaN or infinity is rejected.
 */
#ifndef SER_MODEL_TENSOR_BLOB_H
#define SER_MODEL_TENSOR_BLOB_H

#include "common/runtime.h"

#define SER_BLOB_MAGIC "SERMODEL"
#define SER_BLOB_MAGIC_LEN 8
#define SER_BLOB_VERSION 1
#define SER_BLOB_HEADER_LEN 28		/* magic, version, flags, payload length, entry count */
#define SER_BLOB_TRAILER_LEN 4		/* CRC-32 */
#define SER_BLOB_MAX_NAME 63
#define SER_BLOB_MAX_DIMS 4

typedef enum SerBlobKind
{
	SER_BLOB_TENSOR = 1,		/* float32 array with a shape */
	SER_BLOB_TEXT = 2			/* UTF-8 text without NUL bytes */
} SerBlobKind;

typedef struct SerBlobEntry
{
	SerBlobKind kind;
	char		name[SER_BLOB_MAX_NAME + 1];
	int			ndim;
	int			dims[SER_BLOB_MAX_DIMS];
	size_t		count;			/* tensor: number of floats; text: bytes without the NUL */
	float	   *values;			/* tensor data (ser_malloc), NULL for text */
	char	   *text;			/* NUL-terminated text (ser_malloc), NULL for tensors */
} SerBlobEntry;

/*
 * A parsed blob; everything in it is owned by it (ser_blob_free).  Entries
 * are indexed by name in an open-addressing hash table, so that parsing
 * (which refuses duplicate names) and lookups stay linear in the number of
 * entries however many a blob declares.
 */
typedef struct SerBlob
{
	int			version;
	int			n_entries;
	SerBlobEntry *entries;
	uint32_t   *index;			/* index_size slots: entry number + 1, 0 = empty */
	size_t		index_size;		/* a power of two, at least twice n_entries */
} SerBlob;

/* Building a blob: entries are kept in the order they are added. */
typedef struct SerBlobWriter
{
	unsigned char *buf;
	size_t		len;
	size_t		cap;
	uint32_t	n_entries;
} SerBlobWriter;

/* IEEE 802.3 CRC-32 (the zlib/PNG one), table-driven. */
uint32_t	ser_crc32(const void *data, size_t len);

void		ser_blob_writer_init(SerBlobWriter *w);
void		ser_blob_writer_free(SerBlobWriter *w);
SerStatus	ser_blob_add_tensor(SerBlobWriter *w, const char *name, int ndim, const int *dims,
								const float *values, SerError *err);
SerStatus	ser_blob_add_text(SerBlobWriter *w, const char *name, const char *text, SerError *err);
/* Produce the serialised blob (ser_malloc'd, caller frees); the writer stays valid. */
SerStatus	ser_blob_finish(const SerBlobWriter *w, unsigned char **out, size_t *out_len, SerError *err);

/*
 * Parse and verify data[0..len).  Errors: SER_EFORMAT (not a ser model at
 * all), SER_ECORRUPT (truncated, checksum mismatch, malformed entry),
 * SER_EUNSUPPORTED (a format version this build does not read), and
 * SER_ECANCELED when ser_interrupted() asks to stop.  Time and memory are
 * linear in len.  On failure *blob is empty and nothing is left allocated.
 */
SerStatus	ser_blob_parse(const void *data, size_t len, SerBlob *blob, SerError *err);
void		ser_blob_free(SerBlob *blob);

const SerBlobEntry *ser_blob_find(const SerBlob *blob, const char *name);
/*
 * Fetch a tensor that must exist with exactly the given shape; a missing
 * entry, another kind or another shape is SER_ECORRUPT with a detail naming
 * the expected and the stored shape.
 */
SerStatus	ser_blob_get_tensor(const SerBlob *blob, const char *name, int ndim, const int *dims,
								const float **values, SerError *err);
/* Fetch a text entry that must exist (SER_ECORRUPT otherwise). */
SerStatus	ser_blob_get_text(const SerBlob *blob, const char *name, const char **text, SerError *err);

#endif							/* SER_MODEL_TENSOR_BLOB_H */
