/*
 * decode.c — bytes → PCM with libsndfile's virtual I/O.  See decode.h.
 *
 * One pass reads blocks of interleaved frames, checks them for NaN and
 * infinity, averages the channels and either keeps the mono block or feeds
 * it to the resampler, so memory holds only the output signal, never the
 * multi-channel original.  The header's frame count is only used to size
 * buffers and to detect truncation after the data ran out.
 *
 * Native FLAC is read with libFLAC directly when the stream is clean
 * (flac.c: a quarter fewer instructions than through libsndfile, whose
 * per-sample copy it avoids);
 * when that fast path gives up, or the pass would fail for any reason but
 * cancellation, it starts again with libsndfile, so damaged, unusual or
 * refused files get libsndfile's checks and messages.
 */
#include "audio/decode.h"
#include "common/finite.h"
#include "audio/flac.h"
#include "audio/resample.h"

#include <math.h>
#include <ogg/ogg.h>
#include <sndfile.h>
#include <vorbis/codec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Frames read per block: large enough to amortise calls, small enough for cache and cancel latency. */
#define DECODE_BLOCK_FRAMES 4096

/* libsndfile's own upper bound on channels (SF_MAX_CHANNELS in its sources). */
#define DECODE_MAX_CHANNELS 1024

typedef struct MemoryFile
{
	const unsigned char *data;
	sf_count_t	length;
	sf_count_t	position;
} MemoryFile;

static sf_count_t
mem_get_filelen(void *user)
{
	return ((MemoryFile *) user)->length;
}

static sf_count_t
mem_seek(sf_count_t offset, int whence, void *user)
{
	MemoryFile *mf = user;
	sf_count_t	base;

	switch (whence)
	{
		case SEEK_SET:
			base = 0;
			break;
		case SEEK_CUR:
			base = mf->position;
			break;
		case SEEK_END:
			base = mf->length;
			break;
		default:
			return -1;
	}
	if (offset < -base || offset > mf->length - base + ((sf_count_t) 1 << 40))
		return -1;
	/* Seeking past the end is allowed (reads there return 0 bytes), as for a file. */
	mf->position = base + offset;
	return mf->position;
}

static sf_count_t
mem_read(void *ptr, sf_count_t count, void *user)
{
	MemoryFile *mf = user;
	sf_count_t	available;

	if (count <= 0 || mf->position >= mf->length)
		return 0;
	available = mf->length - mf->position;
	if (count > available)
		count = available;
	memcpy(ptr, mf->data + mf->position, (size_t) count);
	mf->position += count;
	return count;
}

static sf_count_t
mem_write(const void *ptr, sf_count_t count, void *user)
{
	(void) ptr;
	(void) count;
	(void) user;
	return 0;					/* read-only */
}

static sf_count_t
mem_tell(void *user)
{
	return ((MemoryFile *) user)->position;
}

/* libsndfile's messages end with a period (some with two); our detail sentences add their own. */
static const char *
library_message(const char *msg, char *buf, size_t size)
{
	size_t		n;

	snprintf(buf, size, "%s", msg ? msg : "unknown error");
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '.' || buf[n - 1] == ' ' || buf[n - 1] == '\n'))
		buf[--n] = '\0';
	return buf;
}

static const char *
container_name(int format)
{
	switch (format & SF_FORMAT_TYPEMASK)
	{
		case SF_FORMAT_WAV:
		case SF_FORMAT_WAVEX:
		case SF_FORMAT_RF64:
			return "wav";
		case SF_FORMAT_AIFF:
			return "aiff";
		case SF_FORMAT_AU:
			return "au";
		case SF_FORMAT_FLAC:
			return "flac";
		case SF_FORMAT_OGG:
			switch (format & SF_FORMAT_SUBMASK)
			{
				case SF_FORMAT_VORBIS:
					return "ogg/vorbis";
				case SF_FORMAT_OPUS:
					return "ogg/opus";
				case SF_FORMAT_FLAC:
					return "ogg/flac";
				default:
					return "ogg";
			}
		case SF_FORMAT_MPEG:
			return "mp3";
		case SF_FORMAT_W64:
			return "w64";
		case SF_FORMAT_CAF:
			return "caf";
		default:
			return "other";
	}
}

