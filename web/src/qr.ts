// A small QR code encoder (ISO/IEC 18004), enough for an `otpauth://` enrolment link: byte
// mode, error correction level M (about 15 % of the symbol may be damaged), versions 1 to 10
// (up to 213 bytes). No dependency: the enrolment screen draws the matrix as SVG.

/** Error correction of level M, per version: EC codewords per block, then [blocks, data codewords per block] groups. */
const LEVEL_M: readonly (readonly [number, ...(readonly [number, number])[]])[] = [
  [10, [1, 16]],
  [16, [1, 28]],
  [26, [1, 44]],
  [18, [2, 32]],
  [24, [2, 43]],
  [16, [4, 27]],
  [18, [4, 31]],
  [22, [2, 38], [2, 39]],
  [22, [3, 36], [2, 37]],
  [26, [4, 43], [1, 44]],
];

/** Centres of the alignment patterns (rows and columns), per version from 2. */
const ALIGNMENT: readonly (readonly number[])[] = [
  [],
  [6, 18],
  [6, 22],
  [6, 26],
  [6, 30],
  [6, 34],
  [6, 22, 38],
  [6, 24, 42],
  [6, 26, 46],
  [6, 28, 50],
];

export const MAX_VERSION = LEVEL_M.length;

/** The data codewords a version holds at level M. */
export function dataCapacity(version: number): number {
  const [, ...groups] = LEVEL_M[version - 1]!;
  return groups.reduce((sum, [blocks, size]) => sum + blocks * size, 0);
}

/** The bytes a version holds in byte mode at level M (mode and length header taken out). */
export function byteCapacity(version: number): number {
  const headerBits = 4 + (version < 10 ? 8 : 16);
  return Math.floor((dataCapacity(version) * 8 - headerBits) / 8);
}

// ----- Reed–Solomon over GF(256), primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 -----

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let value = 1;
  for (let power = 0; power < 255; power += 1) {
    EXP[power] = value;
    LOG[value] = power;
    value <<= 1;
    if (value & 0x100) value ^= 0x11d;
  }
  for (let power = 255; power < 512; power += 1) EXP[power] = EXP[power - 255]!;
}

