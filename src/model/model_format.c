/*
 * model_format.c — saving and loading a model (model_format.h).  Members
 * are written and read by one pair of functions whatever their index: only
 * their names differ (the first member's tensors are unprefixed, as in the
 * files of ser 0.1.0 and of single-network models).
 */
#include "model/model_format.h"

#include <stdio.h>
#include <string.h>

#include "features/profile.h"
#include "model/tensor_blob.h"

static const char *const stat_names[4] = {"norm.frame_mean", "norm.frame_std", "norm.utt_mean", "norm.utt_std"};

int
ser_model_format_version(void)
{
	return SER_BLOB_VERSION;
}

/*
 * Blob name of a member's tensor: "<path><name>" for the first,
 * "<path>member<k>.<name>" for the others; path is "" for the model and
 * "alone." for its path without profiles.
 */
static void
member_name(const char *path, int k, const char *name, char *buf, size_t size)
{
	if (k == 0)
		snprintf(buf, size, "%s%s", path, name);
	else
		snprintf(buf, size, "%smember%d.%s", path, k, name);
}

static float **
stat_slot(SerNormStats *norm, int j)
{
	float	  **slots[4] = {&norm->frame_mean, &norm->frame_std, &norm->utt_mean, &norm->utt_std};

	return slots[j];
}

static SerStatus
save_member(SerBlobWriter *w, const char *path, int k, const SerModelMember *mb, SerError *err)
{
	const SerNet *net = mb->net;
	SerNormStats norm = mb->norm;
	char		name[SER_BLOB_MAX_NAME + 1];
	SerStatus	st = SER_OK;

	for (int j = 0; st == SER_OK && j < 4; j++)
	{
		int			n = j < 2 ? net->cfg.n_frame_features : net->cfg.n_utt_features;

		member_name(path, k, stat_names[j], name, sizeof(name));
		st = ser_blob_add_tensor(w, name, 1, &n, *stat_slot(&norm, j), err);
	}
	for (int i = 0; st == SER_OK && i < net->n_params; i++)
	{
		member_name(path, k, net->params[i].name, name, sizeof(name));
		st = ser_blob_add_tensor(w, name, net->params[i].ndim, net->params[i].dims, ser_net_param(net, i), err);
	}
	return st;
}

/* A tensor of one value. */
static SerStatus
add_scalar(SerBlobWriter *w, const char *name, double value, SerError *err)
{
	int			one = 1;
	float		v = (float) value;

	return ser_blob_add_tensor(w, name, 1, &one, &v, err);
}

/*
 * What came after the members in 0.2.0: the temperature when it is not 1,
 * then the path without profiles (its architecture, members and
 * temperature under "alone.").  A model without either is written as
 * before, byte for byte.
 */
static SerStatus
save_calibration_and_alone(SerBlobWriter *w, const SerModel *model, SerError *err)
{
	const SerModel *alone = model->alone;
	char		arch[SER_NET_CONFIG_TEXT];
	SerStatus	st = SER_OK;

	if (model->temperature != 1.0)
		st = add_scalar(w, "calibration.temperature", model->temperature, err);
	if (st != SER_OK || alone == NULL)
		return st;
	if ((st = ser_net_config_to_text(&alone->cfg, arch, sizeof(arch), err)) != SER_OK ||
		(st = ser_blob_add_text(w, "alone.arch", arch, err)) != SER_OK)
		return st;
	for (int k = 0; st == SER_OK && k < alone->n_members; k++)
		st = save_member(w, "alone.", k, &alone->members[k], err);
	if (st == SER_OK && alone->temperature != 1.0)
		st = add_scalar(w, "alone.calibration.temperature", alone->temperature, err);
	return st;
}

