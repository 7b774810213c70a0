/*
 * feature_cache.h — reading the files feature_cache.c writes (the layout is
 * described there).  Header-only: each evaluation program is one file.
 */
#ifndef SER_TEST_EVAL_FEATURE_CACHE_H
#define SER_TEST_EVAL_FEATURE_CACHE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_NAME_BYTES 64
#define CACHE_CODE_BYTES 32

typedef struct FeatureCache
{
	int			n;
	int			dim;
	char	   *params;			/* the feature parameters' text form */
	char	   *names;			/* [dim][CACHE_NAME_BYTES] */
	int		   *actor;
	int		   *label;
	char	   *code;			/* [n][CACHE_CODE_BYTES] */
	float	   *x;				/* [n][dim] */
} FeatureCache;

static inline void
cache_read_or_die(void *p, size_t size, size_t count, FILE *f, const char *path)
{
	if (fread(p, size, count, f) != count)
	{
		fprintf(stderr, "%s: truncated feature cache\n", path);
		exit(1);
	}
}

static inline void
feature_cache_load(const char *path, FeatureCache *c)
{
	FILE	   *f = fopen(path, "rb");
	char		magic[8];
	int32_t		header[3];

	if (f == NULL)
	{
		fprintf(stderr, "%s: cannot open\n", path);
		exit(1);
	}
	cache_read_or_die(magic, 1, 8, f, path);
	if (memcmp(magic, "SERFC001", 8) != 0)
	{
		fprintf(stderr, "%s: not a feature cache\n", path);
		exit(1);
	}
	cache_read_or_die(header, sizeof(int32_t), 3, f, path);
	c->n = header[0];
	c->dim = header[1];
	c->params = calloc((size_t) header[2] + 1, 1);
	cache_read_or_die(c->params, 1, (size_t) header[2], f, path);
	c->names = malloc((size_t) c->dim * CACHE_NAME_BYTES);
	cache_read_or_die(c->names, CACHE_NAME_BYTES, (size_t) c->dim, f, path);
	c->actor = malloc(sizeof(int) * (size_t) c->n);
	c->label = malloc(sizeof(int) * (size_t) c->n);
	c->code = malloc((size_t) c->n * CACHE_CODE_BYTES);
	c->x = malloc(sizeof(float) * (size_t) c->n * (size_t) c->dim);
	for (int i = 0; i < c->n; i++)
	{
		int32_t		meta[3];

		cache_read_or_die(meta, sizeof(int32_t), 3, f, path);
		c->actor[i] = meta[0];
		c->label[i] = meta[1];
		cache_read_or_die(c->code + (size_t) i * CACHE_CODE_BYTES, 1, CACHE_CODE_BYTES, f, path);
		cache_read_or_die(c->x + (size_t) i * c->dim, sizeof(float), (size_t) c->dim, f, path);
	}
	fclose(f);
}

static inline void
feature_cache_free(FeatureCache *c)
{
	free(c->params);
	free(c->names);
	free(c->actor);
	free(c->label);
	free(c->code);
	free(c->x);
	memset(c, 0, sizeof(*c));
}

static inline const char *
feature_cache_name(const FeatureCache *c, int j)
{
	return c->names + (size_t) j * CACHE_NAME_BYTES;
}

#endif							/* SER_TEST_EVAL_FEATURE_CACHE_H */
