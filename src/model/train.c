/*
 * train.c — the training loop.  See train.h for the data callback and the
 * augmentation; the rest of the why is here.
 *
 * Reproducibility: every random decision comes from SerRng streams derived
 * from the seed — one for the initial weights, one per epoch for the
 * visiting order, crops, masks and dropout, and one per (clip, epoch) handed
 * to get_sample — and OpenBLAS runs on one thread, so a seed gives the same
 * bits on one machine.
 *
 * Batches are packed (see layers.h): clips keep their own lengths, nothing
 * is padded.  A batch of one clip cannot be normalised by batch statistics,
 * so a trailing single clip joins the batch before it.
 *
 * Early stopping keeps a copy of every value of the net (weights and BN
 * running statistics) from the epoch with the best validation UAR (ties: the
 * lower validation loss) and restores it at the end; UAR rather than
 * accuracy because the classes are imbalanced and UAR is what is reported.
 */
#include "model/train.h"

#include "model/metrics.h"
#include "model/optim.h"

#include <math.h>
#include <string.h>

void
ser_train_default_config(SerTrainConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_epochs = 60;
	cfg->batch_size = 32;
	cfg->lr = 2e-3f;
	cfg->min_lr = 2e-5f;
	cfg->warmup_epochs = 3;
	cfg->l2 = 1e-4f;
	cfg->clip_norm = 5.0f;
	cfg->patience = 12;
	cfg->seed = 1;
	cfg->balance = SER_BALANCE_CLASS_WEIGHTS;
	cfg->augment.crop_min_fraction = 0.8f;
	cfg->augment.time_masks = 2;
	cfg->augment.time_mask_max = 20;
	cfg->augment.feature_masks = 2;
	cfg->augment.feature_mask_max = 8;
}

void
ser_train_result_free(SerTrainResult *result)
{
	if (result == NULL)
		return;
	ser_net_free(result->net);
	ser_norm_stats_free(&result->norm);
	memset(result, 0, sizeof(*result));
}

/* ---- batches ---- */

typedef struct Batch
{
	int			n_seq;
	int		   *offsets;		/* [capacity + 1] */
	int		   *labels;
	float	   *targets;		/* [seq][K] with soft targets, else NULL */
	float	   *frames;			/* packed rows */
	float	   *utt;
	size_t		row_cap;
	int			seq_cap;
} Batch;

static void
batch_free(Batch *b)
{
	ser_free(b->offsets);
	ser_free(b->labels);
	ser_free(b->targets);
	ser_free(b->frames);
	ser_free(b->utt);
	memset(b, 0, sizeof(*b));
}

static SerStatus
batch_reserve(Batch *b, int seqs, int n_utt, int n_targets, SerError *err)
{
	if (seqs <= b->seq_cap)
		return SER_OK;
	ser_free(b->offsets);
	ser_free(b->labels);
	ser_free(b->targets);
	ser_free(b->utt);
	b->offsets = ser_malloc_array((size_t) seqs + 1, sizeof(int));
	b->labels = ser_malloc_array((size_t) seqs, sizeof(int));
	b->targets = n_targets > 0 ? ser_malloc_array((size_t) seqs * n_targets, sizeof(float)) : NULL;
	b->utt = ser_malloc_array((size_t) seqs * n_utt, sizeof(float));
	b->seq_cap = seqs;
	if (b->offsets == NULL || b->labels == NULL || b->utt == NULL || (n_targets > 0 && b->targets == NULL))
	{
		b->seq_cap = 0;
		return ser_error(err, SER_ENOMEM, "out of memory for a training batch");
	}
	return SER_OK;
}

