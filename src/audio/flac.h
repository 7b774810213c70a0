/*
 * flac.h — native FLAC read directly with libFLAC's stream decoder, for
 * speed.  See flac.c.
 *
 * A fast path only: it reads clean streams (a "fLaC" signature at the start,
 * 8-, 16- or 24-bit samples, 1 to max_channels channels, a rate in range,
 * a STREAMINFO frame count, and every frame decoding without an error up to
 * exactly that count).  Anything else — damage, truncation, an unusual
 * stream — makes it give up (ser_flac_open returns false, or ser_flac_read
 * -1), and the caller decodes the bytes again with libsndfile, whose
 * validation and messages then apply unchanged.
 */
#ifndef SER_AUDIO_FLAC_H
#define SER_AUDIO_FLAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SerFlacReader SerFlacReader;

typedef struct SerFlacStream
{
	int			channels;
	int			sample_rate;
	int			bits_per_sample;	/* 8, 16 or 24 */
	int64_t		frames;			/* STREAMINFO's total */
} SerFlacStream;

/*
 * Start reading data[0..len) (which must stay valid until ser_flac_close).
 * False when the fast path does not take the stream; nothing is then left
 * allocated.
 */
bool		ser_flac_open(const void *data, size_t len, int min_rate, int max_rate, int max_channels,
						  SerFlacReader **out, SerFlacStream *stream);

/*
 * Up to max_frames interleaved frames as floats into block, scaled exactly
 * as libsndfile scales them (1 / 2^(bits - 1)); fewer only at the end, 0 at
 * the end of a clean stream, -1 when the fast path gives up.
 */
long		ser_flac_read(SerFlacReader *reader, float *block, long max_frames);

/* Release everything (libFLAC's decoder and buffers); NULL is fine. */
void		ser_flac_close(SerFlacReader *reader);

/* Tests and benchmarks: false routes every FLAC through libsndfile. */
void		ser_flac_set_enabled(bool enabled);

#endif							/* SER_AUDIO_FLAC_H */
