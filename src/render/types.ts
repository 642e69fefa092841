/** Shapes shared by the local render pipeline's modules. Times are in seconds. */

export const ASPECTS = ['9:16', '16:9', '1:1'] as const;
export type Aspect = (typeof ASPECTS)[number];

export const CAPTION_STYLES = ['karaoke', 'clean', 'none'] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];

export interface FrameSize {
  width: number;
  height: number;
}

export const FRAME_SIZES: Record<Aspect, FrameSize> = {
  '9:16': { width: 1080, height: 1920 },
  '16:9': { width: 1920, height: 1080 },
  '1:1': { width: 1080, height: 1080 },
};

/** One word of the script as spoken: `text` is the word as written in the script (punctuation kept). */
export interface WordTiming {
  text: string;
  start: number;
  end: number;
}

/** One phoneme as spoken (eSpeak's IPA name, stress marks kept); a pause has the phoneme "". Times in seconds. */
export interface PhonemeTiming {
  phoneme: string;
  start: number;
  end: number;
}
