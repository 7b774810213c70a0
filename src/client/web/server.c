/*
 * server.c — ser-web's HTTP server on libmicrohttpd: one thread per
 * connection (a page is a few blocking queries on the request's own libpq
 * connection), at most MAX_CONNECTIONS at a time, so memory is bounded by
 * MAX_CONNECTIONS x the upload bound.  Every answer is a page: 404 for a
 * path outside the app, 405 for a method a path does not take, 413 for a
 * body beyond the bound (refused before it is read when its length is
 * announced), 415 for an upload that is not multipart/form-data, 503 when
 * the database cannot be reached.
 */
#include "server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "pages.h"

#define MAX_CONNECTIONS 8
#define POST_BUFFER 65536

typedef struct Request
{
	bool		is_post;
	struct MHD_PostProcessor *post;
	Upload	   *upload;
	bool		skipping_file;	/* the current file is beyond MAX_UPLOAD_FILES */
	size_t		received;
	bool		answered;		/* a response was queued before the body was read */
	bool		too_large;		/* the body went past the bound: 413 when it ends */
	bool		malformed;		/* the multipart parser gave up: 400 when it ends */
} Request;

static const ServerConfig *config;

static bool
is_path(const char *url, const char *path)
{
	return strcmp(url, path) == 0;
}

static bool
known_path(const char *url)
{
	return is_path(url, "/") || is_path(url, "/predict") || is_path(url, "/dataset") || is_path(url, "/model");
}

static enum MHD_Result
send_page(struct MHD_Connection *connection, const char *method, const char *url, Page *page)
{
	static const char out_of_memory[] = "ser-web: out of memory\n";
	struct MHD_Response *response;
	enum MHD_Result ret;
	size_t		len;
	char	   *body = html_take(&page->body, &len);

	if (body)
		response = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	else
	{
		page->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		response = MHD_create_response_from_buffer(sizeof(out_of_memory) - 1, (void *) out_of_memory,
												   MHD_RESPMEM_PERSISTENT);
	}
	if (response == NULL)
	{
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
							body ? "text/html; charset=utf-8" : "text/plain; charset=utf-8");
	/* Nothing on a page may come from elsewhere, or run. */
	MHD_add_response_header(response, "Content-Security-Policy",
							"default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
							"base-uri 'none'; frame-ancestors 'none'");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (page->allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, page->allow);
	ret = MHD_queue_response(connection, (unsigned int) page->status, response);
	MHD_destroy_response(response);
	fprintf(stderr, "ser-web: %s %s %d\n", method, url, page->status);
	return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *connection, const char *method, const char *url, int status,
		   const char *title, const char *message, const char *hint)
{
	Page		page;

	page_init(&page);
	page_error(&page, status, title, message, hint);
	return send_page(connection, method, url, &page);
}

/* Appends to a short text field of the form, bounded by its buffer. */
static void
append_field(char *field, size_t cap, const char *data, uint64_t off, size_t size)
{
	size_t		at = strlen(field);

	(void) off;
	if (at + size >= cap)
		size = cap - 1 - at;
	memcpy(field + at, data, size);
	field[at + size] = '\0';
}

static bool
append_file(UploadFile *f, const char *data, size_t size)
{
	if (f->len + size > f->cap)
	{
		size_t		cap = f->cap ? f->cap : 65536;
		char	   *grown;

		while (cap < f->len + size)
			cap *= 2;
		grown = realloc(f->data, cap);
		if (grown == NULL)
			return false;
		f->data = grown;
		f->cap = cap;
	}
	memcpy(f->data + f->len, data, size);
	f->len += size;
	return true;
}

