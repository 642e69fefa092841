import type { WordTiming } from './types.js';

/** A display word of the script; `cpStart`/`cpEnd` are 0-based code-point offsets into `textForSpeech(script)`. */
export interface ScriptWord {
  text: string;
  cpStart: number;
  cpEnd: number;
}

/** The parts of an eSpeak NG event that alignment reads. */
export interface SpeechEvent {
  type: string;
  /** Milliseconds from the start of the audio. */
  audio_position: number;
  /** 1-based code-point index into the text that was spoken. */
  text_position: number;
  /** Phoneme name for `phoneme` events; empty for a pause. */
  id?: string | number | undefined;
}

// Runs of emoji and the characters that glue them together (variation selectors, ZWJ, skin tones, keycaps,
// flags, tags); the second form also takes the space before a run that punctuation follows.
const PICTOGRAPH = String.raw`(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\p{Regional_Indicator}|[\u{FE00}-\u{FE0F}]|\u{200D}|\u{20E3}|[\u{E0020}-\u{E007F}])+`;
const PICTOGRAPHS = new RegExp(PICTOGRAPH, 'gu');
const PICTOGRAPHS_BEFORE_PUNCTUATION = new RegExp(String.raw`\s*${PICTOGRAPH}(?=\p{P})`, 'gu');

/**
 * The text given to the speech engine: the script with emoji removed (eSpeak would read their names aloud).
 * A run of them becomes one space, so "great😍love" stays two words, or nothing before punctuation, so
 * "wow 😍!" becomes "wow!". Offsets change, so word splitting works on this cleaned text too, and captions
 * show the words without emoji.
 */
export function textForSpeech(script: string): string {
  return script.replace(PICTOGRAPHS_BEFORE_PUNCTUATION, '').replace(PICTOGRAPHS, ' ');
}

/** The script split on whitespace (punctuation stays attached), with offsets into `textForSpeech(script)`. */
export function splitScriptWords(script: string): ScriptWord[] {
  const chars = [...textForSpeech(script)];
  const words: ScriptWord[] = [];
  let start = -1;
  for (let i = 0; i <= chars.length; i++) {
    const char = chars[i];
    const space = char === undefined || /\s/u.test(char);
    if (!space && start < 0) start = i;
    if (space && start >= 0) {
      words.push({ text: chars.slice(start, i).join(''), cpStart: start, cpEnd: i });
      start = -1;
    }
  }
  return words;
}

function charCount(word: ScriptWord): number {
  return word.cpEnd - word.cpStart;
}

/** Index of the word containing code point `cp`, or of the next word when `cp` falls between words. */
function wordAt(words: ScriptWord[], cp: number): number | undefined {
  const index = words.findIndex((w) => cp < w.cpEnd);
  return index < 0 ? undefined : index;
}

function isPause(event: SpeechEvent): boolean {
  return event.type === 'phoneme' && (event.id === '' || event.id === '_' || event.id === '_:');
}

/** A clause end: `wordsBefore` words precede it; speech stops at `pause` and the next clause starts at `resume`. */
interface Clause {
  wordsBefore: number;
  pause: number;
  resume: number;
}

/**
 * One timing per script word from eSpeak NG events. eSpeak skips words it merges with the previous one
 * ("have been" → one event) and sometimes reports a clause's last word at the previous word's position + 1;
 * such an extra event is given to the next word when that word has no event of its own. Words left
 * without an event share the time between their neighbours' starts in proportion to their length,
 * stopping at the pause when a clause ends after them.
 */