SerStatus
ser_model_save(const SerModel *model, unsigned char **blob, size_t *len, SerError *err)
{
	SerBlobWriter w;
	char		arch[SER_NET_CONFIG_TEXT];
	int			P = (int) ser_profile_length(model->cfg.n_frame_features, model->cfg.n_utt_features);
	SerStatus	st;

	*blob = NULL;
	*len = 0;
	if (model->n_members < 1)
		return ser_error(err, SER_EINVAL, "model has no networks");
	if ((st = ser_net_config_to_text(&model->cfg, arch, sizeof(arch), err)) != SER_OK)
		return st;
	ser_blob_writer_init(&w);
	st = ser_blob_add_text(&w, "arch", arch, err);
	if (st == SER_OK)
		st = ser_blob_add_text(&w, "classes", model->classes, err);
	if (st == SER_OK)
		st = ser_blob_add_text(&w, "features", model->feature_params, err);
	if (st == SER_OK)
		st = ser_blob_add_text(&w, "train_info", model->train_info, err);
	if (st == SER_OK)
		st = save_member(&w, "", 0, &model->members[0], err);
	/* After the first member: the order of every file written so far. */
	if (st == SER_OK && model->population_profile != NULL)
		st = ser_blob_add_tensor(&w, "norm.population_profile", 1, &P, model->population_profile, err);
	for (int k = 1; st == SER_OK && k < model->n_members; k++)
		st = save_member(&w, "", k, &model->members[k], err);
	if (st == SER_OK)
		st = save_calibration_and_alone(&w, model, err);
	if (st == SER_OK)
		st = ser_blob_finish(&w, blob, len, err);
	ser_blob_writer_free(&w);
	return st;
}

/* Prefix a model check's message with "corrupt model: " and make it SER_ECORRUPT. */
static SerStatus
as_corrupt(SerError *err)
{
	char		msg[SER_ERROR_TEXT];

	if (err->status == SER_ENOMEM || strncmp(err->message, "corrupt model", 13) == 0)
		return err->status;
	snprintf(msg, sizeof(msg), "corrupt model: %.480s", err->message);
	memcpy(err->message, msg, sizeof(msg));
	err->status = SER_ECORRUPT;
	return SER_ECORRUPT;
}

/* Member k's network and statistics from the blob, added to the model. */
static SerStatus
load_member(const SerBlob *blob, const char *path, int k, SerModel *model, SerError *err)
{
	const SerNetConfig *cfg = &model->cfg;
	char		name[SER_BLOB_MAX_NAME + 1];
	SerNet	   *net;
	SerNormStats norm;
	const float *v;
	SerStatus	st;

	if ((st = ser_net_create_folded(cfg, &net, err)) != SER_OK)
		return st;
	for (int i = 0; i < net->n_params; i++)
	{
		const SerParam *p = &net->params[i];

		member_name(path, k, p->name, name, sizeof(name));
		if ((st = ser_blob_get_tensor(blob, name, p->ndim, p->dims, &v, err)) != SER_OK)
		{
			ser_net_free(net);
			return st;
		}
		memcpy(ser_net_param(net, i), v, sizeof(float) * p->size);
	}
	if ((st = ser_norm_stats_alloc(&norm, cfg->n_frame_features, cfg->n_utt_features, err)) != SER_OK)
	{
		ser_net_free(net);
		return st;
	}
	for (int j = 0; j < 4; j++)
	{
		int			n = j < 2 ? cfg->n_frame_features : cfg->n_utt_features;

		member_name(path, k, stat_names[j], name, sizeof(name));
		if ((st = ser_blob_get_tensor(blob, name, 1, &n, &v, err)) != SER_OK)
		{
			ser_net_free(net);
			ser_norm_stats_free(&norm);
			return st;
		}
		memcpy(*stat_slot(&norm, j), v, sizeof(float) * (size_t) n);
	}
	if ((st = ser_model_adopt_member(model, net, &norm, SER_ECORRUPT, err)) != SER_OK)
		return as_corrupt(err);
	return SER_OK;
}

/* The first member, then further ones while there are any. */
static SerStatus
load_members(const SerBlob *blob, const char *path, SerModel *m, SerError *err)
{
	SerStatus	st = SER_OK;

	for (int k = 0; st == SER_OK; k++)
	{
		char		probe[SER_BLOB_MAX_NAME + 1];

		member_name(path, k, stat_names[0], probe, sizeof(probe));
		if (k > 0 && ser_blob_find(blob, probe) == NULL)
			break;
		if (k >= SER_MODEL_MAX_MEMBERS)
			st = ser_error(err, SER_ECORRUPT, "corrupt model: more than %d ensemble members", SER_MODEL_MAX_MEMBERS);
		else
			st = load_member(blob, path, k, m, err);
	}
	return st;
}

