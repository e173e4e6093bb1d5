import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** A calendar day, stored as `YYYY-MM-DD` text. */
type DateOnly = ColumnType<string, string, string>;
type ActorType = 'key' | 'person' | 'agent' | 'system';

export interface OrganizationTable {
  id: string;
  name: string;
  created_at: Timestamp;
  /** The organization's rate-limit setting (a preset and overrides); null is the `standard` preset. */
  rate_limits: Json<Record<string, unknown> | null> | null;
}

/** Request counters per API key, shared by every process (UNLOGGED; see the rate-limits migration). Epoch ms. */
export interface RateLimitCounterTable {
  key_id: string;
  minute_count: number;
  minute_reset: ColumnType<string, number, number>;
  hour_count: number;
  hour_reset: ColumnType<string, number, number>;
  day_count: number;
  day_reset: ColumnType<string, number, number>;
  granted: number;
}

/** KPI rollup, written only by the events trigger (see the kpi_rollup migration): counts per UTC 15 minutes. */
export interface KpiCountTable {
  workspace_id: string;
  bucket: Timestamp;
  /** A KPI name (`sent`, `opened`, ...) or `reply:<label>`. */
  metric: string;
  is_test: boolean;
  /** For first-touch counts, the previous touch's bucket: a row counts in [lo, hi) only when since < lo. */
  since: Timestamp;
  n: number;
}

/** The distinct 15-minute buckets in which each email was opened or clicked (trigger-written). */
export interface KpiTouchTable {
  workspace_id: string;
  type: string;
  draft_id: string;
  is_test: boolean;
  bucket: Timestamp;
}

/** Each classified reply's day (first original classification) and current label (trigger-written). */
export interface KpiReplyTable {
  workspace_id: string;
  reply_id: string;
  is_test: boolean;
  first_at: Timestamp | null;
  label: string;
  label_at: Timestamp;
  label_event_id: string;
}

