/*
 * html.h — a growable text buffer for the pages of ser-web, with the one
 * escaping function every piece of text from the database or the request
 * goes through before it reaches the page.
 */
#ifndef SER_WEB_HTML_H
#define SER_WEB_HTML_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Html
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		failed;			/* an allocation failed: the page is incomplete */
} Html;

void		html_init(Html *h);
void		html_free(Html *h);
/* Raw markup (never text that came from outside). */
void		html_raw(Html *h, const char *markup);
void		html_rawf(Html *h, const char *fmt,...) __attribute__((format(printf, 2, 3)));
/* Text, escaped for element content and quoted attribute values. */
void		html_text(Html *h, const char *text);
/* A number in a fixed format, e.g. html_number(h, "%.3f", x). */
void		html_number(Html *h, const char *fmt, double value);
/* Takes the buffer (NUL-terminated) out of h; NULL when an allocation failed. */
char	   *html_take(Html *h, size_t *len);

#endif
