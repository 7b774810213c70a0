/*
 * dataset_fmgr.c — RAVDESS in the database: ser_parse_ravdess_filename()
 * and ser_load_ravdess().
 *
 * The loader walks a server directory with AllocateDir/ReadDir (descriptors
 * are released on error), reads each candidate file with OpenTransientFile,
 * hashes it (SHA-256, pg_cryptohash: the bytes are already in memory, so no
 * second pass through SQL), describes it with ser_audio_probe() and inserts
 * it through prepared SPI plans.  Per-file problems are reported and counted,
 * never raised: a load either finishes with every file accounted for, or
 * (cancel, out of memory, a concurrent writer) fails as a whole with the
 * file it was on named in the error context, leaving the table untouched.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "dataset/ravdess.h"
#include "pg/ser_pg.h"

PG_FUNCTION_INFO_V1(ser_parse_ravdess_filename);
PG_FUNCTION_INFO_V1(ser_load_ravdess);

/* A progress NOTICE after this many files. */
#define LOAD_PROGRESS_EVERY 100

#define AUDIO_EXTENSION_LIST "wav, flac, aiff, aif, au, ogg, oga, opus and mp3"

/* Labels decoded from a name, in column order: modality, modality_name, ... gender. */
#define LABEL_COLUMNS 13

static void
label_datums(const SerRavdessName *parsed, Datum *values)
{
	const int  *c = parsed->codes;
	int			i = 0;

	values[i++] = Int16GetDatum(c[SER_RAVDESS_MODALITY]);
	values[i++] = CStringGetTextDatum(ser_ravdess_modality_name(c[SER_RAVDESS_MODALITY]));
	values[i++] = Int16GetDatum(c[SER_RAVDESS_VOCAL_CHANNEL]);
	values[i++] = CStringGetTextDatum(ser_ravdess_vocal_channel_name(c[SER_RAVDESS_VOCAL_CHANNEL]));
	values[i++] = Int16GetDatum(c[SER_RAVDESS_EMOTION]);
	values[i++] = CStringGetTextDatum(ser_ravdess_emotion_name(c[SER_RAVDESS_EMOTION]));
	values[i++] = Int16GetDatum(c[SER_RAVDESS_INTENSITY]);
	values[i++] = CStringGetTextDatum(ser_ravdess_intensity_name(c[SER_RAVDESS_INTENSITY]));
	values[i++] = Int16GetDatum(c[SER_RAVDESS_STATEMENT]);
	values[i++] = CStringGetTextDatum(ser_ravdess_statement_text(c[SER_RAVDESS_STATEMENT]));
	values[i++] = Int16GetDatum(c[SER_RAVDESS_REPETITION]);
	values[i++] = Int16GetDatum(c[SER_RAVDESS_ACTOR]);
	values[i++] = CStringGetTextDatum(ser_ravdess_gender(c[SER_RAVDESS_ACTOR]));
	Assert(i == LABEL_COLUMNS);
}

/*
 * ser_parse_ravdess_filename(name text) → one row of the codes and their
 * names; malformed names raise invalid_parameter_value naming the field.
 */
