/*
 * recipe.c — the training recipe's arguments, their defaults and ranges,
 * in one table (recipe.h).
 *
 * The defaults are the recipe of the shipped model, chosen by
 * speaker-grouped cross-validation on RAVDESS actors 01-20 (model/README.md
 * lists what each choice measured): 25 epochs on all training speakers and
 * no early stopping (holding out 15 % of the speakers for it cost 3 points
 * of UAR per network, as the epoch it picks on 3 speakers is noise),
 * weight decay 1e-3, waveform perturbation of half the recordings each
 * epoch (about a point of UAR for both kinds of network, at 2.2x the
 * training time), speaker normalisation, an ensemble of 3 networks, and for
 * recordings without a profile an ensemble of 3 trained without speaker
 * normalisation; temperatures fitted on out-of-fold predictions.
 */
#include "classifier/recipe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

static const SerRecipeArg recipe_args[] = {
	{"epochs", SER_RECIPE_INT, 25, 1, 10000, "training epochs of every network"},
	{"batch_size", SER_RECIPE_INT, 32, 2, 4096, "recordings per optimiser step"},
	{"learning_rate", SER_RECIPE_REAL, 0.002, 1e-7, 1.0,
	"peak learning rate (warm-up, then a cosine to a hundredth of it)"},
	{"weight_decay", SER_RECIPE_REAL, 0.001, 0.0, 1.0, "L2 penalty on weight matrices"},
	{"patience", SER_RECIPE_INT, 10, 1, 10000,
	"epochs without a better validation UAR before early stopping (with validation_fraction > 0)"},
	{"validation_fraction", SER_RECIPE_REAL, 0.0, 0.0, 0.5,
	"fraction of the recordings, by whole speakers, held out for early stopping; 0: none"},
	{"augment", SER_RECIPE_BOOL, 1, 0, 1, "random crops and SpecAugment-style time and feature masks"},
	{"perturbation", SER_RECIPE_REAL, 0.5, 0.0, 1.0,
	"probability that a training recording is re-featurised after speed, gain and noise perturbation"},
	{"seed", SER_RECIPE_SEED, 1, 0, 0, "seed of the first network; network k uses seed + k"},
	{"speaker_normalisation", SER_RECIPE_BOOL, 1, 0, 1,
	"centre every speaker's features on that speaker's profile; the model then takes a speaker_profile"},
	{"ensemble", SER_RECIPE_INT, 3, 1, SER_MODEL_MAX_MEMBERS, "networks trained, probabilities averaged"},
	{"alone_ensemble", SER_RECIPE_INT, 3, 0, SER_MODEL_MAX_MEMBERS,
	"with speaker normalisation: networks trained without it, for recordings classified without a speaker profile; "
	"0: such recordings are centred on the training speakers' mean profile"},
	{"calibrate", SER_RECIPE_BOOL, 1, 0, 1,
	"fit a temperature per path on out-of-fold predictions of 5 folds grouped by speaker (ser_train: about "
	"five times the training time), so that confidences match accuracy"},
};

#define N_RECIPE_ARGS ((int) (sizeof(recipe_args) / sizeof(recipe_args[0])))

int
ser_recipe_arg_count(void)
{
	return N_RECIPE_ARGS;
}

const SerRecipeArg *
ser_recipe_arg(int index)
{
	return index >= 0 && index < N_RECIPE_ARGS ? &recipe_args[index] : NULL;
}

const SerRecipeArg *
ser_recipe_find(const char *name)
{
	for (int i = 0; i < N_RECIPE_ARGS; i++)
		if (strcmp(recipe_args[i].name, name) == 0)
			return &recipe_args[i];
	return NULL;
}

void
ser_recipe_default_text(const SerRecipeArg *arg, char *buf, size_t size)
{
	if (arg->kind == SER_RECIPE_BOOL)
		snprintf(buf, size, "%s", arg->default_value != 0 ? "true" : "false");
	else
		snprintf(buf, size, "%.17g", arg->default_value);
}

