/**
 * Entry of the extraction pool's child processes: decodes an item's file (or takes audio the
 * main thread read) and runs the built-in extraction of the spec. Built as a separate
 * entry (`dist/extraction-worker.js`).
 */
import { createDefaultExtractionRegistry, type DecodedAudio, type ExtractionSpec, readAudioFile } from '@polytask/extraction';

/** A job sent to a worker. */
export interface ExtractionJob {
  readonly spec: ExtractionSpec;
  readonly path?: string;
  readonly audio?: DecodedAudio;
  /** The file or item named in errors. */
  readonly source?: string;
  /** Longest clip accepted, in seconds. */
  readonly maximumSeconds?: number;
}

/** A worker's answer: features, or the error message (errors cross processes as text). */
export type ExtractionOutcome =
  | { readonly ok: true /** Float32 values. */; readonly buffer: ArrayBuffer; readonly shape: number[] }
  | { readonly ok: false; readonly message: string; readonly name: string };

const registry = createDefaultExtractionRegistry();

// A terminal's Ctrl-C and hang-up reach the whole process group; the parent decides whether to stop
// (and ends this process when it destroys the pool), so one keypress never kills an item half-way.
if (typeof process.send === 'function') {
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
}

/**
 * Test seam: `<end of an item's file>:<signal>` makes the worker send itself that signal as it
 * starts the item (a Ctrl-C, a scheduler's SIGTERM, the out-of-memory killer's SIGKILL).
 */
const signalOnItem = process.env.POLYTASK_TEST_EXTRACTION_SIGNAL?.split(':');

/** Runs one job. */
export default async function extract(job: ExtractionJob): Promise<ExtractionOutcome> {
  const [suffix, signal] = signalOnItem ?? [];
  if (suffix && signal && (job.source ?? job.path ?? '').endsWith(suffix)) process.kill(process.pid, signal as NodeJS.Signals);
  try {
    const audio = job.audio ?? (await readAudioFile(job.path as string));
    const features = await registry.extract(job.spec, audio, {
      source: job.source ?? job.path ?? 'audio',
      ...(job.maximumSeconds === undefined ? {} : { maximumSeconds: job.maximumSeconds }),
    });
    if (!features.data.every(Number.isFinite))
      return {
        ok: false,
        message: `${job.path ?? 'audio'}: the extracted features contain NaN or infinite values`,
        name: 'DataFormatError',
      };
    const data = features.data.byteLength === features.data.buffer.byteLength ? features.data : features.data.slice();
    return { ok: true, buffer: data.buffer as ArrayBuffer, shape: [...features.shape] };
  } catch (error) {
    return { ok: false, message: (error as Error).message ?? String(error), name: (error as Error).name ?? 'Error' };
  }
}
