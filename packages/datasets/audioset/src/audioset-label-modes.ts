/**
 * AudioSet's label modes: the raw classes, or the 10 groups of Park et al. (2020) as the
 * CombinaTorch thesis readers built them (ChenAudiosetDataset, ParkAudiosetDataset). A segment's
 * classes map to groups; `silence` and `others` are dropped when any other group is present.
 */

/** How labels become targets: raw classes, or Park's / Chen's grouped labels. */
export type AudiosetLabelMode = 'audioset' | 'park' | 'park-multiclass' | 'chen';

/** Every label mode, for option schemas. */
export const audiosetLabelModes: readonly AudiosetLabelMode[] = Object.freeze(['audioset', 'park', 'park-multiclass', 'chen']);

/** The AudioSet display names each group collects (any other class is `others`). */
export const parkGroupMembers: Readonly<Record<string, readonly string[]>> = Object.freeze({
  crowd: ['Crowd', 'Chatter', 'Hubbub, speech noise, speech babble'],
  applause: ['Applause', 'Clapping'],
  laughter: ['Laughter'],
  'typing/clicking': ['Typing', 'Clicking'],
  door: ['Door', 'Knock'],
  silence: ['Silence'],
  television: ['Television'],
  walk: ['Walk, footsteps'],
  speech: ['Speech', 'Female speech, woman speaking', 'Male speech, man speaking', 'Conversation'],
});

/**
 * The grouped labels in target order. Park's reader spells `laughter`, Chen's `Laughter` (so the
 * two tasks stay distinct, as in the thesis); the order is fixed here where the thesis used `set` order.
 */
export function groupedLabels(mode: 'park' | 'park-multiclass' | 'chen'): readonly string[] {
  return [...Object.keys(parkGroupMembers), 'others'].map((group) => (mode === 'chen' && group === 'laughter' ? 'Laughter' : group));
}

const groupOf = new Map(Object.entries(parkGroupMembers).flatMap(([group, members]) => members.map((member) => [member, group])));

/**
 * Maps a segment's class display names to its groups, in {@link groupedLabels} order; `silence` and
 * `others` are dropped when another group is present.
 * @example groupAudiosetLabels(['Speech', 'Music'], 'park') // ['speech']
 */
export function groupAudiosetLabels(displayNames: readonly string[], mode: 'park' | 'park-multiclass' | 'chen'): string[] {
  const found = new Set(displayNames.map((name) => groupOf.get(name) ?? 'others'));
  if (found.size > 1) found.delete('silence');
  if (found.size > 1) found.delete('others');
  return groupedLabels(mode).filter((label) => found.has(label === 'Laughter' ? 'laughter' : label));
}

/** Task name of each mode, as in the thesis readers. */
export function audiosetTaskName(mode: AudiosetLabelMode): string {
  return { audioset: 'audioset', park: 'park_audioset', 'park-multiclass': 'park_audioset_multiclass', chen: 'chen_audioset' }[mode];
}
