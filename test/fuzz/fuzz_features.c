/*
 * fuzz_features.c — libFuzzer harness for PCM → features (src/features).
 *
 * Input layout: a first line of feature parameters in the text form of
 * ser_feature_params() (any parse failure falls back to the defaults, so
 * mutations reach both the parser and extraction), then 16-bit
 * little-endian samples.  Varying n_fft, hop and the other parameters
 * from input to input also drives the per-process FFT plan cache through
 * many sizes.  What must hold besides the sanitizers: success yields only
 * finite values, and nothing stays allocated either way.
 */
#include "fuzz_common.h"

#include <math.h>
#include <string.h>

#include "features/features.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1.5 s at 16 kHz: enough for every code path (several YIN blocks), cheap per run. */
#define FUZZ_MAX_SAMPLES 24000

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *newline = memchr(data, '\n', size);
	size_t		text_len = newline ? (size_t) (newline - data) : 0;
	char		text[1024];
	SerFeatureParams params;
	SerFeatureSet fs;
	SerError	err;
	float	   *pcm;
	size_t		n;
	const uint8_t *raw;

	fuzz_setup();
	ser_feature_params_default(&params);
	if (newline != NULL && text_len < sizeof(text))
	{
		memcpy(text, data, text_len);
		text[text_len] = '\0';
		if (ser_feature_params_parse(text, &params, &err) != SER_OK)
			ser_feature_params_default(&params);
	}
	FUZZ_ASSERT(fuzz_outstanding == 0, "parameter parsing left core memory allocated");

	raw = newline ? newline + 1 : data;
	n = (size - (size_t) (raw - data)) / 2;
	if (n > FUZZ_MAX_SAMPLES)
		n = FUZZ_MAX_SAMPLES;
	pcm = malloc((n ? n : 1) * sizeof(float));
	for (size_t i = 0; i < n; i++)
		pcm[i] = (float) (int16_t) (raw[2 * i] | raw[2 * i + 1] << 8) * (1.0f / 32768.0f);

	if (ser_extract_features(&params, pcm, n, SER_FEATURES_FRAMES | SER_FEATURES_UTTERANCE,
							 &fs, &err) == SER_OK)
	{
		for (size_t i = 0; i < fs.n_frames * (size_t) fs.n_frame_features; i++)
			FUZZ_ASSERT(isfinite(fs.frames[i]), "frame value %zu is not finite", i);
		for (int i = 0; i < fs.n_utterance; i++)
			FUZZ_ASSERT(isfinite(fs.utterance[i]), "utterance value %d is not finite", i);
		ser_feature_set_free(&fs);
	}
	else
		FUZZ_ASSERT(err.status != SER_EINTERNAL, "internal error: %s", err.message);
	free(pcm);
	FUZZ_ASSERT(fuzz_outstanding == 0, "extraction left core memory allocated");
	return 0;
}
