import { describe, expect, it } from 'vitest';
import { decodeNpyHeader, encodeNpyHeader } from './npy';

describe('npy headers', () => {
  it('are 64-byte aligned and decode to what was encoded', () => {
    for (const shape of [[3], [5, 4, 3], [0, 2], [123456789]]) {
      const header = encodeNpyHeader('<f4', shape);
      expect(header.length % 64).toBe(0);
      expect(decodeNpyHeader(header, 'x.npy')).toEqual({ dtype: '<f4', shape, dataOffset: header.length });
    }
  });

  it('rejects other files', () => {
    expect(() => decodeNpyHeader(new TextEncoder().encode('RIFF1234WAVEfmt '), 'a.wav')).toThrow(/a\.wav: not an \.npy file/);
  });
});
