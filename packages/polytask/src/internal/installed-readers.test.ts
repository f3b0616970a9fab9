import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadReader } from '../run-experiment';
import { findWorkspaceReader, installedReaderNames } from './installed-readers';

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

describe('findWorkspaceReader', () => {
  it('finds a reader package of the pnpm workspace around the folder, built or not', () => {
    const workspace = path.join(root, 'workspace');
    mkdirSync(path.join(workspace, 'packages', 'datasets', 'my-corpus', 'dist'), { recursive: true });
    mkdirSync(path.join(workspace, 'examples', 'study'), { recursive: true });
    writeFileSync(
      path.join(workspace, 'pnpm-workspace.yaml'),
      "packages:\n  - packages/*\n  - 'packages/datasets/*'\n  - examples/*\ncatalog:\n  x: 1\n",
    );
    writeFileSync(
      path.join(workspace, 'packages', 'datasets', 'my-corpus', 'package.json'),
      JSON.stringify({ name: '@polytask/dataset-my-corpus' }),
    );
    const from = path.join(workspace, 'examples', 'study');
    expect(findWorkspaceReader('my-corpus', from)).toEqual({
      directory: path.join(workspace, 'packages', 'datasets', 'my-corpus'),
      entry: undefined,
    });
    writeFileSync(path.join(workspace, 'packages', 'datasets', 'my-corpus', 'dist', 'index.js'), 'export function createReader() {}\n');
    expect(findWorkspaceReader('my-corpus', from)?.entry).toBe(
      path.join(workspace, 'packages', 'datasets', 'my-corpus', 'dist', 'index.js'),
    );
    expect(findWorkspaceReader('other', from)).toBeUndefined();
    expect(findWorkspaceReader('my-corpus', tmpdir())).toBeUndefined();
  });
});
