/**
 * Built-in synthetic "Napster Companion" sessions for the demo. The demo serves them from a local
 * fake vendor API and pulls them through the real pipeline, so a fresh machine shows working search
 * without credentials. Every line of dialogue is produced here from templates and small word lists
 * (no external data set), and all randomness comes from a seeded PRNG so the same
 * (count, seed, now) always yields identical sessions: tests and screenshots stay stable.
 */

export type SyntheticNapsterSession = {
  id: string;
  companionId: string;
  functions: string[];
  knowledgeBaseId: string | null;
  faqIds: string[];
  externalClientId: string;
  tags: Record<string, string>;
  createdAt: number;
  startedAt: number;
  closedAt: number | null;
  conversation: { items: { role: 'user' | 'agent'; text: string; timestamp: number }[] };
};

const DAY = 86_400;
const DEFAULT_NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const SPREAD_DAYS = 90;
const CLIENT_COUNT = 150;
const CHANNELS = ['web', 'ios', 'android', 'phone'] as const;

// Small word lists. Paris and Zürich appear more than once so "flight to Paris" and non-ASCII hits are common.
const DRINKS = ['flat white', 'oat latte', 'cappuccino', 'cold brew', 'chai latte', 'espresso', 'matcha latte', 'hot chocolate'];
const SIZES = ['small', 'medium', 'large'];
const MILKS = ['oat', 'almond', 'soy', 'skimmed', 'lactose-free'];
const PASTRIES = ['croissant', 'banana bread', 'blueberry muffin', 'crème brûlée tart', 'cinnamon roll', 'almond cake'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const TIMES = ['noon', '12:30', '6pm', '7pm', '7:30pm', '8pm'];
const CITIES = ['Paris', 'Paris', 'Paris', 'Zürich', 'Zürich', 'Lisbon', 'Tokyo', 'New York', 'São Paulo', 'Berlin', 'Barcelona', 'Rome'];
const ORIGINS = ['London', 'Madrid', 'Chicago', 'Amsterdam', 'Dublin'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July'];
const AIRLINES = ['AF', 'LX', 'TP', 'LH', 'BA', 'IB'];
const SIGHTS = ['a food market', 'the old town', 'a river cruise', 'a modern art museum', 'a day hike', 'a jazz bar'];
const SCREENS = ['the settings page', 'my profile', 'the billing screen', 'the search tab', 'notifications'];
const DEVICES = ['iPhone 15', 'Pixel 8', 'Galaxy S23', 'MacBook', 'Windows laptop', 'iPad'];
const RACES = ['5k', '10k', 'half marathon', 'marathon'];
const BODY_PARTS = ['knee', 'lower back', 'shoulder', 'ankle'];
const EXERCISES = ['squats', 'running', 'deadlifts', 'push-ups', 'lunges'];
const LANGS = ['French', 'German', 'Spanish', 'Italian'];
const GENRES = ['lo-fi', 'jazz', 'indie pop', 'drum and bass', 'classical', 'synthwave', 'bossa nova'];
const ACTIVITIES = ['studying', 'cooking dinner', 'a long drive', 'focus time at work', 'a rainy Sunday'];
// [english, language, translation]
const PHRASES: readonly (readonly [string, string, string])[] = [
  ['where is the train station', 'German', 'Wo ist der Bahnhof?'],
  ['I would like a coffee', 'French', 'Je voudrais un café, s’il vous plaît.'],
  ['where is the station', 'Spanish', '¿Dónde está la estación?'],
  ['see you tomorrow', 'French', 'À demain !'],
  ['thank you very much', 'Japanese', 'どうもありがとう (dōmo arigatō)'],
  ['good morning', 'Italian', 'Buongiorno!'],
  ['nice to meet you', 'German', 'Schön, dich kennenzulernen.'],
];
// [learner's sentence, correction, why]
const CORRECTIONS: readonly (readonly [string, string, string])[] = [
  ['Je suis allé au magasin hier avec ma sœur et nous avons acheté des pommes', 'Je suis allé au magasin hier avec ma sœur, et nous avons acheté des pommes.', 'Just punctuation; the grammar is right.'],
  ['Ich habe nach Berlin gefahren', 'Ich bin nach Berlin gefahren', 'Verbs of movement take "sein" in the perfect tense.'],
  ['Yo soy 30 años', 'Tengo 30 años', 'Spanish uses "tener" (to have) for age.'],
  ['I am agree with you', 'I agree with you', '"Agree" is already a verb, so no "am".'],
];

type Role = 'user' | 'agent';
type Line = { role: Role; text: string };
type Exchange = (r: Rng) => readonly [user: string, agent: string];
type Topic = { open: Exchange; more: Exchange[] };
type Persona = {
  companionId: string;
  functions: string[];
  knowledgeBaseId: string | null;
  faqIds: string[];
  weight: number;
  greetings: string[];
  topics: Topic[];
  extras: Exchange[];
  signOffs: string[];
};

/** mulberry32: tiny and good enough for demo data; Math.random cannot be seeded. */
class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.next() * items.length)] as T; }
  chance(p: number): boolean { return this.next() < p; }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}