function multiply(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

/** The generator polynomial of degree `degree`, highest coefficient first (the leading 1 left out). */
function generator(degree: number): number[] {
  let poly = [1];
  for (let root = 0; root < degree; root += 1) {
    const next = new Array<number>(poly.length + 1).fill(0);
    for (let index = 0; index < poly.length; index += 1) {
      next[index] ^= poly[index]!;
      next[index + 1] ^= multiply(poly[index]!, EXP[root]!);
    }
    poly = next;
  }
  return poly.slice(1);
}

/** The `degree` error correction codewords of `data`. */
export function reedSolomon(data: readonly number[], degree: number): number[] {
  const gen = generator(degree);
  const remainder = new Array<number>(degree).fill(0);
  for (const byte of data) {
    const factor = byte ^ remainder.shift()!;
    remainder.push(0);
    for (let index = 0; index < degree; index += 1) remainder[index] ^= multiply(gen[index]!, factor);
  }
  return remainder;
}

// ----- the data codewords -----

class BitWriter {
  readonly bits: number[] = [];
  put(value: number, length: number): void {
    for (let bit = length - 1; bit >= 0; bit -= 1) this.bits.push((value >>> bit) & 1);
  }
}

/** The smallest version that holds `length` bytes, or null when none does. */
export function versionFor(length: number): number | null {
  for (let version = 1; version <= MAX_VERSION; version += 1) if (byteCapacity(version) >= length) return version;
  return null;
}

/** Data codewords of `bytes` in byte mode, padded to the version's capacity. */
export function dataCodewords(bytes: Uint8Array, version: number): number[] {
  const capacity = dataCapacity(version);
  const writer = new BitWriter();
  writer.put(0b0100, 4);
  writer.put(bytes.length, version < 10 ? 8 : 16);
  for (const byte of bytes) writer.put(byte, 8);
  writer.put(0, Math.min(4, capacity * 8 - writer.bits.length));
  writer.put(0, (8 - (writer.bits.length % 8)) % 8);
  const codewords: number[] = [];
  for (let index = 0; index < writer.bits.length; index += 8) {
    codewords.push(writer.bits.slice(index, index + 8).reduce((byte, bit) => (byte << 1) | bit, 0));
  }
  for (let pad = 0; codewords.length < capacity; pad += 1) codewords.push(pad % 2 === 0 ? 0xec : 0x11);
  return codewords;
}

/** Splits the data in blocks, adds each block's error correction, and interleaves them. */
export function finalCodewords(data: readonly number[], version: number): number[] {
  const [ecPerBlock, ...groups] = LEVEL_M[version - 1]!;
  const blocks: { data: number[]; ec: number[] }[] = [];
  let offset = 0;
  for (const [count, size] of groups) {
    for (let block = 0; block < count; block += 1) {
      const part = data.slice(offset, offset + size);
      offset += size;
      blocks.push({ data: part, ec: reedSolomon(part, ecPerBlock) });
    }
  }
  const out: number[] = [];
  const longest = Math.max(...blocks.map((block) => block.data.length));
  for (let index = 0; index < longest; index += 1) for (const block of blocks) if (index < block.data.length) out.push(block.data[index]!);
  for (let index = 0; index < ecPerBlock; index += 1) for (const block of blocks) out.push(block.ec[index]!);
  return out;
}

// ----- the matrix -----

/** A QR symbol: `size` × `size` modules, `true` for dark, row by row. */
export interface QrMatrix {
  version: number;
  size: number;
  mask: number;
  modules: boolean[][];
}

class Grid {
  readonly size: number;
  readonly dark: boolean[][];
  /** Modules of the function patterns, which the data and the mask leave alone. */
  readonly fixed: boolean[][];

  constructor(readonly version: number) {
    this.size = version * 4 + 17;
    this.dark = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
    this.fixed = Array.from({ length: this.size }, () => new Array<boolean>(this.size).fill(false));
  }

  set(x: number, y: number, dark: boolean): void {
    this.dark[y]![x] = dark;
    this.fixed[y]![x] = true;
  }

  drawFunctionPatterns(): void {
    const size = this.size;
    for (let index = 0; index < size; index += 1) {
      this.set(6, index, index % 2 === 0);
      this.set(index, 6, index % 2 === 0);
    }
    this.finder(3, 3);
    this.finder(size - 4, 3);
    this.finder(3, size - 4);
    const centres = ALIGNMENT[this.version - 1]!;
    for (const y of centres) {
      for (const x of centres) {
        const onFinder = (x === 6 && y === 6) || (x === 6 && y === centres.at(-1)) || (x === centres.at(-1) && y === 6);
        if (!onFinder) this.alignment(x, y);
      }
    }
    // Reserve the format areas now (drawn for real once the mask is chosen) and the version areas.
    this.drawFormat(0, 0);
    this.drawVersion();
  }

  private finder(cx: number, cy: number): void {
    for (let dy = -4; dy <= 4; dy += 1) {
      for (let dx = -4; dx <= 4; dx += 1) {
        const x = cx + dx;
        const y = cy + dy;
        if (x < 0 || y < 0 || x >= this.size || y >= this.size) continue;
        const ring = Math.max(Math.abs(dx), Math.abs(dy));
        this.set(x, y, ring !== 2 && ring !== 4);
      }
    }
  }

  private alignment(cx: number, cy: number): void {
    for (let dy = -2; dy <= 2; dy += 1) {
      for (let dx = -2; dx <= 2; dx += 1) this.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
    }
  }

  /** The 15 format bits: level M (00) and the mask, BCH-protected, then masked with 101010000010010. */
  drawFormat(mask: number, fill: 0 | 1 | null = null): void {
    const value = (0b00 << 3) | mask;
    let remainder = value;
    for (let bit = 0; bit < 10; bit += 1) remainder = (remainder << 1) ^ ((remainder >>> 9) * 0x537);
    const bits = ((value << 10) | remainder) ^ 0x5412;
    const at = (index: number) => (fill === null ? ((bits >>> index) & 1) === 1 : fill === 1);
    const size = this.size;
    for (let index = 0; index <= 5; index += 1) this.set(8, index, at(index));
    this.set(8, 7, at(6));
    this.set(8, 8, at(7));
    this.set(7, 8, at(8));
    for (let index = 9; index < 15; index += 1) this.set(14 - index, 8, at(index));
    for (let index = 0; index < 8; index += 1) this.set(size - 1 - index, 8, at(index));
    for (let index = 8; index < 15; index += 1) this.set(8, size - 15 + index, at(index));
    this.set(8, size - 8, true);
  }

  /** From version 7: the version number and its BCH(18,6) check, twice. */
  private drawVersion(): void {
    if (this.version < 7) return;
    let remainder = this.version;
    for (let bit = 0; bit < 12; bit += 1) remainder = (remainder << 1) ^ ((remainder >>> 11) * 0x1f25);
    const bits = (this.version << 12) | remainder;
    for (let index = 0; index < 18; index += 1) {
      const dark = ((bits >>> index) & 1) === 1;
      const across = this.size - 11 + (index % 3);
      const down = Math.floor(index / 3);
      this.set(across, down, dark);
      this.set(down, across, dark);
    }
  }

  /** Places the codewords in the zigzag of two-module columns, from the bottom right. */
  drawCodewords(codewords: readonly number[]): void {
    const size = this.size;
    const totalBits = codewords.length * 8;
    let bitIndex = 0;
    for (let right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5; // the vertical timing pattern takes column 6
      const upward = ((right + 1) & 2) === 0;
      for (let step = 0; step < size; step += 1) {
        const y = upward ? size - 1 - step : step;
        for (let column = 0; column < 2; column += 1) {
          const x = right - column;
          if (this.fixed[y]![x]) continue;
          if (bitIndex < totalBits) {
            this.dark[y]![x] = ((codewords[bitIndex >>> 3]! >>> (7 - (bitIndex & 7))) & 1) === 1;
            bitIndex += 1;
          }
          // Remainder bits stay light.
        }
      }
    }
  }

  /** Free modules: what the data may fill. */
  freeModules(): number {
    return this.fixed.reduce((sum, row) => sum + row.filter((fixed) => !fixed).length, 0);
  }

  applyMask(mask: number): void {
    for (let y = 0; y < this.size; y += 1) {
      for (let x = 0; x < this.size; x += 1) {
        if (!this.fixed[y]![x] && maskBit(mask, x, y)) this.dark[y]![x] = !this.dark[y]![x];
      }
    }
  }
}

/** Whether mask `mask` flips the module at column `x`, row `y`. */
export function maskBit(mask: number, x: number, y: number): boolean {
  switch (mask) {
    case 0:
      return (x + y) % 2 === 0;
    case 1:
      return y % 2 === 0;
    case 2:
      return x % 3 === 0;
    case 3:
      return (x + y) % 3 === 0;
    case 4:
      return (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0;
    case 5:
      return ((x * y) % 2) + ((x * y) % 3) === 0;
    case 6:
      return (((x * y) % 2) + ((x * y) % 3)) % 2 === 0;
    default:
      return (((x + y) % 2) + ((x * y) % 3)) % 2 === 0;
  }
}

/** The penalty of a finished symbol (lower reads better): runs, blocks, finder-like patterns, balance. */
export function penalty(modules: readonly (readonly boolean[])[]): number {
  const size = modules.length;
  let score = 0;
  const lines: boolean[][] = [];
  for (let index = 0; index < size; index += 1) {
    lines.push([...modules[index]!]);
    lines.push(modules.map((row) => row[index]!));
  }
  for (const line of lines) {
    let run = 1;
    for (let index = 1; index <= size; index += 1) {
      if (index < size && line[index] === line[index - 1]) {
        run += 1;
        continue;
      }
      if (run >= 5) score += 3 + (run - 5);
      run = 1;
    }
    const text = line.map((dark) => (dark ? '1' : '0')).join('');
    for (const pattern of ['10111010000', '00001011101']) {
      for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + 1)) score += 40;
    }
  }
  let dark = 0;
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      if (modules[y]![x]) dark += 1;
      if (x + 1 < size && y + 1 < size) {
        const colour = modules[y]![x];
        if (modules[y]![x + 1] === colour && modules[y + 1]![x] === colour && modules[y + 1]![x + 1] === colour) score += 3;
      }
    }
  }
  const percent = (dark * 100) / (size * size);
  score += Math.floor(Math.abs(percent - 50) / 5) * 10;
  return score;
}

