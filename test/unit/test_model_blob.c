/*
 * test_model_blob.c — the model blob format: CRC-32 against its published
 * check value, round trip of tensors and text, every class of damage
 * (wrong magic, unsupported version, truncation at every length, every
 * single-bit flip, flips with the checksum recomputed so that the parser's
 * own bounds checks are exercised, hand-made malformed entries), and the
 * same for a whole serialised model.  Failing loads must leave nothing
 * allocated.  A blob of 200,000 entries parses in linear time and can be
 * canceled (finding F2).
 */
#include "unit.h"

#include "model/model_format.h"
#include "model/tensor_blob.h"

#include <stdint.h>
#include <time.h>

/* A model of one network: ser_model_create, then the network as its member. */
static SerStatus
model_of(const SerNet *net, const SerNormStats *norm, const float *population, const char *params,
		 const char *classes, const char *info, SerModel **out, SerError *err)
{
	SerStatus	st = ser_model_create(&net->cfg, population, params, classes, info, out, err);

	if (st == SER_OK && (st = ser_model_add_member(*out, net, norm, err)) != SER_OK)
	{
		ser_model_free(*out);
		*out = NULL;
	}
	return st;
}


static void
put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char) v;
	p[1] = (unsigned char) (v >> 8);
	p[2] = (unsigned char) (v >> 16);
	p[3] = (unsigned char) (v >> 24);
}

static void
fix_crc(unsigned char *b, size_t len)
{
	put_u32(b + len - 4, ser_crc32(b, len - 4));
}

static unsigned char *
small_blob(size_t *len)
{
	SerBlobWriter w;
	SerError	err;
	int			dims2[2] = {2, 3};
	int			dims1[1] = {2};
	float		m[6] = {1, -2, 3.5f, 0, 1e-30f, -7};
	float		v[2] = {0.25f, 8};
	unsigned char *out;

	ser_blob_writer_init(&w);
	ser_blob_add_text(&w, "arch", "k=v", &err);
	ser_blob_add_tensor(&w, "w", 2, dims2, m, &err);
	ser_blob_add_tensor(&w, "b", 1, dims1, v, &err);
	ser_blob_finish(&w, &out, len, &err);
	ser_blob_writer_free(&w);
	return out;
}

static void
test_crc(void)
{
	UNIT_OK(ser_crc32("123456789", 9) == 0xCBF43926u, "CRC-32 of \"123456789\" is the standard check value cbf43926");
	UNIT_OK(ser_crc32("", 0) == 0, "CRC-32 of nothing is 0");
}

static void
test_round_trip(void)
{
	size_t		len;
	unsigned char *b = small_blob(&len);
	SerBlob		blob;
	SerError	err;
	const float *v;
	const char *text;
	int			dims2[2] = {2, 3};
	int			wrong[2] = {3, 2};
	SerStatus	st;

	st = ser_blob_parse(b, len, &blob, &err);
	UNIT_OK(st == SER_OK && blob.n_entries == 3 && blob.version == 1, "blob parses back with 3 entries, version 1");
	st = ser_blob_get_tensor(&blob, "w", 2, dims2, &v, &err);
	UNIT_OK(st == SER_OK && v[2] == 3.5f && v[4] == 1e-30f && v[5] == -7.0f, "tensor values survive bit for bit");
	st = ser_blob_get_text(&blob, "arch", &text, &err);
	UNIT_OK(st == SER_OK && strcmp(text, "k=v") == 0, "text survives");
	st = ser_blob_get_tensor(&blob, "w", 2, wrong, &v, &err);
	UNIT_OK(st == SER_ECORRUPT && strstr(err.detail, "Expected shape 3x2, found 2x3") != NULL,
			"a shape mismatch names both shapes: %s", err.detail);
	st = ser_blob_get_tensor(&blob, "missing", 2, dims2, &v, &err);
	UNIT_OK(st == SER_ECORRUPT, "a missing tensor is reported: %s", err.message);
	ser_blob_free(&blob);
	UNIT_OK(b[0] == 'S' && b[8] == 1 && b[9] == 0, "header is the magic then a little-endian version");
	ser_free(b);
}

