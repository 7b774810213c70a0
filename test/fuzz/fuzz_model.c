/*
 * fuzz_model.c — libFuzzer harness for model loading (src/model,
 * src/classifier): bytes → verified blob → network → a prediction.
 *
 * A blob that loads must also yield its feature parameters or a clean
 * error, and a model that gets that far classifies a short tone into
 * probabilities that are finite and sum to one.  Nothing stays allocated
 * on any path.  The CRC makes most mutations fail early; the seeds include
 * blobs whose checksum the harness recomputes (see FUZZ_FIX_CRC below) so
 * that mutations also reach the entry parser and the network checks.
 */
#include "fuzz_common.h"

#include <math.h>
#include <string.h>

#include "classifier/classifier.h"
#include "model/network.h"
#include "model/tensor_blob.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A quarter of a second at 16 kHz: a few frames, so each run stays cheap. */
#define FUZZ_PCM_SAMPLES 4000
/* Inputs that start with this byte get their trailing CRC recomputed (the byte is dropped). */
#define FUZZ_FIX_CRC 0x01
/* Room for the probabilities; a model with more classes is loaded but not run. */
#define FUZZ_MAX_CLASSES 256

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static float pcm[FUZZ_PCM_SAMPLES];
	uint8_t    *blob;
	size_t		len = size;
	SerModel   *model = NULL;
	SerFeatureParams params;
	SerError	err;

	fuzz_setup();
	if (pcm[1] == 0.0f)
		for (int i = 0; i < FUZZ_PCM_SAMPLES; i++)
			pcm[i] = 0.5f * (float) sin(2.0 * M_PI * 440.0 * i / 16000.0);

	blob = malloc(size ? size : 1);
	memcpy(blob, data, size);
	if (size > 5 && data[0] == FUZZ_FIX_CRC)
	{
		uint32_t	crc;

		len = size - 1;
		memmove(blob, blob + 1, len);
		crc = ser_crc32(blob, len - 4);
		for (int b = 0; b < 4; b++)
			blob[len - 4 + b] = (uint8_t) (crc >> (8 * b));
	}

	if (ser_model_load(blob, len, &model, &err) == SER_OK)
	{
		if (ser_classifier_model_params(model, &params, &err) == SER_OK)
		{
			float		probs[FUZZ_MAX_CLASSES];
			char		name[64];
			int			n_classes = 0;

			while (n_classes <= FUZZ_MAX_CLASSES && ser_model_class_name(model, n_classes, name, sizeof(name)))
				n_classes++;
			if (n_classes <= FUZZ_MAX_CLASSES &&
				ser_classifier_predict(model, &params, pcm, FUZZ_PCM_SAMPLES, NULL, 0, probs, &err) == SER_OK)
			{
				double		sum = 0;

				for (int k = 0; k < n_classes; k++)
				{
					FUZZ_ASSERT(isfinite(probs[k]), "probability %d is not finite", k);
					sum += probs[k];
				}
				FUZZ_ASSERT(fabs(sum - 1.0) < 1e-3, "probabilities sum to %g", sum);
			}
		}
		ser_model_free(model);
	}
	else
		FUZZ_ASSERT(err.status != SER_EINTERNAL, "internal error: %s", err.message);
	free(blob);
	FUZZ_ASSERT(fuzz_outstanding == 0, "model loading left core memory allocated");
	return 0;
}
