/*
 * test_features_librosa.c — ser's frame features against librosa 0.11 on
 * four RAVDESS clips (test/fixtures/librosa: the clips, librosa's outputs
 * and every parameter in params.json).
 *
 * Only frames whose analysis window lies entirely inside the recording are
 * compared: at the edges both sides pad with zeros, but the padding
 * dominates, and edge handling is not what this test is about.
 *
 * Tolerances: log-mel 0.05 dB and MFCC 0.05 absolute per value; centroid,
 * bandwidth, roll-off, flatness and contrast 1 % relative; chroma 0.01
 * absolute (chroma is normalised so its largest value is 1, and a relative
 * bound on the small values would only measure float round-off); ZCR and RMS
 * 1e-4 absolute; YIN F0 1 % on frames ser calls voiced.
 *
 * Differences on purpose, and how the test handles them:
 * - log-mel values near the 1e-10 floor (below -90 dB) are FFT round-off in
 *   near-silent frames; both sides compute them in single precision and
 *   disagree there by more than 0.05 dB, so values below -90 dB are only
 *   required to stay below -80 dB on both sides, and an MFCC frame is
 *   compared only when none of its bands is below -90 dB.
 * - spectral contrast: librosa converts peaks and valleys to dB with
 *   power_to_db's default top_db = 80, which clips every value to 80 dB below
 *   the largest over the whole utterance, so a frame's contrast depends on
 *   the loudest frame elsewhere.  ser does not clip.  Contrast is compared on
 *   the band values where neither peak nor valley is within reach of that
 *   utterance-wide clip (ser's own peaks and valleys tell where).
 * - roll-off is a bin frequency chosen by a threshold on a cumulative sum;
 *   where the sum crosses within round-off of the threshold, one bin
 *   (31.25 Hz) of difference is legitimate.  At most 1 % of frames may be
 *   one bin off; none may differ more.
 * - librosa.yin has no voicing decision: it returns the global minimum's
 *   period for every frame.  ser computes the same YIN and reports it as
 *   f0_yin; the test compares ser's f0_yin with librosa on the frames ser
 *   calls voiced.
 */
#include "unit.h"

#include "audio/decode.h"
#include "features/features.h"
#include "features/pitch.h"
#include "features/spectral.h"

#include <math.h>

/* The status of the last call; UNIT_OK evaluates its condition twice, so calls go before it. */
static SerStatus status;

#define FIX "test/fixtures/librosa/"
#define MAX_COLUMNS 160
#define MAX_ROWS 2000

static const char *const clips[] = {
	"03-01-01-01-01-01-01", "03-01-05-02-01-01-01", "03-01-02-01-01-02-01", "03-01-04-02-02-02-02"
};

typedef struct Csv
{
	int			n_columns;
	int			n_rows;
	char		names[MAX_COLUMNS][32];
	double	   *values;			/* [row][column] */
} Csv;

static int
read_csv(const char *path, Csv *csv)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = malloc(1 << 16);
	char	   *tok;
	char	   *save;

	memset(csv, 0, sizeof(*csv));
	if (f == NULL || line == NULL || fgets(line, 1 << 16, f) == NULL)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	for (tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		snprintf(csv->names[csv->n_columns++], 32, "%s", tok);
	csv->values = malloc(sizeof(double) * MAX_COLUMNS * MAX_ROWS);
	while (fgets(line, 1 << 16, f) != NULL && csv->n_rows < MAX_ROWS)
	{
		int			c = 0;

		for (tok = strtok_r(line, ",\r\n", &save); tok && c < csv->n_columns;
			 tok = strtok_r(NULL, ",\r\n", &save))
			csv->values[csv->n_rows * MAX_COLUMNS + c++] = strtod(tok, NULL);
		csv->n_rows++;
	}
	fclose(f);
	free(line);
	return 1;
}

static int
csv_column(const Csv *csv, const char *name)
{
	for (int c = 0; c < csv->n_columns; c++)
		if (strcmp(csv->names[c], name) == 0)
			return c;
	return -1;
}

static double
ref(const Csv *csv, int row, int column)
{
	return csv->values[row * MAX_COLUMNS + column];
}