Datum
ser_parse_ravdess_filename(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	SerRavdessName parsed;
	SerError	err;
	TupleDesc	tupdesc;
	Datum		values[1 + LABEL_COLUMNS];
	bool		nulls[1 + LABEL_COLUMNS];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (ser_ravdess_parse(name, &parsed, &err) != SER_OK)
		ser_report_error(&err);

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(parsed.code);
	label_datums(&parsed, values + 1);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* ---------------------------------------------------------------------- */
/* The loader                                                             */
/* ---------------------------------------------------------------------- */

/* Identity of a directory, to visit each once however many links lead to it. */
typedef struct DirectoryKey
{
	dev_t		dev;
	ino_t		ino;
} DirectoryKey;

typedef struct LoadState
{
	const char *root;			/* the directory argument, canonicalised */
	bool		with_audio;
	int			loaded;
	int			skipped;
	int			duplicates;
	int			files_seen;		/* regular files looked at, for progress */
	HTAB	   *visited;		/* DirectoryKey set */
	MemoryContext file_context; /* reset for every file */
	SPIPlanPtr	lookup_plan;
	SPIPlanPtr	insert_plan;
	SPIPlanPtr	add_audio_plan;
	const char *current;		/* relative path being processed, for the error context */
} LoadState;

/* Argument types of the insert plan, in column order. */
static const Oid insert_types[] = {
	TEXTOID, TEXTOID, TEXTOID,	/* file_name, recording_id, path */
	INT2OID, TEXTOID, INT2OID, TEXTOID, INT2OID, TEXTOID,	/* modality .. emotion_name */
	INT2OID, TEXTOID, INT2OID, TEXTOID, INT2OID, INT2OID, TEXTOID,	/* intensity .. gender */
	TEXTOID, INT4OID, INT4OID, INT8OID, FLOAT8OID, INT8OID,	/* format .. file_size */
	BYTEAOID, BYTEAOID			/* content_sha256, audio */
};

#define INSERT_NARGS lengthof(insert_types)

static void
load_error_context(void *arg)
{
	LoadState  *state = (LoadState *) arg;

	if (state->current != NULL)
		errcontext("while loading \"%s\" from RAVDESS directory \"%s\"", state->current, state->root);
}

static char *
join_path(const char *dir, const char *name)
{
	return (dir == NULL || dir[0] == '\0') ? pstrdup(name) : psprintf("%s/%s", dir, name);
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static SPIPlanPtr
prepare(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	return plan;
}

static void
prepare_plans(LoadState *state, const char *table)
{
	Oid			lookup_types[1] = {TEXTOID};
	Oid			add_audio_types[2] = {TEXTOID, BYTEAOID};
	StringInfoData sql;

	state->lookup_plan = prepare(psprintf("SELECT file_name, content_sha256, audio IS NULL, path "
										  "FROM %s WHERE recording_id OPERATOR(pg_catalog.=) $1",
										  table),
								 1, lookup_types);

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s (file_name, recording_id, path, "
					 "modality, modality_name, vocal_channel, vocal_channel_name, emotion, emotion_name, "
					 "intensity, intensity_name, statement, statement_text, repetition, actor, gender, "
					 "format, sample_rate, channels, frames, duration_s, file_size, content_sha256, audio) "
					 "VALUES (", table);
	for (int i = 1; i <= (int) INSERT_NARGS; i++)
		appendStringInfo(&sql, i == 1 ? "$%d" : ", $%d", i);
	appendStringInfoChar(&sql, ')');
	state->insert_plan = prepare(sql.data, INSERT_NARGS, (Oid *) insert_types);

	state->add_audio_plan = prepare(psprintf("UPDATE %s SET audio = $2 "
											 "WHERE file_name OPERATOR(pg_catalog.=) $1 AND audio IS NULL",
											 table),
									2, add_audio_types);
}

/*
 * Read a whole file into a bytea.  Returns NULL after a WARNING naming the
 * file and the reason when it cannot be read.
 */
static bytea *
read_file_bytes(const char *full, const char *rel)
{
	int			fd;
	struct stat st;
	bytea	   *buf;
	size_t		done = 0;

	/*
	 * O_NONBLOCK: if the entry was replaced by a FIFO since it was listed,
	 * opening it must not wait for a writer; the fstat below then refuses it.
	 */
	fd = OpenTransientFile(full, O_RDONLY | PG_BINARY | O_NONBLOCK);
	if (fd < 0)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("skipping \"%s\": could not open file: %m", rel)));
		return NULL;
	}
	if (fstat(fd, &st) != 0)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("skipping \"%s\": could not stat file: %m", rel)));
		CloseTransientFile(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode))
	{
		ereport(WARNING,
				(errmsg("skipping \"%s\": not a regular file", rel)));
		CloseTransientFile(fd);
		return NULL;
	}
	if ((uint64) st.st_size > MaxAllocSize - VARHDRSZ)
	{
		ereport(WARNING,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("skipping \"%s\": file is too large", rel),
				 errdetail("The file has %lld bytes; a bytea value holds at most %zu.",
						   (long long) st.st_size, (size_t) (MaxAllocSize - VARHDRSZ))));
		CloseTransientFile(fd);
		return NULL;
	}

	buf = (bytea *) palloc(VARHDRSZ + (size_t) st.st_size);
	while (done < (size_t) st.st_size)
	{
		ssize_t		n = read(fd, VARDATA(buf) + done, (size_t) st.st_size - done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			ereport(WARNING,
					(errcode_for_file_access(),
					 errmsg("skipping \"%s\": could not read file: %m", rel)));
			CloseTransientFile(fd);
			return NULL;
		}
		if (n == 0)
			break;				/* the file shrank since fstat: keep what is there */
		done += (size_t) n;
	}
	if (CloseTransientFile(fd) != 0)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("skipping \"%s\": could not close file: %m", rel)));
		return NULL;
	}
	SET_VARSIZE(buf, VARHDRSZ + done);
	return buf;
}

