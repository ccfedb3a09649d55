import type { OpenApiDocument, OpenApiOperation, OpenApiParameter, OpenApiResponse } from './document.js';
import type { JsonSchema } from './json-schema.js';

/**
 * `GET /docs`: the OpenAPI document as one static HTML page, rendered on the server. No script and no
 * CDN: it must work on machines without internet access, and it is read far more than it is tried.
 * Each operation shows the top-level fields of what it returns; named types (`TurnHit`) link to a
 * table of their own fields at the end.
 */
export function renderDocsPage(document: OpenApiDocument): string {
  const sections = document.tags.map(({ name }) => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation.tags.includes(name))
        .map(([method, operation]) => renderOperation(method, path, operation, document)),
    );
    return `<h2>${escape(name)}</h2>\n${operations.join('\n')}`;
  });
  const types = Object.entries(document.components.schemas).map(
    ([name, schema]) => `<section id="${typeAnchor(name)}">\n<h3>${escape(name)}</h3>\n${schema.description ? `<p>${inline(String(schema.description))}</p>\n` : ''}${renderFields(schema)}\n</section>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(document.info.title)} API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d232a; }
code { font: 13px ui-monospace, monospace; background: #f2f4f6; padding: 0 .25em; border-radius: 3px; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #d5dbe1; }
section { margin: 1.5rem 0; }
h3 { font-size: 1rem; margin: 0; }
.method { display: inline-block; min-width: 4.5em; font: bold 12px ui-monospace, monospace; color: #fff; background: #3c6e9f; border-radius: 3px; text-align: center; padding: 2px 0; }
.method.post { background: #3f8a4f; } .method.delete { background: #a8443c; }
.access { color: #5b6670; font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: 14px; }
th, td { text-align: left; vertical-align: top; border-top: 1px solid #e3e7eb; padding: .3rem .5rem .3rem 0; }
</style>
</head>
<body>
<h1>${escape(document.info.title)} API <small>${escape(document.info.version)}</small></h1>
<p>${inline(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(document.openapi)}).</p>
${sections.join('\n')}
<h2>Types</h2>
${types.join('\n')}
</body>
</html>
`;
}

function renderOperation(method: string, path: string, operation: OpenApiOperation, document: OpenApiDocument): string {
  const rows = operation.parameters.map(renderParameter).join('\n');
  const replies = Object.entries(operation.responses).flatMap(([status, response]) => ('$ref' in response ? [] : [renderReply(status, response, document)]));
  return `<section>
<h3><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>
<p>${inline(operation.summary)}</p>
<p class="access">${inline(operation.description ?? '')}</p>
${rows ? `<table><tr><th>parameter</th><th>in</th><th>value</th><th>meaning</th></tr>\n${rows}</table>` : ''}
${operation.requestBody ? `<p>Body: ${inline(operation.requestBody.description)}</p>` : ''}
${replies.join('\n')}
</section>`;
}

/** `Returns 200 TurnSearchPage: …` and the fields of that type; other content types by name. */
function renderReply(status: string, response: OpenApiResponse, document: OpenApiDocument): string {
  const [type, content] = Object.entries(response.content ?? {})[0] ?? [];
  const schema = content?.schema;
  const name = typeof schema?.$ref === 'string' ? refName(schema.$ref) : undefined;
  const what = name ? typeLink(name) : type ? `<code>${escape(type)}</code>` : 'no body';
  const fields = name ? renderFields(document.components.schemas[name] ?? {}) : '';
  return `<p>Returns ${escape(status)}, ${what}: ${inline(response.description)}</p>\n${fields}`;
}

function renderFields(schema: JsonSchema): string {
  const properties = Object.entries((schema.properties as Record<string, JsonSchema> | undefined) ?? {});
  if (properties.length === 0) return '';
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = properties.map(
    ([name, field]) =>
      `<tr><td><code>${escape(name)}</code>${required.has(name) ? '' : ' (optional)'}</td><td>${describeType(field)}</td><td>${inline(String(field.description ?? ''))}</td></tr>`,
  );
  return `<table><tr><th>field</th><th>type</th><th>meaning</th></tr>\n${rows.join('\n')}</table>`;
}

function renderParameter(parameter: OpenApiParameter): string {
  const repeat = parameter.explode ? ', repeatable' : parameter.style ? ', comma-separated' : '';
  const fallback = parameter.schema.default === undefined ? '' : `; default <code>${escape(JSON.stringify(parameter.schema.default))}</code>`;
  return `<tr><td><code>${escape(parameter.name)}</code></td><td>${parameter.in}</td><td>${escape(describeSchema(parameter.schema))}${repeat}</td><td>${inline(parameter.description ?? '')}${fallback}</td></tr>`;
}

/** A JSON Schema in a few words: `integer 1–100`, `one of user, agent`, `list of string`. */
function describeSchema(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.join(', ')}`;
  if (schema.type === 'array') return `list of ${describeSchema((schema.items as JsonSchema | undefined) ?? {})}`;
  if (schema.type === 'integer' || schema.type === 'number') {
    return schema.minimum !== undefined && schema.maximum !== undefined ? `${schema.type} ${schema.minimum}–${schema.maximum}` : String(schema.type);
  }
  if (schema.type === 'string' && typeof schema.maxLength === 'number') return `string, at most ${schema.maxLength} characters`;
  return typeof schema.type === 'string' ? schema.type : 'any';
}

/** A response field's type as HTML: named types link to their table, `or null` where null is allowed. */
function describeType(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') return typeLink(refName(schema.$ref));
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (variants) return variants.map(describeType).join(' or ');
  if (Array.isArray(schema.type)) return schema.type.map((type) => describeType({ ...schema, type })).join(' or ');
  if (schema.const !== undefined) return `<code>${escape(JSON.stringify(schema.const))}</code>`;
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map((value) => `<code>${escape(String(value))}</code>`).join(', ')}`;
  if (schema.type === 'array') return `list of ${describeType((schema.items as JsonSchema | undefined) ?? {})}`;
  if (schema.type === 'object' && typeof schema.additionalProperties === 'object') return `object of ${describeType(schema.additionalProperties as JsonSchema)}`;
  if (schema.type === 'string' && typeof schema.format === 'string') return `string (${escape(schema.format)})`;
  return typeof schema.type === 'string' ? escape(schema.type) : 'any';
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function typeAnchor(name: string): string {
  return `type-${name.replace(/[^\w-]/g, '')}`;
}

function typeLink(name: string): string {
  return `<a href="#${typeAnchor(name)}">${escape(name)}</a>`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Escaped text with `code` spans, the only markup the descriptions use. */
function inline(text: string): string {
  return escape(text).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\n\n/g, '<br>');
}
