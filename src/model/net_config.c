/*
 * net_config.c — the network's hyper-parameters, one table: the text key of
 * each (part of the model file format), where it lives in SerNetConfig, its
 * kind, range and default, and whether files must hold it.  Defaults,
 * validation and both directions of the text form walk this table.
 */
#include "model/net_config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum NetFieldKind
{
	NET_INT,					/* int in [lo, hi] */
	NET_ODD_INT,				/* odd int in [lo, hi] */
	NET_FLAG,					/* int, 0 or 1 */
	NET_RATE,					/* float in [0, 1) */
	NET_KERNELS					/* branch_kernels[n_branches]: odd ints in [lo, hi] */
} NetFieldKind;

typedef struct NetField
{
	const char *key;			/* in the text form */
	NetFieldKind kind;
	size_t		offset;
	int			lo;
	int			hi;
	double		default_value;	/* unused for the sizes the caller gives */
	bool		required;		/* in every model file (keys added later are optional) */
} NetField;

#define FIELD(key, kind, member, lo, hi, def, req) \
	{key, kind, offsetof(SerNetConfig, member), lo, hi, def, req}

/* The order of the text form; append new keys at the end, optional. */
static const NetField net_fields[] = {
	FIELD("frame_features", NET_INT, n_frame_features, 1, 4096, 0, true),
	FIELD("utt_features", NET_INT, n_utt_features, 1, 16384, 0, true),
	FIELD("classes", NET_INT, n_classes, 2, SER_NET_MAX_CLASSES, 0, true),
	FIELD("stem_channels", NET_INT, stem_channels, 1, 1024, 64, true),
	FIELD("branch_channels", NET_INT, branch_channels, 1, 1024, 32, true),
	FIELD("branch_kernels", NET_KERNELS, branch_kernels, 1, 31, 0, true),
	FIELD("res_blocks", NET_INT, n_res_blocks, 0, SER_NET_MAX_RES, 2, true),
	FIELD("res_kernel", NET_ODD_INT, res_kernel, 1, 31, 3, true),
	FIELD("se_reduction", NET_INT, se_reduction, 1, 1024, 4, true),
	FIELD("attention_dim", NET_INT, attention_dim, 1, 1024, 32, true),
	FIELD("utt_hidden", NET_INT, utt_hidden, 1, 4096, 64, true),
	FIELD("fused_hidden", NET_INT, fused_hidden, 1, 4096, 128, true),
	FIELD("dropout_fused", NET_RATE, dropout_fused, 0, 1, 0.2, true),
	FIELD("dropout_hidden", NET_RATE, dropout_hidden, 0, 1, 0.3, true),
	FIELD("frame_cmn", NET_FLAG, frame_cmn, 0, 1, 0, false),
	FIELD("speaker_norm", NET_FLAG, speaker_normalisation, 0, 1, 0, false),
};

#define N_NET_FIELDS (sizeof(net_fields) / sizeof(net_fields[0]))

/* The default branches: kernels 3/5/7, 30/50/70 ms at a 10 ms hop. */
static const int default_kernels[] = {3, 5, 7};

static int *
int_at(SerNetConfig *cfg, const NetField *f)
{
	return (int *) ((char *) cfg + f->offset);
}

static const int *
int_in(const SerNetConfig *cfg, const NetField *f)
{
	return (const int *) ((const char *) cfg + f->offset);
}

static const float *
float_in(const SerNetConfig *cfg, const NetField *f)
{
	return (const float *) ((const char *) cfg + f->offset);
}

void
ser_net_default_config(SerNetConfig *cfg, int n_frame_features, int n_utt_features, int n_classes)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_NET_FIELDS; i++)
	{
		const NetField *f = &net_fields[i];

		if (f->kind == NET_RATE)
			*(float *) ((char *) cfg + f->offset) = (float) f->default_value;
		else if (f->kind != NET_KERNELS)
			*int_at(cfg, f) = (int) f->default_value;
	}
	cfg->n_branches = (int) (sizeof(default_kernels) / sizeof(default_kernels[0]));
	memcpy(cfg->branch_kernels, default_kernels, sizeof(default_kernels));
	cfg->n_frame_features = n_frame_features;
	cfg->n_utt_features = n_utt_features;
	cfg->n_classes = n_classes;
}

static SerStatus
bad_value(SerError *err, const char *key, int value, const char *fmt, int lo, int hi)
{
	ser_error(err, SER_EINVAL, "invalid network hyper-parameter %s: %d", key, value);
	ser_error_detail(err, fmt, lo, hi);
	return SER_EINVAL;
}

SerStatus
ser_net_config_validate(const SerNetConfig *cfg, SerError *err)
{
	for (size_t i = 0; i < N_NET_FIELDS; i++)
	{
		const NetField *f = &net_fields[i];

		switch (f->kind)
		{
			case NET_INT:
			case NET_FLAG:
			case NET_ODD_INT:
				{
					int			v = *int_in(cfg, f);

					if (v < f->lo || v > f->hi)
						return bad_value(err, f->key, v, "It must be between %d and %d.", f->lo, f->hi);
					if (f->kind == NET_ODD_INT && v % 2 == 0)
						return bad_value(err, f->key, v, "It must be odd, between %d and %d.", f->lo, f->hi);
					break;
				}
			case NET_RATE:
				{
					float		v = *float_in(cfg, f);

					if (!(v >= 0.0f && v < 1.0f))
					{
						ser_error(err, SER_EINVAL, "invalid network hyper-parameter %s: %g", f->key, (double) v);
						ser_error_detail(err, "Dropout rates must be at least 0 and below 1.");
						return SER_EINVAL;
					}
					break;
				}
			case NET_KERNELS:
				if (cfg->n_branches < 1 || cfg->n_branches > SER_NET_MAX_BRANCHES)
					return bad_value(err, "n_branches", cfg->n_branches, "It must be between %d and %d.", 1,
									 SER_NET_MAX_BRANCHES);
				for (int j = 0; j < cfg->n_branches; j++)
				{
					int			k = cfg->branch_kernels[j];

					if (k < f->lo || k > f->hi || k % 2 == 0)
						return bad_value(err, f->key, k, "It must be odd, between %d and %d.", f->lo, f->hi);
				}
				break;
		}
	}
	return SER_OK;
}