static const char *
encoding_name(int format)
{
	switch (format & SF_FORMAT_SUBMASK)
	{
		case SF_FORMAT_PCM_S8:
			return "pcm8";
		case SF_FORMAT_PCM_U8:
			return "pcm8u";
		case SF_FORMAT_PCM_16:
			return "pcm16";
		case SF_FORMAT_PCM_24:
			return "pcm24";
		case SF_FORMAT_PCM_32:
			return "pcm32";
		case SF_FORMAT_FLOAT:
			return "float32";
		case SF_FORMAT_DOUBLE:
			return "float64";
		case SF_FORMAT_ULAW:
			return "ulaw";
		case SF_FORMAT_ALAW:
			return "alaw";
		case SF_FORMAT_IMA_ADPCM:
		case SF_FORMAT_MS_ADPCM:
			return "adpcm";
		case SF_FORMAT_GSM610:
			return "gsm610";
		case SF_FORMAT_VORBIS:
			return "vorbis";
		case SF_FORMAT_OPUS:
			return "opus";
		case SF_FORMAT_MPEG_LAYER_I:
			return "mp1";
		case SF_FORMAT_MPEG_LAYER_II:
			return "mp2";
		case SF_FORMAT_MPEG_LAYER_III:
			return "mp3";
		default:
			return "other";
	}
}

/*
 * Containers libsndfile does not read but users will try: say what they are
 * instead of "format not recognised".
 */
static const char *
sniff_unsupported(const unsigned char *p, size_t len)
{
	if (len >= 12 && memcmp(p + 4, "ftyp", 4) == 0)
		return "MPEG-4 (M4A/AAC/MP4)";
	if (len >= 4 && p[0] == 0x1A && p[1] == 0x45 && p[2] == 0xDF && p[3] == 0xA3)
		return "Matroska/WebM";
	if (len >= 6 && memcmp(p, "#!AMR", 5) == 0)
		return "AMR";
	if (len >= 2 && p[0] == 0xFF && (p[1] & 0xF6) == 0xF0)
		return "AAC (ADTS)";
	return NULL;
}

/*
 * Sizes that streaming writers leave in a header they cannot go back and
 * fill in (the output is a pipe): 0xFFFFFFFF (and that minus the 8 bytes of
 * a RIFF header), and 0x7FFFF000, which sox writes to a pipe.  libsndfile
 * then reads to the end of the data, which is right: such a size says "as
 * much as there is", not a promise that was broken.  A size of 0 is not on
 * the list: libsndfile reads no frames for it, and that is reported as a
 * recording without audio (see NO_AUDIO below).
 */
static bool
is_streaming_placeholder(long long size)
{
	return size == 0xFFFFFFFFLL || size == 0xFFFFFFFFLL - 8 || size == 0x7FFFF000LL;
}

/*
 * What libsndfile's log says about the data chunk.  A WAV/AIFF/AU whose data
 * chunk claims more bytes than the file holds is cut off: libsndfile clamps
 * the length silently and only says so in its log ("data : 317116 (should
 * be 95904)"), so *truncated is set unless the claim is a streaming
 * placeholder.  *declared_zero is set when the header declares an empty data
 * chunk ("data : 0"), so that a recording without frames can say why.
 */
