/** Where a progress line goes: a stream that may be a terminal. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line progress indicator for long operations: a spinner, a count and the time spent. It is
 * drawn only on a terminal (a pipe or a log file gets nothing, so output stays clean for scripts)
 * and only once the operation has lasted `delayMs`, so quick commands print nothing extra.
 */
export class Progress {
  readonly #stream: ProgressStream;
  readonly #label: string;
  readonly #enabled: boolean;
  readonly #delayMs: number;
  readonly #started = Date.now();
  #count = 0;
  #frame = 0;
  #drawnAt = 0;
  #drawn = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: ProgressStream, label: string, options: { delayMs?: number } = {}) {
    this.#stream = stream;
    this.#label = label;
    this.#enabled = stream.isTTY === true;
    this.#delayMs = options.delayMs ?? 500;
    if (this.#enabled) {
      // Redrawn on a timer too, so that a single long call (a purge) still shows it is alive.
      this.#timer = setInterval(() => this.#draw(true), 200);
      this.#timer.unref();
    }
  }

  /** Count `n` more items done. */
  tick(n = 1): void {
    this.#count += n;
    this.#draw(false);
  }

  /** Remove the line; call it before printing the result. */
  done(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) this.#stream.write('\r\u001b[2K');
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    if (!this.#enabled || this.#timer === undefined) return;
    const now = Date.now();
    if (now - this.#started < this.#delayMs) return;
    if (!force && now - this.#drawnAt < 100) return;
    this.#drawnAt = now;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    const seconds = ((now - this.#started) / 1000).toFixed(1);
    const count = this.#count > 0 ? ` ${this.#count.toLocaleString('en')} records` : '';
    this.#stream.write(`\r\u001b[2K${FRAMES[this.#frame]} ${this.#label}${count} (${seconds} s)`);
    this.#drawn = true;
  }
}
