import type { Detector } from './detectors.js';

/** RFC 5322's dot-atom local part, a domain of labels with a letter TLD. */
const EMAIL = /(?<![\w.+-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![\w-])/g;

export const emailDetector: Detector = {
  kind: 'email',
  find: (text) => (text.includes('@') ? [...text.matchAll(EMAIL)].map((match) => ({ kind: 'email', start: match.index, end: match.index + match[0].length })) : []),
};