static void
scan_header_log(SNDFILE *sf, bool *truncated, long long *claimed, long long *present,
				bool *declared_zero)
{
	char	   *log = malloc(16384);
	const char *line;

	*truncated = false;
	*declared_zero = false;
	if (log == NULL)
		return;
	log[0] = '\0';
	sf_command(sf, SFC_GET_LOG_INFO, log, 16384);
	for (line = log; line != NULL && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
	{
		long long	c,
					s;

		if ((sscanf(line, " data : %lld (should be %lld)", &c, &s) == 2 ||
			 sscanf(line, " SSND : %lld (should be %lld)", &c, &s) == 2 ||
			 sscanf(line, " Data Size : %lld (should be %lld)", &c, &s) == 2) &&
			c > s && c != 0 && !is_streaming_placeholder(c))
		{
			*truncated = true;
			*claimed = c;
			*present = s;
		}
		else if (sscanf(line, " data : %lld", &c) == 1 && c == 0)
			*declared_zero = true;
	}
	free(log);
}

/*
 * Ogg pages are checked before libsndfile sees them.  Two reasons: a stream
 * cut off mid-page makes libsndfile's Vorbis reader lose memory inside
 * libvorbis (vorbis_info_init on a path that never clears it), and damaged
 * pages are better refused up front than half-decoded.  Every page must be
 * complete and carry a valid CRC (the Ogg polynomial 0x04C11DB7, unreflected,
 * initial value 0, computed with the CRC field zeroed).
 */
static uint32_t ogg_crc_table[256];

static void
ogg_crc_init(void)
{
	if (ogg_crc_table[1] != 0)
		return;
	for (uint32_t i = 0; i < 256; i++)
	{
		uint32_t	r = i << 24;

		for (int b = 0; b < 8; b++)
			r = (r & 0x80000000u) ? (r << 1) ^ 0x04C11DB7u : (r << 1);
		ogg_crc_table[i] = r;
	}
}

static SerStatus
check_ogg_pages(const unsigned char *p, size_t len, SerError *err)
{
	size_t		pos = 0;
	long		page = 0;

	ogg_crc_init();
	while (pos < len)
	{
		size_t		header,
					body = 0,
					nseg;
		uint32_t	stored,
					crc = 0;

		if (len - pos < 27 || memcmp(p + pos, "OggS", 4) != 0)
		{
			ser_error(err, SER_ECORRUPT, "audio data is %s",
					  len - pos < 27 ? "truncated" : "malformed");
			ser_error_detail(err, "Ogg page %ld at byte %zu is %s.", page, pos,
							 len - pos < 27 ? "cut off" : "missing its capture pattern");
			return SER_ECORRUPT;
		}
		nseg = p[pos + 26];
		header = 27 + nseg;
		if (len - pos < header)
			goto truncated;
		for (size_t s = 0; s < nseg; s++)
			body += p[pos + 27 + s];
		if (len - pos < header + body)
			goto truncated;
		stored = (uint32_t) p[pos + 22] | (uint32_t) p[pos + 23] << 8 |
			(uint32_t) p[pos + 24] << 16 | (uint32_t) p[pos + 25] << 24;
		for (size_t i = 0; i < header + body; i++)
		{
			unsigned char byte = (i >= 22 && i < 26) ? 0 : p[pos + i];

			crc = (crc << 8) ^ ogg_crc_table[((crc >> 24) & 0xFF) ^ byte];
		}
		if (crc != stored)
		{
			ser_error(err, SER_ECORRUPT, "audio data is malformed");
			ser_error_detail(err, "Ogg page %ld at byte %zu fails its checksum.", page, pos);
			return SER_ECORRUPT;
		}
		pos += header + body;
		page++;
	}
	return SER_OK;

truncated:
	ser_error(err, SER_ECORRUPT, "audio data is truncated");
	ser_error_detail(err, "Ogg page %ld at byte %zu is cut off.", page, pos);
	return SER_ECORRUPT;
}

/*
 * The codec headers of an Ogg stream are checked with the codec's own
 * parser before libsndfile opens it.  libsndfile's Vorbis reader calls
 * vorbis_info_init and, when a header packet is missing or damaged, returns
 * its error without vorbis_info_clear: ~5.8 kB of libvorbis memory (malloc,
 * outside any memory context) lost per call, for streams whose pages are
 * complete and correctly checksummed, so the page check above cannot catch
 * them.  Here the first logical stream's header packets are assembled with
 * libogg and given to vorbis_synthesis_headerin and vorbis_synthesis_init,
 * which are released on every path; only a stream whose headers pass reaches
 * libsndfile.  Opus headers (RFC 7845) are checked field by field: an
 * OpusHead whose channel mapping fits its length, then an OpusTags packet.
 * Other Ogg codecs (FLAC, Speex) are left to libsndfile.  Input is fed to
 * libogg in blocks and feeding stops once the headers are out, so the check
 * costs a few kilobytes whatever the stream's length.
 */
#define OGG_FEED_BLOCK 65536

typedef enum OggCodec
{
	OGG_CODEC_UNKNOWN,
	OGG_CODEC_VORBIS,
	OGG_CODEC_OPUS,
	OGG_CODEC_OTHER
} OggCodec;

typedef struct OggHeaderCheck
{
	OggCodec	codec;
	int			packets;		/* header packets seen so far */
	bool		done;			/* every header packet the codec needs passed */
	const char *problem;		/* why the headers are refused, or NULL */
	vorbis_info vi;
	vorbis_comment vc;
	bool		vorbis_ready;	/* vi and vc initialised */
} OggHeaderCheck;

static bool
opus_head_valid(const unsigned char *b, long n)
{
	int			channels,
				family;

	if (n < 19 || (b[8] >> 4) != 0)		/* major version 0 */
		return false;
	channels = b[9];
	family = b[18];
	if (channels < 1)
		return false;
	if (family == 0)
		return channels <= 2 && n >= 19;
	/* a mapping table: stream count, coupled count, one byte per channel */
	return n >= 21 + channels && b[19] >= 1 && b[20] <= b[19];
}

static void
ogg_header_packet(OggHeaderCheck *c, ogg_packet *op)
{
	const unsigned char *b = op->packet;
	long		n = op->bytes;

	if (c->packets == 0)
	{
		if (n >= 7 && b[0] == 0x01 && memcmp(b + 1, "vorbis", 6) == 0)
			c->codec = OGG_CODEC_VORBIS;
		else if (n >= 8 && memcmp(b, "OpusHead", 8) == 0)
			c->codec = OGG_CODEC_OPUS;
		else
		{
			c->codec = OGG_CODEC_OTHER;
			c->done = true;
			return;
		}
		if (c->codec == OGG_CODEC_VORBIS)
		{
			vorbis_info_init(&c->vi);
			vorbis_comment_init(&c->vc);
			c->vorbis_ready = true;
		}
	}
	c->packets++;
	if (c->codec == OGG_CODEC_VORBIS)
	{
		if (vorbis_synthesis_headerin(&c->vi, &c->vc, op) != 0)
		{
			c->problem = c->packets == 1 ? "its Vorbis identification header is damaged" :
				c->packets == 2 ? "its Vorbis comment header is missing or damaged" :
				"its Vorbis setup header is missing or damaged";
			return;
		}
		if (c->packets == 3)
		{
			vorbis_dsp_state vd;

			if (vorbis_synthesis_init(&vd, &c->vi) != 0)
			{
				c->problem = "its Vorbis headers describe a decoder that cannot be set up";
				return;
			}
			vorbis_dsp_clear(&vd);
			c->done = true;
		}
	}
	else if (c->packets == 1)
	{
		if (!opus_head_valid(b, n))
			c->problem = "its OpusHead header is damaged";
	}
	else
	{
		if (n < 16 || memcmp(b, "OpusTags", 8) != 0)
			c->problem = "its OpusTags header is missing or damaged";
		else
			c->done = true;
	}
}

static SerStatus
check_ogg_headers(const unsigned char *p, size_t len, SerError *err)
{
	OggHeaderCheck c;
	ogg_sync_state oy;
	ogg_stream_state os;
	ogg_page	og;
	ogg_packet	op;
	bool		have_stream = false;
	size_t		fed = 0;
	SerStatus	status = SER_OK;

	memset(&c, 0, sizeof(c));
	ogg_sync_init(&oy);
	while (!c.done && c.problem == NULL)
	{
		int			got = ogg_sync_pageout(&oy, &og);

		if (got == 0)
		{
			size_t		n = len - fed < OGG_FEED_BLOCK ? len - fed : OGG_FEED_BLOCK;
			char	   *buf;

			if (n == 0)
				break;			/* out of data before the headers were complete */
			buf = ogg_sync_buffer(&oy, (long) n);
			if (buf == NULL)
			{
				status = ser_error(err, SER_ENOMEM, "out of memory");
				break;
			}
			memcpy(buf, p + fed, n);
			ogg_sync_wrote(&oy, (long) n);
			fed += n;
			continue;
		}
		if (got < 0)
			continue;			/* cannot happen after check_ogg_pages; libogg resynchronises */
		if (!have_stream)
		{
			if (!ogg_page_bos(&og))
			{
				c.problem = "it does not begin with a beginning-of-stream page";
				break;
			}
			if (ogg_stream_init(&os, ogg_page_serialno(&og)) != 0)
			{
				status = ser_error(err, SER_ENOMEM, "out of memory");
				break;
			}
			have_stream = true;
		}
		if (ogg_stream_pagein(&os, &og) != 0)
			continue;			/* a page of another logical stream */
		while (!c.done && c.problem == NULL)
		{
			int			r = ogg_stream_packetout(&os, &op);

			if (r == 0)
				break;
			if (r < 0)
			{
				c.problem = "a page is missing among its header pages";
				break;
			}
			ogg_header_packet(&c, &op);
		}
	}
	if (status == SER_OK && !c.done && c.problem == NULL)
		c.problem = c.codec == OGG_CODEC_VORBIS ? "its Vorbis headers are incomplete" :
			c.codec == OGG_CODEC_OPUS ? "its Opus headers are incomplete" : "it holds no complete packet";
	if (c.vorbis_ready)
	{
		vorbis_comment_clear(&c.vc);
		vorbis_info_clear(&c.vi);
	}
	if (have_stream)
		ogg_stream_clear(&os);
	ogg_sync_clear(&oy);

	if (status == SER_OK && c.problem != NULL)
	{
		status = ser_error(err, SER_ECORRUPT, "audio data is malformed");
		ser_error_detail(err, "The Ogg stream cannot be decoded: %s.", c.problem);
	}
	return status;
}

static size_t
first_non_finite(const float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return i;
	return 0;
}

/* x = min(max(x, -1), 1), written so that the loop vectorises. */
static void
clip_to_full_scale(float *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		float		v = x[i];

		v = v > 1.0f ? 1.0f : v;
		x[i] = v < -1.0f ? -1.0f : v;
	}
}

