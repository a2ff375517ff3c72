/** CPU time (user + system, microseconds) this process spends running `work` `reps` times. */
function cpuOf(work: () => void, reps: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < reps; i++) work();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Options of {@link growth}. */
export interface GrowthOptions {
  /** Rounds per size; the median of each is compared. Default 5. */
  rounds?: number;
  /** CPU time one round of the small input takes at least, in microseconds. Default 1000. */
  roundMicros?: number;
  /** Stop measuring once a round of the large input exceeds this many times the small median. */
  stopAbove?: number;
}

/**
 * How many times more CPU `large` costs than `small`: the median of several rounds of each,
 * interleaved so that drift affects both, each round repeating the work until the small input
 * has run for `roundMicros`. CPU time, not wall-clock time, so that other processes on the
 * machine do not count; a ratio, not a duration, so that the machine's speed does not count.
 * Returns early when two rounds of `large` are already more than twice `stopAbove`.
 */
export function growth(small: () => void, large: () => void, options: GrowthOptions = {}): number {
  const { rounds = 5, roundMicros = 1000, stopAbove = Number.POSITIVE_INFINITY } = options;
  // Warm up: compiled code, caches, lazily built tables.
  small();
  large();
  let reps = 1;
  while (cpuOf(small, reps) < roundMicros && reps < 1 << 20) reps *= 2;
  const smalls: number[] = [];
  const larges: number[] = [];
  for (let round = 0; round < rounds; round++) {
    smalls.push(cpuOf(small, reps));
    larges.push(cpuOf(large, reps));
    // Twice, so that one pause of the collector cannot end it.
    const floor = Math.max(1, median(smalls));
    if (larges.filter((l) => l / floor > stopAbove * 2).length >= 2) return median(larges) / floor;
  }
  return median(larges) / Math.max(1, median(smalls));
}