/* Store a checked value into the spec or the waveform augmentation. */
static void
apply(SerClassifierSpec *spec, SerWaveAugment *augment, const char *name, int64_t i, double r)
{
	if (strcmp(name, "epochs") == 0)
		spec->train.max_epochs = (int) i;
	else if (strcmp(name, "batch_size") == 0)
		spec->train.batch_size = (int) i;
	else if (strcmp(name, "learning_rate") == 0)
	{
		spec->train.lr = (float) r;
		spec->train.min_lr = spec->train.lr / 100.0f;
	}
	else if (strcmp(name, "weight_decay") == 0)
		spec->train.l2 = (float) r;
	else if (strcmp(name, "patience") == 0)
		spec->train.patience = (int) i;
	else if (strcmp(name, "validation_fraction") == 0)
		spec->validation_fraction = r;
	else if (strcmp(name, "augment") == 0)
	{
		SerTrainConfig trainer;

		/* On: the trainer's masks and crops; off: none. */
		ser_train_default_config(&trainer);
		spec->train.augment = trainer.augment;
		if (!i)
		{
			spec->train.augment.crop_min_fraction = 1.0f;
			spec->train.augment.time_masks = 0;
			spec->train.augment.feature_masks = 0;
		}
	}
	else if (strcmp(name, "perturbation") == 0)
	{
		if (augment != NULL)
			augment->probability = (float) r;
	}
	else if (strcmp(name, "seed") == 0)
		spec->train.seed = (uint64_t) i;
	else if (strcmp(name, "speaker_normalisation") == 0)
		spec->speaker_normalisation = i != 0;
	else if (strcmp(name, "ensemble") == 0)
		spec->ensemble = (int) i;
	else if (strcmp(name, "alone_ensemble") == 0)
		spec->alone_ensemble = (int) i;
	else if (strcmp(name, "calibrate") == 0)
		spec->calibrate = i != 0;
}

static SerStatus
out_of_range(const SerRecipeArg *arg, SerError *err)
{
	ser_error(err, SER_EINVAL, "%s must be between %g and %g", arg->name, arg->min, arg->max);
	return SER_EINVAL;
}

static const SerRecipeArg *
find_or_fail(const char *name, SerError *err)
{
	const SerRecipeArg *arg = ser_recipe_find(name);

	if (arg == NULL)
		ser_error(err, SER_EINVAL, "unknown training argument \"%.60s\"", name);
	return arg;
}

SerStatus
ser_recipe_set_int(SerClassifierSpec *spec, SerWaveAugment *augment, const char *name, int64_t value,
				   SerError *err)
{
	const SerRecipeArg *arg = find_or_fail(name, err);

	if (arg == NULL)
		return SER_EINVAL;
	if (arg->kind == SER_RECIPE_REAL)
		return ser_recipe_set_real(spec, augment, name, (double) value, err);
	if (arg->kind != SER_RECIPE_SEED && ((double) value < arg->min || (double) value > arg->max))
		return out_of_range(arg, err);
	apply(spec, augment, name, value, (double) value);
	return SER_OK;
}

SerStatus
ser_recipe_set_real(SerClassifierSpec *spec, SerWaveAugment *augment, const char *name, double value,
					SerError *err)
{
	const SerRecipeArg *arg = find_or_fail(name, err);

	if (arg == NULL)
		return SER_EINVAL;
	if (arg->kind != SER_RECIPE_REAL)
	{
		if (!(value == floor(value)) || fabs(value) > 9e15)
			return ser_error(err, SER_EINVAL, "%s must be an integer", arg->name);
		return ser_recipe_set_int(spec, augment, name, (int64_t) value, err);
	}
	if (!(value >= arg->min && value <= arg->max))
		return out_of_range(arg, err);
	apply(spec, augment, name, 0, value);
	return SER_OK;
}

void
ser_recipe_defaults(SerClassifierSpec *spec, SerWaveAugment *augment)
{
	SerError	err;

	for (int i = 0; i < N_RECIPE_ARGS; i++)
	{
		const SerRecipeArg *arg = &recipe_args[i];

		/* The table's defaults are in range (test_classifier checks it). */
		if (arg->kind == SER_RECIPE_REAL)
			(void) ser_recipe_set_real(spec, augment, arg->name, arg->default_value, &err);
		else
			(void) ser_recipe_set_int(spec, augment, arg->name, (int64_t) arg->default_value, &err);
	}
}
