import { findNumbers, type CountryCode } from 'libphonenumber-js/max';
import type { Detector, Span } from './detectors.js';

/*
 * Phone numbers are libphonenumber's (Google's numbering plans, as libphonenumber-js ships them with
 * full metadata): a number counts only when it is valid in its country's plan, which is what keeps
 * street numbers, prices, times and order numbers out. Numbers with a `+` are read as international;
 * the others in the plans of PHONE_REGIONS, one after another, the first that finds a valid number
 * winning; past the first, only numbers written with their trunk 0. A `+` number of a plausible length
 * for its country counts even when its range is not allocated.
 */

/**
 * National numbers are read as these countries': the US plan first (10 digits, no trunk prefix), then
 * the European plans whose national form starts with a 0 trunk prefix.
 */
const PHONE_REGIONS: readonly CountryCode[] = ['US', 'GB', 'DE', 'FR'];

/** No plan has a valid number of fewer digits (Germany has some of 5+2, counted with the area code). */
const MIN_DIGITS = 7;

function digitCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57) count++;
  }
  return count;
}

export const phoneDetector: Detector = {
  kind: 'phone',
  find(text) {
    if (digitCount(text) < MIN_DIGITS) return [];
    const spans: Span[] = [];
    for (const [i, region] of PHONE_REGIONS.entries()) {
      // Only the US pass reads every number; the others only add national numbers with a trunk 0.
      if (i > 0 && !/(?<![\d+])0\d/.test(text)) break;
      for (const found of findNumbers(text, { defaultCountry: region, v2: true })) {
        // Past the first plan, a national number must start with its trunk 0: Germany's open plan
        // would otherwise take dates and order numbers (2019-03-12, 20240315-0042) for numbers.
        if (i > 0 && text[found.startsAt] !== '0' && text[found.startsAt] !== '(' && text[found.startsAt] !== '+') continue;
        if (!spans.some((span) => found.startsAt < span.end && span.start < found.endsAt)) spans.push({ kind: 'phone', start: found.startsAt, end: found.endsAt });
      }
    }
    // A number written with `+` and a country code is a phone number even where the plan has not
    // allocated its range (yet): only its length is checked.
    if (text.includes('+')) {
      for (const found of findNumbers(text, { v2: true, leniency: 'POSSIBLE' } as { v2: true })) {
        if (text[found.startsAt] !== '+' || spans.some((span) => found.startsAt < span.end && span.start < found.endsAt)) continue;
        spans.push({ kind: 'phone', start: found.startsAt, end: found.endsAt });
      }
    }
    return spans;
  },
};
