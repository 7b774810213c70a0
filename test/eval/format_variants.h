/*
 * format_variants.h — one recording in the formats users send: from the
 * bytes of an original file, the same recording resampled and re-encoded in
 * memory, as a user's converter would make it, and the labels ser gives
 * each copy when it decodes the bytes as SQL does.  For
 * test/eval/format_agreement.c and test/unit/test_format_agreement.c, which
 * ask whether the format decides the label (issue #9).  Header-only, as
 * each evaluation program is one .c file built by `make test/eval/NAME`.
 *
 * The variants, in this order:
 *   at 48, 44.1, 22.05 and 16 kHz (the original's rate: no resampling;
 *   others: libsoxr at its high-quality setting, the original's channels
 *   kept): WAV 16-bit, WAV 24-bit, WAV float, FLAC 16-bit;
 *   MP3 at 128 kbit/s (constant) of the 44.1 and 48 kHz versions, when this
 *   libsndfile can write MPEG (fv_mp3_writable);
 *   the original with white Gaussian noise at -80 dBFS RMS (RMS relative to
 *   a full-scale amplitude of 1), as a 16-bit WAV at the original's rate.
 *
 * Integer encodings are rounded, not dithered: rounding is the smallest
 * change a converter makes, so a 16-bit WAV at the original's rate holds the
 * original's samples exactly (a 16-bit original), and the noise variant
 * stands for a noise floor far above any dither.  Everything is allocated
 * with malloc and released on every path.
 */
#ifndef SER_EVAL_FORMAT_VARIANTS_H
#define SER_EVAL_FORMAT_VARIANTS_H

#include <math.h>
#include <sndfile.h>
#include <soxr.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/decode.h"
#include "classifier/classifier.h"

#define FV_MAX_VARIANTS 24
#define FV_NOISE_DBFS (-80.0)
#define FV_MP3_KBPS 128

typedef struct FormatVariant
{
	char		name[48];		/* "WAV 16-bit, 44.1 kHz" */
	unsigned char *bytes;		/* the file, malloc'd */
	size_t		len;
} FormatVariant;

typedef struct FormatVariants
{
	int			n;
	FormatVariant v[FV_MAX_VARIANTS];
} FormatVariants;

/* ---- a growable file in memory for libsndfile's virtual I/O ---- */

typedef struct FvMemFile
{
	unsigned char *data;
	sf_count_t	length;
	sf_count_t	capacity;
	sf_count_t	position;
	bool		failed;			/* an allocation failed while writing */
} FvMemFile;

static sf_count_t
fv_mem_length(void *user)
{
	return ((FvMemFile *) user)->length;
}

static sf_count_t
fv_mem_seek(sf_count_t offset, int whence, void *user)
{
	FvMemFile  *m = user;
	sf_count_t	base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->position : m->length;

	if (base + offset < 0)
		return -1;
	m->position = base + offset;
	return m->position;
}

static sf_count_t
fv_mem_read(void *ptr, sf_count_t count, void *user)
{
	FvMemFile  *m = user;

	if (count <= 0 || m->position >= m->length)
		return 0;
	if (count > m->length - m->position)
		count = m->length - m->position;
	memcpy(ptr, m->data + m->position, (size_t) count);
	m->position += count;
	return count;
}

static sf_count_t
fv_mem_write(const void *ptr, sf_count_t count, void *user)
{
	FvMemFile  *m = user;
	sf_count_t	end = m->position + count;

	if (count <= 0)
		return 0;
	if (end > m->capacity)
	{
		sf_count_t	cap = m->capacity > 0 ? m->capacity : 65536;
		unsigned char *grown;

		while (cap < end)
			cap *= 2;
		if ((grown = realloc(m->data, (size_t) cap)) == NULL)
		{
			m->failed = true;
			return 0;
		}
		m->data = grown;
		m->capacity = cap;
	}
	/* A seek past the end leaves a hole: zeros, as a file system gives. */
	if (m->position > m->length)
		memset(m->data + m->length, 0, (size_t) (m->position - m->length));
	memcpy(m->data + m->position, ptr, (size_t) count);
	m->position = end;
	if (end > m->length)
		m->length = end;
	return count;
}

static sf_count_t
fv_mem_tell(void *user)
{
	return ((FvMemFile *) user)->position;
}

static SF_VIRTUAL_IO fv_vio = {fv_mem_length, fv_mem_seek, fv_mem_read, fv_mem_write, fv_mem_tell};

/* ---- reading the original, resampling, encoding ---- */

/*
 * The original's interleaved samples, normalised to [-1, 1) by libsndfile,
 * read until the data ends.  Returns the malloc'd samples or NULL (why says
 * why).
 */
