/*
 * table.c — create or check the import's table, read what it holds
 * (see table.h).
 */
#include "client/import/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
table_quote_name(PGconn *conn, const char *name, char *error, size_t error_size)
{
	const char *dot = strchr(name, '.');
	char	   *schema = NULL;
	char	   *table;
	char	   *result;

	if (name[0] == '\0' || (dot && (dot == name || dot[1] == '\0' || strchr(dot + 1, '.'))))
	{
		snprintf(error, error_size, "invalid table name \"%s\": give TABLE or SCHEMA.TABLE", name);
		return NULL;
	}
	if (dot)
	{
		schema = PQescapeIdentifier(conn, name, (size_t) (dot - name));
		table = PQescapeIdentifier(conn, dot + 1, strlen(dot + 1));
	}
	else
		table = PQescapeIdentifier(conn, name, strlen(name));
	if (table == NULL || (dot && schema == NULL))
	{
		snprintf(error, error_size, "invalid table name \"%s\": %s", name, PQerrorMessage(conn));
		PQfreemem(schema);
		PQfreemem(table);
		return NULL;
	}
	result = malloc((schema ? strlen(schema) + 1 : 0) + strlen(table) + 1);
	if (result != NULL)
		sprintf(result, "%s%s%s", schema ? schema : "", schema ? "." : "", table);
	else
		snprintf(error, error_size, "out of memory");
	PQfreemem(schema);
	PQfreemem(table);
	return result;
}

/* Run a command; false with the server's message in error. */
static bool
run(PGconn *conn, const char *sql, char *error, size_t error_size)
{
	PGresult   *res = PQexec(conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		snprintf(error, error_size, "%s", PQerrorMessage(conn));
	PQclear(res);
	return ok;
}

/* Created with the audio column stored out of line uncompressed (audio is compressed already). */
static const char create_sql[] =
"CREATE TABLE IF NOT EXISTS %s (\n"
"    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
"    path        text NOT NULL,\n"
"    sha256      bytea NOT NULL UNIQUE CHECK (length(sha256) = 32),\n"
"    audio       bytea NOT NULL,\n"
"    size_bytes  bigint NOT NULL CHECK (size_bytes = length(audio)),\n"
"    format      text NOT NULL,\n"
"    sample_rate int NOT NULL,\n"
"    channels    int NOT NULL,\n"
"    duration_s  float8 NOT NULL,\n"
"    label       text,\n"
"    speaker     text,\n"
"    imported_at timestamptz NOT NULL DEFAULT now()\n"
");\n"
"ALTER TABLE %s ALTER COLUMN audio SET STORAGE EXTERNAL";

bool
table_prepare(PGconn *conn, const char *quoted_name, char *error, size_t error_size)
{
	static const char *const columns[] = {"path", "sha256", "audio", "size_bytes", "format", "sample_rate",
	"channels", "duration_s", "label", "speaker"};
	char	   *sql;
	PGresult   *res;
	const char *params[1] = {quoted_name};
	char		missing[256] = "";
	bool		ok;

	res = PQexecParams(conn, "SELECT pg_catalog.to_regclass($1) IS NULL", 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(error, error_size, "%s", PQerrorMessage(conn));
		PQclear(res);
		return false;
	}
	ok = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (ok)
	{
		sql = malloc(sizeof(create_sql) + 2 * strlen(quoted_name));
		if (sql == NULL)
		{
			snprintf(error, error_size, "out of memory");
			return false;
		}
		sprintf(sql, create_sql, quoted_name, quoted_name);
		/* One transaction: the table exists with its storage setting, or not at all. */
		ok = run(conn, "BEGIN", error, error_size) && run(conn, sql, error, error_size) &&
			run(conn, "COMMIT", error, error_size);
		free(sql);
		if (!ok)
		{
			PQclear(PQexec(conn, "ROLLBACK"));
			return false;
		}
	}

	res = PQexecParams(conn,
					   "SELECT attname FROM pg_catalog.pg_attribute "
					   "WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(error, error_size, "%s", PQerrorMessage(conn));
		PQclear(res);
		return false;
	}
	for (size_t c = 0; c < sizeof(columns) / sizeof(columns[0]); c++)
	{
		bool		found = false;

		for (int r = 0; r < PQntuples(res) && !found; r++)
			found = strcmp(PQgetvalue(res, r, 0), columns[c]) == 0;
		if (!found)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
					 missing[0] ? ", " : "", columns[c]);
	}
	PQclear(res);
	if (missing[0])
	{
		snprintf(error, error_size,
				 "table %s exists but lacks the columns %s: name another table with --table, "
				 "or add the columns (see ser-import --help)", quoted_name, missing);
		return false;
	}
	return true;
}

bool
table_read_hashes(PGconn *conn, const char *quoted_name, HashSet *known, char *error, size_t error_size)
{
	char	   *sql = malloc(strlen(quoted_name) + 64);
	PGresult   *res;
	bool		ok = true;

	if (sql == NULL)
	{
		snprintf(error, error_size, "out of memory");
		return false;
	}
	sprintf(sql, "SELECT sha256 FROM %s WHERE length(sha256) = 32", quoted_name);
	/* Binary results: the digests arrive as their 32 bytes. */
	res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 1);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		snprintf(error, error_size, "%s", PQerrorMessage(conn));
		PQclear(res);
		return false;
	}
	for (int r = 0; r < PQntuples(res) && ok; r++)
	{
		bool		added;

		if (!hashset_add(known, (const unsigned char *) PQgetvalue(res, r, 0), &added))
		{
			snprintf(error, error_size, "out of memory");
			ok = false;
		}
	}
	PQclear(res);
	return ok;
}
