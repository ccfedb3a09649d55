import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../src/errors.js';
import {
  MAX_QUERY_CHARS,
  SESSION_FACETS,
  TURN_FACETS,
  parseFilters,
  parseSearchRequest,
  parseTime,
  type SearchKind,
} from '../../src/search/params.js';
import { rejectUnknown } from '../../src/query-params.js';

type Query = Record<string, string[]>;

function badRequest(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('bad_request');
    return (error as Error).message;
  }
  throw new Error('expected a BadRequestError');
}

const rejected = (query: Query, kind: SearchKind = 'turns') => badRequest(() => parseSearchRequest(query, kind));

describe('parseSearchRequest defaults', () => {
  it('gives the documented defaults for an empty query', () => {
    expect(parseSearchRequest({}, 'turns')).toEqual({
      q: '',
      sort: 'relevance',
      page: 1,
      hitsPerPage: 20,
      facets: [],
      context: 0,
      companionId: [],
      externalClientId: [],
      tenantId: [],
      tags: [],
      knowledgeBaseId: [],
      functions: [],
      faqIds: [],
      role: undefined,
      from: undefined,
      to: undefined,
    });
  });

  it('reads every parameter of a full turns query', () => {
    const request = parseSearchRequest(
      {
        q: ['"book a table"'],
        companionId: ['comp_a', 'comp_b'],
        externalClientId: ['client_1'],
        tenantId: ['tenant-x'],
        tag: ['plan:pro'],
        knowledgeBaseId: ['kb_1'],
        function: ['fn_a', 'fn_b'],
        faqId: ['faq_9'],
        role: ['user'],
        from: ['2026-01-01'],
        to: ['1767312000'],
        sort: ['newest'],
        page: ['3'],
        hitsPerPage: ['50'],
        facets: ['companionId, role'],
        context: ['2'],
      },
      'turns',
    );
    expect(request).toEqual({
      q: '"book a table"',
      companionId: ['comp_a', 'comp_b'],
      externalClientId: ['client_1'],
      tenantId: ['tenant-x'],
      tags: ['plan:pro'],
      knowledgeBaseId: ['kb_1'],
      functions: ['fn_a', 'fn_b'],
      faqIds: ['faq_9'],
      role: 'user',
      from: 1_767_225_600,
      to: 1_767_312_000,
      sort: 'newest',
      page: 3,
      hitsPerPage: 50,
      facets: ['companionId', 'role'],
      context: 2,
    });
  });

  it('accepts the bounds of page, hitsPerPage and context', () => {
    expect(parseSearchRequest({ hitsPerPage: ['1'] }, 'turns').hitsPerPage).toBe(1);
    expect(parseSearchRequest({ hitsPerPage: ['100'] }, 'turns').hitsPerPage).toBe(100);
    expect(parseSearchRequest({ context: ['5'] }, 'turns').context).toBe(5);
    expect(parseSearchRequest({ page: ['10000'], hitsPerPage: ['100'] }, 'sessions').page).toBe(10_000);
  });

  it('treats an empty q and empty facets as none', () => {
    const request = parseSearchRequest({ q: [''], facets: [''] }, 'sessions');
    expect(request.q).toBe('');
    expect(request.facets).toEqual([]);
  });

  it('lists each requested facet once', () => {
    expect(parseSearchRequest({ facets: ['tags,tags,companionId'] }, 'sessions').facets).toEqual(['tags', 'companionId']);
  });

  it('accepts a q of exactly the maximum length', () => {
    expect(parseSearchRequest({ q: ['x'.repeat(MAX_QUERY_CHARS)] }, 'turns').q).toHaveLength(512);
  });
});

