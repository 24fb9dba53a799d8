// Metric cells kept by Swiftlet itself, so that recording an event is a map lookup and a number increment: no label
// object, no hash string, no prom-client on the hot path. prom-client reads them only when /metrics is scraped.

type Node = Map<string, unknown>;

/** One labelled series: its label set (built once, when the series first appears) and its cell. */
export interface Series<C> {
  labels: Record<string, string>;
  cell: C;
}

/**
 * Cells by label values (up to three labels), in nested maps: finding an existing series allocates nothing.
 * Label values must come from a bounded set (configured names, outcomes, codes), never from user input.
 */
export class Family<C> {
  readonly labelNames: readonly string[];
  readonly series: Series<C>[] = [];
  #make: () => C;
  #root: Node = new Map();

  constructor(labelNames: readonly string[], make: () => C) {
    if (labelNames.length < 1 || labelNames.length > 3) throw new RangeError('a family has one to three labels');
    this.labelNames = labelNames;
    this.#make = make;
  }

  get(a: string, b = '', c = ''): C {
    const depth = this.labelNames.length;
    let v = this.#root.get(a);
    if (depth > 1) {
      if (v === undefined) return this.#add(a, b, c);
      v = (v as Node).get(b);
      if (depth > 2) {
        if (v === undefined) return this.#add(a, b, c);
        v = (v as Node).get(c);
      }
    }
    return v === undefined ? this.#add(a, b, c) : (v as C);
  }

  #add(a: string, b: string, c: string): C {
    const values = [a, b, c].slice(0, this.labelNames.length);
    let node = this.#root;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]!) as Node | undefined;
      if (next === undefined) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    const cell = this.#make();
    node.set(values.at(-1)!, cell);
    const labels: Record<string, string> = {};
    this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
    this.series.push({ labels, cell });
    return cell;
  }
}

/** A counter or gauge value. */
export interface Value {
  value: number;
}

export const newValue = (): Value => ({ value: 0 });

/** Observations by bucket: `counts[i]` counts values in (bounds[i-1], bounds[i]]; larger ones only reach `count`. */
export class Buckets {
  readonly bounds: readonly number[];
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  observe(v: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (v <= bounds[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}