static enum MHD_Result
iterate_post(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
			 const char *content_type, const char *transfer_encoding, const char *data,
			 uint64_t off, size_t size)
{
	Request    *req = cls;
	Upload	   *u = req->upload;

	(void) kind;
	(void) content_type;
	(void) transfer_encoding;
	if (strcmp(key, "audio") == 0)
	{
		if (off == 0)
		{
			const char *base;

			/* A file input left empty sends a part without a file name. */
			if (filename == NULL || filename[0] == '\0')
			{
				req->skipping_file = true;
				return MHD_YES;
			}
			if (u->n_files == MAX_UPLOAD_FILES)
			{
				u->dropped_files++;
				req->skipping_file = true;
				return MHD_YES;
			}
			req->skipping_file = false;
			base = strrchr(filename, '/');
			snprintf(u->files[u->n_files].name, sizeof(u->files[0].name), "%s", base ? base + 1 : filename);
			u->n_files++;
		}
		if (req->skipping_file || size == 0)
			return MHD_YES;
		return append_file(&u->files[u->n_files - 1], data, size) ? MHD_YES : MHD_NO;
	}
	if (strcmp(key, "model") == 0)
		append_field(u->model, sizeof(u->model), data, off, size);
	else if (strcmp(key, "profile") == 0)
		append_field(u->profile, sizeof(u->profile), data, off, size);
	else if (strcmp(key, "store") == 0)
		append_field(u->store, sizeof(u->store), data, off, size);
	return MHD_YES;
}

static void
request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
				  enum MHD_RequestTerminationCode toe)
{
	Request    *req = *con_cls;
	int			i;

	(void) cls;
	(void) connection;
	(void) toe;
	if (req == NULL)
		return;
	if (req->post)
		MHD_destroy_post_processor(req->post);
	if (req->upload)
	{
		for (i = 0; i < req->upload->n_files; i++)
			free(req->upload->files[i].data);
		free(req->upload);
	}
	free(req);
	*con_cls = NULL;
}

