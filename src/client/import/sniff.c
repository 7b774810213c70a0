/*
 * sniff.c — audio recognition by signature or extension (see sniff.h).
 */
#include "client/import/sniff.h"

#include <string.h>

#include "dataset/ravdess.h"

const char *
sniff_container(const unsigned char *head, size_t len)
{
	if (len >= 12 && (memcmp(head, "RIFF", 4) == 0 || memcmp(head, "RIFX", 4) == 0 ||
					  memcmp(head, "RF64", 4) == 0) && memcmp(head + 8, "WAVE", 4) == 0)
		return "wav";
	if (len >= 12 && memcmp(head, "FORM", 4) == 0 &&
		(memcmp(head + 8, "AIFF", 4) == 0 || memcmp(head + 8, "AIFC", 4) == 0))
		return "aiff";
	/* Sun/NeXT AU, big-endian as written by every tool, or its byte-swapped twin. */
	if (len >= 4 && (memcmp(head, ".snd", 4) == 0 || memcmp(head, "dns.", 4) == 0))
		return "au";
	if (len >= 4 && memcmp(head, "fLaC", 4) == 0)
		return "flac";
	if (len >= 4 && memcmp(head, "OggS", 4) == 0)
		return "ogg";
	if (len >= 3 && memcmp(head, "ID3", 3) == 0)
		return "mp3";
	/* An MPEG audio frame header: 11 sync bits, then layer III (bits 01). */
	if (len >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 && ((head[1] >> 1) & 3) == 1)
		return "mp3";
	return NULL;
}

bool
sniff_audio_extension(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;

	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return false;
	return ser_ravdess_is_audio_extension(dot + 1);
}
