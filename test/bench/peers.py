"""peers.py - the Python half of the side-by-side benchmark (bench_peers.sh).

Reads the clips ser decoded (DIR/<n>.f32: raw float32, 16 kHz mono, the same
samples ser's timings were taken on) and times, per clip, the median of 3
runs of:
  torchaudio (Debian python3-torchaudio): MFCC with 40 coefficients, its mel
    spectrogram, and detect_pitch_frequency (its NCCF pitch; pYIN is not in
    torchaudio);
  librosa, when importable: the original notebook's features (40 MFCC,
    chroma, 128 mel bands and their statistics) and pYIN.
Prints "peer<TAB>task<TAB>median ms" over the clips, and a line saying why a
peer was skipped.  One thread (torch.set_num_threads(1)), like one backend;
with BENCH_CLOCK=cpu, the thread's CPU time rather than wall-clock time.
Usage: python3 peers.py DIR N
"""
import os
import statistics
import sys
import time

import numpy as np

ROUNDS = 3
# BENCH_CLOCK=cpu: the thread's CPU time, as the C benchmarks take it (one torch thread)
CLOCK = time.thread_time if os.environ.get("BENCH_CLOCK") == "cpu" else time.perf_counter
SR = 16000
# ser's defaults (librosa's): 2048-point FFT, hop 512, 128 mel bands
N_FFT, HOP, N_MELS = 2048, 512, 128


def timed(fn, x):
    t = []
    for _ in range(ROUNDS):
        t0 = CLOCK()
        fn(x)
        t.append((CLOCK() - t0) * 1000.0)
    return statistics.median(t)


def report(peer, task, per_clip):
    print(f"{peer}\t{task}\t{statistics.median(per_clip):.3f}", flush=True)


def main():
    folder, n = sys.argv[1], int(sys.argv[2])
    clips = [np.fromfile(f"{folder}/{i}.f32", dtype=np.float32) for i in range(n)]

    try:
        import torch
        import torchaudio

        torch.set_num_threads(1)
        mfcc = torchaudio.transforms.MFCC(sample_rate=SR, n_mfcc=40,
                                          melkwargs={"n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS})
        mel = torchaudio.transforms.MelSpectrogram(sample_rate=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
        tasks = {
            "MFCC (40)": lambda x: mfcc(x),
            "mel spectrogram (128)": lambda x: mel(x),
            "detect_pitch_frequency": lambda x: torchaudio.functional.detect_pitch_frequency(x, SR),
        }
        tensors = [torch.from_numpy(c) for c in clips]
        for fn in tasks.values():  # warm up (first-call allocations, kernels)
            fn(tensors[0])
        for task, fn in tasks.items():
            report(f"torchaudio {torchaudio.__version__}", task, [timed(fn, x) for x in tensors])
    except ImportError as e:
        print(f"torchaudio\tskipped: not installed ({e}); Debian: apt-get install python3-torchaudio", flush=True)

    try:
        import librosa

        def notebook(x):
            # the original notebook's extract_feature(): means over time of 40 MFCC, chroma, 128 mel bands
            stft = np.abs(librosa.stft(x))
            return np.hstack([
                np.mean(librosa.feature.mfcc(y=x, sr=SR, n_mfcc=40).T, axis=0),
                np.mean(librosa.feature.chroma_stft(S=stft, sr=SR).T, axis=0),
                np.mean(librosa.feature.melspectrogram(y=x, sr=SR).T, axis=0),
            ])

        tasks = {
            "notebook features": notebook,
            "MFCC (40)": lambda x: librosa.feature.mfcc(y=x, sr=SR, n_mfcc=40),
            "pYIN": lambda x: librosa.pyin(x, fmin=65.0, fmax=600.0, sr=SR, frame_length=N_FFT, hop_length=HOP),
        }
        for fn in tasks.values():
            fn(clips[0])
        for task, fn in tasks.items():
            report(f"librosa {librosa.__version__}", task, [timed(fn, x) for x in clips])
    except ImportError:
        print("librosa\tskipped: not installed (not a Debian package, and PyPI is not reachable here; "
              "with it installed, e.g. pip install librosa, this script times it too)", flush=True)


if __name__ == "__main__":
    main()