static bool
digits_only(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The page of a complete request, on a connection of its own. */
static enum MHD_Result
answer(struct MHD_Connection *connection, const char *method, const char *url, Request *req)
{
	Page		page;
	DbError		err;
	PGconn	   *conn;
	enum MHD_Result ret;

	if (req && req->upload && !digits_only(req->upload->profile))
		return send_error(connection, method, url, MHD_HTTP_BAD_REQUEST, "Bad request",
						  "The speaker profile must be a RAVDESS actor number.", "Choose one from the form.");
	conn = db_connect(&err);
	if (conn == NULL)
		return send_error(connection, method, url, MHD_HTTP_SERVICE_UNAVAILABLE, "Database unavailable",
						  err.message,
						  "ser-web connects with the usual libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE): "
						  "check that the server runs and that they name it.");
	page_init(&page);
	if (req && req->is_post)
		page_predict(conn, &page, req->upload);
	else if (is_path(url, "/"))
		page_home(conn, &page);
	else if (is_path(url, "/predict"))
		page_predict_form(conn, &page);
	else if (is_path(url, "/dataset"))
		page_dataset(conn, &page,
					 MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "table"),
					 MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "audio"),
					 MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "label"));
	else
		page_model(conn, &page);
	PQfinish(conn);
	ret = send_page(connection, method, url, &page);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
	   const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	Request    *req = *con_cls;
	bool		get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool		post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	(void) cls;
	(void) version;
	if (req == NULL)
	{
		/* The first call: only the headers are known. */
		const char *type;
		const char *length;

		if (!known_path(url))
			return send_error(connection, method, url, MHD_HTTP_NOT_FOUND, "Not found",
							  "There is no page at this address.",
							  "The pages are / (home and upload), /predict, /dataset and /model.");
		if (!get && !(post && is_path(url, "/predict")))
		{
			Page		page;

			page_init(&page);
			page_error(&page, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
					   "This page does not take this method.",
					   is_path(url, "/predict") ? "Send the upload form (POST) or open the page (GET)."
					   : "Open the page with GET; uploads go to /predict.");
			page.allow = is_path(url, "/predict") ? "GET, HEAD, POST" : "GET, HEAD";
			return send_page(connection, method, url, &page);
		}
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		if (get)
			return MHD_YES;
		req->is_post = true;
		type = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (type == NULL || strncasecmp(type, "multipart/form-data", 19) != 0)
		{
			req->answered = true;
			return send_error(connection, method, url, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported upload",
							  "Recordings are uploaded as multipart/form-data, with the files in the field \"audio\".",
							  "Use the form of this page, or curl -F audio=@FILE.");
		}
		length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (length && strtoull(length, NULL, 10) > config->max_upload)
		{
			char		message[256];

			req->answered = true;
			snprintf(message, sizeof(message), "The upload is %s bytes; this server takes at most %zu.",
					 length, config->max_upload);
			return send_error(connection, method, url, MHD_HTTP_CONTENT_TOO_LARGE, "Upload too large", message,
							  "The bound follows ser.max_duration (or ser-web --max-upload-mb): split long "
							  "recordings, or send fewer files at a time.");
		}
		req->upload = calloc(1, sizeof(*req->upload));
		req->post = MHD_create_post_processor(connection, POST_BUFFER, iterate_post, req);
		if (req->upload == NULL || req->post == NULL)
		{
			req->answered = true;
			return send_error(connection, method, url, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported upload",
							  "The multipart body could not be parsed (no boundary?).",
							  "Use the form of this page, or curl -F audio=@FILE.");
		}
		return MHD_YES;
	}
	if (req->answered)
	{
		*upload_data_size = 0;	/* the answer is out: the rest is not read */
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		size_t		size = *upload_data_size;

		req->received += size;
		*upload_data_size = 0;
		if (req->received > config->max_upload)
		{
			/*
			 * A body of unannounced length past the bound: nothing more is
			 * kept, and the 413 goes out when it ends (libmicrohttpd does
			 * not answer in the middle of a body it is reading); one that
			 * goes on far past the bound loses its connection.
			 */
			req->too_large = true;
			return req->received > 4 * config->max_upload ? MHD_NO : MHD_YES;
		}
		/* A body on a GET is counted and dropped. */
		if (req->post && !req->too_large && !req->malformed &&
			MHD_post_process(req->post, upload_data, size) != MHD_YES)
			req->malformed = true;
		return MHD_YES;
	}
	if (req->malformed)
		return send_error(connection, method, url, MHD_HTTP_BAD_REQUEST, "Bad upload",
						  "The multipart body is malformed, or memory ran out while reading it.",
						  "Use the form of this page, or curl -F audio=@FILE.");
	if (req->too_large)
	{
		char		message[256];

		snprintf(message, sizeof(message), "The upload is larger than the %zu bytes this server takes.",
				 config->max_upload);
		return send_error(connection, method, url, MHD_HTTP_CONTENT_TOO_LARGE, "Upload too large", message,
						  "The bound follows ser.max_duration (or ser-web --max-upload-mb): split long "
						  "recordings, or send fewer files at a time.");
	}
	return answer(connection, method, url, req);
}

int
server_run(const ServerConfig *cfg)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *daemon;
	sigset_t	signals;
	int			signal_number;

	config = cfg;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) cfg->port);
	if (inet_pton(AF_INET, cfg->listen, &addr.sin_addr) != 1)
	{
		fprintf(stderr, "ser-web: \"%s\" is not an IPv4 address\n", cfg->listen);
		return 1;
	}
	/* Signals are taken by sigwait below, not by the server's threads. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&signals);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
							  (uint16_t) cfg->port, NULL, NULL, handle, NULL,
							  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
							  MHD_OPTION_CONNECTION_LIMIT, (unsigned int) MAX_CONNECTIONS,
							  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 120,
							  MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
							  MHD_OPTION_END);
	if (daemon == NULL)
	{
		fprintf(stderr, "ser-web: could not listen on %s:%d (in use, or not an address of this machine?)\n",
				cfg->listen, cfg->port);
		return 1;
	}
	printf("ser-web: http://%s:%d/ (uploads up to %zu bytes)\n", cfg->listen, cfg->port, cfg->max_upload);
	fflush(stdout);
	sigwait(&signals, &signal_number);
	MHD_stop_daemon(daemon);
	return 0;
}
