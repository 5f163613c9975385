import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createDeflateRaw } from 'node:zlib';

/**
 * Writes a zip (APPNOTE.TXT 6.3.10) straight to a file, one entry at a time, with ZIP64 records
 * (4.3.14, 4.5.3) where sizes or offsets pass 4 GiB: a data folder's photos easily do, and fflate's
 * `Zip` writes 32-bit fields only. Deflate runs in node:zlib (off the main thread), input is
 * streamed with backpressure, and the local header is filled in afterwards by a positional write, so
 * no data descriptors are needed and the file is never held in memory.
 */

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const END64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;
const MAX32 = 0xffffffff;
const UTF8_FLAG = 1 << 11;
/** Unix (3) in the high byte of "version made by", so readers take the mode from the external attributes. */
const MADE_BY_UNIX = 3 << 8;
const REGULAR_FILE_MODE = 0o100644;
/** Past this many raw bytes an entry gets ZIP64 sizes in its local header (deflate may grow it a little). */
const ZIP64_LOCAL_THRESHOLD = 0xf0000000;

interface Written {
  name: Buffer;
  method: number;
  crc: number;
  packed: number;
  size: number;
  offset: number;
}

/** What was written for an entry: its uncompressed size and SHA-256 (hex), for the manifest. */
export interface EntryDigest {
  size: number;
  sha256: string;
}

export class ZipWriter {
  private position = 0;
  private readonly entries: Written[] = [];
  private readonly dosTime: number;
  private readonly dosDate: number;

  /**
   * @param file an open, empty file; the writer does not close it.
   * @param time the modification time of every entry (zip times are local-less DOS times: UTC here).
   * @param forceZip64 write ZIP64 records for every entry, as an entry past 4 GiB gets them (tests).
   */
  constructor(
    private readonly file: FileHandle,
    time: Date,
    private readonly forceZip64 = false,
  ) {
    const year = Math.min(Math.max(time.getUTCFullYear(), 1980), 2107);
    this.dosDate = ((year - 1980) << 9) | ((time.getUTCMonth() + 1) << 5) | time.getUTCDate();
    this.dosTime = (time.getUTCHours() << 11) | (time.getUTCMinutes() << 5) | (time.getUTCSeconds() >> 1);
  }

  /** Adds `bytes` as `name`. */
  addBytes(name: string, bytes: Uint8Array, options: { deflate: boolean }): Promise<EntryDigest> {
    return this.add(name, Readable.from([bytes]), { ...options, expectedSize: bytes.length });
  }

