/*
 * test_model_train.c — training end to end on a synthetic task the network
 * must solve: the class is which pair of frame features carries extra
 * energy during part of the clip, on top of per-speaker offsets and noise;
 * the utterance features are pure noise.  Speakers are split by group into
 * training, validation and test.  Also: a seed reproduces a run bit for bit
 * and another seed does not; one-hot soft targets train exactly as the
 * labels do, and soft targets that are not distributions are refused; the
 * data callback sees clean requests for statistics/validation and
 * per-epoch requests (with their own rng) for training; progress is
 * reported per epoch; cancellation mid-run returns SER_ECANCELED with
 * nothing left allocated.
 */
#include "unit.h"

#include "model/metrics.h"
#include "model/train.h"

#define F 8
#define D 3
#define K 4
#define N_SPEAKERS 20
#define PER_SPEAKER 12
#define N_CLIPS (N_SPEAKERS * PER_SPEAKER)
#define MAX_T 70


typedef struct Corpus
{
	int			labels[N_CLIPS];
	int			groups[N_CLIPS];
	float		frames[MAX_T * F];	/* the clip handed out last */
	float		utt[D];
	long		clean_calls;
	long		epoch_calls;
	long		rng_draws_differ;	/* per-epoch rngs of one clip differ between epochs */
	uint64_t	last_draw[N_CLIPS];
} Corpus;

/*
 * Clip i: speaker i / PER_SPEAKER, class i % K, length 40..69.  Frames are
 * noise + a speaker offset per feature; features 2y and 2y+1 get +1.5
 * during a stretch of the clip.  For training epochs a "waveform" gain in
 * [0.8, 1.2] is drawn from the rng, as a caller's re-featurisation would.
 */
static SerStatus
get_sample(void *ctx, int index, int epoch, SerRng *rng, const float **frames, int *n_frames,
		   const float **utt, SerError *err)
{
	Corpus	   *c = ctx;
	SerRng		clip_rng;
	int			y = c->labels[index];
	int			speaker = c->groups[index];
	int			T = 40 + (index * 7) % 30;
	int			start;
	float		gain = 1.0f;

	if (index < 0 || index >= N_CLIPS)
		return ser_error(err, SER_EINVAL, "no clip %d", index);
	ser_rng_seed(&clip_rng, (uint64_t) index * 7919 + 1);
	start = (int) ser_rng_below(&clip_rng, (uint32_t) (T / 2));
	if (epoch == SER_EPOCH_CLEAN)
		c->clean_calls++;
	else
	{
		uint64_t	draw = ser_rng_next(rng);

		c->epoch_calls++;
		if (c->last_draw[index] != 0 && c->last_draw[index] != draw)
			c->rng_draws_differ++;
		c->last_draw[index] = draw;
		gain = 0.8f + 0.4f * ser_rng_uniform(rng);
	}
	for (int t = 0; t < T; t++)
		for (int f = 0; f < F; f++)
		{
			float		v = ser_rng_normal(&clip_rng) * 0.7f + 0.3f * (float) ((speaker * 5 + f * 3) % 7 - 3);

			if ((f == 2 * y || f == 2 * y + 1) && t >= start && t < start + T / 2)
				v += 1.5f;
			c->frames[t * F + f] = gain * v;
		}
	for (int i = 0; i < D; i++)
		c->utt[i] = ser_rng_normal(&clip_rng);
	*frames = c->frames;
	*n_frames = T;
	*utt = c->utt;
	return SER_OK;
}

typedef struct Progress
{
	int			reports;
	SerEpochReport last;
} Progress;

static void
progress(void *ctx, const SerEpochReport *r)
{
	Progress   *p = ctx;

	p->reports++;
	p->last = *r;
}

static long cancel_after = -1;
static bool
cancel_check(void)
{
	return cancel_after >= 0 && cancel_after-- == 0;
}

static Corpus corpus;
static int	train_idx[N_CLIPS],
			val_idx[N_CLIPS],
			test_idx[N_CLIPS];
static int	n_train,
			n_val,
			n_test;

