import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, ConfigError, isLoopback } from './config.js';

export const CLIENTS = ['claude-code', 'cursor', 'cline', 'claude-desktop', 'vscode'] as const;
export type McpClient = (typeof CLIENTS)[number];

/** The launcher, absolute, so a client that starts the server from any directory finds it. */
export const BIN = fileURLToPath(new URL('../bin/switchboard.js', import.meta.url));

/** Where a command looked for its data, in words fit for an error message (never a password). */
export function describeDatabase(config: Config): string {
  if (config.database.kind === 'pglite') return `the embedded database in ${config.database.dataDir}`;
  const url = new URL(config.database.url);
  return `the PostgreSQL database "${url.pathname.replace(/^\//, '') || 'postgres'}" on ${url.hostname}:${url.port || '5432'}`;
}

const INIT_HINT =
  'Initialise it once with `switchboard serve` (it creates a test workspace "demo" and a full-access key, and prints a ready configuration), ' +
  "or with `switchboard migrate`, `switchboard workspaces create --name ...` and `switchboard keys create --workspace all --scopes '*'`. " +
  'If your server keeps its data elsewhere, set SWITCHBOARD_DATA_DIR (an absolute path) or DATABASE_URL to the same value as the server.';

/**
 * stdio must not create a database: an editor that starts it in another directory, or with another
 * SWITCHBOARD_DATA_DIR, would otherwise get a fresh empty one and then reject a perfectly good key.
 */
export function assertDatabaseInitialised(config: Config): void {
  const db = config.database;
  if (db.kind !== 'pglite' || db.dataDir.startsWith('memory://')) return;
  if (existsSync(path.join(db.dataDir, 'pgdata', 'PG_VERSION'))) return;
  throw new ConfigError(
    `No Switchboard database in ${db.dataDir}: switchboard stdio does not create one. ${INIT_HINT}`,
  );
}

export function invalidKeyMessage(config: Config, keysInDatabase: number): string {
  const where = describeDatabase(config);
  return keysInDatabase === 0
    ? `SWITCHBOARD_API_KEY is not a key of ${where}, which has no keys at all. ${INIT_HINT}`
    : `SWITCHBOARD_API_KEY is invalid, revoked or expired in ${where}. A key belongs to one database: check that SWITCHBOARD_DATA_DIR or DATABASE_URL points where the key was created.`;
}

export interface SnippetOptions {
  client: McpClient;
  transport: 'stdio' | 'http';
  key: string;
  /** The server's base URL, for HTTP. */
  url: string;
}

/** The environment a stdio server needs to find the same database as this command. */
function stdioEnv(config: Config, key: string): Record<string, string> {
  const db = config.database;
  const where: Record<string, string> =
    db.kind === 'postgres' ? { DATABASE_URL: db.url } : { SWITCHBOARD_DATA_DIR: path.resolve(db.dataDir) };
  return { SWITCHBOARD_API_KEY: key, ...where };
}

/** One server entry in the shape the client expects, and the file it goes into. */
export function mcpConfig(config: Config, o: SnippetOptions): Record<string, unknown> {
  const mcpUrl = `${o.url.replace(/\/+$/, '')}/mcp`;
  const auth = `Bearer ${o.key}`;
  const stdio = { command: process.execPath, args: [BIN, 'stdio'], env: stdioEnv(config, o.key) };
  let entry: Record<string, unknown>;
  if (o.transport === 'stdio') {
    entry = o.client === 'claude-code' || o.client === 'vscode' ? { type: 'stdio', ...stdio } : stdio;
  } else if (o.client === 'claude-desktop') {
    // Claude Desktop's config file runs local commands only; mcp-remote bridges them to HTTP. The header
    // goes through env because some platforms split arguments on the space in "Bearer <key>".
    const target = new URL(mcpUrl);
    const allowHttp = target.protocol === 'http:' && !isLoopback(target.hostname) ? ['--allow-http'] : [];
    entry = {
      command: 'npx',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${VAR} in headers from its environment.
      args: ['-y', 'mcp-remote', mcpUrl, '--header', 'Authorization:${SWITCHBOARD_AUTH}', ...allowHttp],
      env: { SWITCHBOARD_AUTH: auth },
    };
  } else if (o.client === 'cursor') {
    // Cursor tells a remote server by its url; its documented entries carry no type.
    entry = { url: mcpUrl, headers: { Authorization: auth } };
  } else if (o.client === 'cline') {
    // Cline names streamable HTTP `streamableHttp` (its `http` is not a type it knows).
    entry = { type: 'streamableHttp', url: mcpUrl, headers: { Authorization: auth }, disabled: false };
  } else {
    entry = { type: 'http', url: mcpUrl, headers: { Authorization: auth } };
  }
  return o.client === 'vscode' ? { servers: { switchboard: entry } } : { mcpServers: { switchboard: entry } };
}

export const CONFIG_FILE: Record<McpClient, string> = {
  'claude-code': ".mcp.json in your project (or `claude mcp add-json switchboard '<the inner object>'`)",
  cursor: '~/.cursor/mcp.json or .cursor/mcp.json',
  cline: "cline_mcp_settings.json (Cline's MCP Servers panel, Configure)",
  'claude-desktop': 'claude_desktop_config.json (Claude Desktop: Settings, Developer, Edit Config)',
  vscode: '.vscode/mcp.json in your workspace',
};

/** The base URL of a running `serve` with this configuration, as a client on this machine reaches it. */
export function defaultUrl(config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = ['0.0.0.0', '::'].includes(config.host)
    ? 'localhost'
    : config.host.includes(':')
      ? `[${config.host}]`
      : config.host;
  return `http://${host}:${config.port}`;
}
