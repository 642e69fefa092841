/**
 * MFCC-like features for aligning two recordings of the same words: frames every 10 ms, a Hamming window,
 * a power spectrum by FFT, a mel filterbank over the band every voice has (telephone-quality recordings
 * included), logs, and a DCT down to 13 cepstral coefficients. Plus each frame's energy, for finding pauses.
 */

export const HOP_SECONDS = 0.01;
/** About 23 ms: a 512-point FFT at 22.05 kHz. */
const WINDOW_SECONDS = 0.023;
const MEL_FILTERS = 26;
export const CEPSTRA = 13;
const LOW_HZ = 80;
const HIGH_HZ = 7600;
const PRE_EMPHASIS = 0.97;

export interface Features {
  frames: number;
  /** `frames` x `CEPSTRA` coefficients, row-major. */
  cepstra: Float32Array;
  /** Each frame's energy in dB (full scale = 0); digital silence is about -100. */
  energyDb: Float32Array;
  /** Seconds from the start of the audio to the centre of frame 0; frame k is centred at offset + k * HOP_SECONDS. */
  offsetSeconds: number;
}

export function extractFeatures(samples: Float32Array, sampleRate: number): Features {
  const hop = Math.round(sampleRate * HOP_SECONDS);
  const windowLength = Math.round(sampleRate * WINDOW_SECONDS);
  let fftSize = 2;
  while (fftSize < windowLength) fftSize *= 2;
  const frames = samples.length < windowLength ? 0 : 1 + Math.floor((samples.length - windowLength) / hop);
  const window = hamming(windowLength);
  const filters = melFilterbank(fftSize, sampleRate);
  const dct = dctMatrix(MEL_FILTERS, CEPSTRA);
  const fft = new RealFft(fftSize);
  const frame = new Float64Array(fftSize);
  const power = new Float64Array(fftSize / 2 + 1);
  const logMel = new Float64Array(MEL_FILTERS);
  const cepstra = new Float32Array(frames * CEPSTRA);
  const energyDb = new Float32Array(frames);

  for (let f = 0; f < frames; f++) {
    const at = f * hop;
    let energy = 0;
    for (let n = 0; n < windowLength; n++) {
      const x = samples[at + n] ?? 0;
      energy += x * x;
      const emphasised = x - PRE_EMPHASIS * (n > 0 || at > 0 ? (samples[at + n - 1] ?? 0) : 0);
      frame[n] = emphasised * (window[n] ?? 0);
    }
    frame.fill(0, windowLength);
    energyDb[f] = 10 * Math.log10(energy / windowLength + 1e-10);
    fft.powerSpectrum(frame, power);
    for (let m = 0; m < MEL_FILTERS; m++) {
      const filter = filters[m];
      let sum = 0;
      if (filter) for (let k = 0; k < filter.weights.length; k++) sum += (filter.weights[k] ?? 0) * (power[filter.firstBin + k] ?? 0);
      logMel[m] = Math.log(sum + 1e-10);
    }
    for (let c = 0; c < CEPSTRA; c++) {
      let sum = 0;
      for (let m = 0; m < MEL_FILTERS; m++) sum += (dct[c * MEL_FILTERS + m] ?? 0) * (logMel[m] ?? 0);
      cepstra[f * CEPSTRA + c] = sum;
    }
  }
  return { frames, cepstra, energyDb, offsetSeconds: windowLength / 2 / sampleRate };
}

/**
 * The chosen frames' cepstra, each coefficient shifted and scaled to zero mean and unit variance over
 * `statsFrames` (cepstral mean and variance normalisation): it removes most of what differs between two
 * voices and two microphones, and keeps what the words have in common.
 */
export function normalisedRows(features: Features, rows: Int32Array, statsFrames: Int32Array): Float32Array {
  const { cepstra } = features;
  const stats = statsFrames.length > 0 ? statsFrames : rows;
  const mean = new Float64Array(CEPSTRA);
  const variance = new Float64Array(CEPSTRA);
  for (const f of stats) for (let c = 0; c < CEPSTRA; c++) mean[c] = (mean[c] ?? 0) + (cepstra[f * CEPSTRA + c] ?? 0) / stats.length;
  for (const f of stats) {
    for (let c = 0; c < CEPSTRA; c++) {
      const d = (cepstra[f * CEPSTRA + c] ?? 0) - (mean[c] ?? 0);
      variance[c] = (variance[c] ?? 0) + (d * d) / stats.length;
    }
  }
  const scale = Array.from(variance, (v) => 1 / Math.sqrt(v + 1e-6));
  const out = new Float32Array(rows.length * CEPSTRA);
  rows.forEach((f, r) => {
    for (let c = 0; c < CEPSTRA; c++) out[r * CEPSTRA + c] = ((cepstra[f * CEPSTRA + c] ?? 0) - (mean[c] ?? 0)) * (scale[c] ?? 1);
  });
  return out;
}

