/**
 * One writer per feature cache: `<cache>.lock` holds the writer's pid, host and start time.
 * It is written aside and hard-linked into place, so it appears whole or not at all and only
 * one process can place it. A lock left by a dead process on this host is taken over under a
 * short-lived takeover folder, so two processes never both take over the same stale lock.
 * Others wait for it (polling, bounded, reported), then find the finished cache.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolytaskError } from '@polytask/core';
import { asCacheWriteError } from '@polytask/task-dataset';

/** Who holds a cache lock. */
export interface CacheLockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A held cache lock. */
export interface CacheLock {
  /** The lock file. */
  readonly file: string;
  /** Gives the lock back (also done when the process exits). */
  release(): void;
}

/** Another process kept the cache locked for longer than the wait allowed. */
export class CacheLockedError extends PolytaskError {
  /** The lock file. */
  readonly lockFile: string;

  constructor(options: { lockFile: string; holder: CacheLockHolder; waitedSeconds: number }) {
    const { lockFile, holder } = options;
    super({
      message: `The feature cache is being built by process ${holder.pid} on ${holder.host} (since ${holder.since}); waited ${Math.round(options.waitedSeconds)} s for it. Wait for that run to end and start again, or raise lockWaitSeconds; if no such process runs, delete ${lockFile}.`,
      context: { lockFile, ...holder },
    });
    this.name = 'CacheLockedError';
    this.lockFile = lockFile;
  }

  static override isInstance(error: unknown): error is CacheLockedError {
    return PolytaskError.isInstance(error) && error.name === 'CacheLockedError';
  }
}

/** The lock file of a cache directory. */
export const cacheLockFile = (directory: string): string => `${directory}.lock`;

/** True when process `pid` exists on this machine. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads a lock file; undefined when it is missing or unreadable. */
export function readCacheLock(file: string): CacheLockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as CacheLockHolder;
  } catch {
    return undefined;
  }
}

/** True when the holder is a process that no longer exists on this host. */
const isStale = (holder: CacheLockHolder | undefined): boolean =>
  holder !== undefined && holder.host === os.hostname() && !isProcessAlive(holder.pid);

const sameHolder = (a: CacheLockHolder | undefined, b: CacheLockHolder | undefined) =>
  a !== undefined && b !== undefined && a.pid === b.pid && a.host === b.host && a.since === b.since;

/**
 * Takes the lock of a cache directory if it is free or stale; otherwise returns the live holder.
 * @throws StorageError when the lock file cannot be written (full, read-only or forbidden folder).
 */
export function tryLockCache(directory: string): CacheLock | CacheLockHolder {
  const file = cacheLockFile(directory);
  const contents: CacheLockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(aside, JSON.stringify(contents));
  } catch (error) {
    throw asCacheWriteError(error, aside);
  }
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        linkSync(aside, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw asCacheWriteError(error, file);
        const holder = readCacheLock(file);
        if (holder && !isStale(holder)) return holder;
        takeOverStale(file, holder);
        continue;
      }
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.removeListener('exit', release);
        // only our own lock is removed
        if (sameHolder(readCacheLock(file), contents)) rmSync(file, { force: true });
      };
      process.once('exit', release);
      return { file, release };
    }
    return { pid: -1, host: os.hostname(), since: 'now (the lock kept changing hands)' };
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Removes a stale lock, if it is still the one that was read, under a takeover folder of its own. */
function takeOverStale(file: string, stale: CacheLockHolder | undefined): void {
  const takeover = `${file}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw asCacheWriteError(error, takeover);
    // another process is taking over; a takeover folder older than 10 s was left by a crash
    try {
      if (Date.now() - statSync(takeover).mtimeMs > 10_000) rmSync(takeover, { recursive: true, force: true });
    } catch {
      // removed meanwhile
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    return;
  }
  try {
    const now = readCacheLock(file);
    if (stale === undefined ? now === undefined : sameHolder(now, stale)) rmSync(file, { force: true });
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}

/** Options of {@link lockCache}. */
export interface LockCacheOptions {
  /** The cache directory (the lock is `<directory>.lock`). */
  readonly directory: string;
  /** Longest wait for another process's lock, in seconds. */
  readonly waitSeconds: number;
  /** Milliseconds between checks. @default 250 */
  readonly pollMilliseconds?: number;
  /** Told when the wait starts and about once a minute while it lasts. */
  readonly onWait?: (holder: CacheLockHolder, waitedSeconds: number) => void;
}

/**
 * Takes the lock of a cache directory, waiting while a live process holds it.
 * @returns the lock and whether another process held it first (it may have built the cache meanwhile).
 * @throws CacheLockedError when the holder keeps it longer than `waitSeconds`.
 */
export async function lockCache(options: LockCacheOptions): Promise<{ lock: CacheLock; waited: boolean }> {
  const poll = options.pollMilliseconds ?? 250;
  const started = Date.now();
  let lastReport = -Infinity;
  for (;;) {
    const attempt = tryLockCache(options.directory);
    if ('release' in attempt) return { lock: attempt, waited: lastReport !== -Infinity };
    const waitedSeconds = (Date.now() - started) / 1000;
    if (waitedSeconds - lastReport >= 60) {
      lastReport = waitedSeconds;
      options.onWait?.(attempt, waitedSeconds);
    }
    if (waitedSeconds > options.waitSeconds)
      throw new CacheLockedError({ lockFile: cacheLockFile(options.directory), holder: attempt, waitedSeconds });
    await new Promise((resolve) => setTimeout(resolve, poll));
  }
}
