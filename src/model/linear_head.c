/*
 * linear_head.c — multinomial logistic regression fitted with L-BFGS.  See
 * linear_head.h.  The data term and its gradient are two matrix products
 * (OpenBLAS, double precision: the objective's last digits decide the line
 * search, and the problem is small).
 */
#include "model/linear_head.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define LBFGS_PAIRS 10
#define ARMIJO_C 1e-4
#define MAX_HALVINGS 40
/* A class absent from the training rows: far below any fitted bias. */
#define ABSENT_CLASS_BIAS -30.0f

void
ser_linear_head_options_default(SerLinearHeadOptions *o)
{
	o->l2 = 1e-2;
	o->balance_classes = true;
	o->max_iterations = 500;
	o->tolerance = 1e-5;
}

void
ser_linear_head_free(SerLinearHead *head)
{
	ser_free(head->mean);
	ser_free(head->inv_scale);
	ser_free(head->weights);
	ser_free(head->bias);
	memset(head, 0, sizeof(*head));
}

/* What the objective needs, set up once per fit. */
typedef struct FitProblem
{
	int			n;
	int			d;
	int			c;
	const double *xs;			/* [n][d] standardised rows */
	const int  *y;				/* [n] */
	const double *row_weight;	/* [n], summing to 1 */
	double		l2;
	double	   *z;				/* [n][c] scratch: logits, then d loss / d logit */
} FitProblem;

/* Objective at theta = [W (c x d) | b (c)]; its gradient into grad. */
static double
objective(const FitProblem *fp, const double *theta, double *grad)
{
	const double *w = theta;
	const double *b = theta + (size_t) fp->c * fp->d;
	double		loss = 0.0;
	double		penalty = 0.0;

	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, fp->n, fp->c, fp->d, 1.0, fp->xs, fp->d, w, fp->d,
				0.0, fp->z, fp->c);
	for (int i = 0; i < fp->n; i++)
	{
		double	   *zi = fp->z + (size_t) i * fp->c;
		double		top = -INFINITY,
					total = 0.0,
					log_sum;

		for (int k = 0; k < fp->c; k++)
		{
			zi[k] += b[k];
			top = zi[k] > top ? zi[k] : top;
		}
		for (int k = 0; k < fp->c; k++)
			total += exp(zi[k] - top);
		log_sum = top + log(total);
		loss += fp->row_weight[i] * (log_sum - zi[fp->y[i]]);
		/* d loss / d z = weight * (softmax - one-hot) */
		for (int k = 0; k < fp->c; k++)
			zi[k] = fp->row_weight[i] * (exp(zi[k] - log_sum) - (k == fp->y[i]));
	}
	cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, fp->c, fp->d, fp->n, 1.0, fp->z, fp->c, fp->xs, fp->d,
				0.0, grad, fp->d);
	for (size_t j = 0; j < (size_t) fp->c * fp->d; j++)
	{
		penalty += w[j] * w[j];
		grad[j] += fp->l2 * w[j];
	}
	for (int k = 0; k < fp->c; k++)
	{
		double		s = 0.0;

		for (int i = 0; i < fp->n; i++)
			s += fp->z[(size_t) i * fp->c + k];
		grad[(size_t) fp->c * fp->d + k] = s;
	}
	return loss + 0.5 * fp->l2 * penalty;
}

static double
dot(const double *a, const double *b, size_t n)
{
	return cblas_ddot((int) n, a, 1, b, 1);
}

/* The L-BFGS memory and iterate. */
typedef struct Lbfgs
{
	size_t		p;
	double	   *s;				/* [LBFGS_PAIRS][p] */
	double	   *yv;				/* [LBFGS_PAIRS][p] */
	double		rho[LBFGS_PAIRS];
	int			stored;
	int			newest;
} Lbfgs;

/* direction = -H grad by the two-loop recursion (H0 = gamma I). */
static void
lbfgs_direction(const Lbfgs *m, const double *grad, double *direction)
{
	double		alpha[LBFGS_PAIRS];
	double		gamma = 1.0;

	for (size_t j = 0; j < m->p; j++)
		direction[j] = -grad[j];
	for (int i = 0; i < m->stored; i++)
	{
		int			k = (m->newest - i + LBFGS_PAIRS) % LBFGS_PAIRS;

		alpha[k] = m->rho[k] * dot(m->s + (size_t) k * m->p, direction, m->p);
		cblas_daxpy((int) m->p, -alpha[k], m->yv + (size_t) k * m->p, 1, direction, 1);
	}
	if (m->stored > 0)
	{
		const double *yk = m->yv + (size_t) m->newest * m->p;

		gamma = 1.0 / (m->rho[m->newest] * dot(yk, yk, m->p));
	}
	cblas_dscal((int) m->p, gamma, direction, 1);
	for (int i = m->stored - 1; i >= 0; i--)
	{
		int			k = (m->newest - i + LBFGS_PAIRS) % LBFGS_PAIRS;
		double		beta = m->rho[k] * dot(m->yv + (size_t) k * m->p, direction, m->p);

		cblas_daxpy((int) m->p, alpha[k] - beta, m->s + (size_t) k * m->p, 1, direction, 1);
	}
}

