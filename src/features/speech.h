/*
 * speech.h — is this recording a human voice speaking?  Evidence from the
 * frame features, and a verdict, so that tones, chords, noise, music-like
 * signals, silence and recordings with too little voiced speech get no
 * emotion rather than a confident wrong one.
 *
 * The evidence, from the frame matrix of ser_extract_features (raw, before
 * any normalisation), over the voiced frames (features/pitch.h):
 *
 *   voiced_seconds   how much voiced sound there is at all;
 *   bandwidth_hz     median spectral bandwidth of the voiced frames: a voice
 *                    puts energy into many harmonics shaped by formants
 *                    (about 1,000-1,900 Hz here), a sine, a sum of sines or
 *                    a soft-harmonic instrument does not (< 700 Hz);
 *   f0_wobble_st     median |second difference| of F0 in semitones over
 *                    three consecutive voiced frames (10 ms apart with the
 *                    defaults): a voice is never steady from frame to
 *                    frame (jitter, micro-prosody: 0.02-0.28 st), a
 *                    synthetic tone, a sweep or a played note is
 *                    (<= 0.01 st), and pitch found in noise jumps at random
 *                    (> 1 st);
 *   articulation     median distance between the MFCC 1..12 vectors of
 *                    consecutive voiced frames: speaking moves the vocal
 *                    tract all the time (14-27 here), a held tone,
 *                    chord or note keeps its timbre (< 10).
 *
 * A recording is speech when all four agree.  The thresholds (the gate's
 * defaults) were set on RAVDESS (actors 01-20, 16 kHz FLAC and the 48 kHz
 * originals: no recording rejected, the nearest at a third or more of the
 * margin) and on synthetic non-speech made with sox
 * (test/speech/make_nonspeech.sh); test/eval/speech_gate.c measures both,
 * plus a set of signals generated after the thresholds were fixed.  They
 * hold for the default feature parameters (16 kHz, 10 ms hop, 20 MFCC of
 * 64 log-mel bands in dB); other parameters scale articulation and the
 * wobble, so a model with other parameters should measure them again.
 *
 * Cost: one pass over the voiced frames and four medians; nothing is
 * computed that prediction does not already have.
 */
#ifndef SER_FEATURES_SPEECH_H
#define SER_FEATURES_SPEECH_H

#include "features/params.h"

typedef struct SerSpeechGate
{
	double		min_voiced_seconds;
	double		min_bandwidth_hz;
	double		min_f0_wobble_st;
	double		max_f0_wobble_st;
	double		min_articulation;
} SerSpeechGate;

typedef struct SerSpeechEvidence
{
	double		voiced_seconds;
	double		bandwidth_hz;
	double		f0_wobble_st;
	double		articulation;
} SerSpeechEvidence;

typedef enum SerSpeechVerdict
{
	SER_SPEECH_YES = 0,
	SER_SPEECH_TOO_LITTLE_VOICED,	/* silence, noise, too short */
	SER_SPEECH_NARROW_SPECTRUM,	/* pure tones and chords of them */
	SER_SPEECH_STEADY_PITCH,	/* synthetic tones, sweeps, played notes */
	SER_SPEECH_RANDOM_PITCH,	/* "pitch" found in noise */
	SER_SPEECH_STEADY_TIMBRE	/* held sounds with no articulation */
} SerSpeechVerdict;

/* The thresholds described above. */
void		ser_speech_gate_default(SerSpeechGate *gate);

/*
 * Evidence from frames[n_frames][n_frame_features], the frame matrix of
 * ser_extract_features with parameters p.  SER_EINVAL when the matrix does
 * not have p's columns or p has no MFCC beyond c0 or no pitch.
 */
SerStatus	ser_speech_evidence(const SerFeatureParams *p, const float *frames, size_t n_frames,
								int n_frame_features, SerSpeechEvidence *evidence, SerError *err);

/* The first criterion that fails, in the order of the enum, or SER_SPEECH_YES. */
SerSpeechVerdict ser_speech_verdict(const SerSpeechGate *gate, const SerSpeechEvidence *evidence);

/* A short lower-case phrase for the verdict ("speech", "too little voiced speech", ...). */
const char *ser_speech_verdict_text(SerSpeechVerdict verdict);

#endif							/* SER_FEATURES_SPEECH_H */