// Prices end in 0 or 5 cents, as real menus and fares do.
const price = (r: Rng, lo: number, hi: number, symbol = '$') => `${symbol}${(r.int(lo * 20, hi * 20) / 20).toFixed(2)}`;
const date = (r: Rng) => `${r.pick(MONTHS)} ${r.int(1, 28)}`;
const flightCode = (r: Rng) => `${r.pick(AIRLINES)} ${r.int(100, 999)}`;

const cafe: Persona = {
  companionId: 'comp_cafe_barista', weight: 3,
  functions: ['get_menu', 'place_order', 'book_table', 'issue_refund'], knowledgeBaseId: 'kb_cafe_menu', faqIds: ['faq_opening_hours', 'faq_allergens'],
  greetings: ['Hi there! Welcome to the Napster Café ☕ What can I get started for you?', 'Good morning! Ordering ahead or looking to book a table today?'],
  topics: [
    { open: (r) => { const d = `${r.pick(SIZES)} ${r.pick(DRINKS)}`; return [`Hi, can I get a ${d} for pickup in ${r.int(5, 20)} minutes?`, `Sure! One ${d}, that's ${price(r, 3, 6)}. It'll be ready at the counter.`]; },
      more: [
        (r) => { const m = r.pick(MILKS); return [`Can you make it with ${m} milk?`, `Of course, switched to ${m} milk at no extra charge.`]; },
        (r) => { const p = r.pick(PASTRIES); return [`And add a ${p}, please.`, `Added one ${p}. Your new total is ${price(r, 6, 12)}.`]; },
        () => ['Do you take Apple Pay?', 'Yes, cards, Apple Pay and Google Pay all work at the counter.'],
      ] },
    { open: (r) => { const n = r.int(2, 8); const when = `${r.pick(DAYS)} at ${r.pick(TIMES)}`; return [`I'd like to book a table for ${n} on ${when}.`, `You're booked: a table for ${n} on ${when}. We hold tables for 15 minutes.`]; },
      more: [
        () => ['Can we sit on the terrace?', "I've noted a terrace request; if it rains we'll move you inside."],
        (r) => [`It's a birthday, could you bring out a ${r.pick(PASTRIES)} with a candle?`, 'Lovely! I added a note for the team, and the candle is on us 🎂'],
        (r) => { const t = r.pick(TIMES); return [`Actually, can you move it to ${t}?`, `Done, your table is now at ${t}.`]; },
      ] },
    { open: (r) => [`My order was wrong, I got a ${r.pick(DRINKS)} instead of a ${r.pick(DRINKS)}. Can I get a refund?`, `I'm so sorry! I've issued a refund of ${price(r, 3, 6)} to your card; it usually shows up in 3-5 business days.`],
      more: [
        () => ['The barista was pretty rude about it too.', "I'm sorry to hear that. I've passed it on to the café manager, who reads every complaint."],
        (r) => ['When exactly will the refund arrive?', `We send refunds the same day; your bank then takes 3-5 business days. Reference: RF-${r.int(10000, 99999)}.`],
      ] },
    { open: (r) => { const d = r.pick(DAYS); return [`Is the café open on ${d}?`, `Yes, on ${d} we're open ${r.pick(['7am to 6pm', '8am to 4pm', '7:30am to 9pm'])}.`]; },
      more: [
        () => ['Do you have anything gluten-free?', "Yes: the almond cake and the fruit salad are gluten-free. Our kitchen does handle flour, though, so we can't rule out traces."],
        () => ['Is there wifi?', 'Yes, the network is "NapsterCafe-Guest" and the password is printed on your receipt.'],
      ] },
  ],
  extras: [
    () => ['Do you have parking nearby?', 'There is a public garage two minutes away; the first hour is free with a receipt.'],
    (r) => [`How much is a ${r.pick(DRINKS)}?`, `It's ${price(r, 3, 6)} for a medium.`],
  ],
  signOffs: ['Enjoy, see you soon!', 'Thanks for stopping by ☕', 'Have a lovely day!'],
};