describe('parseSearchRequest rejections name the parameter', () => {
  it('rejects unknown parameters, such as a typo of companionId', () => {
    expect(rejected({ companion: ['comp_a'] })).toMatch(/Unknown parameter 'companion'/);
  });

  it('rejects context on the sessions endpoint only', () => {
    expect(rejected({ context: ['1'] }, 'sessions')).toMatch(/'context'/);
    expect(parseSearchRequest({ context: ['1'] }, 'turns').context).toBe(1);
  });

  it('rejects an unknown facet, and role as a facet of sessions', () => {
    expect(rejected({ facets: ['companionId,colour'] })).toMatch(/'facets'.*'colour'/);
    expect(rejected({ facets: ['role'] }, 'sessions')).toMatch(/'facets'.*'role'/);
    expect(rejected({ facets: ['companionId,'] })).toMatch(/'facets'/);
  });

  it('rejects page=0, page=-1 and a page past the engine’s hit limit', () => {
    expect(rejected({ page: ['0'] })).toMatch(/'page'/);
    expect(rejected({ page: ['-1'] })).toMatch(/'page'/);
    expect(rejected({ page: ['50001'] })).toMatch(/'page'/);
    expect(rejected({ page: ['10001'], hitsPerPage: ['100'] })).toMatch(/'page'/);
  });

  it('rejects non-integer pages', () => {
    for (const page of ['1.5', 'two', '1e3', ' 1', '0x10', '']) expect(rejected({ page: [page] })).toMatch(/'page'/);
  });

  it('rejects hitsPerPage=0, 101 and 10000', () => {
    for (const value of ['0', '101', '10000']) expect(rejected({ hitsPerPage: [value] })).toMatch(/'hitsPerPage'/);
  });

  it('rejects context above 5', () => {
    expect(rejected({ context: ['6'] })).toMatch(/'context'/);
  });

  it('rejects a q longer than 512 characters', () => {
    expect(rejected({ q: ['x'.repeat(MAX_QUERY_CHARS + 1)] })).toMatch(/'q'.*512/);
  });

  it('rejects single-valued parameters given twice', () => {
    for (const name of ['q', 'role', 'from', 'to', 'sort', 'page', 'hitsPerPage', 'facets', 'context']) {
      expect(rejected({ [name]: ['1', '2'] })).toMatch(new RegExp(`'${name}' may be given once`));
    }
  });

  it('rejects an unknown sort and an unknown role', () => {
    expect(rejected({ sort: ['random'] })).toMatch(/'sort'/);
    expect(rejected({ role: ['system'] })).toMatch(/'role'/);
    expect(rejected({ role: [''] })).toMatch(/'role'/);
  });

  it('reports errors as BadRequestError so the API answers 400', () => {
    expect(() => parseSearchRequest({ page: ['0'] }, 'turns')).toThrow(BadRequestError);
  });
});

describe('parseFilters', () => {
  it('maps role=assistant to agent and keeps user and agent', () => {
    expect(parseFilters({ role: ['assistant'] }).role).toBe('agent');
    expect(parseFilters({ role: ['agent'] }).role).toBe('agent');
    expect(parseFilters({ role: ['user'] }).role).toBe('user');
  });

  it('keeps repeated filter values once each, in order', () => {
    expect(parseFilters({ companionId: ['b', 'a', 'b'] }).companionId).toEqual(['b', 'a']);
  });

  it('keeps hostile values as they are; quoting happens in the filter builder', () => {
    const value = "x' OR companionId != 'x";
    expect(parseFilters({ companionId: [value] }).companionId).toEqual([value]);
  });

  it('rejects empty filter values, naming the parameter', () => {
    for (const name of ['companionId', 'externalClientId', 'tenantId', 'tag']) {
      expect(badRequest(() => parseFilters({ [name]: [''] }))).toMatch(new RegExp(`'${name}' must not be empty`));
    }
  });

  it('rejects control characters, naming the parameter', () => {
    for (const value of ['a\nb', 'a\u0000', '\u007f', 'tab\t']) {
      expect(badRequest(() => parseFilters({ externalClientId: [value] }))).toMatch(/'externalClientId' contains control characters/);
    }
  });

  it('rejects values longer than 512 characters and more than 100 values', () => {
    expect(badRequest(() => parseFilters({ tenantId: ['x'.repeat(513)] }))).toMatch(/'tenantId'.*512/);
    const many = Array.from({ length: 101 }, (_, i) => `c${i}`);
    expect(badRequest(() => parseFilters({ companionId: many }))).toMatch(/'companionId'.*100/);
    expect(parseFilters({ companionId: many.slice(0, 100) }).companionId).toHaveLength(100);
  });

  it('rejects a tag without a key:value colon, or with an empty key', () => {
    expect(badRequest(() => parseFilters({ tag: ['production'] }))).toMatch(/'tag'.*key:value/);
    expect(badRequest(() => parseFilters({ tag: [':production'] }))).toMatch(/'tag'/);
  });

  it('accepts tag values that contain colons or are empty', () => {
    expect(parseFilters({ tag: ['url:https://x.test:1', 'flag:'] }).tags).toEqual(['url:https://x.test:1', 'flag:']);
  });

  it('rejects from after to, naming from', () => {
    expect(badRequest(() => parseFilters({ from: ['2026-02-01'], to: ['2026-01-01'] }))).toMatch(/'from'.*'to'/);
  });

  it('accepts from equal to to', () => {
    expect(parseFilters({ from: ['1767225600'], to: ['1767225600'] })).toMatchObject({ from: 1_767_225_600, to: 1_767_225_600 });
  });

  it('reads a bare date as `to` as the end of that day, so the whole day is included', () => {
    expect(parseFilters({ from: ['2026-01-01'], to: ['2026-01-01'] })).toMatchObject({ from: 1_767_225_600, to: 1_767_225_600 + 86_400 - 0.001 });
    expect(parseTime('to', '2026-01-01T00:00')).toBe(1_767_225_600);
  });
});

