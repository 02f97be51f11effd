// Starter datasets for "New Dataset from Template…": one small, valid file per task and layout, so a user
// sees the expected shape and can train on it at once (the tests load each template with core/datasets).

export interface DatasetTemplate {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly fileName: string;
  readonly text: string;
}

const jsonl = (rows: readonly unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export const DATASET_TEMPLATES: readonly DatasetTemplate[] = [
  {
    id: 'classification-jsonl',
    label: 'Text classification (JSONL)',
    description: '{"text", "label"} per line',
    fileName: 'classification.jsonl',
    text: jsonl([
      { text: 'Congratulations! You won a free cruise, call now to claim.', label: 'spam' },
      { text: 'Are we still meeting for lunch tomorrow?', label: 'ham' },
      { text: 'URGENT: your account is locked, reply with your PIN.', label: 'spam' },
      { text: 'Thanks for the notes, see you in class.', label: 'ham' },
      { text: 'Win cash prizes every week, text WIN to 80000.', label: 'spam' },
      { text: 'Can you pick up milk on the way home?', label: 'ham' },
    ]),
  },
  {
    id: 'ner-jsonl',
    label: 'Named entities (JSONL)',
    description: '{"tokens", "ner_tags"} per line, BIO tags',
    fileName: 'ner.jsonl',
    text: jsonl([
      {
        tokens: ['Ada', 'Lovelace', 'was', 'born', 'in', 'London', '.'],
        ner_tags: ['B-PER', 'I-PER', 'O', 'O', 'O', 'B-LOC', 'O'],
      },
      {
        tokens: ['Grace', 'Hopper', 'worked', 'at', 'Harvard', '.'],
        ner_tags: ['B-PER', 'I-PER', 'O', 'O', 'B-ORG', 'O'],
      },
      { tokens: ['Paris', 'is', 'in', 'France', '.'], ner_tags: ['B-LOC', 'O', 'O', 'B-LOC', 'O'] },
    ]),
  },
  {
    id: 'ner-conll',
    label: 'Named entities (CoNLL)',
    description: 'token<TAB>tag per line, blank line between sentences',
    fileName: 'ner.conll',
    text: [
      'Ada\tB-PER',
      'Lovelace\tI-PER',
      'was\tO',
      'born\tO',
      'in\tO',
      'London\tB-LOC',
      '.\tO',
      '',
      'Grace\tB-PER',
      'Hopper\tI-PER',
      'worked\tO',
      'at\tO',
      'Harvard\tB-ORG',
      '.\tO',
      '',
    ].join('\n'),
  },
  {
    id: 'sft-jsonl',
    label: 'Instruction tuning / chat (JSONL)',
    description: '{"messages": [{role, content}, …]} per line',
    fileName: 'sft.jsonl',
    text: jsonl([
      {
        messages: [
          { role: 'user', content: 'Tell me a short story about a cat.' },
          {
            role: 'assistant',
            content: 'Once upon a time, a little cat found a red ball and played all day.',
          },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'Tell me a short story about a dog.' },
          {
            role: 'assistant',
            content: 'Once upon a time, a happy dog ran to the park with his friend Tim.',
          },
        ],
      },
    ]),
  },
];
