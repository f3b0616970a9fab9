import { describe, expect, it } from 'vitest';
import { type AugmentationSpec, augmentationKinds, createAugmentation } from './create-augmentation';

describe('createAugmentation', () => {
  it('builds each built-in kind from its spec', () => {
    const specs: AugmentationSpec[] = [
      { kind: 'spec-augment', frequencyMaskWidth: 4 },
      { kind: 'mixup', alpha: 0.4 },
      { kind: 'random-gain', minimumDecibels: -3, maximumDecibels: 3 },
      { kind: 'time-shift', maximumFrames: 2 },
      { kind: 'noise-mixing', noise: [{ data: Float32Array.of(1, 2), shape: [1, 2] }], minimumSnr: 5, maximumSnr: 10 },
    ];
    expect(specs.map((spec) => createAugmentation(spec).name)).toEqual(augmentationKinds);
  });

  it('names the bad option or kind', () => {
    expect(() => createAugmentation({ kind: 'mixup', alpha: -1 })).toThrow(expect.objectContaining({ argument: 'alpha' }));
    expect(() => createAugmentation({ kind: 'reverb' } as never)).toThrow(/Unknown augmentation kind "reverb"/);
  });
});
