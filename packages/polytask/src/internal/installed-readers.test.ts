import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReader } from '../run-experiment';
import { installedReaderNames } from './installed-readers';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-readers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('installedReaderNames', () => {
  it('lists the dataset-* packages of node_modules/@polytask here and in every folder above', () => {
    for (const name of ['dataset-esc50', 'training', 'dataset-ravdess'])
      mkdirSync(path.join(root, 'node_modules', '@polytask', name), { recursive: true });
    const project = path.join(root, 'project', 'sub');
    mkdirSync(path.join(root, 'project', 'node_modules', '@polytask', 'dataset-my-corpus'), { recursive: true });
    mkdirSync(project, { recursive: true });
    expect(installedReaderNames(project).filter((name) => ['esc50', 'ravdess', 'my-corpus'].includes(name))).toEqual([
      'esc50',
      'my-corpus',
      'ravdess',
    ]);
  });

  it('an experiment naming a reader that is not installed is told the installed ones', async () => {
    const failure = loadReader({ reader: 'no-such-corpus', options: {} } as never, { index: 2 });
    await expect(failure).rejects.toThrow(
      /dataset-no-such-corpus is needed.*The readers installed here \(.*\) are: .*synthetic.*\(datasets\.2\.reader\)/s,
    );
  });
});
