import { open } from 'node:fs/promises';

/** A top-level box of an ISO base media file (MP4, MOV, 3GP): its four-character type, where it starts and its size in bytes. */
export interface Mp4Box {
  type: string;
  offset: number;
  size: number;
}

export interface Mp4Layout {
  boxes: Mp4Box[];
  /** The `ftyp` box's major brand (`isom`, `mp42`, `qt  `…), or null when there is no `ftyp`. */
  brand: string | null;
}

const FOURCC = /^[\x20-\x7e]{4}$/;

/**
 * The top-level boxes of an ISO base media file in file order, read from their headers alone (a few
 * bytes per box, however large the file), or null when the file does not start with a box. Reading stops
 * at the first header that cannot be one (a truncated or corrupt file keeps the boxes before it).
 */
export async function readMp4Layout(path: string): Promise<Mp4Layout | null> {
  const handle = await open(path, 'r');
  try {
    const fileSize = (await handle.stat()).size;
    const header = Buffer.alloc(16);
    const boxes: Mp4Box[] = [];
    for (let offset = 0; offset + 8 <= fileSize; ) {
      const { bytesRead } = await handle.read(header, 0, 16, offset);
      const type = header.toString('latin1', 4, 8);
      if (bytesRead < 8 || !FOURCC.test(type)) break;
      const declared = header.readUInt32BE(0);
      let size: number;
      if (declared === 1) {
        // A 64-bit size follows the type.
        if (bytesRead < 16) break;
        size = Number(header.readBigUInt64BE(8));
      } else if (declared === 0) {
        size = fileSize - offset; // the box runs to the end of the file
      } else {
        size = declared;
      }
      if (size < 8 || offset + size > fileSize) break;
      boxes.push({ type, offset, size });
      offset += size;
    }
    if (boxes.length === 0) return null;
    const ftyp = boxes.find((box) => box.type === 'ftyp');
    let brand: string | null = null;
    if (ftyp && ftyp.size >= 12) {
      const { bytesRead } = await handle.read(header, 0, 4, ftyp.offset + 8);
      if (bytesRead === 4) brand = header.toString('latin1', 0, 4);
    }
    return { boxes, brand };
  } finally {
    await handle.close();
  }
}

/** "Fast start": the index (`moov`) comes before the media data (`mdat`), so a player or an upload can begin before the whole file has arrived. Null without a `moov`. */
export function isFaststart(layout: Mp4Layout): boolean | null {
  const moov = layout.boxes.findIndex((box) => box.type === 'moov');
  if (moov < 0) return null;
  const mdat = layout.boxes.findIndex((box) => box.type === 'mdat');
  return mdat < 0 || moov < mdat;
}
