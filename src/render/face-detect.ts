import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UgcError } from '../core/errors.js';

/** A point in image pixels. */
export type Point = [number, number];

/** The contours of one face that the talking rig needs, in image pixels. */
export interface FaceLandmarks {
  /** The detector's face box. */
  box: { x: number; y: number; width: number; height: number };
  lipsUpperInner: Point[];
  lipsLowerInner: Point[];
  lipsUpperOuter: Point[];
  lipsLowerOuter: Point[];
  /** Each eye's upper and lower lid line (corner to corner) and the lower edge of its brow. */
  eyes: { upper: Point[]; lower: Point[]; brow: Point[] }[];
  /** The face outline, all the way round. */
  silhouette: Point[];
  noseBottom: Point;
}

/** An RGB image, 3 bytes a pixel, row after row. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

// The parts of @vladmandic/human this module uses (the package's own types pull in all of TensorFlow.js).
interface Tensor {
  dispose(): void;
}
interface HumanFace {
  score: number;
  box: [number, number, number, number];
  annotations: Record<string, number[][]>;
}
interface Human {
  tf: {
    tensor4d(data: Uint8Array, shape: number[], dtype: 'int32'): Tensor;
    io: {
      registerLoadRouter(router: (url: string | string[]) => unknown): void;
      getModelArtifactsForJSON(json: unknown, loadWeights: (manifest: WeightGroup[]) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
    };
  };
  load(): Promise<void>;
  detect(input: Tensor): Promise<{ face: HumanFace[] }>;
}
interface WeightGroup {
  paths: string[];
  weights: unknown[];
}

const require = createRequire(import.meta.url);
/** Models are served from the package's own folder under this made-up scheme: nothing is fetched. */
const MODEL_SCHEME = 'ugc-human-models://';
/** A face the detector is less sure of than this is not animated (a false face talking is worse than none). */
const MIN_SCORE = 0.6;

let human: Promise<Human> | undefined;

/**
 * Human's Node build for the WebAssembly backend. Its package exports no subpaths, so the build is loaded by
 * path; the wasm binaries come from @tensorflow/tfjs-backend-wasm and the detector and mesh weights from
 * Human's `models/` folder, read from disk through a TensorFlow.js load router.
 */
function getHuman(): Promise<Human> {
  human ??= (async () => {
    const packageDir = dirname(dirname(require.resolve('@vladmandic/human')));
    const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    const { Human } = require(join(packageDir, 'dist', 'human.node-wasm.js')) as { Human: new (config: unknown) => Human };
    const instance = new Human({
      backend: 'wasm',
      wasmPath: `${wasmDir}/`,
      modelBasePath: MODEL_SCHEME,
      debug: false,
      // Every call looks at its image afresh: no caching between calls, no skipped frames.
      cacheSensitivity: 0,
      skipAllowed: false,
      face: {
        enabled: true,
        detector: { rotation: true, maxDetected: 1, skipFrames: 0, minConfidence: 0.3 },
        mesh: { enabled: true },
        iris: { enabled: false },
        emotion: { enabled: false },
        description: { enabled: false },
        antispoof: { enabled: false },
        liveness: { enabled: false },
      },
      body: { enabled: false },
      hand: { enabled: false },
      object: { enabled: false },
      gesture: { enabled: false },
      segmentation: { enabled: false },
    });
    const models = join(packageDir, 'models');
    const { io } = instance.tf;
    io.registerLoadRouter((url) => {
      if (typeof url !== 'string' || !url.startsWith(MODEL_SCHEME)) return null;
      const file = join(models, url.slice(MODEL_SCHEME.length));
      return {
        load: async () =>
          io.getModelArtifactsForJSON(JSON.parse(await readFile(file, 'utf8')), async (manifest) => {
            const weights = manifest.flatMap((group) => group.weights);
            const buffers = await Promise.all(manifest.flatMap((group) => group.paths.map((p) => readFile(join(dirname(file), p)))));
            const all = Buffer.concat(buffers);
            return [weights, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
          }),
      };
    });
    await instance.load();
    return instance;
  })().catch((error: unknown) => {
    human = undefined;
    throw new UgcError(`could not start the face detector: ${String(error)}`, { cause: error });
  });
  return human;
}

const points = (list: number[][] | undefined): Point[] => (list ?? []).map((p) => [p[0] ?? 0, p[1] ?? 0]);

/** The most prominent face in the image, or null when there is none. */
export async function detectFace(image: RgbImage): Promise<FaceLandmarks | null> {
  const detector = await getHuman();
  const tensor = detector.tf.tensor4d(image.data, [1, image.height, image.width, 3], 'int32');
  let faces: HumanFace[];
  try {
    faces = (await detector.detect(tensor)).face;
  } finally {
    tensor.dispose();
  }
  const face = faces.find((f) => f.score >= MIN_SCORE);
  if (!face) return null;
  const a = face.annotations;
  const [x, y, width, height] = face.box;
  return {
    box: { x, y, width, height },
    lipsUpperInner: points(a.lipsUpperInner),
    lipsLowerInner: points(a.lipsLowerInner),
    lipsUpperOuter: points(a.lipsUpperOuter),
    lipsLowerOuter: points(a.lipsLowerOuter),
    eyes: [
      { upper: points(a.rightEyeUpper0), lower: points(a.rightEyeLower0), brow: points(a.rightEyebrowLower) },
      { upper: points(a.leftEyeUpper0), lower: points(a.leftEyeLower0), brow: points(a.leftEyebrowLower) },
    ],
    silhouette: points(a.silhouette),
    noseBottom: points(a.noseBottom)[0] ?? [x + width / 2, y + height * 0.65],
  };
}
