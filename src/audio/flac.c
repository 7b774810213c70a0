/*
 * flac.c — native FLAC read directly with libFLAC.  See flac.h.
 *
 * Why: libsndfile reads FLAC through libFLAC too, then copies every sample
 * through a per-sample loop with bounds checks (and, for 16-bit, a shift and
 * a second copy); for a 48 kHz clip that cost about a quarter of the decode
 * (callgrind: libFLAC ~40 %, libsndfile's copy loop 19 % + memcpy 4 %).
 * Here each decoded frame is converted from libFLAC's int32 channels to
 * interleaved floats once, in a loop the compiler vectorises, straight into
 * the caller's block when it fits there (a frame of 4096 samples, flac's
 * default, always does), and the caller gets blocks of the size it asks for.
 *
 * The values are libsndfile's: it converts FLAC samples to float as
 * sample * (1 / 2^(bits - 1)) in float (for 16-bit it gives the integers,
 * which decode.c scales by 1 / 32768, the same product).  Blocks have the
 * same length as libsndfile's sf_readf_* reads, so what follows (mixing,
 * resampling) sees the same input in the same pieces: outputs are bit for
 * bit those of the libsndfile path (test_decode compares the two).
 *
 * Memory: the reader and its frame buffer come from ser_malloc; libFLAC's
 * decoder mallocs its own, released by ser_flac_close on every path.
 */
#include "audio/flac.h"

#include <FLAC/stream_decoder.h>
#include <string.h>

#include "common/runtime.h"

struct SerFlacReader
{
	FLAC__StreamDecoder *decoder;
	const unsigned char *data;
	size_t		len;
	size_t		pos;
	SerFlacStream stream;
	bool		have_info;
	bool		failed;			/* an error reported by libFLAC, or a frame unlike STREAMINFO */
	float		scale;
	float	   *dest;			/* where ser_flac_read wants the next frame ... */
	size_t		dest_room;		/* ... and how many frames fit there */
	size_t		dest_frames;	/* frames the last decode wrote there */
	float	   *pending;		/* the last decoded frame, interleaved, when it did not fit */
	size_t		pending_cap;	/* floats */
	size_t		pending_frames;
	size_t		pending_pos;	/* frames already handed out */
	int64_t		decoded;		/* frames decoded so far */
};

static bool enabled = true;

void
ser_flac_set_enabled(bool on)
{
	enabled = on;
}

static FLAC__StreamDecoderReadStatus
read_cb(const FLAC__StreamDecoder *decoder, FLAC__byte buffer[], size_t *bytes, void *user)
{
	SerFlacReader *r = user;
	size_t		n = r->len - r->pos;

	(void) decoder;
	if (n == 0)
	{
		*bytes = 0;
		return FLAC__STREAM_DECODER_READ_STATUS_END_OF_STREAM;
	}
	if (n > *bytes)
		n = *bytes;
	memcpy(buffer, r->data + r->pos, n);
	r->pos += n;
	*bytes = n;
	return FLAC__STREAM_DECODER_READ_STATUS_CONTINUE;
}

static FLAC__StreamDecoderWriteStatus
write_cb(const FLAC__StreamDecoder *decoder, const FLAC__Frame *frame, const FLAC__int32 *const buffer[],
		 void *user)
{
	SerFlacReader *r = user;
	size_t		n = frame->header.blocksize;
	int			channels = r->stream.channels;
	float		scale = r->scale;
	float	   *out_base = NULL;

	(void) decoder;
	if (!r->have_info || (int) frame->header.channels != channels ||
		(int) frame->header.bits_per_sample != r->stream.bits_per_sample ||
		r->decoded + (int64_t) n > r->stream.frames)
	{
		r->failed = true;
		return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
	}
	if (n <= r->dest_room)
		out_base = r->dest;		/* straight into the caller's block: no second copy */
	else if (n * (size_t) channels > r->pending_cap)
	{
		float	   *grown = ser_malloc_array(n * (size_t) channels, sizeof(float));

		if (grown == NULL)
		{
			r->failed = true;	/* libsndfile will report the shortage */
			return FLAC__STREAM_DECODER_WRITE_STATUS_ABORT;
		}
		ser_free(r->pending);
		r->pending = grown;
		r->pending_cap = n * (size_t) channels;
	}
	if (out_base == NULL)
		out_base = r->pending;
	if (channels == 1)
	{
		const		FLAC__int32 *in = buffer[0];
		float	   *out = out_base;

		for (size_t i = 0; i < n; i++)
			out[i] = (float) in[i] * scale;
	}
	else
		for (int c = 0; c < channels; c++)
		{
			const		FLAC__int32 *in = buffer[c];
			float	   *out = out_base + c;

			for (size_t i = 0; i < n; i++)
				out[i * (size_t) channels] = (float) in[i] * scale;
		}
	if (out_base == r->dest)
		r->dest_frames = n;
	else
	{
		r->pending_frames = n;
		r->pending_pos = 0;
	}
	r->decoded += (int64_t) n;
	return FLAC__STREAM_DECODER_WRITE_STATUS_CONTINUE;
}

