/**
 * One structural unit of a document, in reading order. List items and code blocks are paragraphs.
 * `jsonPath` (JSON only) is where the block's value sits in the document, e.g. `$.items[3]`.
 */
export type Block =
  | { kind: 'heading'; level: number; text: string; page?: number }
  | { kind: 'paragraph'; text: string; page?: number; jsonPath?: string }
  | { kind: 'table'; header: string[] | null; rows: string[][]; page?: number; firstRow?: number; jsonPath?: string };
