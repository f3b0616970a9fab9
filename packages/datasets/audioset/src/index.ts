/**
 * @polytask/dataset-audioset: AudioSet (Gemmeke et al. 2017) as published with VGGish
 * embeddings: TFRecords of `tf.SequenceExample` (one per 10-second segment, 128 uint8 per
 * second) under `audioset_v1_embeddings/{bal_train,unbal_train,eval}/`, with
 * `class_labels_indices.csv` for the class names. The reader yields the embeddings as features
 * (read it with the `precomputed` extraction); tasks are the 527 classes or Park's / Chen's groups.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, defineTask, type FeatureMatrix, MissingFileError, type TaskDefinition } from '@polytask/core';
import { type DataReader, type DatasetItem, defineReaderOptions, validateReaderOptions } from '@polytask/data-reading';
import { type AudiosetLabelMode, audiosetLabelModes, audiosetTaskName, groupAudiosetLabels, groupedLabels } from './audioset-label-modes';
import { decodeAudiosetSegment, dequantizeEmbeddings } from './audioset-segment';
import { readAudiosetClasses } from './read-audioset-metadata';
import { readTfRecordAt, readTfRecordFile, TfRecordError } from './tfrecord';

export {
  type AudiosetLabelMode,
  audiosetLabelModes,
  audiosetTaskName,
  groupAudiosetLabels,
  groupedLabels,
  parkGroupMembers,
} from './audioset-label-modes';
export {
  type AudiosetSegment,
  audiosetEmbeddingSize,
  decodeAudiosetSegment,
  dequantizeEmbeddings,
  encodeAudiosetSegment,
  quantizeEmbedding,
} from './audioset-segment';
export { type AudiosetClass, type AudiosetSegmentRow, readAudiosetClasses, readAudiosetSegmentList } from './read-audioset-metadata';
export { encodeTfRecords, parseTfRecords, readTfRecordAt, readTfRecordFile, type TfRecord, TfRecordError } from './tfrecord';

/** The parts of the embedding release, each a folder of TFRecords under `audioset_v1_embeddings/`. */
export type AudiosetPart = 'bal_train' | 'unbal_train' | 'eval';

/** Every part; `eval` is the predefined test part, the others train. */
export const audiosetParts: readonly AudiosetPart[] = Object.freeze(['bal_train', 'unbal_train', 'eval']);

/** Folder of the TFRecords under the corpus root, as the release unpacks. */
export const audiosetEmbeddingsFolder = 'audioset_v1_embeddings';

