/*
 * metrics.c — folds and metrics.  See metrics.h for why splits are by group.
 *
 * Group bookkeeping sorts (group id, clip index) pairs once; n is a corpus
 * (thousands of clips), so O(n log n) with no hashing is simple and plenty.
 */
#include "model/metrics.h"

#include "model/rng.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int
ser_argmax(const float *probs, int n)
{
	int			best = 0;

	for (int k = 1; k < n; k++)
		if (probs[k] > probs[best])
			best = k;
	return best;
}

SerStatus
ser_confusion_matrix(const int *truth, const int *pred, int n, int k, int *confusion,
					 SerError *err)
{
	if (k < 1 || k > SER_METRICS_MAX_CLASSES)
		return ser_error(err, SER_EINVAL, "number of classes must be between 1 and %d", SER_METRICS_MAX_CLASSES);
	memset(confusion, 0, sizeof(int) * (size_t) k * k);
	for (int i = 0; i < n; i++)
	{
		if (truth[i] < 0 || truth[i] >= k || pred[i] < 0 || pred[i] >= k)
			return ser_error(err, SER_EINVAL, "class index out of range at clip %d", i);
		confusion[truth[i] * k + pred[i]]++;
	}
	return SER_OK;
}

SerStatus
ser_metrics_from_confusion(const int *confusion, int k, SerMetrics *m, SerError *err)
{
	int			correct = 0;
	int			present = 0;
	double		recall_sum = 0.0;
	double		f1_sum = 0.0;

	if (k < 1 || k > SER_METRICS_MAX_CLASSES)
		return ser_error(err, SER_EINVAL, "number of classes must be between 1 and %d", SER_METRICS_MAX_CLASSES);
	memset(m, 0, sizeof(*m));
	m->n_classes = k;
	for (int c = 0; c < k; c++)
	{
		int			support = 0;
		int			predicted = 0;
		int			tp = confusion[c * k + c];

		for (int j = 0; j < k; j++)
		{
			support += confusion[c * k + j];
			predicted += confusion[j * k + c];
		}
		m->support[c] = support;
		m->n += support;
		correct += tp;
		m->precision[c] = predicted > 0 ? (double) tp / predicted : 0.0;
		if (support > 0)
		{
			m->recall[c] = (double) tp / support;
			m->f1[c] = (m->precision[c] + m->recall[c]) > 0.0 ?
				2.0 * m->precision[c] * m->recall[c] / (m->precision[c] + m->recall[c]) : 0.0;
			recall_sum += m->recall[c];
			f1_sum += m->f1[c];
			present++;
		}
		else
		{
			m->recall[c] = NAN;
			m->f1[c] = NAN;
		}
	}
	m->accuracy = m->n > 0 ? (double) correct / m->n : NAN;
	m->uar = present > 0 ? recall_sum / present : NAN;
	m->macro_f1 = present > 0 ? f1_sum / present : NAN;
	return SER_OK;
}

/* ---- groups ---- */

typedef struct GroupCount
{
	int			id;
	int			count;
} GroupCount;

static int
cmp_int(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return (x > y) - (x < y);
}