/** The QR symbol of `text` (UTF-8), with the mask of lowest penalty; throws when the text is too long. */
export function encodeQr(text: string, forcedMask?: number): QrMatrix {
  const bytes = new TextEncoder().encode(text);
  const version = versionFor(bytes.length);
  if (version === null) throw new RangeError(`text of ${bytes.length} bytes is too long for a QR code of version ${MAX_VERSION}`);
  const codewords = finalCodewords(dataCodewords(bytes, version), version);
  let best: QrMatrix | null = null;
  let bestScore = Infinity;
  const masks = forcedMask === undefined ? [0, 1, 2, 3, 4, 5, 6, 7] : [forcedMask];
  for (const mask of masks) {
    const grid = new Grid(version);
    grid.drawFunctionPatterns();
    grid.drawCodewords(codewords);
    grid.applyMask(mask);
    grid.drawFormat(mask);
    const score = penalty(grid.dark);
    if (score < bestScore) {
      bestScore = score;
      best = { version, size: grid.size, mask, modules: grid.dark };
    }
  }
  return best!;
}

/** The modules free for data in a version (a check on the layout: it must fit the codewords). */
export function freeModules(version: number): number {
  const grid = new Grid(version);
  grid.drawFunctionPatterns();
  return grid.freeModules();
}

/** The symbol as an SVG path (`M x y h1v1h-1z` per dark module), with a 4-module quiet zone. */
export function qrPath(matrix: QrMatrix, quiet = 4): string {
  const parts: string[] = [];
  matrix.modules.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) parts.push(`M${x + quiet} ${y + quiet}h1v1h-1z`);
    }),
  );
  return parts.join('');
}
