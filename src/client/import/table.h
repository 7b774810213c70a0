/*
 * table.h — the table an import writes to.
 *
 * Created when missing as
 *
 *   id          bigint identity primary key
 *   path        text     the file's path below the folder named on the command line
 *   sha256      bytea    SHA-256 of the file, unique: the same recording is stored once
 *   audio       bytea    the file, stored out of line without compression attempts
 *   size_bytes  bigint
 *   format      text     container as ser_audio_info() names it (wav, flac, ogg/vorbis, ...)
 *   sample_rate int, channels int, duration_s float8   as decoded
 *   label text, speaker text                            from --metadata or a RAVDESS name
 *   imported_at timestamptz
 *
 * An existing table is used when it has every column the import writes.
 */
#ifndef SER_IMPORT_TABLE_H
#define SER_IMPORT_TABLE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "client/import/hashset.h"

/* The columns a COPY writes, in the order of each row. */
#define IMPORT_COPY_COLUMNS "path, sha256, audio, size_bytes, format, sample_rate, channels, duration_s, label, speaker"
#define IMPORT_COPY_NCOLUMNS 10

/*
 * Quote a possibly schema-qualified table name ("t", "s.t") as an SQL
 * identifier; NULL with a message in error when it is malformed.  The
 * result is malloc'd.
 */
char	   *table_quote_name(PGconn *conn, const char *name, char *error, size_t error_size);

/* Create the table when missing, else check its columns; false with a message in error. */
bool		table_prepare(PGconn *conn, const char *quoted_name, char *error, size_t error_size);

/* Add the SHA-256 of every row already in the table to known; false with a message in error. */
bool		table_read_hashes(PGconn *conn, const char *quoted_name, HashSet *known, char *error, size_t error_size);

#endif							/* SER_IMPORT_TABLE_H */
