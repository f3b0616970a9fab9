import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DataReader } from '@polytask/data-reading';
import { writeWavFile } from '@polytask/data-reading/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExperimentConfig } from './experiment-config';
import { readExperimentDatasets, writeSkippedFiles } from './run-experiment';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-experiment-datasets-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A reader package over three clips, the second of them not audio. */
function readerPackage(directory: string) {
  for (const index of [0, 2])
    writeWavFile({
      file: path.join(directory, `clip-${index}.wav`),
      sampleRate: 16000,
      channels: [Float32Array.from({ length: 4000 }, (_, sample) => 0.3 * Math.sin(sample / (4 + index)))],
    });
  writeFileSync(path.join(directory, 'clip-1.wav'), 'not a wave file');
  const createReader = (): DataReader => ({
    specificationVersion: 'v1',
    name: 'clips',
    options: { directory },
    tasks: [{ name: 'tone', kind: 'multi-class', labels: ['low', 'high'] }],
    listItems: async () =>
      [0, 1, 2].map((index) => ({ id: `clip-${index}`, path: path.join(directory, `clip-${index}.wav`), labels: { tone: 'low' } })),
  });
  return async () => ({ createReader });
}

describe('readExperimentDatasets', () => {
  it("skips bad files of an entry with onError: 'skip', counts them in the log and lists them for the run folder", async () => {
    const config = parseExperimentConfig({
      datasets: [{ reader: 'clips', onError: 'skip' }],
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, melBandCount: 16 } },
      cacheDirectory: path.join(root, 'cache'),
    });
    const lines: string[] = [];
    const datasets = await readExperimentDatasets(config, {
      log: (line) => lines.push(line),
      importReader: readerPackage(path.join(root, 'clips')),
    });
    expect(datasets).toHaveLength(1);
    expect(datasets[0]?.size).toBe(2);
    expect(datasets.skipped).toEqual([
      { reader: 'clips', id: 'clip-1', path: path.join(root, 'clips', 'clip-1.wav'), reason: expect.stringContaining('clip-1.wav') },
    ]);
    expect(lines.join('\n')).toMatch(/clips: 2 examples, .*1 skipped \(listed in the run folder's skipped-files\.json\)/);
    writeSkippedFiles(root, datasets);
    expect(JSON.parse(readFileSync(path.join(root, 'skipped-files.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(datasets.skipped)));
  });

  it('fails on a bad file by default, recommending onError', async () => {
    const config = parseExperimentConfig({
      datasets: [{ reader: 'clips' }],
      extraction: { name: 'log-mel', sampleRate: 16000, params: { fftSize: 512, melBandCount: 16 } },
      cacheDirectory: path.join(root, 'cache-fail'),
    });
    await expect(
      readExperimentDatasets(config, { log: () => {}, importReader: readerPackage(path.join(root, 'clips-fail')) }),
    ).rejects.toThrow(/clip-1\.wav.*onError: 'skip'/);
  });
});
