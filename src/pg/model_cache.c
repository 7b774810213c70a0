/*
 * model_cache.c — models for the SQL functions: 'default' is the model
 * shipped with the extension (a file in the installation's
 * share/extension directory), loaded once per backend and kept.  Any other
 * name is a row of ser_models, loaded once per statement (cached in the
 * call site's fn_extra), so a model replaced by ser_train is picked up by
 * the next statement.
 *
 * The networks' per-process workspace (network.c: the activations of a
 * prediction, kept between calls so that they are not mapped and
 * page-faulted again each time) goes with the models: it is released
 * whenever a loaded model's memory is, at the end of a statement that used
 * a named model; while only the shipped model is used it stays.
 */
#include "postgres.h"

#include <errno.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "model/network.h"
#include "pg/model_pg.h"
#include "pg/ser_pg.h"

#define DEFAULT_MODEL_FILE "ser_default.sermodel"
#define MESSAGE_NAME_BYTES 64

/* The shipped model, once per backend. */
static LoadedModel *default_model = NULL;

const char *
ser_name_for_message(const char *name)
{
	int			len = (int) strlen(name);
	int			keep;

	if (len <= MESSAGE_NAME_BYTES)
		return name;
	keep = pg_mbcliplen(name, len, MESSAGE_NAME_BYTES - 3);
	return psprintf("%.*s...", keep, name);
}

char *
ser_extension_schema(FunctionCallInfo fcinfo)
{
	return get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
}

/*
 * Before ser_models is read (a named model) or written (training): a role
 * without the right gets an error that names the role to be granted
 * (sql/install/45_privileges.sql), not the table-level "permission denied"
 * from inside the statement that reads it.
 */
void
ser_require_models_privilege(FunctionCallInfo fcinfo, AclMode mode)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			relid = get_relname_relid("ser_models", schema);
	bool		write = (mode & ACL_INSERT) != 0;

	if (!OidIsValid(relid) || pg_class_aclcheck(relid, GetUserId(), mode) == ACLCHECK_OK)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s", write ? "train or store models" : "use the models of ser_models"),
			 errdetail("Role \"%s\" may not %s table ser_models.", GetUserNameFromId(GetUserId(), false),
					   write ? "write" : "read"),
			 errhint("Ask the database owner or a superuser for GRANT %s TO %s;",
					 write ? "ser_model_admin" : "ser_user", quote_identifier(GetUserNameFromId(GetUserId(), false)))));
}

static void
release_network_workspace(void *arg)
{
	(void) arg;
	ser_net_workspace_release();
}

/* Parse a blob into a new memory context under parent; errors are raised after cleanup. */
static LoadedModel *
load_model_blob(const void *blob, size_t len, const char *name, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "ser model", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	LoadedModel *lm = palloc0(sizeof(LoadedModel));
	MemoryContextCallback *workspace_callback;
	SerError	err;
	SerStatus	st;

	lm->cxt = cxt;
	workspace_callback = palloc0(sizeof(MemoryContextCallback));
	workspace_callback->func = release_network_workspace;
	MemoryContextRegisterResetCallback(cxt, workspace_callback);
	lm->name = pstrdup(name);
	lm->blob_size = len;
	st = ser_model_load(blob, len, &lm->model, &err);
	if (st == SER_OK)
		st = ser_classifier_model_params(lm->model, &lm->params, &err);
	MemoryContextSwitchTo(old);
	if (st != SER_OK)
	{
		char		message[SER_ERROR_TEXT + 128];

		MemoryContextDelete(cxt);
		snprintf(message, sizeof(message), "model \"%s\" cannot be loaded: %s", ser_name_for_message(name),
				 err.message);
		memcpy(err.message, message, SER_ERROR_TEXT - 1);
		err.message[SER_ERROR_TEXT - 1] = '\0';
		ser_report_error(&err);
	}
	lm->n_classes = ser_model_class_count(lm->model);
	lm->class_names = MemoryContextAlloc(cxt, sizeof(char *) * lm->n_classes);
	for (int k = 0; k < lm->n_classes; k++)
	{
		char		buf[256];

		ser_model_class_name(lm->model, k, buf, sizeof(buf));
		/* A crafted model must not smuggle invalid text into query results. */
		if (!pg_verifymbstr(buf, strlen(buf), true))
		{
			MemoryContextDelete(cxt);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("model \"%s\" cannot be loaded: class %d is not valid text",
							ser_name_for_message(name), k + 1)));
		}
		lm->class_names[k] = MemoryContextStrdup(cxt, buf);
	}
	return lm;
}