static void
test_header_errors(void)
{
	size_t		len;
	unsigned char *b = small_blob(&len);
	SerBlob		blob;
	SerError	err;
	SerStatus	st;

	b[0] = 'X';
	st = ser_blob_parse(b, len, &blob, &err);
	UNIT_OK(st == SER_EFORMAT, "wrong magic is SER_EFORMAT (%s)", err.message);
	b[0] = 'S';
	put_u32(b + 8, 2);
	fix_crc(b, len);
	st = ser_blob_parse(b, len, &blob, &err);
	UNIT_OK(st == SER_EUNSUPPORTED && strstr(err.message, "version 2") != NULL,
			"a newer format version is SER_EUNSUPPORTED (%s)", err.message);
	put_u32(b + 8, 1);
	put_u32(b + 12, 1);
	fix_crc(b, len);
	st = ser_blob_parse(b, len, &blob, &err);
	UNIT_OK(st == SER_ECORRUPT, "unknown flags are SER_ECORRUPT (%s)", err.message);
	put_u32(b + 12, 0);
	fix_crc(b, len);
	put_u32(b + 24, 1000000);	/* entry count */
	fix_crc(b, len);
	st = ser_blob_parse(b, len, &blob, &err);
	UNIT_OK(st == SER_ECORRUPT, "an impossible entry count is SER_ECORRUPT (%s)", err.message);
	ser_free(b);
	{
		unsigned char junk[4] = {1, 2, 3, 4};

		st = ser_blob_parse(junk, 0, &blob, &err);
		UNIT_OK(st == SER_EFORMAT, "an empty value is not a model");
		st = ser_blob_parse(junk, 4, &blob, &err);
		UNIT_OK(st == SER_EFORMAT, "four random bytes are not a model");
	}
}

static void
test_truncation_and_flips(void)
{
	size_t		len;
	unsigned char *b = small_blob(&len);
	unsigned char *copy = malloc(len + 8);
	SerBlob		blob;
	SerError	err;
	int			bad_status = 0;
	int			accepted = 0;
	int			flips = 0;
	int			fixed_ok = 0;
	int			fixed_err = 0;
	long		base = outstanding;	/* the blob itself */

	for (size_t cut = 0; cut < len; cut++)
	{
		memcpy(copy, b, cut);
		if (ser_blob_parse(copy, cut, &blob, &err) == SER_OK)
		{
			accepted++;
			ser_blob_free(&blob);
		}
		else if (err.status != SER_ECORRUPT && err.status != SER_EFORMAT)
			bad_status++;
	}
	UNIT_OK(accepted == 0 && bad_status == 0, "truncation at each of %zu lengths is rejected as corrupt or not a model", len);
	memcpy(copy, b, len);
	copy[len] = 0;
	UNIT_OK(ser_blob_parse(copy, len + 1, &blob, &err) == SER_ECORRUPT, "a trailing byte is rejected (%s)", err.message);

	accepted = 0;
	for (size_t bit = 0; bit < len * 8; bit++)
	{
		memcpy(copy, b, len);
		copy[bit / 8] ^= (unsigned char) (1u << (bit % 8));
		flips++;
		if (ser_blob_parse(copy, len, &blob, &err) == SER_OK)
		{
			accepted++;
			ser_blob_free(&blob);
		}
	}
	UNIT_OK(accepted == 0, "every one of %d single-bit flips is rejected (checksum)", flips);

	/* the same flips with a valid checksum: the parser alone must cope */
	for (size_t bit = 0; bit < (len - 4) * 8; bit++)
	{
		memcpy(copy, b, len);
		copy[bit / 8] ^= (unsigned char) (1u << (bit % 8));
		fix_crc(copy, len);
		if (ser_blob_parse(copy, len, &blob, &err) == SER_OK)
		{
			fixed_ok++;			/* e.g. a flipped mantissa bit: still a valid blob */
			ser_blob_free(&blob);
		}
		else
			fixed_err++;
	}
	UNIT_OK(fixed_err > 0 && outstanding == base,
			"flips with a recomputed checksum: %d still valid, %d rejected, nothing leaked", fixed_ok, fixed_err);
	free(copy);
	ser_free(b);
}

static void
test_random_garbage(void)
{
	SerRng		rng;
	unsigned char buf[256];
	SerBlob		blob;
	SerError	err;
	int			ok = 0;

	ser_rng_seed(&rng, 7);
	for (int round = 0; round < 20000; round++)
	{
		size_t		len = ser_rng_below(&rng, sizeof(buf)) + 1;

		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char) ser_rng_below(&rng, 256);
		/* a valid header and checksum around random entries */
		if (len >= 32 && (round & 1))
		{
			memcpy(buf, SER_BLOB_MAGIC, 8);
			put_u32(buf + 8, 1);
			put_u32(buf + 12, 0);
			put_u32(buf + 16, (uint32_t) (len - 32));
			put_u32(buf + 20, 0);
			put_u32(buf + 24, ser_rng_below(&rng, 6));
			fix_crc(buf, len);
		}
		if (ser_blob_parse(buf, len, &blob, &err) == SER_OK)
		{
			ok++;
			ser_blob_free(&blob);
		}
	}
	UNIT_OK(outstanding == 0, "20000 random buffers (half with a valid header and checksum) parse or fail cleanly (%d parsed), nothing leaked", ok);
}

