interface Link<T> {
  value: T;
  prev: Link<T> | undefined;
  next: Link<T> | undefined;
}

/**
 * What is in flight, for a periodic sweep (the SSE keep-alive ticker), as a doubly linked list: each
 * entry is added and removed once per call. In a long-lived Set the same add and delete made V8
 * promote about 10 KB more per call to the old generation (a third more than without it, measured
 * with --trace-gc-nvp, bench/README.md), and every such byte is marked again by each major collection.
 */
export class InFlight<T> {
  private head: Link<T> | undefined;

  /** Adds `value`; the returned function removes it (once). */
  add(value: T): () => void {
    const link: Link<T> = { value, prev: undefined, next: this.head };
    if (this.head) this.head.prev = link;
    this.head = link;
    return () => {
      if (link.prev) link.prev.next = link.next;
      else if (this.head === link) this.head = link.next;
      if (link.next) link.next.prev = link.prev;
      link.prev = link.next = undefined;
    };
  }

  /** A snapshot: removing entries while going through it changes nothing in it. */
  values(): T[] {
    const values: T[] = [];
    for (let link = this.head; link; link = link.next) values.push(link.value);
    return values;
  }
}
