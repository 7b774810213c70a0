/*
 * fuzz_decode.c — libFuzzer harness for bytes → PCM (src/audio).
 *
 * Every input goes through ser_audio_probe and ser_audio_decode at the
 * feature rate, as ser_audio_info and ser_decode do in the server.  What
 * must hold, checked here besides the sanitizers: a failure leaves nothing
 * allocated, and a success yields samples that are finite and within
 * [-1, 1].  LeakSanitizer also sees memory that the audio libraries keep
 * (libvorbis, libsndfile), so a leak there is a finding, not noise.
 *
 * Native FLAC is read by libFLAC directly when the stream is clean
 * (src/audio/flac.c) and by libsndfile otherwise: for any input that starts
 * like FLAC the harness decodes it both ways and requires the same outcome,
 * the same samples bit for bit, or the same error.
 */
#include "fuzz_common.h"

#include <string.h>

#include "audio/decode.h"
#include "audio/flac.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SerDecodeOptions opts = {.target_rate = 16000, .max_duration_s = FUZZ_MAX_DURATION_S};
	SerAudioInfo info;
	SerPcm		pcm;
	SerError	err;
	SerStatus	status;

	fuzz_setup();
	(void) ser_audio_probe(data, size, &opts, &info, &err);
	FUZZ_ASSERT(fuzz_outstanding == 0, "probe left core memory allocated");

	status = ser_audio_decode(data, size, &opts, &pcm, &info, &err);
	if (size >= 4 && memcmp(data, "fLaC", 4) == 0)
	{
		SerPcm		other;
		SerError	other_err;
		SerStatus	other_status;

		ser_flac_set_enabled(false);
		other_status = ser_audio_decode(data, size, &opts, &other, NULL, &other_err);
		ser_flac_set_enabled(true);
		FUZZ_ASSERT(other_status == status, "libFLAC directly: status %d, through libsndfile: %d",
					(int) status, (int) other_status);
		if (status == SER_OK)
		{
			FUZZ_ASSERT(other.n_samples == pcm.n_samples &&
						memcmp(other.samples, pcm.samples, sizeof(float) * pcm.n_samples) == 0,
						"libFLAC directly and through libsndfile decode different samples");
			ser_pcm_free(&other);
		}
		else
			FUZZ_ASSERT(strcmp(err.message, other_err.message) == 0 && strcmp(err.detail, other_err.detail) == 0,
						"different errors: \"%s\" / \"%s\"", err.message, other_err.message);
	}
	if (status == SER_OK)
	{
		FUZZ_ASSERT(pcm.n_samples > 0, "a decoded recording holds no samples");
		for (size_t i = 0; i < pcm.n_samples; i++)
			FUZZ_ASSERT(pcm.samples[i] >= -1.0f && pcm.samples[i] <= 1.0f,
						"sample %zu is %g, outside [-1, 1]", i, (double) pcm.samples[i]);
		ser_pcm_free(&pcm);
	}
	else
		FUZZ_ASSERT(err.status != SER_EINTERNAL, "internal error: %s", err.message);
	FUZZ_ASSERT(fuzz_outstanding == 0, "decode left core memory allocated");
	return 0;
}