const travel: Persona = {
  companionId: 'comp_travel_agent', weight: 3,
  functions: ['search_flights', 'book_flight', 'search_hotels', 'cancel_booking', 'issue_refund'], knowledgeBaseId: 'kb_travel_policies', faqIds: ['faq_baggage', 'faq_cancellation'],
  greetings: ['Hello! Where would you like to go?', 'Hi, I am your travel companion. Flights, hotels or a whole trip?'],
  topics: [
    { open: (r) => { const c = r.pick(CITIES); const d = date(r); return [`I need a flight to ${c} on ${d}, leaving from ${r.pick(ORIGINS)}.`, `I found ${r.int(3, 9)} options for a flight to ${c} on ${d}. The cheapest is ${flightCode(r)} at ${r.int(6, 21)}:${r.pick(['05', '20', '35', '50'])} for ${price(r, 90, 600, '€')}.`]; },
      more: [
        (r) => ['Is there anything earlier in the morning?', `Yes, ${flightCode(r)} leaves at 6:${r.int(10, 55)} and costs ${price(r, 120, 700, '€')}.`],
        (r) => ['Book it please, window seat.', `Booked! Confirmation code ${r.pick(['QX', 'ZR', 'PK', 'LM'])}${r.int(1000, 9999)}, seat ${r.int(5, 38)}A. Your e-ticket is on its way.`],
        (r) => ['How much checked baggage is included?', `One 23 kg bag is included; a second bag is ${price(r, 30, 70, '€')}.`],
      ] },
    { open: (r) => { const c = r.pick(CITIES); return [`Can you find me a hotel in ${c} for ${r.int(2, 7)} nights?`, `Here are three in ${c}: Hôtel Lumière (${price(r, 90, 160, '€')}/night), the Grand Central (${price(r, 150, 260, '€')}/night) and a cheaper guesthouse at ${price(r, 50, 90, '€')}/night.`]; },
      more: [
        () => ['Which one includes breakfast?', 'Hôtel Lumière and the guesthouse both include breakfast; the Grand Central charges extra.'],
        () => ['Is it close to the train station?', 'Hôtel Lumière is a 6-minute walk from the main station.'],
      ] },
    { open: (r) => { const c = r.pick(CITIES); return [`My flight to ${c} was cancelled. I want a refund, not a voucher!`, `Understood. Since the airline cancelled, you're entitled to a full refund of ${price(r, 120, 800, '€')}. I've submitted it; expect it within 7 days.`]; },
      more: [
        () => ['Can you rebook me on the next flight instead?', 'I can hold a seat on tomorrow morning\'s flight, but then the refund is cancelled. Shall I go ahead?'],
        () => ['Will they pay for my hotel tonight?', 'Yes, for cancellations the airline must cover a hotel. Keep your receipts and I\'ll add them to the claim.'],
      ] },
    { open: (r) => {
        const c = r.pick(CITIES); const s = r.shuffle(SIGHTS);
        // The long reply on purpose: search snippets and highlighting need something to crop.
        return [`Plan me a 3-day trip to ${c}, I like food and museums.`, `Here's a rough plan for ${c}. Day 1: arrive, check in and walk around ${s[0]} in the evening. Day 2: morning at ${s[1]}, lunch near the centre (budget about ${price(r, 20, 45, '€')} per person), then ${s[2]}. Day 3: ${s[3]} before your flight home. Want me to look up flights and hotels for those dates?`];
      },
      more: [(r) => [`What's the weather like there in ${r.pick(MONTHS)}?`, `Usually mild, around ${r.int(8, 24)} °C, with some rain, so pack a light jacket.`]] },
  ],
  extras: [
    () => ['Do I need a visa?', 'For short tourist stays most EU and US passport holders do not, but please check the official embassy site before you travel.'],
    (r) => ['Can I change my seat later?', `Yes, seat changes are free up to 24 hours before departure on ${flightCode(r)}.`],
  ],
  signOffs: ['Have a great trip! ✈️', 'Bon voyage!', 'Safe travels!'],
};

