"""Seed corpora for the fuzz harnesses, written into the folder given as argv[1].

features/: a parameter line (the defaults, and variants with other FFT and
frame sizes) followed by 16-bit samples of a tone, of noise and of silence.
model/: small valid blobs of the model format (a few text entries, and many
entries as in the duplicate-name finding) so that mutations reach the entry
parser without first breaking the checksum.  Decode seeds are the audio
fixtures themselves (run_fuzz.sh copies them).
"""
import math
import os
import random
import struct
import sys
import zlib

out = sys.argv[1]
DEFAULT = ("version=1;sample_rate=16000;n_fft=512;win_length=400;hop_length=160;center=1;n_mels=64;"
           "fmin=0;fmax=8000;log_floor=1e-10;n_mfcc=20;delta_width=2;n_chroma=12;contrast_bands=6;"
           "contrast_fmin=100;contrast_quantile=0.02;rolloff_percent=0.85;pitch_fmin=50;pitch_fmax=500;"
           "pitch_frame_length=1024;pitch_threshold=0.1;voicing_min_rms=0.001;voicing_threshold=0.5")


def pcm16(samples):
    return b"".join(struct.pack("<h", max(-32768, min(32767, int(s * 32767)))) for s in samples)


rng = random.Random(1)
signals = {
    "tone": [0.5 * math.sin(2 * math.pi * 220 * i / 16000) for i in range(6400)],
    "noise": [rng.uniform(-0.3, 0.3) for _ in range(4000)],
    "silence": [0.0] * 1600,
    "short": [0.2, -0.2, 0.1],
}
variants = {
    "default": DEFAULT,
    "fft1024": DEFAULT.replace("n_fft=512", "n_fft=1024").replace("win_length=400", "win_length=800"),
    "fft256": DEFAULT.replace("n_fft=512", "n_fft=256").replace("win_length=400", "win_length=256"),
    "fft416": DEFAULT.replace("n_fft=512", "n_fft=416"),
    "pitch2048": DEFAULT.replace("pitch_frame_length=1024", "pitch_frame_length=2048"),
}
os.makedirs(os.path.join(out, "features"), exist_ok=True)
for vname, params in variants.items():
    for sname, sig in signals.items():
        if vname != "default" and sname not in ("tone", "short"):
            continue
        with open(os.path.join(out, "features", f"{vname}_{sname}"), "wb") as f:
            f.write(params.encode() + b"\n" + pcm16(sig))


def blob(entries):
    body = b"".join(entries)
    b = b"SERMODEL" + struct.pack("<IIQI", 1, 0, len(body), len(entries)) + body
    return b + struct.pack("<I", zlib.crc32(b) & 0xFFFFFFFF)


def text(name, value):
    return bytes([2, len(name)]) + name + struct.pack("<I", len(value)) + value


def tensor(name, dims, values):
    return (bytes([1, len(name)]) + name + bytes([len(dims)]) + b"".join(struct.pack("<I", d) for d in dims)
            + b"".join(struct.pack("<f", v) for v in values))


os.makedirs(os.path.join(out, "model"), exist_ok=True)
seeds = {
    "texts": blob([text(b"classes", b"angry\nhappy\n"), text(b"features", DEFAULT.encode())]),
    "tensor": blob([tensor(b"w", [2, 3], [0.5, -1, 2, 0, 1e-3, 3]), text(b"classes", b"a\nb\n")]),
    "many_entries": blob([text(bytes("e%04d" % i, "ascii"), b"") for i in range(500)]),
    "duplicate": blob([text(b"x", b"1"), text(b"x", b"2")]),
}
for name, data in seeds.items():
    with open(os.path.join(out, "model", name), "wb") as f:
        f.write(data)
