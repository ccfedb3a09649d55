import type { z } from 'zod';

/**
 * One endpoint as the OpenAPI document describes it. Each route file exports the operations it
 * registers, next to the query schemas its handlers validate with, so the document cannot describe
 * parameters the code does not check (and a test walks the app's routes to find undocumented ones).
 */
export type Operation = {
  method: 'get' | 'post' | 'delete';
  /** In Hono's form, as registered: `/v1/sessions/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: 'Search' | 'Sessions' | 'Clients' | 'Sync' | 'Operations' | 'Page';
  /**
   * Who may call it when API keys are configured: `open` needs no key, `search` any key, `admin` an
   * admin key, `unscoped-admin` an admin key without a scope. Without keys everything is open.
   */
  access: 'open' | 'search' | 'admin' | 'unscoped-admin';
  /** The schema the handler validates its query with; absent when the handler reads no query. */
  query?: z.ZodObject;
  /** Path parameters by name, each a schema of its text. */
  params?: Record<string, z.ZodType>;
  /** Request body, described in words: pushes take either vendor shape, detected per record. */
  body?: string;
  /** Success status and what it returns; error responses are common to all. */
  success: { status: 200 | 202; description: string; contentType?: string };
};
