import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockFileName, lockRun, RunInUseError } from './lock-run';

const root = mkdtempSync(path.join(tmpdir(), 'polytask-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lockRun', () => {
  it('refuses a second writer while the first lives, and frees the folder on release', () => {
    const lock = lockRun(root);
    const error = (() => {
      try {
        lockRun(root);
      } catch (caught) {
        return caught;
      }
    })();
    expect(RunInUseError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`process ${process.pid} on ${os.hostname()}`);
    lock.release();
    expect(existsSync(path.join(root, lockFileName))).toBe(false);
    lockRun(root).release();
  });

  it('takes over a lock whose process is gone, or that was torn while written', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(path.join(root, lockFileName), JSON.stringify({ pid: Number(gone), host: os.hostname(), since: 'earlier' }));
    lockRun(root).release();
    writeFileSync(path.join(root, lockFileName), '{"pid":');
    lockRun(root).release();
    // another host's lock is never taken over: its process cannot be checked from here
    writeFileSync(path.join(root, lockFileName), JSON.stringify({ pid: 1, host: 'elsewhere', since: 'earlier' }));
    expect(() => lockRun(root)).toThrow(/process 1 on elsewhere/);
    rmSync(path.join(root, lockFileName));
  });
});
