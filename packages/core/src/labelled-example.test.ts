import { describe, expect, it } from 'vitest';
import { decodeTarget, encodeRegressionTarget, encodeTarget, featureMatrix, shapeSize } from './labelled-example';
import { InvalidArgumentError, NonFiniteTargetError, ShapeMismatchError } from './polytask-error';
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

describe('regression targets', () => {
  const affect = defineTask({ name: 'affect', kind: 'regression', outputs: ['valence', 'arousal'] });

  it('defines a regression task with named outputs, or one output named after the task', () => {
    expect(affect.labels).toEqual(['valence', 'arousal']);
    expect(defineTask({ name: 'age', kind: 'regression' }).labels).toEqual(['age']);
  });

  it('encodes values as a Float32Array row', () => {
    expect(Array.from(encodeRegressionTarget({ task: affect, values: [0.25, -1.5] }))).toEqual([0.25, -1.5]);
    expect(encodeRegressionTarget({ task: defineTask({ name: 'age', kind: 'regression' }), values: 31 })).toBeInstanceOf(Float32Array);
  });

  it('rejects NaN with a typed error naming the item, task and dataset', () => {
    const attempt = () => encodeRegressionTarget({ task: affect, values: [0.1, Number.NaN], item: 'clip-3.wav', dataset: 'moods' });
    expect(attempt).toThrow(NonFiniteTargetError);
    expect(attempt).toThrow(/clip-3\.wav.*moods.*affect/);
  });

  it('rejects the wrong number of values, labels for regression and values for classification', () => {
    expect(() => encodeRegressionTarget({ task: affect, values: [1] })).toThrow(InvalidArgumentError);
    expect(() => encodeTarget(affect, 'valence')).toThrow(InvalidArgumentError);
    expect(() => encodeRegressionTarget({ task: emotion, values: [1] })).toThrow(InvalidArgumentError);
    expect(() => decodeTarget(affect, new Float32Array(2))).toThrow(InvalidArgumentError);
  });
});
