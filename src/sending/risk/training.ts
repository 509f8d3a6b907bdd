import { seededRandom } from '../../lib/seeded-random.ts';
import {
  createLinearModel,
  MODEL_FORMAT,
  modelChecksum,
  type LinearModel,
  type LinearModelFile,
} from './linear-model.ts';
import { compileCues, DEFAULT_FEATURE_OPTIONS, extractFeatures, featureValue, hashFeature, type FeatureOptions, type IntentCues } from './text-features.ts';

/**
 * Deterministic training of {@link LinearModelFile}s: the same rows and options give the same
 * bytes, on any machine (float64 arithmetic in a fixed order, a seeded shuffle, int16 weights).
 */

export interface TrainingExample {
  id: string;
  text: string;
  purpose?: string;
  label: string;
  /** Importance of the example in the loss (hard negatives may count more). */
  weight?: number;
  /** Features computed outside the text (the rules that fired), see {@link LinearModel.predict}. */
  extra?: string[];
}

export interface TrainingOptions {
  task: string;
  version: string;
  classes: string[];
  positiveClasses: string[];
  buckets: number;
  usePurpose: boolean;
  features?: FeatureOptions;
  cues?: IntentCues;
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
  /** Extra loss weight per class (defaults to 1). */
  classWeights?: Record<string, number>;
  training?: Record<string, unknown>;
}

interface Encoded {
  idx: Int32Array;
  x: Float64Array;
  y: number;
  weight: number;
}

function encode(examples: TrainingExample[], options: TrainingOptions): Encoded[] {
  const features = options.features ?? DEFAULT_FEATURE_OPTIONS;
  const cues = options.cues === undefined ? undefined : compileCues(options.cues);
  return examples.map((e) => {
    const { names } = extractFeatures(e.text, options.usePurpose ? e.purpose : undefined, features, e.extra, cues);
    const idx = new Int32Array(names.length);
    const x = new Float64Array(names.length);
    names.forEach((n, i) => {
      idx[i] = hashFeature(n, options.buckets);
      x[i] = featureValue(n, names.length, features);
    });
    const y = options.classes.indexOf(e.label);
    if (y < 0) throw new Error(`example ${e.id}: label "${e.label}" is not one of ${options.classes.join(', ')}`);
    const classWeight = options.classWeights?.[e.label] ?? 1;
    return { idx, x, y, weight: (e.weight ?? 1) * classWeight };
  });
}

/** Multinomial logistic regression by AdaGrad SGD with L2, in float64. */
export function fitWeights(
  examples: TrainingExample[],
  options: TrainingOptions,
): { weights: Float64Array[]; bias: number[] } {
  const k = options.classes.length;
  const data = encode(
    [...examples].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    options,
  );
  const weights = options.classes.map(() => new Float64Array(options.buckets));
  const g2 = options.classes.map(() => new Float64Array(options.buckets).fill(1e-8));
  const bias = new Float64Array(k);
  const g2b = new Float64Array(k).fill(1e-8);
  const random = seededRandom(options.seed);
  const order = data.map((_, i) => i);
  const logits = new Float64Array(k);
  const grad = new Float64Array(k);
  const lr = options.learningRate;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    for (const n of order) {
      const ex = data[n] as Encoded;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const w = weights[c] as Float64Array;
        let z = 0;
        for (let i = 0; i < ex.idx.length; i++) z += (w[ex.idx[i] as number] as number) * (ex.x[i] as number);
        logits[c] = z + (bias[c] as number);
        if ((logits[c] as number) > max) max = logits[c] as number;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) {
        logits[c] = Math.exp((logits[c] as number) - max);
        sum += logits[c] as number;
      }
      for (let c = 0; c < k; c++) grad[c] = ((logits[c] as number) / sum - (c === ex.y ? 1 : 0)) * ex.weight;
      for (let c = 0; c < k; c++) {
        const gc = grad[c] as number;
        const w = weights[c] as Float64Array;
        const g = g2[c] as Float64Array;
        for (let i = 0; i < ex.idx.length; i++) {
          const j = ex.idx[i] as number;
          const wj = w[j] as number;
          const step = gc * (ex.x[i] as number) + options.l2 * wj;
          g[j] = (g[j] as number) + step * step;
          w[j] = wj - (lr * step) / Math.sqrt(g[j] as number);
        }
        g2b[c] = (g2b[c] as number) + gc * gc;
        bias[c] = (bias[c] as number) - (lr * gc) / Math.sqrt(g2b[c] as number);
      }
    }
  }
  return { weights, bias: [...bias] };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Trains and quantizes: the returned file is what `policies/*-model.json` holds. */
export function trainModelFile(examples: TrainingExample[], options: TrainingOptions): LinearModelFile {
  const { weights, bias } = fitWeights(examples, options);
  const scale: number[] = [];
  const bytes = Buffer.alloc(options.classes.length * options.buckets * 2);
  weights.forEach((w, c) => {
    let maxAbs = 0;
    for (let i = 0; i < w.length; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i] as number));
    const s = maxAbs === 0 ? 1 : Number((maxAbs / 32767).toPrecision(9));
    scale.push(s);
    for (let i = 0; i < w.length; i++) {
      const q = Math.max(-32767, Math.min(32767, Math.round((w[i] as number) / s)));
      bytes.writeInt16LE(q, (c * options.buckets + i) * 2);
    }
  });
  const file: Omit<LinearModelFile, 'sha256'> = {
    format: MODEL_FORMAT,
    ...describeModel(options),
    scale,
    bias: bias.map((b) => round(b, 9)),
    weights: bytes.toString('base64'),
    training: {
      examples: examples.length,
      epochs: options.epochs,
      learning_rate: options.learningRate,
      l2: options.l2,
      seed: options.seed,
      ...(options.classWeights ? { class_weights: options.classWeights } : {}),
      ...options.training,
    },
  };
  return { ...file, sha256: modelChecksum(file) };
}

/** Unquantized model straight from training (for tuning loops that never write a file). */
export function trainInMemory(examples: TrainingExample[], options: TrainingOptions): LinearModel {
  const { weights, bias } = fitWeights(examples, options);
  return createLinearModel({ ...describeModel(options), bias }, weights);
}

/** The fields of a model file that come straight from the training options. */
function describeModel(
  options: TrainingOptions,
): Pick<LinearModelFile, 'task' | 'version' | 'classes' | 'positive_classes' | 'buckets' | 'features'> {
  return {
    task: options.task,
    version: options.version,
    classes: options.classes,
    positive_classes: options.positiveClasses,
    buckets: options.buckets,
    features: {
      ...(options.features ?? DEFAULT_FEATURE_OPTIONS),
      purpose: options.usePurpose,
      ...(options.cues ? { cues: options.cues } : {}),
    },
  };
}
