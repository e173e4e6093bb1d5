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

process.on('message', async (task: ExtractionTask) => {
  let reply: ExtractionReply;
  try {
    const blocks = await extractBlocks(task.bytes, task.type, task.limits);
    reply = { ok: true, chunks: chunkBlocks(blocks, task.chunking) };
  } catch (err) {
    // Only an AppError's message is meant for the uploader; anything else is for the log.
    reply = err instanceof AppError
      ? { ok: false, code: err.code, message: err.message }
      : { ok: false, code: 'internal', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
  process.send?.(reply);
});