/** Options of {@link createAudiosetReader}. */
export interface AudiosetReaderOptions {
  /** Corpus root holding `class_labels_indices.csv` and `audioset_v1_embeddings/`. */
  readonly directory: string;
  /** Raw classes (`audioset`, multi-label), Park's groups (`park`, multi-label; `park-multiclass`, single-group segments only) or Chen's (`chen`). @default 'audioset' */
  readonly labelMode?: AudiosetLabelMode;
  /** Parts to read; `eval` is the test part. @default ['bal_train', 'eval'] */
  readonly parts?: readonly string[];
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<AudiosetReaderOptions>({
  directory: { type: 'string', required: true, description: 'Corpus root holding class_labels_indices.csv and audioset_v1_embeddings/' },
  labelMode: {
    type: 'string',
    default: 'audioset',
    values: audiosetLabelModes,
    description: 'audioset (527 classes), park / park-multiclass / chen (the 10 grouped labels of the thesis)',
  },
  parts: {
    type: 'string-list',
    default: ['bal_train', 'eval'],
    values: audiosetParts,
    description: 'Folders of audioset_v1_embeddings/ to read; with eval, eval is the predefined test part, else the folds split them',
  },
});

interface SegmentPlace {
  readonly file: string;
  readonly offset: number;
}

/**
 * Reads the AudioSet embedding release: one item per segment, features `[seconds, 128]`
 * (dequantised), groups = YouTube video id, predefined split `eval` = test. Segments without
 * embeddings are left out, and in `park-multiclass` mode so are segments with more than one group.
 * @example createAudiosetReader({ directory: '/data/audioset', labelMode: 'park' }) // read with { name: 'precomputed', sampleRate: 16000 }
 */
export function createAudiosetReader(options: AudiosetReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'audioset' });
  const directory = path.resolve(options.directory);
  const labelMode = options.labelMode ?? 'audioset';
  const parts = [...(options.parts ?? ['bal_train', 'eval'])] as AudiosetPart[];
  const classesFile = path.join(directory, 'class_labels_indices.csv');
  const taskName = audiosetTaskName(labelMode);
  let classes: ReturnType<typeof readAudiosetClasses> | undefined;
  const loadClasses = () => {
    classes ??= readAudiosetClasses(classesFile);
    return classes;
  };
  const tasks: TaskDefinition[] =
    labelMode === 'audioset'
      ? [defineTask({ name: taskName, kind: 'multi-label', labels: loadClasses().map((entry) => entry.displayName) })]
      : [
          defineTask({
            name: taskName,
            kind: labelMode === 'park-multiclass' ? 'multi-class' : 'multi-label',
            labels: [...groupedLabels(labelMode)],
          }),
        ];
  const places = new Map<string, SegmentPlace>();

  const labelsOf = (indices: readonly number[], place: SegmentPlace): string[] => {
    const names = indices.map((index) => {
      const entry = loadClasses()[index];
      if (!entry)
        throw new DataFormatError({
          path: place.file,
          message: `${place.file}: the segment at byte ${place.offset} has label index ${index}, but ${classesFile} lists ${loadClasses().length} classes.`,
          context: { offset: place.offset },
        });
      return entry.displayName;
    });
    return labelMode === 'audioset' ? names : groupAudiosetLabels(names, labelMode);
  };

  return {
    specificationVersion: 'v1',
    name: 'audioset',
    options: { directory, labelMode, parts },
    tasks,
    async listItems() {
      const items: DatasetItem[] = [];
      for (const part of parts) {
        const folder = path.join(directory, audiosetEmbeddingsFolder, part);
        let files: string[];
        try {
          files = readdirSync(folder)
            .filter((file) => file.endsWith('.tfrecord'))
            .sort();
        } catch (cause) {
          throw new MissingFileError({
            path: folder,
            message: `${folder} is missing; unpack the embedding release (features.tar.gz) into ${directory} so that it holds ${audiosetEmbeddingsFolder}/${part}/*.tfrecord.`,
            cause,
          });
        }
        for (const name of files) {
          const file = path.join(folder, name);
          for (const record of await readTfRecordFile(file)) {
            const place = { file, offset: record.offset };
            let segment: ReturnType<typeof decodeAudiosetSegment>;
            try {
              segment = decodeAudiosetSegment(record.data);
            } catch (cause) {
              throw new TfRecordError({
                path: file,
                offset: record.offset,
                problem: `not a tf.SequenceExample: ${(cause as Error).message}`,
                cause,
              });
            }
            if (segment.embeddings.length === 0) continue;
            const labels = labelsOf(segment.labels, place);
            if (labelMode === 'park-multiclass' && labels.length !== 1) continue;
            const id = `${part}/${segment.videoId}_${Math.round(segment.startTimeSeconds * 1000)}`;
            places.set(id, place);
            items.push({
              id,
              sources: [file],
              labels: { [taskName]: labelMode === 'park-multiclass' ? (labels[0] as string) : labels },
              group: segment.videoId,
              // the predefined split only when eval is read; training parts alone are split into folds
              ...(parts.includes('eval') ? { split: part === 'eval' ? ('test' as const) : ('train' as const) } : {}),
              metadata: {
                videoId: segment.videoId,
                startSeconds: segment.startTimeSeconds,
                endSeconds: segment.endTimeSeconds,
                part,
                file: path.relative(directory, file),
                offset: record.offset,
              },
            });
          }
        }
      }
      return items;
    },
    async readFeatures(item): Promise<FeatureMatrix> {
      const place =
        places.get(item.id) ??
        ({ file: path.join(directory, String(item.metadata?.file)), offset: Number(item.metadata?.offset) } satisfies SegmentPlace);
      const data = await readTfRecordAt(place.file, place.offset);
      return dequantizeEmbeddings(decodeAudiosetSegment(data).embeddings);
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createAudiosetReader as createReader };