static void
test_malformed_entries(void)
{
	SerBlobWriter w;
	SerError	err;
	unsigned char *b;
	size_t		len;
	SerBlob		blob;
	int			dims[1] = {1};
	float		one = 1.0f;
	float		nan_value = NAN;

	ser_blob_writer_init(&w);
	UNIT_OK(ser_blob_add_tensor(&w, "bad name!", 1, dims, &one, &err) == SER_EINVAL, "writer refuses an invalid name");
	UNIT_OK(ser_blob_add_tensor(&w, "x", 1, dims, &nan_value, &err) == SER_ENONFINITE, "writer refuses NaN");
	ser_blob_add_tensor(&w, "x", 1, dims, &one, &err);
	ser_blob_add_tensor(&w, "x", 1, dims, &one, &err);
	ser_blob_finish(&w, &b, &len, &err);
	ser_blob_writer_free(&w);
	UNIT_OK(ser_blob_parse(b, len, &blob, &err) == SER_ECORRUPT && strstr(err.message, "duplicate") != NULL,
			"duplicate entry names are rejected (%s)", err.message);
	/* turn the second 1.0f into NaN bits behind a valid checksum */
	put_u32(b + len - 8, 0x7FC00000u);
	fix_crc(b, len);
	UNIT_OK(ser_blob_parse(b, len, &blob, &err) == SER_ECORRUPT, "a NaN weight is rejected (%s)", err.message);
	ser_free(b);
}

/* ---- whole models ---- */

static unsigned char *
small_model(size_t *len)
{
	SerNetConfig cfg;
	SerRng		rng;
	SerNet	   *net;
	SerModel   *model;
	SerError	err;
	float		fm[3] = {0, 1, 2},
				fs[3] = {1, 2, 3},
				um[2] = {0, 0},
				us[2] = {1, 1},
				population[6] = {4, 0.5f, -0.5f, 0, 1, 2};
	SerNormStats norm = {fm, fs, um, us};
	unsigned char *blob;

	ser_rng_seed(&rng, 3);
	ser_net_default_config(&cfg, 3, 2, 2);
	cfg.stem_channels = 2;
	cfg.branch_channels = 1;
	cfg.n_branches = 2;
	cfg.n_res_blocks = 1;
	cfg.attention_dim = 2;
	cfg.utt_hidden = 2;
	cfg.fused_hidden = 2;
	/* Speaker-normalised and an ensemble of two, so that every kind of entry is fuzzed. */
	cfg.speaker_normalisation = 1;
	ser_net_create(&cfg, &rng, &net, &err);
	model_of(net, &norm, population, "features v1", "calm\nangry", "test", &model, &err);
	ser_net_free(net);
	ser_net_create(&cfg, &rng, &net, &err);
	ser_model_add_member(model, net, &norm, &err);
	ser_model_save(model, &blob, len, &err);
	ser_model_free(model);
	ser_net_free(net);
	return blob;
}

static void
test_model_fuzz(void)
{
	size_t		len;
	unsigned char *b = small_model(&len);
	unsigned char *copy = malloc(len);
	SerModel   *m;
	SerError	err;
	int			accepted = 0;
	int			fixed_ok = 0;
	long		base = outstanding;	/* the blob itself */
	SerStatus	st;

	st = ser_model_load(b, len, &m, &err);
	UNIT_OK(st == SER_OK, "small model (%zu bytes) loads", len);
	if (st == SER_OK)
		ser_model_free(m);
	for (size_t cut = 0; cut < len; cut++)
	{
		memcpy(copy, b, cut);
		if (ser_model_load(copy, cut, &m, &err) == SER_OK)
		{
			accepted++;
			ser_model_free(m);
		}
	}
	UNIT_OK(accepted == 0 && outstanding == base, "model truncated at each of %zu lengths is rejected, nothing leaked", len);
	for (size_t bit = 0; bit < (len - 4) * 8; bit += 3)
	{
		memcpy(copy, b, len);
		copy[bit / 8] ^= (unsigned char) (1u << (bit % 8));
		if (ser_model_load(copy, len, &m, &err) == SER_OK)
			ser_model_free(m);
		fix_crc(copy, len);
		if (ser_model_load(copy, len, &m, &err) == SER_OK)
		{
			fixed_ok++;
			ser_model_free(m);
		}
	}
	UNIT_OK(outstanding == base, "bit flips with and without a recomputed checksum load or fail cleanly (%d still loadable), nothing leaked", fixed_ok);
	free(copy);
	ser_free(b);
}

