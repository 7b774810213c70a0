/*
 * model_cache.c — models for the SQL functions: 'default' is the model
 * shipped with the extension (a file in the installation's
 * share/extension directory), loaded once per backend and kept.  Any other
 * name is a row of ser_models.  A backend keeps the last NAMED_MODEL_SLOTS
 * of those it used, each with the identity of the row version it was read
 * from (table, xmin, ctid).  Once per statement and call site, a saved plan
 * asks which version the statement's snapshot sees under that name — an
 * index probe that reads no weights — and the weights are read and parsed
 * again only when it is another one.  So a model replaced by ser_train (in
 * this transaction or a committed one), a replacement rolled back, and a
 * deleted model are all seen by the next statement, and a statement that
 * calls a named model once does not pay for reading and parsing megabytes
 * of weights (about 3.5 ms for a model of the shipped size).
 *
 * The networks' per-process workspace (network.c: the activations of a
 * prediction, kept between calls so that they are not mapped and
 * page-faulted again each time) goes with the models: it is released
 * whenever a loaded model's memory is, when a named model is replaced or
 * evicted.
 */
#include "postgres.h"

#include <errno.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "storage/itemptr.h"
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

/*
 * Named models: four cover a session that compares a few models, and bound
 * what a backend keeps (each takes about its blob's size).
 */
#define NAMED_MODEL_SLOTS 4

/* Which row version of ser_models a name has in a statement's snapshot. */
typedef struct RowVersion
{
	bool		found;
	Oid			relid;
	TransactionId xmin;
	ItemPointerData ctid;
} RowVersion;

typedef struct NamedModel
{
	LoadedModel *lm;			/* NULL: a free slot */
	RowVersion	version;		/* the row version it was read from */
	uint64		last_used;
} NamedModel;

static NamedModel named_models[NAMED_MODEL_SLOTS];
static uint64 named_model_clock = 0;
static uint64 named_model_serial = 0;

/* The query for a name's row, prepared once per backend (and schema). */
static SPIPlanPtr model_row_plan = NULL;
static char *model_row_schema = NULL;

/* A call site's model for its current statement (fn_extra). */
typedef struct CallSiteModel
{
	char	   *name;
	uint64		serial;			/* the load it used */
	TransactionId xid;			/* the statement it was checked in */
	CommandId	cid;
} CallSiteModel;

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

static bool
same_row_version(const RowVersion *a, const RowVersion *b)
{
	return a->relid == b->relid && TransactionIdEquals(a->xmin, b->xmin) &&
		ItemPointerEquals((ItemPointer) &a->ctid, (ItemPointer) &b->ctid);
}

/*
 * The row of ser_models under name as this statement sees it, through a
 * plan kept for the backend: its version, and its weights only when
 * weights is not NULL and the version is not known (*weights NULL when
 * there is no row).  The weights column comes back as a TOAST pointer, so
 * only a load reads the megabytes behind it.
 */
