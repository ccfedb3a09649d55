/*
 * An NDJSON body built one document at a time, held as UTF-8 blocks of about 1 MiB: off the V8 heap
 * (a batch of short-lived JSON strings would otherwise age into the old generation), and few enough
 * blocks that sending them costs a handful of socket writes, not one per document.
 */

const BLOCK_BYTES = 1024 * 1024;

export class NdjsonBuffer {
  #blocks: Buffer[] = [];
  #lines: string[] = [];
  #lineBytes = 0;
  /** Documents added. */
  count = 0;
  /** Bytes of NDJSON held. */
  bytes = 0;

  add(doc: object): void {
    const line = `${JSON.stringify(doc)}\n`;
    const size = Buffer.byteLength(line);
    this.#lines.push(line);
    this.#lineBytes += size;
    this.bytes += size;
    this.count++;
    if (this.#lineBytes >= BLOCK_BYTES) this.#seal();
  }

  /** The body so far, as blocks to send in order; the buffer is left empty. */
  take(): Buffer[] {
    this.#seal();
    const blocks = this.#blocks;
    this.#blocks = [];
    this.count = 0;
    this.bytes = 0;
    return blocks;
  }

  #seal(): void {
    if (this.#lines.length === 0) return;
    this.#blocks.push(Buffer.from(this.#lines.join('')));
    this.#lines = [];
    this.#lineBytes = 0;
  }
}
