/*
 * test_import.c — the pieces of ser-import that need no server: audio
 * signatures and extensions (sniff.c), the metadata CSV and RAVDESS labels
 * (metadata.c), and the set of SHA-256 digests (hashset.c).
 */
#include <stdint.h>
#include <unistd.h>

#include "unit.h"

#include "client/import/hashset.h"
#include "client/import/metadata.h"
#include "client/import/sniff.h"

static void
test_sniff(void)
{
	static const struct
	{
		const char *bytes;
		size_t		len;
		const char *expect;
	}			cases[] = {
		{"RIFF\x24\0\0\0WAVEfmt ", 16, "wav"},
		{"RF64\xff\xff\xff\xffWAVE", 12, "wav"},
		{"RIFF\x24\0\0\0AVI LIST", 16, NULL},	/* a RIFF that is not WAVE */
		{"FORM\0\0\0\0AIFC", 12, "aiff"},
		{".snd\0\0\0\x18", 8, "au"},
		{"fLaC\0\0\0\x22", 8, "flac"},
		{"OggS\0\x02", 6, "ogg"},
		{"ID3\x04\0\0", 6, "mp3"},
		{"\xff\xfb\x90\x64", 4, "mp3"},		/* MPEG-1 layer III frame */
		{"\xff\xfd\x90\x64", 4, NULL},		/* layer II: not what ser reads as MP3 */
		{"\x00\x00\x00\x20" "ftypM4A ", 12, NULL},
		{"RIFF", 4, NULL},					/* too short to tell */
		{"", 0, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *got = sniff_container((const unsigned char *) cases[i].bytes, cases[i].len);

		UNIT_OK((got == NULL && cases[i].expect == NULL) ||
				(got && cases[i].expect && strcmp(got, cases[i].expect) == 0),
				"signature %zu is %s", i, cases[i].expect ? cases[i].expect : "not audio");
	}
	UNIT_OK(sniff_audio_extension("a/b/call.WAV") && sniff_audio_extension("x.flac") &&
			sniff_audio_extension("dir.d/x.opus"), "audio extensions, any case, last component only");
	UNIT_OK(!sniff_audio_extension("notes.txt") && !sniff_audio_extension("video.mp4") &&
			!sniff_audio_extension(".wav") && !sniff_audio_extension("wav.d/readme") &&
			!sniff_audio_extension("noext"), "other names are not audio");
}

static const char *
write_csv(const char *text)
{
	static char path[64];
	FILE	   *f;

	snprintf(path, sizeof(path), "/tmp/ser-test-import-%d.csv", (int) getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_metadata(void)
{
	Metadata	md;
	FileLabels	l;
	char		error[512];
	const char *path;

	/* A byte-order mark, CRLF, quoted fields with commas, quotes and a newline, an extra column, a blank line. */
	path = write_csv("\xEF\xBB\xBF" "speaker,File,notes,label\r\n"
					 "alice,calls/a.wav,\"loud, short\",angry\r\n"
					 "bob,b.wav,\"said \"\"hi\"\"\nthen left\",\r\n"
					 "\r\n"
					 ",c.wav,,\"sad\"\n");
	UNIT_OK(metadata_load(path, &md, error, sizeof(error)), "a CSV with quotes, CRLF, BOM and extra columns loads");
	UNIT_OK(md.count == 3, "three rows (blank line skipped): %zu", md.count);
	metadata_lookup(&md, "calls/a.wav", &l);
	UNIT_OK(l.label && strcmp(l.label, "angry") == 0 && l.speaker && strcmp(l.speaker, "alice") == 0,
			"a row found by its path below the folder");
	metadata_lookup(&md, "deep/dir/b.wav", &l);
	UNIT_OK(l.label == NULL && l.speaker && strcmp(l.speaker, "bob") == 0,
			"a row found by base name; its empty label is NULL");
	metadata_lookup(&md, "c.wav", &l);
	UNIT_OK(l.label && strcmp(l.label, "sad") == 0 && l.speaker == NULL, "a quoted label, no speaker");
	metadata_lookup(&md, "x/a.wav", &l);
	UNIT_OK(l.label == NULL && l.speaker == NULL, "a path naming another folder's a.wav does not match calls/a.wav");
	metadata_lookup(&md, "Actor_05/03-01-06-01-02-02-05.flac", &l);
	UNIT_OK(l.label && strcmp(l.label, "fearful") == 0 && l.speaker && strcmp(l.speaker, "5") == 0,
			"a RAVDESS name not in the CSV gives emotion and actor");
	metadata_lookup(&md, "03-01-09-01-01-01-05.wav", &l);
	UNIT_OK(l.label == NULL && l.speaker == NULL, "an invalid RAVDESS name gives nothing");
	UNIT_OK(md.rows[0].used && md.rows[1].used && md.rows[2].used, "matched rows are marked used");
	metadata_free(&md);

	path = write_csv("name,label\na.wav,x\n");
	UNIT_OK(!metadata_load(path, &md, error, sizeof(error)) && strstr(error, "no \"file\" column"),
			"a CSV without a file column is refused: %s", error);
	path = write_csv("file,label\na.wav,x\na.wav,y\n");
	UNIT_OK(!metadata_load(path, &md, error, sizeof(error)) && strstr(error, "names \"a.wav\" twice"),
			"a file named twice is refused: %s", error);
	path = write_csv("file,label\n\"a.wav,x\n");
	UNIT_OK(!metadata_load(path, &md, error, sizeof(error)) && strstr(error, "not closed"),
			"an unclosed quote is refused: %s", error);
	path = write_csv("file,label\n,x\n");
	UNIT_OK(!metadata_load(path, &md, error, sizeof(error)) && strstr(error, "file column is empty"),
			"a row without a file is refused: %s", error);
	path = write_csv("");
	UNIT_OK(!metadata_load(path, &md, error, sizeof(error)) && strstr(error, "is empty"),
			"an empty file is refused: %s", error);
	unlink(path);
	UNIT_OK(!metadata_load(path, &md, error, sizeof(error)) && strstr(error, "could not open"),
			"a missing file is refused: %s", error);
}

static void
digest(unsigned char *key, uint32_t i)
{
	/* Distinct keys whose first bytes (the slot) collide often: only byte 31 differs for small i. */
	memset(key, 0xAB, SHA256_LEN);
	key[0] = (unsigned char) (i % 3);
	memcpy(key + SHA256_LEN - 4, &i, 4);
}

static void
test_hashset(void)
{
	HashSet		set;
	unsigned char key[SHA256_LEN];
	bool		added;
	int			ok_first = 1, ok_again = 1, ok_back = 1;

	UNIT_OK(hashset_init(&set), "a set");
	for (uint32_t i = 0; i < 20000; i++)
	{
		digest(key, i);
		ok_first &= hashset_add(&set, key, &added) && added;
	}
	UNIT_OK(ok_first && set.count == 20000, "20,000 keys added, growing past the first table");
	for (uint32_t i = 0; i < 20000; i++)
	{
		digest(key, i);
		ok_again &= hashset_add(&set, key, &added) && !added;
	}
	UNIT_OK(ok_again, "each is found again");
	for (uint32_t i = 0; i < 20000; i += 2)
	{
		digest(key, i);
		hashset_remove(&set, key);
	}
	UNIT_OK(set.count == 10000, "half removed");
	for (uint32_t i = 0; i < 20000; i++)
	{
		digest(key, i);
		ok_back &= hashset_add(&set, key, &added) && added == (i % 2 == 0);
	}
	UNIT_OK(ok_back && set.count == 20000, "removed keys are new again, kept ones are not");
	hashset_free(&set);
}

int
main(void)
{
	test_sniff();
	test_metadata();
	test_hashset();
	return unit_done();
}
