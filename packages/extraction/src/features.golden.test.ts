/**
 * Golden tests against librosa 0.11 itself (scripts/generate-fixtures.py): three
 * signals × four librosa parameter sets, plus deltas, DCT variants, filterbanks, summaries,
 * and recording-like clips (speech, noise, hum, band limits, 16-bit) at 8, 22.05, 44.1 and 48 kHz,
 * each through both float64 STFT paths (WebAssembly SIMD kernels and fft.js).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { golden, maximumAbsoluteError, maximumRelativeError } from './__fixtures__/load-golden';
import { filterbankEnergies, logFilterbankEnergies } from './filterbank';
import { setNativeStftEnabled } from './internal/native-stft';
import { logbankSummary, summaryStatistics } from './logbank-summary';
import { melFilterbank } from './mel-filterbank';
import { logMelSpectrogram, melSpectrogram } from './mel-spectrogram';
import { mfcc } from './mfcc';
import { spectrogram } from './spectrogram';

const signalNames = ['speech', 'chirp', 'noise'] as const;
const sampleRate = 16000;

interface LibrosaParameters {
  n_fft: number;
  hop: number;
  n_mels: number;
  htk: boolean;
  norm: 'slaney' | null;
  center: boolean;
  fmin: number;
  fmax: number | null;
  win_length?: number;
}

const parameterSets = ['default-1024', 'htk-no-norm', 'not-centred', 'n-fft-400'] as const;

function options(parameters: LibrosaParameters) {
  return {
    sampleRate,
    fftSize: parameters.n_fft,
    hopLength: parameters.hop,
    ...(parameters.win_length ? { windowLength: parameters.win_length } : {}),
    melBandCount: parameters.n_mels,
    htk: parameters.htk,
    norm: parameters.norm,
    center: parameters.center,
    minimumFrequency: parameters.fmin,
    ...(parameters.fmax === null ? {} : { maximumFrequency: parameters.fmax }),
  };
}

// every STFT feature through both float64 paths: the WebAssembly SIMD kernels (the default) and fft.js (their fallback)
describe.each(['WebAssembly SIMD', 'fft.js'] as const)('%s float64 path', (path) => {
  beforeAll(() => setNativeStftEnabled(path === 'WebAssembly SIMD'));
  afterAll(() => setNativeStftEnabled(true));

  describe.each(signalNames)('%s signal', (signalName) => {
    const signal = golden(`signal/${signalName}`).data;

    describe.each(parameterSets)('librosa parameters %s', (setName) => {
      const base = `${signalName}/${setName}`;
      const parameters = golden(`${base}/mel`).entry.params as unknown as LibrosaParameters;
      const featureOptions = options(parameters);

      it('power spectrogram within 1e-4 relative', () => {
        const expected = golden(`${base}/power`);
        const actual = spectrogram(signal, featureOptions);
        expect(actual.shape).toEqual(expected.shape);
        expect(maximumRelativeError(actual.data, expected.data)).toBeLessThan(1e-4);
      });

      it('mel power within 1e-4 relative', () => {
        const expected = golden(`${base}/mel`);
        const actual = melSpectrogram(signal, featureOptions);
        expect(actual.shape).toEqual(expected.shape);
        expect(maximumRelativeError(actual.data, expected.data)).toBeLessThan(1e-4);
      });

      it('log-mel within 1e-3 dB', () => {
        const expected = golden(`${base}/log-mel`);
        const actual = logMelSpectrogram(signal, featureOptions);
        expect(actual.shape).toEqual(expected.shape);
        expect(maximumAbsoluteError(actual.data, expected.data)).toBeLessThan(1e-3);
      });

      it('MFCC (20, DCT-II ortho) within 1e-3', () => {
        const expected = golden(`${base}/mfcc`);
        const actual = mfcc(signal, featureOptions);
        expect(actual.shape).toEqual(expected.shape);
        expect(maximumAbsoluteError(actual.data, expected.data)).toBeLessThan(1e-3);
      });
    });

    describe('variants on the default parameters', () => {
      const base = `${signalName}/default-1024`;
      const featureOptions = options(golden(`${base}/mel`).entry.params as unknown as LibrosaParameters);

      it('magnitude spectrogram (power 1)', () => {
        expect(
          maximumRelativeError(spectrogram(signal, { ...featureOptions, power: 1 }).data, golden(`${base}/magnitude`).data),
        ).toBeLessThan(1e-4);
      });

      it('MFCC deltas of order 1 and 2 appended as columns', () => {
        const withDeltas = mfcc(signal, { ...featureOptions, deltaOrder: 2 });
        const [frames = 0, width] = withDeltas.shape;
        expect(width).toBe(60);
        for (const [block, name] of [
          [1, 'mfcc-delta'],
          [2, 'mfcc-delta2'],
        ] as const) {
          const expected = golden(`${base}/${name}`);
          const actual = new Float32Array(frames * 20);
          for (let frame = 0; frame < frames; frame++)
            actual.set(withDeltas.data.subarray(frame * 60 + block * 20, frame * 60 + block * 20 + 20), frame * 20);
          expect(maximumAbsoluteError(actual, expected.data)).toBeLessThan(1e-3);
        }
      });

      it('liftering, DCT-III and unnormalised DCT-II', () => {
        expect(
          maximumAbsoluteError(mfcc(signal, { ...featureOptions, lifter: 22 }).data, golden(`${base}/mfcc-lifter22`).data),
        ).toBeLessThan(1e-2);
        expect(
          maximumAbsoluteError(
            mfcc(signal, { ...featureOptions, coefficientCount: 13, dctType: 3 }).data,
            golden(`${base}/mfcc-dct3`).data,
          ),
        ).toBeLessThan(1e-3);
        expect(
          maximumAbsoluteError(
            mfcc(signal, { ...featureOptions, coefficientCount: 13, dctNorm: null }).data,
            golden(`${base}/mfcc-dct2-no-norm`).data,
          ),
        ).toBeLessThan(1e-2);
      });

      it('natural-log compression and decibels against the maximum with top 40 dB', () => {
        const natural = logMelSpectrogram(signal, { ...featureOptions, compression: { kind: 'natural', offset: 1e-6 } });
        expect(maximumAbsoluteError(natural.data, golden(`${base}/log-mel-natural`).data)).toBeLessThan(1e-4);
        const relative = logMelSpectrogram(signal, {
          ...featureOptions,
          compression: { kind: 'decibels', reference: 'max', topDecibels: 40 },
        });
        expect(maximumAbsoluteError(relative.data, golden(`${base}/log-mel-ref-max-top-40`).data)).toBeLessThan(1e-3);
      });

      it('logbank summary over log mel power', () => {
        const expected = golden(`${base}/logbank-summary-mel`);
        const actual = logbankSummary(signal, {
          ...featureOptions,
          source: 'mel',
          statistics: ['mean', 'standardDeviation', 'minimum', 'maximum'],
        });
        expect(actual.shape).toEqual([4, 64]);
        expect(maximumAbsoluteError(actual.data, expected.data)).toBeLessThan(1e-3);
      });
    });

    describe.each(['speech-features-default', 'thesis-logbank', 'hamming-300-3800'])('python_speech_features %s', (setName) => {
      const base = `${signalName}/${setName}`;
      const parameters = golden(`${base}/filterbank`).entry.params as Record<string, number | string | null>;
      const filterbankOptions = {
        sampleRate,
        windowDuration: parameters.winlen as number,
        stepDuration: parameters.winstep as number,
        filterCount: parameters.nfilt as number,
        fftSize: parameters.nfft as number,
        minimumFrequency: parameters.lowfreq as number,
        ...(parameters.highfreq === null ? {} : { maximumFrequency: parameters.highfreq as number }),
        preemphasis: parameters.preemph as number,
        window: parameters.window as 'rectangular' | 'hamming',
      };

      it('fbank energies and logfbank', () => {
        const energies = filterbankEnergies(signal, filterbankOptions);
        expect(energies.shape).toEqual(golden(`${base}/filterbank`).shape);
        expect(maximumRelativeError(energies.data, golden(`${base}/filterbank`).data)).toBeLessThan(1e-4);
        expect(
          maximumAbsoluteError(logFilterbankEnergies(signal, filterbankOptions).data, golden(`${base}/log-filterbank`).data),
        ).toBeLessThan(1e-4);
      });

      it('every summary statistic', () => {
        const actual = logbankSummary(signal, { ...filterbankOptions, statistics: summaryStatistics });
        const expected = golden(`${base}/logbank-summary`);
        expect(actual.shape).toEqual(expected.shape);
        expect(maximumAbsoluteError(actual.data, expected.data)).toBeLessThan(1e-3);
      });
    });
  });

  describe.each(['speech-8000', 'speech-22050', 'speech-44100', 'speech-48000'])('recording-like clip %s', (name) => {
    const clip = golden(`recording/${name}`);
    const parameters = clip.entry.params as { n_fft: number; hop: number; n_mels: number };
    const featureOptions = {
      sampleRate: clip.entry.sampleRate as number,
      fftSize: parameters.n_fft,
      hopLength: parameters.hop,
      melBandCount: parameters.n_mels,
    };

    it('power and mel power within 1e-4 relative, log-mel within 1e-3 dB', () => {
      const power = golden(`recording/${name}/power`);
      const actualPower = spectrogram(clip.data, featureOptions);
      expect(actualPower.shape).toEqual(power.shape);
      expect(maximumRelativeError(actualPower.data, power.data)).toBeLessThan(1e-4);
      expect(maximumRelativeError(melSpectrogram(clip.data, featureOptions).data, golden(`recording/${name}/mel`).data)).toBeLessThan(1e-4);
      expect(
        maximumAbsoluteError(logMelSpectrogram(clip.data, featureOptions).data, golden(`recording/${name}/log-mel`).data),
      ).toBeLessThan(1e-3);
    });
  });
});

describe('mel filterbank matrix', () => {
  it.each([
    ['slaney-22050-2048-128', { sampleRate: 22050, fftSize: 2048, melBandCount: 128 }],
    [
      'htk-16000-512-40-none',
      { sampleRate: 16000, fftSize: 512, melBandCount: 40, minimumFrequency: 20, maximumFrequency: 7600, htk: true, norm: null },
    ],
    ['slaney-8000-256-24', { sampleRate: 8000, fftSize: 256, melBandCount: 24, minimumFrequency: 100, maximumFrequency: 3500 }],
  ] as const)('%s matches librosa.filters.mel', (name, filterbankOptions) => {
    const expected = golden(`mel-filterbank/${name}`);
    const actual = melFilterbank(filterbankOptions);
    expect(actual.shape).toEqual(expected.shape);
    expect(maximumAbsoluteError(actual.data, expected.data)).toBeLessThan(1e-6);
  });
});