static void
metadata_cb(const FLAC__StreamDecoder *decoder, const FLAC__StreamMetadata *metadata, void *user)
{
	SerFlacReader *r = user;
	const		FLAC__StreamMetadata_StreamInfo *si;

	(void) decoder;
	if (metadata->type != FLAC__METADATA_TYPE_STREAMINFO)
		return;
	si = &metadata->data.stream_info;
	r->stream.channels = (int) si->channels;
	r->stream.sample_rate = (int) si->sample_rate;
	r->stream.bits_per_sample = (int) si->bits_per_sample;
	r->stream.frames = (int64_t) si->total_samples;
	r->have_info = true;
}

static void
error_cb(const FLAC__StreamDecoder *decoder, FLAC__StreamDecoderErrorStatus status, void *user)
{
	(void) decoder;
	(void) status;
	((SerFlacReader *) user)->failed = true;
}

void
ser_flac_close(SerFlacReader *r)
{
	if (r == NULL)
		return;
	if (r->decoder != NULL)
		FLAC__stream_decoder_delete(r->decoder);	/* finishes it too */
	ser_free(r->pending);
	ser_free(r);
}

bool
ser_flac_open(const void *data, size_t len, int min_rate, int max_rate, int max_channels,
			  SerFlacReader **out, SerFlacStream *stream)
{
	SerFlacReader *r;
	const SerFlacStream *s;

	*out = NULL;
	if (!enabled || data == NULL || len < 4 || memcmp(data, "fLaC", 4) != 0)
		return false;
	r = ser_malloc(sizeof(SerFlacReader));
	if (r == NULL)
		return false;
	memset(r, 0, sizeof(*r));
	r->data = data;
	r->len = len;
	r->decoder = FLAC__stream_decoder_new();

	/*
	 * Parse every metadata block, as libsndfile does: libFLAC then judges
	 * them all (a damaged VORBIS_COMMENT is an error there), so a stream
	 * libsndfile refuses is not read here.  By default libFLAC would skip
	 * all but STREAMINFO unread.
	 */
	if (r->decoder == NULL || !FLAC__stream_decoder_set_metadata_respond_all(r->decoder) ||
		FLAC__stream_decoder_init_stream(r->decoder, read_cb, NULL, NULL, NULL, NULL, write_cb, metadata_cb,
										 error_cb, r) != FLAC__STREAM_DECODER_INIT_STATUS_OK ||
		!FLAC__stream_decoder_process_until_end_of_metadata(r->decoder) || r->failed || !r->have_info)
	{
		ser_flac_close(r);
		return false;
	}
	s = &r->stream;
	if (s->channels < 1 || s->channels > max_channels || s->sample_rate < min_rate || s->sample_rate > max_rate ||
		(s->bits_per_sample != 8 && s->bits_per_sample != 16 && s->bits_per_sample != 24) || s->frames <= 0)
	{
		ser_flac_close(r);
		return false;
	}
	r->scale = 1.0f / (float) (1 << (s->bits_per_sample - 1));
	*stream = *s;
	*out = r;
	return true;
}

long
ser_flac_read(SerFlacReader *r, float *block, long max_frames)
{
	long		got = 0;
	int			channels = r->stream.channels;

	while (got < max_frames)
	{
		size_t		take;

		if (r->pending_pos == r->pending_frames)
		{
			FLAC__StreamDecoderState state = FLAC__stream_decoder_get_state(r->decoder);

			if (state == FLAC__STREAM_DECODER_END_OF_STREAM)
				break;
			r->pending_frames = r->pending_pos = 0;
			r->dest = block + (size_t) got * channels;
			r->dest_room = (size_t) (max_frames - got);
			r->dest_frames = 0;
			if (!FLAC__stream_decoder_process_single(r->decoder) || r->failed)
				return -1;
			r->dest_room = 0;
			got += (long) r->dest_frames;
			continue;			/* a frame (here or pending), metadata, or the end */
		}
		take = r->pending_frames - r->pending_pos;
		if (take > (size_t) (max_frames - got))
			take = (size_t) (max_frames - got);
		memcpy(block + (size_t) got * channels, r->pending + r->pending_pos * channels,
			   take * (size_t) channels * sizeof(float));
		r->pending_pos += take;
		got += (long) take;
	}
	/* At the end, the stream must have held exactly what STREAMINFO declared. */
	if (got < max_frames && r->decoded != r->stream.frames)
		return -1;
	return got;
}