static int
frame_column(const SerFeatureParams *p, const char *name)
{
	char		buf[64];

	for (int i = 0; i < ser_frame_feature_count(p); i++)
	{
		ser_frame_feature_name(p, i, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return i;
	}
	return -1;
}

static double
rel_diff(double a, double b)
{
	double		scale = fmax(fabs(a), fabs(b));

	return scale > 0.0 ? fabs(a - b) / scale : 0.0;
}

/* Spectral contrast peak and valley of frame t, as ser computes them, in dB. */
static void
contrast_levels(const SerSpectralTables *tables, const float *pcm, size_t n, size_t t,
				float *scratch, double *peak_db, double *valley_db)
{
	SerSpectralOut so;
	const float *magnitude = scratch + tables->bin_stride;

	memset(&so, 0, sizeof(so));
	so.centroid = &(float) {0};
	ser_spectral_frame(tables, pcm, n, t, scratch, &so);
	for (int b = 0; b <= tables->params.contrast_bands; b++)
	{
		int			lo = tables->band_low[b],
					hi = tables->band_high[b],
					q = tables->band_quantile[b];
		float		sorted[512];
		int			count = hi - lo + 1;
		double		low = 0,
					high = 0;

		memcpy(sorted, magnitude + lo, sizeof(float) * count);
		for (int i = 1; i < count; i++)
			for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; j--)
			{
				float		tmp = sorted[j];

				sorted[j] = sorted[j - 1];
				sorted[j - 1] = tmp;
			}
		for (int i = 0; i < q; i++)
		{
			low += sorted[i];
			high += sorted[count - 1 - i];
		}
		peak_db[b] = 10 * log10(fmax(high / q, 1e-10));
		valley_db[b] = 10 * log10(fmax(low / q, 1e-10));
	}
}

