/*
 * charts.c — inline SVG charts.  Coordinates are in a fixed viewBox and the
 * SVG is as wide as its container, so a chart shrinks on a phone instead
 * of overflowing it.  Labels are escaped like every other text.
 */
#include "charts.h"

#include <math.h>
#include <string.h>

#define BAR_ROW 26				/* height of one bar's row */
#define BAR_LABEL 110			/* room for the class name */
#define BAR_WIDTH 230			/* longest bar */
#define BAR_VALUE 60			/* room for the value after the bar */
#define BAR_LABEL_CHARS 16		/* longer labels are shortened (in full in the tooltip) */

/* label, or its first BAR_LABEL_CHARS characters and an ellipsis. */
static void
short_label(Html *h, const char *label)
{
	char		buf[BAR_LABEL_CHARS * 4 + 8];
	size_t		bytes = 0;
	int			chars = 0;

	while (label[bytes] && chars < BAR_LABEL_CHARS)
	{
		bytes++;
		while ((label[bytes] & 0xC0) == 0x80)	/* UTF-8 continuation bytes */
			bytes++;
		chars++;
	}
	if (label[bytes] == '\0')
	{
		html_text(h, label);
		return;
	}
	memcpy(buf, label, bytes);
	strcpy(buf + bytes, "\xe2\x80\xa6");	/* an ellipsis */
	html_text(h, buf);
}

void
chart_bars(Html *h, const char *title, const char *const *labels, const double *values,
		   int n, BarScale scale, int highlight)
{
	double		max = 0;
	int			i;
	int			height = n * BAR_ROW + 4;

	for (i = 0; i < n; i++)
		if (isfinite(values[i]) && values[i] > max)
			max = values[i];
	if (scale == BARS_FRACTION || max <= 0)
		max = 1.0;				/* probabilities and recalls on their own scale */

	html_rawf(h, "<svg class=\"chart bars\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
			  BAR_LABEL + BAR_WIDTH + BAR_VALUE, height);
	html_text(h, title);
	html_raw(h, "\"><title>");
	html_text(h, title);
	html_raw(h, "</title>");
	for (i = 0; i < n; i++)
	{
		double		v = isfinite(values[i]) ? values[i] : 0;
		double		w = v / max * BAR_WIDTH;
		int			y = i * BAR_ROW + 2;

		html_raw(h, "<g class=\"bar\" data-label=\"");
		html_text(h, labels[i]);
		html_raw(h, "\" data-value=\"");
		html_number(h, scale == BARS_COUNT ? "%.0f" : "%.4f", v);
		html_raw(h, "\"><title>");
		html_text(h, labels[i]);
		html_rawf(h, "</title><text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"label\">", BAR_LABEL - 8, y + 17);
		short_label(h, labels[i]);
		html_rawf(h, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"track\"/>",
				  BAR_LABEL, y + 3, BAR_WIDTH, BAR_ROW - 8);
		html_rawf(h, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"%s\"/>",
				  BAR_LABEL, y + 3, w < 0 ? 0 : w, BAR_ROW - 8, i == highlight ? "fill accent" : "fill");
		html_rawf(h, "<text x=\"%d\" y=\"%d\" class=\"value\">", BAR_LABEL + BAR_WIDTH + 6, y + 17);
		if (scale == BARS_COUNT)
			html_number(h, "%.0f", v);
		else if (scale == BARS_SECONDS)
			html_number(h, "%.2f s", v);
		else
			html_number(h, "%.3f", v);
		html_raw(h, "</text></g>");
	}
	html_raw(h, "</svg>\n");
}

#define CELL 40
#define MARGIN 96				/* room for the row and column class names */

void
chart_heat_map(Html *h, const char *title, const char *const *labels, const double *counts, int n)
{
	int			size = MARGIN + n * CELL + 4;
	int			width = size + 44;	/* the last column name leans right */
	int			r,
				c;

	html_rawf(h, "<svg class=\"chart heat\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", width, size + 16);
	html_text(h, title);
	html_raw(h, "\"><title>");
	html_text(h, title);
	html_raw(h, "</title>");
	html_rawf(h, "<text x=\"%d\" y=\"12\" text-anchor=\"middle\" class=\"axis\">predicted</text>",
			  MARGIN + n * CELL / 2);
	html_rawf(h, "<text x=\"12\" y=\"%d\" text-anchor=\"middle\" class=\"axis\" "
			  "transform=\"rotate(-90 12 %d)\">true</text>", MARGIN + n * CELL / 2, MARGIN + n * CELL / 2);
	for (c = 0; c < n; c++)
	{
		int			x = MARGIN + c * CELL + CELL / 2;

		html_rawf(h, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-50 %d %d)\" class=\"label\">",
				  x, MARGIN - 6, x, MARGIN - 6);
		html_text(h, labels[c]);
		html_raw(h, "</text>");
	}
	for (r = 0; r < n; r++)
	{
		double		row_total = 0;
		int			y = MARGIN + r * CELL;

		for (c = 0; c < n; c++)
			row_total += counts[r * n + c];
		html_rawf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"label\">", MARGIN - 6, y + CELL / 2 + 5);
		html_text(h, labels[r]);
		html_raw(h, "</text>");
		for (c = 0; c < n; c++)
		{
			double		v = counts[r * n + c];
			double		share = row_total > 0 ? v / row_total : 0;

			html_raw(h, "<g class=\"cell\" data-actual=\"");
			html_text(h, labels[r]);
			html_raw(h, "\" data-predicted=\"");
			html_text(h, labels[c]);
			html_rawf(h, "\" data-value=\"%.0f\">", v);
			html_rawf(h, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"%s/>",
					  MARGIN + c * CELL, y, CELL - 2, CELL - 2,
					  (int) lround(245 - share * (245 - 29)), (int) lround(247 - share * (247 - 78)),
					  (int) lround(250 - share * (250 - 216)), r == c ? " class=\"diagonal\"" : "");
			html_rawf(h, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"%s\">%.0f</text></g>",
					  MARGIN + c * CELL + CELL / 2 - 1, y + CELL / 2 + 4, share > 0.45 ? "count light" : "count", v);
		}
	}
	html_raw(h, "</svg>\n");
}
