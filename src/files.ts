import { open, type FileHandle } from 'node:fs/promises';

/*
 * Whole-file reads and writes in one request to the file system (almost always).
 * fs/promises' readFile and writeFile move large files in 512 KiB pieces, each waiting
 * for a turn of the event loop: while request bodies were being decoded in between, a
 * 10 MB staged insert took 0.8 s to write and a 50 MB spool segment 0.4 s to read back,
 * all of it on the store's serial path (bench/RESULTS.md, session 9).
 */

/** Writes the buffers in order, as one writev (no copy into one buffer); returns the bytes written. */
export async function writeAll(fh: FileHandle, parts: Buffer[]): Promise<number> {
  let total = 0;
  for (const part of parts) total += part.length;
  const { bytesWritten } = await fh.writev(parts);
  // A short write (rare on a file) leaves the rest to write from where it stopped.
  for (let done = bytesWritten; done < total; ) {
    const n = (await fh.write(Buffer.concat(parts).subarray(done))).bytesWritten;
    if (n === 0) throw new Error(`write stopped at ${done} of ${total} bytes`);
    done += n;
  }
  return total;
}

/** Writes `data` to `file` (created or truncated). */
export async function writeWhole(file: string, data: Buffer): Promise<void> {
  const fh = await open(file, 'w');
  try {
    await writeAll(fh, [data]);
  } finally {
    await fh.close();
  }
}

/** Reads all of `file` (its size when opened: a file still being appended to is read up to there). */
export async function readWhole(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const data = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(data, done, size - done, done);
      if (bytesRead === 0) break; // shrank meanwhile: what was there
      done += bytesRead;
    }
    return data.subarray(0, done);
  } finally {
    await fh.close();
  }
}
