/**
 * One writer per run folder: a lock file holding the writer's pid and host, created exclusively.
 * A second `polytask run`/`resume` of the same folder is refused while the first is alive; a lock
 * left by a process that no longer exists (same host) is taken over.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolytaskError } from '@polytask/core';

/** Another live process writes the run folder. */
export class RunInUseError extends PolytaskError {
  constructor(options: { directory: string; pid: number; host: string; since: string }) {
    super({
      message: `${options.directory} is being written by process ${options.pid} on ${options.host} (since ${options.since}); wait for it to end or stop it (Ctrl-C, or kill -INT ${options.pid}) before resuming. If that process is gone, delete ${path.join(options.directory, lockFileName)}.`,
      context: { ...options },
    });
    this.name = 'RunInUseError';
  }

  static override isInstance(error: unknown): error is RunInUseError {
    return PolytaskError.isInstance(error) && error.name === 'RunInUseError';
  }
}

/** The lock file's name in a run folder. */
export const lockFileName = '.lock';

interface LockContents {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Reads a lock file; undefined when it is missing or unreadable. */
function readLock(file: string): LockContents | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockContents;
  } catch {
    return undefined;
  }
}

const sameLock = (a: LockContents | undefined, b: LockContents | undefined) =>
  a !== undefined && b !== undefined && a.pid === b.pid && a.host === b.host && a.since === b.since;

/**
 * Takes the run folder's lock; `release` gives it back (also done when the process exits). The lock
 * file appears whole or not at all (written aside, then hard-linked into place, which fails if it
 * exists); a stale lock is replaced under a second, short-lived lock, so two processes never both
 * take over the same stale lock.
 * @throws RunInUseError when a live process holds it.
 */
export function lockRun(directory: string): { release(): void } {
  const file = path.join(directory, lockFileName);
  const contents: LockContents = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(aside, JSON.stringify(contents));
  const place = (): boolean => {
    try {
      linkSync(aside, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return false;
    }
  };
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      if (place()) {
        let held = true;
        const release = () => {
          if (!held) return;
          held = false;
          process.removeListener('exit', release);
          // only our own lock is removed
          if (sameLock(readLock(file), contents)) rmSync(file, { force: true });
        };
        process.once('exit', release);
        return { release };
      }
      const holder = readLock(file);
      if (holder && (holder.host !== os.hostname() || alive(holder.pid))) throw new RunInUseError({ directory, ...holder });
      takeOverStale(file, holder);
    }
    throw new RunInUseError({ directory, pid: -1, host: os.hostname(), since: 'now (the lock kept changing hands)' });
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Removes a stale lock, if it is still the one that was read, under a takeover lock of its own. */
function takeOverStale(file: string, stale: LockContents | undefined): void {
  const takeover = `${file}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // another process is taking over; a takeover lock older than 10 s was left by a crash
    try {
      if (Date.now() - statSync(takeover).mtimeMs > 10_000) rmSync(takeover, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    return;
  }
  try {
    const now = readLock(file);
    if (stale === undefined ? now === undefined : sameLock(now, stale)) rmSync(file, { force: true });
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}
