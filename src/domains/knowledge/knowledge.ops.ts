import { z } from 'zod';
import * as docs from './documents.service.js';
import { searchKnowledgeBases } from './search.service.js';
import * as kbs from './bases.service.js';
import { AppError } from '../../kernel/errors.js';
import { CursorInput, LimitInput, Timestamp, pageOutput, toPageOutput } from '../../operations/inputs.js';
import { destructive, idempotentWrite, readOnly, write } from '../../operations/presets.js';
import { defineOperation } from '../../operations/define.js';

const KnowledgeBase = z.object({
  id: z.string().describe('Knowledge base id (kb_...)'),
  name: z.string(),
  description: z.string().nullable(),
  language: z.string().describe('Text-search language: english, french, simple, ...'),
  chunk_size: z.number().int().describe('Target characters per indexed passage'),
  chunk_overlap: z.number().int().describe('Characters repeated from the previous passage of a section'),
  synonyms: z
    .array(z.array(z.string()))
    .describe('Groups of words or phrases kb_search treats as one another, e.g. [["refund","money back"]]'),
  document_count: z.number().int(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Document = z.object({
  id: z.string().describe('Document id (doc_...)'),
  knowledge_base_id: z.string(),
  name: z.string(),
  content_type: z.string(),
  size_bytes: z.number().int(),
  content_hash: z.string().describe('SHA-256 of the content; the same content is not ingested twice'),
  status: z.enum(['processing', 'ready', 'failed']).describe('ready: searchable; failed: see error'),
  progress: z.number().int().describe('0-100 while processing'),
  error: z.string().nullable().describe('Why ingestion failed'),
  chunk_count: z.number().int().describe('Indexed passages'),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const SearchResult = z.object({
  chunk_id: z.string(),
  content: z.string().describe('The passage'),
  score: z.number().describe('Relevance from 0 to 1, comparable within one response'),
  snippet: z.string().describe('The best-matching part, with matched words in **bold**'),
  document_id: z.string(),
  document_name: z.string(),
  knowledge_base_id: z.string(),
  location: z
    .record(z.string(), z.unknown())
    .describe('Where the passage is, to cite it: page, heading_path, rows or json_path'),
});

const KbIdInput = z.string().min(1).max(64).describe('Knowledge base id (kb_...), as returned by list_knowledge_bases');
const DocIdInput = z.string().min(1).max(64).describe('Document id (doc_...)');
const Language = z
  .string()
  .min(1)
  .max(64)
  .describe(
    'Text-search language (a PostgreSQL configuration): english, french, german, spanish, simple, ... The default for ' +
      'documents whose language is not detected (simple: no stemming and no detection)',
  );
const ChunkSize = z.number().int().min(200).max(8000).describe('Target characters per passage (default 1200)');
const ChunkOverlap = z
  .number()
  .int()
  .min(0)
  .max(2000)
  .describe('Characters carried over between passages of a section (default 150)');
const Synonyms = z
  .array(z.array(z.string().trim().min(1).max(100)).min(2).max(20))
  .max(500)
  .describe(
    'Groups of equivalent words or phrases, e.g. [["refund","money back"],["télétravail","travail à domicile"]]: a ' +
      'query naming one also finds the others (matched by stem, accents ignored). Replaces the previous list.',
  );
const reads = { toolset: 'knowledge', scope: 'kb:read', annotations: readOnly } as const;
const writes = { toolset: 'knowledge', scope: 'kb:write' } as const;

const listKnowledgeBases = defineOperation({
  ...reads,
  name: 'list_knowledge_bases',
  title: 'List knowledge bases',
  description:
    'List the knowledge bases of a workspace with their language and number of documents. Use the ids with kb_search or add_document.',
  input: z.object({}),
  output: z.object({ knowledge_bases: z.array(KnowledgeBase) }),
  http: { method: 'GET', path: '/knowledge-bases' },
  handler: async (ctx) => ({ knowledge_bases: await kbs.listKnowledgeBases(ctx) }),
});

const getKnowledgeBase = defineOperation({
  ...reads,
  name: 'get_knowledge_base',
  title: 'Get knowledge base',
  description: 'Read one knowledge base. Fails with not_found if it does not exist in the workspace.',
  input: z.object({ knowledge_base_id: KbIdInput }),
  output: z.object({ knowledge_base: KnowledgeBase }),
  http: { method: 'GET', path: '/knowledge-bases/{knowledge_base_id}' },
  handler: async (ctx, { knowledge_base_id }) => ({
    knowledge_base: await kbs.getKnowledgeBase(ctx, knowledge_base_id),
  }),
});

const createKnowledgeBase = defineOperation({
  ...writes,
  name: 'create_knowledge_base',
  title: 'Create knowledge base',
  description:
    'Create a knowledge base: a searchable collection of documents. Its language is the default; each document in ' +
    'another common language (english, french, german, spanish, italian, portuguese, dutch) is detected and indexed in ' +
    'its own. Fails with invalid_request for an unknown language.',
  input: z.object({
    name: z.string().trim().min(1).max(200).describe('Display name'),
    description: z.string().max(2000).optional().describe('What it contains'),
    language: Language.optional(),
    chunk_size: ChunkSize.optional(),
    chunk_overlap: ChunkOverlap.optional(),
    synonyms: Synonyms.optional(),
  }),
  output: z.object({ knowledge_base: KnowledgeBase }),
  annotations: write,
  http: { method: 'POST', path: '/knowledge-bases', status: 201 },
  handler: async (ctx, { ...input }) => ({ knowledge_base: await kbs.createKnowledgeBase(ctx, input) }),
});

const updateKnowledgeBase = defineOperation({
  ...writes,
  name: 'update_knowledge_base',
  title: 'Update knowledge base',
  description:
    'Change the name, description, language, chunking or synonyms of a knowledge base. Language and chunking apply to ' +
    'documents added or re-added afterwards; synonyms to the next search.',
  input: z.object({
    knowledge_base_id: KbIdInput,
    name: z.string().trim().min(1).max(200).optional().describe('Display name'),
    description: z.string().max(2000).nullable().optional().describe('What it contains; null clears it'),
    language: Language.optional(),
    chunk_size: ChunkSize.optional(),
    chunk_overlap: ChunkOverlap.optional(),
    synonyms: Synonyms.optional(),
  }),
  output: z.object({ knowledge_base: KnowledgeBase }),
  annotations: idempotentWrite,
  http: { method: 'PUT', path: '/knowledge-bases/{knowledge_base_id}' },
  handler: async (ctx, { knowledge_base_id, ...input }) => ({
    knowledge_base: await kbs.updateKnowledgeBase(ctx, knowledge_base_id, input),
  }),
});

const deleteKnowledgeBase = defineOperation({
  ...writes,
  name: 'delete_knowledge_base',
  title: 'Delete knowledge base',
  description: 'Delete a knowledge base with all its documents and their index. Cannot be undone.',
  input: z.object({ knowledge_base_id: KbIdInput }),
  output: z.object({ knowledge_base: KnowledgeBase }),
  annotations: destructive,
  http: { method: 'DELETE', path: '/knowledge-bases/{knowledge_base_id}' },
  handler: async (ctx, { knowledge_base_id }) => ({
    knowledge_base: await kbs.deleteKnowledgeBase(ctx, knowledge_base_id),
  }),
});

const MAX_WAIT_SECONDS = 120;

const addDocument = defineOperation({
  ...writes,
  name: 'add_document',
  errors: ['file_too_large'],
  title: 'Add document',
  description:
    'Add a document to a knowledge base: text in `content` (plain text, Markdown, HTML, CSV or JSON), or a file in ' +
    '`content_base64` (PDF, DOCX, ...). Ingestion runs in the background: status is processing, then ready or failed ' +
    '(with error). Pass wait=true to wait for it (with progress notifications). Adding the same name with the same ' +
    'content changes nothing; new content replaces the old atomically. Fails with invalid_request for an unsupported ' +
    'or malformed file and file_too_large above 50 MB.',
  input: z.object({
    knowledge_base_id: KbIdInput,
    name: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .describe('File name, e.g. handbook.md; its extension tells the format when content_type is absent'),
    content: z.string().min(1).optional().describe('The document as text'),
    content_base64: z.string().min(1).optional().describe('The document as base64, for binary formats'),
    content_type: z.string().max(200).optional().describe('MIME type, e.g. text/markdown or application/pdf'),
    wait: z.boolean().optional().describe(`Wait up to ${MAX_WAIT_SECONDS} s for ingestion to finish (default false)`),
  }),
  output: z.object({
    document: Document,
    unchanged: z.boolean().describe('True when the same content was already there'),
  }),
  annotations: idempotentWrite,
  http: { method: 'POST', path: '/knowledge-bases/{knowledge_base_id}/documents', status: 201, upload: true },
  handler: async (ctx, input) => {
    const added = await docs.addDocument(ctx, {
      knowledge_base_id: input.knowledge_base_id,
      name: input.name,
      content: documentBytes(input),
      content_type: input.content_type,
    });
    if (!input.wait || added.unchanged) return added;
    const document = await docs.waitForDocument(ctx, input.knowledge_base_id, added.document.id, {
      timeoutMs: MAX_WAIT_SECONDS * 1000,
      onProgress: async (d) =>
        ctx.progress?.(d.progress, 100, d.status === 'processing' ? `ingesting ${d.name}` : `${d.name} is ${d.status}`),
    });
    return { document, unchanged: false };
  },
});

function documentBytes(input: { content?: string | undefined; content_base64?: string | undefined }): Uint8Array {
  if ((input.content === undefined) === (input.content_base64 === undefined)) {
    throw new AppError('invalid_request', 'Send exactly one of content (text) and content_base64 (a file)', {
      param: 'content',
    });
  }
  if (input.content !== undefined) return new TextEncoder().encode(input.content);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(input.content_base64!.replace(/\s+/g, ''))) {
    throw new AppError('invalid_request', 'content_base64 is not valid base64', { param: 'content_base64' });
  }
  return Buffer.from(input.content_base64!, 'base64');
}

const listDocuments = defineOperation({
  ...reads,
  name: 'list_documents',
  title: 'List documents',
  description:
    'List the documents of a knowledge base, newest first, with their ingestion status. Paginated with cursor.',
  input: z.object({
    knowledge_base_id: KbIdInput,
    status: z.enum(['processing', 'ready', 'failed']).optional().describe('Only documents in this state'),
    cursor: CursorInput,
    limit: LimitInput,
  }),
  output: pageOutput('documents', Document),
  http: { method: 'GET', path: '/knowledge-bases/{knowledge_base_id}/documents' },
  handler: async (ctx, { knowledge_base_id, status, cursor, limit }) =>
    toPageOutput('documents', await docs.listDocuments(ctx, knowledge_base_id, { status }, { cursor, limit })),
});

const getDocument = defineOperation({
  ...reads,
  name: 'get_document',
  title: 'Get document',
  description: 'Read a document and its ingestion status (processing with progress, ready, or failed with the reason).',
  input: z.object({ knowledge_base_id: KbIdInput, document_id: DocIdInput }),
  output: z.object({ document: Document }),
  http: { method: 'GET', path: '/knowledge-bases/{knowledge_base_id}/documents/{document_id}' },
  handler: async (ctx, { knowledge_base_id, document_id }) => ({
    document: await docs.getDocument(ctx, knowledge_base_id, document_id),
  }),
});

const deleteDocument = defineOperation({
  ...writes,
  name: 'delete_document',
  title: 'Delete document',
  description: 'Delete a document and its passages from the index.',
  input: z.object({ knowledge_base_id: KbIdInput, document_id: DocIdInput }),
  output: z.object({ document: Document }),
  annotations: destructive,
  http: { method: 'DELETE', path: '/knowledge-bases/{knowledge_base_id}/documents/{document_id}' },
  handler: async (ctx, { knowledge_base_id, document_id }) => ({
    document: await docs.deleteDocument(ctx, knowledge_base_id, document_id),
  }),
});

const kbSearch = defineOperation({
  ...reads,
  name: 'kb_search',
  title: 'Search knowledge bases',
  description:
    'Find passages that answer a question, in one knowledge base or all of the workspace. Words are matched by their ' +
    'stem in each document language, accents ignored, with the synonyms the knowledge base declares; passages need ' +
    'not hold every word: those holding more of the rarer ones rank first. "quoted phrases" match exactly, word* ' +
    'matches a prefix, -word excludes (at most 32 words and 5 prefix terms). ' +
    'Returns the best passages with a 0-1 score, a highlighted snippet, the document and a location to cite; mode says ' +
    'whether embeddings were used (hybrid) or full-text alone.',
  input: z.object({
    knowledge_base_id: KbIdInput.optional().describe(
      'Search only this knowledge base; all of the workspace by default',
    ),
    query: z.string().trim().min(1).max(1000).describe('The question or keywords'),
    limit: z.number().int().min(1).max(50).optional().describe('How many passages (1-50, default 5)'),
    filters: z
      .object({ document_ids: z.array(DocIdInput).min(1).max(100).optional().describe('Only these documents') })
      .strict()
      .optional()
      .describe('Narrow the search'),
  }),
  output: z.object({ mode: z.enum(['fulltext', 'hybrid']), results: z.array(SearchResult) }),
  http: { method: 'POST', path: '/knowledge-bases/{knowledge_base_id}/search' },
  errors: ['rate_limited'],
  handler: (ctx, { knowledge_base_id, query, limit, filters }) =>
    searchKnowledgeBases(ctx, { knowledge_base_id, query, limit, document_ids: filters?.document_ids }),
});

export const knowledgeOperations = [
  listKnowledgeBases,
  getKnowledgeBase,
  createKnowledgeBase,
  updateKnowledgeBase,
  deleteKnowledgeBase,
  addDocument,
  listDocuments,
  getDocument,
  deleteDocument,
  kbSearch,
];
