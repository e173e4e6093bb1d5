// The extraction process's entry: extracts and chunks one document per message. It runs apart
// from the server, under its own heap limit, so a hostile document can only take this process
// down (the server sees it and fails the document).
import { AppError } from '../../../kernel/errors.js';
import { chunkBlocks } from './chunk.js';
import { extractBlocks } from './extract.js';
import type { ExtractionReply, ExtractionTask } from './extract-isolated.js';

if (!process.send) throw new Error('extract.worker runs only as a child process with an IPC channel');
// The server went away: nothing more will come.
process.on('disconnect', () => process.exit(0));

// Sent in parts: the server decodes each part between other work instead of all at once.
const PART = 2000;

process.on('message', async (task: ExtractionTask) => {
  let reply: ExtractionReply;
  try {
    const chunks = chunkBlocks(await extractBlocks(task.bytes, task.type, task.limits), task.chunking);
    for (let at = 0; at + PART < chunks.length; at += PART)
      process.send?.({ ok: true, chunks: chunks.slice(at, at + PART), more: true } satisfies ExtractionReply);
    reply = { ok: true, chunks: chunks.slice(Math.max(0, Math.ceil(chunks.length / PART) - 1) * PART), more: false };
  } catch (err) {
    // Only an AppError's message is meant for the uploader; anything else is for the log.
    reply =
      err instanceof AppError
        ? { ok: false, code: err.code, message: err.message }
        : { ok: false, code: 'internal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  process.send?.(reply);
});