static float *
fv_read_original(const unsigned char *bytes, size_t len, int *channels, int *rate, size_t *frames,
				 char *why, size_t why_size)
{
	FvMemFile	m = {(unsigned char *) bytes, (sf_count_t) len, (sf_count_t) len, 0, false};
	SF_INFO		info;
	SNDFILE    *sf;
	float	   *x = NULL;
	size_t		n = 0,
				cap = 0;
	sf_count_t	got;

	memset(&info, 0, sizeof(info));
	if ((sf = sf_open_virtual(&fv_vio, SFM_READ, &info, &m)) == NULL)
	{
		snprintf(why, why_size, "libsndfile cannot read the original: %s", sf_strerror(NULL));
		return NULL;
	}
	do
	{
		if (n + 4096 > cap)
		{
			float	   *grown;

			cap = cap ? 2 * cap : 65536;
			if ((grown = realloc(x, cap * (size_t) info.channels * sizeof(float))) == NULL)
			{
				snprintf(why, why_size, "out of memory");
				free(x);
				sf_close(sf);
				return NULL;
			}
			x = grown;
		}
		got = sf_readf_float(sf, x + n * (size_t) info.channels, 4096);
		n += (size_t) (got > 0 ? got : 0);
	} while (got > 0);
	sf_close(sf);
	if (n == 0)
	{
		snprintf(why, why_size, "the original holds no audio");
		free(x);
		return NULL;
	}
	*channels = info.channels;
	*rate = info.samplerate;
	*frames = n;
	return x;
}