typedef struct DecodeState
{
	MemoryFile	mf;
	SNDFILE    *sf;
	SerFlacReader *flac;		/* instead of sf: native FLAC read by libFLAC */
	SF_INFO		info;
	float	   *block;			/* interleaved frames */
	short	   *block16;		/* the same, as read from 16-bit PCM */
	float	   *mono;			/* one block, averaged */
	SerResampler *resampler;
	float	   *out;
	size_t		out_len;
	size_t		out_cap;
} DecodeState;

static void
state_release(DecodeState *st)
{
	if (st->sf != NULL)
		sf_close(st->sf);
	st->sf = NULL;
	ser_flac_close(st->flac);
	st->flac = NULL;
	ser_free(st->block);
	ser_free(st->block16);
	ser_free(st->mono);
	ser_free(st->out);
	st->block = st->mono = st->out = NULL;
	st->block16 = NULL;
}

static SerStatus
append_mono(DecodeState *st, const float *mono, size_t n, SerError *err)
{
	if (st->out_len + n > st->out_cap)
	{
		size_t		cap = st->out_cap ? st->out_cap : 16384;
		float	   *grown;

		while (cap < st->out_len + n)
		{
			if (cap > SIZE_MAX / 2 / sizeof(float))
				return ser_error(err, SER_ENOMEM, "out of memory");
			cap *= 2;
		}
		grown = ser_malloc_array(cap, sizeof(float));
		if (grown == NULL)
			return ser_error(err, SER_ENOMEM, "out of memory");
		if (st->out != NULL)
		{
			memcpy(grown, st->out, st->out_len * sizeof(float));
			ser_free(st->out);
		}
		st->out = grown;
		st->out_cap = cap;
	}
	memcpy(st->out + st->out_len, mono, n * sizeof(float));
	st->out_len += n;
	return SER_OK;
}

