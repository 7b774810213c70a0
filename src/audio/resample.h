/*
 * resample.h — PCM rate conversion with libsoxr.
 *
 * Why libsoxr: a band-limited resampler with a proper anti-aliasing filter
 * and delay compensation is hard to write and harder to verify; libsoxr is
 * the resampler behind SoX and FFmpeg's "soxr" option, small, well kept, in
 * Debian, and at its "high quality" setting (20-bit, passband to 91% of
 * Nyquist, linear phase) it is transparent for speech features.
 *
 * The filter design costs more than resampling a short clip, so converters
 * are kept per (input rate, output rate) pair for the life of the process
 * and reset between uses.  Streaming: feed blocks of mono samples, then
 * flush; the output is time-aligned with the input (the filter's delay is
 * removed) and has round(n_in * out_rate / in_rate) samples.
 */
#ifndef SER_AUDIO_RESAMPLE_H
#define SER_AUDIO_RESAMPLE_H

#include "common/runtime.h"

typedef struct SerResampler SerResampler;

/* Get the process's converter for in_rate → out_rate, reset to a fresh stream. */
SerStatus	ser_resampler_acquire(int in_rate, int out_rate, SerResampler **out, SerError *err);

/*
 * Convert n_in samples (NULL, 0 to flush at the end of the stream), appending
 * the output to *buf (grown with ser_malloc as needed; *len and *cap in samples).
 */
SerStatus	ser_resampler_process(SerResampler *rs, const float *in, size_t n_in,
								  float **buf, size_t *len, size_t *cap, SerError *err);

#endif							/* SER_AUDIO_RESAMPLE_H */
