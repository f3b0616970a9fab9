import { describe, expect, it } from 'vitest';
import { importOptional, MissingDependencyError } from './import-optional';

describe('importOptional', () => {
  it('returns the module when the importer finds it', async () => {
    const module = await importOptional('node:path', (name) => import(name));
    expect(typeof (module as typeof import('node:path')).join).toBe('function');
  });

  it('names a package installed nowhere and how to add it', async () => {
    const attempt = importOptional('@polytask/not-a-real-package', (name) => import(name), 'decoding FLAC');
    await expect(attempt).rejects.toThrow(MissingDependencyError);
    await expect(attempt).rejects.toThrow(
      /@polytask\/not-a-real-package is needed for decoding FLAC but is not installed; add it with `pnpm add/,
    );
    await expect(attempt).rejects.toMatchObject({ packageName: '@polytask/not-a-real-package' });
  });

  it('passes through errors raised while a found package loads', async () => {
    const broken = new Error('native library libtensorflow.so not found');
    await expect(importOptional('some-package', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
