/**
 * A small, learnable ASVspoof 2015 in the published layout, for tests of the reader and of
 * experiments that read it: `CM_protocol/cm_train.trn`, `cm_develop.ndx` and `cm_evaluation.ndx`
 * (`speaker file attack key`), `Joint_ASV_CM_protocol/ASV_{male,female}_{development,evaluation}.ndx`
 * and `wav/<speaker>/<file>.wav`, 16 kHz mono 16-bit. As published, training and development hold
 * the known attacks S1-S5 and evaluation S1-S10. The attack, the spoof key (an artefact every
 * spoofed clip shares) and the speaker's gender each sound as a tone in their own band.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { asvspoofTasks } from './index';

/** Options of {@link writeAsvspoof2015Fixture}. */
export interface Asvspoof2015FixtureOptions {
  /** The corpus root to write; created when missing. */
  readonly directory: string;
  /** Speakers (the groups) in each of the train, development and evaluation lists, alternately male and female. @default 2 */
  readonly speakersPerList?: number;
  /** Genuine (`human`) utterances per speaker. @default 2 */
  readonly genuinePerSpeaker?: number;
  /** Spoofed utterances per speaker and attack. @default 1 */
  readonly spoofsPerAttack?: number;
  /** Utterance length in seconds (the published ones last a few). @default 1 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

const sampleRate = 16000;
const lists = [
  { protocol: 'cm_train.trn', prefix: 'T', attackCount: 5, joint: 'development' },
  { protocol: 'cm_develop.ndx', prefix: 'D', attackCount: 5, joint: 'development' },
  { protocol: 'cm_evaluation.ndx', prefix: 'E', attackCount: 10, joint: 'evaluation' },
] as const;

/**
 * Writes the fixture corpus. Returns `directory`.
 * @throws InvalidArgumentError for fewer than one speaker per list.
 * @example createAsvspoof2015Reader({ directory: writeAsvspoof2015Fixture({ directory: temporaryFolder }) })
 */
export function writeAsvspoof2015Fixture(options: Asvspoof2015FixtureOptions): string {
  const { directory } = options;
  const speakersPerList = options.speakersPerList ?? 2;
  if (!(Number.isInteger(speakersPerList) && speakersPerList >= 1))
    throw new InvalidArgumentError({
      argument: 'speakersPerList',
      value: speakersPerList,
      message: `speakersPerList must be a positive integer; got ${speakersPerList}.`,
    });
  const attacks = asvspoofTasks[1]?.labels ?? [];
  const seed = options.seed ?? 1;
  let clip = 0;
  const joint = new Map<string, string[]>();
  for (const list of lists) {
    const lines: string[] = [];
    for (let speakerIndex = 0; speakerIndex < speakersPerList; speakerIndex++) {
      const speaker = `${list.prefix}${speakerIndex + 1}`;
      const gender = speakerIndex % 2 === 0 ? 'male' : 'female';
      const jointList = `ASV_${gender}_${list.joint}.ndx`;
      joint.set(jointList, [...(joint.get(jointList) ?? []), `${speaker} ${speaker}_0000001 human genuine`]);
      const utterances = [
        ...Array.from({ length: options.genuinePerSpeaker ?? 2 }, () => 'human'),
        ...attacks.slice(1, 1 + list.attackCount).flatMap((attack) => Array.from({ length: options.spoofsPerAttack ?? 1 }, () => attack)),
      ];
      for (const [utteranceIndex, attack] of utterances.entries()) {
        const file = `${speaker}_${1000001 + utteranceIndex}`;
        const key = attack === 'human' ? 'genuine' : 'spoof';
        writeWavFile({
          file: path.join(directory, 'wav', speaker, `${file}.wav`),
          sampleRate,
          channels: synthesizeFixtureSound({
            sampleRate,
            seconds: options.seconds ?? 1,
            tones: [
              fixtureLabelTone({ index: attacks.indexOf(attack), count: attacks.length, lowest: 200, highest: 1400 }),
              fixtureLabelTone({ index: key === 'genuine' ? 0 : 1, count: 2, lowest: 1600, highest: 2000 }),
              fixtureLabelTone({ index: gender === 'female' ? 0 : 1, count: 2, lowest: 2400, highest: 3400 }),
            ],
            seed: seed * 100000 + clip++,
          }),
        });
        lines.push(`${speaker} ${file} ${attack} ${key}`);
      }
    }
    mkdirSync(path.join(directory, 'CM_protocol'), { recursive: true });
    writeFileSync(path.join(directory, 'CM_protocol', list.protocol), `${lines.join('\n')}\n`);
  }
  mkdirSync(path.join(directory, 'Joint_ASV_CM_protocol'), { recursive: true });
  for (const [file, lines] of joint) writeFileSync(path.join(directory, 'Joint_ASV_CM_protocol', file), `${lines.join('\n')}\n`);
  return directory;
}