export interface WorkspaceTable {
  id: string;
  organization_id: string;
  name: string;
  slug: string;
  is_test: boolean;
  timezone: string;
  settings: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeyTable {
  id: string;
  organization_id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string[];
  all_workspaces: boolean;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** The key a rotation replaced this one with; set once, so a key is rotated at most once. */
  replaced_by: string | null;
  /** Set for a key made for a person (a console user): its actions are recorded as theirs. */
  person: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ApiKeyWorkspaceTable {
  organization_id: string;
  key_id: string;
  workspace_id: string;
}

export interface ProspectTable {
  workspace_id: string;
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  company: string | null;
  title: string | null;
  phone: string | null;
  status: string;
  tags: string[];
  custom_fields: Json<Record<string, unknown>>;
  /** An out-of-office reply's return date: no outreach before it. `YYYY-MM-DD`. */
  snoozed_until: DateOnly | null;
  /** When to write again after a "not now". `YYYY-MM-DD`. */
  follow_up_on: DateOnly | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EventTable {
  workspace_id: string;
  id: string;
  type: string;
  prospect_id: string | null;
  data: Json<Record<string, unknown>>;
  actor_type: ActorType;
  actor_id: string;
  is_test: boolean;
  created_at: Timestamp;
  /** When the webhook dispatcher turned the event into deliveries; null until then. */
  webhooks_dispatched_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A provider webhook already applied, keyed by the provider's own event id (Resend: `svix-id`). */
export interface ProviderEventTable {
  workspace_id: string;
  provider: string;
  event_id: string;
  type: string;
  received_at: Timestamp;
}

export interface SuppressionTable {
  workspace_id: string;
  id: string;
  kind: 'email' | 'domain';
  value: string;
  reason: string;
  source: string;
  created_at: Timestamp;
}

export interface IdempotencyKeyTable {
  organization_id: string;
  api_key_id: string;
  key: string;
  operation: string;
  request_hash: string;
  response: Json<unknown>;
  created_at: Timestamp;
  /** Set while the request that claimed the key runs (its claim's token); null once its result is stored. */
  claim_token: string | null;
}

export interface KnowledgeBaseTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string | null;
  language: string;
  chunk_size: number;
  chunk_overlap: number;
  /** Groups of words or phrases searched as one another (kb_search expands a query with them). */
  synonyms: ColumnType<string[][], string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Set when deleted: hidden from every read at once; the kb.purge job then removes it in batches. */
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface KbDocumentTable {
  workspace_id: string;
  id: string;
  knowledge_base_id: string;
  name: string;
  content_type: string;
  size_bytes: number;
  content_hash: string;
  /** The file, for documents stored before kb_document_parts; null since. (Uint8Array: schema.test.ts reads this file without Node's types, where `Buffer | null` would lose its null.) */
  content: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  /** The upload in kb_document_parts holding the file; null for a file stored in `content`. */
  content_upload: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set when deleted: hidden from every read at once; the kb.purge job then removes it in batches. */
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  status: 'processing' | 'ready' | 'failed';
  progress: number;
  error: string | null;
  chunk_count: number;
  /** The text-search configuration its chunks were indexed with; null until its first ingestion. */
  language: ColumnType<string | null, string | null | undefined, string | null>;
  /** The generation of kb_chunks that search sees; '' before the first ingestion. */
  generation: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface KbChunkTable {
  workspace_id: string;
  id: string;
  knowledge_base_id: string;
  document_id: string;
  ordinal: number;
  content: string;
  location: Json<Record<string, unknown>>;
  tsv: ColumnType<string, string, string>;
  /** Visible to search only while it equals its document's generation. */
  generation: string;
}

/** An uploaded file in parts, each written and read by its own short statement. */
export interface KbDocumentPartTable {
  workspace_id: string;
  document_id: string;
  upload: string;
  part: number;
  bytes: Buffer;
}

export interface KbChunkEmbeddingTable {
  workspace_id: string;
  chunk_id: string;
  knowledge_base_id: string;
  model: string;
  embedding: ColumnType<string, string, string>;
}

export interface TemplateTable {
  workspace_id: string;
  id: string;
  key: string;
  name: string;
  category: 'custom' | 'chat' | 'widget' | 'agent' | 'email';
  subject: string | null;
  body: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DraftTable {
  workspace_id: string;
  id: string;
  prospect_id: string;
  to_email: string;
  subject: string;
  body: string;
  status: 'pending_approval' | 'approved' | 'rejected' | 'sending' | 'sent' | 'failed';
  variables: Json<Record<string, unknown>>;
  provenance: Json<Record<string, unknown>>;
  rejection_reason: string | null;
  approved_by: string | null;
  approved_at: Timestamp | null;
  token: string;
  send_attempts: ColumnType<number, number | undefined, number>;
  send_lease_until: Timestamp | null;
  send_error: string | null;
  provider: string | null;
  provider_message_id: string | null;
  sent_at: Timestamp | null;
  /** Why a person should look at this draft before approving it (its prospect replied). */
  attention: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type Channel = 'email' | 'chat' | 'web' | 'sms' | 'whatsapp';

export interface ConversationTable {
  workspace_id: string;
  id: string;
  channel: Channel;
  prospect_id: string | null;
  agent_id: string | null;
  contact: string;
  subject: string | null;
  status: 'open' | 'escalated' | 'closed';
  message_count: ColumnType<number, number | undefined, number>;
  last_message_at: Timestamp | null;
  /** A chat turn waiting for the model's answer: its message and when it began (null when none). */
  turn_message_id: ColumnType<string | null, string | null | undefined, string | null>;
  turn_started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessageTable {
  workspace_id: string;
  id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  sender: string;
  recipient: string | null;
  subject: string | null;
  body: string;
  message_id: string | null;
  in_reply_to: string | null;
  references: ColumnType<string[], string[] | undefined, string[]>;
  provider: string | null;
  provider_message_id: string | null;
  draft_id: string | null;
  sent_at: Timestamp;
  created_at: Timestamp;
  /** How a model wrote this message (chat answers); null for everything else. */
  generation: ColumnType<MessageGeneration | null, string | null | undefined, string | null>;
}

/** What `messages.generation` holds (migration 2026_12_05_1100_chat). */
export interface MessageGeneration {
  model: string;
  /** `partial`: cut short (the client disconnected, or the provider failed mid-answer). */
  status: 'complete' | 'partial';
  /** The model's stop reason (`end_turn`, `max_tokens`, ...) or why it was cut (`client_disconnected`, `upstream_error`). */
  stop_reason: string | null;
  input_tokens: number;
  output_tokens: number;
}

export interface ReplyTable {
  workspace_id: string;
  id: string;
  conversation_id: string;
  prospect_id: string | null;
  draft_id: string | null;
  from_email: string;
  via: 'api' | 'hook' | 'imap';
  headers: Json<Record<string, string>>;
  attachment_count: number;
  label: string;
  confidence: number;
  reason: string;
  hot: boolean;
  return_date: DateOnly | null;
  referral_email: string | null;
  bounce_kind: 'hard' | 'soft' | null;
  model: string;
  corrected_by_type: ActorType | null;
  corrected_by_id: string | null;
  corrected_at: Timestamp | null;
  received_at: Timestamp;
  created_at: Timestamp;
}

export interface EscalationTable {
  workspace_id: string;
  id: string;
  conversation_id: string;
  prospect_id: string | null;
  status: 'open' | 'resolved';
  priority: 'low' | 'normal' | 'high' | 'urgent';
  reasons: string[];
  assignee: string | null;
  resolution: string | null;
  opened_by_type: ActorType;
  opened_by_id: string;
  resolved_by_type: ActorType | null;
  resolved_by_id: string | null;
  resolved_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BookingTable {
  workspace_id: string;
  id: string;
  conversation_id: string | null;
  name: string;
  party_size: number;
  starts_at: Timestamp;
  duration_minutes: number;
  contact: string | null;
  notes: string | null;
  status: 'confirmed' | 'cancelled';
  created_by_type: ActorType;
  created_by_id: string;
  cancelled_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A workspace's raw-MIME hook secret, as SHA-256; one per workspace. */
export interface InboundHookTokenTable {
  workspace_id: string;
  id: string;
  token_hash: string;
  prefix: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}

/** The IMAP mailbox a workspace has polled, and how far the poller has read it. */
export interface InboundMailboxTable {
  workspace_id: string;
  id: string;
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password_sealed: string;
  folder: string;
  read_existing: boolean;
  /** bigint: returned as a string by pg. */
  uid_validity: ColumnType<string | null, string | number | null, string | number | null>;
  last_uid: ColumnType<string, string | number | undefined, string | number>;
  poll_generation: string;
  poll_lease_until: Timestamp | null;
  last_poll_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_error: string | null;
  last_error_at: Timestamp | null;
  received_count: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEndpointTable {
  workspace_id: string;
  id: string;
  url: string;
  description: string | null;
  /** Null: every event type. */
  events: string[] | null;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Timestamp | null;
  failing_since: Timestamp | null;
  disabled_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveryTable {
  workspace_id: string;
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Timestamp;
  lease_until: Timestamp | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptTable {
  workspace_id: string;
  id: string;
  delivery_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_snippet: string | null;
  created_at: Timestamp;
}

export interface AgentTable {
  workspace_id: string;
  id: string;
  name: string;
  instructions: string;
  model: string | null;
  temperature: number | null;
  max_tokens: number | null;
  goal_template: string | null;
  tools: string[];
  knowledge_base_ids: string[];
  status: 'active' | 'paused';
  vertical: 'sales' | 'support' | 'clinic' | 'restaurant' | 'transport' | null;
  deleted_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AgentExecutionTable {
  workspace_id: string;
  id: string;
  agent_id: string;
  conversation_id: string | null;
  message_id: string | null;
  kind: 'message' | 'execute';
  mode: 'offline' | 'anthropic';
  status: 'running' | 'completed' | 'escalated' | 'failed' | 'cancelled';
  input: ColumnType<Record<string, unknown>, string, string>;
  answer: string | null;
  citations: ColumnType<unknown[], string | undefined, string>;
  steps: ColumnType<unknown[], string | undefined, string>;
  escalation_id: string | null;
  escalation_reason: string | null;
  input_tokens: ColumnType<number, number | undefined, number>;
  output_tokens: ColumnType<number, number | undefined, number>;
  latency_ms: number | null;
  error: string | null;
  actor_type: ActorType;
  actor_id: string;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface AgentMessageUsageTable {
  organization_id: string;
  month: string;
  messages: number;
}

export interface Database {
  organizations: OrganizationTable;
  rate_limit_counters: RateLimitCounterTable;
  workspaces: WorkspaceTable;
  api_keys: ApiKeyTable;
  api_key_workspaces: ApiKeyWorkspaceTable;
  prospects: ProspectTable;
  events: EventTable;
  kpi_counts: KpiCountTable;
  kpi_touches: KpiTouchTable;
  kpi_replies: KpiReplyTable;
  provider_events: ProviderEventTable;
  suppressions: SuppressionTable;
  idempotency_keys: IdempotencyKeyTable;
  knowledge_bases: KnowledgeBaseTable;
  kb_documents: KbDocumentTable;
  kb_chunks: KbChunkTable;
  kb_document_parts: KbDocumentPartTable;
  kb_chunk_embeddings: KbChunkEmbeddingTable;
  templates: TemplateTable;
  drafts: DraftTable;
  conversations: ConversationTable;
  messages: MessageTable;
  replies: ReplyTable;
  escalations: EscalationTable;
  bookings: BookingTable;
  inbound_hook_tokens: InboundHookTokenTable;
  inbound_mailboxes: InboundMailboxTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  agents: AgentTable;
  agent_executions: AgentExecutionTable;
  agent_message_usage: AgentMessageUsageTable;
}

export type WorkspaceRow = Selectable<WorkspaceTable>;
export type InboundHookTokenRow = Selectable<InboundHookTokenTable>;
export type InboundMailboxRow = Selectable<InboundMailboxTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type ProspectRow = Selectable<ProspectTable>;
export type NewProspect = Insertable<ProspectTable>;
export type ProspectUpdate = Updateable<ProspectTable>;
export type EventRow = Selectable<EventTable>;
export type SuppressionRow = Selectable<SuppressionTable>;
export type TemplateRow = Selectable<TemplateTable>;
