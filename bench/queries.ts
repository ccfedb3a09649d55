/**
 * The fixed query set: what people ask of a transcript archive — exact phrases, words with typos,
 * filters of every kind, facets, highlighted hits, context around hits, session search with its
 * statistics, facet autocomplete. Fixed, so runs compare; spread over the corpus's companions and tags.
 */
export type BenchQuery = { name: string; path: string };

export const QUERIES: BenchQuery[] = [
  { name: 'turns phrase', path: '/v1/search/turns?q=%22san+jose%22' },
  { name: 'turns phrase 3 words', path: '/v1/search/turns?q=%22make+a+reservation%22&hitsPerPage=10' },
  { name: 'turns phrase + role', path: '/v1/search/turns?q=%22i+would+like%22&role=user' },
  { name: 'turns word', path: '/v1/search/turns?q=restaurant' },
  { name: 'turns typos', path: '/v1/search/turns?q=resturant+reservaton' },
  { name: 'turns typos 3 words', path: '/v1/search/turns?q=flihgt+to+chicgo' },
  { name: 'turns + companion', path: '/v1/search/turns?q=rental+car&companionId=comp_rentalcars_1' },
  { name: 'turns + tag OR', path: '/v1/search/turns?q=thank+you&tag=channel:ios&tag=channel:web' },
  { name: 'turns facets', path: '/v1/search/turns?q=weather&facets=companionId,role,tags' },
  { name: 'turns tag + facet', path: '/v1/search/turns?q=hotel&tag=environment:production&facets=companionId' },
  { name: 'turns context 2', path: '/v1/search/turns?q=%22one+way%22&context=2' },
  { name: 'turns context 5 ×50', path: '/v1/search/turns?q=movie+tickets&context=5&hitsPerPage=50' },
  { name: 'turns no q, newest', path: '/v1/search/turns?companionId=comp_events_2&sort=newest' },
  { name: 'turns time range', path: '/v1/search/turns?q=bus&from=2026-01-01&to=2026-06-30&sort=oldest' },
  { name: 'turns page 3', path: '/v1/search/turns?q=doctor+appointment&page=3' },
  { name: 'turns ×100 + facets', path: '/v1/search/turns?q=cheap&hitsPerPage=100&facets=companionId,externalClientId' },
  { name: 'turns phrase role tag', path: '/v1/search/turns?q=%22new+york%22&role=agent&tag=split:test&facets=tags' },
  { name: 'sessions phrase', path: '/v1/search/sessions?q=%22san+jose%22&facets=companionId' },
  { name: 'sessions word + role', path: '/v1/search/sessions?q=reservation&role=agent' },
  { name: 'sessions by companion', path: '/v1/search/sessions?companionId=comp_restaurants_1' },
  { name: 'sessions tag + facets', path: '/v1/search/sessions?q=flight&tag=channel:web&facets=tags,companionId' },
  { name: 'sessions all + facets', path: '/v1/search/sessions?facets=companionId,tags' },
  { name: 'sessions phrase newest', path: '/v1/search/sessions?q=%22thank+you%22&from=2026-01-01&sort=newest' },
  { name: 'facet companions', path: '/v1/facets/companionId?q=comp_r' },
  { name: 'facet clients + tag', path: '/v1/facets/externalClientId?q=user_01&tag=channel:phone' },
];

/**
 * Conversation queries (issue 18): two conditions each, what users ask — one side said X and the
 * other Y, in order, within a few turns, or never. Measured apart from QUERIES, whose numbers they
 * would otherwise shift: each is several engine searches by design (conversation.ts).
 */
export const CONVERSATION_QUERIES: BenchQuery[] = [
  { name: 'user said + agent said', path: '/v1/search/sessions?said=user:%22one+way%22&said=agent:confirmed' },
  { name: 'in order, within 4 turns', path: '/v1/search/sessions?said=user:reservation&said=agent:successfully&order=said&within=4' },
  { name: 'said + never said', path: '/v1/search/sessions?said=user:weather&notSaid=agent:sorry' },
  { name: 'phrase + word, facets', path: '/v1/search/sessions?said=user:%22book+a+table%22&said=agent:reservation&facets=companionId,tags' },
];
