/*
 * loader.c — batches of files into the table with binary COPY
 * (see loader.h).
 */
#include "client/import/loader.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/decode.h"
#include "client/import/report.h"
#include "client/import/table.h"

volatile sig_atomic_t import_interrupted = 0;

/* What happened to one file of a batch. */
typedef enum FileState
{
	FILE_PENDING = 0,			/* not read yet */
	FILE_SENT,					/* in the batch's COPY stream */
	FILE_DONE					/* skipped (same content) or failed: reported, never sent again */
} FileState;

typedef struct Batch
{
	size_t	   *files;			/* indices into the file list */
	FileState  *state;
	unsigned char (*sha256)[SHA256_LEN];
	int			count;
} Batch;

/* A worker's buffers, reused from file to file. */
typedef struct Buffers
{
	unsigned char *data;		/* the file being loaded */
	size_t		capacity;
	char	   *row;			/* one COPY row without the audio bytes */
	size_t		row_capacity;
	EVP_MD_CTX *sha;
} Buffers;

/* Binary COPY framing (PostgreSQL protocol, "Binary Format" of COPY). */
static const char copy_signature[11] = "PGCOPY\n\377\r\n";

static bool
stopping(const Import *im)
{
	return import_interrupted || __atomic_load_n(&im->stop, __ATOMIC_RELAXED);
}

static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;

	while (*p)
	{
		int			n;

		if (*p < 0x80)
			n = 0;
		else if ((*p & 0xE0) == 0xC0 && *p >= 0xC2)
			n = 1;
		else if ((*p & 0xF0) == 0xE0)
			n = 2;
		else if ((*p & 0xF8) == 0xF0 && *p <= 0xF4)
			n = 3;
		else
			return false;
		p++;
		for (int i = 0; i < n; i++, p++)
			if ((*p & 0xC0) != 0x80)
				return false;
	}
	return true;
}

/* Read a whole file into buf; false with the reason reported. */
static bool
read_file(const char *path, const ImportOptions *opt, Buffers *buf, size_t *len)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t		got = 0;

	if (fd < 0)
	{
		report_file_failure(path, "could not open: %s", strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0)
	{
		report_file_failure(path, "could not read: %s", strerror(errno));
		close(fd);
		return false;
	}
	if (st.st_size > opt->max_file_bytes)
	{
		report_file_failure(path, "file of %lld bytes is larger than the limit of %lld bytes",
							(long long) st.st_size, (long long) opt->max_file_bytes);
		close(fd);
		return false;
	}
	if ((size_t) st.st_size + 1 > buf->capacity)
	{
		unsigned char *data = realloc(buf->data, (size_t) st.st_size + 1);

		if (data == NULL)
		{
			report_file_failure(path, "out of memory for a file of %lld bytes", (long long) st.st_size);
			close(fd);
			return false;
		}
		buf->data = data;
		buf->capacity = (size_t) st.st_size + 1;
	}
	/* Read what is there; one byte more than fstat said shows a file that grew meanwhile. */
	for (;;)
	{
		ssize_t		n = read(fd, buf->data + got, buf->capacity - got);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			report_file_failure(path, "could not read: %s", strerror(errno));
			close(fd);
			return false;
		}
		if (n == 0)
			break;
		got += (size_t) n;
		if (got == buf->capacity)
		{
			report_file_failure(path, "file changed while it was read: run the import again when it is complete");
			close(fd);
			return false;
		}
	}
	close(fd);
	if (got == 0)
	{
		report_file_failure(path, "file is empty");
		return false;
	}
	*len = got;
	return true;
}

