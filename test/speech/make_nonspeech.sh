#!/usr/bin/env bash
# Writes synthetic non-speech recordings with sox into a folder: silence,
# noise floors, noise, pure and harmonic tones, chords, sweeps, vibrato and
# tremolo, pulse trains, DTMF, and music-like note sequences.  Two sets with
# different frequencies, levels and lengths (A and B: the speech gate's
# thresholds were chosen looking at both), and set C, written after the
# thresholds were fixed and measured only: other kinds of signal, effects,
# rates (8-48 kHz) and formats (WAV, FLAC, Ogg/Vorbis, MP3).  Deterministic
# (sox's noise uses a fixed seed, -R).
#
# Usage: bash test/speech/make_nonspeech.sh OUTDIR [A|B|C|all]
set -euo pipefail
out=${1:?usage: make_nonspeech.sh OUTDIR [A|B|all]}
which_set=${2:-all}
mkdir -p "$out"
RATE=16000
n=0
gen() {	# gen SET NAME[.EXT] sox-arguments-after-"-n" (RATE: the sample rate)
	local set=$1 name=$2; shift 2
	[ "$which_set" = all ] || [ "$which_set" = "$set" ] || return 0
	case "$name" in *.*) ;; *) name=$name.wav ;; esac
	sox -R -n -r "$RATE" -c 1 "$out/$set-$name" "$@"
	n=$((n + 1))
}

melody() {	# melody SET NAME WAVE NOTE... : 0.2 s notes of one waveform, concatenated
	local set=$1 name=$2 wave=$3; shift 3
	local args=() first=1
	for note in "$@"; do
		[ $first = 1 ] || args+=(:)
		args+=(synth 0.2 "$wave" "$note" fade 0.01 0.2 0.05 vol 0.5)
		first=0
	done
	gen "$set" "$name" "${args[@]}"
}

for set in A B; do
	if [ $set = A ]; then f1=110; f2=440; f3=1000; f4=3150; lvl=-6; len=3; else f1=131; f2=523; f3=1250; f4=2500; lvl=-18; len=2.2; fi
	# silence and noise floors
	gen $set silence trim 0 $len
	gen $set noisefloor_80dB synth $len whitenoise vol -80dB
	gen $set noisefloor_60dB_pink synth $len pinknoise vol -60dB
	# noise
	gen $set white synth $len whitenoise gain $lvl
	gen $set pink synth $len pinknoise gain $lvl
	gen $set brown synth $len brownnoise gain $lvl
	gen $set bandnoise synth $len whitenoise sinc 300-3000 gain $lvl
	gen $set noise_bursts synth $len whitenoise synth $len square amod 4 gain $lvl
	# pure and harmonic tones
	gen $set sine_$f1 synth $len sine $f1 gain $lvl
	gen $set sine_$f2 synth $len sine $f2 gain $lvl
	gen $set sine_$f3 synth $len sine $f3 gain $lvl
	gen $set sine_$f4 synth $len sine $f4 gain $lvl
	gen $set square_$f1 synth $len square $f1 gain $((lvl - 6))
	gen $set sawtooth_$f2 synth $len sawtooth $f2 gain $((lvl - 6))
	gen $set triangle_$f1 synth $len triangle $f1 gain $lvl
	gen $set trapezium_$f2 synth $len trapezium $f2 gain $lvl
	# tremolo, vibrato-like (two close partials beating), a buzz of pulses
	gen $set tremolo synth $len sawtooth $f1 tremolo 5 60 gain $((lvl - 6))
	gen $set beating synth $len sine $f2 synth $len sine mix $((f2 + 5)) gain $lvl
	gen $set pulse_train synth $len square $f1 gain -12 highpass 1000 synth $len square amod 8 gain $lvl
	# chords
	gen $set chord_sine synth $len sine $f1 synth $len sine mix $((f1 * 5 / 4)) synth $len sine mix $((f1 * 3 / 2)) gain $lvl
	gen $set chord_saw synth $len sawtooth $f2 synth $len sawtooth mix $((f2 * 6 / 5)) synth $len sawtooth mix $((f2 * 3 / 2)) gain $((lvl - 6))
	gen $set chord_pluck synth $len pluck $f1 synth $len pluck mix $((f1 * 5 / 4)) gain $lvl
	gen $set dtmf synth $len sine 697 synth $len sine mix 1209 gain $lvl
	# sweeps
	gen $set sweep_sine_lin synth $len sine $f1-$f3 gain $lvl
	gen $set sweep_sine_exp synth $len sine $f1:$f4 gain $lvl
	gen $set sweep_square synth $len square $f1-$((f1 * 4)) gain $((lvl - 6))
	gen $set sweep_saw_down synth $len sawtooth $f2-$f1 gain $((lvl - 6))
	# music-like note sequences
	if [ $set = A ]; then
		melody A melody_pluck pluck C4 D4 E4 F4 G4 A4 B4 C5 B4 A4 G4 F4 E4 D4 C4
		melody A melody_saw sawtooth E3 G3 B3 E4 B3 G3 E3 G3 B3 E4 B3 G3
		melody A melody_square square A3 C4 E4 A4 E4 C4 A3 C4 E4 A4
		melody A arpeggio_sine sine C5 E5 G5 C6 G5 E5 C5 E5 G5 C6
	else
		melody B melody_pluck pluck G3 A3 B3 C4 D4 E4 F#4 G4 F#4 E4 D4 C4
		melody B melody_saw sawtooth D3 F3 A3 D4 A3 F3 D3 F3 A3 D4
		melody B melody_triangle triangle F3 A3 C4 F4 C4 A3 F3 A3 C4 F4
		melody B arpeggio_square square B4 D5 F#5 B5 F#5 D5 B4 D5 F#5 B5
	fi