describe('parseTime', () => {
  it('accepts Unix seconds, with or without a fraction', () => {
    expect(parseTime('from', '0')).toBe(0);
    expect(parseTime('from', '1767225600')).toBe(1_767_225_600);
    expect(parseTime('from', '1767225600.25')).toBe(1_767_225_600.25);
  });

  it('reads a bare date as UTC midnight', () => {
    expect(parseTime('from', '2026-01-01')).toBe(1_767_225_600);
  });

  it('accepts ISO date-times with Z, offsets, seconds, fractions or a space', () => {
    expect(parseTime('from', '2026-01-01T10:00:00Z')).toBe(1_767_261_600);
    expect(parseTime('from', '2026-01-01T10:00Z')).toBe(1_767_261_600);
    expect(parseTime('from', '2026-01-01T11:00:00+01:00')).toBe(1_767_261_600);
    expect(parseTime('from', '2026-01-01T05:00:00-0500')).toBe(1_767_261_600);
    expect(parseTime('from', '2026-01-01T10:00:00.5Z')).toBe(1_767_261_600.5);
    expect(parseTime('from', '2026-01-01 10:00:00Z')).toBe(1_767_261_600);
  });

  it('reads a date-time without an offset as UTC, whatever the server’s time zone', () => {
    const zone = process.env.TZ;
    // Node re-reads TZ when it changes, so this runs as a server in New York would.
    process.env.TZ = 'America/New_York';
    try {
      expect(parseTime('from', '2026-01-01T10:00')).toBe(1_767_261_600);
      expect(parseTime('from', '2026-01-01 10:00:00')).toBe(1_767_261_600);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseTime('from', '2028-02-29')).toBe(Date.UTC(2028, 1, 29) / 1000);
  });

  it('rejects impossible dates instead of rolling them over, naming the parameter', () => {
    for (const value of ['2026-02-30', '2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-01T25:00Z']) {
      expect(badRequest(() => parseTime('to', value))).toMatch(/^Invalid 'to'/);
    }
  });

  it('rejects other date formats and junk, naming the parameter', () => {
    for (const value of ['', 'yesterday', '01/02/2026', '2026-1-1', '-5', '1e9', 'Jan 1 2026', '2026-01-01T10', '1234567890123']) {
      expect(badRequest(() => parseTime('from', value))).toMatch(/^Invalid 'from'/);
    }
  });

  it('quotes at most 40 characters of a bad value', () => {
    const message = badRequest(() => parseTime('from', 'x'.repeat(1000)));
    expect(message).toContain(`'${'x'.repeat(40)}'`);
    expect(message).not.toContain('x'.repeat(41));
  });
});

describe('rejectUnknown', () => {
  it('passes when every parameter is allowed', () => {
    expect(() => rejectUnknown({ q: ['x'], page: ['1'] }, ['q', 'page', 'sort'])).not.toThrow();
  });

  it('names the unknown parameter and the allowed ones', () => {
    const message = badRequest(() => rejectUnknown({ q: ['x'], pgae: ['1'] }, ['q', 'page']));
    expect(message).toBe("Unknown parameter 'pgae'; expected one of q, page");
  });

  it('cuts a very long unknown name to 40 characters', () => {
    const message = badRequest(() => rejectUnknown({ ['n'.repeat(500)]: ['1'] }, ['q']));
    expect(message).toContain(`'${'n'.repeat(40)}'`);
    expect(message).not.toContain('n'.repeat(41));
  });
});

describe('facet names', () => {
  it('offers role as a facet of turns only', () => {
    expect(TURN_FACETS).toContain('role');
    expect(SESSION_FACETS).not.toContain('role');
  });
});
