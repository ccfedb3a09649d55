import { describe, expect, it } from 'vitest';
import { exactKey } from '../../src/engine/documents.js';
import type { SearchFilters } from '../../src/search/params.js';
import { MARK_END, MARK_START, escapeHtml, highlightParams, markedHtml, markedText, wholeWordMarks, withoutMarks } from '../../src/engine/highlight.js';
import { buildFilter, engineQuery, sortFor } from '../../src/search/query.js';
import { disjunctiveFacets } from '../../src/search/disjunctive.js';
import { parseSearchRequest } from '../../src/search/params.js';

function filters(overrides: Partial<SearchFilters> = {}): SearchFilters {
  return { companionId: [], externalClientId: [], tenantId: [], tags: [], knowledgeBaseId: [], functions: [], faqIds: [], ...overrides };
}

/** The engine's key for an id, as it appears in a filter literal. */
const k = (id: string) => exactKey(id);

describe('buildFilter', () => {
  it('is undefined without filters or scope', () => {
    expect(buildFilter(filters(), 'turns')).toBeUndefined();
  });

  it('ORs values within a name and ANDs across names, ids on their exact keys', () => {
    expect(buildFilter(filters({ companionId: ['a', 'b'], tags: ['plan:pro'] }), 'turns')).toBe(
      `(companionKey IN ["${k('a')}", "${k('b')}"]) AND (tagKeys = "${k('plan:pro')}")`,
    );
  });

  it('filters every field in a fixed order', () => {
    const all = filters({
      companionId: ['c'],
      externalClientId: ['u1', 'u2'],
      tenantId: ['t'],
      tags: ['k:v'],
      knowledgeBaseId: ['kb'],
      functions: ['fn'],
      faqIds: ['faq'],
      role: 'agent',
      from: 10,
      to: 20,
    });
    expect(buildFilter(all, 'turns')).toBe(
      `(companionKey = "${k('c')}") AND (clientKey IN ["${k('u1')}", "${k('u2')}"]) AND (tenantKey = "${k('t')}") AND (tagKeys = "${k('k:v')}") AND ` +
        `(knowledgeBaseKey = "${k('kb')}") AND (functionKeys = "${k('fn')}") AND (faqKeys = "${k('faq')}") AND (role = "agent") AND (timestamp >= 10) AND (timestamp <= 20)`,
    );
  });

  it('never filters an id on the engine\'s folding equality: case, width and space variants are other keys', () => {
    const variants = ['user_1', 'USER_1', ' user_1 ', 'ｕser_1'];
    const literals = variants.map((id) => buildFilter(filters({ externalClientId: [id] }), 'turns'));
    expect(new Set(literals).size).toBe(variants.length);
    for (const literal of literals) expect(literal).toMatch(/^clientKey = "[0-9a-f]+"$/);
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

  it('turns hostile ids and tags into plain hex, which no quote can leave', () => {
    expect(buildFilter(filters({ tags: ['x" OR companionId != "x'] }), 'turns')).toBe(`tagKeys = "${k('x" OR companionId != "x')}"`);
    expect(buildFilter(filters({ externalClientId: ['x" OR companionId != "x'] }), 'turns')).toBe(`clientKey = "${k('x" OR companionId != "x')}"`);
  });

  describe('with a scope', () => {
    const scope = { companions: ['comp_a', 'comp_b'] };

    it('restricts an unfiltered search to the scope', () => {
      expect(buildFilter(filters(), 'turns', scope)).toBe(`companionKey IN ["${k('comp_a')}", "${k('comp_b')}"]`);
    });

    it('ANDs the requested companions with the scope, so ones outside it match nothing', () => {
      expect(buildFilter(filters({ companionId: ['comp_b', 'comp_z'] }), 'turns', scope)).toBe(
        `(companionKey IN ["${k('comp_a')}", "${k('comp_b')}"]) AND (companionKey IN ["${k('comp_b')}", "${k('comp_z')}"])`,
      );
    });

    it('matches nothing for an empty scope', () => {
      expect(buildFilter(filters(), 'turns', { companions: [] })).toBe('companionKey IN []');
    });

    it('ANDs every kind of scope: companions, tenants and external clients', () => {
      expect(buildFilter(filters({ tags: ['plan:pro'] }), 'sessions', { companions: ['c'], tenants: ['t'], externalClients: ['x', 'y'] })).toBe(
        `(companionKey = "${k('c')}") AND (tenantKey = "${k('t')}") AND (clientKey IN ["${k('x')}", "${k('y')}"]) AND (tagKeys = "${k('plan:pro')}")`,
      );
    });

    it('treats an absent list as no restriction of that kind', () => {
      expect(buildFilter(filters({ companionId: ['comp_z'] }), 'turns', {})).toBe(`companionKey = "${k('comp_z')}"`);
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

describe('markedText', () => {
  it('draws the marks as the caller wants, leaving the text as it is', () => {
    expect(markedText(`a ${MARK_START}<b>${MARK_END} & c`, '*')).toBe('a *<b>* & c');
    expect(markedText(`${MARK_START}x${MARK_END}`, '[', ']')).toBe('[x]');
  });
});

describe('withoutMarks', () => {
  it('removes the two mark characters, so stored text can never fake a highlight', () => {
    expect(withoutMarks(`a${MARK_START}b${MARK_END}c`)).toBe('abc');
    expect(withoutMarks('plain')).toBe('plain');
  });
});


describe('engineQuery', () => {
  it('ends a query whose last word is one letter, so the engine does not read it as a prefix', () => {
    expect(engineQuery("don't")).toBe("don't ");
    expect(engineQuery("it's a")).toBe("it's a ");
    expect(engineQuery('é')).toBe('é ');
  });

  it('leaves every other query as typed: prefixes of longer words still complete', () => {
    for (const q of ['refund', 'refu', "don't ", '"don\'t"', 'a b c ', '', '  ']) expect(engineQuery(q)).toBe(q);
  });
});

describe('wholeWordMarks', () => {
  const m = (text: string) => `${MARK_START}${text}${MARK_END}`;
  it('moves a mark that ends inside a word to the end of the word', () => {
    expect(wholeWordMarks(`a ${m('refun')}d today`)).toBe(`a ${m('refund')} today`);
    expect(wholeWordMarks(`${m('café')}s, ${m('naïv')}eté`)).toBe(`${m('cafés')}, ${m('naïveté')}`);
  });

  it('leaves marks that end at a word boundary, and text without marks', () => {
    expect(wholeWordMarks(`${m('refund')}. ${m('new york')}!`)).toBe(`${m('refund')}. ${m('new york')}!`);
    expect(wholeWordMarks('no marks')).toBe('no marks');
  });
});

describe('disjunctiveFacets', () => {
  const request = (query: Record<string, string[]>) => parseSearchRequest({ facetMode: ['disjunctive'], ...query }, 'turns');
  it('asks one count per facet whose own filter is set, with that filter removed and the others kept', () => {
    const facets = disjunctiveFacets(request({ facets: ['companionId,role,tags,source'], companionId: ['a', 'b'], role: ['user'] }));
    expect(facets.map((f) => f.facet)).toEqual(['companionId', 'role']);
    expect(facets[0]!.filters).toMatchObject({ companionId: [], role: 'user' });
    expect(facets[1]!.filters).toMatchObject({ companionId: ['a', 'b'], role: undefined });
  });

  it('asks nothing in conjunctive mode or with nothing selected', () => {
    expect(disjunctiveFacets(parseSearchRequest({ facets: ['companionId'], companionId: ['a'] }, 'turns'))).toEqual([]);
    expect(disjunctiveFacets(request({ facets: ['companionId'] }))).toEqual([]);
  });
});
