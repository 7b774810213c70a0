/*
 * decode.h — bytes → PCM: decode a recording held in memory.
 *
 * Any container libsndfile reads (WAV incl. float and A-law/µ-law, AIFF, AU,
 * FLAC, Ogg/Vorbis, Ogg/Opus, MP3) at 8–192 kHz with any number of channels.
 * Channels are averaged to mono, the result is resampled to the requested
 * rate with libsoxr (see resample.h) and clamped to [-1, 1].  Decoding reads
 * until the end of the data rather than trusting the header's frame count,
 * and a header that promises more audio than the data holds is reported as
 * truncated (SER_ECORRUPT).  Float data holding NaN or infinity is rejected
 * (SER_ENONFINITE): silently replacing it would yield plausible-looking but
 * meaningless features.
 */
#ifndef SER_AUDIO_DECODE_H
#define SER_AUDIO_DECODE_H

#include "common/runtime.h"

#define SER_MIN_SAMPLE_RATE 8000
#define SER_MAX_SAMPLE_RATE 192000

typedef struct SerAudioInfo
{
	const char *format;			/* "wav", "aiff", "au", "flac", "ogg/vorbis", "ogg/opus", "mp3", ... */
	const char *encoding;		/* "pcm16", "pcm24", "float32", "alaw", "vorbis", ... */
	int			sample_rate;	/* as stored */
	int			channels;		/* as stored */
	int64_t		frames;			/* frames actually decoded (not the header's claim) */
	double		duration_s;		/* frames / sample_rate */
} SerAudioInfo;

typedef struct SerDecodeOptions
{
	int			target_rate;	/* output rate in Hz; 0 keeps the stored rate */
	double		max_duration_s; /* refuse longer recordings (SER_ETOOLONG); <= 0: no limit */
} SerDecodeOptions;

typedef struct SerPcm
{
	float	   *samples;		/* mono, [-1, 1], allocated with ser_malloc */
	size_t		n_samples;
	int			sample_rate;
} SerPcm;

/*
 * Decode data[0..len) to mono PCM.  On success fills *pcm (release with
 * ser_pcm_free) and, when info is not NULL, *info.  On failure *pcm is empty,
 * everything is released and err says why.
 */
SerStatus	ser_audio_decode(const void *data, size_t len, const SerDecodeOptions *opts,
							 SerPcm *pcm, SerAudioInfo *info, SerError *err);

/* Validate and describe a recording without keeping its samples. */
SerStatus	ser_audio_probe(const void *data, size_t len, const SerDecodeOptions *opts,
							SerAudioInfo *info, SerError *err);

void		ser_pcm_free(SerPcm *pcm);

#endif							/* SER_AUDIO_DECODE_H */
