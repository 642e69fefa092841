/**
 * The short-video platforms an ad is made for, and what each one's upload spec asks of a file. `ugc
 * check` reads these; the layout's safe zones per platform belong beside them.
 *
 * Every figure names its source. Where a platform's documents are silent, the spec only advises what all
 * three recommend (MP4, H.264, AAC, 4:2:0, 9:16 at 1080x1920): a warning, never a failure.
 */

export const PLATFORMS = ['tiktok', 'reels', 'shorts', 'generic'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** What breaking a rule costs: `fail` when the platform refuses or misfiles the upload, `warn` when it only advises. */
export type Severity = 'fail' | 'warn';

/** Values a platform takes: one outside `accepted` fails (absent: the documents set no limit); accepted but not `recommended` warns. */
export interface Choice {
  readonly accepted?: readonly string[];
  readonly recommended: readonly string[];
}

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

export interface UploadSpec {
  readonly title: string;
  /** `mp4`, `mov`, `3gp` (told apart by the ISO file's brand), else ffprobe's first format name (`matroska`, `avi`…). */
  readonly containers: Choice;
  /** ffprobe codec names. */
  readonly videoCodecs: Choice;
  /** What a picture whose chroma is not subsampled 4:2:0 gets. */
  readonly chroma420: Severity;
  readonly audio: {
    readonly codecs: Choice;
    /** No audio track fails when required, else warns. */
    readonly required: boolean;
    readonly maxSampleRate?: number;
    readonly maxChannels?: number;
  };
  /** Frames per second: outside fails; with `standard`, a rate that is none of them (nor its NTSC 1000/1001 form) warns. */
  readonly fps: Bounds & { readonly standard?: readonly number[] };
  /** Pixels: the short side at least `minShortSide` and each side at most its maximum, else fail; a short side under `recommendedShortSide` warns. */
  readonly resolution: { readonly minShortSide?: number; readonly maxWidth?: number; readonly maxHeight?: number; readonly recommendedShortSide: number };
  /** Display aspect as width / height: outside `accepted` fails, any other than 9:16 warns. */
  readonly aspect: { readonly accepted: Bounds };
  /** Length in seconds: outside fails; outside `suggested` warns. */
  readonly seconds: Bounds & { readonly suggested?: Bounds };
  /** Video bitrate in kbit/s: under `warnUnder` warns, over `failOver` fails. */
  readonly videoKbps: { readonly warnUnder?: number; readonly failOver?: number };
  /** Decimal megabytes (10^6 bytes): the stricter reading of a limit written "500MB". */
  readonly maxBytes: number;
  /** What a file whose `moov` box comes after its `mdat` (no "fast start") gets. */
  readonly faststart: Severity;
  readonly sources: readonly string[];
}

/** The shape every platform wants: portrait 9:16. */
export const IDEAL_ASPECT = 9 / 16;

/**
 * Loudness, the same for every platform. None of the three publishes a loudness rule; -14 LUFS integrated
 * is where YouTube's playback normalisation lands and the common target for mobile streaming (AES TD1008),
 * and a true peak at most -1 dBTP leaves room for the platform's own lossy re-encode. The renderer aims at
 * the same level (`render/audio.ts`). Within `passWithin` LU passes, within `warnWithin` LU warns.
 */
export const UPLOAD_LOUDNESS = { integrated: -14, passWithin: 1, warnWithin: 3, maxTruePeak: -1 } as const;

const MB = 1_000_000;

/** YouTube's common frame rates ("other frame rates are also acceptable"). */
const YOUTUBE_FRAME_RATES = [24, 25, 30, 48, 50, 60];

const SOURCES = {
  tiktokAds: 'TikTok Ads Manager, "Video ads specifications", TikTok in-feed ads: https://ads.tiktok.com/help/article/video-ads-specifications',
  tiktokApi: 'TikTok for Developers, Content Posting API "Media Transfer Guide", video restrictions: https://developers.tiktok.com/doc/content-posting-api-media-transfer-guide',
  reels: 'Meta, Instagram Graph API "IG User Media" reference, Reels specifications: https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media',
  youtubeEncoding: 'YouTube Help, "Recommended upload encoding settings": https://support.google.com/youtube/answer/1722171',
  shorts: 'YouTube Help, "Understand three-minute YouTube Shorts": https://support.google.com/youtube/answer/15424877',
  youtubeSize: 'YouTube Help, "Upload videos longer than 15 minutes" (256 GB or 12 hours): https://support.google.com/youtube/answer/71673',
};

export const UPLOAD_SPECS: Readonly<Record<Platform, UploadSpec>> = {
  tiktok: {
    title: 'TikTok in-feed ad',
    // Ads: .mp4 .mov .mpeg .3gp .avi; posting API: MP4 (recommended), WebM, MOV. Both take MP4 and MOV.
    containers: { accepted: ['mp4', 'mov'], recommended: ['mp4', 'mov'] },
    // Posting API: H.264 (recommended), H.265, VP8, VP9.
    videoCodecs: { accepted: ['h264', 'hevc', 'vp8', 'vp9'], recommended: ['h264'] },
    chroma420: 'warn',
    // Ads: "audio (required)"; no audio codec is named.
    audio: { codecs: { recommended: ['aac'] }, required: true },
    // Posting API: 23 to 60 FPS.
    fps: { min: 23, max: 60 },
    // Ads: at least 540x960 (9:16), 640x640 (1:1) or 960x540 (16:9); posting API: at most 4096 px a side.
    resolution: { minShortSide: 540, maxWidth: 4096, maxHeight: 4096, recommendedShortSide: 1080 },
    // Ads: 9:16, 1:1 or 16:9.
    aspect: { accepted: { min: 9 / 16, max: 16 / 9 } },
    // Ads: "Videos can be between 5-60s. We suggest short videos of 9-15s."
    seconds: { min: 5, max: 60, suggested: { min: 9, max: 15 } },
    // Ads: bitrate ≥516 kbps. Spark Ads (boosted organic posts) and the posting API set no floor: a warning.
    videoKbps: { warnUnder: 516 },
    // Ads: within 500MB.
    maxBytes: 500 * MB,
    faststart: 'warn',
    sources: [SOURCES.tiktokAds, SOURCES.tiktokApi],
  },
  reels: {
    title: 'Instagram Reels',
    // MOV or MP4 (MPEG-4 Part 14), no edit lists, moov atom at the front of the file.
    containers: { accepted: ['mp4', 'mov'], recommended: ['mp4', 'mov'] },
    // HEVC or H264, progressive scan, closed GOP, 4:2:0 chroma subsampling.
    videoCodecs: { accepted: ['h264', 'hevc'], recommended: ['h264', 'hevc'] },
    chroma420: 'fail',
    // AAC, 48 kHz sample rate maximum, 1 or 2 channels.
    audio: { codecs: { accepted: ['aac'], recommended: ['aac'] }, required: false, maxSampleRate: 48_000, maxChannels: 2 },
    // 23-60 FPS.
    fps: { min: 23, max: 60 },
    // At most 1920 columns; 1080x1920 recommended, 540x960 the least.
    resolution: { minShortSide: 540, maxWidth: 1920, recommendedShortSide: 1080 },
    // Between 0.01:1 and 10:1; 9:16 recommended to avoid cropping or blank space.
    aspect: { accepted: { min: 0.01, max: 10 } },
    // 3 seconds to 15 minutes.
    seconds: { min: 3, max: 15 * 60 },
    // Video bitrate: VBR, 25 Mbps maximum.
    videoKbps: { failOver: 25_000 },
    // 300MB maximum (later copies of the page say 1GB: the stricter figure is kept).
    maxBytes: 300 * MB,
    faststart: 'fail',
    sources: [SOURCES.reels],
  },
  shorts: {
    title: 'YouTube Shorts',
    // YouTube takes most formats; it recommends MP4 with the moov atom at the front (fast start).
    containers: { recommended: ['mp4', 'mov'] },
    // H.264, progressive, High profile, 4:2:0 recommended.
    videoCodecs: { recommended: ['h264'] },
    chroma420: 'warn',
    // AAC-LC, 48 or 96 kHz recommended.
    audio: { codecs: { recommended: ['aac'] }, required: false },
    fps: { standard: YOUTUBE_FRAME_RATES },
    resolution: { recommendedShortSide: 1080 },
    // Shorts: "a square or vertical aspect ratio, up to three minutes"; anything else is a regular video.
    aspect: { accepted: { max: 1 } },
    seconds: { max: 180 },
    videoKbps: {},
    maxBytes: 256_000 * MB,
    faststart: 'warn',
    sources: [SOURCES.shorts, SOURCES.youtubeEncoding, SOURCES.youtubeSize],
  },
  // The strictest rule of the three: a file that passes can go to any of them.
  generic: {
    title: 'TikTok, Reels and Shorts at once',
    containers: { accepted: ['mp4', 'mov'], recommended: ['mp4', 'mov'] },
    videoCodecs: { accepted: ['h264', 'hevc'], recommended: ['h264'] },
    chroma420: 'fail',
    audio: { codecs: { accepted: ['aac'], recommended: ['aac'] }, required: true, maxSampleRate: 48_000, maxChannels: 2 },
    fps: { min: 23, max: 60, standard: YOUTUBE_FRAME_RATES },
    resolution: { minShortSide: 540, maxWidth: 1920, maxHeight: 4096, recommendedShortSide: 1080 },
    aspect: { accepted: { min: 9 / 16, max: 1 } },
    seconds: { min: 5, max: 60, suggested: { min: 9, max: 15 } },
    videoKbps: { warnUnder: 516, failOver: 25_000 },
    maxBytes: 300 * MB,
    faststart: 'fail',
    sources: [SOURCES.tiktokAds, SOURCES.tiktokApi, SOURCES.reels, SOURCES.shorts, SOURCES.youtubeEncoding],
  },
};