const tech: Persona = {
  companionId: 'comp_tech_support', weight: 3,
  functions: ['lookup_account', 'send_password_reset', 'create_ticket', 'issue_refund'], knowledgeBaseId: 'kb_help_center', faqIds: ['faq_password_reset', 'faq_billing', 'faq_2fa'],
  greetings: ['Hi, this is tech support. What seems to be the problem?', 'Hello! How can I help you today?'],
  topics: [
    { open: (r) => [r.pick(['I forgot my password and the reset email never arrives.', "I'm locked out after too many wrong password attempts.", 'how do i reset my password??']), "I've just sent a new password reset link to the email on file. It comes from no-reply@example.com, so please check your spam folder too."],
      more: [
        (r) => ['Still nothing. Can you just reset it for me?', `For security I can't set a password for you, but I've sent the link by SMS to the number ending in ${r.int(10, 99)}.`],
        () => ['It says the password is too weak?', 'Passwords need at least 12 characters. A short sentence like "purple-train-at-noon" works well.'],
      ] },
    { open: (r) => [`The app crashes every time I open ${r.pick(SCREENS)} on my ${r.pick(DEVICES)}.`, 'Sorry about that! Which version are you on? You can find it under Settings → About.'],
      more: [
        (r) => { const v = `4.${r.int(1, 9)}`; return [`It's version ${v}.0`, `Thanks. That's a known bug in ${v}.0; version ${v}.1 fixes it, so please update from the store.`]; },
        (r) => [`Now the page just shows <b>Something went wrong</b> and error code ${r.int(400, 599)}.`, 'That code means our server timed out. It should clear up within a few minutes; I have logged it for the engineers.'],
        () => ['Still crashing after the update.', "Let's try a few things: 1) Force-quit the app. 2) Clear the cache under Settings → Storage. 3) Sign out and back in. 4) If it still crashes, reinstall it. Your data is stored in your account, so nothing will be lost."],
      ] },
    { open: (r) => { const p = price(r, 5, 20); return [`I was charged twice this month (${p} each). I'd like a refund.`, `I can see the duplicate charge of ${p}. I've refunded it; it takes 5-10 business days to appear on your statement.`]; },
      more: [
        () => ['Can you cancel my subscription too?', "Done, your subscription ends at the close of this billing period and you won't be charged again."],
        () => ['Why did that even happen?', 'A payment retry ran twice during an outage last week. It affected a small number of accounts, and we are sorry.'],
      ] },
    { open: () => ['How do I turn on two-factor authentication?', 'Go to Settings → Security → Two-factor, then scan the QR code with an authenticator app and enter the 6-digit code.'],
      more: [
        () => ['I lost the phone that had the authenticator app.', 'Use one of the backup codes you saved when you set it up. If you have none, I can start an identity check, which takes about 48 hours.'],
        (r) => [`My display name suddenly shows as ${r.chance(0.3) ? '<script>alert(1)</script>' : '<i>null</i>'}, was I hacked?`, 'Probably not, someone may have pasted that into your profile. Change your password and review active sessions under Settings → Security.'],
      ] },
  ],
  extras: [
    (r) => [`Does this work on a ${r.pick(DEVICES)}?`, 'Yes, we support the current and previous two major OS versions.'],
    (r) => ['Can I talk to a human?', `Of course. I've opened ticket #${r.int(100000, 999999)}; our support team replies within 24 hours.`],
  ],
  signOffs: ['Glad I could help!', 'Anything else, just ask. Have a good one!', 'Happy to help, take care.'],
};