static SerStatus
open_memory(DecodeState *st, const void *data, size_t len, SerError *err)
{
	static SF_VIRTUAL_IO vio = {mem_get_filelen, mem_seek, mem_read, mem_write, mem_tell};
	const char *unsupported;
	int			sferr;
	char		msg[256];

	if (data == NULL || len == 0)
	{
		ser_error(err, SER_EINVAL, "audio data is empty");
		ser_error_hint(err, "Pass the bytes of a complete audio file, such as a WAV, FLAC, Ogg or MP3 file.");
		return SER_EINVAL;
	}
	if ((unsupported = sniff_unsupported(data, len)) != NULL)
	{
		ser_error(err, SER_EUNSUPPORTED, "audio container %s is not supported", unsupported);
		ser_error_hint(err, "Convert the recording to WAV, FLAC, Ogg/Vorbis, Ogg/Opus or MP3 first.");
		return SER_EUNSUPPORTED;
	}

	if (len >= 4 && memcmp(data, "OggS", 4) == 0)
	{
		SerStatus	status = check_ogg_pages(data, len, err);

		if (status == SER_OK)
			status = check_ogg_headers(data, len, err);
		if (status != SER_OK)
			return status;
	}

	st->mf.data = data;
	st->mf.length = (sf_count_t) len;
	st->mf.position = 0;
	memset(&st->info, 0, sizeof(st->info));
	st->sf = sf_open_virtual(&vio, SFM_READ, &st->info, &st->mf);
	if (st->sf == NULL)
	{
		sferr = sf_error(NULL);
		if (sferr == SF_ERR_UNRECOGNISED_FORMAT)
		{
			ser_error(err, SER_EFORMAT, "audio data is not in a recognised format");
			ser_error_hint(err, "Supported formats are WAV, AIFF, AU, FLAC, Ogg/Vorbis, Ogg/Opus and MP3.");
		}
		else if (sferr == SF_ERR_UNSUPPORTED_ENCODING)
		{
			ser_error(err, SER_EUNSUPPORTED, "audio encoding is not supported");
			ser_error_detail(err, "libsndfile: %s.", library_message(sf_strerror(NULL), msg, sizeof(msg)));
		}
		else
		{
			ser_error(err, SER_ECORRUPT, "audio data is malformed");
			ser_error_detail(err, "libsndfile: %s.", library_message(sf_strerror(NULL), msg, sizeof(msg)));
		}
		return err ? err->status : SER_ECORRUPT;
	}

	if (st->info.channels < 1 || st->info.channels > DECODE_MAX_CHANNELS)
	{
		ser_error(err, SER_ECORRUPT, "audio header declares %d channels", st->info.channels);
		ser_error_detail(err, "A recording must have between 1 and %d channels.", DECODE_MAX_CHANNELS);
		return SER_ECORRUPT;
	}
	if (st->info.samplerate < SER_MIN_SAMPLE_RATE || st->info.samplerate > SER_MAX_SAMPLE_RATE)
	{
		ser_error(err, st->info.samplerate <= 0 ? SER_ECORRUPT : SER_EUNSUPPORTED,
				  "audio sample rate %d Hz is not supported", st->info.samplerate);
		ser_error_detail(err, "Sample rates from %d Hz to %d Hz are supported.",
						 SER_MIN_SAMPLE_RATE, SER_MAX_SAMPLE_RATE);
		return err ? err->status : SER_ECORRUPT;
	}
	return SER_OK;
}

static SerStatus
too_long(SerError *err, double seconds, double limit)
{
	ser_error(err, SER_ETOOLONG, "recording is longer than ser.max_duration (%g s)", limit);
	if (seconds > 0)
		ser_error_detail(err, "The recording lasts at least %.1f s.", seconds);
	ser_error_hint(err, "Split the recording into shorter segments, or raise ser.max_duration.");
	return SER_ETOOLONG;
}

