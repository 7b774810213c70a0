/*
 * fuzz_decode.c — libFuzzer harness for bytes → PCM (src/audio).
 *
 * Every input goes through ser_audio_probe and ser_audio_decode at the
 * feature rate, as ser_audio_info and ser_decode do in the server.  What
 * must hold, checked here besides the sanitizers: a failure leaves nothing
 * allocated, and a success yields samples that are finite and within
 * [-1, 1].  LeakSanitizer also sees memory that the audio libraries keep
 * (libvorbis, libsndfile), so a leak there is a finding, not noise.
 */
#include "fuzz_common.h"

#include "audio/decode.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SerDecodeOptions opts = {.target_rate = 16000, .max_duration_s = FUZZ_MAX_DURATION_S};
	SerAudioInfo info;
	SerPcm		pcm;
	SerError	err;

	fuzz_setup();
	(void) ser_audio_probe(data, size, &opts, &info, &err);
	FUZZ_ASSERT(fuzz_outstanding == 0, "probe left core memory allocated");

	if (ser_audio_decode(data, size, &opts, &pcm, &info, &err) == SER_OK)
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
