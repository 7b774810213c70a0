/*
 * db.h — ser-web's use of libpq: one connection per request, named by the
 * usual libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, ...), and
 * every statement sent with its values as parameters (PQexecParams), never
 * pasted into the SQL text.
 */
#ifndef SER_WEB_DB_H
#define SER_WEB_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct DbError
{
	char		sqlstate[6];	/* "" when the failure was not the server's */
	char		message[1024];	/* the server's primary message */
	char		detail[1024];
	char		hint[512];
} DbError;

/* A connection, or NULL with the reason in err. */
PGconn	   *db_connect(DbError *err);

/*
 * Runs sql with text parameters (NULL entries are SQL NULLs); the result
 * when it succeeded, else NULL with the server's message in err.
 */
PGresult   *db_query(PGconn *conn, const char *sql, int nparams, const char *const *values, DbError *err);

/* The same with a bytea parameter first ($1, sent in binary), then text ones. */
PGresult   *db_query_audio(PGconn *conn, const char *sql, const char *audio, size_t audio_len,
						   int ntext, const char *const *text_values, DbError *err);

/* The first value of a query's first row, copied into out; false when none. */
bool		db_scalar(PGconn *conn, const char *sql, int nparams, const char *const *values,
					  char *out, size_t outlen);

#endif
