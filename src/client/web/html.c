/*
 * html.c — the page buffer.  Everything that comes from the database or
 * the request is written with html_text(), which escapes the five
 * characters that matter in element content and in quoted attributes.
 */
#include "html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
html_init(Html *h)
{
	memset(h, 0, sizeof(*h));
}

void
html_free(Html *h)
{
	free(h->data);
	memset(h, 0, sizeof(*h));
}

static bool
reserve(Html *h, size_t extra)
{
	size_t		need;
	size_t		cap;
	char	   *grown;

	if (h->failed)
		return false;
	need = h->len + extra + 1;
	if (need <= h->cap)
		return true;
	cap = h->cap ? h->cap : 4096;
	while (cap < need)
		cap *= 2;
	grown = realloc(h->data, cap);
	if (grown == NULL)
	{
		h->failed = true;
		return false;
	}
	h->data = grown;
	h->cap = cap;
	return true;
}

static void
append(Html *h, const char *s, size_t n)
{
	if (!reserve(h, n))
		return;
	memcpy(h->data + h->len, s, n);
	h->len += n;
	h->data[h->len] = '\0';
}

void
html_raw(Html *h, const char *markup)
{
	append(h, markup, strlen(markup));
}

void
html_rawf(Html *h, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(h, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(h->data + h->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	h->len += (size_t) n;
}

void
html_text(Html *h, const char *text)
{
	const char *run = text;
	const char *p;

	if (text == NULL)
		return;
	for (p = text; *p; p++)
	{
		const char *entity;

		switch (*p)
		{
			case '&': entity = "&amp;"; break;
			case '<': entity = "&lt;"; break;
			case '>': entity = "&gt;"; break;
			case '"': entity = "&quot;"; break;
			case '\'': entity = "&#39;"; break;
			default: continue;
		}
		append(h, run, (size_t) (p - run));
		html_raw(h, entity);
		run = p + 1;
	}
	append(h, run, (size_t) (p - run));
}

void
html_number(Html *h, const char *fmt, double value)
{
	char		buf[64];

	snprintf(buf, sizeof(buf), fmt, value);
	html_raw(h, buf);
}

char *
html_take(Html *h, size_t *len)
{
	char	   *data;

	if (h->failed || !reserve(h, 0))
	{
		html_free(h);
		return NULL;
	}
	data = h->data;
	*len = h->len;
	memset(h, 0, sizeof(*h));
	return data;
}