const fitness: Persona = {
  companionId: 'comp_fitness_coach', weight: 2,
  functions: ['log_workout', 'create_plan'], knowledgeBaseId: null, faqIds: [],
  greetings: ['Hey! Ready to move today? 💪', "Hi, coach here. What's the goal this week?"],
  topics: [
    { open: (r) => {
        const race = r.pick(RACES); const weeks = r.int(6, 16);
        return [`Can you make me a ${weeks}-week plan to run a ${race}?`, `Here's the outline for your ${race}. Weeks 1-${Math.floor(weeks / 3)}: three easy runs of 20-30 minutes. After that, add one interval session (6 × 400 m) and make the weekend run ${r.int(10, 20)}% longer each week. The final week is a taper: short easy runs only. Rest days matter as much as the runs!`];
      },
      more: [
        () => ['That is a lot, I can only train 3 days a week.', 'No problem: keep the long run, the intervals and one easy run. Drop the rest.'],
        (r) => ['What pace should my easy runs be?', `Slow enough to hold a conversation, roughly ${r.int(6, 7)}:${r.pick(['00', '15', '30', '45'])} per km for most beginners.`],
      ] },
    { open: (r) => [`My ${r.pick(BODY_PARTS)} hurts after ${r.pick(EXERCISES)}, should I keep going?`, "If it's sharp pain, stop. Mild soreness is normal. I'm not a doctor, so if it lasts more than a few days please see a physio."],
      more: [() => ['Can I still train something else?', 'Yes: swap in cycling or swimming for a week and keep the intensity low.']] },
    { open: (r) => { const kg = r.int(55, 100); return [`How much protein should I eat? I weigh ${kg} kg.`, `A common target is 1.6 g per kg, so about ${Math.round(kg * 1.6)} g a day, spread over 3-4 meals.`]; },
      more: [() => ['Are protein shakes necessary?', 'Not at all. Eggs, yoghurt, lentils and fish get you there just as well; shakes are simply convenient.']] },
    { open: (r) => [`Log my workout: ${r.int(10, 50)} push-ups, ${r.int(20, 80)} squats and a ${r.int(3, 12)} km run.`, `Logged! That's workout number ${r.int(2, 5)} this week. Nice consistency 💪`],
      more: [() => ['How am I doing compared to last month?', "You've trained 30% more often than last month. Keep it up!"]] },
  ],
  extras: [
    () => ["Motivate me, I don't feel like training today.", 'Just do 10 minutes. If you still hate it after 10, you can stop, but you usually won\'t.'],
    () => ['Can I do HIIT every day?', 'Better not. Two or three HIIT days a week with easy days in between gives your body time to adapt.'],
  ],
  signOffs: ['You got this!', 'Great work today, rest well.', 'See you at the next session!'],
};