static void
sha256_of(const bytea *data, uint8 *digest)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) VARDATA(data), VARSIZE(data) - VARHDRSZ) < 0 ||
		pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *why = pg_cryptohash_error(ctx);

		pg_cryptohash_free(ctx);
		elog(ERROR, "could not compute SHA-256: %s", why);
	}
	pg_cryptohash_free(ctx);
}

static bytea *
bytes_to_bytea(const uint8 *data, size_t len)
{
	bytea	   *result = (bytea *) palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), data, len);
	return result;
}

/*
 * If the recording is already in the table, account for the file and
 * return true: a duplicate (same name and bytes; its missing audio is added
 * when with_audio), or a conflicting version (reported and skipped).
 */
static bool
already_loaded(LoadState *state, const SerRavdessName *parsed, const char *base,
			   const uint8 *digest, bytea *contents, const char *rel)
{
	Datum		arg = CStringGetTextDatum(parsed->code);
	int			rc;
	bool		isnull;
	char	   *existing_name;
	bytea	   *existing_hash;
	bool		audio_missing;
	char	   *existing_path;
	bool		same;

	rc = SPI_execute_plan(state->lookup_plan, &arg, NULL, false, 1);
	/* SPI returns in its own procedure context: go back to the per-file one. */
	MemoryContextSwitchTo(state->file_context);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}

	existing_name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	existing_hash = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	audio_missing = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	existing_path = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	same = strcmp(existing_name, base) == 0 &&
		VARSIZE_ANY_EXHDR(existing_hash) == PG_SHA256_DIGEST_LENGTH &&
		memcmp(VARDATA_ANY(existing_hash), digest, PG_SHA256_DIGEST_LENGTH) == 0;
	SPI_freetuptable(SPI_tuptable);

	if (!same)
	{
		ereport(WARNING,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("skipping \"%s\": recording %s is already loaded from another file",
						rel, parsed->code),
				 errdetail("The loaded file is \"%s\" (%s); this one differs in %s.",
						   existing_name, existing_path,
						   strcmp(existing_name, base) == 0 ? "content" : "name"),
				 errhint("To replace a recording, delete its row from ravdess_metadata first.")));
		state->skipped++;
		return true;
	}
	if (state->with_audio && audio_missing)
	{
		Datum		args[2];

		args[0] = CStringGetTextDatum(base);
		args[1] = PointerGetDatum(contents);
		rc = SPI_execute_plan(state->add_audio_plan, args, NULL, false, 0);
		MemoryContextSwitchTo(state->file_context);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
		state->loaded++;
	}
	else
		state->duplicates++;
	return true;
}

static void
insert_recording(LoadState *state, const SerRavdessName *parsed, const char *base,
				 const char *full, const uint8 *digest, bytea *contents,
				 const SerAudioInfo *info)
{
	Datum		values[INSERT_NARGS];
	char		nulls[INSERT_NARGS];
	int			i = 0;
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	values[i++] = CStringGetTextDatum(base);
	values[i++] = CStringGetTextDatum(parsed->code);
	values[i++] = CStringGetTextDatum(full);
	label_datums(parsed, values + i);
	i += LABEL_COLUMNS;
	values[i++] = CStringGetTextDatum(info->format);
	values[i++] = Int32GetDatum(info->sample_rate);
	values[i++] = Int32GetDatum(info->channels);
	values[i++] = Int64GetDatum(info->frames);
	values[i++] = Float8GetDatum(info->duration_s);
	values[i++] = Int64GetDatum((int64) (VARSIZE(contents) - VARHDRSZ));
	values[i++] = PointerGetDatum(bytes_to_bytea(digest, PG_SHA256_DIGEST_LENGTH));
	if (state->with_audio)
		values[i++] = PointerGetDatum(contents);
	else
	{
		values[i] = (Datum) 0;
		nulls[i++] = 'n';
	}
	Assert(i == (int) INSERT_NARGS);

	rc = SPI_execute_plan(state->insert_plan, values, nulls, false, 0);
	MemoryContextSwitchTo(state->file_context);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	state->loaded++;
}

