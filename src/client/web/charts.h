/*
 * charts.h — the charts of ser-web as inline SVG: horizontal bars (a
 * probability or recall per class, a count per group) and a heat map (a
 * confusion matrix).  They scale with the page (viewBox, width 100 %), so
 * the same markup reads on a phone and a desktop, and carry data-*
 * attributes with the exact values drawn, which the tests compare with SQL.
 */
#ifndef SER_WEB_CHARTS_H
#define SER_WEB_CHARTS_H

#include "html.h"

typedef enum BarScale
{
	BARS_FRACTION,				/* values in [0, 1], shown as 0.000 */
	BARS_COUNT,					/* counts, scaled to the largest, shown as integers */
	BARS_SECONDS				/* durations, scaled to the largest, shown as 0.00 s */
} BarScale;

/*
 * n bars labelled labels[i] of values[i]; highlight (or -1) is drawn in the
 * accent colour (the predicted class).  title describes the chart to
 * screen readers.
 */
void		chart_bars(Html *h, const char *title, const char *const *labels, const double *values,
					   int n, BarScale scale, int highlight);

/*
 * An n x n matrix of counts (row = true class, column = predicted), each
 * cell shaded by its share of its row, with the count written in it.
 */
void		chart_heat_map(Html *h, const char *title, const char *const *labels, const double *counts, int n);

#endif
