import { describe, expect, it } from 'vitest';
import { frameSignal, minimumFramingSamples, resolveFraming } from './embedding-framing';

describe('resolveFraming and frameSignal', () => {
  it('gives VGGish examples of 96 log-mel frames × 64 bands, non-overlapping, dropping the partial end', () => {
    const framing = resolveFraming('vggish');
    expect(framing.exampleShape).toEqual([96, 64]);
    expect(minimumFramingSamples(framing)).toBe(400 + 95 * 160);
    const signal = Float32Array.from({ length: 3 * 16000 }, (_, sample) => Math.sin((2 * Math.PI * 1000 * sample) / 16000));
    const examples = frameSignal(signal, framing);
    // 3 s: 1 + (48000 - 400) / 160 = 298 frames, so 3 examples of 96
    expect(examples.shape).toEqual([3, 96, 64]);
    // log(mel + 0.01) never goes below log(0.01), and a 1 kHz tone is loudest in a middle band
    expect(Math.min(...examples.data)).toBeGreaterThanOrEqual(Math.log(0.01) - 1e-6);
    const firstFrame = Array.from(examples.data.subarray(0, 64));
    const loudest = firstFrame.indexOf(Math.max(...firstFrame));
    expect(loudest).toBeGreaterThan(10);
    expect(loudest).toBeLessThan(40);
    expect(frameSignal(signal.subarray(0, 15599), framing).shape).toEqual([0, 96, 64]);
  });

  it('gives YAMNet patches of 15600 samples every 7680, and custom framings', () => {
    const yamnet = resolveFraming('yamnet');
    expect(yamnet.exampleShape).toEqual([15600]);
    const signal = Float32Array.from({ length: 32000 }, (_, sample) => sample);
    const patches = frameSignal(signal, yamnet);
    expect(patches.shape).toEqual([3, 15600]);
    expect(patches.data[15600]).toBe(7680);
    const custom = resolveFraming({ frameSeconds: 0.5, hopSeconds: 0.25, input: 'log-mel', logMel: { melBandCount: 32 } });
    expect(custom.exampleShape).toEqual([50, 32]);
    // 198 frames of 10 ms, examples of 50 every 25
    expect(frameSignal(signal, custom).shape).toEqual([6, 50, 32]);
    expect(() => resolveFraming({ frameSeconds: 0, hopSeconds: 1, input: 'waveform' })).toThrow(
      /framing.frameSeconds must be a positive number/,
    );
  });
});