const tutor: Persona = {
  companionId: 'comp_language_tutor', weight: 2,
  functions: ['translate', 'start_quiz'], knowledgeBaseId: 'kb_grammar', faqIds: [],
  greetings: ['Bonjour! Hola! Hallo! Which language are we practising today?', 'Hi! Ready for some practice?'],
  topics: [
    { open: (r) => { const [en, lang, tr] = r.pick(PHRASES); return [`How do you say "${en}" in ${lang}?`, `In ${lang}: "${tr}"`]; },
      more: [() => ['Can you say it more slowly?', 'Of course. I will repeat it word by word, then at normal speed.'], () => ['Is that formal or informal?', 'That one is neutral, fine for strangers and friends alike.']] },
    { open: (r) => { const [w, plain] = r.pick([['naïve', 'naive'], ['café', 'cafe'], ['résumé', 'resume'], ['Zürich', 'Zurich']] as const); return [`Is it spelled "${w}" or "${plain}"?`, `Both are seen in English. "${w}" keeps the original accent; "${plain}" is more common today, especially online.`]; },
      more: [() => ['How do I type the dots on my keyboard?', 'On a Mac, press Option+U and then the letter; on a phone, long-press the letter.']] },
    { open: (r) => { const [wrong, right, why] = r.pick(CORRECTIONS); return [`Can you correct my sentence: "${wrong}"`, `Almost! It should be "${right}". ${why}`]; },
      more: [() => ['Can you give me another example?', 'Sure. Try to translate: "Yesterday we went to the museum and had lunch by the river."']] },
    { open: () => ['Quiz me on travel vocabulary in German.', 'Great, 10 questions! Question 1: what is the German word for "train station"?'],
      more: [() => ['Is it "Bahnhof"?', 'Correct! ✅ "der Bahnhof". Question 2: how do you say "ticket"?'], () => ['Fahrkarte?', 'Yes, "die Fahrkarte". That makes 2 out of 2, nice!']] },
  ],
  extras: [
    (r) => ['Can we practise ordering food?', `Sure. I'm the waiter: "Bonsoir ! Vous avez choisi ?" Your table for ${r.int(2, 4)} is ready.`],
    (r) => [`How long does it take to learn ${r.pick(LANGS)}?`, 'With 20 minutes a day, most learners hold simple conversations after 6 to 9 months.'],
  ],
  signOffs: ['À bientôt!', 'Great practice today!', 'Bis morgen! See you tomorrow.'],
};

const music: Persona = {
  companionId: 'comp_music_guide', weight: 2,
  functions: ['search_catalog', 'play_track', 'create_playlist', 'manage_subscription'], knowledgeBaseId: null, faqIds: ['faq_offline', 'faq_plans'],
  greetings: ['Hey! What are we listening to today? 🎧', 'Hi, your music guide here. Any mood in mind?'],
  topics: [
    { open: (r) => { const a = r.pick(ACTIVITIES); return [`Play something chill for ${a}.`, `Here's a ${r.pick(GENRES)} mix for ${a}: ${r.int(15, 40)} tracks, about ${r.int(1, 3)} hours. Starting now ▶️`]; },
      more: [() => ['Skip this one, too slow.', 'Skipped. I will lean a bit more upbeat.'], (r) => ['Can you make it more like the last song?', `Sure, switching to more ${r.pick(GENRES)}.`]] },
    { open: (r) => { const bpm = r.int(150, 180); return [`Make me a ${r.int(20, 60)}-minute running playlist around ${bpm} bpm.`, `Done! "Run Club ${bpm}" is in your library, mostly ${r.pick(GENRES)} and electronic.`]; },
      more: [() => ['Add a few songs I already liked.', 'Added 8 of your liked songs that fit the tempo.']] },
    { open: () => ["Why can't I download songs for offline listening?", 'Offline downloads are part of the Pro plan. You are currently on the free plan, so songs can only be streamed.'],
      more: [
        (r) => ['How much is Pro?', `Pro is ${price(r, 9, 12)}/month, and the first month is free.`],
        () => ['Can I get a refund if I upgrade and don\'t like it?', 'Yes. Pro has a 14-day refund window, no questions asked.'],
      ] },
  ],
  extras: [
    (r) => [`What's new in ${r.pick(GENRES)} this week?`, `There are ${r.int(5, 30)} new releases; I added the top five to your "Fresh Finds" playlist.`],
    () => ['Turn the volume down a bit.', 'Volume down to 40%.'],
  ],
  signOffs: ['Enjoy the music! 🎶', 'Happy listening!', 'Rock on!'],
};

const PERSONAS: readonly Persona[] = [cafe, travel, tech, fitness, tutor, music];
const USER_THANKS = ["Thanks, that's all!", 'Perfect, thank you.', 'great thx', 'Ok, bye!', 'Merci !', 'That helps a lot, cheers.'];