static bool
sha256_of(Buffers *buf, const unsigned char *data, size_t len, unsigned char *out)
{
	unsigned int out_len = 0;

	return EVP_DigestInit_ex(buf->sha, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(buf->sha, data, len) == 1 &&
		EVP_DigestFinal_ex(buf->sha, out, &out_len) == 1 && out_len == SHA256_LEN;
}

/* Appends to the row buffer. */
typedef struct RowWriter
{
	Buffers    *buf;
	size_t		len;
	bool		oom;
} RowWriter;

static void
row_bytes(RowWriter *w, const void *data, size_t len)
{
	if (w->oom)
		return;
	if (w->len + len > w->buf->row_capacity)
	{
		size_t		cap = (w->len + len) * 2;
		char	   *row = realloc(w->buf->row, cap);

		if (row == NULL)
		{
			w->oom = true;
			return;
		}
		w->buf->row = row;
		w->buf->row_capacity = cap;
	}
	memcpy(w->buf->row + w->len, data, len);
	w->len += len;
}

static void
row_int16(RowWriter *w, int16_t v)
{
	uint16_t	n = htons((uint16_t) v);

	row_bytes(w, &n, 2);
}

static void
row_int32(RowWriter *w, int32_t v)
{
	uint32_t	n = htonl((uint32_t) v);

	row_bytes(w, &n, 4);
}

static void
row_int64(RowWriter *w, int64_t v)
{
	row_int32(w, (int32_t) (uint32_t) ((uint64_t) v >> 32));
	row_int32(w, (int32_t) (uint32_t) ((uint64_t) v & 0xFFFFFFFFu));
}

/* A field: its length, then its bytes; NULL is length -1. */
static void
row_text(RowWriter *w, const char *s)
{
	if (s == NULL)
	{
		row_int32(w, -1);
		return;
	}
	row_int32(w, (int32_t) strlen(s));
	row_bytes(w, s, strlen(s));
}

/* Report a failed libpq call of the batch and stop the import. */
static void
batch_error(Worker *w, const char *what, PGresult *res)
{
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(w->conn);

	report_message("%s: %s", what, msg && msg[0] ? msg : "connection lost\n");
	w->failed = true;
	__atomic_store_n(&w->import->stop, 1, __ATOMIC_RELAXED);
}

/* Start a transaction and its COPY, and send the COPY header. */
static bool
begin_copy(Worker *w)
{
	PGresult   *res;
	char		header[19];

	res = PQexec(w->conn, "BEGIN");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		batch_error(w, "could not start a batch", res);
		PQclear(res);
		return false;
	}
	PQclear(res);
	res = PQexec(w->conn, w->import->options->copy_sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
	{
		batch_error(w, "could not start a batch", res);
		PQclear(res);
		return false;
	}
	PQclear(res);
	memcpy(header, copy_signature, 11);
	memset(header + 11, 0, 8);	/* flags, header extension length */
	if (PQputCopyData(w->conn, header, sizeof(header)) != 1)
	{
		batch_error(w, "could not send a batch", NULL);
		return false;
	}
	return true;
}

/*
 * Read, check and send one file of the batch.  Returns false only on a
 * failure of the connection (the batch is lost); a file that cannot be
 * loaded is reported and marked done.
 */
static bool
load_file(Worker *w, Buffers *buf, Batch *b, int k, bool *copy_started, bool first_attempt)
{
	Import	   *im = w->import;
	const ImportFile *f = &im->files->items[b->files[k]];
	size_t		len;
	bool		added;
	SerAudioInfo info;
	SerDecodeOptions dopt = {0, im->options->max_duration_s};
	SerError	err;
	FileLabels	labels;
	RowWriter	row = {buf, 0, false};
	double		duration;
	uint64_t	duration_bits;

	if (!read_file(f->path, im->options, buf, &len))
	{
		b->state[k] = FILE_DONE;
		goto counted;
	}
	if (!sha256_of(buf, buf->data, len, b->sha256[k]))
	{
		report_file_failure(f->path, "could not compute its SHA-256 (OpenSSL failure)");
		b->state[k] = FILE_DONE;
		goto counted;
	}
	if (!hashset_add(im->known, b->sha256[k], &added))
	{
		report_file_failure(f->path, "out of memory");
		b->state[k] = FILE_DONE;
		goto counted;
	}
	if (!added)
	{
		report_add(&import_counters.present, 1);
		b->state[k] = FILE_DONE;
		goto counted;
	}
	/* From here the content is claimed: release it if it is not sent. */
	if (!utf8_valid(f->relative))
	{
		report_file_failure(f->path, "the path is not valid UTF-8: rename the file");
		goto release;
	}
	if (ser_audio_probe(buf->data, len, &dopt, &info, &err) != SER_OK)
	{
		if (err.status == SER_ECANCELED)
			goto release_silently;
		report_file_failure(f->path, "%s%s%s", err.message, err.detail[0] ? ": " : "", err.detail);
		goto release;
	}
	metadata_lookup(im->metadata, f->relative, &labels);
	if ((labels.label && !utf8_valid(labels.label)) || (labels.speaker && !utf8_valid(labels.speaker)))
	{
		report_file_failure(f->path, "its label or speaker in the metadata file is not valid UTF-8");
		goto release;
	}

	if (!*copy_started)
	{
		if (!begin_copy(w))
		{
			hashset_remove(im->known, b->sha256[k]);
			return false;
		}
		*copy_started = true;
	}
	row_int16(&row, IMPORT_COPY_NCOLUMNS);
	row_text(&row, f->relative);
	row_int32(&row, SHA256_LEN);
	row_bytes(&row, b->sha256[k], SHA256_LEN);
	row_int32(&row, (int32_t) len);
	if (row.oom)
	{
		report_file_failure(f->path, "out of memory");
		goto release;
	}
	/* The row up to the audio's length, the audio from the file buffer, then the rest. */
	if (PQputCopyData(w->conn, buf->row, (int) row.len) != 1 ||
		PQputCopyData(w->conn, (const char *) buf->data, (int) len) != 1)
		goto lost;
	row.len = 0;
	row_int32(&row, 8);
	row_int64(&row, (int64_t) len);
	row_text(&row, info.format);
	row_int32(&row, 4);
	row_int32(&row, info.sample_rate);
	row_int32(&row, 4);
	row_int32(&row, info.channels);
	duration = info.duration_s;
	memcpy(&duration_bits, &duration, sizeof(duration_bits));
	row_int32(&row, 8);
	row_int64(&row, (int64_t) duration_bits);
	row_text(&row, labels.label);
	row_text(&row, labels.speaker);
	if (row.oom)
	{
		/* The row is half sent: only abandoning the batch keeps the table whole. */
		report_message("out of memory while sending %s", f->path);
		hashset_remove(im->known, b->sha256[k]);
		w->failed = true;
		__atomic_store_n(&im->stop, 1, __ATOMIC_RELAXED);
		return false;
	}
	if (PQputCopyData(w->conn, buf->row, (int) row.len) != 1)
		goto lost;
	b->state[k] = FILE_SENT;
	goto counted;

lost:
	hashset_remove(im->known, b->sha256[k]);
	batch_error(w, "could not send a batch", NULL);
	return false;
release:
	hashset_remove(im->known, b->sha256[k]);
	b->state[k] = FILE_DONE;
	goto counted;
release_silently:
	/* Interrupted while decoding: the file stays pending and the batch is abandoned. */
	hashset_remove(im->known, b->sha256[k]);
	return true;
counted:
	if (first_attempt)
	{
		report_add(&import_counters.files_done, 1);
		report_add(&import_counters.bytes_done, f->size);
	}
	return true;
}

/* SQLSTATE of a failed result, "" if none. */
static const char *
sqlstate_of(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

/* Release the contents a failed attempt claimed, so that the next attempt can send them. */
static void
release_sent(Import *im, Batch *b)
{
	for (int k = 0; k < b->count; k++)
		if (b->state[k] == FILE_SENT)
		{
			hashset_remove(im->known, b->sha256[k]);
			b->state[k] = FILE_PENDING;
		}
}

/* Abandon the COPY and the transaction; the connection stays usable when it can. */
static void
abandon(Worker *w, bool copy_in_progress)
{
	PGresult   *res;

	if (copy_in_progress && PQputCopyEnd(w->conn, "import interrupted") == 1)
		while ((res = PQgetResult(w->conn)) != NULL)
			PQclear(res);
	PQclear(PQexec(w->conn, "ROLLBACK"));
}

/*
 * One attempt at a batch.  Returns 1 when committed (or nothing was to be
 * sent), 0 when it must be tried again (another import stored some of its
 * contents meanwhile), -1 when the import must stop.
 */
static int
attempt_batch(Worker *w, Buffers *buf, Batch *b, bool first_attempt)
{
	Import	   *im = w->import;
	bool		copy_started = false;
	int			sent = 0;
	PGresult   *res;
	const char	trailer[2] = {'\xFF', '\xFF'};	/* int16 -1: end of data */
	char		error[1024];

	for (int k = 0; k < b->count; k++)
	{
		if (b->state[k] != FILE_PENDING)
			continue;
		if (stopping(im))
		{
			release_sent(im, b);
			if (copy_started)
				abandon(w, true);
			return -1;
		}
		if (!load_file(w, buf, b, k, &copy_started, first_attempt))
		{
			release_sent(im, b);
			if (copy_started)
				abandon(w, true);
			return -1;
		}
		if (b->state[k] == FILE_PENDING)
		{
			/* Interrupted inside the decoder. */
			release_sent(im, b);
			if (copy_started)
				abandon(w, true);
			return -1;
		}
		if (b->state[k] == FILE_SENT)
			sent++;
	}
	if (!copy_started)
		return 1;

	if (PQputCopyData(w->conn, trailer, 2) != 1 || PQputCopyEnd(w->conn, NULL) != 1)
	{
		batch_error(w, "could not send a batch", NULL);
		release_sent(im, b);
		return -1;
	}
	res = PQgetResult(w->conn);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		while ((res = PQgetResult(w->conn)) != NULL)
			PQclear(res);
		res = PQexec(w->conn, "COMMIT");
	}
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		report_add(&import_counters.loaded, sent);
		return 1;
	}

	/* A unique violation: another import stored some of these contents after this run read the table. */
	if (strcmp(sqlstate_of(res), "23505") == 0)
	{
		PQclear(res);
		while ((res = PQgetResult(w->conn)) != NULL)
			PQclear(res);
		PQclear(PQexec(w->conn, "ROLLBACK"));
		release_sent(im, b);
		if (!table_read_hashes(w->conn, im->options->quoted_table, im->known, error, sizeof(error)))
		{
			report_message("could not read the table's contents: %s", error);
			w->failed = true;
			__atomic_store_n(&im->stop, 1, __ATOMIC_RELAXED);
			return -1;
		}
		return 0;
	}
	batch_error(w, "could not store a batch", res);
	PQclear(res);
	while ((res = PQgetResult(w->conn)) != NULL)
		PQclear(res);
	PQclear(PQexec(w->conn, "ROLLBACK"));
	release_sent(im, b);
	return -1;
}

