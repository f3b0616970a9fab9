/**
 * A full disk or a read-only folder ends a run store's write in a StorageError naming the path,
 * with no temporary left and nothing committed changed. Uses a small tmpfs (root on Linux); where
 * mounting is not allowed the test says so and is skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StorageError } from '@polytask/core';
import { afterAll, expect, it } from 'vitest';
import { type CheckpointContents, createRunStore, openRun } from './run-store';

const mountPoint = mkdtempSync(path.join(tmpdir(), 'polytask-small-disk-'));
const mounted = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`run-store-storage.test: skipped, cannot mount a tmpfs at ${mountPoint} (needs root on Linux)`);
    return false;
  }
})();
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const checkpoint = (bytes: number): CheckpointContents => ({
  model: {
    modelTopology: {},
    format: 'layers-model',
    weightSpecs: [{ name: 'w', shape: [bytes / 4], dtype: 'float32' }],
    weightData: new ArrayBuffer(bytes),
  },
  state: {},
});

const leftovers = (folder: string): string[] =>
  readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((entry) => entry.includes('.tmp-'));

it.skipIf(!mounted)('a full disk and a read-only folder end in a StorageError naming the path; nothing committed is lost', () => {
  const store = createRunStore({ root: mountPoint, name: 'small' });
  store.saveCheckpoint(0, 1, checkpoint(16 * 1024));
  let error: unknown;
  try {
    store.saveCheckpoint(0, 2, checkpoint(1024 * 1024));
  } catch (caught) {
    error = caught;
  }
  expect(StorageError.isInstance(error)).toBe(true);
  expect((error as StorageError).problem).toBe('disk-full');
  expect((error as Error).message).toMatch(/checkpoint of fold 0, epoch 2 at .*epoch-2: the disk \(or quota\) is full/);
  expect(leftovers(mountPoint)).toEqual([]);
  expect(openRun(store.directory).checkpointEpochs(0)).toEqual([1]);
  expect(openRun(store.directory).loadCheckpoint(0).model.weightData.byteLength).toBe(16 * 1024);

  execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
  try {
    expect(() => store.writeConfig({ a: 1 })).toThrow(/config\.json at .*: the file system is read-only/);
    expect(() => createRunStore({ root: mountPoint, name: 'another' })).toThrow(StorageError);
  } finally {
    execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
  }
});