  /**
   * Adds what `source` gives as `name`. `expectedSize` (from stat) decides whether the local header
   * gets ZIP64 sizes; the real size is whatever the source gave.
   */
  async add(
    nameText: string,
    source: Readable,
    options: { deflate: boolean; expectedSize: number },
  ): Promise<EntryDigest> {
    const name = Buffer.from(nameText, 'utf8');
    const zip64 = this.forceZip64 || options.expectedSize >= ZIP64_LOCAL_THRESHOLD;
    const method = options.deflate ? 8 : 0;
    const offset = this.position;
    const header = Buffer.alloc(30 + name.length + (zip64 ? 20 : 0));
    header.writeUInt32LE(LOCAL, 0);
    header.writeUInt16LE(zip64 ? 45 : 20, 4);
    header.writeUInt16LE(UTF8_FLAG, 6);
    header.writeUInt16LE(method, 8);
    header.writeUInt16LE(this.dosTime, 10);
    header.writeUInt16LE(this.dosDate, 12);
    // crc and sizes (14..25) are filled in once the data is written
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(zip64 ? 20 : 0, 28);
    name.copy(header, 30);
    if (zip64) {
      header.writeUInt16LE(0x0001, 30 + name.length);
      header.writeUInt16LE(16, 32 + name.length);
    }
    await this.write(header);

    const start = this.position;
    const hash = createHash('sha256');
    let crc = 0;
    let size = 0;
    const tap = async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        crc = crc32(chunk, crc);
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    };
    const sink = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await this.write(chunk);
    };
    if (options.deflate) await pipeline(source, tap, createDeflateRaw({ level: 6 }), sink);
    else await pipeline(source, tap, sink);
    const packed = this.position - start;

    const patch = Buffer.alloc(12);
    patch.writeUInt32LE(crc >>> 0, 0);
    if (zip64) {
      patch.writeUInt32LE(MAX32, 4);
      patch.writeUInt32LE(MAX32, 8);
      const sizes = Buffer.alloc(16);
      sizes.writeBigUInt64LE(BigInt(size), 0);
      sizes.writeBigUInt64LE(BigInt(packed), 8);
      await this.file.write(sizes, 0, 16, offset + 34 + name.length);
    } else {
      if (packed >= MAX32 || size >= MAX32) {
        throw new Error(`${nameText} grew past 4 GiB while it was being read: it cannot be stored.`);
      }
      patch.writeUInt32LE(packed, 4);
      patch.writeUInt32LE(size, 8);
    }
    await this.file.write(patch, 0, 12, offset + 14);
    this.entries.push({ name, method, crc: crc >>> 0, packed, size, offset });
    return { size, sha256: hash.digest('hex') };
  }

  /** Writes the central directory and the end records; returns the archive's size. */
  async finish(): Promise<number> {
    const directoryStart = this.position;
    for (const e of this.entries) await this.write(this.centralRecord(e));
    const directorySize = this.position - directoryStart;
    const count = this.entries.length;
    const zip64 = this.forceZip64 || count >= 0xffff || directoryStart >= MAX32 || directorySize >= MAX32;
    if (zip64) {
      const end64 = Buffer.alloc(56 + 20);
      end64.writeUInt32LE(END64, 0);
      end64.writeBigUInt64LE(44n, 4);
      end64.writeUInt16LE(MADE_BY_UNIX | 45, 12);
      end64.writeUInt16LE(45, 14);
      end64.writeBigUInt64LE(BigInt(count), 24);
      end64.writeBigUInt64LE(BigInt(count), 32);
      end64.writeBigUInt64LE(BigInt(directorySize), 40);
      end64.writeBigUInt64LE(BigInt(directoryStart), 48);
      end64.writeUInt32LE(LOCATOR64, 56);
      end64.writeBigUInt64LE(BigInt(this.position), 64);
      end64.writeUInt32LE(1, 72);
      await this.write(end64);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END, 0);
    end.writeUInt16LE(zip64 ? 0xffff : count, 8);
    end.writeUInt16LE(zip64 ? 0xffff : count, 10);
    end.writeUInt32LE(zip64 ? MAX32 : directorySize, 12);
    end.writeUInt32LE(zip64 ? MAX32 : directoryStart, 16);
    await this.write(end);
    return this.position;
  }

  private centralRecord(e: Written): Buffer {
    // ZIP64 extra (4.5.3): only the fields whose 32-bit slot says 0xFFFFFFFF, in this order.
    const big = this.forceZip64;
    const wide = [big || e.size >= MAX32, big || e.packed >= MAX32, big || e.offset >= MAX32];
    const extra64 = wide.filter(Boolean).length * 8;
    const extraLength = extra64 > 0 ? 4 + extra64 : 0;
    const record = Buffer.alloc(46 + e.name.length + extraLength);
    record.writeUInt32LE(CENTRAL, 0);
    record.writeUInt16LE(MADE_BY_UNIX | 45, 4);
    record.writeUInt16LE(extra64 > 0 ? 45 : 20, 6);
    record.writeUInt16LE(UTF8_FLAG, 8);
    record.writeUInt16LE(e.method, 10);
    record.writeUInt16LE(this.dosTime, 12);
    record.writeUInt16LE(this.dosDate, 14);
    record.writeUInt32LE(e.crc, 16);
    record.writeUInt32LE(wide[1] ? MAX32 : e.packed, 20);
    record.writeUInt32LE(wide[0] ? MAX32 : e.size, 24);
    record.writeUInt16LE(e.name.length, 28);
    record.writeUInt16LE(extraLength, 30);
    record.writeUInt32LE((REGULAR_FILE_MODE << 16) >>> 0, 38);
    record.writeUInt32LE(wide[2] ? MAX32 : e.offset, 42);
    e.name.copy(record, 46);
    if (extraLength > 0) {
      let at = 46 + e.name.length;
      record.writeUInt16LE(0x0001, at);
      record.writeUInt16LE(extra64, at + 2);
      at += 4;
      for (const [i, value] of [e.size, e.packed, e.offset].entries()) {
        if (!wide[i]) continue;
        record.writeBigUInt64LE(BigInt(value), at);
        at += 8;
      }
    }
    return record;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.file.write(bytes, done, bytes.length - done, this.position + done);
      done += bytesWritten;
    }
    this.position += bytes.length;
  }
}
