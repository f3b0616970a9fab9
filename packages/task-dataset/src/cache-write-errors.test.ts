import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeTarget, StorageError } from '@polytask/core';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { saveTaskDataset } from './dataset-cache';
import { createTask } from './task';
import { createTaskDataset } from './task-dataset';

/** Write failure injected into node:fs/promises: the next handle write fails with this code. */
const injected = vi.hoisted(() => ({ code: undefined as string | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args: Parameters<typeof actual.open>) => {
    const handle = await actual.open(...args);
    const write = handle.write.bind(handle) as (...writeArgs: unknown[]) => Promise<unknown>;
    (handle as { write: unknown }).write = (...writeArgs: unknown[]) => {
      if (injected.code) {
        const error = Object.assign(new Error(`${injected.code}: injected write failure`), { code: injected.code });
        return Promise.reject(error);
      }
      return write(...writeArgs);
    };
    return handle;
  };
  return { ...actual, default: { ...actual, open }, open };
});

const root = mkdtempSync(path.join(tmpdir(), 'polytask-cache-write-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  injected.code = undefined;
});

const sound = createTask({ name: 'sound', kind: 'multi-class', labels: ['dog', 'rain'] });
const dataset = createTaskDataset({
  name: 'small',
  tasks: [sound],
  features: [0, 1, 2].map((index) => ({ data: Float32Array.from([index, index + 0.5]), shape: [2] })),
  targets: { sound: [0, 1, 2].map((index) => encodeTarget(sound, index % 2 ? 'rain' : 'dog')) },
  ids: ['a', 'b', 'c'],
});

describe('cache writes that cannot succeed', () => {
  it('turns a full disk into a StorageError naming the path and the fix, and removes the temporary folder', async () => {
    const parent = path.join(root, 'full');
    mkdirSync(parent);
    injected.code = 'ENOSPC';
    const attempt = saveTaskDataset(dataset, path.join(parent, 'key'));
    await expect(attempt).rejects.toThrow(StorageError);
    await expect(attempt).rejects.toThrow(
      /Cannot write the feature cache at .*full.*the disk \(or quota\) is full.*\(ENOSPC\); cacheDirectory chooses the folder/,
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it('turns a folder it may not write into a StorageError (EACCES)', async () => {
    const parent = path.join(root, 'read-only');
    mkdirSync(parent);
    // root may write anywhere: inject the error the folder would give
    if (process.getuid?.() === 0) injected.code = 'EACCES';
    else chmodSync(parent, 0o555);
    try {
      await expect(saveTaskDataset(dataset, path.join(parent, 'key'))).rejects.toThrow(/may not write there.*\(EACCES\)/);
    } finally {
      chmodSync(parent, 0o755);
    }
    expect(readdirSync(parent)).toEqual([]);
  });
});