/*
 * A recording without frames, like empty input, is SER_EINVAL (SQLSTATE
 * 22023 in the server).  A data size of 0 is what a streaming writer leaves
 * before the file is finalised; when audio bytes follow such a header, the
 * detail says so.
 */
static SerStatus
no_audio(SerError *err, const char *format, bool zero_size_header)
{
	ser_error(err, SER_EINVAL, "recording holds no audio");
	if (zero_size_header)
		ser_error_detail(err, "The %s header declares an audio data size of 0, as a streaming writer leaves it "
						 "before the file is finalised; the bytes after it are not read as audio.", format);
	else
		ser_error_detail(err, "The %s file decodes to zero frames.", format);
	ser_error_hint(err, "Pass a recording that holds at least one sample of audio.");
	return SER_EINVAL;
}

/*
 * The common pass behind decode and probe.  keep_samples false only counts
 * and validates.
 */
static SerStatus
decode_pass(const void *data, size_t len, const SerDecodeOptions *opts, bool keep_samples,
			SerPcm *pcm, SerAudioInfo *info, SerError *err)
{
	DecodeState st;
	SerStatus	status;
	int			channels;
	int			target_rate = opts ? opts->target_rate : 0;
	double		max_duration = opts ? opts->max_duration_s : 0;
	int64_t		frames_read = 0;
	int64_t		max_frames;
	int			container;
	long long	claimed = 0,
				present = 0;
	bool		truncated_header;
	bool		declared_zero;
	char		msg[256];
	int			subtype;
	bool		pcm16;
	bool		may_hold_non_finite;
	bool		try_flac = true;

restart:
	memset(&st, 0, sizeof(st));
	frames_read = 0;
	target_rate = opts ? opts->target_rate : 0;	/* a first pass may have set it from the stream */
	if (pcm != NULL)
		memset(pcm, 0, sizeof(*pcm));
	ser_error_clear(err);

	if (target_rate != 0 && (target_rate < SER_MIN_SAMPLE_RATE || target_rate > SER_MAX_SAMPLE_RATE))
	{
		ser_error(err, SER_EINVAL, "sample rate %d Hz is out of range", target_rate);
		ser_error_detail(err, "The output rate must be between %d Hz and %d Hz.",
						 SER_MIN_SAMPLE_RATE, SER_MAX_SAMPLE_RATE);
		return SER_EINVAL;
	}

	if (try_flac)
	{
		SerFlacStream fs;

		if (ser_flac_open(data, len, SER_MIN_SAMPLE_RATE, SER_MAX_SAMPLE_RATE, DECODE_MAX_CHANNELS, &st.flac, &fs))
		{
			st.info.channels = fs.channels;
			st.info.samplerate = fs.sample_rate;
			st.info.frames = fs.frames;
			st.info.format = SF_FORMAT_FLAC | (fs.bits_per_sample == 8 ? SF_FORMAT_PCM_S8 :
											   fs.bits_per_sample == 16 ? SF_FORMAT_PCM_16 : SF_FORMAT_PCM_24);
		}
		try_flac = st.flac != NULL;
	}
	if (st.flac == NULL)
	{
		status = open_memory(&st, data, len, err);
		if (status != SER_OK)
			goto fail;
	}
	channels = st.info.channels;
	container = st.info.format & SF_FORMAT_TYPEMASK;
	if (target_rate == 0)
		target_rate = st.info.samplerate;

	if (st.flac != NULL)
		truncated_header = declared_zero = false;
	else
		scan_header_log(st.sf, &truncated_header, &claimed, &present, &declared_zero);
	if (truncated_header)
	{
		status = ser_error(err, SER_ECORRUPT, "audio data is truncated");
		ser_error_detail(err, "The header declares %lld bytes of audio data, but only %lld are present.",
						 claimed, present);
		goto fail;
	}
	if (container == SF_FORMAT_OGG && (st.info.frames == SF_COUNT_MAX || st.info.frames < 0))
	{
		/* A seekable Ogg stream whose last page cannot be found was cut off. */
		status = ser_error(err, SER_ECORRUPT, "audio data is truncated");
		ser_error_detail(err, "The Ogg stream does not end with a complete page.");
		goto fail;
	}

	/* Refuse early from the header when it already says too long ... */
	max_frames = max_duration > 0 ? (int64_t) (max_duration * st.info.samplerate) : INT64_MAX;
	if (st.info.frames != SF_COUNT_MAX && st.info.frames > max_frames)
	{
		status = too_long(err, (double) st.info.frames / st.info.samplerate, max_duration);
		goto fail;
	}

	/* Integer PCM cannot hold NaN or infinity; floats and lossy decoders' output can. */
	subtype = st.info.format & SF_FORMAT_SUBMASK;
	pcm16 = (subtype == SF_FORMAT_PCM_16 && st.flac == NULL);
	may_hold_non_finite = !(subtype == SF_FORMAT_PCM_S8 || subtype == SF_FORMAT_PCM_U8 ||
							subtype == SF_FORMAT_PCM_16 || subtype == SF_FORMAT_PCM_24 ||
							subtype == SF_FORMAT_PCM_32 || subtype == SF_FORMAT_ALAW ||
							subtype == SF_FORMAT_ULAW);
	st.block = ser_malloc_array((size_t) DECODE_BLOCK_FRAMES * channels, sizeof(float));
	if (pcm16)
		st.block16 = ser_malloc_array((size_t) DECODE_BLOCK_FRAMES * channels, sizeof(short));
	st.mono = ser_malloc_array(DECODE_BLOCK_FRAMES, sizeof(float));
	if (st.block == NULL || st.mono == NULL || (pcm16 && st.block16 == NULL))
	{
		status = ser_error(err, SER_ENOMEM, "out of memory");
		goto fail;
	}
	/*
	 * Size the output from the header's frame count when it is plausible, so
	 * that the signal is written once instead of grown and copied.
	 */
	if (keep_samples && st.info.frames > 0 && st.info.frames != SF_COUNT_MAX && st.info.frames <= max_frames)
	{
		st.out_cap = (size_t) ((double) st.info.frames * target_rate / st.info.samplerate) + 256;
		st.out = ser_malloc_array(st.out_cap, sizeof(float));
		if (st.out == NULL)
		{
			status = ser_error(err, SER_ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (keep_samples && target_rate != st.info.samplerate)
	{
		status = ser_resampler_acquire(st.info.samplerate, target_rate, &st.resampler, err);
		if (status != SER_OK)
			goto fail;
	}

	for (;;)
	{
		sf_count_t	n;
		const float *mono;

		if (st.flac != NULL)
		{
			n = ser_flac_read(st.flac, st.block, DECODE_BLOCK_FRAMES);
			if (n < 0)
			{
				status = SER_ECORRUPT;	/* not a clean stream after all: libsndfile decides (fail:) */
				goto fail;
			}
		}
		else if (pcm16)
		{
			/*
			 * 16-bit PCM, the common case: read the integers and scale them
			 * here, in a loop the compiler vectorises, with libsndfile's own
			 * factor (1/32768), so the result is bit-identical to
			 * sf_readf_float but several times cheaper.
			 */
			n = sf_readf_short(st.sf, st.block16, DECODE_BLOCK_FRAMES);
			for (sf_count_t i = 0; i < n * channels; i++)
				st.block[i] = (float) st.block16[i] * (1.0f / 32768.0f);
		}
		else
			n = sf_readf_float(st.sf, st.block, DECODE_BLOCK_FRAMES);

		if (n <= 0)
			break;
		if (ser_interrupted())
		{
			status = ser_error(err, SER_ECANCELED, "canceled");
			goto fail;
		}
		/* ... and while reading, since headers can lie. */
		if (frames_read + n > max_frames)
		{
			status = too_long(err, (double) (frames_read + n) / st.info.samplerate, max_duration);
			goto fail;
		}
		/* The scan is vectorised (common/finite.h); only a hit is examined closely. */
		if (may_hold_non_finite && !ser_floats_finite(st.block, (size_t) n * channels))
		{
			size_t		bad = first_non_finite(st.block, (size_t) n * channels);
			float		value = st.block[bad];

			status = ser_error(err, SER_ENONFINITE, "audio contains a non-finite sample");
			ser_error_detail(err, "Frame %lld, channel %d holds %s.",
							 (long long) (frames_read + (sf_count_t) (bad / channels)),
							 (int) (bad % channels) + 1, isnan(value) ? "NaN" : "an infinite value");
			ser_error_hint(err, "Repair or re-encode the recording; ser does not guess replacement values.");
			goto fail;
		}
		/*
		 * Clip to full scale before mixing and resampling.  Float formats can
		 * hold any finite value; huge ones (3e38) overflow the channel sum and
		 * the resampler's filter to infinity and then NaN.  Beyond [-1, 1] a
		 * float sample is clipping anyway, which is what playback does with
		 * it too, and the output contract is [-1, 1].  Integer PCM is within
		 * range by construction.
		 */
		if (may_hold_non_finite)
			clip_to_full_scale(st.block, (size_t) n * channels);
		if (channels == 1)
			mono = st.block;
		else
		{
			float		scale = 1.0f / (float) channels;

			for (sf_count_t i = 0; i < n; i++)
			{
				const float *frame = st.block + (size_t) i * channels;
				float		sum = 0.0f;

				for (int c = 0; c < channels; c++)
					sum += frame[c];
				st.mono[i] = sum * scale;
			}
			mono = st.mono;
		}
		frames_read += n;
		if (!keep_samples)
			continue;
		if (st.resampler != NULL)
			status = ser_resampler_process(st.resampler, mono, (size_t) n,
										   &st.out, &st.out_len, &st.out_cap, err);
		else
			status = append_mono(&st, mono, (size_t) n, err);
		if (status != SER_OK)
			goto fail;
	}
	if (st.sf != NULL && sf_error(st.sf) != SF_ERR_NO_ERROR)
	{
		status = ser_error(err, SER_ECORRUPT, "audio data is malformed");
		ser_error_detail(err, "Decoding stopped after %lld frames: %s.", (long long) frames_read,
						 library_message(sf_strerror(st.sf), msg, sizeof(msg)));
		goto fail;
	}

	/*
	 * No frames: there is nothing to describe or classify, and features of
	 * an empty signal would be statistics of nothing (a prediction made from
	 * them would be a guess presented as a result).  Refused like empty
	 * input, with the same status.
	 */
	if (frames_read == 0)
	{
		status = no_audio(err, container_name(st.info.format), declared_zero && len > 44);
		goto fail;
	}

	/*
	 * Fewer frames than the header promised means the data was cut off.  MP3
	 * frame counts without a Xing/LAME header are estimates from the bit rate,
	 * so allow them two MPEG frames or 1 % of slack.
	 */
	if (st.info.frames != SF_COUNT_MAX && frames_read < st.info.frames)
	{
		int64_t		slack = 0;

		if (container == SF_FORMAT_MPEG)
		{
			slack = st.info.frames / 100;
			if (slack < 2304)
				slack = 2304;
		}
		if (frames_read + slack < st.info.frames)
		{
			status = ser_error(err, SER_ECORRUPT, "audio data is truncated");
			ser_error_detail(err, "The header declares %lld frames, but only %lld could be decoded.",
							 (long long) st.info.frames, (long long) frames_read);
			goto fail;
		}
	}

	if (keep_samples && st.resampler != NULL)
	{
		status = ser_resampler_process(st.resampler, NULL, 0, &st.out, &st.out_len, &st.out_cap, err);
		if (status != SER_OK)
			goto fail;
	}

	if (info != NULL)
	{
		info->format = container_name(st.info.format);
		info->encoding = encoding_name(st.info.format);
		info->sample_rate = st.info.samplerate;
		info->channels = channels;
		info->frames = frames_read;
		info->duration_s = (double) frames_read / st.info.samplerate;
	}
	if (keep_samples)
	{
		/*
		 * Resampling overshoots near full scale; the contract is [-1, 1].
		 * The input was clipped to full scale, so the filter cannot overflow:
		 * a non-finite value here would be a resampler bug, and is reported
		 * as one rather than clamped into a plausible-looking sample.
		 */
		clip_to_full_scale(st.out, st.out_len);
		if (!ser_floats_finite(st.out, st.out_len))
		{
			status = ser_error(err, SER_EINTERNAL, "resampling produced a non-finite sample");
			goto fail;
		}

		/*
		 * Frames were read, but too few to give one sample at the output rate (e.g. 1 frame at 192
		 * kHz).
		 */
		if (st.out_len == 0)
		{
			status = no_audio(err, container_name(st.info.format), false);
			ser_error_detail(err, "Its %lld frames at %d Hz give no sample at %d Hz.",
							 (long long) frames_read, st.info.samplerate, target_rate);
			goto fail;
		}
		pcm->samples = st.out;
		pcm->n_samples = st.out_len;
		pcm->sample_rate = target_rate;
		st.out = NULL;
	}
	state_release(&st);
	return SER_OK;

fail:
	if (st.flac != NULL && status != SER_ECANCELED)
	{
		/*
		 * Errors are libsndfile's to report: its reading of a stream can stop
		 * earlier (an unparseable frame it meets while opening) or say other
		 * things than the fast path would.  Decode the bytes again with it.
		 */
		state_release(&st);
		ser_error_clear(err);
		try_flac = false;
		goto restart;
	}
	state_release(&st);
	return status;
}

SerStatus
ser_audio_decode(const void *data, size_t len, const SerDecodeOptions *opts,
				 SerPcm *pcm, SerAudioInfo *info, SerError *err)
{
	return decode_pass(data, len, opts, true, pcm, info, err);
}

SerStatus
ser_audio_probe(const void *data, size_t len, const SerDecodeOptions *opts,
				SerAudioInfo *info, SerError *err)
{
	return decode_pass(data, len, opts, false, NULL, info, err);
}

void
ser_pcm_free(SerPcm *pcm)
{
	if (pcm == NULL)
		return;
	ser_free(pcm->samples);
	pcm->samples = NULL;
	pcm->n_samples = 0;
}
