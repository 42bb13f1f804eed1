// Append times of the records not yet forwarded, oldest first: the spool's depth and the age of
// its oldest event. A head index instead of Array.shift() keeps dropping a batch O(batch).
export class TimeQueue {
  #items: number[];
  #head = 0;

  constructor(items: readonly number[] = []) {
    this.#items = [...items];
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  get oldest(): number | undefined {
    return this.#items[this.#head];
  }

  push(time: number): void {
    this.#items.push(time);
  }

  drop(count: number): void {
    this.#head = Math.min(this.#items.length, this.#head + count);
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