static void
setup(void)
{
	int			folds[N_CLIPS];
	bool		candidate[N_CLIPS];
	bool		is_val[N_CLIPS];
	SerError	err;

	for (int i = 0; i < N_CLIPS; i++)
	{
		corpus.labels[i] = i % K;
		corpus.groups[i] = i / PER_SPEAKER;
	}
	/* fold 0 of a group 5-fold split is the test set; 20% of the rest, by speaker, validates */
	ser_group_kfold(corpus.groups, N_CLIPS, 5, folds, &err);
	for (int i = 0; i < N_CLIPS; i++)
		candidate[i] = folds[i] != 0;
	ser_group_holdout(corpus.groups, candidate, N_CLIPS, 0.2, 3, is_val, &err);
	for (int i = 0; i < N_CLIPS; i++)
	{
		if (folds[i] == 0)
			test_idx[n_test++] = i;
		else if (is_val[i])
			val_idx[n_val++] = i;
		else
			train_idx[n_train++] = i;
	}
}

static void
configs(SerNetConfig *net, SerTrainConfig *cfg, uint64_t seed)
{
	ser_net_default_config(net, F, D, K);
	net->stem_channels = 12;
	net->branch_channels = 6;
	net->n_res_blocks = 1;
	net->attention_dim = 8;
	net->utt_hidden = 4;
	net->fused_hidden = 16;
	ser_train_default_config(cfg);
	cfg->max_epochs = 40;
	cfg->batch_size = 16;
	cfg->lr = 3e-3f;
	cfg->warmup_epochs = 2;
	cfg->patience = 8;
	cfg->seed = seed;
	cfg->augment.time_mask_max = 6;
	cfg->augment.feature_mask_max = 1;
}

static SerTrainData
data_for(Progress *p)
{
	SerTrainData d;

	memset(&d, 0, sizeof(d));
	d.n_classes = K;
	d.n_frame_features = F;
	d.n_utt_features = D;
	d.labels = corpus.labels;
	d.train_idx = train_idx;
	d.n_train = n_train;
	d.val_idx = val_idx;
	d.n_val = n_val;
	d.get_sample = get_sample;
	d.sample_ctx = &corpus;
	d.progress = progress;
	d.progress_ctx = p;
	return d;
}