/* Claim the next files: up to batch_files of them and batch_bytes bytes. */
static void
claim_batch(Import *im, Batch *b)
{
	int64_t		bytes = 0;

	b->count = 0;
	while (b->count < im->options->batch_files && bytes < im->options->batch_bytes)
	{
		size_t		i = __atomic_fetch_add(&im->next_file, 1, __ATOMIC_RELAXED);

		if (i >= im->files->count)
			break;
		b->files[b->count] = i;
		b->state[b->count] = FILE_PENDING;
		b->count++;
		bytes += im->files->items[i].size;
	}
}

/* Attempts at a batch stored meanwhile by another import before giving up. */
#define BATCH_ATTEMPTS 3

void *
loader_run(void *arg)
{
	Worker	   *w = arg;
	Import	   *im = w->import;
	Buffers		buf = {0};
	Batch		b = {0};
	int			n = im->options->batch_files;

	b.files = malloc((size_t) n * sizeof(size_t));
	b.state = malloc((size_t) n * sizeof(FileState));
	b.sha256 = malloc((size_t) n * SHA256_LEN);
	buf.sha = EVP_MD_CTX_new();
	if (b.files == NULL || b.state == NULL || b.sha256 == NULL || buf.sha == NULL)
	{
		report_message("out of memory");
		w->failed = true;
		__atomic_store_n(&im->stop, 1, __ATOMIC_RELAXED);
	}
	else
		while (!stopping(im))
		{
			int			attempt = 0;
			int			rc;

			claim_batch(im, &b);
			if (b.count == 0)
				break;
			while ((rc = attempt_batch(w, &buf, &b, attempt == 0)) == 0 && ++attempt < BATCH_ATTEMPTS)
				;
			if (rc == 0)
			{
				report_message("a batch of %d files kept colliding with another import of the same files; "
							   "run this import again when the other one is done", b.count);
				w->failed = true;
				__atomic_store_n(&im->stop, 1, __ATOMIC_RELAXED);
			}
			if (rc != 1)
				break;
		}
	free(b.files);
	free(b.state);
	free(b.sha256);
	free(buf.data);
	free(buf.row);
	EVP_MD_CTX_free(buf.sha);
	__atomic_add_fetch(&im->workers_finished, 1, __ATOMIC_RELEASE);
	return NULL;
}
