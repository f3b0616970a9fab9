/**
 * One writer per feature cache: `<cache>.lock`, a lock file (`tryLockFile` of `@polytask/core`)
 * holding the writer's pid, host and start time. Others wait for it (polling, bounded,
 * reported), then find the finished cache.
 */
import { type HeldLock, type LockHolder, PolytaskError, tryLockFile } from '@polytask/core';

/** Another process kept the cache locked for longer than the wait allowed. */
export class CacheLockedError extends PolytaskError {
  /** The lock file. */
  readonly lockFile: string;

  constructor(options: { lockFile: string; holder: LockHolder; waitedSeconds: number }) {
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

/** Takes the lock of a cache directory if it is free or stale; otherwise returns the live holder. */
export const tryLockCache = (directory: string): HeldLock | LockHolder => tryLockFile(cacheLockFile(directory));

/** Options of {@link lockCache}. */
export interface LockCacheOptions {
  /** The cache directory (the lock is `<directory>.lock`). */
  readonly directory: string;
  /** Longest wait for another process's lock, in seconds. */
  readonly waitSeconds: number;
  /** Milliseconds between checks. @default 250 */
  readonly pollMilliseconds?: number;
  /** Told when the wait starts and about once a minute while it lasts. */
  readonly onWait?: (holder: LockHolder, waitedSeconds: number) => void;
}

/**
 * Takes the lock of a cache directory, waiting while a live process holds it.
 * @returns the lock and whether another process held it first (it may have built the cache meanwhile).
 * @throws CacheLockedError when the holder keeps it longer than `waitSeconds`.
 */
export async function lockCache(options: LockCacheOptions): Promise<{ lock: HeldLock; waited: boolean }> {
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