static void
fetch_model_row(FunctionCallInfo fcinfo, const char *name, const RowVersion *known, RowVersion *v,
				bytea **weights)
{
	char	   *schema = ser_extension_schema(fcinfo);
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	int			rc;

	memset(v, 0, sizeof(*v));
	*weights = NULL;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (model_row_plan == NULL || strcmp(model_row_schema, schema) != 0)
	{
		char	   *sql = psprintf("SELECT tableoid, xmin, ctid, weights FROM %s.ser_models "
								   "WHERE name OPERATOR(pg_catalog.=) $1", quote_identifier(schema));
		SPIPlanPtr	plan = SPI_prepare(sql, 1, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		if (model_row_plan != NULL)
			SPI_freeplan(model_row_plan);
		model_row_plan = plan;
		if (model_row_schema != NULL)
			pfree(model_row_schema);
		model_row_schema = MemoryContextStrdup(TopMemoryContext, schema);
	}
	args[0] = CStringGetTextDatum(name);
	rc = SPI_execute_plan(model_row_plan, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		v->found = true;
		v->relid = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		v->xmin = DatumGetTransactionId(SPI_getbinval(tuple, desc, 2, &isnull));
		ItemPointerCopy((ItemPointer) DatumGetPointer(SPI_getbinval(tuple, desc, 3, &isnull)), &v->ctid);
		d = SPI_getbinval(tuple, desc, 4, &isnull);
		if (!isnull && (known == NULL || !same_row_version(known, v)))
			*weights = (bytea *) SPI_datumTransfer(PointerGetDatum(PG_DETOAST_DATUM(d)), false, -1);
	}
	SPI_finish();
}

static NamedModel *
named_model_slot(const char *name)
{
	for (int i = 0; i < NAMED_MODEL_SLOTS; i++)
		if (named_models[i].lm != NULL && strcmp(named_models[i].lm->name, name) == 0)
			return &named_models[i];
	return NULL;
}

/*
 * The slot of the model of ser_models under name as this statement sees
 * it, loading it when needed, marked as just used.
 */
static NamedModel *
named_model(FunctionCallInfo fcinfo, const char *name)
{
	NamedModel *slot = named_model_slot(name);
	RowVersion	version;
	bytea	   *weights;
	LoadedModel *lm;

	ser_require_models_privilege(fcinfo, ACL_SELECT);
	fetch_model_row(fcinfo, name, slot != NULL ? &slot->version : NULL, &version, &weights);
	if (weights == NULL && (slot == NULL || !version.found || !same_row_version(&slot->version, &version)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", ser_name_for_message(name)),
				 errhint("Models are rows of ser_models, made by ser_train(); \"%s\" is the model shipped with ser.",
						 SER_DEFAULT_MODEL_NAME)));
	if (weights != NULL)
	{
		/* Parsed before anything is let go: a model that cannot be loaded leaves the cache as it was. */
		lm = load_model_blob(VARDATA_ANY(weights), VARSIZE_ANY_EXHDR(weights), name, TopMemoryContext);
		pfree(weights);
		lm->serial = ++named_model_serial;
		if (slot == NULL)
		{
			/* a free slot, else the one used longest ago */
			slot = &named_models[0];
			for (int i = 1; i < NAMED_MODEL_SLOTS && slot->lm != NULL; i++)
				if (named_models[i].lm == NULL || named_models[i].last_used < slot->last_used)
					slot = &named_models[i];
		}
		if (slot->lm != NULL)
		{
			LoadedModel *old = slot->lm;

			slot->lm = NULL;
			MemoryContextDelete(old->cxt);
		}
		slot->lm = lm;
		slot->version = version;
	}
	slot->last_used = ++named_model_clock;
	return slot;
}

LoadedModel *
ser_get_model(FunctionCallInfo fcinfo, const char *name)
{
	CallSiteModel *site = (CallSiteModel *) fcinfo->flinfo->fn_extra;
	NamedModel *slot;

	if (strcmp(name, SER_DEFAULT_MODEL_NAME) == 0)
		return default_model_load(false);

	/*
	 * The row version is looked up once per statement and call site: PL/pgSQL
	 * keeps a call site's fn_extra for a whole transaction, and a later
	 * statement may follow a ser_train that replaced the model.
	 */
	if (site != NULL && strcmp(site->name, name) == 0 && site->xid == GetTopTransactionIdIfAny() &&
		site->cid == GetCurrentCommandId(false) && (slot = named_model_slot(name)) != NULL &&
		slot->lm->serial == site->serial)
	{
		slot->last_used = ++named_model_clock;
		return slot->lm;
	}
	slot = named_model(fcinfo, name);
	if (site == NULL)
		site = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CallSiteModel));
	if (site->name == NULL || strcmp(site->name, name) != 0)
	{
		if (site->name != NULL)
			pfree(site->name);
		site->name = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, name);
	}
	site->serial = slot->lm->serial;
	site->xid = GetTopTransactionIdIfAny();
	site->cid = GetCurrentCommandId(false);
	return slot->lm;
}

ArrayType *
ser_text_array(char **items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n ? n : 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT);
}