export function alignWords(words: ScriptWord[], events: SpeechEvent[], totalSeconds: number): WordTiming[] {
  const n = words.length;
  if (n === 0) return [];
  if (!(totalSeconds > 0)) throw new RangeError(`alignWords needs a positive duration, got ${totalSeconds}`);

  const starts: (number | undefined)[] = new Array<number | undefined>(n).fill(undefined);
  const wordEvents = events.filter((e) => e.type === 'word');
  const eventWords = wordEvents.map((e) => wordAt(words, e.text_position - 1));
  let last = -1;
  wordEvents.forEach((event, k) => {
    const time = event.audio_position / 1000;
    let index = eventWords[k];
    if (index === undefined || time > totalSeconds) return;
    if (index <= last) {
      const nextEventWord = eventWords.slice(k + 1).find((w) => w !== undefined);
      index = last + 1;
      if (index >= n || (nextEventWord !== undefined && nextEventWord <= index)) return;
    }
    const previous = last >= 0 ? starts[last] : undefined;
    if (previous !== undefined && time <= previous) return;
    starts[index] = time;
    last = index;
  });

  // Pauses start where a silent phoneme follows a voiced one. An `end` event's time is where the next
  // clause starts, so the clause's own pause is the last one since its last word event (or the end itself).
  const pauses: number[] = [];
  const clauses: Clause[] = [];
  let voiced = false;
  let lastWordTime = 0;
  for (const event of events) {
    const time = event.audio_position / 1000;
    if (event.type === 'word') lastWordTime = time;
    if (event.type === 'phoneme') {
      if (isPause(event) && voiced) pauses.push(time);
      voiced = !isPause(event);
    }
    if (event.type === 'end') {
      const lastPause = pauses.at(-1);
      const pause = lastPause !== undefined && lastPause > lastWordTime ? lastPause : time;
      if (pause === time) pauses.push(time);
      const wordsBefore = words.filter((w) => w.cpStart < event.text_position - 1).length;
      clauses.push({ wordsBefore, pause: Math.min(pause, totalSeconds), resume: time });
    }
  }
  for (const clause of clauses) {
    const index = clause.wordsBefore;
    if (index >= n || starts[index] !== undefined) continue;
    const before = starts.slice(0, index).findLast((t) => t !== undefined) ?? -1;
    const after = starts.slice(index).find((t) => t !== undefined) ?? totalSeconds;
    if (clause.resume > before && clause.resume < after) starts[index] = clause.resume;
  }
  const endTimes = clauses.map((c) => c.resume);
  const finalEnd = Math.min(totalSeconds, endTimes.length > 0 ? Math.max(...endTimes) : totalSeconds);
  fillGaps(words, starts, finalEnd, clauses);

  // Strictly increasing starts within [0, totalSeconds), however odd the events were.
  const step = Math.min(0.01, totalSeconds / (2 * n + 1));
  const s: number[] = [];
  let floor = 0;
  for (const t of starts) {
    floor = Math.max(t ?? 0, floor);
    s.push(floor);
    floor += step;
  }
  let ceiling = totalSeconds;
  for (let i = n - 1; i >= 0; i--) {
    ceiling = Math.min(s[i] ?? 0, ceiling - step);
    s[i] = ceiling;
  }

  // A word ends where the next begins, or earlier where a pause starts between them.
  return words.map((word, i) => {
    const start = s[i] ?? 0;
    const limit = i < n - 1 ? (s[i + 1] ?? totalSeconds) : Math.max(finalEnd, start + step);
    const pause = pauses.find((p) => p > start && p < limit);
    return { text: word.text, start, end: pause ?? limit };
  });
}

/** Gives every word without a start one, spreading each gap by character length (pure spread if no starts). */
function fillGaps(words: ScriptWord[], starts: (number | undefined)[], finalEnd: number, clauses: Clause[]): void {
  let i = 0;
  while (i < starts.length) {
    if (starts[i] !== undefined) {
      i++;
      continue;
    }
    let j = i;
    while (j < starts.length && starts[j] === undefined) j++;
    // Words i..j-1 are unknown; share the span from the previous known start (or 0) to the next (or the end).
    const first = i > 0 ? i - 1 : i;
    const from = i > 0 ? (starts[i - 1] ?? 0) : 0;
    let to = j < starts.length ? (starts[j] ?? finalEnd) : finalEnd;
    const clause = clauses.find((c) => c.wordsBefore === j && c.pause > from);
    if (clause) to = Math.min(to, clause.pause);
    const span = words.slice(first, j);
    const total = span.reduce((sum, w) => sum + charCount(w), 0);
    let done = 0;
    span.forEach((word, k) => {
      starts[first + k] = from + ((to - from) * done) / total;
      done += charCount(word);
    });
    i = j;
  }
}
