/*
 * recipe.h — the training recipe users set: every argument of ser_train()
 * and ser_evaluate() that shapes training, with its default, its range and
 * what it does, defined once in recipe.c.  The SQL functions take NULL (or
 * an omitted argument) to mean the default here, ser_training_defaults()
 * lists them, and src/tools/train_default_model.sh reads them from there:
 * the defaults are the recipe of the shipped model.
 */
#ifndef SER_CLASSIFIER_RECIPE_H
#define SER_CLASSIFIER_RECIPE_H

#include "classifier/classifier.h"
#include "classifier/corpus.h"

typedef enum SerRecipeKind
{
	SER_RECIPE_INT,
	SER_RECIPE_REAL,
	SER_RECIPE_BOOL,
	SER_RECIPE_SEED				/* any 64-bit integer */
} SerRecipeKind;

typedef struct SerRecipeArg
{
	const char *name;			/* the SQL argument's name */
	SerRecipeKind kind;
	double		default_value;
	double		min;			/* inclusive range of INT and REAL arguments */
	double		max;
	const char *description;
} SerRecipeArg;

int			ser_recipe_arg_count(void);
const SerRecipeArg *ser_recipe_arg(int index);
/* The argument called name, or NULL. */
const SerRecipeArg *ser_recipe_find(const char *name);
/* The default as SQL would write it: "25", "0.002", "true". */
void		ser_recipe_default_text(const SerRecipeArg *arg, char *buf, size_t size);

/*
 * Every argument at its default, over spec (and augment, which may be NULL
 * when waveform perturbation is not wanted): ser_classifier_spec_default
 * does this.
 */
void		ser_recipe_defaults(SerClassifierSpec *spec, SerWaveAugment *augment);

/*
 * Set argument name to value (booleans 0/1) after checking its range:
 * SER_EINVAL naming the argument and its range otherwise.
 */
SerStatus	ser_recipe_set_int(SerClassifierSpec *spec, SerWaveAugment *augment, const char *name, int64_t value,
							   SerError *err);
SerStatus	ser_recipe_set_real(SerClassifierSpec *spec, SerWaveAugment *augment, const char *name, double value,
								SerError *err);

#endif							/* SER_CLASSIFIER_RECIPE_H */
