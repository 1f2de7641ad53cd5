"""Comparing what the fake service received with what was played."""

from __future__ import annotations

import numpy as np


def envelope(samples: np.ndarray, rate: int, window_ms: int = 10) -> np.ndarray:
    window = rate * window_ms // 1000
    count = len(samples) // window
    return np.sqrt(np.mean(samples[: count * window].reshape(count, window) ** 2, axis=1))


def best_alignment(received: np.ndarray, played: np.ndarray) -> int:
    """The lag (samples) of `played` inside `received` that maximises their correlation."""
    n = len(received) + len(played)
    size = 1 << (n - 1).bit_length()
    spectrum = np.fft.rfft(received, size) * np.conj(np.fft.rfft(played, size))
    corr = np.fft.irfft(spectrum, size)
    lags = np.concatenate([corr[: len(received)], corr[size - len(played) + 1 :]])
    index = int(np.argmax(lags))
    return index if index < len(received) else index - size


def correlation(received: np.ndarray, played: np.ndarray, rate: int) -> tuple[float, float]:
    """Normalised correlation of the waveforms and of their 10 ms envelopes, aligned.

    The part of `played` that falls outside `received` counts as missed (zeros), so audio
    clipped at either end lowers the figure.
    """
    lag = best_alignment(received, played)
    aligned = np.zeros(len(played))
    lo, hi = max(0, lag), min(len(received), lag + len(played))
    if hi > lo:
        aligned[lo - lag : hi - lag] = received[lo:hi]
    wave = float(np.dot(aligned, played) / (np.linalg.norm(aligned) * np.linalg.norm(played)))
    ea, ep = envelope(aligned, rate), envelope(played, rate)
    ea, ep = ea - ea.mean(), ep - ep.mean()
    env = float(np.dot(ea, ep) / (np.linalg.norm(ea) * np.linalg.norm(ep)))
    return wave, env


def as_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0


def windowed_correlation(
    received: np.ndarray, played: np.ndarray, rate: int, window_ms: int = 250, slack_ms: int = 120
) -> float:
    """Median waveform correlation of the played phrase's voiced 250 ms windows, each aligned
    on its own within ±120 ms of the overall alignment.

    A whole-phrase waveform correlation collapses if the player underruns once under CPU
    load (everything after the gap shifts by a few ms); per-window alignment measures
    whether each piece of the waveform arrived intact.
    """
    lag = best_alignment(received, played)
    window, slack = rate * window_ms // 1000, rate * slack_ms // 1000
    loudest = np.max(envelope(played, rate))
    scores = []
    for start in range(0, len(played) - window, window):
        piece = played[start : start + window]
        if np.sqrt(np.mean(piece**2)) < loudest * 0.1:
            continue
        lo = max(0, lag + start - slack)
        hi = min(len(received), lag + start + window + slack)
        segment = received[lo:hi]
        if len(segment) < window:
            scores.append(0.0)
            continue
        best = 0.0
        norm_piece = np.linalg.norm(piece)
        for offset in range(0, len(segment) - window + 1):
            cand = segment[offset : offset + window]
            denom = np.linalg.norm(cand) * norm_piece
            if denom > 0:
                best = max(best, float(np.dot(cand, piece) / denom))
        scores.append(best)
    return float(np.median(scores)) if scores else 0.0
