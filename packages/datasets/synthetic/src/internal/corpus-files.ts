/**
 * File handling shared by the generated corpora: 16-bit WAV writing, the metadata table
 * written last and atomically (its presence marks a complete corpus), and reading that table
 * back with typed errors that name the file and the fix.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, MissingFileError, tryLockFile } from '@polytask/core';
import wavefile from 'wavefile';

/** The name of every generated corpus's metadata table. */
export const metadataFileName = 'metadata.csv';

/** Converts samples in [-1, 1] (clipped beyond) to 16-bit PCM. */
export function toPcm16(samples: ArrayLike<number>): Int16Array {
  return Int16Array.from(samples, (value) => Math.round(Math.max(-1, Math.min(1, value)) * 32767));
}

/** Options of {@link writeWav}. */
export interface WriteWavOptions {
  /** The file to write. */
  readonly file: string;
  readonly sampleRate: number;
  /** Mono 16-bit PCM. */
  readonly samples: Int16Array;
}

/** Writes a mono 16-bit WAV file. */
export function writeWav(options: WriteWavOptions): void {
  const wave = new wavefile.WaveFile();
  wave.fromScratch(1, options.sampleRate, '16', options.samples);
  writeFileSync(options.file, wave.toBuffer());
}

/** Writes `rows` (header first) as the corpus's metadata table: to a temporary file, then renamed into place. */
export function writeMetadata(directory: string, rows: readonly string[]): void {
  const metadataFile = path.join(directory, metadataFileName);
  writeFileSync(`${metadataFile}.tmp`, `${rows.join('\n')}\n`);
  renameSync(`${metadataFile}.tmp`, metadataFile);
}

/** True when `directory` holds a complete generated corpus. */
export function hasMetadata(directory: string): boolean {
  return existsSync(path.join(directory, metadataFileName));
}

/** Options of {@link readMetadata}. */
export interface ReadMetadataOptions<Column extends string> {
  /** The corpus folder. */
  readonly directory: string;
  /** The exact columns of the header row. */
  readonly columns: readonly Column[];
  /** Columns that may be empty (multi-label tags, `;`-separated). @default [] */
  readonly emptyAllowed?: readonly Column[];
  /** The call that generates this corpus, quoted in the error when the table is missing. */
  readonly generateHint: string;
}

/**
 * Reads the metadata table's data rows as records keyed by column.
 * @throws MissingFileError naming the table when the folder holds no corpus; DataFormatError naming the table and the line when the header or a row is wrong.
 */
export function readMetadata<Column extends string>(options: ReadMetadataOptions<Column>): Record<Column, string>[] {
  const { directory, columns } = options;
  const metadataFile = path.join(directory, metadataFileName);
  if (!existsSync(metadataFile)) {
    throw new MissingFileError({
      path: metadataFile,
      message: `${metadataFile} is missing: generate the corpus first with ${options.generateHint}.`,
    });
  }
  const expectedHeader = columns.join(',');
  const [header, ...lines] = readFileSync(metadataFile, 'utf8').trim().split('\n');
  if (header !== expectedHeader) {
    throw new DataFormatError({
      path: metadataFile,
      message: `${metadataFile}: expected the header "${expectedHeader}", found "${header}"; delete the folder to regenerate it, and give each synthetic corpus its own directory.`,
    });
  }
  const emptyAllowed: readonly string[] = options.emptyAllowed ?? [];
  return lines.map((line, index) => {
    const values = line.split(',');
    const complete = values.every((value, column) => value !== '' || emptyAllowed.includes(columns[column] as string));
    if (values.length !== columns.length || !complete) {
      throw new DataFormatError({
        path: metadataFile,
        message: `${metadataFile}: line ${index + 2} needs ${columns.length} columns (${expectedHeader}${emptyAllowed.length ? `; only ${emptyAllowed.join(', ')} may be empty` : ''}): "${line}"; delete the folder to regenerate it.`,
      });
    }
    return Object.fromEntries(columns.map((column, position) => [column, values[position]])) as Record<Column, string>;
  });
}

/**
 * Generates a corpus once however many processes ask at the same time (parallel units, job arrays
 * sharing a folder): the first takes `<directory>/.generate.lock`, the others wait for it (a lock
 * of a dead process is taken over), and whoever gets the lock generates only when the metadata,
 * written last, is still missing. No reader ever sees a WAV file being rewritten.
 */
export function generateOnce(directory: string, generate: () => void): void {
  if (hasMetadata(directory)) return;
  mkdirSync(directory, { recursive: true });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const lock = tryLockFile(path.join(directory, '.generate.lock'));
    if ('release' in lock) {
      try {
        if (!hasMetadata(directory)) generate();
      } finally {
        lock.release();
      }
      return;
    }
    // another process generates it: wait, without spinning
    Atomics.wait(pause, 0, 0, 100);
    if (hasMetadata(directory)) return;
  }
}
