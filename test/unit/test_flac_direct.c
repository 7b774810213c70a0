/*
 * test_flac_direct.c — native FLAC read by libFLAC directly (src/audio/flac.c)
 * against the same bytes read by libsndfile (the fast path switched off):
 * the same samples bit for bit, the same description, and, for damaged or
 * truncated streams, the same status and messages (the fast path gives up
 * and libsndfile decides).  Streams are made here with libFLAC's encoder
 * (8-, 16- and 24-bit, 1, 2 and 6 channels) plus the fixtures and, when
 * ../shared is present, RAVDESS originals at 48 kHz.
 */
#include "unit.h"

#include <FLAC/stream_encoder.h>
#include <stdbool.h>
#include <stdint.h>

#include "audio/decode.h"
#include "audio/flac.h"
#include "common/runtime.h"

/*
 * Found by fuzz_decode (303 bytes): a STREAMINFO that declares 33 s, then
 * frames libsndfile cannot open past ("unknown error in flac decoder") but
 * libFLAC reads cleanly until the limit.  The fast path once reported "too
 * long" here where libsndfile reports the damage; errors now always come
 * from libsndfile.
 */
static const unsigned char fuzz_long_header[] = {
	0x66, 0x4c, 0x61, 0x43, 0x00, 0x00, 0x00, 0x22, 0x10, 0x00, 0x10, 0x00, 0x00, 0x05, 0x4c, 0x00,
	0x05, 0x4c, 0x01, 0xf4, 0x00, 0x70, 0x00, 0x04, 0x0f, 0xa0, 0xd1, 0xe8, 0x52, 0x23, 0x81, 0xbc,
	0x4a, 0x73, 0xbe, 0xaf, 0x1e, 0xc5, 0x49, 0x7d, 0x86, 0x17, 0x03, 0x00, 0x00, 0x12, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0xa0,
	0x84, 0x00, 0x00, 0x44, 0x20, 0x00, 0x00, 0x00, 0x72, 0x65, 0x66, 0x65, 0x72, 0x65, 0x6e, 0x63,
	0x65, 0x20, 0x6c, 0x69, 0x62, 0x46, 0x4c, 0x41, 0x43, 0x20, 0x31, 0x2e, 0x34, 0x2e, 0x32, 0x20,
	0x32, 0x30, 0x32, 0x73, 0x12, 0x10, 0x42, 0xc2, 0x84, 0xe1, 0x49, 0x94, 0xb8, 0x50, 0x22, 0x19,
	0x0a, 0x79, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd0, 0x67, 0x32, 0x49, 0x93, 0x97, 0x88,
	0x14, 0x29, 0x02, 0x08, 0x05, 0x39, 0xb0, 0x88, 0x52, 0x4c, 0x94, 0x0d, 0x34, 0x28, 0x41, 0x00,
	0x88, 0x64, 0x88, 0x16, 0x73, 0xa7, 0x25, 0x09, 0x85, 0x0f, 0xf3, 0x81, 0x49, 0x40, 0xd2, 0x9a,
	0x58, 0x1c, 0x32, 0x4e, 0x6c, 0xb3, 0x81, 0x12, 0x43, 0xc2, 0xc8, 0x84, 0x99, 0x86, 0x42, 0xa0,
	0x6e, 0x68, 0x4e, 0x13, 0x99, 0x10, 0x88, 0x54, 0x93, 0x9c, 0x32, 0x50, 0xcf, 0xe6, 0x64, 0x28,
	0x4a, 0x72, 0xce, 0x73, 0x0e, 0x49, 0x4c, 0xd9, 0xc8, 0x52, 0x19, 0xe4, 0x40, 0x82, 0x1e, 0x19,
	0x30, 0x88, 0x64, 0x42, 0x20, 0x41, 0x28, 0x11, 0x0a, 0x07, 0x0e, 0x53, 0xa7, 0x30, 0x29, 0x30,
	0xb3, 0xc9, 0xa1, 0x32, 0x52, 0x1d, 0x0a, 0x6c, 0x29, 0x84, 0x42, 0x61, 0x42, 0xe5, 0x0c, 0x88,
	0x05, 0x26, 0x65, 0x34, 0xa7, 0x24, 0xc8, 0x64, 0xf4, 0x08, 0xa0, 0x53, 0x30, 0xca, 0x05, 0xf9,
	0xc2, 0x66, 0x11, 0x02, 0x20, 0x47, 0x25, 0xc9, 0xcc, 0x29, 0x25, 0x38, 0x88, 0x13, 0x86, 0x14,
	0xe6, 0x93, 0xc2, 0x44, 0x09, 0xa0, 0x59, 0xa6, 0x93, 0x85, 0x03, 0x9c, 0x9c, 0xa7, 0x66, 0xa0,
	0x44, 0x2c, 0x0a, 0x19, 0x84, 0x49, 0x4c, 0xcc, 0x90, 0xa1, 0x4c, 0xb9, 0xc0, 0x40, 0x21,
};