done
# Set C: measured only, never used to choose a threshold.
RATE=44100
gen C fm_sine synth 3 sine 300 synth 3 sine fmod 5 gain -10
gen C saw_chorus.flac synth 3 sawtooth 180 chorus 0.7 0.9 55 0.4 0.25 2 -t gain -12
gen C pluck_reverb synth 3 pluck 196 reverb 50
gen C square_flanger.ogg synth 3 square 250 flanger gain -12
gen C lowpass_noise synth 3 whitenoise lowpass 500 gain -6
gen C brown_tremolo synth 3 brownnoise tremolo 3 80
gen C whisper_bursts synth 3 whitenoise sinc 1000-4000 synth 3 sine amod 4 gain -6
gen C buzz_bursts synth 3 sawtooth 120 synth 3 square amod 4 gain -12
gen C triangle_chord4 synth 3 triangle 196 synth 3 triangle mix 247 synth 3 triangle mix 294 synth 3 triangle mix 392 gain -6
gen C sweep_triangle_exp synth 3 triangle 80:800 gain -6
gen C hum_harmonics synth 3 sine 50 synth 3 sine mix 100 synth 3 sine mix 150 synth 3 sine mix 250 gain -6
gen C quiet_sine_330 synth 3 sine 330 gain -30
gen C short_silence.flac trim 0 0.3
RATE=48000
gen C sine_sweep_48k.mp3 synth 3.5 sine 150-600 gain -6
gen C saw_vibrato_48k synth 3 sawtooth 220 synth 3 sine fmod 0.1 gain -12
gen C organ_48k synth 3 sine 262 synth 3 sine mix 524 synth 3 sine mix 786 synth 3 sine mix 1048 tremolo 6 20 gain -6
gen C dtmf_sequence_48k synth 0.2 sine 697 synth 0.2 sine mix 1336 pad 0 0.1 : synth 0.2 sine 770 synth 0.2 sine mix 1477 pad 0 0.1 : synth 0.2 sine 852 synth 0.2 sine mix 1209 pad 0 0.1 : synth 0.2 sine 941 synth 0.2 sine mix 1336 pad 0 0.1
RATE=8000
gen C saw_8k synth 3 sawtooth 150 gain -12
gen C pink_8k.wav synth 3 pinknoise gain -10
gen C melody_saw_reverb_8k synth 0.12 sawtooth 330 : synth 0.12 sawtooth 392 : synth 0.12 sawtooth 440 : synth 0.12 sawtooth 494 : synth 0.12 sawtooth 523 : synth 0.12 sawtooth 494 : synth 0.12 sawtooth 440 : synth 0.12 sawtooth 392 gain -12 reverb 30
RATE=22050
gen C melody_pluck_22k.mp3 synth 0.25 pluck 262 : synth 0.25 pluck 330 : synth 0.25 pluck 392 : synth 0.25 pluck 523 : synth 0.25 pluck 392 : synth 0.25 pluck 330 : synth 0.25 pluck 262 : synth 0.25 pluck 196
gen C clicks_22k synth 3 square 2 highpass 3000 gain -6
gen C noise_gated_22k synth 3 pinknoise synth 3 square amod 3 gain -6
echo "$n recordings in $out"
