/*
 * server.h — the HTTP side of ser-web (libmicrohttpd): routing, the
 * multipart upload with its size bound, and the status of every answer.
 */
#ifndef SER_WEB_SERVER_H
#define SER_WEB_SERVER_H

#include <stddef.h>

typedef struct ServerConfig
{
	const char *listen;			/* IPv4 address to bind, 127.0.0.1 by default */
	int			port;
	size_t		max_upload;		/* largest request body accepted, bytes */
} ServerConfig;

/* Serves until SIGINT or SIGTERM; 0 on a clean stop, 1 when it cannot start. */
int			server_run(const ServerConfig *config);

#endif