/* One regular file: decide, read, hash, describe, store. */
static void
load_one_file(LoadState *state, const char *full, const char *rel)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	SerRavdessName parsed;
	SerError	err;
	bytea	   *contents;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	SerDecodeOptions opts;
	SerAudioInfo info;
	SerStatus	status;

	if (ser_ravdess_parse(base, &parsed, &err) != SER_OK)
	{
		ereport(NOTICE,
				(errmsg("skipping \"%s\": %s", rel, err.message),
				 err.detail[0] ? errdetail_internal("%s", err.detail) : 0));
		state->skipped++;
		return;
	}
	if (!ser_ravdess_is_audio_extension(parsed.extension))
	{
		ereport(NOTICE,
				(errmsg("skipping \"%s\": not an audio file", rel),
				 errdetail("Only files with the extensions " AUDIO_EXTENSION_LIST " are read.")));
		state->skipped++;
		return;
	}

	contents = read_file_bytes(full, rel);
	if (contents == NULL)
	{
		state->skipped++;
		return;
	}
	sha256_of(contents, digest);

	/* Known recordings need no decoding: a second run costs a read and a hash per file. */
	if (already_loaded(state, &parsed, base, digest, contents, rel))
		return;

	opts.target_rate = 0;
	opts.max_duration_s = ser_max_duration;
	status = ser_audio_probe(VARDATA(contents), VARSIZE(contents) - VARHDRSZ, &opts, &info, &err);
	if (status == SER_ECANCELED || status == SER_ENOMEM || status == SER_EINTERNAL)
		ser_report_error(&err);
	if (status != SER_OK)
	{
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("skipping \"%s\": %s", rel, err.message),
				 err.detail[0] ? errdetail_internal("%s", err.detail) : 0,
				 err.hint[0] ? errhint("%s", err.hint) : 0));
		state->skipped++;
		return;
	}
	insert_recording(state, &parsed, base, full, digest, contents, &info);
}

/* Record a directory as visited; false when it already was. */
static bool
first_visit(LoadState *state, const struct stat *st)
{
	DirectoryKey key;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.dev = st->st_dev;
	key.ino = st->st_ino;
	hash_search(state->visited, &key, HASH_ENTER, &found);
	return !found;
}

/*
 * Walk one directory (rel is relative to the root, "" for the root).  Its
 * entries are read and the directory closed before anything is loaded, so
 * the walk holds one descriptor at a time however deep the tree, and the
 * entries are processed in byte order, which makes the load (which copy's
 * path is kept, the order of messages) the same on every file system.
 */
static void
walk_directory(LoadState *state, const char *rel)
{
	char	   *dir_path = rel[0] ? join_path(state->root, rel) : pstrdup(state->root);
	DIR		   *dir;
	struct dirent *de;
	char	  **names;
	int			n_names = 0;
	int			capacity = 64;

	check_stack_depth();

	dir = AllocateDir(dir_path);
	if (dir == NULL)
	{
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("skipping directory \"%s\": could not open it: %m", rel[0] ? rel : ".")));
		state->skipped++;
		return;
	}
	names = palloc(capacity * sizeof(char *));
	while ((de = ReadDirExtended(dir, dir_path, WARNING)) != NULL)
	{
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n_names == capacity)
		{
			capacity *= 2;
			names = repalloc(names, capacity * sizeof(char *));
		}
		names[n_names++] = pstrdup(de->d_name);
	}
	FreeDir(dir);
	qsort(names, n_names, sizeof(char *), compare_names);

	for (int i = 0; i < n_names; i++)
	{
		char	   *child_rel = join_path(rel, names[i]);
		char	   *child_full = join_path(state->root, child_rel);
		struct stat st;
		MemoryContext outer;

		CHECK_FOR_INTERRUPTS();

		/* stat follows symbolic links: a link to a file or directory counts as what it points to. */
		if (stat(child_full, &st) != 0)
		{
			int			stat_errno = errno;
			struct stat lst;

			if (stat_errno == ENOENT && lstat(child_full, &lst) == 0 && S_ISLNK(lst.st_mode))
				ereport(WARNING,
						(errcode(ERRCODE_UNDEFINED_FILE),
						 errmsg("skipping \"%s\": symbolic link to a missing file", child_rel)));
			else
			{
				errno = stat_errno;
				ereport(WARNING,
						(errcode_for_file_access(),
						 errmsg("skipping \"%s\": could not stat file: %m", child_rel)));
			}
			state->skipped++;
		}
		else if (S_ISDIR(st.st_mode))
		{
			if (first_visit(state, &st))
				walk_directory(state, child_rel);
			else
				ereport(NOTICE,
						(errmsg("skipping directory \"%s\": already visited", child_rel),
						 errdetail("A symbolic link leads to a directory this load has already walked.")));
		}
		else if (!S_ISREG(st.st_mode))
		{
			ereport(NOTICE,
					(errmsg("skipping \"%s\": not a regular file", child_rel)));
			state->skipped++;
		}
		else
		{
			state->current = child_rel;
			MemoryContextReset(state->file_context);
			outer = MemoryContextSwitchTo(state->file_context);
			load_one_file(state, child_full, child_rel);
			MemoryContextSwitchTo(outer);
			state->current = NULL;

			if (++state->files_seen % LOAD_PROGRESS_EVERY == 0)
				ereport(NOTICE,
						(errmsg("%d files examined: %d loaded, %d skipped, %d duplicates",
								state->files_seen, state->loaded, state->skipped, state->duplicates)));
		}
		pfree(child_full);
		pfree(child_rel);
	}
	pfree(names);
	pfree(dir_path);
}