/* x (frames × channels, interleaved) from in_rate to out_rate with libsoxr HQ; NULL on failure. */
static float *
fv_resample(const float *x, size_t frames, int channels, int in_rate, int out_rate, size_t *out_frames,
			char *why, size_t why_size)
{
	soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
	soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
	soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
	size_t		cap = (size_t) ceil((double) frames * out_rate / in_rate) + 16;
	float	   *y = malloc(cap * (size_t) channels * sizeof(float));
	soxr_error_t serr;

	if (y == NULL)
	{
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	serr = soxr_oneshot(in_rate, out_rate, (unsigned) channels, x, frames, NULL, y, cap, out_frames,
						&io, &quality, &runtime);
	if (serr != NULL)
	{
		snprintf(why, why_size, "libsoxr: %s", serr);
		free(y);
		return NULL;
	}
	return y;
}

typedef enum FvEncoding
{
	FV_WAV16,
	FV_WAV24,
	FV_WAVFLOAT,
	FV_FLAC16,
	FV_MP3
} FvEncoding;

static const char *const fv_encoding_names[] = {"WAV 16-bit", "WAV 24-bit", "WAV float", "FLAC 16-bit", "MP3 128 kbit/s"};

static int
fv_round(double v, double scale, int lo, int hi)
{
	double		r = nearbyint(v * scale);

	return r < lo ? lo : r > hi ? hi : (int) r;
}

/*
 * Encode x (frames × channels at rate) into out->bytes; false (why says why)
 * on failure, with nothing left allocated.  Integer samples are rounded
 * here rather than by libsndfile, whose float-to-integer scale (0x7FFF) is
 * not the inverse of its integer-to-float one (1/0x8000).
 */
static bool
fv_encode(const float *x, size_t frames, int channels, int rate, FvEncoding enc, FormatVariant *out,
		  char *why, size_t why_size)
{
	FvMemFile	m = {NULL, 0, 0, 0, false};
	SF_INFO		info;
	SNDFILE    *sf;
	size_t		n = frames * (size_t) channels;
	sf_count_t	written = 0;
	bool		ok = true;

	memset(&info, 0, sizeof(info));
	info.samplerate = rate;
	info.channels = channels;
	info.format = enc == FV_WAV16 ? SF_FORMAT_WAV | SF_FORMAT_PCM_16 :
		enc == FV_WAV24 ? SF_FORMAT_WAV | SF_FORMAT_PCM_24 :
		enc == FV_WAVFLOAT ? SF_FORMAT_WAV | SF_FORMAT_FLOAT :
		enc == FV_FLAC16 ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16 :
		SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
	if ((sf = sf_open_virtual(&fv_vio, SFM_WRITE, &info, &m)) == NULL)
	{
		snprintf(why, why_size, "libsndfile cannot write %s at %d Hz: %s", fv_encoding_names[enc], rate,
				 sf_strerror(NULL));
		free(m.data);
		return false;
	}
	if (enc == FV_MP3)
	{
		/*
		 * libsndfile maps the compression level c to a constant bitrate of
		 * 320 - 288 c kbit/s (MPEG-1: 32 kHz and up), so 2/3 gives 128.  The
		 * level goes first: setting the mode re-applies a level, and fails
		 * while none is set.
		 */
		double		level = (320.0 - FV_MP3_KBPS) / 288.0;
		int			mode = SF_BITRATE_MODE_CONSTANT;

		ok = sf_command(sf, SFC_SET_COMPRESSION_LEVEL, &level, sizeof(level)) == SF_TRUE &&
			sf_command(sf, SFC_SET_BITRATE_MODE, &mode, sizeof(mode)) == SF_TRUE;
		if (!ok)
			snprintf(why, why_size, "libsndfile cannot set MP3 at %d kbit/s: %s", FV_MP3_KBPS, sf_strerror(sf));
	}
	if (ok && (enc == FV_WAV16 || enc == FV_FLAC16 || enc == FV_WAV24))
	{
		int			bits = enc == FV_WAV24 ? 24 : 16;
		double		scale = (double) (1 << (bits - 1));
		int		   *q = malloc((n ? n : 1) * sizeof(int));

		if (q == NULL)
		{
			snprintf(why, why_size, "out of memory");
			ok = false;
		}
		else
		{
			/* As 32-bit integers, the value in the top bits: libsndfile shifts them down exactly. */
			for (size_t i = 0; i < n; i++)
				q[i] = (int) ((uint32_t) fv_round(x[i], scale, -(int) scale, (int) scale - 1) << (32 - bits));
			written = sf_writef_int(sf, q, (sf_count_t) frames);
			free(q);
		}
	}
	else if (ok)
		written = sf_writef_float(sf, x, (sf_count_t) frames);
	if (ok && written != (sf_count_t) frames)
	{
		snprintf(why, why_size, "libsndfile wrote %lld of %zu frames of %s: %s", (long long) written, frames,
				 fv_encoding_names[enc], sf_strerror(sf));
		ok = false;
	}
	if (sf_close(sf) != 0 && ok)
	{
		snprintf(why, why_size, "libsndfile cannot finish %s", fv_encoding_names[enc]);
		ok = false;
	}
	if (ok && m.failed)
	{
		snprintf(why, why_size, "out of memory");
		ok = false;
	}
	if (!ok)
	{
		free(m.data);
		return false;
	}
	out->bytes = m.data;
	out->len = (size_t) m.length;
	return true;
}

/*
 * Whether this libsndfile writes MP3 (it needs LAME at build time): tried
 * once on a short tone, the answer kept.
 */
static bool
fv_mp3_writable(void)
{
	static int	known = -1;

	if (known < 0)
	{
		float		tone[4410];
		FormatVariant v;
		char		why[256];

		for (int i = 0; i < 4410; i++)
			tone[i] = (float) (0.1 * sin(2 * M_PI * 440.0 * i / 44100.0));
		known = fv_encode(tone, 4410, 1, 44100, FV_MP3, &v, why, sizeof(why)) && v.len > 0;
		if (known)
			free(v.bytes);
	}
	return known == 1;
}

/* A deterministic standard normal deviate: splitmix64 then Box-Muller. */
static double
fv_gaussian(uint64_t *state)
{
	double		u[2];

	for (int k = 0; k < 2; k++)
	{
		uint64_t	z = (*state += 0x9E3779B97F4A7C15ull);

		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
		z ^= z >> 31;
		u[k] = ((z >> 11) + 0.5) / 9007199254740992.0;	/* (0, 1) */
	}
	return sqrt(-2.0 * log(u[0])) * cos(2 * M_PI * u[1]);
}

static void
fv_free(FormatVariants *fv)
{
	for (int i = 0; i < fv->n; i++)
		free(fv->v[i].bytes);
	fv->n = 0;
}

/* Append one encoding of x to fv; false on failure (fv keeps what it had). */
static bool
fv_add(FormatVariants *fv, const float *x, size_t frames, int channels, int rate, FvEncoding enc,
	   const char *label, char *why, size_t why_size)
{
	FormatVariant *v = &fv->v[fv->n];

	if (fv->n >= FV_MAX_VARIANTS)
	{
		snprintf(why, why_size, "too many variants");
		return false;
	}
	if (!fv_encode(x, frames, channels, rate, enc, v, why, why_size))
		return false;
	if (label != NULL)
		snprintf(v->name, sizeof(v->name), "%s", label);
	else
		snprintf(v->name, sizeof(v->name), "%s, %g kHz", fv_encoding_names[enc], rate / 1000.0);
	fv->n++;
	return true;
}

/*
 * All the variants of the recording bytes[0..len) (see the top of the
 * file), in a fixed order; on failure (why says why) fv is left empty.
 */
static bool
fv_make(const unsigned char *bytes, size_t len, FormatVariants *fv, char *why, size_t why_size)
{
	static const int rates[] = {48000, 44100, 22050, 16000};
	static const FvEncoding per_rate[] = {FV_WAV16, FV_WAV24, FV_WAVFLOAT, FV_FLAC16};
	int			channels,
				rate;
	size_t		frames;
	float	   *x = fv_read_original(bytes, len, &channels, &rate, &frames, why, why_size);
	float	   *at[4] = {NULL, NULL, NULL, NULL};
	size_t		at_frames[4];
	bool		ok = x != NULL;

	fv->n = 0;
	for (int r = 0; ok && r < 4; r++)
	{
		if (rates[r] == rate)
		{
			at[r] = x;
			at_frames[r] = frames;
		}
		else
			ok = (at[r] = fv_resample(x, frames, channels, rate, rates[r], &at_frames[r], why, why_size)) != NULL;
		for (int e = 0; ok && e < 4; e++)
			ok = fv_add(fv, at[r], at_frames[r], channels, rates[r], per_rate[e], NULL, why, why_size);
	}
	if (ok && fv_mp3_writable())
		ok = fv_add(fv, at[1], at_frames[1], channels, 44100, FV_MP3, NULL, why, why_size) &&
			fv_add(fv, at[0], at_frames[0], channels, 48000, FV_MP3, NULL, why, why_size);
	if (ok)
	{
		double		sigma = pow(10.0, FV_NOISE_DBFS / 20.0);
		uint64_t	state = 0x5E12C0DEull;	/* the same noise for every recording and run */
		float	   *noisy = malloc(frames * (size_t) channels * sizeof(float));
		char		label[48];

		if (noisy == NULL)
		{
			snprintf(why, why_size, "out of memory");
			ok = false;
		}
		else
		{
			for (size_t i = 0; i < frames * (size_t) channels; i++)
				noisy[i] = (float) (x[i] + sigma * fv_gaussian(&state));
			snprintf(label, sizeof(label), "noise %g dBFS, WAV 16-bit, %g kHz", FV_NOISE_DBFS, rate / 1000.0);
			ok = fv_add(fv, noisy, frames, channels, rate, FV_WAV16, label, why, why_size);
			free(noisy);
		}
	}
	for (int r = 0; r < 4; r++)
		if (at[r] != x)
			free(at[r]);
	free(x);
	if (!ok)
		fv_free(fv);
	return ok;
}

/* ---- labelling as SQL does ---- */

/*
 * A recording's labels: the class index the model gives it alone (no
 * speaker profile, as ser_predict(audio) without the gate would), and behind
 * the speech gate with its default thresholds (ser_predict(audio): -1, NULL
 * in SQL, when it is not speech), *verdict the gate's verdict.  The bytes
 * are decoded at the model's rate as SQL decodes them.  SER_OK or the
 * failure (err).
 */
static SerStatus
fv_label(const SerModel *model, const SerFeatureParams *params, const unsigned char *bytes, size_t len,
		 int *alone, int *gated, SerSpeechVerdict *verdict, SerError *err)
{
	SerDecodeOptions opts = {params->sample_rate, 600};
	SerSpeechGate gate;
	SerSpeechEvidence ev;
	SerPcm		pcm;
	float		probs[64];
	int			k = ser_model_class_count(model);
	SerStatus	st;

	if (k > 64)
		return ser_error(err, SER_EINVAL, "model has more than 64 classes");
	ser_speech_gate_default(&gate);
	if ((st = ser_audio_decode(bytes, len, &opts, &pcm, NULL, err)) != SER_OK)
		return st;
	/* The features once: the gate's pass runs the same model as alone for speech. */
	st = ser_classifier_predict_speech(model, params, pcm.samples, pcm.n_samples, NULL, 0, &gate, probs, &ev,
									   verdict, err);
	if (st == SER_OK && *verdict != SER_SPEECH_YES)
		st = ser_classifier_predict(model, params, pcm.samples, pcm.n_samples, NULL, 0, probs, err);
	ser_pcm_free(&pcm);
	if (st != SER_OK)
		return st;
	*alone = 0;
	for (int c = 1; c < k; c++)
		if (probs[c] > probs[*alone])
			*alone = c;
	*gated = *verdict == SER_SPEECH_YES ? *alone : -1;
	return SER_OK;
}

#endif							/* SER_EVAL_FORMAT_VARIANTS_H */