/*
 * A blob of n empty text entries with distinct three-character names, the
 * worst case for a duplicate-name check (the blob of the F2 finding has
 * 200,000 of them, 1.8 MB).  When dup is set, the last entry repeats the
 * first entry's name.
 */
static unsigned char *
many_entries_blob(uint32_t n, bool dup, size_t *len)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	size_t		entry = 2 + 3 + 4;
	size_t		total = SER_BLOB_HEADER_LEN + (size_t) n * entry + SER_BLOB_TRAILER_LEN;
	unsigned char *b = calloc(total, 1);
	unsigned char *e = b + SER_BLOB_HEADER_LEN;

	memcpy(b, SER_BLOB_MAGIC, SER_BLOB_MAGIC_LEN);
	put_u32(b + 8, SER_BLOB_VERSION);
	put_u32(b + 16, (uint32_t) ((size_t) n * entry));
	put_u32(b + 24, n);
	for (uint32_t i = 0; i < n; i++, e += entry)
	{
		uint32_t	k = (dup && i == n - 1) ? 0 : i;

		e[0] = SER_BLOB_TEXT;
		e[1] = 3;
		e[2] = (unsigned char) alpha[k / 4225 % 65];
		e[3] = (unsigned char) alpha[k / 65 % 65];
		e[4] = (unsigned char) alpha[k % 65];
	}
	fix_crc(b, total);
	*len = total;
	return b;
}

static double
seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int	interrupt_after = -1;

static bool
interrupt_countdown(void)
{
	return interrupt_after >= 0 && interrupt_after-- == 0;
}

/*
 * Finding F2: the duplicate-name check compared every entry with every
 * earlier one, so 200,000 entries took ~45 s and could not be canceled.
 * Now a hash index: parsing is linear, duplicates are still found, and the
 * parse looks at the cancel flag.
 */
static void
test_many_entries(void)
{
	SerBlob		blob;
	SerError	err;
	size_t		len;
	unsigned char *b = many_entries_blob(200000, false, &len);
	double		t0 = seconds_now(),
				elapsed;
	SerStatus	st = ser_blob_parse(b, len, &blob, &err);

	elapsed = seconds_now() - t0;
	/* linear: ~0.05 s here; the quadratic check took ~45 s */
	UNIT_OK(st == SER_OK && blob.n_entries == 200000 && elapsed < 3.0,
			"a %zu-byte blob of 200000 entries parses in %.3f s", len, elapsed);
	UNIT_OK(st == SER_OK && ser_blob_find(&blob, "AAA") == &blob.entries[0] &&
			ser_blob_find(&blob, "AAB") == &blob.entries[1] && ser_blob_find(&blob, "zzz") == NULL,
			"entries are found by name through the index");
	ser_blob_free(&blob);
	free(b);

	b = many_entries_blob(200000, true, &len);
	st = ser_blob_parse(b, len, &blob, &err);
	UNIT_OK(st == SER_ECORRUPT && strstr(err.message, "duplicate") != NULL && outstanding == 0,
			"a duplicate as the 200000th entry is still refused (%s), nothing leaked", err.message);

	interrupt_after = 3;
	ser_set_interrupt_check(interrupt_countdown);
	st = ser_blob_parse(b, len, &blob, &err);
	ser_set_interrupt_check(NULL);
	UNIT_OK(st == SER_ECANCELED && blob.n_entries == 0 && outstanding == 0,
			"parsing a large blob stops when canceled, nothing leaked");
	free(b);
}

int
main(void)
{
	ser_set_allocator(counting_alloc, counting_free);
	test_crc();
	test_round_trip();
	test_header_errors();
	test_truncation_and_flips();
	test_random_garbage();
	test_malformed_entries();
	test_model_fuzz();
	test_many_entries();
	UNIT_OK(outstanding == 0, "no allocation outstanding at the end (%ld)", outstanding);
	return unit_done();
}
