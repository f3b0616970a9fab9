/**
 * AudioSet's metadata files: `class_labels_indices.csv` (index, mid, display_name: the class of
 * each label index in the TFRecords) and the segment lists (`balanced_train_segments.csv`,
 * `eval_segments.csv`, `unbalanced_train_segments.csv`: three `#` comment lines, then
 * `YTID, start_seconds, end_seconds, "mid,mid,..."`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { DataFormatError, MissingFileError } from '@polytask/core';
import { readCsv } from '@polytask/data-reading';

/** One AudioSet class. */
export interface AudiosetClass {
  /** Label index used in the TFRecords. */
  readonly index: number;
  /** Knowledge-graph id (`/m/09x0r`). */
  readonly mid: string;
  /** Name shown to people (`Speech`). */
  readonly displayName: string;
}

/** One row of a segment list. */
export interface AudiosetSegmentRow {
  readonly videoId: string;
  readonly startSeconds: number;
  readonly endSeconds: number;
  /** Class mids of the segment. */
  readonly positiveLabels: readonly string[];
}

/**
 * Reads `class_labels_indices.csv`, checking that indices run 0, 1, 2, ...
 * @throws MissingFileError when absent; DataFormatError naming a missing column or an index out of order.
 */
export function readAudiosetClasses(file: string): AudiosetClass[] {
  const rows = readCsv(file, { requiredColumns: ['index', 'mid', 'display_name'] });
  return rows.map((row, position) => {
    const index = Number(row.index);
    if (index !== position)
      throw new DataFormatError({
        path: file,
        message: `${file}: row ${position + 2} has index "${row.index}", expected ${position}; the file must list indices 0, 1, 2, ... in order.`,
      });
    return { index, mid: row.mid as string, displayName: row.display_name as string };
  });
}

/**
 * Reads a segment list (`eval_segments.csv`, ...), skipping its `#` comment lines.
 * @throws MissingFileError when absent; DataFormatError naming a malformed row.
 */
export function readAudiosetSegmentList(file: string): AudiosetSegmentRow[] {
  if (!existsSync(file))
    throw new MissingFileError({ path: file, message: `${file} is missing; point the reader at the AudioSet root that contains it.` });
  const rows: AudiosetSegmentRow[] = [];
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (line.trim() === '' || line.startsWith('#')) return;
      const match = /^([^,]+),\s*([\d.]+),\s*([\d.]+),\s*"([^"]*)"\s*$/.exec(line);
      if (!match)
        throw new DataFormatError({
          path: file,
          message: `${file}: line ${index + 1} is not "YTID, start_seconds, end_seconds, \\"labels\\"": "${line}".`,
        });
      rows.push({
        videoId: match[1] as string,
        startSeconds: Number(match[2]),
        endSeconds: Number(match[3]),
        positiveLabels: (match[4] as string).split(',').filter(Boolean),
      });
    });
  return rows;
}
