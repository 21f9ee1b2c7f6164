import jsQR from 'jsqr';
import { describe, expect, it } from 'vitest';
import { MAX_VERSION, byteCapacity, dataCapacity, encodeQr, finalCodewords, freeModules, qrPath, reedSolomon, versionFor } from '../src/qr';

/** Draws the symbol as RGBA pixels (4 px per module, 4-module quiet zone) for an independent decoder. */
function pixels(modules: boolean[][], scale = 4, quiet = 4): { data: Uint8ClampedArray; width: number } {
  const width = (modules.length + quiet * 2) * scale;
  const data = new Uint8ClampedArray(width * width * 4).fill(255);
  modules.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy += 1) {
        for (let dx = 0; dx < scale; dx += 1) {
          const offset = (((y + quiet) * scale + dy) * width + (x + quiet) * scale + dx) * 4;
          data[offset] = 0;
          data[offset + 1] = 0;
          data[offset + 2] = 0;
        }
      }
    }),
  );
  return { data, width };
}

function decode(text: string, mask?: number): string | null {
  const matrix = encodeQr(text, mask);
  const { data, width } = pixels(matrix.modules);
  return jsQR(data, width, width, { inversionAttempts: 'dontInvert' })?.data ?? null;
}

describe('QR encoder', () => {
  it('computes the error correction of the standard’s worked example (ISO/IEC 18004, 1-M “01234567”)', () => {
    const data = [0x10, 0x20, 0x0c, 0x56, 0x61, 0x80, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11, 0xec, 0x11];
    expect(reedSolomon(data, 10)).toEqual([0xa5, 0x24, 0xd4, 0xc1, 0xed, 0x36, 0xc7, 0x87, 0x2c, 0x55]);
  });

  it('lays out exactly the modules that the codewords of each version fill', () => {
    // Total codewords of level M (data + error correction) from ISO/IEC 18004 table 9; the
    // remainder bits (0 to 7) are the free modules left over.
    const totals = [26, 44, 70, 100, 134, 172, 196, 242, 292, 346];
    for (let version = 1; version <= MAX_VERSION; version += 1) {
      const free = freeModules(version);
      expect(Math.floor(free / 8)).toBe(totals[version - 1]);
      expect(finalCodewords(new Array(dataCapacity(version)).fill(0), version)).toHaveLength(totals[version - 1]!);
    }
  });

  it('chooses the smallest version that holds the text', () => {
    expect(versionFor(1)).toBe(1);
    expect(versionFor(byteCapacity(1))).toBe(1);
    expect(versionFor(byteCapacity(1) + 1)).toBe(2);
    expect(byteCapacity(10)).toBe(213);
    expect(versionFor(214)).toBeNull();
    expect(() => encodeQr('x'.repeat(214))).toThrow(RangeError);
  });

  it('is read back by an independent decoder, for every version and every mask', () => {
    for (let version = 1; version <= MAX_VERSION; version += 1) {
      const text = 'otpauth://totp/Vigie:alice?secret=JBSWY3DPEHPK3PXP&issuer=Vigie'.padEnd(byteCapacity(version), '0').slice(0, byteCapacity(version));
      expect(encodeQr(text).version).toBe(version);
      for (let mask = 0; mask < 8; mask += 1) expect(decode(text, mask), `version ${version} mask ${mask}`).toBe(text);
    }
  });

  it('encodes an enrolment link with accents as UTF-8', () => {
    const uri = 'otpauth://totp/Vigie%20D%C3%A9mo:op%C3%A9rateur?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Vigie&algorithm=SHA1&digits=6&period=30';
    expect(decode(uri)).toBe(uri);
    expect(decode('Vigie — opérateur')).toBe('Vigie — opérateur');
  });

  it('draws one square per dark module, inside the quiet zone', () => {
    const matrix = encodeQr('Vigie');
    const dark = matrix.modules.flat().filter(Boolean).length;
    const path = qrPath(matrix);
    expect(path.match(/M/g)).toHaveLength(dark);
    expect(path.startsWith('M4 4h1v1h-1z')).toBe(true); // the top-left finder's corner
  });
});
