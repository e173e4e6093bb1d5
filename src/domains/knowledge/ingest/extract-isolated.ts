import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppError, type ErrorCode } from '../../../kernel/errors.js';
import type { Chunk, ChunkOptions } from './chunk.js';
import { type ContentType, FORMAT_LABELS } from './content-types.js';
import { INGEST_LIMITS, type IngestLimits } from './limits.js';

export interface ExtractionTask {
  bytes: Uint8Array;
  type: ContentType;
  chunking: ChunkOptions;
  limits: IngestLimits;
}
/** A document's chunks come in parts (`more` until the last); an error ends the reply. */
export type ExtractionReply =
  | { ok: true; chunks: Chunk[]; more: boolean }
  | { ok: false; code: ErrorCode; message: string };

/**
 * The extraction process died (out of memory, stopped at the time limit, or crashed). `retryOnce`
 * says whether trying again could help: time depends on the machine's load, memory use does not.
 */
export class ExtractionStopped extends Error {
  constructor(
    message: string,
    readonly retryOnce: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExtractionStopped';
  }
}

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const ENTRY = fileURLToPath(new URL(FROM_SOURCE ? './extract.worker.ts' : './extract.worker.js', import.meta.url));

/**
 * A child process, not a worker thread: a worker's heap limit is best effort (some allocation
 * patterns abort the whole process instead of the worker, nodejs/node#47224), and a document
 * must never take the server down.
 */
function spawn(limits: IngestLimits): ChildProcess {
  // From TypeScript sources (tests, benches) the child loads the entry through tsx, as the parent did.
  const execArgv = [
    `--max-old-space-size=${limits.workerHeapMb}`,
    '--max-semi-space-size=16',
    ...(FROM_SOURCE ? ['--import', 'tsx'] : []),
  ];
  return fork(ENTRY, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
}

// One idle process is kept: starting one and loading pdf.js costs about a second.
let idle: { child: ChildProcess; heapMb: number } | undefined;

function take(limits: IngestLimits): ChildProcess {
  const reuse = idle?.heapMb === limits.workerHeapMb && idle.child.connected ? idle.child : undefined;
  if (!reuse) idle?.child.kill('SIGKILL');
  idle = undefined;
  const child = reuse ?? spawn(limits);
  child.ref();
  child.channel?.ref();
  return child;
}

function putBack(child: ChildProcess, limits: IngestLimits): void {
  if (idle || !child.connected) {
    child.kill('SIGKILL');
    return;
  }
  // An idle extractor never keeps the server's process alive.
  child.unref();
  child.channel?.unref();
  idle = { child, heapMb: limits.workerHeapMb };
  child.once('exit', () => {
    if (idle?.child === child) idle = undefined;
  });
}

/**
 * Extracts and chunks a document in a separate process bounded by `limits` (heap, wall time, and
 * the extractors' own bounds). Throws the extractor's AppError for a bad or oversized document,
 * ExtractionStopped when the process had to be stopped or died.
 */
export function extractChunks(
  bytes: Uint8Array,
  type: ContentType,
  chunking: ChunkOptions,
  limits: IngestLimits = INGEST_LIMITS,
): Promise<Chunk[]> {
  const label = FORMAT_LABELS[type];
  const child = take(limits);
  return new Promise<Chunk[]>((resolve, reject) => {
    let settled = false;
    const settle = (keep: boolean, outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
      if (keep) putBack(child, limits);
      else child.kill('SIGKILL');
      outcome();
    };
    const stopped = (message: string, retryOnce: boolean, cause?: unknown) => () =>
      reject(new ExtractionStopped(message, retryOnce, { cause }));
    const timer = setTimeout(
      settle,
      limits.maxWallMs,
      false,
      stopped(
        `Reading the ${label} took longer than ${limits.maxWallMs / 1000} s, the limit for one document; it was stopped`,
        true,
      ),
    );
    const received: Chunk[][] = [];
    const onMessage = (reply: ExtractionReply) => {
      if (reply.ok && reply.more) received.push(reply.chunks);
      else if (reply.ok) settle(true, () => resolve(received.concat([reply.chunks]).flat()));
      else if (reply.code !== 'internal') settle(true, () => reject(new AppError(reply.code, reply.message)));
      else
        settle(false, stopped(`The ${label} could not be read: the extractor failed`, true, new Error(reply.message)));
    };
    // V8 aborts a process that reaches its heap limit (SIGABRT, or exit code 134 through a shell).
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(
        false,
        signal === 'SIGABRT' || code === 134
          ? stopped(
              `Reading the ${label} needs more than ${limits.workerHeapMb} MB of memory, the limit for one document; it was stopped`,
              false,
            )
          : stopped(
              `The ${label} could not be read: the extractor stopped unexpectedly (${signal ?? `exit code ${code}`})`,
              true,
            ),
      );
    const onError = (err: Error) =>
      settle(false, stopped(`The ${label} could not be read: the extractor could not start`, true, err));
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
    child.send({ bytes, type, chunking, limits: { ...limits } } satisfies ExtractionTask);
  });
}
