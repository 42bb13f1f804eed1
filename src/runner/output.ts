// Bounded capture of a child's output: the head and the tail are kept (the start shows what
// ran, the end shows why it stopped), the middle is counted and dropped.
export class BoundedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(keepBytes: number) {
    this.tailLimit = Math.floor(keepBytes / 4);
    this.headLimit = keepBytes - this.tailLimit;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const headRoom = this.headLimit - this.headBytes;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0 || this.tailLimit === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    this.trimTail();
  }

  get omitted(): number {
    return this.total - this.headBytes - this.tailBytes;
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    const gap = this.omitted > 0 ? `\n[... ${this.omitted} bytes of output omitted ...]\n` : '';
    return head + gap + tail;
  }

  /** The last `bytes` bytes kept (for messages), decoded leniently. */
  lastBytes(bytes: number): string {
    const all = Buffer.concat([...this.head, ...this.tail]);
    return all.subarray(Math.max(0, all.length - bytes)).toString('utf8');
  }

  private trimTail(): void {
    let excess = this.tailBytes - this.tailLimit;
    while (excess > 0) {
      const first = this.tail[0];
      if (first === undefined) return;
      if (first.length <= excess) {
        this.tail.shift();
        excess -= first.length;
        this.tailBytes -= first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        excess = 0;
      }
    }
  }
}