int
main(void)
{
	SerNetConfig net_cfg;
	SerTrainConfig cfg;
	SerTrainResult res;
	SerTrainResult res2;
	SerError	err;
	Progress	prog = {0};
	SerTrainData data;
	SerStatus	st;
	int			pred[N_CLIPS];
	int			truth[N_CLIPS];
	int			cm[K * K];
	SerMetrics	m;
	bool		speakers_disjoint = true;

	ser_set_allocator(counting_alloc, counting_free);
	setup();
	for (int i = 0; i < n_test; i++)
		for (int j = 0; j < n_train; j++)
			if (corpus.groups[test_idx[i]] == corpus.groups[train_idx[j]])
				speakers_disjoint = false;
	UNIT_OK(speakers_disjoint && n_val > 0, "split: %d training, %d validation, %d test clips, no speaker shared",
			n_train, n_val, n_test);

	configs(&net_cfg, &cfg, 1);
	data = data_for(&prog);
	st = ser_train(&net_cfg, &cfg, &data, &res, &err);
	UNIT_OK(st == SER_OK, "training runs (%s)", st == SER_OK ? "ok" : err.message);
	if (st != SER_OK)
		return unit_done();
	UNIT_OK(prog.reports == res.epochs_run && prog.last.epoch == res.epochs_run,
			"progress reported once per epoch (%d epochs, best %d, validation UAR %.3f)",
			res.epochs_run, res.best_epoch, res.best_val_uar);
	UNIT_OK(res.epochs_run == cfg.max_epochs || res.epochs_run - res.best_epoch == cfg.patience,
			"training ran to the end or stopped exactly `patience` epochs after the best");
	UNIT_OK(corpus.clean_calls >= n_train + n_val && corpus.epoch_calls >= (long) n_train * res.epochs_run,
			"data callback: %ld clean requests (statistics, validation), %ld augmented ones",
			corpus.clean_calls, corpus.epoch_calls);
	UNIT_OK(corpus.rng_draws_differ > 0, "each epoch hands a clip a different rng");

	ser_train_predict(res.net, &data, &res.norm,
					  test_idx, n_test, 32, pred, NULL, &err);
	for (int i = 0; i < n_test; i++)
		truth[i] = corpus.labels[test_idx[i]];
	ser_confusion_matrix(truth, pred, n_test, K, cm, &err);
	ser_metrics_from_confusion(cm, K, &m, &err);
	UNIT_OK(m.uar >= 0.9, "unseen speakers: UAR %.3f, accuracy %.3f (must be >= 0.9; chance is 0.25)",
			m.uar, m.accuracy);

	/* the same seed gives the same bits, another seed does not */
	{
		Progress	p2 = {0};
		SerTrainData d2 = data_for(&p2);
		bool		same;

		st = ser_train(&net_cfg, &cfg, &d2, &res2, &err);
		same = st == SER_OK && res2.net->n_values == res.net->n_values &&
			memcmp(res2.net->values, res.net->values, sizeof(float) * res.net->n_values) == 0 &&
			memcmp(res2.norm.frame_mean, res.norm.frame_mean, sizeof(float) * F) == 0 &&
			res2.best_epoch == res.best_epoch;
		UNIT_OK(same, "a second run with seed 1 reproduces every weight bit for bit");
		ser_train_result_free(&res2);

		/* soft targets (distillation): one-hot ones are the labels, bit for bit; others move the weights */
		{
			static float onehot[N_CLIPS * K],
						soft[N_CLIPS * K];

			for (int i = 0; i < N_CLIPS; i++)
				for (int k = 0; k < K; k++)
				{
					onehot[i * K + k] = k == corpus.labels[i] ? 1.0f : 0.0f;
					soft[i * K + k] = k == corpus.labels[i] ? 0.7f : 0.1f;
				}
			d2.soft_targets = onehot;
			st = ser_train(&net_cfg, &cfg, &d2, &res2, &err);
			same = st == SER_OK && memcmp(res2.net->values, res.net->values, sizeof(float) * res.net->n_values) == 0;
			UNIT_OK(same, "one-hot soft targets reproduce the labels' training bit for bit");
			ser_train_result_free(&res2);
			d2.soft_targets = soft;
			st = ser_train(&net_cfg, &cfg, &d2, &res2, &err);
			UNIT_OK(st == SER_OK && memcmp(res2.net->values, res.net->values, sizeof(float) * res.net->n_trainable) != 0,
					"smoothed soft targets train other weights");
			if (st == SER_OK)
				ser_train_result_free(&res2);
			soft[train_idx[3] * K] = 0.9f;	/* that row no longer sums to 1 */
			st = ser_train(&net_cfg, &cfg, &d2, &res2, &err);
			UNIT_OK(st == SER_EINVAL && strstr(err.message, "sum to") != NULL,
					"soft targets that are not a distribution are refused: %s", err.message);
			soft[train_idx[3] * K] = -0.1f;
			st = ser_train(&net_cfg, &cfg, &d2, &res2, &err);
			UNIT_OK(st == SER_EINVAL && strstr(err.message, "outside [0, 1]") != NULL,
					"a negative soft target is refused: %s", err.message);
			d2.soft_targets = NULL;
		}
		cfg.seed = 2;
		cfg.max_epochs = 2;
		st = ser_train(&net_cfg, &cfg, &d2, &res2, &err);
		UNIT_OK(st == SER_OK && memcmp(res2.net->values, res.net->values, sizeof(float) * res.net->n_trainable) != 0,
				"seed 2 gives other weights");
		ser_train_result_free(&res2);
	}
	ser_train_result_free(&res);

	/* cancellation part-way through an epoch */
	{
		Progress	p3 = {0};
		SerTrainData d3 = data_for(&p3);

		cfg.seed = 1;
		cfg.max_epochs = 5;
		ser_set_interrupt_check(cancel_check);
		cancel_after = 200;		/* checks happen per clip (statistics), per batch and per residual block */
		st = ser_train(&net_cfg, &cfg, &d3, &res2, &err);
		ser_set_interrupt_check(NULL);
		if (st == SER_OK)
			ser_train_result_free(&res2);
		UNIT_OK(st == SER_ECANCELED && res2.net == NULL && outstanding == 0,
				"cancel mid-training: SER_ECANCELED after %d epochs, nothing left allocated (%ld)",
				p3.reports, outstanding);
	}
	/* invalid parameters */
	cfg.batch_size = 1;
	st = ser_train(&net_cfg, &cfg, &data, &res2, &err);
	UNIT_OK(st == SER_EINVAL, "batch size 1 is refused: %s", err.message);
	UNIT_OK(outstanding == 0, "no allocation outstanding at the end (%ld)", outstanding);
	return unit_done();
}
