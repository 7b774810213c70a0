/*
 * page.c — the layout of every page.  One inline style sheet (nothing is
 * fetched from anywhere), a navigation bar, and a layout that stacks on a
 * narrow screen: cards are a grid of columns at least 18 rem wide, tables
 * scroll sideways inside their box, charts scale with their container.
 */
#include "page.h"

#include <string.h>

static const char style[] =
	":root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--bg:#f5f7fa;--card:#fff;"
	"--accent:#1d4ed8;--bar:#93b4f0;--bad:#b42318;--badbg:#fef3f2}"
	"*{box-sizing:border-box}"
	"body{margin:0;font-family:'DejaVu Sans',system-ui,sans-serif;color:var(--ink);background:var(--bg);"
	"line-height:1.45;font-size:16px}"
	"header{background:#102a43;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1.2rem}"
	"header .brand{font-weight:bold;font-size:1.15rem;color:#fff;text-decoration:none}"
	"nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem}"
	"nav a{color:#bcccdc;text-decoration:none;padding:.2rem 0}"
	"nav a.active{color:#fff;border-bottom:2px solid #fff}"
	"main{max-width:72rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.5rem;margin:.4rem 0 .8rem}h2{font-size:1.2rem;margin:1.2rem 0 .6rem}h3{font-size:1.05rem;margin:.2rem 0 .5rem}"
	".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}"
	".card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.9rem 1rem;min-width:0}"
	".wide{grid-column:1/-1}"
	".stat{font-size:1.6rem;font-weight:bold}.muted{color:var(--muted)}"
	".error{background:var(--badbg);border-color:#fda29b;color:var(--bad)}"
	".emotion{font-size:1.4rem;font-weight:bold;color:var(--accent)}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;width:100%;font-size:.92rem}"
	"th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
	"code,pre{font-family:'DejaVu Sans Mono',monospace;font-size:.85rem}"
	"pre{background:#f0f4f8;padding:.6rem;overflow-x:auto;white-space:pre-wrap;border-radius:6px}"
	"details summary{cursor:pointer;color:var(--muted)}"
	"form{display:grid;grid-template-columns:minmax(0,1fr);gap:.7rem}form.card{margin-top:1rem}label{font-weight:bold}"
	"input,select,button{font:inherit;padding:.4rem;max-width:100%}"
	"button{background:var(--accent);color:#fff;border:0;border-radius:6px;padding:.5rem 1.2rem;cursor:pointer;justify-self:start}"
	"svg.chart{width:100%;height:auto;display:block}svg.heat{max-width:34rem}"
	"svg text{font-family:'DejaVu Sans',sans-serif;font-size:12px;fill:var(--ink)}"
	"svg text.count{font-size:11px}svg text.light{fill:#fff}svg text.axis{fill:var(--muted)}"
	"svg .track{fill:#eef2f7}svg .fill{fill:var(--bar)}svg .accent{fill:var(--accent)}"
	"svg .diagonal{stroke:#102a43;stroke-width:1}"
	"footer{max-width:72rem;margin:1rem auto;padding:0 1rem 2rem;color:var(--muted);font-size:.85rem}";

static const struct
{
	const char *path;
	const char *name;
}			nav[] = {
	{"/", "Home"}, {"/predict", "Upload & predict"}, {"/dataset", "Dataset"}, {"/model", "Model"}
};

void
page_init(Page *p)
{
	p->status = 200;
	p->allow = NULL;
	html_init(&p->body);
}

void
page_begin(Html *h, const char *title, const char *active)
{
	size_t		i;

	html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	html_text(h, title);
	html_raw(h, " — ser</title><style>");
	html_raw(h, style);
	html_raw(h, "</style></head><body><header><a class=\"brand\" href=\"/\">ser</a><nav>");
	for (i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
		html_rawf(h, "<a href=\"%s\"%s>%s</a>", nav[i].path,
				  active && strcmp(active, nav[i].path) == 0 ? " class=\"active\"" : "", nav[i].name);
	html_raw(h, "</nav></header><main>\n<h1>");
	html_text(h, title);
	html_raw(h, "</h1>\n");
}

void
page_end(Html *h)
{
	html_raw(h, "</main><footer>ser — speech emotion recognition inside PostgreSQL. "
			 "Every figure on this page is a query; the README shows them.</footer></body></html>\n");
}

void
page_error(Page *p, int status, const char *title, const char *message, const char *hint)
{
	html_free(&p->body);
	html_init(&p->body);
	p->status = status;
	page_begin(&p->body, title, NULL);
	html_raw(&p->body, "<div class=\"card error\" id=\"error\" data-status=\"");
	html_number(&p->body, "%.0f", status);
	html_raw(&p->body, "\"><p>");
	html_text(&p->body, message);
	html_raw(&p->body, "</p>");
	if (hint && *hint)
	{
		html_raw(&p->body, "<p class=\"muted\">");
		html_text(&p->body, hint);
		html_raw(&p->body, "</p>");
	}
	html_raw(&p->body, "</div><p><a href=\"/\">Back to the home page</a></p>");
	page_end(&p->body);
}
