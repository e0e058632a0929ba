"""Independent numpy references for EdgeAI.Audio (WAV reading, resampling, log-mel).

Written from the formulas in docs/audio.md, vectorized, in float64; the C# code is float32 and streaming.
Usage:
  audio_reference.py wav IN.wav OUT.f64                       (python's own wave module, PCM only)
  audio_reference.py resample IN.f32 IN_RATE OUT_RATE OUT.f64
  audio_reference.py logmel IN.f32 RATE WIN HOP FFT MELS FMIN FMAX FLOOR OUT.f64
  audio_reference.py melspec IN.f32 RATE WIN HOP FFT MELS FMIN FMAX FLOOR SCALE NORM CENTER PAD OUT.f64
      SCALE htk|slaney, NORM none|slaney, CENTER 0|1, PAD reflect|constant: librosa's melspectrogram conventions
      (librosa.filters.mel, librosa.stft center=True), written from librosa 0.10's documented formulas.
"""
import sys
import wave
from math import gcd

import numpy as np


def read_wav(path):
    with wave.open(path, "rb") as w:
        channels, width, frames = w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(frames)
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v / float(1 << 23)
    else:
        dtype = {2: "<i2", 4: "<i4"}[width]
        x = np.frombuffer(raw, dtype).astype(np.float64) / float(1 << (8 * width - 1))
    return x.reshape(-1, channels).mean(axis=1)


def resample(x, rin, rout, zero_crossings=16, rolloff=0.95):
    g = gcd(rin, rout)
    up, down = rout // g, rin // g
    cutoff = rolloff * min(1.0, up / down)
    reach = zero_crossings / cutoff
    n_out = -(-len(x) * up // down)
    t = np.arange(n_out) * down / up                     # output times in input samples
    half = int(np.ceil(reach))
    k = np.floor(t)[:, None] + np.arange(-half + 1, half + 1)[None, :]
    d = t[:, None] - k
    r = d / reach
    window = np.where(np.abs(d) < reach, 0.42 + 0.5 * np.cos(np.pi * r) + 0.08 * np.cos(2 * np.pi * r), 0.0)
    h = cutoff * np.sinc(cutoff * d) * window           # np.sinc(x) = sin(pi x) / (pi x)
    ki = k.astype(np.int64)
    inside = (ki >= 0) & (ki < len(x))
    xs = np.where(inside, x[np.clip(ki, 0, len(x) - 1)], 0.0)
    return (xs * h).sum(axis=1)


def htk_mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)


def htk_hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)


def logmel(x, rate, win, hop, fft, mels, fmin, fmax, floor):
    frames = 0 if len(x) < win else 1 + (len(x) - win) // hop
    idx = np.arange(win)[None, :] + hop * np.arange(frames)[:, None]
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)   # periodic Hann
    spec = np.fft.rfft(x[idx] * hann, n=fft, axis=1)
    power = np.abs(spec) ** 2
    edges = htk_hz(np.linspace(htk_mel(fmin), htk_mel(fmax), mels + 2))
    freqs = np.arange(fft // 2 + 1) * rate / fft
    lower = (freqs[None, :] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    upper = (edges[2:, None] - freqs[None, :]) / (edges[2:, None] - edges[1:-1, None])
    bank = np.maximum(0.0, np.minimum(lower, upper))
    return np.log(np.maximum(power @ bank.T, floor))


def slaney_mel(f):
    f = np.asarray(f, dtype=np.float64)
    f_sp = 200.0 / 3                       # librosa.hz_to_mel(htk=False): linear part
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(f, 1e-30) / min_log_hz) / logstep, f / f_sp)


def slaney_hz(m):
    m = np.asarray(m, dtype=np.float64)
    f_sp = 200.0 / 3
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filters(rate, fft, mels, fmin, fmax, scale, norm):
    # librosa.filters.mel: mel_f = mel_frequencies(n_mels + 2), ramps against rfft frequencies, triangles,
    # then norm="slaney" scales each by 2 / (mel_f[i + 2] - mel_f[i]).
    to_mel, to_hz = (htk_mel, htk_hz) if scale == "htk" else (slaney_mel, slaney_hz)
    mel_f = to_hz(np.linspace(to_mel(fmin), to_mel(fmax), mels + 2))
    fftfreqs = np.linspace(0, rate / 2.0, 1 + fft // 2)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fftfreqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:mels + 2] - mel_f[:mels]))[:, None]
    return weights


def melspec(x, rate, win, hop, fft, mels, fmin, fmax, floor, scale, norm, center, pad):
    # librosa.stft: periodic Hann of win samples centred in fft (pad_center), frames of fft samples every hop,
    # with center=True the signal padded by fft // 2 on both sides first.
    window = np.zeros(fft)
    left = (fft - win) // 2
    window[left:left + win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
    if center:
        x = np.pad(x, fft // 2, mode=pad)
    frames = 0 if len(x) < fft else 1 + (len(x) - fft) // hop
    if not center:
        # Frames where the whole window fits, the window at the start of each fft block (as the C# default).
        frames = 0 if len(x) < win else 1 + (len(x) - win) // hop
        window = np.zeros(fft)
        window[:win] = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(win) / win)
        x = np.concatenate([x, np.zeros(fft)])
    idx = np.arange(fft)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(x[idx] * window, n=fft, axis=1)) ** 2
    bank = mel_filters(rate, fft, mels, fmin, fmax, scale, norm)
    return np.log(np.maximum(power @ bank.T, floor))


def main(argv):
    cmd = argv[1]
    if cmd == "wav":
        read_wav(argv[2]).astype("<f8").tofile(argv[3])
    elif cmd == "resample":
        x = np.fromfile(argv[2], "<f4").astype(np.float64)
        resample(x, int(argv[3]), int(argv[4])).astype("<f8").tofile(argv[5])
    elif cmd == "logmel":
        x = np.fromfile(argv[2], "<f4").astype(np.float64)
        rate, win, hop, fft, mels = (int(v) for v in argv[3:8])
        fmin, fmax, floor = (float(v) for v in argv[8:11])
        logmel(x, rate, win, hop, fft, mels, fmin, fmax, floor).astype("<f8").tofile(argv[11])
    elif cmd == "melspec":
        x = np.fromfile(argv[2], "<f4").astype(np.float64)
        rate, win, hop, fft, mels = (int(v) for v in argv[3:8])
        fmin, fmax, floor = (float(v) for v in argv[8:11])
        scale, norm, center, pad = argv[11], argv[12], argv[13] == "1", argv[14]
        melspec(x, rate, win, hop, fft, mels, fmin, fmax, floor, scale, norm, center, pad).astype("<f8").tofile(argv[15])
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