static SerStatus
grow_rows(Batch *b, size_t rows, int n_features, SerError *err)
{
	size_t		cap;
	float	   *nf;

	if (rows <= b->row_cap)
		return SER_OK;
	cap = b->row_cap ? b->row_cap : 1024;
	while (cap < rows)
		cap *= 2;
	nf = ser_malloc_array(cap * (size_t) n_features, sizeof(float));
	if (nf == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for a training batch");
	if (b->frames != NULL && b->offsets != NULL && b->n_seq > 0)
		memcpy(nf, b->frames, sizeof(float) * (size_t) b->offsets[b->n_seq] * n_features);
	ser_free(b->frames);
	b->frames = nf;
	b->row_cap = cap;
	return SER_OK;
}

/* The rng that get_sample receives for (clip, epoch): independent of visiting order. */
static void
sample_rng(SerRng *rng, uint64_t seed, int index, int epoch)
{
	ser_rng_seed_stream(rng, seed ^ UINT64_C(0x5A5A5A5A12345678),
						((uint64_t) (uint32_t) (epoch + 1) << 32) | (uint32_t) index);
}

static SerStatus
fetch(const SerTrainData *data, uint64_t seed, int index, int epoch, const float **frames,
	  int *n_frames, const float **utt, SerError *err)
{
	SerRng		rng;
	SerStatus	st;
	int			F = data->n_frame_features;

	sample_rng(&rng, seed, index, epoch);
	*frames = NULL;
	*utt = NULL;
	*n_frames = 0;
	st = data->get_sample(data->sample_ctx, index, epoch, &rng, frames, n_frames, utt, err);
	if (st != SER_OK)
		return st;
	if (*n_frames < 1 || *frames == NULL || *utt == NULL)
		return ser_error(err, SER_EINVAL, "clip %d has no frames", index);
	for (size_t i = 0; i < (size_t) *n_frames * F; i++)
		if (!isfinite((*frames)[i]))
			return ser_error(err, SER_ENONFINITE, "frame features of clip %d hold a non-finite value", index);
	for (int i = 0; i < data->n_utt_features; i++)
		if (!isfinite((*utt)[i]))
			return ser_error(err, SER_ENONFINITE, "utterance features of clip %d hold a non-finite value", index);
	return SER_OK;
}

typedef struct Norm
{
	const SerNormStats *stats;
	bool		cmn;			/* per-clip mean normalisation of frames (SerNetConfig.frame_cmn) */
} Norm;

/*
 * Fill b with clips idx[0..count): normalised, and in training epochs
 * (aug != NULL) cropped and masked with draws from rng.
 */
static SerStatus
load_batch(const SerTrainData *data, uint64_t seed, const int *idx, int count, int epoch,
		   const SerAugment *aug, SerRng *rng, const Norm *norm, Batch *b, SerError *err)
{
	int			F = data->n_frame_features;
	int			D = data->n_utt_features;
	SerStatus	st;

	if ((st = batch_reserve(b, count, D, data->soft_targets != NULL ? data->n_classes : 0, err)) != SER_OK)
		return st;
	b->n_seq = 0;
	b->offsets[0] = 0;
	for (int s = 0; s < count; s++)
	{
		const float *frames;
		const float *utt;
		int			T;
		int			keep;
		int			start = 0;
		size_t		row0 = (size_t) b->offsets[s];
		float	   *dst;
		float	   *udst = b->utt + (size_t) s * D;

		if ((st = fetch(data, seed, idx[s], epoch, &frames, &T, &utt, err)) != SER_OK)
			return st;
		keep = T;
		if (aug != NULL && aug->crop_min_fraction < 1.0f && T > 1)
		{
			float		fraction = aug->crop_min_fraction +
				(1.0f - aug->crop_min_fraction) * ser_rng_uniform(rng);

			keep = (int) lroundf(fraction * T);
			if (keep < 1)
				keep = 1;
			if (keep > T)
				keep = T;
			start = (int) ser_rng_below(rng, (uint32_t) (T - keep + 1));
		}
		if (row0 + keep > (size_t) INT32_MAX)
			return ser_error(err, SER_ETOOLONG, "training batch has too many frames");
		if ((st = grow_rows(b, row0 + keep, F, err)) != SER_OK)
			return st;
		dst = b->frames + row0 * F;
		ser_normalise_clip(norm->stats, norm->cmn, frames + (size_t) start * F, keep, F, utt, D, dst, udst);
		if (aug != NULL)
		{
			int			cap_t = keep / 5;

			for (int m = 0; m < aug->time_masks; m++)
			{
				int			w = (int) ser_rng_below(rng, (uint32_t) (aug->time_mask_max < cap_t ? aug->time_mask_max : cap_t) + 1);
				int			t0 = (int) ser_rng_below(rng, (uint32_t) (keep - w + 1));

				memset(dst + (size_t) t0 * F, 0, sizeof(float) * (size_t) w * F);
			}
			for (int m = 0; m < aug->feature_masks; m++)
			{
				int			w = (int) ser_rng_below(rng, (uint32_t) (aug->feature_mask_max < F ? aug->feature_mask_max : F) + 1);
				int			f0 = (int) ser_rng_below(rng, (uint32_t) (F - w + 1));

				for (int t = 0; t < keep; t++)
					memset(dst + (size_t) t * F + f0, 0, sizeof(float) * (size_t) w);
			}
		}
		b->labels[s] = data->labels[idx[s]];
		if (data->soft_targets != NULL)
			memcpy(b->targets + (size_t) s * data->n_classes,
				   data->soft_targets + (size_t) idx[s] * data->n_classes, sizeof(float) * data->n_classes);
		b->offsets[s + 1] = (int) (row0 + keep);
		b->n_seq = s + 1;
	}
	return SER_OK;
}

/* ---- normalisation statistics ---- */

static SerStatus
compute_norm(const SerTrainData *data, SerTrainResult *res, SerError *err)
{
	int			F = data->n_frame_features;
	int			D = data->n_utt_features;
	double	   *acc = ser_calloc((size_t) 2 * (F + D), sizeof(double));
	double	   *fsum = acc;
	double	   *fsq;
	double	   *usum;
	double	   *usq;
	double		rows = 0.0;
	SerStatus	st = SER_OK;

	if (acc == NULL)
		return ser_error(err, SER_ENOMEM, "out of memory for normalisation statistics");
	fsq = fsum + F;
	usum = fsq + F;
	usq = usum + D;
	for (int s = 0; s < data->n_train; s++)
	{
		const float *frames;
		const float *utt;
		int			T;

		if (ser_interrupted())
		{
			st = ser_error(err, SER_ECANCELED, "canceled");
			break;
		}
		if ((st = fetch(data, 0, data->train_idx[s], SER_EPOCH_CLEAN, &frames, &T, &utt, err)) != SER_OK)
			break;
		for (int t = 0; t < T; t++)
			for (int i = 0; i < F; i++)
			{
				double		v = frames[(size_t) t * F + i];

				fsum[i] += v;
				fsq[i] += v * v;
			}
		rows += T;
		for (int i = 0; i < D; i++)
		{
			usum[i] += utt[i];
			usq[i] += (double) utt[i] * utt[i];
		}
	}
	if (st == SER_OK)
	{
		/*
		 * A feature that is constant over the training set carries no
		 * information; a unit deviation keeps it at its (zero) mean instead
		 * of dividing by almost nothing.
		 */
		for (int i = 0; i < F; i++)
		{
			double		mean = fsum[i] / rows;
			double		var = fsq[i] / rows - mean * mean;
			double		sd = var > 0.0 ? sqrt(var) : 0.0;

			res->norm.frame_mean[i] = (float) mean;
			res->norm.frame_std[i] = sd > 1e-6 ? (float) sd : 1.0f;
		}
		for (int i = 0; i < D; i++)
		{
			double		mean = usum[i] / data->n_train;
			double		var = usq[i] / data->n_train - mean * mean;
			double		sd = var > 0.0 ? sqrt(var) : 0.0;

			res->norm.utt_mean[i] = (float) mean;
			res->norm.utt_std[i] = sd > 1e-6 ? (float) sd : 1.0f;
		}
	}
	ser_free(acc);
	return st;
}

/* ---- evaluation ---- */

SerStatus
ser_train_predict(SerNet *net, const SerTrainData *data, const SerNormStats *stats, const int *idx, int n, int batch_size, int *pred_out, float *probs_out,
				  SerError *err)
{
	Batch		b;
	Norm		norm = {stats, net->cfg.frame_cmn != 0};
	int			K = net->cfg.n_classes;
	SerStatus	st = SER_OK;

	memset(&b, 0, sizeof(b));
	if (batch_size < 1)
		batch_size = 1;
	for (int start = 0; start < n && st == SER_OK; start += batch_size)
	{
		int			count = n - start < batch_size ? n - start : batch_size;
		SerSeqs		seqs;
		SerNetActs *acts;
		const float *probs;

		if (ser_interrupted())
		{
			st = ser_error(err, SER_ECANCELED, "canceled");
			break;
		}
		if ((st = load_batch(data, 0, idx + start, count, SER_EPOCH_CLEAN, NULL, NULL, &norm, &b, err)) != SER_OK)
			break;
		seqs.n_seq = b.n_seq;
		seqs.offsets = b.offsets;
		if ((st = ser_net_forward(net, SER_NET_EVAL, &seqs, b.frames, b.utt, NULL, &acts, err)) != SER_OK)
			break;
		probs = ser_net_acts_probs(acts);
		for (int s = 0; s < count; s++)
		{
			int			best = 0;

			for (int j = 1; j < K; j++)
				if (probs[s * K + j] > probs[s * K + best])
					best = j;
			if (pred_out != NULL)
				pred_out[start + s] = best;
			if (probs_out != NULL)
				memcpy(probs_out + (size_t) (start + s) * K, probs + (size_t) s * K, sizeof(float) * K);
		}
		ser_net_acts_free(acts);
	}
	batch_free(&b);
	return st;
}

/* ---- training ---- */

static SerStatus
check_inputs(const SerNetConfig *net_cfg, const SerTrainConfig *cfg, const SerTrainData *data,
			 SerError *err)
{
	if (data->n_classes != net_cfg->n_classes || data->n_frame_features != net_cfg->n_frame_features ||
		data->n_utt_features != net_cfg->n_utt_features)
		return ser_error(err, SER_EINVAL, "training data dimensions do not match the network");
	if (cfg->max_epochs < 1 || cfg->max_epochs > 100000)
		return ser_error(err, SER_EINVAL, "max_epochs must be between 1 and 100000");
	if (cfg->batch_size < 2 || cfg->batch_size > 4096)
		return ser_error(err, SER_EINVAL, "batch_size must be between 2 and 4096");
	if (!(cfg->lr > 0.0f) || !(cfg->min_lr >= 0.0f) || cfg->min_lr > cfg->lr)
		return ser_error(err, SER_EINVAL, "learning rates must satisfy 0 <= min_lr <= lr and lr > 0");
	if (cfg->warmup_epochs < 0 || cfg->patience < 1 || !(cfg->l2 >= 0.0f) || !(cfg->clip_norm >= 0.0f))
		return ser_error(err, SER_EINVAL, "invalid training parameter (warm-up, patience, l2 or clip_norm)");
	if (!(cfg->augment.crop_min_fraction > 0.0f && cfg->augment.crop_min_fraction <= 1.0f) ||
		cfg->augment.time_masks < 0 || cfg->augment.time_mask_max < 0 ||
		cfg->augment.feature_masks < 0 || cfg->augment.feature_mask_max < 0)
		return ser_error(err, SER_EINVAL, "invalid augmentation parameter");
	if (data->n_train < 2)
		return ser_error(err, SER_EINVAL, "training needs at least 2 clips");
	if (data->get_sample == NULL || data->labels == NULL || data->train_idx == NULL ||
		(data->n_val > 0 && data->val_idx == NULL))
		return ser_error(err, SER_EINVAL, "training data is incomplete");
	for (int s = 0; s < data->n_train + data->n_val; s++)
	{
		int			index = s < data->n_train ? data->train_idx[s] : data->val_idx[s - data->n_train];

		if (index < 0 || data->labels[index] < 0 || data->labels[index] >= data->n_classes)
			return ser_error(err, SER_EINVAL, "clip %d has a class index outside 0..%d", index, data->n_classes - 1);
	}
	for (int s = 0; data->soft_targets != NULL && s < data->n_train; s++)
	{
		const float *t = data->soft_targets + (size_t) data->train_idx[s] * data->n_classes;
		double		total = 0.0;

		for (int k = 0; k < data->n_classes; k++)
		{
			if (!(t[k] >= 0.0f && t[k] <= 1.0f))
				return ser_error(err, SER_EINVAL, "clip %d has a soft target outside [0, 1]", data->train_idx[s]);
			total += t[k];
		}
		if (fabs(total - 1.0) > 1e-3)
			return ser_error(err, SER_EINVAL, "the soft targets of clip %d sum to %g, not 1", data->train_idx[s], total);
	}
	return SER_OK;
}

SerStatus
ser_train(const SerNetConfig *net_cfg, const SerTrainConfig *cfg, const SerTrainData *data,
		  SerTrainResult *res, SerError *err)
{
	int			F = data->n_frame_features;
	int			D = data->n_utt_features;
	int			K = data->n_classes;
	SerNet	   *net = NULL;
	SerAdam		adam;
	Batch		batch;
	SerRng		rng;
	Norm		norm;
	int		   *order = NULL;
	int		   *by_class = NULL;	/* clips of each class, for balanced sampling */
	int			class_count[SER_NET_MAX_CLASSES] = {0};
	int			class_start[SER_NET_MAX_CLASSES + 1] = {0};
	float		class_weights[SER_NET_MAX_CLASSES];
	unsigned char *decay = NULL;
	float	   *best = NULL;
	int		   *val_pred = NULL;
	float	   *val_probs = NULL;
	int		   *val_truth = NULL;
	int			n_batches;
	long		step = 0;
	long		total_steps;
	int			since_best = 0;
	SerStatus	st;

	memset(res, 0, sizeof(*res));
	memset(&adam, 0, sizeof(adam));
	memset(&batch, 0, sizeof(batch));
	if ((st = ser_net_config_validate(net_cfg, err)) != SER_OK ||
		(st = check_inputs(net_cfg, cfg, data, err)) != SER_OK)
		return st;

	if ((st = ser_norm_stats_alloc(&res->norm, F, D, err)) != SER_OK)
		goto cleanup;
	order = ser_malloc_array((size_t) data->n_train, sizeof(int));
	by_class = ser_malloc_array((size_t) data->n_train, sizeof(int));
	if (data->n_val > 0)
	{
		val_pred = ser_malloc_array((size_t) data->n_val, sizeof(int));
		val_probs = ser_malloc_array((size_t) data->n_val * K, sizeof(float));
		val_truth = ser_malloc_array((size_t) data->n_val, sizeof(int));
	}
	if (!order || !by_class ||
		(data->n_val > 0 && (!val_pred || !val_probs || !val_truth)))
	{
		st = ser_error(err, SER_ENOMEM, "out of memory for training");
		goto cleanup;
	}

	/* class counts over the training clips: weights and balanced sampling */
	for (int s = 0; s < data->n_train; s++)
		class_count[data->labels[data->train_idx[s]]]++;
	for (int c = 0; c < K; c++)
	{
		class_start[c + 1] = class_start[c] + class_count[c];
		class_weights[c] = class_count[c] > 0 ?
			(float) data->n_train / ((float) K * (float) class_count[c]) : 0.0f;
	}
	{
		int			fill[SER_NET_MAX_CLASSES];

		memcpy(fill, class_start, sizeof(int) * K);
		for (int s = 0; s < data->n_train; s++)
			by_class[fill[data->labels[data->train_idx[s]]]++] = data->train_idx[s];
	}
	for (int s = 0; s < data->n_val; s++)
		val_truth[s] = data->labels[data->val_idx[s]];

	if ((st = compute_norm(data, res, err)) != SER_OK)
		goto cleanup;
	norm.stats = &res->norm;
	norm.cmn = net_cfg->frame_cmn != 0;

	ser_rng_seed_stream(&rng, cfg->seed, UINT64_C(0xFFFFFFFF));
	if ((st = ser_net_create(net_cfg, &rng, &net, err)) != SER_OK)
		goto cleanup;
	decay = ser_calloc(net->n_trainable, 1);
	best = ser_malloc_array(net->n_values, sizeof(float));
	if (decay == NULL || best == NULL)
	{
		st = ser_error(err, SER_ENOMEM, "out of memory for training");
		goto cleanup;
	}
	for (int i = 0; i < net->n_params; i++)
		if (net->params[i].trainable && net->params[i].decay)
			memset(decay + net->params[i].offset, 1, net->params[i].size);
	if ((st = ser_adam_init(&adam, net->n_trainable, cfg->l2, decay, err)) != SER_OK)
		goto cleanup;

	/* a trailing batch of one clip joins the one before it (BN needs two) */
	n_batches = data->n_train / cfg->batch_size;
	if (n_batches == 0 || data->n_train % cfg->batch_size >= 2)
		n_batches++;
	total_steps = (long) n_batches * cfg->max_epochs;
	res->best_val_uar = NAN;
	res->best_val_loss = NAN;
	memcpy(best, net->values, sizeof(float) * net->n_values);

	for (int epoch = 0; epoch < cfg->max_epochs; epoch++)
	{
		SerEpochReport report;
		double		loss_sum = 0.0;
		float		lr = cfg->lr;

		ser_rng_seed_stream(&rng, cfg->seed, (uint64_t) epoch);
		if (cfg->balance == SER_BALANCE_SAMPLING)
		{
			/* a class uniformly among those present, then a clip of it */
			int			present[SER_NET_MAX_CLASSES];
			int			n_present = 0;

			for (int c = 0; c < K; c++)
				if (class_count[c] > 0)
					present[n_present++] = c;
			for (int s = 0; s < data->n_train; s++)
			{
				int			c = present[ser_rng_below(&rng, (uint32_t) n_present)];

				order[s] = by_class[class_start[c] + (int) ser_rng_below(&rng, (uint32_t) class_count[c])];
			}
		}
		else
		{
			memcpy(order, data->train_idx, sizeof(int) * data->n_train);
			ser_rng_shuffle(&rng, order, data->n_train);
		}

		for (int bi = 0; bi < n_batches; bi++)
		{
			int			start = bi * cfg->batch_size;
			int			count = bi == n_batches - 1 ? data->n_train - start : cfg->batch_size;
			SerSeqs		seqs;
			SerNetActs *acts = NULL;
			double		loss;

			if (ser_interrupted())
			{
				st = ser_error(err, SER_ECANCELED, "canceled");
				goto cleanup;
			}
			if ((st = load_batch(data, cfg->seed, order + start, count, epoch, &cfg->augment, &rng,
								 &norm, &batch, err)) != SER_OK)
				goto cleanup;
			seqs.n_seq = batch.n_seq;
			seqs.offsets = batch.offsets;
			if ((st = ser_net_forward(net, SER_NET_TRAIN, &seqs, batch.frames, batch.utt, &rng, &acts, err)) != SER_OK)
				goto cleanup;
			ser_net_zero_grad(net);
			st = ser_net_backward(net, &seqs, acts, batch.labels, batch.targets,
								  cfg->balance == SER_BALANCE_CLASS_WEIGHTS ? class_weights : NULL, &loss, err);
			ser_net_acts_free(acts);
			if (st != SER_OK)
				goto cleanup;
			if (!isfinite(loss))
			{
				st = ser_error(err, SER_ENONFINITE, "training diverged: the loss became non-finite in epoch %d", epoch + 1);
				ser_error_hint(err, "Lower the learning rate.");
				goto cleanup;
			}
			loss_sum += loss;
			ser_clip_grad_norm(net->grads, net->n_trainable, cfg->clip_norm);
			lr = ser_lr_warmup_cosine(cfg->lr, cfg->min_lr, step, (long) cfg->warmup_epochs * n_batches, total_steps);
			ser_adam_step(&adam, net->values, net->grads, lr);
			step++;
		}

		memset(&report, 0, sizeof(report));
		report.epoch = epoch + 1;
		report.max_epochs = cfg->max_epochs;
		report.train_loss = loss_sum / n_batches;
		report.lr = lr;
		report.val_loss = report.val_accuracy = report.val_uar = NAN;
		res->epochs_run = epoch + 1;
		if (data->n_val > 0)
		{
			int			confusion[SER_NET_MAX_CLASSES * SER_NET_MAX_CLASSES];
			SerMetrics	m;
			double		vloss = 0.0;

			if ((st = ser_train_predict(net, data, norm.stats, data->val_idx, data->n_val, cfg->batch_size, val_pred, val_probs,
										err)) != SER_OK)
				goto cleanup;
			for (int s = 0; s < data->n_val; s++)
			{
				float		p = val_probs[(size_t) s * K + val_truth[s]];

				vloss -= log(p > 1e-12f ? p : 1e-12f);
			}
			if ((st = ser_confusion_matrix(val_truth, val_pred, data->n_val, K, confusion, err)) != SER_OK ||
				(st = ser_metrics_from_confusion(confusion, K, &m, err)) != SER_OK)
				goto cleanup;
			report.val_loss = vloss / data->n_val;
			report.val_accuracy = m.accuracy;
			report.val_uar = m.uar;
			if (isnan(res->best_val_uar) || m.uar > res->best_val_uar + 1e-12 ||
				(fabs(m.uar - res->best_val_uar) <= 1e-12 && report.val_loss < res->best_val_loss))
			{
				res->best_val_uar = m.uar;
				res->best_val_loss = report.val_loss;
				res->best_epoch = epoch + 1;
				memcpy(best, net->values, sizeof(float) * net->n_values);
				report.improved = true;
				since_best = 0;
			}
			else
				since_best++;
			report.stopping = since_best >= cfg->patience;
		}
		else
		{
			res->best_epoch = epoch + 1;
			memcpy(best, net->values, sizeof(float) * net->n_values);
			report.improved = true;
		}
		report.best_epoch = res->best_epoch;
		if (data->progress != NULL)
			data->progress(data->progress_ctx, &report);
		if (report.stopping)
			break;
	}
	memcpy(net->values, best, sizeof(float) * net->n_values);
	res->net = net;
	net = NULL;

cleanup:
	ser_net_free(net);
	ser_adam_free(&adam);
	batch_free(&batch);
	ser_free(order);
	ser_free(by_class);
	ser_free(decay);
	ser_free(best);
	ser_free(val_pred);
	ser_free(val_probs);
	ser_free(val_truth);
	if (st != SER_OK)
		ser_train_result_free(res);
	return st;
}
