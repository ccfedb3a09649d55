import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

/** The shared corpora, read at run time from ../shared beside the repository (never copied in). */
export const CORPORA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpora');
export const NAPSTER_CORPUS = path.join(CORPORA_DIR, 'sgd-napster-sessions.jsonl.gz');
export const AGENTS_CORPUS = path.join(CORPORA_DIR, 'tm4-agent-sessions.jsonl.gz');

/** A record of the Napster corpus: a session detail as `GET /public/sessions/{id}` answers it. */
export type NapsterCorpusRecord = {
  id: string;
  companionId: string;
  externalClientId: string;
  functions: string[];
  knowledgeBaseId: string | null;
  faqIds: string[];
  tags: Record<string, string>;
  createdAt: number;
  startedAt: number;
  closedAt: number | null;
  conversation: { items: Array<{ role: 'user' | 'agent'; text: string; timestamp: number }> };
};

/** A record of the agents corpus: an AgentSessionSummary, transcript inline. */
export type AgentCorpusRecord = {
  session_id: string;
  tenant_id: string;
  character_slug: string;
  user: string | null;
  metadata: Record<string, string>;
  created_at: string;
  finalized_at: string | null;
  session_duration_seconds: number;
  llm_input_tokens: number;
  llm_output_tokens: number;
  stt_audio_seconds: number;
  tts_characters: number;
  estimated_cost_usd: number;
  recording_url: string | null;
  transcript: Array<{ role: 'user' | 'assistant'; text: string; turn_index: number; ts: number }>;
};

export async function* readCorpus<T = Record<string, unknown>>(file: string, limit = Infinity): AsyncIterable<T> {
  if (!existsSync(file)) throw new Error(`Corpus not found at ${file}: ../shared must sit beside the repository`);
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let count = 0;
  for await (const line of lines) {
    if (count >= limit) break;
    if (line.trim() === '') continue;
    count++;
    yield JSON.parse(line) as T;
  }
  lines.close();
}

export async function loadCorpus<T = Record<string, unknown>>(file: string, limit = Infinity): Promise<T[]> {
  const records: T[] = [];
  for await (const record of readCorpus<T>(file, limit)) records.push(record);
  return records;
}

/**
 * Words as the engine's tokenizer sees them for plain text: lowercase, split on anything that is not
 * a letter or digit. Sentence punctuation breaks phrases (the engine puts a large position gap there),
 * so text is split into segments first and a phrase must lie within one.
 */
export function segments(text: string): string[][] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // Punctuation inside a token ("one.way", "12:30") is a soft separator to the engine; only
    // punctuation followed by a space or the end ends a phrase.
    .split(/[.!?;:]+(?:\s+|$)|\n+/)
    .map((segment) => segment.split(/[^\p{L}\p{N}]+/u).filter(Boolean));
}

export function containsPhrase(text: string, phrase: string): boolean {
  const words = phrase.toLowerCase().split(/\s+/).filter(Boolean);
  for (const segment of segments(text)) {
    outer: for (let i = 0; i + words.length <= segment.length; i++) {
      for (let j = 0; j < words.length; j++) if (segment[i + j] !== words[j]) continue outer;
      return true;
    }
  }
  return false;
}
