#!/usr/bin/env python3
"""Generates the golden feature fixtures for @polytask/extraction tests.

Run once with numpy and scipy available (`python3 scripts/generate-fixtures.py`);
the output (src/__fixtures__/golden.json + golden.bin, float32 little-endian) is
committed so the TypeScript tests need no Python. The oracle is
`reference_features.py` (librosa 0.10 conventions, copied from shared/notes) plus a
transcription of python_speech_features 0.6 (fbank/logfbank) and scipy's
resample_poly and savgol_filter (librosa.feature.delta).
"""
import decimal
import json
import math
import os

import numpy as np
import scipy.signal
import scipy.stats

import reference_features as ref

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'src', '__fixtures__')
SR = 16000


def signals():
    t = np.arange(int(0.6 * SR)) / SR
    rng = np.random.default_rng(20211)
    # speech-like: a glottal-pulse-ish harmonic series with vibrato, syllable envelope and formant weighting
    f0 = 120 + 15 * np.sin(2 * np.pi * 5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / SR
    formants = [(700, 130), (1220, 70), (2600, 160)]
    speech = np.zeros_like(t)
    for k in range(1, 30):
        fk = k * 120
        weight = sum(np.exp(-0.5 * ((fk - f) / bw) ** 2) for f, bw in formants) + 0.05
        speech += weight * np.sin(k * phase) / k
    speech *= 0.5 * (1 - np.cos(2 * np.pi * 3 * t)) * 0.3
    chirp = 0.5 * scipy.signal.chirp(t, f0=60, t1=t[-1], f1=7500, method='logarithmic')
    noise = 0.1 * rng.standard_normal(len(t))
    return {
        'speech': speech.astype(np.float32),
        'chirp': chirp.astype(np.float32),
        'noise': noise.astype(np.float32),
    }


PARAMETER_SETS = {
    'default-1024': dict(n_fft=1024, hop=256, n_mels=64, htk=False, norm='slaney', center=True, fmin=0.0, fmax=None),
    'htk-no-norm': dict(n_fft=512, hop=160, n_mels=40, htk=True, norm=None, center=True, fmin=20.0, fmax=7600.0),
    'not-centred': dict(n_fft=1024, hop=512, n_mels=64, htk=False, norm='slaney', center=False, fmin=0.0, fmax=None),
    'n-fft-400': dict(n_fft=400, hop=160, n_mels=40, htk=False, norm='slaney', center=True, fmin=0.0, fmax=8000.0, win_length=320),
}


# ---- python_speech_features 0.6 (transcribed) ----------------------------------------
def round_half_up(number):
    return int(decimal.Decimal(number).quantize(decimal.Decimal('1'), rounding=decimal.ROUND_HALF_UP))


def framesig(sig, frame_len, frame_step, winfunc):
    slen = len(sig)
    frame_len = int(round_half_up(frame_len))
    frame_step = int(round_half_up(frame_step))
    numframes = 1 if slen <= frame_len else 1 + int(math.ceil((1.0 * slen - frame_len) / frame_step))
    padlen = int((numframes - 1) * frame_step + frame_len)
    padsignal = np.concatenate((sig, np.zeros((padlen - slen,))))
    indices = np.tile(np.arange(0, frame_len), (numframes, 1)) + np.tile(np.arange(0, numframes * frame_step, frame_step), (frame_len, 1)).T
    frames = padsignal[indices.astype(np.int32)]
    return frames * np.tile(winfunc(frame_len), (numframes, 1))


def hz2mel(hz):
    return 2595 * np.log10(1 + hz / 700.0)


def mel2hz(mel):
    return 700 * (10 ** (mel / 2595.0) - 1)


def get_filterbanks(nfilt, nfft, samplerate, lowfreq, highfreq):
    melpoints = np.linspace(hz2mel(lowfreq), hz2mel(highfreq), nfilt + 2)
    bins = np.floor((nfft + 1) * mel2hz(melpoints) / samplerate)
    fbank = np.zeros([nfilt, nfft // 2 + 1])
    for j in range(nfilt):
        for i in range(int(bins[j]), int(bins[j + 1])):
            fbank[j, i] = (i - bins[j]) / (bins[j + 1] - bins[j])
        for i in range(int(bins[j + 1]), int(bins[j + 2])):
            fbank[j, i] = (bins[j + 2] - i) / (bins[j + 2] - bins[j + 1])
    return fbank


def fbank(signal, samplerate, winlen=0.025, winstep=0.01, nfilt=26, nfft=512, lowfreq=0, highfreq=None, preemph=0.97, winfunc=lambda x: np.ones((x,))):
    highfreq = highfreq or samplerate / 2
    signal = np.append(signal[0], signal[1:] - preemph * signal[:-1])
    frames = framesig(signal, winlen * samplerate, winstep * samplerate, winfunc)
    pspec = 1.0 / nfft * np.square(np.absolute(np.fft.rfft(frames, nfft)))
    fb = get_filterbanks(nfilt, nfft, samplerate, lowfreq, highfreq)
    feat = np.dot(pspec, fb.T)
    return np.where(feat == 0, np.finfo(float).eps, feat)


FILTERBANK_SETS = {
    'speech-features-default': dict(winlen=0.025, winstep=0.01, nfilt=26, nfft=512, lowfreq=0, highfreq=None, preemph=0.97, window='rectangular'),
    'thesis-logbank': dict(winlen=0.03, winstep=0.01, nfilt=24, nfft=512, lowfreq=0, highfreq=None, preemph=0.97, window='rectangular'),
    'hamming-300-3800': dict(winlen=0.025, winstep=0.015, nfilt=20, nfft=1024, lowfreq=300, highfreq=3800, preemph=0.0, window='hamming'),
}


def summary(log_energies):
    # rows: mean, std (population), min, max, skewness (biased), excess kurtosis (biased), median, p25, p75
    return np.stack([
        log_energies.mean(0), log_energies.std(0), log_energies.min(0), log_energies.max(0),
        scipy.stats.skew(log_energies, axis=0), scipy.stats.kurtosis(log_energies, axis=0),
        np.median(log_energies, axis=0), np.percentile(log_energies, 25, axis=0), np.percentile(log_energies, 75, axis=0),
    ])


def main():
    entries = {}
    blob = bytearray()

    def add(name, array, **meta):
        array = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
        entries[name] = dict(offset=len(blob), shape=list(array.shape), **meta)
        blob.extend(array.tobytes())

    for signal_name, signal in signals().items():
        add(f'signal/{signal_name}', signal, sampleRate=SR)
        y = signal.astype(np.float64)
        for set_name, p in PARAMETER_SETS.items():
            win_length = p.get('win_length')
            kwargs = dict(n_fft=p['n_fft'], hop=p['hop'], win_length=win_length, n_mels=p['n_mels'], fmin=p['fmin'], fmax=p['fmax'], htk=p['htk'], norm=p['norm'], center=p['center'])
            power = ref.stft_power(y, p['n_fft'], p['hop'], win_length, p['center'], 2.0)
            mel = ref.melspec(y, SR, **kwargs)
            log_mel = ref.power_to_db(mel)
            mfcc = ref.mfcc(y, SR, n_mfcc=20, **kwargs)
            base = f'{signal_name}/{set_name}'
            add(f'{base}/power', power.T, params=p)
            add(f'{base}/mel', mel.T, params=p)
            add(f'{base}/log-mel', log_mel.T, params=p)
            add(f'{base}/mfcc', mfcc.T, params=p)
            if set_name == 'default-1024':
                add(f'{base}/magnitude', ref.stft_power(y, p['n_fft'], p['hop'], None, True, 1.0).T, params=p)
                add(f'{base}/mfcc-delta', scipy.signal.savgol_filter(mfcc, 9, deriv=1, polyorder=1, axis=-1, mode='interp').T)
                add(f'{base}/mfcc-delta2', scipy.signal.savgol_filter(mfcc, 9, deriv=2, polyorder=2, axis=-1, mode='interp').T)
                add(f'{base}/mfcc-lifter22', (mfcc * (1 + 11 * np.sin(np.pi * np.arange(1, 21) / 22))[:, None]).T)
                add(f'{base}/mfcc-dct3', scipy.fft.dct(log_mel, type=3, axis=0, norm='ortho')[:13].T)
                add(f'{base}/mfcc-dct2-no-norm', scipy.fft.dct(log_mel, type=2, axis=0, norm=None)[:13].T)
                add(f'{base}/log-mel-natural', np.log(mel + 1e-6).T)
                add(f'{base}/log-mel-ref-max-top-40', ref.power_to_db(mel, ref=mel.max(), top_db=40.0).T)
                add(f'{base}/logbank-summary-mel', ref.logbank_summary(y, SR, **kwargs))
        for set_name, p in FILTERBANK_SETS.items():
            winfunc = (lambda n: np.ones(n)) if p['window'] == 'rectangular' else (lambda n: np.hamming(n))
            feat = fbank(y, SR, p['winlen'], p['winstep'], p['nfilt'], p['nfft'], p['lowfreq'], p['highfreq'], p['preemph'], winfunc)
            add(f'{signal_name}/{set_name}/filterbank', feat, params=p)
            add(f'{signal_name}/{set_name}/log-filterbank', np.log(feat), params=p)
            add(f'{signal_name}/{set_name}/logbank-summary', summary(np.log(feat)), params=p)
        for up, down, rate in [(1, 2, 8000), (160, 441, None), (2, 1, 32000), (3, 2, 24000), (320, 441, None)]:
            add(f'{signal_name}/resample/{up}-{down}', scipy.signal.resample_poly(y, up, down), up=up, down=down)

    mel_sets = {
        'slaney-22050-2048-128': dict(sr=22050, n_fft=2048, n_mels=128, fmin=0.0, fmax=None, htk=False, norm='slaney'),
        'htk-16000-512-40-none': dict(sr=16000, n_fft=512, n_mels=40, fmin=20.0, fmax=7600.0, htk=True, norm=None),
        'slaney-8000-256-24': dict(sr=8000, n_fft=256, n_mels=24, fmin=100.0, fmax=3500.0, htk=False, norm='slaney'),
    }
    for name, p in mel_sets.items():
        add(f'mel-filterbank/{name}', ref.mel_fb(p['sr'], p['n_fft'], p['n_mels'], p['fmin'], p['fmax'], p['htk'], p['norm']), params=p)

    with open(os.path.join(OUT, 'golden.bin'), 'wb') as handle:
        handle.write(bytes(blob))
    with open(os.path.join(OUT, 'golden.json'), 'w') as handle:
        json.dump(dict(generator='scripts/generate-fixtures.py', numpy=np.__version__, scipy=scipy.__version__, entries=entries), handle, indent=1, sort_keys=True)
    print(f'{len(entries)} fixtures, {len(blob) / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