SerStatus
ser_linear_head_fit(const float *x, const int *y, const int *idx, int n, int n_features, int n_classes,
					const SerLinearHeadOptions *options, SerLinearHead *head, SerError *err)
{
	int			d = n_features,
				c = n_classes;
	size_t		p = (size_t) c * d + (size_t) c;
	double	   *xs,
			   *row_weight,
			   *theta,
			   *grad,
			   *trial,
			   *trial_grad,
			   *direction;
	int		   *labels;
	double		class_count[256] = {0};
	double		f;
	FitProblem	fp;
	Lbfgs		m;
	SerStatus	status = SER_OK;

	memset(head, 0, sizeof(*head));
	if (n < 2 || d < 1 || c < 2 || c > 256)
		return ser_error(err, SER_EINVAL, "a linear head needs at least 2 rows, 1 feature and 2 to 256 classes");
	if (!(options->l2 > 0.0) || options->max_iterations < 1 || !(options->tolerance > 0.0))
		return ser_error(err, SER_EINVAL, "linear head options out of range");
	for (int i = 0; i < n; i++)
	{
		int			label = y[idx ? idx[i] : i];

		if (label < 0 || label >= c)
			return ser_error(err, SER_EINVAL, "label %d of row %d is not a class index", label, i);
		class_count[label] += 1.0;
	}

	xs = ser_malloc_array((size_t) n, (size_t) d * sizeof(double));
	row_weight = ser_malloc_array((size_t) n, sizeof(double));
	labels = ser_malloc_array((size_t) n, sizeof(int));
	theta = ser_calloc(p, sizeof(double));
	grad = ser_malloc_array(p, sizeof(double));
	trial = ser_malloc_array(p, sizeof(double));
	trial_grad = ser_malloc_array(p, sizeof(double));
	direction = ser_malloc_array(p, sizeof(double));
	m.p = p;
	m.s = ser_malloc_array(LBFGS_PAIRS, p * sizeof(double));
	m.yv = ser_malloc_array(LBFGS_PAIRS, p * sizeof(double));
	m.stored = 0;
	m.newest = LBFGS_PAIRS - 1;
	fp.z = ser_malloc_array((size_t) n, (size_t) c * sizeof(double));
	head->mean = ser_malloc_array((size_t) d, sizeof(float));
	head->inv_scale = ser_malloc_array((size_t) d, sizeof(float));
	head->weights = ser_malloc_array((size_t) c, (size_t) d * sizeof(float));
	head->bias = ser_malloc_array((size_t) c, sizeof(float));
	if (xs == NULL || row_weight == NULL || labels == NULL || theta == NULL || grad == NULL || trial == NULL
		|| trial_grad == NULL || direction == NULL || m.s == NULL || m.yv == NULL || fp.z == NULL
		|| head->mean == NULL || head->inv_scale == NULL || head->weights == NULL || head->bias == NULL)
	{
		status = ser_error(err, SER_ENOMEM, "out of memory for a linear head of %d x %d", n, d);
		goto done;
	}
	head->n_features = d;
	head->n_classes = c;

	/* standardisation: mean and population standard deviation, in double */
	for (int j = 0; j < d; j++)
	{
		double		mean = 0.0,
					var = 0.0;

		for (int i = 0; i < n; i++)
			mean += x[(size_t) (idx ? idx[i] : i) * d + j];
		mean /= n;
		for (int i = 0; i < n; i++)
		{
			double		dv = x[(size_t) (idx ? idx[i] : i) * d + j] - mean;

			var += dv * dv;
		}
		var /= n;
		head->mean[j] = (float) mean;
		head->inv_scale[j] = var > 1e-20 * (1.0 + mean * mean) ? (float) (1.0 / sqrt(var)) : 1.0f;
	}
	{
		double		total = 0.0;
		int			present = 0;

		for (int k = 0; k < c; k++)
			present += class_count[k] > 0.0;
		for (int i = 0; i < n; i++)
		{
			const float *row = x + (size_t) (idx ? idx[i] : i) * d;

			labels[i] = y[idx ? idx[i] : i];
			for (int j = 0; j < d; j++)
				xs[(size_t) i * d + j] = ((double) row[j] - head->mean[j]) * head->inv_scale[j];
			row_weight[i] = options->balance_classes ? 1.0 / (present * class_count[labels[i]]) : 1.0;
			total += row_weight[i];
		}
		for (int i = 0; i < n; i++)
			row_weight[i] /= total;
	}
	fp.n = n;
	fp.d = d;
	fp.c = c;
	fp.xs = xs;
	fp.y = labels;
	fp.row_weight = row_weight;
	fp.l2 = options->l2;

	f = objective(&fp, theta, grad);
	for (head->iterations = 0; head->iterations < options->max_iterations; head->iterations++)
	{
		double		slope,
					step = 1.0,
					f_trial = f,
					largest = 0.0;
		int			halvings;

		if (ser_interrupted())
		{
			status = ser_error(err, SER_ECANCELED, "canceling the linear head's training");
			goto done;
		}
		for (size_t j = 0; j < p; j++)
			largest = fabs(grad[j]) > largest ? fabs(grad[j]) : largest;
		if (largest < options->tolerance)
			break;
		lbfgs_direction(&m, grad, direction);
		slope = dot(grad, direction, p);
		if (!(slope < 0.0))
		{
			/* not a descent direction (round-off): forget the curvature pairs */
			m.stored = 0;
			for (size_t j = 0; j < p; j++)
				direction[j] = -grad[j];
			slope = -dot(grad, grad, p);
		}
		if (m.stored == 0)
			step = 1.0 / sqrt(-slope);	/* a first step of unit length */
		for (halvings = 0; halvings < MAX_HALVINGS; halvings++)
		{
			for (size_t j = 0; j < p; j++)
				trial[j] = theta[j] + step * direction[j];
			f_trial = objective(&fp, trial, trial_grad);
			if (f_trial <= f + ARMIJO_C * step * slope)
				break;
			step *= 0.5;
		}
		if (halvings == MAX_HALVINGS)
			break;				/* no decrease left at double precision */
		{
			int			k = (m.newest + 1) % LBFGS_PAIRS;
			double	   *sk = m.s + (size_t) k * p;
			double	   *yk = m.yv + (size_t) k * p;
			double		sy;

			for (size_t j = 0; j < p; j++)
			{
				sk[j] = trial[j] - theta[j];
				yk[j] = trial_grad[j] - grad[j];
			}
			sy = dot(sk, yk, p);
			if (sy > 1e-16)
			{
				m.rho[k] = 1.0 / sy;
				m.newest = k;
				if (m.stored < LBFGS_PAIRS)
					m.stored++;
			}
		}
		memcpy(theta, trial, p * sizeof(double));
		memcpy(grad, trial_grad, p * sizeof(double));
		if (fabs(f - f_trial) <= 1e-12 * fmax(1.0, fabs(f)))
		{
			f = f_trial;
			head->iterations++;
			break;
		}
		f = f_trial;
	}
	for (size_t j = 0; j < (size_t) c * d; j++)
		head->weights[j] = (float) theta[j];
	for (int k = 0; k < c; k++)
		head->bias[k] = class_count[k] > 0.0 ? (float) theta[(size_t) c * d + k] : ABSENT_CLASS_BIAS;

done:
	ser_free(xs);
	ser_free(row_weight);
	ser_free(labels);
	ser_free(theta);
	ser_free(grad);
	ser_free(trial);
	ser_free(trial_grad);
	ser_free(direction);
	ser_free(m.s);
	ser_free(m.yv);
	ser_free(fp.z);
	if (status != SER_OK)
		ser_linear_head_free(head);
	return status;
}

void
ser_linear_head_predict(const SerLinearHead *head, const float *x, float *probs)
{
	double		z[256];
	double		top = -INFINITY,
				total = 0.0;

	for (int k = 0; k < head->n_classes; k++)
	{
		const float *w = head->weights + (size_t) k * head->n_features;
		double		s = head->bias[k];

		for (int j = 0; j < head->n_features; j++)
			s += (double) w[j] * (((double) x[j] - head->mean[j]) * head->inv_scale[j]);
		z[k] = s;
		top = s > top ? s : top;
	}
	for (int k = 0; k < head->n_classes; k++)
		total += exp(z[k] - top);
	for (int k = 0; k < head->n_classes; k++)
		probs[k] = (float) (exp(z[k] - top) / total);
}
