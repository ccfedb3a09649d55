import { describe, expect, it } from 'vitest';
import type { SearchFilters } from '../../src/search/params.js';
import { MARK_END, MARK_START, buildFilter, escapeHtml, highlightParams, markedHtml, sortFor } from '../../src/search/query.js';

function filters(overrides: Partial<SearchFilters> = {}): SearchFilters {
  return { companionId: [], externalClientId: [], tenantId: [], tags: [], knowledgeBaseId: [], functions: [], faqIds: [], ...overrides };
}

describe('buildFilter', () => {
  it('is undefined without filters or scope', () => {
    expect(buildFilter(filters(), 'turns')).toBeUndefined();
  });

  it('ORs values within a name and ANDs across names', () => {
    expect(buildFilter(filters({ companionId: ['a', 'b'], tags: ['plan:pro'] }), 'turns')).toBe(
      '(companionId IN ["a", "b"]) AND (tags = "plan:pro")',
    );
  });

  it('filters every field in a fixed order', () => {
    const all = filters({
      companionId: ['c'],
      externalClientId: ['u1', 'u2'],
      tenantId: ['t'],
      tags: ['k:v'],
      role: 'agent',
      from: 10,
      to: 20,
    });
    expect(buildFilter(all, 'turns')).toBe(
      '(companionId = "c") AND (externalClientId IN ["u1", "u2"]) AND (tenantId = "t") AND (tags = "k:v") AND (role = "agent") AND (timestamp >= 10) AND (timestamp <= 20)',
    );
  });

  it('filters time on the turn timestamp, the session start, or the start copied onto turns', () => {
    const range = filters({ from: 100, to: 200 });
    expect(buildFilter(range, 'turns')).toBe('(timestamp >= 100) AND (timestamp <= 200)');
    expect(buildFilter(range, 'sessions')).toBe('(startedAt >= 100) AND (startedAt <= 200)');
    expect(buildFilter(range, 'sessionTurns')).toBe('(sessionStartedAt >= 100) AND (sessionStartedAt <= 200)');
  });

  it('keeps a from of 0', () => {
    expect(buildFilter(filters({ from: 0 }), 'turns')).toBe('timestamp >= 0');
  });

  it('filters role on turn searches but not on the sessions index, which has no role', () => {
    expect(buildFilter(filters({ role: 'user' }), 'turns')).toBe('role = "user"');
    expect(buildFilter(filters({ role: 'user' }), 'sessionTurns')).toBe('role = "user"');
    expect(buildFilter(filters({ role: 'user' }), 'sessions')).toBeUndefined();
  });

  it('quotes hostile values so they stay values', () => {
    expect(buildFilter(filters({ externalClientId: ['x" OR companionId != "x'] }), 'turns')).toBe(
      'externalClientId = "x\\" OR companionId != \\"x"',
    );
  });

  describe('with a scope of companions', () => {
    const scope = { companions: ['comp_a', 'comp_b'] };

    it('restricts an unfiltered search to the scope', () => {
      expect(buildFilter(filters(), 'turns', scope)).toBe('companionId IN ["comp_a", "comp_b"]');
    });

    it('keeps the requested companions that are in scope', () => {
      expect(buildFilter(filters({ companionId: ['comp_b', 'comp_z'] }), 'turns', scope)).toBe('companionId = "comp_b"');
    });

    it('matches nothing when every requested companion is out of scope, without naming them', () => {
      const filter = buildFilter(filters({ companionId: ['comp_z'], tenantId: ['t'] }), 'sessions', scope);
      expect(filter).toBe('companionId IN []');
    });

    it('matches nothing for an empty scope', () => {
      expect(buildFilter(filters(), 'turns', { companions: [] })).toBe('companionId IN []');
    });

    it('combines the scope with the other filters', () => {
      expect(buildFilter(filters({ tags: ['plan:pro'] }), 'sessions', { companions: ['comp_a'] })).toBe(
        '(companionId = "comp_a") AND (tags = "plan:pro")',
      );
    });

    it('treats an undefined companion list as no restriction', () => {
      expect(buildFilter(filters({ companionId: ['comp_z'] }), 'turns', {})).toBe('companionId = "comp_z"');
    });
  });
});

describe('sortFor', () => {
  it('sorts newest first, oldest first, or leaves relevance to the engine', () => {
    expect(sortFor({ sort: 'newest' }, 'timestamp')).toEqual(['timestamp:desc']);
    expect(sortFor({ sort: 'oldest' }, 'startedAt')).toEqual(['startedAt:asc']);
    expect(sortFor({ sort: 'relevance' }, 'timestamp')).toBeUndefined();
  });
});

describe('highlightParams', () => {
  it('highlights text with the private-use markers', () => {
    expect(highlightParams(false)).toEqual({ attributesToHighlight: ['text'], highlightPreTag: MARK_START, highlightPostTag: MARK_END });
  });

  it('crops text around the match when asked', () => {
    expect(highlightParams(true)).toMatchObject({ attributesToCrop: ['text'], cropLength: 32, cropMarker: '…' });
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes an existing entity again rather than passing it through', () => {
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });

  it('leaves other text alone', () => {
    expect(escapeHtml('café, Zürich — naïve 😀')).toBe('café, Zürich — naïve 😀');
  });
});

describe('markedHtml', () => {
  it('turns the markers into <mark> tags', () => {
    expect(markedHtml(`I want a ${MARK_START}refund${MARK_END} now`)).toBe('I want a <mark>refund</mark> now');
  });

  it('escapes everything else, so <mark> is the only markup', () => {
    const formatted = `<script>alert("x")</script> ${MARK_START}<b>bold</b>${MARK_END} & 'q'`;
    expect(markedHtml(formatted)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>&lt;b&gt;bold&lt;/b&gt;</mark> &amp; &#39;q&#39;',
    );
  });

  it('does not let text that spells <mark> become a tag', () => {
    expect(markedHtml('<mark>fake</mark>')).toBe('&lt;mark&gt;fake&lt;/mark&gt;');
  });

  it('handles several highlights and text without any', () => {
    expect(markedHtml(`${MARK_START}a${MARK_END} b ${MARK_START}c${MARK_END}`)).toBe('<mark>a</mark> b <mark>c</mark>');
    expect(markedHtml('plain')).toBe('plain');
    expect(markedHtml('')).toBe('');
  });
});
