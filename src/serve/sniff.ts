/** What an upload is, by its first bytes (not by its name or the type the client claims). */

const ascii = (data: Buffer, start: number, end: number) => data.subarray(start, end).toString('latin1');

/** Bytes needed to tell every accepted type apart. */
export const SNIFF_BYTES = 12;

export interface Sniffed {
  mime: string;
  extension: string;
}

/** The document's image types: JPEG, PNG, WebP. */
export function sniffImage(data: Buffer): Sniffed | null {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { mime: 'image/png', extension: 'png' };
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return { mime: 'image/jpeg', extension: 'jpg' };
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WEBP') return { mime: 'image/webp', extension: 'webp' };
  return null;
}

/** The document's audio types: MP3 (an ID3 tag or an MPEG frame), WAV, M4A (ISO BMFF), OGG. */
export function sniffAudio(data: Buffer): Sniffed | null {
  if (data.length >= 12 && ascii(data, 0, 4) === 'RIFF' && ascii(data, 8, 12) === 'WAVE') return { mime: 'audio/wav', extension: 'wav' };
  if (data.length >= 3 && ascii(data, 0, 3) === 'ID3') return { mime: 'audio/mpeg', extension: 'mp3' };
  const second = data[1] ?? 0;
  if (data.length >= 2 && data[0] === 0xff && (second & 0xe0) === 0xe0 && (second & 0x06) !== 0) return { mime: 'audio/mpeg', extension: 'mp3' };
  if (data.length >= 8 && ascii(data, 4, 8) === 'ftyp') return { mime: 'audio/mp4', extension: 'm4a' };
  if (data.length >= 4 && ascii(data, 0, 4) === 'OggS') return { mime: 'audio/ogg', extension: 'ogg' };
  return null;
}
