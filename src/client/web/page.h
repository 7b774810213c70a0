/*
 * page.h — what every page of ser-web shares: the response (status and
 * HTML), the layout (head, style, navigation, footer) and the error page.
 */
#ifndef SER_WEB_PAGE_H
#define SER_WEB_PAGE_H

#include "html.h"

typedef struct Page
{
	int			status;			/* HTTP status */
	const char *allow;			/* the Allow header of a 405, else NULL */
	Html		body;
} Page;

void		page_init(Page *p);
/* The document up to the opening of <main>; active names the nav entry. */
void		page_begin(Html *h, const char *title, const char *active);
void		page_end(Html *h);

/*
 * Replaces the page with an error page: status, a title, the message (the
 * server's own words where it has them) and what to do.
 */
void		page_error(Page *p, int status, const char *title, const char *message, const char *hint);

#endif
