/**
 * The built package (`dist/index.js`, as `pnpm build` leaves it) loaded by plain `node`, not vitest:
 * vitest unwraps CommonJS optional dependencies that Node's ESM loader leaves under `default`,
 * so only a child process shows what users get. Needs `pnpm build` first (CI builds before testing).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resampleMethods } from './resample';

const built = new URL('../dist/index.js', import.meta.url);

/** Runs an ES module script with plain node; the script imports the built package as `extraction`. */
function runWithNode(body: string): { status: number | null; stdout: string; stderr: string } {
  const script = `const extraction = await import(${JSON.stringify(built.href)});\n${body}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '--eval', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the built dist under plain node', () => {
  it('exists (run pnpm build first)', () => {
    expect(existsSync(built), `${fileURLToPath(built)} is missing: run \`pnpm build\` in packages/extraction`).toBe(true);
  });

  it.each(resampleMethods)('resamples 44.1 kHz to 16 kHz with %s, directly and through an extraction spec', (method) => {
    const { status, stdout, stderr } = runWithNode(`
      const tone = Float32Array.from({ length: 44100 }, (_, index) => Math.sin((2 * Math.PI * 1000 * index) / 44100));
      const output = await extraction.resample(tone, { fromRate: 44100, toRate: 16000, method: ${JSON.stringify(method)} });
      let dot = 0;
      let energy = 0;
      for (let index = 200; index < 15800; index++) {
        const expected = Math.sin((2 * Math.PI * 1000 * index) / 16000);
        dot += output[index] * expected;
        energy += expected * expected;
      }
      const registry = extraction.createDefaultExtractionRegistry();
      const spec = registry.parseSpec({ name: 'log-mel', sampleRate: 16000, resampling: ${JSON.stringify(method)}, params: { fftSize: 512, hopLength: 256, melBandCount: 16 } });
      const features = await registry.extract(spec, { sampleRate: 44100, channels: [tone] });
      console.log(JSON.stringify({ length: output.length, gain: dot / energy, shape: features.shape }));
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as { length: number; gain: number; shape: number[] };
    expect(result.length).toBe(16000);
    expect(result.gain).toBeGreaterThan(0.99);
    expect(result.gain).toBeLessThan(1.01);
    expect(result.shape).toEqual([63, 16]);
  });

  it('computes spectral descriptors, loading the optional meyda peer on first use', () => {
    const { status, stdout, stderr } = runWithNode(`
      const tone = Float32Array.from({ length: 16000 }, (_, index) => Math.sin((2 * Math.PI * 1000 * index) / 16000));
      const registry = extraction.createDefaultExtractionRegistry();
      const spec = registry.parseSpec({ name: 'spectral-descriptors', sampleRate: 16000, params: { frameSize: 512, descriptors: ['spectralCentroid'] } });
      const features = await registry.extract(spec, { sampleRate: 16000, channels: [tone] });
      console.log(JSON.stringify({ shape: features.shape, centroid: features.data[10] }));
    `);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as { shape: number[]; centroid: number };
    expect(result.shape).toEqual([62, 1]);
    expect(result.centroid).toBeGreaterThan(950);
    expect(result.centroid).toBeLessThan(1050);
  });

  it('lists every resampling method it was tested with', () => {
    const { status, stdout } = runWithNode('console.log(JSON.stringify(extraction.resampleMethods));');
    expect(status).toBe(0);
    expect(JSON.parse(stdout)).toEqual([...resampleMethods]);
  });
});