function hamming(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) w[n] = 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (length - 1));
  return w;
}

const toMel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
const fromMel = (mel: number) => 700 * (10 ** (mel / 2595) - 1);

interface MelFilter {
  firstBin: number;
  weights: Float64Array;
}

/** Triangular filters evenly spaced on the mel scale between LOW_HZ and HIGH_HZ (or Nyquist, if lower). */
function melFilterbank(fftSize: number, sampleRate: number): MelFilter[] {
  const high = Math.min(HIGH_HZ, sampleRate / 2);
  const lowMel = toMel(LOW_HZ);
  const step = (toMel(high) - lowMel) / (MEL_FILTERS + 1);
  const edges = Array.from({ length: MEL_FILTERS + 2 }, (_, i) => fromMel(lowMel + i * step));
  const binHz = sampleRate / fftSize;
  return Array.from({ length: MEL_FILTERS }, (_, m) => {
    const [left, centre, right] = [edges[m] ?? 0, edges[m + 1] ?? 0, edges[m + 2] ?? 0];
    const firstBin = Math.ceil(left / binHz);
    const lastBin = Math.floor(right / binHz);
    const weights = new Float64Array(Math.max(0, lastBin - firstBin + 1));
    for (let k = firstBin; k <= lastBin; k++) {
      const hz = k * binHz;
      weights[k - firstBin] = hz <= centre ? (hz - left) / (centre - left) : (right - hz) / (right - centre);
    }
    return { firstBin, weights };
  });
}

/** DCT-II basis (orthonormal scaling is irrelevant after normalisation), `count` rows of `size`. */
function dctMatrix(size: number, count: number): Float64Array {
  const m = new Float64Array(size * count);
  for (let c = 0; c < count; c++) for (let n = 0; n < size; n++) m[c * size + n] = Math.cos((Math.PI * c * (n + 0.5)) / size);
  return m;
}

/**
 * Power spectrum of a real frame of `size` (a power of two) samples: one complex FFT of size/2 over the
 * even and odd samples packed as real and imaginary parts, then the split into the real signal's spectrum.
 */
export class RealFft {
  private readonly half: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly reversed: Uint32Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(readonly size: number) {
    if (size < 4 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two >= 4, got ${size}`);
    this.half = size / 2;
    this.re = new Float64Array(this.half);
    this.im = new Float64Array(this.half);
    this.reversed = new Uint32Array(this.half);
    const bits = Math.log2(this.half);
    for (let i = 0; i < this.half; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.reversed[i] = r;
    }
    // Twiddles of the full size: the half-size FFT uses every other one.
    this.cos = new Float64Array(this.half + 1);
    this.sin = new Float64Array(this.half + 1);
    for (let k = 0; k <= this.half; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /** `out[k]` = |X[k]|^2 for k = 0..size/2. */
  powerSpectrum(input: Float64Array, out: Float64Array): void {
    const { half, re, im, reversed, cos, sin } = this;
    for (let i = 0; i < half; i++) {
      const r = reversed[i] ?? 0;
      re[r] = input[2 * i] ?? 0;
      im[r] = input[2 * i + 1] ?? 0;
    }
    for (let span = 1; span < half; span *= 2) {
      const stride = half / span; // twiddle index step in the full-size table, times 2 for the half size
      for (let start = 0; start < half; start += 2 * span) {
        for (let k = 0; k < span; k++) {
          const t = k * stride;
          const wr = cos[t] ?? 1;
          const wi = -(sin[t] ?? 0);
          const a = start + k;
          const b = a + span;
          const br = re[b] ?? 0;
          const bi = im[b] ?? 0;
          const xr = br * wr - bi * wi;
          const xi = br * wi + bi * wr;
          re[b] = (re[a] ?? 0) - xr;
          im[b] = (im[a] ?? 0) - xi;
          re[a] = (re[a] ?? 0) + xr;
          im[a] = (im[a] ?? 0) + xi;
        }
      }
    }
    for (let k = 0; k <= half; k++) {
      const k1 = k % half;
      const k2 = (half - k) % half;
      const zr = re[k1] ?? 0;
      const zi = im[k1] ?? 0;
      const cr = re[k2] ?? 0;
      const ci = -(im[k2] ?? 0);
      // Even part E = (Z[k] + conj Z[N/2-k]) / 2, odd part O = (Z[k] - conj Z[N/2-k]) / 2i; X = E + W^k O.
      const er = (zr + cr) / 2;
      const ei = (zi + ci) / 2;
      const or = (zi - ci) / 2;
      const oi = -(zr - cr) / 2;
      const wr = cos[k] ?? 1;
      const wi = -(sin[k] ?? 0);
      const xr = er + wr * or - wi * oi;
      const xi = ei + wr * oi + wi * or;
      out[k] = xr * xr + xi * xi;
    }
  }
}