/* The temperature under path, if stored (models without one keep 1). */
static SerStatus
load_temperature(const SerBlob *blob, const char *path, SerModel *m, SerError *err)
{
	char		name[SER_BLOB_MAX_NAME + 1];
	int			one = 1;
	const float *v;

	snprintf(name, sizeof(name), "%scalibration.temperature", path);
	if (ser_blob_find(blob, name) == NULL)
		return SER_OK;
	if (ser_blob_get_tensor(blob, name, 1, &one, &v, err) != SER_OK)
		return err->status;
	if (*v == 1.0f || ser_model_set_temperature(m, *v, err) != SER_OK)
		return ser_error(err, SER_ECORRUPT, "corrupt model: invalid temperature %g", (double) *v);
	return SER_OK;
}

/* The path without profiles: an ensemble of its own architecture on the model's features and classes. */
static SerStatus
load_alone(const SerBlob *blob, SerModel *m, SerError *err)
{
	const char *arch;
	SerNetConfig cfg;
	SerModel   *alone;
	SerStatus	st;

	if ((st = ser_blob_get_text(blob, "alone.arch", &arch, err)) != SER_OK ||
		(st = ser_net_config_from_text(arch, &cfg, err)) != SER_OK)
		return st;
	if ((st = ser_model_create(&cfg, NULL, m->feature_params, m->classes, "", &alone, err)) != SER_OK)
		return as_corrupt(err);
	if ((st = load_members(blob, "alone.", alone, err)) != SER_OK ||
		(st = load_temperature(blob, "alone.", alone, err)) != SER_OK)
	{
		ser_model_free(alone);
		return st;
	}
	if ((st = ser_model_attach_alone(m, alone, err)) != SER_OK)
		return as_corrupt(err);
	return SER_OK;
}

SerStatus
ser_model_load(const void *data, size_t len, SerModel **out, SerError *err)
{
	SerBlob		blob;
	SerModel   *m = NULL;
	SerNetConfig cfg;
	const char *arch,
			   *classes,
			   *features,
			   *train_info;
	const float *population = NULL;
	SerStatus	st;
	int			expected_entries;

	*out = NULL;
	if ((st = ser_blob_parse(data, len, &blob, err)) != SER_OK)
		return st;
	if ((st = ser_blob_get_text(&blob, "arch", &arch, err)) != SER_OK ||
		(st = ser_net_config_from_text(arch, &cfg, err)) != SER_OK ||
		(st = ser_blob_get_text(&blob, "classes", &classes, err)) != SER_OK ||
		(st = ser_blob_get_text(&blob, "features", &features, err)) != SER_OK ||
		(st = ser_blob_get_text(&blob, "train_info", &train_info, err)) != SER_OK)
		goto done;
	if (cfg.speaker_normalisation)
	{
		int			P = (int) ser_profile_length(cfg.n_frame_features, cfg.n_utt_features);

		if ((st = ser_blob_get_tensor(&blob, "norm.population_profile", 1, &P, &population, err)) != SER_OK)
			goto done;
	}
	if ((st = ser_model_create(&cfg, population, features, classes, train_info, &m, err)) != SER_OK)
	{
		st = as_corrupt(err);
		goto done;
	}
	if ((st = load_members(&blob, "", m, err)) != SER_OK ||
		(st = load_temperature(&blob, "", m, err)) != SER_OK)
		goto done;
	expected_entries = 4 + (cfg.speaker_normalisation ? 1 : 0) + m->n_members * (m->members[0].net->n_params + 4) +
		(m->temperature != 1.0 ? 1 : 0);
	if (ser_blob_find(&blob, "alone.arch") != NULL)
	{
		if ((st = load_alone(&blob, m, err)) != SER_OK)
			goto done;
		expected_entries += 1 + m->alone->n_members * (m->alone->members[0].net->n_params + 4) +
			(m->alone->temperature != 1.0 ? 1 : 0);
	}
	if (blob.n_entries != expected_entries)
	{
		st = ser_error(err, SER_ECORRUPT, "corrupt model: unexpected entries");
		ser_error_detail(err, "The model holds %d entries; its architecture accounts for %d.",
						 blob.n_entries, expected_entries);
	}

done:
	ser_blob_free(&blob);
	if (st != SER_OK)
	{
		ser_model_free(m);
		return st;
	}
	*out = m;
	return SER_OK;
}
