import { describe, expect, it } from 'vitest';
import { alignWords, splitScriptWords, textForSpeech, type SpeechEvent } from '../src/render/timings.js';
import type { WordTiming } from '../src/render/types.js';

const word = (textPosition: number, ms: number): SpeechEvent => ({ type: 'word', text_position: textPosition, audio_position: ms });
const end = (textPosition: number, ms: number): SpeechEvent => ({ type: 'end', text_position: textPosition, audio_position: ms });
const phoneme = (id: string, ms: number): SpeechEvent => ({ type: 'phoneme', text_position: 1, audio_position: ms, id });

function expectWellFormed(timings: WordTiming[], from: number, to: number): void {
  timings.forEach((t, i) => {
    expect(t.start).toBeGreaterThanOrEqual(from);
    expect(t.end).toBeGreaterThan(t.start);
    expect(t.end).toBeLessThanOrEqual(to);
    const next = timings[i + 1];
    if (next) expect(t.end).toBeLessThanOrEqual(next.start);
  });
}

describe('splitScriptWords', () => {
  it('splits on whitespace, keeps punctuation and gives code-point offsets', () => {
    expect(splitScriptWords('  Wow,  it\'s 𝐀\ngreat! ')).toEqual([
      { text: 'Wow,', cpStart: 2, cpEnd: 6 },
      { text: "it's", cpStart: 8, cpEnd: 12 },
      { text: '𝐀', cpStart: 13, cpEnd: 14 },
      { text: 'great!', cpStart: 15, cpEnd: 21 },
    ]);
  });
});

describe('textForSpeech', () => {
  it('removes emoji, skin tones, ZWJ sequences, flags and keycaps', () => {
    const script = 'Love it 😍🔥 so much 👍🏽! ❤️ my 👩‍👩‍👧 fam 🇺🇸 #️⃣ great😍deal';
    const cleaned = textForSpeech(script);
    expect(cleaned).not.toMatch(/\p{Extended_Pictographic}|\p{Regional_Indicator}|\p{Emoji_Modifier}|\u200D|\uFE0F|\u20E3/u);
    expect(splitScriptWords(script).map((w) => w.text)).toEqual(['Love', 'it', 'so', 'much!', 'my', 'fam', '#', 'great', 'deal']);
  });

  it('leaves accented and non-Latin text alone', () => {
    expect(textForSpeech('café déjà vu — ¿qué? 1,5 € über')).toBe('café déjà vu — ¿qué? 1,5 € über');
  });
});

describe('alignWords', () => {
  it('fills words eSpeak merged into the previous one', () => {
    // Real events for this text: "been" and "am" have none.
    const words = splitScriptWords('I have been using this and I am genuinely');
    const events = [word(1, 0), word(3, 77), word(13, 440), word(19, 764), word(24, 952), word(28, 1140), word(33, 1300), end(42, 1800)];
    const timings = alignWords(words, events, 1.9);
    expect(timings.map((t) => t.text)).toEqual(['I', 'have', 'been', 'using', 'this', 'and', 'I', 'am', 'genuinely']);
    expect(timings[1]?.start).toBe(0.077);
    expect(timings[2]?.start).toBeCloseTo(0.077 + (0.44 - 0.077) / 2); // "have" and "been" are the same length
    expect(timings[3]?.start).toBe(0.44);
    expect(timings[7]?.start).toBeGreaterThan(1.14);
    expect(timings[7]?.start).toBeLessThan(1.3);
    expect(timings[8]?.end).toBe(1.8);
    expectWellFormed(timings, 0, 1.9);
  });

  it('maps an "It\'s" split (events at "It" and "t") to one word', () => {
    const words = splitScriptWords("It's great");
    const timings = alignWords(words, [word(1, 0), word(2, 150), word(6, 231), end(11, 800)], 0.9);
    expect(timings.map((t) => [t.text, t.start])).toEqual([
      ["It's", 0],
      ['great', 0.231],
    ]);
  });

  it('gives a misplaced last-word event (previous position + 1) to the next word', () => {
    // Real events for "how good it is": the event for "is" points into "it".
    const words = splitScriptWords('how good it is');
    const timings = alignWords(words, [word(1, 0), word(5, 189), word(10, 396), word(11, 538), end(14, 846)], 0.9);
    expect(timings.map((t) => t.start)).toEqual([0, 0.189, 0.396, 0.538]);
    expect(timings[3]?.end).toBe(0.846);
  });

  it('uses code-point positions, so accented words map right', () => {
    const words = splitScriptWords('café déjà vu, 𝐀 c\'est');
    const events = [word(1, 0), word(6, 373), word(11, 643), word(15, 900), word(17, 1000)];
    expect(alignWords(words, events, 1.5).map((t) => [t.text, t.start])).toEqual([
      ['café', 0],
      ['déjà', 0.373],
      ['vu,', 0.643],
      ['𝐀', 0.9],
      ["c'est", 1],
    ]);
  });

  it('ends a word at a pause before the next one', () => {
    const words = splitScriptWords('Wait, what?');
    const events = [word(1, 0), phoneme('w', 0), phoneme('t', 314), phoneme('', 359), phoneme('', 509), end(6, 509), word(7, 509), phoneme('w', 509), phoneme('', 832), end(12, 1133)];
    expect(alignWords(words, events, 1.2)).toEqual([
      { text: 'Wait,', start: 0, end: 0.359 },
      { text: 'what?', start: 0.509, end: 0.832 },
    ]);
  });

  it('keeps an event-less word before the pause that ends its clause', () => {
    // Real events for "So that's it. Wait, what?": "it." has no word event.
    const words = splitScriptWords("So that's it. Wait, what?");
    const events = [word(1, 0), word(4, 207), phoneme('t', 693), phoneme('', 739), end(14, 1040), word(15, 1040), end(20, 1549), word(21, 1549), end(25, 1879)];
    const timings = alignWords(words, events, 1.95);
    expect(timings[2]?.text).toBe('it.');
    expect(timings[2]?.start).toBeGreaterThan(0.207);
    expect(timings[2]?.end).toBe(0.739);
    expect(timings[3]?.start).toBe(1.04);
    expect(timings[4]).toEqual({ text: 'what?', start: 1.549, end: 1.879 });
    expectWellFormed(timings, 0, 1.95);
  });

  it('spreads words over the whole duration by length when there are no events', () => {
    const timings = alignWords(splitScriptWords('one three fives'), [], 2.6);
    expect(timings[0]?.start).toBe(0);
    expect(timings[1]?.start).toBeCloseTo(0.6);
    expect(timings[2]?.start).toBeCloseTo(1.6);
    expect(timings[2]?.end).toBe(2.6);
    expectWellFormed(timings, 0, 2.6);
  });

  it('stays monotonic and covering with out-of-order, duplicate and out-of-range events', () => {
    const words = splitScriptWords('a b c d e f g');
    const events = [word(13, 100), word(3, 500), word(3, 500), word(5, 400), word(99, 700), word(7, 9000), end(99, 5000)];
    const timings = alignWords(words, events, 1);
    expect(timings).toHaveLength(7);
    expectWellFormed(timings, 0, 1);
  });

  it('keeps tiny durations strictly increasing', () => {
    const words = splitScriptWords('x '.repeat(50));
    const timings = alignWords(words, [word(1, 0), word(3, 0), word(5, 0)], 0.01);
    expect(timings).toHaveLength(50);
    expectWellFormed(timings, 0, 0.01);
  });

  it('returns nothing for no words', () => {
    expect(alignWords([], [word(1, 0)], 1)).toEqual([]);
  });
});