static void
check_clip(const char *clip)
{
	char		path[256];
	unsigned char *data;
	size_t		len;
	SerDecodeOptions opts = {16000, 0};
	SerPcm		pcm;
	SerError	err;
	SerFeatureParams p;
	SerFeatureSet fs;
	SerPitchTrack track;
	const SerSpectralTables *tables;
	Csv			csv;
	int			F;
	size_t		T,
				first_stft,
				last_stft,
				first_yin,
				last_yin;
	double		worst;
	long		compared,
				off_one_bin,
				off_more;

	snprintf(path, sizeof(path), FIX "%s.flac", clip);
	data = unit_read_file(path, &len);
	snprintf(path, sizeof(path), FIX "%s.csv", clip);
	if (data == NULL || !read_csv(path, &csv))
	{
		printf("Bail out! missing fixture for %s (run from the repository root)\n", clip);
		exit(1);
	}
	ser_feature_params_default(&p);
	/* librosa has no activity gate and no spectral floor */
	p.activity_gate_db = 0.0;
	p.spectral_floor_db = 0.0;
	status = ser_audio_decode(data, len, &opts, &pcm, NULL, &err);
	UNIT_OK(status == SER_OK, "%s: decodes", clip);
	status = ser_extract_features(&p, pcm.samples, pcm.n_samples, SER_FEATURES_FRAMES, &fs, &err);
	UNIT_OK(status == SER_OK,
			"%s: features", clip);
	status = ser_pitch_track(&p, pcm.samples, pcm.n_samples, &track, &err);
	UNIT_OK(status == SER_OK, "%s: pitch", clip);
	status = ser_spectral_tables_get(&p, &tables, &err);
	UNIT_OK(status == SER_OK, "%s: tables", clip);
	T = fs.n_frames;
	F = fs.n_frame_features;
	UNIT_OK((int) T == csv.n_rows, "%s: %zu frames, librosa %d", clip, T, csv.n_rows);
	if ((int) T != csv.n_rows)
		return;

	/* frames whose window lies inside the signal */
	first_stft = (p.n_fft / 2 + p.hop_length - 1) / p.hop_length;
	last_stft = (pcm.n_samples - p.n_fft / 2) / p.hop_length;
	first_yin = (p.pitch_frame_length / 2 + p.hop_length - 1) / p.hop_length;
	last_yin = (pcm.n_samples - p.pitch_frame_length / 2) / p.hop_length;

	/* log-mel */
	worst = 0;
	compared = 0;
	off_more = 0;
	for (size_t t = first_stft; t <= last_stft; t++)
		for (int b = 0; b < p.n_mels; b++)
		{
			char		name[32];
			double		ours,
						theirs;

			snprintf(name, sizeof(name), "logmel%d", b);
			theirs = ref(&csv, (int) t, csv_column(&csv, name));
			snprintf(name, sizeof(name), "logmel_%d", b);
			ours = fs.frames[t * F + frame_column(&p, name)];
			if (ours < -90 || theirs < -90)
			{
				if (!(ours < -80 && theirs < -80))
					off_more++;
				continue;
			}
			compared++;
			worst = fmax(worst, fabs(ours - theirs));
		}
	UNIT_OK(worst <= 0.05 && off_more == 0, "%s: log-mel within 0.05 dB (%ld values, worst %.4f dB, %ld near-floor mismatches)",
			clip, compared, worst, off_more);

	/* MFCC */
	worst = 0;
	compared = 0;
	for (size_t t = first_stft; t <= last_stft; t++)
	{
		int			near_floor = 0;

		for (int b = 0; b < p.n_mels; b++)
		{
			char		name[32];

			snprintf(name, sizeof(name), "logmel%d", b);
			if (ref(&csv, (int) t, csv_column(&csv, name)) < -90)
				near_floor = 1;
		}
		if (near_floor)
			continue;
		for (int c = 0; c < p.n_mfcc; c++)
		{
			char		name[32];
			double		theirs,
						ours;

			snprintf(name, sizeof(name), "mfcc%d", c);
			theirs = ref(&csv, (int) t, csv_column(&csv, name));
			snprintf(name, sizeof(name), "mfcc_%d", c);
			ours = fs.frames[t * F + frame_column(&p, name)];
			compared++;
			worst = fmax(worst, fabs(ours - theirs));
		}
	}
	UNIT_OK(worst <= 0.05 && compared > 100 * p.n_mfcc, "%s: MFCC within 0.05 (%ld values, worst %.4f)",
			clip, compared, worst);

	/* chroma */
	worst = 0;
	for (size_t t = first_stft; t <= last_stft; t++)
		for (int c = 0; c < 12; c++)
		{
			char		name[32];

			snprintf(name, sizeof(name), "chroma%d", c);
			worst = fmax(worst, fabs(fs.frames[t * F + frame_column(&p, "chroma_C") + c]
									 - ref(&csv, (int) t, csv_column(&csv, name))));
		}
	UNIT_OK(worst <= 0.01, "%s: chroma within 0.01 (worst %.5f)", clip, worst);

	/* centroid, bandwidth, flatness: 1 % relative */
	{
		static const char *const shape[] = {"centroid", "bandwidth", "flatness"};

		for (int s = 0; s < 3; s++)
		{
			worst = 0;
			for (size_t t = first_stft; t <= last_stft; t++)
				worst = fmax(worst, rel_diff(fs.frames[t * F + frame_column(&p, shape[s])],
											 ref(&csv, (int) t, csv_column(&csv, shape[s]))));
			UNIT_OK(worst <= 0.01, "%s: %s within 1%% (worst %.5f%%)", clip, shape[s], worst * 100);
		}
	}

	/* roll-off */
	compared = off_one_bin = off_more = 0;
	for (size_t t = first_stft; t <= last_stft; t++)
	{
		double		d = fabs(fs.frames[t * F + frame_column(&p, "rolloff")]
							 - ref(&csv, (int) t, csv_column(&csv, "rolloff")));

		compared++;
		if (d > 0.01 * ref(&csv, (int) t, csv_column(&csv, "rolloff")))
		{
			if (d <= (double) p.sample_rate / p.n_fft + 1e-3)
				off_one_bin++;
			else
				off_more++;
		}
	}
	UNIT_OK(off_more == 0 && off_one_bin * 100 <= compared,
			"%s: roll-off within 1%% (%ld frames, %ld one bin off, %ld more)", clip, compared,
			off_one_bin, off_more);

	/* contrast, away from librosa's utterance-wide 80 dB clip */
	{
		float	   *scratch = malloc(sizeof(float) * ser_spectral_scratch_size(tables));
		double	   *peaks = malloc(sizeof(double) * T * 8);
		double	   *valleys = malloc(sizeof(double) * T * 8);
		double		max_peak = -1e9,
					max_valley = -1e9;
		int			bands = p.contrast_bands + 1;

		for (size_t t = 0; t < T; t++)
		{
			contrast_levels(tables, pcm.samples, pcm.n_samples, t, scratch, peaks + t * 8, valleys + t * 8);
			for (int b = 0; b < bands; b++)
			{
				max_peak = fmax(max_peak, peaks[t * 8 + b]);
				max_valley = fmax(max_valley, valleys[t * 8 + b]);
			}
		}
		worst = 0;
		compared = 0;
		for (size_t t = first_stft; t <= last_stft; t++)
			for (int b = 0; b < bands; b++)
			{
				char		name[32];

				if (peaks[t * 8 + b] < max_peak - 79 || valleys[t * 8 + b] < max_valley - 79)
					continue;
				snprintf(name, sizeof(name), "contrast%d", b);
				compared++;
				{
					double		ours = fs.frames[t * F + frame_column(&p, "contrast_0") + b];
					double		theirs = ref(&csv, (int) t, csv_column(&csv, name));

					/* 1 % relative, with a 0.001 dB floor for contrasts that are ~0 dB */
					if (fabs(ours - theirs) > 0.001)
						worst = fmax(worst, rel_diff(ours, theirs));
					if (fabs(ours - theirs) > 0.001 && rel_diff(ours, theirs) > 0.01)
						UNIT_DIAG("frame %zu band %d: ser %g librosa %g", t, b, ours, theirs);
				}
			}
		UNIT_OK(worst <= 0.01 && compared > 50, "%s: contrast within 1%% where librosa does not clip (%ld values, worst %.4f%%)",
				clip, compared, worst * 100);
		free(scratch);
		free(peaks);
		free(valleys);
	}

	/* ZCR and RMS, every frame (their 400-sample windows pad little) */
	{
		static const char *const wave[] = {"zcr", "rms"};

		for (int s = 0; s < 2; s++)
		{
			worst = 0;
			for (size_t t = 0; t < T; t++)
				worst = fmax(worst, fabs(fs.frames[t * F + frame_column(&p, wave[s])]
										 - ref(&csv, (int) t, csv_column(&csv, wave[s]))));
			UNIT_OK(worst <= 1e-4, "%s: %s within 1e-4 on every frame (worst %.2g)", clip, wave[s], worst);
		}
	}

	/* YIN */
	worst = 0;
	compared = 0;
	for (size_t t = first_yin; t <= last_yin; t++)
	{
		if (track.voiced[t] == 0.0f)
			continue;
		compared++;
		worst = fmax(worst, rel_diff(track.f0_yin[t], ref(&csv, (int) t, csv_column(&csv, "f0_yin"))));
	}
	UNIT_OK(worst <= 0.01 && compared > 30, "%s: YIN F0 within 1%% on voiced frames (%ld frames, worst %.4f%%)",
			clip, compared, worst * 100);
	{
		long		same = 0;

		for (size_t t = first_yin; t <= last_yin; t++)
			same += rel_diff(track.f0_yin[t], ref(&csv, (int) t, csv_column(&csv, "f0_yin"))) <= 0.01;
		UNIT_DIAG("%s: YIN within 1%% on %ld of %zu interior frames, voiced or not (YIN does not run below voicing_min_rms)", clip, same,
				  last_yin - first_yin + 1);
	}

	ser_pitch_track_free(&track);
	ser_feature_set_free(&fs);
	ser_pcm_free(&pcm);
	free(csv.values);
	free(data);
}

int
main(void)
{
	for (size_t i = 0; i < sizeof(clips) / sizeof(clips[0]); i++)
		check_clip(clips[i]);
	return unit_done();
}
