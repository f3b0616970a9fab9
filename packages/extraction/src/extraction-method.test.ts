import { ConfigError, InvalidArgumentError } from '@polytask/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { golden, maximumAbsoluteError } from './__fixtures__/load-golden';
import { AudioDurationError } from './audio-duration-error';
import { createDefaultExtractionRegistry } from './built-in-extraction-methods';
import { type ExtractionMethod, extractionSpecHash } from './extraction-method';
import { logMelSpectrogram } from './mel-spectrogram';
import { resamplePoly } from './resample';

const registry = createDefaultExtractionRegistry();

describe('extraction specs', () => {
  it('fills defaults, including those derived from other values, so equal features hash equally', () => {
    const implicit = registry.parseSpec({ name: 'log-mel', sampleRate: 16000, params: { fftSize: 1024, melBandCount: 64 } });
    const explicit = registry.parseSpec({
      name: 'log-mel',
      sampleRate: 16000,
      channelPolicy: 'mean',
      resampling: 'polyphase',
      params: {
        melBandCount: 64,
        fftSize: 1024,
        hopLength: 256,
        windowLength: 1024,
        maximumFrequency: 8000,
        compression: { kind: 'decibels' },
      },
    });
    expect(implicit.params).toMatchObject({ hopLength: 256, windowLength: 1024, maximumFrequency: 8000, htk: false, norm: 'slaney' });
    expect(extractionSpecHash(implicit)).toBe(extractionSpecHash(explicit));
    expect(extractionSpecHash(implicit)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('ignores parameters without effect: a delta width without deltas, a pad mode without centring', () => {
    const hash = (params: Record<string, unknown>) => extractionSpecHash(registry.parseSpec({ name: 'mfcc', sampleRate: 16000, params }));
    expect(hash({ deltaOrder: 0, deltaWidth: 5 })).toBe(hash({ deltaOrder: 0, deltaWidth: 9 }));
    expect(hash({ deltaOrder: 1, deltaWidth: 5 })).not.toBe(hash({ deltaOrder: 1, deltaWidth: 9 }));
    expect(hash({ center: false, padMode: 'reflect' })).toBe(hash({ center: false, padMode: 'edge' }));
    expect(hash({ center: true, padMode: 'reflect' })).not.toBe(hash({ center: true, padMode: 'edge' }));
  });

  it('refuses clips shorter than one analysis frame or longer than the limit, naming the file', async () => {
    const spec = registry.parseSpec({ name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, melBandCount: 32 } });
    const clip = (seconds: number) => ({ sampleRate: 16000, channels: [new Float32Array(Math.round(seconds * 16000)).fill(0.1)] });
    await expect(registry.extract(spec, clip(0.001), { source: 'clips/click.wav' })).rejects.toThrow(AudioDurationError);
    await expect(registry.extract(spec, clip(0.001), { source: 'clips/click.wav' })).rejects.toThrow(
      /clips\/click\.wav: the clip is 0\.001 s long, shorter than the 0\.016 s the "log-mel" extraction needs .*onError: 'skip'/,
    );
    await expect(registry.extract(spec, clip(3), { source: 'long.wav', maximumSeconds: 2 })).rejects.toThrow(
      /long\.wav: the clip is 3 s long, more than the 2 s allowed \(maximumAudioSeconds\)/,
    );
    expect((await registry.extract(spec, clip(0.5), { source: 'fine.wav', maximumSeconds: 2 })).shape).toEqual([63, 32]);
    const filterbank = registry.parseSpec({ name: 'log-filterbank', sampleRate: 16000 });
    await expect(registry.extract(filterbank, clip(0.001))).rejects.toThrow(/^audio: the clip is 0\.001 s long, shorter than the 0\.025 s/);
  });

  it('changes the hash when any parameter, the sample rate or the channel policy changes', () => {
    const base = { name: 'mfcc', sampleRate: 16000, params: { coefficientCount: 13 } };
    const hashes = [
      base,
      { ...base, sampleRate: 8000 },
      { ...base, channelPolicy: 'first' },
      { ...base, resampling: 'high-quality' },
      { ...base, params: { coefficientCount: 14 } },
      { ...base, params: { coefficientCount: 13, htk: true } },
      { ...base, params: { coefficientCount: 13, compression: { kind: 'natural' } } },
      { ...base, name: 'log-mel', params: {} },
    ].map((spec) => extractionSpecHash(registry.parseSpec(spec)));
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it.each([
    [
      { name: 'mel', sampleRate: 16000 },
      'extraction.name',
      /unknown method "mel"; registered methods are filterbank, log-filterbank, log-mel, logbank-summary, mel-spectrogram, mfcc, spectral-descriptors, spectrogram/,
    ],
    [{ name: 'log-mel', sampleRate: 16000, params: { nfft: 512 } }, 'extraction.params', /unknown parameter\(s\) "nfft"/],
    [
      { name: 'log-mel', sampleRate: 16000, params: { fftSize: -3 } },
      'extraction.params.fftSize',
      /Invalid extraction spec at extraction\.params\.fftSize: .*got -3/,
    ],
    [{ name: 'log-mel', sampleRate: 16000, params: { window: 'kaiser' } }, 'extraction.params.window', /got "kaiser"/],
    [
      { name: 'log-mel', sampleRate: 16000, params: { maximumFrequency: 9000 } },
      'extraction.params',
      /exceeds the Nyquist frequency 8000 Hz/,
    ],
    [
      { name: 'log-mel', sampleRate: 16000, params: { fftSize: 256, windowLength: 512 } },
      'extraction.params',
      /windowLength \(512\) must not exceed fftSize \(256\)/,
    ],
    [{ name: 'log-mel' }, 'extraction.sampleRate', /sampleRate/],
    [{ name: 'mfcc', sampleRate: 16000, channelPolicy: 'left' }, 'extraction.channelPolicy', /got "left"/],
    [{ name: 'spectral-descriptors', sampleRate: 16000, params: { frameSize: 1000 } }, 'extraction.params', /power of two/],
  ])('rejects %o with a ConfigError at its path', (input, configPath, message) => {
    const attempt = () => registry.parseSpec(input, 'extraction');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).configPath).toBe(configPath);
    }
  });
});

describe('registry.extract', () => {
  const signal = golden('signal/speech').data;

  it('equals calling the feature function', async () => {
    const spec = registry.parseSpec({ name: 'log-mel', sampleRate: 16000, params: { fftSize: 1024, hopLength: 256, melBandCount: 64 } });
    const features = await registry.extract(spec, { sampleRate: 16000, channels: [signal] });
    expect(features).toEqual(logMelSpectrogram(signal, { sampleRate: 16000, fftSize: 1024, hopLength: 256, melBandCount: 64 }));
    expect(maximumAbsoluteError(features.data, golden('speech/default-1024/log-mel').data)).toBeLessThan(1e-3);
  });

  it('resamples to the spec rate and applies the channel policy', async () => {
    const spec = registry.parseSpec({ name: 'log-mel', sampleRate: 8000, params: { fftSize: 256, melBandCount: 24 } });
    const stereo = { sampleRate: 16000, channels: [signal, signal.map((value) => value * 0.5)] };
    const mean = await registry.extract(spec, stereo);
    const expected = logMelSpectrogram(
      resamplePoly(
        Float32Array.from(signal, (value) => value * 0.75),
        1,
        2,
      ),
      { sampleRate: 8000, fftSize: 256, melBandCount: 24 },
    );
    expect(maximumAbsoluteError(mean.data, expected.data)).toBeLessThan(1e-3);
    const kept = await registry.extract(
      registry.parseSpec({ ...spec, channelPolicy: 'keep', params: { fftSize: 256, melBandCount: 24 } }),
      stereo,
    );
    expect(kept.shape).toEqual([2, ...mean.shape]);
  });

  it('runs every built-in method on a short signal', async () => {
    for (const name of registry.names()) {
      const features = await registry.extract(registry.parseSpec({ name, sampleRate: 16000 }), { sampleRate: 16000, channels: [signal] });
      expect(features.shape.length, name).toBe(2);
      expect(features.data.every(Number.isFinite), name).toBe(true);
    }
  });
});

describe('user-defined methods', () => {
  const rms: ExtractionMethod<{ frameLength: number }> = {
    specificationVersion: 'v1',
    name: 'frame-rms',
    description: 'RMS per frame',
    version: 1,
    parameters: z.strictObject({ frameLength: z.number().int().positive().default(400) }),
    extract(signal, { parameters }) {
      const frames = Math.floor(signal.length / parameters.frameLength);
      const data = new Float32Array(frames);
      for (let frame = 0; frame < frames; frame++) {
        let sum = 0;
        for (let index = 0; index < parameters.frameLength; index++) sum += (signal[frame * parameters.frameLength + index] as number) ** 2;
        data[frame] = Math.sqrt(sum / parameters.frameLength);
      }
      return { data, shape: [frames, 1] };
    },
  };

  it('registers, validates and extracts like a built-in', async () => {
    const custom = createDefaultExtractionRegistry();
    custom.register(rms);
    const spec = custom.parseSpec({ name: 'frame-rms', sampleRate: 16000 });
    expect(spec.params).toEqual({ frameLength: 400 });
    const features = await custom.extract(spec, { sampleRate: 16000, channels: [new Float32Array(1600).fill(0.5)] });
    expect([...features.data]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(() => custom.register(rms)).toThrow(InvalidArgumentError);
    expect(() => custom.parseSpec({ name: 'frame-rms', sampleRate: 16000, params: { frameLength: 0 } })).toThrow(ConfigError);
  });
});