/* Mark recordings whose bytes equal another recording's; report how many are marked. */
static int64
mark_identical_content(const char *table)
{
	int			rc;
	bool		isnull;

	rc = SPI_execute(psprintf("UPDATE %s m SET identical_content = d.shared "
							  "FROM (SELECT file_name, "
							  "             pg_catalog.count(*) OVER (PARTITION BY content_sha256) > 1 AS shared "
							  "      FROM %s) d "
							  "WHERE m.file_name OPERATOR(pg_catalog.=) d.file_name "
							  "  AND m.identical_content IS DISTINCT FROM d.shared",
							  table, table), false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	/* Not read-only: a read-only query would not see the update just made. */
	rc = SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM %s WHERE identical_content", table),
					 false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * ser_load_ravdess(directory text, with_audio boolean DEFAULT true)
 *   → (loaded int, skipped int, duplicates int)
 */
Datum
ser_load_ravdess(PG_FUNCTION_ARGS)
{
	char	   *directory = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		with_audio = PG_GETARG_BOOL(1);
	TupleDesc	tupdesc;
	LoadState	state;
	HASHCTL		hashctl;
	struct stat st;
	char	   *schema;
	char	   *table;
	ErrorContextCallback errcallback;
	int64		identical;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (directory[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("directory must not be empty")));
	canonicalize_path(directory);
	if (stat(directory, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open RAVDESS directory \"%s\": %m", directory)));
	if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a directory", directory),
				 errhint("Pass the folder that holds the Actor_NN folders.")));

	/* The table lives in the extension's schema, which is this function's. */
	schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	table = quote_qualified_identifier(schema, "ravdess_metadata");

	memset(&state, 0, sizeof(state));
	state.root = directory;
	state.with_audio = with_audio;
	state.file_context = AllocSetContextCreate(CurrentMemoryContext, "ser_load_ravdess file",
											   ALLOCSET_DEFAULT_SIZES);
	memset(&hashctl, 0, sizeof(hashctl));
	hashctl.keysize = sizeof(DirectoryKey);
	hashctl.entrysize = sizeof(DirectoryKey);
	hashctl.hcxt = CurrentMemoryContext;
	state.visited = hash_create("ser_load_ravdess directories", 64, &hashctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	first_visit(&state, &st);

	errcallback.callback = load_error_context;
	errcallback.arg = &state;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * One loader at a time (readers are not blocked): two concurrent loads
	 * of the same tree would otherwise both find a recording absent and the
	 * second would fail on the unique key at the end of its walk.
	 */
	if (SPI_execute(psprintf("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE", table), false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock %s", table);
	prepare_plans(&state, table);

	walk_directory(&state, "");
	identical = mark_identical_content(table);

	SPI_finish();
	error_context_stack = errcallback.previous;
	MemoryContextDelete(state.file_context);

	if (identical > 0)
		ereport(NOTICE,
				(errmsg_plural("%lld recording is byte-identical to a recording with another name",
							   "%lld recordings are byte-identical to a recording with another name",
							   (unsigned long) identical, (long long) identical),
				 errdetail("They are marked in ravdess_metadata.identical_content; the view ravdess_identical_content lists them."),
				 errhint("Exclude them from analyses with WHERE NOT identical_content.")));

	values[0] = Int32GetDatum(state.loaded);
	values[1] = Int32GetDatum(state.skipped);
	values[2] = Int32GetDatum(state.duplicates);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
