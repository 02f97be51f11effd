#!/usr/bin/env node
// Builds chat-formatted SFT data from TinyStories text: each story becomes one example whose user turn asks
// for a story about the story's child (or animal) and a topic, and whose assistant turn is the story:
//
//   {"messages":[{"role":"user","content":"Write a story about a girl named Lily and the ball."},
//                {"role":"assistant","content":"Once upon a time, there was a little girl named Lily. ..."}]}
//
//   node scripts/make-sft-data.mjs <stories.txt> <train.jsonl> <dev.jsonl>
//        [--dev N (default 32)] [--limit N (stories, default all)] [--max-chars N (default 600)]
//
// Input: TinyStories text as the project's copy holds it (paragraphs separated by blank lines, no story
// separator): a story starts at a paragraph beginning with "Once upon a time" and runs to the next one;
// paragraphs before the first such start are skipped. The reply is the story's first paragraphs up to
// --max-chars characters (at least one paragraph, cut at a sentence end when a single one is longer), so
// that training sequences stay short. The last --dev stories go to the dev file, the rest to train, in
// input order (deterministic, no randomness).
//
// The child: the first capitalised word after "named" ("a little girl named Lily" → Lily, with "girl" as
// what it is), else the first name of a list of common TinyStories names found in the story. Stories with
// neither are skipped. The topic: a salient noun — the most frequent word right after an article or
// possessive ("a", "the", "his", ...), adjectives skipped, excluding people words and filler nouns ("time",
// "day"); ties go to the word seen first.
//
// Plain Node with no imports from core/, so it runs without a build.

import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

function usage(message) {
  if (message) console.error(`make-sft-data: ${message}`);
  console.error(
    'usage: node scripts/make-sft-data.mjs <stories.txt> <train.jsonl> <dev.jsonl> [--dev N] [--limit N] [--max-chars N]',
  );
  process.exit(2);
}

const KNOWN_NAMES = [
  'Lily',
  'Timmy',
  'Tim',
  'Tom',
  'Max',
  'Lucy',
  'Sue',
  'Ben',
  'Anna',
  'Mia',
  'Jack',
  'Bob',
  'Sam',
  'Sara',
  'Sarah',
  'Amy',
  'Billy',
  'Jane',
  'Mary',
  'Emma',
  'Zoe',
  'Spot',
  'Kitty',
  'Benny',
  'Sally',
  'Sammy',
  'Mittens',
];
const ARTICLES = new Set(['a', 'an', 'the', 'his', 'her', 'their', 'my', 'your', 'its', 'our', 'some']);
const ADJECTIVES = new Set([
  'big',
  'little',
  'small',
  'tiny',
  'huge',
  'large',
  'old',
  'new',
  'young',
  'red',
  'blue',
  'green',
  'yellow',
  'pink',
  'purple',
  'orange',
  'brown',
  'black',
  'white',
  'shiny',
  'pretty',
  'beautiful',
  'happy',
  'sad',
  'nice',
  'kind',
  'good',
  'bad',
  'best',
  'favorite',
  'special',
  'magic',
  'soft',
  'hard',
  'cold',
  'warm',
  'hot',
  'long',
  'short',
  'tall',
  'fast',
  'slow',
  'funny',
  'scary',
  'dark',
  'bright',
  'wet',
  'dry',
  'fluffy',
  'sweet',
  'same',
  'other',
  'whole',
  'very',
  'icy',
  'lively',
  'silly',
  'shy',
  'busy',
  'lonely',
  'angry',
  'hungry',
  'sunny',
  'most',
  'first',
  'last',
  'next',
  'lot',
  'friendly',
  'brave',
  'curious',
  'clever',
]);
const NOT_TOPICS = new Set([
  'time',
  'day',
  'days',
  'way',
  'lot',
  'end',
  'while',
  'moment',
  'morning',
  'night',
  'rest',
  'top',
  'sky',
  'girl',
  'boy',
  'girls',
  'boys',
  'mom',
  'mommy',
  'dad',
  'daddy',
  'mother',
  'father',
  'friend',
  'friends',
  'family',
  'kids',
  'children',
  'child',
  'man',
  'woman',
  'lady',
  'people',
  'parents',
  'brother',
  'sister',
  'name',
  'one',
  'thing',
  'things',
  'same',
  'other',
  'fun',
  'idea',
  'lesson',
  'world',
  'ground',
  'house',
  'home',
  'sun',
  'eyes',
  'face',
  'head',
  'hand',
  'hands',
  'feet',
  'side',
  'door',
  'room',
  'voice',
  'heart',
]);

/** Paragraphs of the text, grouped into stories (a story starts at "Once upon a time"). */
export function splitStories(text) {
  const paragraphs = text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const stories = [];
  for (const p of paragraphs) {
    if (/^Once upon a time\b/.test(p)) stories.push([p]);
    else if (stories.length > 0) stories[stories.length - 1].push(p);
  }
  return stories;
}

