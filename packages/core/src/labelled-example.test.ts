import { describe, expect, it } from 'vitest';
import { decodeTarget, encodeTarget, featureMatrix, shapeSize } from './labelled-example';
import { InvalidArgumentError, ShapeMismatchError } from './polytask-error';
import { defineTask } from './task-definition';

const emotion = defineTask({ name: 'emotion', kind: 'multi-class', labels: ['neutral', 'happy', 'sad'] });
const events = defineTask({ name: 'events', kind: 'multi-label', labels: ['dog', 'car', 'speech'] });
const spoof = defineTask({ name: 'spoof', kind: 'binary', labels: ['genuine', 'spoof'] });

describe('featureMatrix', () => {
  it('accepts a shape that covers the data', () => {
    const matrix = featureMatrix(new Float32Array(6), [2, 3]);
    expect(matrix.shape).toEqual([2, 3]);
    expect(shapeSize(matrix.shape)).toBe(6);
  });

  it('rejects a shape that does not', () => {
    expect(() => featureMatrix(new Float32Array(6), [4, 2])).toThrow(ShapeMismatchError);
    expect(() => featureMatrix(new Float32Array(6), [2, 1.5])).toThrow(InvalidArgumentError);
  });
});

describe('encodeTarget and decodeTarget', () => {
  it('one-hot encodes a multi-class label', () => {
    expect([...encodeTarget(emotion, 'sad')]).toEqual([0, 0, 1]);
    expect(decodeTarget(emotion, encodeTarget(emotion, 'happy'))).toEqual(['happy']);
  });

  it('multi-hot encodes several labels, and none', () => {
    expect([...encodeTarget(events, ['speech', 'dog'])]).toEqual([1, 0, 1]);
    expect([...encodeTarget(events, [])]).toEqual([0, 0, 0]);
    expect(decodeTarget(events, Uint8Array.from([0, 1, 1]))).toEqual(['car', 'speech']);
  });

  it('encodes binary tasks as one column meaning the positive label', () => {
    expect([...encodeTarget(spoof, 'spoof')]).toEqual([1]);
    expect([...encodeTarget(spoof, 'genuine')]).toEqual([0]);
    expect(decodeTarget(spoof, Uint8Array.from([1]))).toEqual(['spoof']);
  });

  it('rejects unknown labels, several labels for one-label tasks and wrong row sizes', () => {
    expect(() => encodeTarget(emotion, 'angry')).toThrow(/no label "angry"/);
    expect(() => encodeTarget(emotion, ['happy', 'sad'])).toThrow(InvalidArgumentError);
    expect(() => encodeTarget(spoof, [])).toThrow(InvalidArgumentError);
    expect(() => decodeTarget(emotion, new Uint8Array(2))).toThrow(ShapeMismatchError);
  });
});