/** One request with its follow-ups, then side questions and other requests, then a goodbye; cut to `turnCount`. */
function converse(r: Rng, p: Persona, turnCount: number): Line[] {
  if (turnCount === 0) return [];
  const lines: Line[] = r.chance(0.15) ? [{ role: 'agent', text: r.pick(p.greetings) }] : [];
  const [topic, ...others] = r.shuffle(p.topics) as [Topic, ...Topic[]];
  // Follow-ups keep their written order (later ones build on earlier answers); long sessions then
  // drift to side questions and a second request, as real users do.
  const agenda = [...topic.more, ...r.shuffle(p.extras), ...others.flatMap((t) => [t.open, ...t.more])];
  const pairs = [topic.open(r)];
  while (lines.length + 2 * (pairs.length + 1) < turnCount) pairs.push((agenda[(pairs.length - 1) % agenda.length] as Exchange)(r));
  pairs.push([r.pick(USER_THANKS), r.pick(p.signOffs)]);
  for (const [user, agent] of pairs) lines.push({ role: 'user', text: user }, { role: 'agent', text: agent });
  return lines.slice(0, turnCount);
}

export function generateDemoSessions(count: number, options: { seed?: number; now?: number } = {}): SyntheticNapsterSession[] {
  const now = options.now ?? DEFAULT_NOW;
  const r = new Rng(options.seed ?? 1);
  // Plan and usual channel belong to the client, so per-client facets look consistent.
  const clients = Array.from({ length: CLIENT_COUNT }, (_, i) => ({
    id: `client_${String(i + 1).padStart(4, '0')}`,
    plan: r.chance(0.3) ? 'pro' : 'free',
    channel: r.pick(CHANNELS),
  }));
  const totalWeight = PERSONAS.reduce((sum, p) => sum + p.weight, 0);

  const drafts: Omit<SyntheticNapsterSession, 'id'>[] = [];
  for (let i = 0; i < count; i++) {
    let roll = r.next() * totalWeight;
    const persona = PERSONAS.find((p) => (roll -= p.weight) < 0) ?? cafe;
    // Squaring skews towards low ids: a few heavy users, a long tail of occasional ones.
    const client = clients[Math.floor(r.next() ** 2 * CLIENT_COUNT)] as (typeof clients)[number];
    const turnCount = r.chance(0.01) ? 0 : 2 + Math.floor(Math.min(r.next(), r.next()) * 23);
    const lines = converse(r, persona, turnCount);

    // Gaps scale with text length: people type slowly, the agent answers fast.
    let offset = 0;
    const offsets = lines.map((line) => (offset += line.role === 'user' ? r.int(2, 9) + Math.ceil(line.text.length / 15) : r.int(1, 3) + Math.ceil(line.text.length / 60)));
    const startDelay = r.int(0, 10);
    const closeDelay = r.int(2, 40);
    const inProgress = r.chance(0.02);
    const span = startDelay + offset + closeDelay;

    let createdAt: number;
    if (inProgress) {
      // Live right now: a session "open" for weeks would look like a bug in the demo.
      createdAt = now - startDelay - offset - r.int(5, 900);
    } else {
      const hour = r.chance(0.8) ? r.int(7, 22) : r.int(0, 23);
      const dayStart = now - SPREAD_DAYS * DAY + r.int(0, SPREAD_DAYS - 1) * DAY;
      createdAt = Math.min(dayStart + hour * 3600 + r.int(0, 3599), now - span);
    }
    const startedAt = createdAt + startDelay;
    drafts.push({
      companionId: persona.companionId,
      functions: [...persona.functions],
      knowledgeBaseId: persona.knowledgeBaseId,
      faqIds: [...persona.faqIds],
      externalClientId: client.id,
      tags: {
        environment: r.chance(0.12) ? 'staging' : 'production',
        channel: r.chance(0.75) ? client.channel : r.pick(CHANNELS),
        plan: client.plan,
      },
      createdAt,
      startedAt,
      closedAt: inProgress ? null : startedAt + offset + closeDelay,
      conversation: { items: lines.map((line, k) => ({ ...line, timestamp: startedAt + (offsets[k] as number) })) },
    });
  }

  // Array.prototype.sort is stable, so ties keep generation order and the output stays deterministic.
  drafts.sort((a, b) => a.createdAt - b.createdAt);
  return drafts.map((draft, i) => ({ id: `sess_demo_${String(i + 1).padStart(5, '0')}`, ...draft }));
}
