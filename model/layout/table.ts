/**
 * The table mechanism of DESIGN.md §4: every structure that crosses the PCIe bus is one table of
 * field / offset / size / type, checked when the module loads. All offsets in the project come
 * from these tables.
 */

export type FieldType = 'u8' | 's8' | 'u16' | 'u32' | 'u64' | 'bytes';

const TYPE_SIZE: Record<Exclude<FieldType, 'bytes'>, number> = { u8: 1, s8: 1, u16: 2, u32: 4, u64: 8 };

export interface FieldSpec {
  readonly offset: number;
  readonly type: FieldType;
  /** required for 'bytes'; must match the type's size otherwise */
  readonly size?: number;
  readonly doc?: string;
}

export interface Field {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly type: FieldType;
  readonly doc: string;
}

export interface Layout<K extends string = string> {
  readonly name: string;
  /** total size in bytes, padding included */
  readonly size: number;
  readonly align: number;
  readonly fields: { readonly [P in K]: Field };
  /** fields sorted by offset */
  readonly list: readonly Field[];
}

export interface LayoutOptions {
  readonly size: number;
  /** alignment of the whole struct (default: largest natural field alignment) */
  readonly align?: number;
  /** packed structs may hold fields at unnatural offsets */
  readonly packed?: boolean;
}

/** Defines a table and checks it: fields inside the struct, no overlaps, natural alignment unless packed. */
export function defineLayout<const S extends Record<string, FieldSpec>>(
  name: string,
  opts: LayoutOptions,
  specs: S,
): Layout<Extract<keyof S, string>> {
  const list: Field[] = [];
  let maxAlign = 1;
  for (const [fname, spec] of Object.entries(specs)) {
    const natural = spec.type === 'bytes' ? undefined : TYPE_SIZE[spec.type];
    const size = spec.size ?? natural;
    if (size === undefined || !Number.isInteger(size) || size <= 0) {
      throw new Error(`layout ${name}.${fname}: missing or invalid size`);
    }
    if (natural !== undefined && size !== natural) {
      throw new Error(`layout ${name}.${fname}: size ${size} does not match type ${spec.type}`);
    }
    if (!Number.isInteger(spec.offset) || spec.offset < 0 || spec.offset + size > opts.size) {
      throw new Error(`layout ${name}.${fname}: [${spec.offset}, ${spec.offset + size}) outside struct of ${opts.size}`);
    }
    if (natural !== undefined && !opts.packed && spec.offset % natural !== 0) {
      throw new Error(`layout ${name}.${fname}: offset ${spec.offset} not aligned to ${natural}`);
    }
    if (natural !== undefined) maxAlign = Math.max(maxAlign, natural);
    list.push({ name: fname, offset: spec.offset, size, type: spec.type, doc: spec.doc ?? '' });
  }
  list.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < list.length; i++) {
    const prev = list[i - 1]!;
    const cur = list[i]!;
    if (prev.offset + prev.size > cur.offset) {
      throw new Error(`layout ${name}: ${prev.name} overlaps ${cur.name}`);
    }
  }
  const align = opts.align ?? maxAlign;
  if (!opts.packed && opts.size % align !== 0) {
    throw new Error(`layout ${name}: size ${opts.size} not a multiple of alignment ${align}`);
  }
  const fields = Object.fromEntries(list.map((f) => [f.name, f])) as { [P in Extract<keyof S, string>]: Field };
  return Object.freeze({ name, size: opts.size, align, fields, list: Object.freeze(list) });
}

export interface BitSpec {
  /** least significant bit index within the word */
  readonly lsb: number;
  readonly width: number;
  readonly doc?: string;
}

export interface BitField {
  readonly name: string;
  readonly lsb: number;
  readonly width: number;
  /** mask of the field's bits once shifted down (as bigint: widths up to 64) */
  readonly mask: bigint;
  readonly doc: string;
}

export interface BitLayout<K extends string = string> {
  readonly name: string;
  readonly width: number;
  readonly fields: { readonly [P in K]: BitField };
}

/** A bitfield table of a `width`-bit word, checked at load: fields inside the word, no overlaps. */
export function defineBits<const S extends Record<string, BitSpec>>(
  name: string,
  width: number,
  specs: S,
): BitLayout<Extract<keyof S, string>> {
  const fields: Record<string, BitField> = {};
  let used = 0n;
  for (const [fname, spec] of Object.entries(specs)) {
    if (spec.width <= 0 || spec.lsb < 0 || spec.lsb + spec.width > width) {
      throw new Error(`bits ${name}.${fname}: [${spec.lsb}, ${spec.lsb + spec.width}) outside ${width}-bit word`);
    }
    const mask = (1n << BigInt(spec.width)) - 1n;
    const placed = mask << BigInt(spec.lsb);
    if ((used & placed) !== 0n) throw new Error(`bits ${name}.${fname}: overlaps another field`);
    used |= placed;
    fields[fname] = Object.freeze({ name: fname, lsb: spec.lsb, width: spec.width, mask, doc: spec.doc ?? '' });
  }
  return Object.freeze({ name, width, fields: fields as { [P in Extract<keyof S, string>]: BitField } });
}

/** extract a bit field from a word */
export function getBits(word: bigint, f: BitField): bigint {
  return (word >> BigInt(f.lsb)) & f.mask;
}

/** place `value` into a word's bit field; values wider than the field are an error of our own code */
export function setBits(word: bigint, f: BitField, value: bigint): bigint {
  if (value < 0n || value > f.mask) throw new Error(`bits ${f.name}: value ${value} does not fit ${f.width} bits`);
  return (word & ~(f.mask << BigInt(f.lsb))) | (value << BigInt(f.lsb));
}

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** the page size of both sides (x86-64 host, the card's k1om): 4 KiB */
export const PAGE_SIZE = 4096;