static int
cmp_group_size_desc(const void *a, const void *b)
{
	const GroupCount *x = a;
	const GroupCount *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Distinct groups among the selected clips (selected NULL = all), with counts. */
static SerStatus
count_groups(const int *groups, const bool *selected, int n, GroupCount **out, int *n_groups,
			 SerError *err)
{
	int		   *sorted = ser_malloc_array((size_t) (n > 0 ? n : 1), sizeof(int));
	GroupCount *gc;
	int			m = 0;
	int			g = 0;

	*out = NULL;
	*n_groups = 0;
	if (sorted == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while splitting");
	for (int i = 0; i < n; i++)
		if (selected == NULL || selected[i])
			sorted[m++] = groups[i];
	qsort(sorted, (size_t) m, sizeof(int), cmp_int);
	gc = ser_malloc_array((size_t) (m > 0 ? m : 1), sizeof(GroupCount));
	if (gc == NULL)
	{
		ser_free(sorted);
		return ser_error(err, SER_ENOMEM, "out of memory while splitting");
	}
	for (int i = 0; i < m; i++)
	{
		if (i == 0 || sorted[i] != sorted[i - 1])
		{
			gc[g].id = sorted[i];
			gc[g].count = 0;
			g++;
		}
		gc[g - 1].count++;
	}
	ser_free(sorted);
	*out = gc;
	*n_groups = g;
	return SER_OK;
}

static int
find_group(const GroupCount *gc, int n_groups, int id)
{
	int			lo = 0;
	int			hi = n_groups - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (gc[mid].id == id)
			return mid;
		if (gc[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

SerStatus
ser_group_count(const int *groups, int n, int *n_groups, SerError *err)
{
	GroupCount *gc;
	SerStatus	st = count_groups(groups, NULL, n, &gc, n_groups, err);

	ser_free(gc);
	return st;
}

SerStatus
ser_group_kfold(const int *groups, int n, int k, int *fold_out, SerError *err)
{
	GroupCount *gc;
	GroupCount *by_size;
	int			n_groups;
	int		   *fold_of_group;
	int		   *fold_size;
	SerStatus	st;

	if (k < 2)
		return ser_error(err, SER_EINVAL, "number of folds must be at least 2");
	if ((st = count_groups(groups, NULL, n, &gc, &n_groups, err)) != SER_OK)
		return st;
	if (n_groups < k)
	{
		ser_free(gc);
		ser_error(err, SER_EINVAL, "cannot make %d folds from %d groups", k, n_groups);
		ser_error_detail(err, "Every fold needs at least one group (speaker) of its own.");
		return SER_EINVAL;
	}
	by_size = ser_malloc_array((size_t) n_groups, sizeof(GroupCount));
	fold_of_group = ser_malloc_array((size_t) n_groups, sizeof(int));
	fold_size = ser_calloc((size_t) k, sizeof(int));
	if (by_size == NULL || fold_of_group == NULL || fold_size == NULL)
	{
		ser_free(gc);
		ser_free(by_size);
		ser_free(fold_of_group);
		ser_free(fold_size);
		return ser_error(err, SER_ENOMEM, "out of memory while splitting");
	}
	memcpy(by_size, gc, sizeof(GroupCount) * n_groups);
	qsort(by_size, (size_t) n_groups, sizeof(GroupCount), cmp_group_size_desc);
	for (int i = 0; i < n_groups; i++)
	{
		int			best = 0;

		for (int f = 1; f < k; f++)
			if (fold_size[f] < fold_size[best])
				best = f;
		fold_size[best] += by_size[i].count;
		fold_of_group[find_group(gc, n_groups, by_size[i].id)] = best;
	}
	for (int i = 0; i < n; i++)
		fold_out[i] = fold_of_group[find_group(gc, n_groups, groups[i])];
	ser_free(gc);
	ser_free(by_size);
	ser_free(fold_of_group);
	ser_free(fold_size);
	return SER_OK;
}

static bool
parse_number(const char **p, long *out)
{
	char	   *end;

	while (isspace((unsigned char) **p))
		(*p)++;
	if (!isdigit((unsigned char) **p) && **p != '-')
		return false;
	*out = strtol(*p, &end, 10);
	if (end == *p || *out < -1000000000L || *out > 1000000000L)
		return false;
	*p = end;
	while (isspace((unsigned char) **p))
		(*p)++;
	return true;
}

SerStatus
ser_folds_from_spec(const char *spec, const int *groups, int n, int *fold_out, int *n_folds,
					SerError *err)
{
	const char *p = spec;
	int			fold = 0;
	int			members_in_fold = 0;

	*n_folds = 0;
	for (int i = 0; i < n; i++)
		fold_out[i] = -1;
	while (*p != '\0')
	{
		long		lo;
		long		hi;

		if (!parse_number(&p, &lo))
			goto bad;
		hi = lo;
		if (*p == '-')
		{
			p++;
			if (!parse_number(&p, &hi) || hi < lo)
				goto bad;
		}
		for (int i = 0; i < n; i++)
			if (groups[i] >= lo && groups[i] <= hi)
			{
				if (fold_out[i] >= 0 && fold_out[i] != fold)
				{
					ser_error(err, SER_EINVAL, "group %d is named in two folds", groups[i]);
					return SER_EINVAL;
				}
				fold_out[i] = fold;
			}
		members_in_fold++;
		if (*p == ',')
			p++;
		else if (*p == ';')
		{
			p++;
			fold++;
			members_in_fold = 0;
		}
		else if (*p != '\0')
			goto bad;
	}
	if (members_in_fold == 0 && fold > 0)
		fold--;					/* a trailing ';' */
	*n_folds = fold + 1;
	for (int i = 0; i < n; i++)
		if (fold_out[i] < 0)
		{
			ser_error(err, SER_EINVAL, "group %d is not in any fold", groups[i]);
			ser_error_detail(err, "The fold specification must name every group of the data.");
			return SER_EINVAL;
		}
	if (*n_folds < 2)
		return ser_error(err, SER_EINVAL, "fold specification names fewer than 2 folds");
	return SER_OK;

bad:
	ser_error(err, SER_EINVAL, "invalid fold specification at character %d", (int) (p - spec) + 1);
	ser_error_detail(err, "Folds are separated by \";\", groups by \",\", ranges written as a-b, e.g. \"1-4;5-8;9-12\".");
	return SER_EINVAL;
}

SerStatus
ser_stratified_kfold_speaker_dependent(const int *labels, int n, int k, uint64_t seed,
									   int *fold_out, SerError *err)
{
	int		   *order;
	SerRng		rng;
	int			max_label = -1;
	int			next = 0;

	if (k < 2)
		return ser_error(err, SER_EINVAL, "number of folds must be at least 2");
	if (n < k)
		return ser_error(err, SER_EINVAL, "cannot make %d folds from %d clips", k, n);
	for (int i = 0; i < n; i++)
	{
		if (labels[i] < 0)
			return ser_error(err, SER_EINVAL, "negative class index at clip %d", i);
		if (labels[i] > max_label)
			max_label = labels[i];
	}
	order = ser_malloc_array((size_t) n, sizeof(int));
	if (order == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory while splitting");
	ser_rng_seed(&rng, seed);
	for (int c = 0; c <= max_label; c++)
	{
		int			m = 0;

		for (int i = 0; i < n; i++)
			if (labels[i] == c)
				order[m++] = i;
		ser_rng_shuffle(&rng, order, m);
		/* continue the round-robin across classes so fold sizes stay even */
		for (int j = 0; j < m; j++)
		{
			fold_out[order[j]] = next;
			next = (next + 1) % k;
		}
	}
	ser_free(order);
	return SER_OK;
}

SerStatus
ser_group_holdout(const int *groups, const bool *candidate, int n, double fraction,
				  uint64_t seed, bool *is_val_out, SerError *err)
{
	GroupCount *gc;
	int			n_groups;
	int		   *order;
	bool	   *held;
	int			total = 0;
	int			taken = 0;
	SerRng		rng;
	SerStatus	st;

	if (!(fraction > 0.0 && fraction < 1.0))
		return ser_error(err, SER_EINVAL, "validation fraction must be between 0 and 1");
	if ((st = count_groups(groups, candidate, n, &gc, &n_groups, err)) != SER_OK)
		return st;
	if (n_groups < 2)
	{
		ser_free(gc);
		ser_error(err, SER_EINVAL, "cannot hold out a validation group from %d group(s)", n_groups);
		ser_error_detail(err, "Validation by group needs at least two groups (speakers) in the training data.");
		return SER_EINVAL;
	}
	order = ser_malloc_array((size_t) n_groups, sizeof(int));
	held = ser_calloc((size_t) n_groups, sizeof(bool));
	if (order == NULL || held == NULL)
	{
		ser_free(gc);
		ser_free(order);
		ser_free(held);
		return ser_error(err, SER_ENOMEM, "out of memory while splitting");
	}
	for (int g = 0; g < n_groups; g++)
	{
		order[g] = g;
		total += gc[g].count;
	}
	ser_rng_seed(&rng, seed);
	ser_rng_shuffle(&rng, order, n_groups);
	for (int j = 0; j < n_groups - 1 && taken < fraction * total; j++)
	{
		held[order[j]] = true;
		taken += gc[order[j]].count;
	}
	for (int i = 0; i < n; i++)
		is_val_out[i] = (candidate == NULL || candidate[i]) &&
			held[find_group(gc, n_groups, groups[i])];
	ser_free(gc);
	ser_free(order);
	ser_free(held);
	return SER_OK;
}