static char *
default_model_path(void)
{
	char		sharepath[MAXPGPATH];

	get_share_path(my_exec_path, sharepath);
	return psprintf("%s/extension/%s", sharepath, DEFAULT_MODEL_FILE);
}

/* The shipped model; if missing_ok, NULL when its file does not exist. */
static LoadedModel *
default_model_load(bool missing_ok)
{
	char	   *path;
	FILE	   *f;
	long		size;
	char	   *blob;

	if (default_model != NULL)
		return default_model;
	path = default_model_path();
	f = AllocateFile(path, PG_BINARY_R);
	if (f == NULL && missing_ok && errno == ENOENT)
		return NULL;
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open the default model \"%s\": %m", path),
				 errhint("Reinstall the extension (make install), or name a model trained with ser_train().")));
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not read \"%s\": %m", path)));
	if ((Size) size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("default model file \"%s\" is too large", path)));
	blob = palloc(size > 0 ? size : 1);
	if (fread(blob, 1, size, f) != (size_t) size)
		ereport(ERROR, (errcode_for_file_access(), errmsg("could not read \"%s\": %m", path)));
	FreeFile(f);
	default_model = load_model_blob(blob, (size_t) size, SER_DEFAULT_MODEL_NAME, TopMemoryContext);
	pfree(blob);
	return default_model;
}

LoadedModel *
ser_default_model_if_installed(void)
{
	return default_model_load(true);
}

/* The weights of a row of ser_models; NULL if there is none. */
static bytea *
fetch_model_weights(FunctionCallInfo fcinfo, const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bytea	   *result = NULL;
	char	   *sql;
	int			rc;

	ser_require_models_privilege(fcinfo, ACL_SELECT);
	sql = psprintf("SELECT weights FROM %s.ser_models WHERE name OPERATOR(pg_catalog.=) $1",
				   quote_identifier(ser_extension_schema(fcinfo)));
	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, 1, argtypes, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			result = (bytea *) SPI_datumTransfer(PointerGetDatum(PG_DETOAST_DATUM(d)), false, -1);
	}
	SPI_finish();
	return result;
}

LoadedModel *
ser_get_model(FunctionCallInfo fcinfo, const char *name)
{
	LoadedModel *lm = (LoadedModel *) fcinfo->flinfo->fn_extra;
	bytea	   *weights;

	if (strcmp(name, SER_DEFAULT_MODEL_NAME) == 0)
		return default_model_load(false);
	/*
	 * Reuse within one statement only: PL/pgSQL keeps a call site's fn_extra
	 * for a whole transaction, and a later statement may follow a ser_train
	 * that replaced the model.
	 */
	if (lm != NULL && strcmp(lm->name, name) == 0 &&
		lm->xid == GetTopTransactionIdIfAny() && lm->cid == GetCurrentCommandId(false))
		return lm;
	if (lm != NULL)
	{
		MemoryContextDelete(lm->cxt);
		fcinfo->flinfo->fn_extra = NULL;
	}
	weights = fetch_model_weights(fcinfo, name);
	if (weights == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", ser_name_for_message(name)),
				 errhint("Models are rows of ser_models, made by ser_train(); \"%s\" is the model shipped with ser.",
						 SER_DEFAULT_MODEL_NAME)));
	lm = load_model_blob(VARDATA_ANY(weights), VARSIZE_ANY_EXHDR(weights), name, fcinfo->flinfo->fn_mcxt);
	lm->xid = GetTopTransactionIdIfAny();
	lm->cid = GetCurrentCommandId(false);
	fcinfo->flinfo->fn_extra = lm;
	return lm;
}

ArrayType *
ser_text_array(char **items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n ? n : 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT);
}