SerStatus
ser_net_config_to_text(const SerNetConfig *cfg, char *buf, size_t size, SerError *err)
{
	size_t		used = 0;

	for (size_t i = 0; i < N_NET_FIELDS; i++)
	{
		const NetField *f = &net_fields[i];
		int			n = 0;

		if (used < size)
			n = snprintf(buf + used, size - used, "%s=", f->key);
		used += n > 0 ? (size_t) n : 0;
		switch (f->kind)
		{
			case NET_INT:
			case NET_ODD_INT:
			case NET_FLAG:
				if (used < size)
					n = snprintf(buf + used, size - used, "%d\n", *int_in(cfg, f));
				break;
			case NET_RATE:
				if (used < size)
					n = snprintf(buf + used, size - used, "%.9g\n", (double) *float_in(cfg, f));
				break;
			case NET_KERNELS:
				for (int j = 0; j < cfg->n_branches && used < size; j++)
				{
					n = snprintf(buf + used, size - used, "%s%d", j ? "," : "", cfg->branch_kernels[j]);
					used += n > 0 ? (size_t) n : 0;
				}
				if (used < size)
					n = snprintf(buf + used, size - used, "\n");
				break;
		}
		used += n > 0 ? (size_t) n : 0;
		if (used >= size)
			return ser_error(err, SER_EINTERNAL, "architecture text does not fit in %zu bytes", size);
	}
	return SER_OK;
}

bool
ser_net_config_equal(const SerNetConfig *a, const SerNetConfig *b)
{
	char		ta[SER_NET_CONFIG_TEXT];
	char		tb[SER_NET_CONFIG_TEXT];
	SerError	err;

	return ser_net_config_to_text(a, ta, sizeof(ta), &err) == SER_OK &&
		ser_net_config_to_text(b, tb, sizeof(tb), &err) == SER_OK && strcmp(ta, tb) == 0;
}

static bool
parse_int(const char *s, int *out)
{
	char	   *end;
	long		v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < -1000000 || v > 1000000)
		return false;
	*out = (int) v;
	return true;
}

/* One value of field f from its text; false if malformed. */
static bool
parse_field(const NetField *f, const char *value, SerNetConfig *cfg)
{
	switch (f->kind)
	{
		case NET_INT:
		case NET_ODD_INT:
			return parse_int(value, int_at(cfg, f));
		case NET_FLAG:
			return parse_int(value, int_at(cfg, f)) && (*int_at(cfg, f) == 0 || *int_at(cfg, f) == 1);
		case NET_RATE:
			{
				char	   *end;
				double		v = strtod(value, &end);

				*(float *) ((char *) cfg + f->offset) = (float) v;
				return end != value && *end == '\0';
			}
		case NET_KERNELS:
			{
				char		copy[128];
				char	   *save = NULL;
				bool		ok = true;

				snprintf(copy, sizeof(copy), "%s", value);
				cfg->n_branches = 0;
				for (char *tok = strtok_r(copy, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save))
				{
					if (cfg->n_branches >= SER_NET_MAX_BRANCHES)
						ok = false;
					else
						ok = parse_int(tok, &cfg->branch_kernels[cfg->n_branches++]);
				}
				return ok;
			}
	}
	return false;
}

SerStatus
ser_net_config_from_text(const char *text, SerNetConfig *cfg, SerError *err)
{
	bool		seen[N_NET_FIELDS] = {false};
	const char *p = text;

	/* Optional keys absent from older files mean 0 (off). */
	memset(cfg, 0, sizeof(*cfg));
	while (*p != '\0')
	{
		char		line[256];
		const char *nl = strchr(p, '\n');
		size_t		len = nl ? (size_t) (nl - p) : strlen(p);
		char	   *eq;
		const NetField *f = NULL;

		if (len >= sizeof(line))
			goto bad;
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		if (len == 0)
			continue;
		eq = strchr(line, '=');
		if (eq == NULL)
			goto bad;
		*eq = '\0';
		for (size_t i = 0; i < N_NET_FIELDS && f == NULL; i++)
			if (strcmp(line, net_fields[i].key) == 0)
			{
				f = &net_fields[i];
				seen[i] = true;
			}
		if (f == NULL)
		{
			ser_error(err, SER_ECORRUPT, "corrupt model: unknown architecture key \"%s\"", line);
			return SER_ECORRUPT;
		}
		if (!parse_field(f, eq + 1, cfg))
		{
			ser_error(err, SER_ECORRUPT, "corrupt model: bad value for architecture key \"%s\"", line);
			return SER_ECORRUPT;
		}
	}
	for (size_t i = 0; i < N_NET_FIELDS; i++)
		if (net_fields[i].required && !seen[i])
		{
			ser_error(err, SER_ECORRUPT, "corrupt model: architecture key \"%s\" is missing", net_fields[i].key);
			return SER_ECORRUPT;
		}
	if (ser_net_config_validate(cfg, err) != SER_OK)
	{
		err->status = SER_ECORRUPT;
		return SER_ECORRUPT;
	}
	return SER_OK;

bad:
	ser_error(err, SER_ECORRUPT, "corrupt model: malformed architecture text");
	ser_error_detail(err, "Every line must read key=value.");
	return SER_ECORRUPT;
}
