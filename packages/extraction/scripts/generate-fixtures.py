#!/usr/bin/env python3
"""Generates the golden feature fixtures for @polytask/extraction tests.

Run once with librosa 0.11 (which brings scipy and soxr) and soundfile installed
(`pip install librosa==0.11.* soundfile`, then `python3 scripts/generate-fixtures.py`);
the output (src/__fixtures__/golden.json + golden.bin, float32 little-endian, and the
small FLAC files) is committed so the TypeScript tests need no Python.

Oracles: librosa 0.11 itself for the STFT, mel filterbank, mel spectrogram, power_to_db,
MFCC, delta and resample (`res_type='polyphase'` and the default `'soxr_hq'`);
scipy.signal.resample_poly; soundfile (libsndfile) for FLAC decoding; and a
transcription of python_speech_features 0.6 (fbank/logfbank), which is not on PyPI's
local mirror. librosa is called on the float32 signals cast to float64: librosa's
precision follows the input dtype (float32 input gives a complex64 STFT), and the
fixtures are the exact values, not librosa's float32 rounding of them.
"""
import decimal
import json
import math
import os

import librosa
import numpy as np
import scipy.signal
import scipy.stats
import soundfile

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


def speech_like(rate, seconds, rng, bandwidth=None):
    """A recording-like clip: voiced syllables (a jittered glottal pulse train through three
    formant resonators that move per syllable), unvoiced fricative bursts, room-tone noise,
    mains hum and a DC offset, band-limited to `bandwidth` Hz (a telephone line, an MP3
    encoder's low-pass: bands far below the loudest one), peak-normalised to -3 dBFS and
    quantised to 16 bits."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = 110 + 30 * rng.random() + 12 * np.sin(2 * np.pi * 4.3 * t) + np.cumsum(rng.standard_normal(n)) * (2.0 / np.sqrt(rate))
    phase = np.cumsum(f0) / rate
    pulses = np.diff(np.floor(phase), prepend=0.0) * (1 + 0.1 * rng.standard_normal(n))
    source = scipy.signal.lfilter([1.0], [1.0, -0.97], pulses)
    voiced = np.zeros(n)
    margin = n // 10
    edges = np.sort(rng.choice(np.arange(margin, n - margin), 7, replace=False))
    for start, stop in zip(np.concatenate([[0], edges]), np.concatenate([edges, [n]])):
        segment = source[start:stop].copy()
        for centre, bandwidth in [(rng.uniform(300, 900), 90), (rng.uniform(900, 2300), 120), (rng.uniform(2300, min(3400, 0.45 * rate)), 180)]:
            radius = np.exp(-np.pi * bandwidth / rate)
            segment = scipy.signal.lfilter([1 - radius], [1, -2 * radius * np.cos(2 * np.pi * centre / rate), radius**2], segment) * 4
        voiced[start:stop] = segment * np.hanning(stop - start) ** 0.5
    fricative = rng.standard_normal(n)
    high = scipy.signal.butter(4, min(0.9, 3000 / (rate / 2)), 'high', output='sos')
    fricative = scipy.signal.sosfilt(high, fricative) * np.exp(-0.5 * ((t - rng.uniform(0.2 * seconds, 0.8 * seconds)) / 0.04) ** 2)
    room = scipy.signal.lfilter([1.0], [1.0, -0.95], rng.standard_normal(n)) * 0.002
    hum = 0.003 * np.sin(2 * np.pi * 50 * t) + 0.001 * np.sin(2 * np.pi * 150 * t)
    clip = voiced / np.max(np.abs(voiced)) + 0.3 * fricative / np.max(np.abs(fricative)) + room + hum + 0.002
    if bandwidth is not None:
        clip = scipy.signal.sosfiltfilt(scipy.signal.butter(10, bandwidth / (rate / 2), output='sos'), clip)
    clip = clip / np.max(np.abs(clip)) * 10 ** (-3 / 20)
    return (np.round(clip * 32767) / 32768).astype(np.float32)


def recordings():
    """Recording-like clips at common rates, with the STFT sizes used at those rates."""
    rng = np.random.default_rng(2026)
    return {
        'speech-8000': (speech_like(8000, 1.0, rng, 3400), 8000, dict(n_fft=512, hop=128, n_mels=40)),
        'speech-22050': (speech_like(22050, 0.8, rng), 22050, dict(n_fft=2048, hop=512, n_mels=128)),
        'speech-44100': (speech_like(44100, 0.6, rng, 16000), 44100, dict(n_fft=2048, hop=512, n_mels=128)),
        'speech-48000': (speech_like(48000, 0.6, rng, 20000), 48000, dict(n_fft=1024, hop=480, n_mels=64)),
    }


def flac_source():
    """0.1 s of speech-like audio at 16 kHz with both full-scale extremes in it (stereo: the second channel inverted)."""
    clip = speech_like(16000, 0.1, np.random.default_rng(7)).astype(np.float64)
    clip[10], clip[11] = -1.0, 32767 / 32768
    return np.stack([clip, -clip], axis=1)


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
            stft = dict(n_fft=p['n_fft'], hop_length=p['hop'], win_length=p.get('win_length'), center=p['center'], pad_mode='constant')
            power = np.abs(librosa.stft(y, **stft)) ** 2
            mel = librosa.feature.melspectrogram(
                S=power, sr=SR, n_mels=p['n_mels'], fmin=p['fmin'], fmax=p['fmax'], htk=p['htk'], norm=p['norm'], dtype=np.float64
            )
            assert np.allclose(mel, librosa.feature.melspectrogram(y=y, sr=SR, **stft, power=2.0, n_mels=p['n_mels'], fmin=p['fmin'], fmax=p['fmax'], htk=p['htk'], norm=p['norm'], dtype=np.float64), rtol=1e-12)
            log_mel = librosa.power_to_db(mel)
            mfcc = librosa.feature.mfcc(S=log_mel, n_mfcc=20)
            base = f'{signal_name}/{set_name}'
            add(f'{base}/power', power.T, params=p)
            add(f'{base}/mel', mel.T, params=p)
            add(f'{base}/log-mel', log_mel.T, params=p)
            add(f'{base}/mfcc', mfcc.T, params=p)
            if set_name == 'default-1024':
                add(f'{base}/magnitude', np.abs(librosa.stft(y, **stft)).T, params=p)
                add(f'{base}/mfcc-delta', librosa.feature.delta(mfcc, width=9, order=1).T)
                add(f'{base}/mfcc-delta2', librosa.feature.delta(mfcc, width=9, order=2).T)
                add(f'{base}/mfcc-lifter22', librosa.feature.mfcc(S=log_mel, n_mfcc=20, lifter=22).T)
                add(f'{base}/mfcc-dct3', librosa.feature.mfcc(S=log_mel, n_mfcc=13, dct_type=3).T)
                add(f'{base}/mfcc-dct2-no-norm', librosa.feature.mfcc(S=log_mel, n_mfcc=13, norm=None).T)
                add(f'{base}/log-mel-natural', np.log(mel + 1e-6).T)
                add(f'{base}/log-mel-ref-max-top-40', librosa.power_to_db(mel, ref=np.max, top_db=40.0).T)
                natural = np.log(mel + 1e-6)
                add(f'{base}/logbank-summary-mel', np.concatenate([natural.mean(1), natural.std(1), natural.min(1), natural.max(1)]))
        for set_name, p in FILTERBANK_SETS.items():
            winfunc = (lambda n: np.ones(n)) if p['window'] == 'rectangular' else (lambda n: np.hamming(n))
            feat = fbank(y, SR, p['winlen'], p['winstep'], p['nfilt'], p['nfft'], p['lowfreq'], p['highfreq'], p['preemph'], winfunc)
            add(f'{signal_name}/{set_name}/filterbank', feat, params=p)
            add(f'{signal_name}/{set_name}/log-filterbank', np.log(feat), params=p)
            add(f'{signal_name}/{set_name}/logbank-summary', summary(np.log(feat)), params=p)
        for up, down, rate in [(1, 2, 8000), (160, 441, None), (2, 1, 32000), (3, 2, 24000), (320, 441, None)]:
            add(f'{signal_name}/resample/{up}-{down}', scipy.signal.resample_poly(y, up, down), up=up, down=down)
        for target in (8000, 22050):
            add(f'{signal_name}/resample-soxr-hq/{target}', librosa.resample(y, orig_sr=SR, target_sr=target), fromRate=SR, toRate=target)

    for name, (signal, rate, p) in recordings().items():
        add(f'recording/{name}', signal, sampleRate=rate, params=p)
        y = signal.astype(np.float64)
        stft = dict(n_fft=p['n_fft'], hop_length=p['hop'], center=True, pad_mode='constant')
        power = np.abs(librosa.stft(y, **stft)) ** 2
        mel = librosa.feature.melspectrogram(S=power, sr=rate, n_mels=p['n_mels'], dtype=np.float64)
        add(f'recording/{name}/power', power.T, params=p)
        add(f'recording/{name}/mel', mel.T, params=p)
        add(f'recording/{name}/log-mel', librosa.power_to_db(mel).T, params=p)
        if rate != SR:
            polyphase = librosa.resample(y, orig_sr=rate, target_sr=SR, res_type='polyphase')
            divisor = math.gcd(SR, rate)
            assert np.array_equal(polyphase, scipy.signal.resample_poly(y, SR // divisor, rate // divisor))
            add(f'recording/{name}/resample-polyphase/{SR}', polyphase, fromRate=rate, toRate=SR)
            add(f'recording/{name}/resample-soxr-hq/{SR}', librosa.resample(y, orig_sr=rate, target_sr=SR), fromRate=rate, toRate=SR)

    for bits in (16, 24):
        path = os.path.join(OUT, f'speech-{bits}.flac')
        soundfile.write(path, flac_source(), 16000, subtype=f'PCM_{bits}', format='FLAC')
        decoded, rate = soundfile.read(path, dtype='float64', always_2d=True)
        add(f'flac/speech-{bits}', decoded.T, sampleRate=rate, bits=bits)

    mel_sets = {
        'slaney-22050-2048-128': dict(sr=22050, n_fft=2048, n_mels=128, fmin=0.0, fmax=None, htk=False, norm='slaney'),
        'htk-16000-512-40-none': dict(sr=16000, n_fft=512, n_mels=40, fmin=20.0, fmax=7600.0, htk=True, norm=None),
        'slaney-8000-256-24': dict(sr=8000, n_fft=256, n_mels=24, fmin=100.0, fmax=3500.0, htk=False, norm='slaney'),
    }
    for name, p in mel_sets.items():
        filters = librosa.filters.mel(sr=p['sr'], n_fft=p['n_fft'], n_mels=p['n_mels'], fmin=p['fmin'], fmax=p['fmax'], htk=p['htk'], norm=p['norm'], dtype=np.float64)
        add(f'mel-filterbank/{name}', filters, params=p)

    with open(os.path.join(OUT, 'golden.bin'), 'wb') as handle:
        handle.write(bytes(blob))
    with open(os.path.join(OUT, 'golden.json'), 'w') as handle:
        json.dump(dict(generator='scripts/generate-fixtures.py', librosa=librosa.__version__, numpy=np.__version__, scipy=scipy.__version__, soxr=__import__('soxr').__version__, soundfile=soundfile.__version__, libsndfile=soundfile.__libsndfile_version__, entries=entries), handle, indent=1, sort_keys=True)
    print(f'{len(entries)} fixtures, {len(blob) / 1e6:.1f} MB')


if __name__ == '__main__':
    main()
