import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentConfig, runExperiment } from 'polytask';
import { standInOverrides } from 'polytask/testing';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = fileURLToPath(new URL('../experiment.json', import.meta.url));

describe('experiment.json', () => {
  it('is valid, and its settings run end to end on a fixture-sized stand-in corpus', async () => {
    expect(loadExperimentConfig(file).datasets.length).toBeGreaterThan(0);
    const result = await runExperiment(loadExperimentConfig(file, standInOverrides(root)), { log: () => {} });
    expect(result.summary.map((row) => row.task)).toEqual(['keyword', 'pitch', 'noise']);
    expect(result.summary[0]?.multiTask).toHaveLength(2);
  });
});
