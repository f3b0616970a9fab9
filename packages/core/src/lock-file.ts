/**
 * An exclusive lock file holding its writer's pid, host and start time: written aside and
 * hard-linked into place, so it appears whole or not at all and only one process places it. A
 * lock left by a process that no longer exists on this host is taken over under a short-lived
 * takeover folder, so two processes never both take over the same stale lock. Run folders and
 * feature caches use it for "one writer at a time".
 */
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StorageError } from './polytask-error';

/** Who holds a lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly since: string;
}

/** A held lock file. */
export interface HeldLock {
  /** The lock file. */
  readonly file: string;
  /** Gives the lock back (also done when the process exits); removes only this process's own lock. */
  release(): void;
}

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
export function readLockFile(file: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

const sameHolder = (a: LockHolder | undefined, b: LockHolder | undefined) =>
  a !== undefined && b !== undefined && a.pid === b.pid && a.host === b.host && a.since === b.since;

/**
 * Takes the lock file if it is free or stale (its holder is gone from this host); otherwise returns
 * the live holder (a `pid` of -1 when the lock kept changing hands).
 * @throws StorageError when the lock file cannot be written (a full, read-only or forbidden folder).
 * @example const lock = tryLockFile('runs/a/.lock'); if ('release' in lock) { ...; lock.release(); }
 */
export function tryLockFile(file: string): HeldLock | LockHolder {
  const contents: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const unwritable = (error: unknown, where: string) => StorageError.from(error, { path: where, what: 'a lock file' });
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(aside, JSON.stringify(contents));
  } catch (error) {
    rmSync(aside, { force: true });
    throw unwritable(error, aside);
  }
  try {
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        linkSync(aside, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unwritable(error, file);
        const holder = readLockFile(file);
        if (holder && (holder.host !== os.hostname() || isProcessAlive(holder.pid))) return holder;
        takeOverStale(file, holder);
        continue;
      }
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.removeListener('exit', release);
        if (sameHolder(readLockFile(file), contents)) rmSync(file, { force: true });
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
function takeOverStale(file: string, stale: LockHolder | undefined): void {
  const takeover = `${file}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw StorageError.from(error, { path: takeover, what: 'a lock file' });
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
    const now = readLockFile(file);
    if (stale === undefined ? now === undefined : sameHolder(now, stale)) rmSync(file, { force: true });
  } finally {
    rmSync(takeover, { recursive: true, force: true });
  }
}