typedef struct Buffer
{
	unsigned char *data;
	size_t		len;
	size_t		cap;
} Buffer;

static FLAC__StreamEncoderWriteStatus
write_cb(const FLAC__StreamEncoder *enc, const FLAC__byte buffer[], size_t bytes, uint32_t samples,
		 uint32_t frame, void *user)
{
	Buffer	   *b = user;

	(void) enc;
	(void) samples;
	(void) frame;
	if (b->len + bytes > b->cap)
	{
		b->cap = (b->len + bytes) * 2;
		b->data = realloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, buffer, bytes);
	b->len += bytes;
	return FLAC__STREAM_ENCODER_WRITE_STATUS_OK;
}

/* A FLAC image of a chirp with noise, frames x channels at bits. */
static unsigned char *
make_flac(int rate, int channels, int bits, size_t frames, size_t *len)
{
	FLAC__StreamEncoder *enc = FLAC__stream_encoder_new();
	Buffer		b = {NULL, 0, 0};
	FLAC__int32 *pcm = malloc(sizeof(FLAC__int32) * frames * channels);
	double		full = (double) ((1 << (bits - 1)) - 1);
	uint32_t	seed = 12345;

	for (size_t i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
		{
			double		t = (double) i / rate;
			double		noise;

			seed = seed * 1664525u + 1013904223u;
			noise = ((double) (seed >> 8) / 16777216.0 - 0.5) * 0.05;
			pcm[i * channels + c] = (FLAC__int32) (full * (0.6 * sin(2 * M_PI * (200 + 300 * t + 50 * c) * t) + noise));
		}
	FLAC__stream_encoder_set_channels(enc, (uint32_t) channels);
	FLAC__stream_encoder_set_bits_per_sample(enc, (uint32_t) bits);
	FLAC__stream_encoder_set_sample_rate(enc, (uint32_t) rate);
	FLAC__stream_encoder_set_compression_level(enc, 5);
	FLAC__stream_encoder_set_total_samples_estimate(enc, frames);
	FLAC__stream_encoder_init_stream(enc, write_cb, NULL, NULL, NULL, &b);
	FLAC__stream_encoder_process_interleaved(enc, pcm, (uint32_t) frames);
	FLAC__stream_encoder_finish(enc);
	FLAC__stream_encoder_delete(enc);
	free(pcm);
	*len = b.len;
	return b.data;
}

static unsigned char *
load(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	unsigned char *buf;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t) ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len ? *len : 1);
	if (fread(buf, 1, *len, f) != *len)
	{
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

typedef struct Outcome
{
	SerStatus	status;
	SerPcm		pcm;
	SerAudioInfo info;
	SerError	err;
} Outcome;

static void
decode_both(const unsigned char *data, size_t len, const SerDecodeOptions *opts, Outcome *direct,
			Outcome *sndfile)
{
	memset(direct, 0, sizeof(*direct));
	memset(sndfile, 0, sizeof(*sndfile));
	ser_flac_set_enabled(true);
	direct->status = ser_audio_decode(data, len, opts, &direct->pcm, &direct->info, &direct->err);
	ser_flac_set_enabled(false);
	sndfile->status = ser_audio_decode(data, len, opts, &sndfile->pcm, &sndfile->info, &sndfile->err);
	ser_flac_set_enabled(true);
}

static bool
same_outcome(const Outcome *a, const Outcome *b)
{
	if (a->status != b->status)
		return false;
	if (a->status != SER_OK)
		return strcmp(a->err.message, b->err.message) == 0 && strcmp(a->err.detail, b->err.detail) == 0 &&
			strcmp(a->err.hint, b->err.hint) == 0;
	return a->pcm.n_samples == b->pcm.n_samples && a->pcm.sample_rate == b->pcm.sample_rate &&
		memcmp(a->pcm.samples, b->pcm.samples, sizeof(float) * a->pcm.n_samples) == 0 &&
		strcmp(a->info.format, b->info.format) == 0 && strcmp(a->info.encoding, b->info.encoding) == 0 &&
		a->info.sample_rate == b->info.sample_rate && a->info.channels == b->info.channels &&
		a->info.frames == b->info.frames;
}

static void
release(Outcome *a, Outcome *b)
{
	ser_pcm_free(&a->pcm);
	ser_pcm_free(&b->pcm);
}

/* Whole file at its own rate and at 16 kHz, then every 97th prefix, and corrupted bytes. */
static void
check_stream(const char *name, const unsigned char *data, size_t len)
{
	SerDecodeOptions native = {0, 600};
	SerDecodeOptions to16k = {16000, 600};
	SerDecodeOptions tiny = {16000, 0.02};
	Outcome		a,
				b;
	SerFlacReader *reader;
	SerFlacStream stream;
	float	   *block;
	long		got,
				total = 0;
	int			prefixes = 0,
				prefix_same = 0,
				damaged = 0,
				damaged_same = 0;
	unsigned char *copy = malloc(len);

	memset(&stream, 0, sizeof(stream));
	got = -1;
	UNIT_OK(ser_flac_open(data, len, 8000, 192000, 1024, &reader, &stream),
			"%s: the fast path takes the clean stream", name);
	if (reader != NULL)
	{
		block = malloc(sizeof(float) * 4096 * (size_t) stream.channels);
		while ((got = ser_flac_read(reader, block, 4096)) > 0)
			total += got;
		ser_flac_close(reader);
		free(block);
	}
	UNIT_OK(got == 0 && total == stream.frames, "%s: and reads it to the end (%ld of %lld frames)", name, total,
			(long long) stream.frames);
	decode_both(data, len, &native, &a, &b);
	UNIT_OK(a.status == SER_OK && same_outcome(&a, &b), "%s: native rate, the same samples bit for bit and description",
			name);
	release(&a, &b);
	decode_both(data, len, &to16k, &a, &b);
	UNIT_OK(a.status == SER_OK && same_outcome(&a, &b), "%s: resampled to 16 kHz, the same samples bit for bit",
			name);
	release(&a, &b);
	decode_both(data, len, &tiny, &a, &b);
	UNIT_OK(a.status == SER_ETOOLONG && same_outcome(&a, &b), "%s: too long, the same error (%s / %s)", name,
			a.err.message, a.err.detail);
	release(&a, &b);
	/* every 97th byte through the headers, then 150 cuts through the audio frames */
	for (size_t cut = 0; cut < len; cut += cut < 4096 ? 97 : len / 150 + 1)
	{
		decode_both(data, cut, &to16k, &a, &b);
		prefixes++;
		prefix_same += same_outcome(&a, &b);
		release(&a, &b);
	}
	UNIT_OK(prefix_same == prefixes, "%s: %d prefixes, the same outcome each (%d)", name, prefixes, prefix_same);
	for (size_t at = 8; at < len; at += len / 40 + 1)
	{
		memcpy(copy, data, len);
		copy[at] ^= 0x5a;
		decode_both(copy, len, &to16k, &a, &b);
		damaged++;
		damaged_same += same_outcome(&a, &b);
		release(&a, &b);
		decode_both(copy, len, &native, &a, &b);	/* at the stream's own rate: set from the header */
		damaged++;
		damaged_same += same_outcome(&a, &b);
		release(&a, &b);
	}
	UNIT_OK(damaged_same == damaged, "%s: %d damaged copies, the same outcome each (%d)", name, damaged,
			damaged_same);
	free(copy);
}

/*
 * Found by fuzz_decode: a VORBIS_COMMENT block whose vendor string is longer
 * than the block, before sound audio frames.  libsndfile has libFLAC parse
 * every metadata block and so refuses the stream; the fast path once let
 * libFLAC skip the block unread and decoded it.  Made here from an encoded
 * stream by lengthening the vendor string's declared length.
 */
static void
check_damaged_vorbis_comment(void)
{
	SerDecodeOptions opts = {16000, 600};
	size_t		len;
	unsigned char *data = make_flac(16000, 1, 16, 8000, &len);
	size_t		pos = 4;
	bool		patched = false;
	Outcome		a,
				b;

	while (data != NULL && pos + 8 <= len)
	{
		int			type = data[pos] & 0x7f;
		bool		last = (data[pos] & 0x80) != 0;
		size_t		block = ((size_t) data[pos + 1] << 16) | ((size_t) data[pos + 2] << 8) | data[pos + 3];

		if (type == 4)			/* VORBIS_COMMENT: the vendor string's length comes first, little-endian */
		{
			uint32_t	vendor = (uint32_t) block + 10;

			for (int i = 0; i < 4; i++)
				data[pos + 4 + i] = (unsigned char) (vendor >> (8 * i));
			patched = true;
			break;
		}
		if (last)
			break;
		pos += 4 + block;
	}
	UNIT_OK(patched, "the encoder wrote a VORBIS_COMMENT block to damage");
	decode_both(data, len, &opts, &a, &b);
	UNIT_OK(a.status == SER_ECORRUPT && same_outcome(&a, &b),
			"fuzz finding: a damaged VORBIS_COMMENT is libsndfile's error on both paths (%d: %s / %d: %s)",
			(int) a.status, a.err.message, (int) b.status, b.err.message);
	release(&a, &b);
	free(data);
}

int
main(void)
{
	static const struct
	{
		int			rate;
		int			channels;
		int			bits;
		size_t		frames;
	}			made[] =
	{
		{48000, 1, 16, 168000},
		{48000, 2, 16, 48000},
		{44100, 1, 24, 30000},
		{22050, 2, 8, 20000},
		{16000, 6, 24, 9000},
		{8000, 1, 16, 4095},
		{96000, 1, 16, 4097},
	};
	size_t		len;
	unsigned char *data;
	const char *ravdess[] = {"../shared/data/ravdess48k/Actor_01/03-01-05-02-01-01-01.flac",
	"../shared/data/ravdess48k/Actor_02/03-01-04-02-02-02-02.flac"};
	long		before;

	ser_set_allocator(counting_alloc, counting_free);
	before = outstanding;
	{
		SerDecodeOptions opts = {16000, 20};
		Outcome		a,
					b;

		decode_both(fuzz_long_header, sizeof(fuzz_long_header), &opts, &a, &b);
		UNIT_OK(a.status == SER_ECORRUPT && same_outcome(&a, &b),
				"fuzz finding: a long header before damaged frames is libsndfile's error (%s)", a.err.message);
		release(&a, &b);
	}
	check_damaged_vorbis_comment();
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++)
	{
		char		name[64];

		snprintf(name, sizeof(name), "%d Hz, %d ch, %d-bit, %zu frames", made[i].rate, made[i].channels,
				 made[i].bits, made[i].frames);
		data = make_flac(made[i].rate, made[i].channels, made[i].bits, made[i].frames, &len);
		check_stream(name, data, len);
		free(data);
	}
	data = load("test/fixtures/audio/tone440_16k.flac", &len);
	UNIT_OK(data != NULL, "fixture tone440_16k.flac read");
	if (data != NULL)
		check_stream("tone440_16k.flac", data, len);
	free(data);
	for (size_t i = 0; i < sizeof(ravdess) / sizeof(ravdess[0]); i++)
	{
		data = load(ravdess[i], &len);
		if (data == NULL)
		{
			UNIT_SKIP(7, "../shared/data/ravdess48k is absent");
			continue;
		}
		check_stream(strrchr(ravdess[i], '/') + 1, data, len);
		free(data);
	}
	UNIT_OK(outstanding == before, "no core allocation left behind (%ld)", outstanding - before);
	return unit_done();
}
