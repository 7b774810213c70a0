/*
 * optim.c — Adam, gradient clipping and the learning-rate schedule.  See
 * optim.h.  Plain loops in a fixed order, so an update is bit-reproducible.
 */
#include "model/optim.h"

#include <math.h>
#include <string.h>

SerStatus
ser_adam_init(SerAdam *opt, size_t n, float l2, const unsigned char *decay_mask, SerError *err)
{
	memset(opt, 0, sizeof(*opt));
	opt->n = n;
	opt->beta1 = 0.9f;
	opt->beta2 = 0.999f;
	opt->eps = 1e-8f;
	opt->l2 = l2;
	opt->m = ser_calloc(n, sizeof(float));
	opt->v = ser_calloc(n, sizeof(float));
	opt->decay = ser_calloc(n, 1);
	if (opt->m == NULL || opt->v == NULL || opt->decay == NULL)
	{
		ser_adam_free(opt);
		return ser_error(err, SER_ENOMEM, "out of memory for the optimiser state");
	}
	if (decay_mask != NULL)
		memcpy(opt->decay, decay_mask, n);
	return SER_OK;
}

void
ser_adam_free(SerAdam *opt)
{
	ser_free(opt->m);
	ser_free(opt->v);
	ser_free(opt->decay);
	opt->m = opt->v = NULL;
	opt->decay = NULL;
}

void
ser_adam_step(SerAdam *opt, float *params, float *grads, float lr)
{
	double		bc1;
	double		bc2;
	float		step_size;
	float		inv_sqrt_bc2;

	opt->step++;
	bc1 = 1.0 - pow(opt->beta1, (double) opt->step);
	bc2 = 1.0 - pow(opt->beta2, (double) opt->step);
	step_size = (float) (lr / bc1);
	inv_sqrt_bc2 = (float) (1.0 / sqrt(bc2));
	for (size_t i = 0; i < opt->n; i++)
	{
		float		g = grads[i];

		if (opt->decay[i])
			g += opt->l2 * params[i];
		opt->m[i] = opt->beta1 * opt->m[i] + (1.0f - opt->beta1) * g;
		opt->v[i] = opt->beta2 * opt->v[i] + (1.0f - opt->beta2) * g * g;
		params[i] -= step_size * opt->m[i] / (sqrtf(opt->v[i]) * inv_sqrt_bc2 + opt->eps);
	}
}

double
ser_clip_grad_norm(float *grads, size_t n, double max_norm)
{
	double		sq = 0.0;
	double		norm;

	for (size_t i = 0; i < n; i++)
		sq += (double) grads[i] * grads[i];
	norm = sqrt(sq);
	if (max_norm > 0.0 && norm > max_norm)
	{
		float		scale = (float) (max_norm / norm);

		for (size_t i = 0; i < n; i++)
			grads[i] *= scale;
	}
	return norm;
}

float
ser_lr_warmup_cosine(float base_lr, float min_lr, long step, long warmup_steps, long total_steps)
{
	double		progress;

	if (warmup_steps > 0 && step < warmup_steps)
		return base_lr * (float) (step + 1) / (float) warmup_steps;
	if (total_steps <= warmup_steps || step >= total_steps)
		return total_steps <= warmup_steps ? base_lr : min_lr;
	progress = (double) (step - warmup_steps) / (double) (total_steps - warmup_steps);
	return min_lr + (base_lr - min_lr) * (float) (0.5 * (1.0 + cos(3.141592653589793 * progress)));
}
