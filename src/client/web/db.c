/*
 * db.c — connections and parameterised statements.  Failures keep the
 * server's SQLSTATE and message so that a page can say what went wrong in
 * the server's own words (a decoder error, a missing table) and choose its
 * HTTP status from the SQLSTATE.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMS 8

static void
copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void
ignore_notice(void *arg, const char *message)
{
	(void) arg;
	(void) message;
}

PGconn *
db_connect(DbError *err)
{
	/* Everything else comes from the environment (PGHOST, PGPORT, ...). */
	static const char *const keys[] = {"fallback_application_name", "dbname", NULL};
	static const char *const values[] = {"ser-web", "", NULL};
	PGconn	   *conn;

	memset(err, 0, sizeof(*err));
	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL)
	{
		copy(err->message, sizeof(err->message), "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		char	   *nl;

		copy(err->message, sizeof(err->message), PQerrorMessage(conn));
		nl = strrchr(err->message, '\n');
		if (nl && nl[1] == '\0')
			*nl = '\0';
		PQfinish(conn);
		return NULL;
	}
	/* NOTICEs (e.g. "already exists, skipping") are not for the terminal. */
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	return conn;
}

static PGresult *
check(PGconn *conn, PGresult *res, DbError *err)
{
	memset(err, 0, sizeof(*err));
	if (res && (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK))
		return res;
	if (res)
	{
		copy(err->sqlstate, sizeof(err->sqlstate), PQresultErrorField(res, PG_DIAG_SQLSTATE));
		copy(err->message, sizeof(err->message), PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		copy(err->detail, sizeof(err->detail), PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
		copy(err->hint, sizeof(err->hint), PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
		PQclear(res);
	}
	if (err->message[0] == '\0')
		copy(err->message, sizeof(err->message), PQerrorMessage(conn));
	return NULL;
}

PGresult *
db_query(PGconn *conn, const char *sql, int nparams, const char *const *values, DbError *err)
{
	return check(conn, PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, 0), err);
}

PGresult *
db_query_audio(PGconn *conn, const char *sql, const char *audio, size_t audio_len,
			   int ntext, const char *const *text_values, DbError *err)
{
	const char *values[MAX_PARAMS];
	int			lengths[MAX_PARAMS] = {0};
	int			formats[MAX_PARAMS] = {0};
	int			i;

	if (ntext + 1 > MAX_PARAMS || audio_len > 0x7fffffff)
	{
		memset(err, 0, sizeof(*err));
		copy(err->message, sizeof(err->message), "too many parameters or too large a recording");
		return NULL;
	}
	values[0] = audio;
	lengths[0] = (int) audio_len;
	formats[0] = 1;				/* binary: the bytes as they are, no escaping */
	for (i = 0; i < ntext; i++)
		values[i + 1] = text_values[i];
	return check(conn, PQexecParams(conn, sql, ntext + 1, NULL, values, lengths, formats, 0), err);
}

bool
db_scalar(PGconn *conn, const char *sql, int nparams, const char *const *values, char *out, size_t outlen)
{
	DbError		err;
	PGresult   *res = db_query(conn, sql, nparams, values, &err);
	bool		found;

	if (res == NULL)
		return false;
	found = PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0);
	if (found)
		copy(out, outlen, PQgetvalue(res, 0, 0));
	PQclear(res);
	return found;
}