/** The story's opening: whole paragraphs up to maxChars, else the first paragraph cut at a sentence end. */
export function opening(paragraphs, maxChars) {
  let text = paragraphs[0];
  if (text.length > maxChars) {
    const cut = text.slice(0, maxChars);
    const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '));
    return end > 0 ? cut.slice(0, end + 1) : text;
  }
  for (const p of paragraphs.slice(1)) {
    if (text.length + 2 + p.length > maxChars) break;
    text += `\n\n${p}`;
  }
  return text;
}

/** {name, kind} of the story's main character, or undefined. kind is the word before "named" (girl, dog). */
export function childOf(text) {
  const named = /\b(?:a|an|the)\s+(?:(\w+)\s+)?(\w+)\s+named\s+([A-Z][a-z]+)/.exec(text);
  if (named) return { name: named[3], kind: named[2] };
  const loose = /\bnamed\s+([A-Z][a-z]+)/.exec(text);
  if (loose) return { name: loose[1], kind: undefined };
  let best;
  for (const name of KNOWN_NAMES) {
    const at = text.search(new RegExp(`\\b${name}\\b`));
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, name };
  }
  return best === undefined ? undefined : { name: best.name, kind: undefined };
}

/** The most frequent noun after an article/possessive (adjectives skipped), or undefined. */
export function topicOf(text) {
  const words = text.split(/[^A-Za-z']+/).filter((w) => w !== '');
  const counts = new Map();
  for (let i = 0; i < words.length; i++) {
    if (!ARTICLES.has(words[i].toLowerCase())) continue;
    let j = i + 1;
    while (j < words.length && j <= i + 3 && ADJECTIVES.has(words[j].toLowerCase())) j++;
    const w = words[j];
    if (w === undefined || w !== w.toLowerCase() || w.length < 3 || w.includes("'")) continue;
    if (NOT_TOPICS.has(w) || ADJECTIVES.has(w) || ARTICLES.has(w)) continue;
    counts.set(w, (counts.get(w) ?? 0) + 1); // a Map keeps first-seen order, so ties go to the first
  }
  let best;
  for (const [w, n] of counts) if (best === undefined || n > best[1]) best = [w, n];
  return best?.[0];
}

const PHRASINGS = [
  (who, topic) => `Write a story about ${who} and the ${topic}.`,
  (who, topic) => `Tell me a short story about ${who}. It should involve the ${topic}.`,
  (who, topic) => `Can you write a children's story with ${who} and the ${topic}?`,
];

/** One SFT example per story with a child; `index` picks the phrasing (so the data varies, deterministically). */
export function exampleFor(paragraphs, maxChars, index) {
  const story = opening(paragraphs, maxChars);
  const child = childOf(story) ?? childOf(paragraphs.join('\n\n'));
  if (child === undefined) return undefined;
  const topic = topicOf(paragraphs.join('\n\n')) ?? 'friend';
  const who = child.kind === undefined ? child.name : `a ${child.kind} named ${child.name}`;
  const instruction = PHRASINGS[index % PHRASINGS.length](who, topic);
  return {
    messages: [
      { role: 'user', content: instruction },
      { role: 'assistant', content: story },
    ],
  };
}

function parseArgs(argv) {
  const positional = [];
  const options = { devCount: 32, limit: Number.POSITIVE_INFINITY, maxChars: 600 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const flag = { '--dev': 'devCount', '--limit': 'limit', '--max-chars': 'maxChars' }[a];
    if (flag !== undefined) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) usage(`${a} needs a non-negative integer`);
      options[flag] = v;
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else positional.push(a);
  }
  if (positional.length !== 3) usage('expected <stories.txt> <train.jsonl> <dev.jsonl>');
  return { input: positional[0], train: positional[1], dev: positional[2], ...options };
}

function writeJsonl(file, rows) {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length > 0 ? '\n' : ''));
  fs.renameSync(tmp, file); // nothing half-written
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  let text;
  try {
    text = fs.readFileSync(args.input, 'utf8');
  } catch (e) {
    usage(`cannot read ${args.input}: ${e.message}`);
  }
  const stories = splitStories(text).slice(0, args.limit);
  const examples = [];
  let skipped = 0;
  stories.forEach((s, i) => {
    const e = exampleFor(s, args.maxChars, i);
    if (e === undefined) skipped++;
    else examples.push(e);
  });
  if (examples.length <= args.devCount) {
    console.error(
      `make-sft-data: ${args.input}: only ${examples.length} usable stories (need more than --dev ${args.devCount}); give more text`,
    );
    process.exit(1);
  }
  const train = examples.slice(0, examples.length - args.devCount);
  const dev = examples.slice(examples.length - args.devCount);
  writeJsonl(args.train, train);
  writeJsonl(args.dev, dev);
  console.log(
    JSON.stringify({
      stories: stories.length,
      skipped,
      train: train.length,
      dev: dev.length,
      maxChars: args.maxChars,
    }),
  );
}

if (
  process.argv[1] !== undefined &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
) {
  main();
}
