/**
 * @polytask/dataset-dcase2017-events: DCASE 2017 task 3, TUT Sound Events 2017 development set
 * (Mesaros et al. 2017): street recordings annotated with six sound events. Each recording is
 * cut into fixed-length segments, each a multi-label example of the events active in it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, defineTask, MissingFileError, type TaskDefinition } from '@polytask/core';
import { type DataReader, type DatasetItem, defineReaderOptions, validateReaderOptions } from '@polytask/data-reading';
import { type DecodedAudio, readAudioFile, readWavFormat } from '@polytask/extraction';

/** The six street events. */
export const dcase2017Events: readonly string[] = Object.freeze([
  'brakes squeaking',
  'car',
  'children',
  'large vehicle',
  'people speaking',
  'people walking',
]);

/** Options of {@link createDcase2017EventsReader}. */
export interface Dcase2017EventsReaderOptions {
  /** The development set folder (`audio/street/`, `meta/street/*.ann`, `evaluation_setup/`). */
  readonly directory: string;
  /** Segment length in seconds. @default 1 */
  readonly segmentSeconds?: number;
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<Dcase2017EventsReaderOptions>({
  directory: {
    type: 'string',
    required: true,
    description: 'The development set folder (audio/street/, meta/street/*.ann, evaluation_setup/)',
  },
  segmentSeconds: { type: 'number', default: 1, description: 'Segment length in seconds' },
});

interface Event {
  readonly onset: number;
  readonly offset: number;
  readonly label: string;
}

/** Parses `.ann` lines: `onset offset label`, or the longer `file scene onset offset label ...` form. */
function parseAnnotations(file: string): Event[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      const fields = line.split('\t').map((field) => field.trim());
      const first = fields.findIndex((field) => /^\d+(\.\d+)?$/.test(field));
      const onset = Number(fields[first]);
      const offset = Number(fields[first + 1]);
      const label = fields[first + 2] ?? '';
      if (first === -1 || !(offset > onset) || !dcase2017Events.includes(label)) {
        throw new DataFormatError({
          path: file,
          message: `${file}: line ${index + 1} is not "onset<TAB>offset<TAB>event" with one of ${dcase2017Events.join(', ')}: "${line}".`,
        });
      }
      return { onset, offset, label };
    });
}

/**
 * Reads the street recordings as `segmentSeconds` segments: task `events` (multi-label, 6 events
 * active in the segment), folds from `evaluation_setup/street_fold<k>_evaluate.txt` (0-3), the
 * recording as group.
 */
export function createDcase2017EventsReader(options: Dcase2017EventsReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'dcase2017-events' });
  const segmentSeconds = options.segmentSeconds ?? 1;
  const tasks: TaskDefinition[] = [defineTask({ name: 'events', kind: 'multi-label', labels: dcase2017Events })];
  let decoded: { file: string; audio: DecodedAudio } | undefined;
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: `dcase2017-events${segmentSeconds === 1 ? '' : `-${segmentSeconds}s`}`,
    tasks,
    foldCount: 4,
    async listItems() {
      const audioFolder = path.join(options.directory, 'audio', 'street');
      if (!existsSync(audioFolder))
        throw new MissingFileError({
          path: audioFolder,
          message: `DCASE 2017 events: ${audioFolder} is missing; point the reader at TUT-sound-events-2017-development.`,
        });
      const foldOf = new Map<string, number>();
      for (let fold = 1; fold <= 4; fold++) {
        const list = path.join(options.directory, 'evaluation_setup', `street_fold${fold}_evaluate.txt`);
        if (!existsSync(list)) throw new MissingFileError({ path: list, message: `DCASE 2017 events: ${list} is missing.` });
        for (const line of readFileSync(list, 'utf8').split(/\r?\n/).filter(Boolean))
          foldOf.set(path.basename(line.split('\t')[0] as string), fold - 1);
      }
      const items: DatasetItem[] = [];
      for (const file of readdirSync(audioFolder)
        .filter((name) => name.endsWith('.wav'))
        .sort()) {
        const recording = file.replace(/\.wav$/, '');
        const annotation = path.join(options.directory, 'meta', 'street', `${recording}.ann`);
        if (!existsSync(annotation))
          throw new MissingFileError({ path: annotation, message: `DCASE 2017 events: ${annotation} is missing for ${file}.` });
        const fold = foldOf.get(file);
        if (fold === undefined)
          throw new DataFormatError({
            path: file,
            message: `DCASE 2017 events: ${file} is in no evaluation_setup/street_fold<k>_evaluate.txt list.`,
          });
        const events = parseAnnotations(annotation);
        const audioFile = path.join(audioFolder, file);
        const format = readWavFormat(new Uint8Array(readFileSync(audioFile)), { path: audioFile });
        const segments = Math.floor(format.frameCount / format.sampleRate / segmentSeconds);
        for (let segment = 0; segment < segments; segment++) {
          const start = segment * segmentSeconds;
          const end = start + segmentSeconds;
          const active = dcase2017Events.filter((label) =>
            events.some((event) => event.label === label && event.onset < end && event.offset > start),
          );
          items.push({
            id: `${recording}#${segment}`,
            labels: { events: active },
            group: recording,
            fold,
            sources: [audioFile],
            metadata: { file: audioFile, start },
          });
        }
      }
      return items;
    },
    async readAudio(item) {
      const file = item.metadata?.file as string;
      if (decoded?.file !== file) decoded = { file, audio: await readAudioFile(file) };
      const { sampleRate, channels } = decoded.audio;
      const first = Math.round(Number(item.metadata?.start) * sampleRate);
      return { sampleRate, channels: channels.map((channel) => channel.slice(first, first + Math.round(segmentSeconds * sampleRate))) };
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createDcase2017EventsReader as createReader };
