/*
 * test_model_overflow.c — a model blob with a valid checksum whose weights
 * are finite but huge (found by fuzzing model loading: one weight of the
 * shipped model set to 4.4e37; here each large weight matrix in turn at
 * +/-4e37).  It loads, but the network overflows to
 * infinity and NaN; prediction must refuse it as a corrupt model instead
 * of returning NaN probabilities (and, through them, an arbitrary emotion).
 */
#include "unit.h"

#include "classifier/classifier.h"
#include "model/network.h"
#include "model/tensor_blob.h"

#include <stdint.h>

static uint32_t
get_u32(const unsigned char *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int b = 0; b < 4; b++)
		p[b] = (unsigned char) (v >> (8 * b));
}

/*
 * Offsets of the values of every tensor of at least min_count values
 * (walking the entries as model/README.md lays them out) into at[] and
 * their counts into count[]; returns how many (at most max).
 */
static int
large_tensors(const unsigned char *b, size_t len, size_t min_count, size_t *at, size_t *count, int max)
{
	size_t		pos = SER_BLOB_HEADER_LEN;
	uint32_t	n = get_u32(b + 24);
	int			found = 0;

	for (uint32_t i = 0; i < n && pos + 2 < len && found < max; i++)
	{
		int			kind = b[pos];
		size_t		name_len = b[pos + 1];

		pos += 2 + name_len;
		if (kind == SER_BLOB_TENSOR)
		{
			int			ndim = b[pos++];
			size_t		c = 1;

			for (int d = 0; d < ndim; d++, pos += 4)
				c *= get_u32(b + pos);
			if (c >= min_count)
			{
				at[found] = pos;
				count[found++] = c;
			}
			pos += 4 * c;
		}
		else
			pos += 4 + get_u32(b + pos);
	}
	return found;
}

int
main(void)
{
	size_t		len;
	unsigned char *blob = unit_read_file("model/ser_default.sermodel", &len);
	unsigned char *copy;
	float		pcm[8000];
	size_t		at[256],
				count[256];
	int			n_tensors,
				refused = 0,
				finite = 0,
				not_finite = 0,
				not_loaded = 0;

	if (blob == NULL)
	{
		printf("Bail out! model/ser_default.sermodel is missing (run from the repository root)\n");
		return 1;
	}
	ser_set_allocator(counting_alloc, counting_free);
	for (int i = 0; i < 8000; i++)
		pcm[i] = 0.5f * sinf(2.0f * (float) M_PI * 220.0f * i / 16000.0f);
	copy = malloc(len);

	n_tensors = large_tensors(blob, len, 1000, at, count, 256);
	UNIT_OK(n_tensors > 0, "the shipped model has %d weight matrices of 1000 values or more", n_tensors);
	/* each in turn set to +/-4e37: finite, so the loader takes them; the sums overflow */
	for (int t = 0; t < n_tensors; t++)
	{
		SerModel   *model = NULL;
		SerFeatureParams params;
		SerError	err;
		float		probs[64];
		SerStatus	st;

		memcpy(copy, blob, len);
		for (size_t i = 0; i < count[t]; i++)
		{
			float		huge = (i % 2) ? -4e37f : 4e37f;
			uint32_t	bits;

			memcpy(&bits, &huge, sizeof(bits));
			put_u32(copy + at[t] + 4 * i, bits);
		}
		put_u32(copy + len - 4, ser_crc32(copy, len - 4));
		if (ser_model_load(copy, len, &model, &err) != SER_OK)
		{
			not_loaded++;
			continue;
		}
		st = ser_classifier_model_params(model, &params, &err);
		if (st == SER_OK)
			st = ser_classifier_predict(model, &params, pcm, 8000, NULL, 0, probs, &err);
		if (st == SER_ECORRUPT && strstr(err.message, "not finite") != NULL)
			refused++;
		else if (st == SER_OK)
		{
			bool		all_finite = true;
			char		name[64];

			for (int k = 0; ser_model_class_name(model, k, name, sizeof(name)); k++)
				all_finite = all_finite && isfinite(probs[k]);
			if (all_finite)
				finite++;
			else
				not_finite++;
		}
		ser_model_free(model);
	}
	UNIT_OK(not_finite == 0, "no prediction returns non-finite probabilities (%d did)", not_finite);
	UNIT_OK(refused > 0, "models whose network overflows are refused as corrupt: %d of %d "
			"(%d still give finite probabilities, %d did not load)", refused, n_tensors, finite, not_loaded);
	free(copy);
	free(blob);
	UNIT_OK(outstanding == 0, "no allocation outstanding at the end (%ld)", outstanding);
	return unit_done();
}
