/*
 * model_pg.h — what the model's SQL functions share: the model cache
 * (model_cache.c), the training set read from a query (training_set.c), and
 * names fit for messages.
 */
#ifndef SER_MODEL_PG_H
#define SER_MODEL_PG_H

#include "postgres.h"

#include "access/transam.h"
#include "fmgr.h"
#include "utils/array.h"

#include "classifier/classifier.h"
#include "classifier/corpus.h"

#define SER_DEFAULT_MODEL_NAME "default"

/* A model ready to classify with; everything lives in cxt. */
typedef struct LoadedModel
{
	MemoryContext cxt;
	char	   *name;
	SerModel   *model;
	SerFeatureParams params;	/* the model's own feature parameters */
	int			n_classes;
	char	  **class_names;	/* verified text */
	size_t		blob_size;
	uint64		serial;			/* a model of ser_models: which load this is (model_cache.c) */
} LoadedModel;

/*
 * The model a call names: 'default' (the shipped file), loaded once per
 * backend, or a row of ser_models, kept per backend while that row version
 * is the one the statement sees (model_cache.c).  Errors if there is none.
 */
LoadedModel *ser_get_model(FunctionCallInfo fcinfo, const char *name);
/* The shipped model, or NULL when its file is not installed. */
LoadedModel *ser_default_model_if_installed(void);

/* The extension's schema: the one the calling function lives in. */
char	   *ser_extension_schema(FunctionCallInfo fcinfo);
/* A clear 42501 naming the role to grant when ser_models may not be read (ACL_SELECT) or written (ACL_INSERT). */
void		ser_require_models_privilege(FunctionCallInfo fcinfo, AclMode mode);

/*
 * A user-given name as messages show it: at most 64 bytes, clipped at a
 * character boundary and marked "...", so that a huge name does not flood
 * the client and the log.
 */
const char *ser_name_for_message(const char *name);

/* What ser_train and ser_evaluate read from their query. */
typedef struct TrainingSet
{
	SerCorpus	corpus;
	int			n_classes;
	char	  **class_names;
	char	  **speakers;		/* distinct speaker values, index = group id */
	int			n_speakers;
} TrainingSet;

/*
 * Run query (audio bytea, label text, speaker text), decode every recording
 * at the feature rate and fill ts.  Classes: classes_arg, else the shipped
 * model's classes in its order when every label is one of them, else the
 * distinct labels sorted.
 */
void		ser_read_training_set(TrainingSet *ts, const char *query, ArrayType *classes_arg,
								  const SerWaveAugment *augment);

/* A text[] of C strings. */
ArrayType  *ser_text_array(char **items, int n);

#endif							/* SER_MODEL_PG_H */
